// twowayctl: the admin client. Sends one command line to twowayd's admin socket and prints the
// reply as tables (or raw JSON); `watch` prints events until Ctrl-C.
// Exit codes (sysexits.h where one fits): 0 ok, 1 the daemon answered an error, 64 usage,
// 69 cannot connect, 75 no answer in time, 76 an answer that is not JSON, 77 permission (the
// socket's mode or the caller's role), 78 the config file has problems.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/admin_protocol.hpp"
#include "daemon/build_info.hpp"
#include "daemon/config.hpp"
#include "daemon/consent_log.hpp"
#include "tools/twowayctl/render.hpp"

namespace {

constexpr int kOk = 0, kCommandFailed = 1, kUsage = 64, kCannotConnect = 69, kNoAnswer = 75,
              kBadAnswer = 76, kPermission = 77, kConfig = 78;

// The exit status for a reply with ok:false: a refusal for the caller's role is a permission
// problem, anything else an error of the command.
int failure_status(const nlohmann::json& reply) {
  const auto error = reply.find("error");
  if (error != reply.end() && error->is_object() && error->value("code", "") == "forbidden")
    return kPermission;
  return kCommandFailed;
}
constexpr std::size_t kMaxReplyLine = 64u << 20;  // a thread page is far smaller than this

volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) {
  g_interrupted = 1;
}

void usage(std::ostream& out) {
  out << "usage: twowayctl [--socket PATH | --config FILE] [--json] [--utc] [--timeout SECONDS]\n"
         "                 COMMAND [ARGS...]\n"
         "Sends COMMAND to twowayd's admin socket and prints the reply.\n"
         "  --socket PATH    admin socket (default: admin.socket from the config, else\n"
         "                   /run/twoway/admin.sock)\n"
         "  --config FILE    read admin.socket from FILE (default /etc/twoway/twoway.yaml)\n"
         "  --json           print the reply lines as they come (JSON)\n"
         "  --utc            show times in UTC\n"
         "  --timeout SECS   wait at most this long for a reply (default 60; 0 = forever)\n"
         "  --version        print the version and the commit it was built from\n"
         "Try `twowayctl help` for the commands your role may run.\n"
         "`twowayctl consent-log ... --csv > file.csv` writes every matching row as CSV.\n"
         "`twowayctl send --kind campaign --to-file FILE TEXT` sends TEXT to every number in\n"
         "FILE (one a line, '#' comments; - is stdin); `twowayctl consent-import FILE` reads\n"
         "NUMBER,STATE rows. Both print progress on stderr and a summary at the end.\n"
         "Exit status: 0 ok, 1 the daemon answered an error, 64 usage, 69 cannot connect,\n"
         "75 no answer in time, 76 unreadable answer, 77 permission or role, 78 config error.\n";
}

// Reads one '\n'-terminated line; false on EOF, error, timeout or interruption.
bool read_line(int fd, std::string& buffer, std::string& line) {
  for (;;) {
    if (auto nl = buffer.find('\n'); nl != std::string::npos) {
      line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      return true;
    }
    if (buffer.size() > kMaxReplyLine) return false;
    char chunk[65536];
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR && !g_interrupted) continue;
    return false;
  }
}

// Writes the whole line; false when the socket refused it.
bool send_line(int fd, const std::string& line) {
  for (std::size_t sent = 0; sent < line.size();) {
    const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Sends one request line and reads its reply into `reply_line` / `reply`. Returns kOk, or the
// exit code after saying on stderr what went wrong (kOk with an empty reply_line when
// interrupted while waiting).
int exchange(int fd, const std::string& socket_path, const std::string& line, std::string& buffer,
             std::string& reply_line, nlohmann::json& reply) {
  if (!send_line(fd, line)) {
    std::cerr << "twowayctl: cannot send to " << socket_path << ": " << std::strerror(errno)
              << "\n";
    return kCannotConnect;
  }
  if (!read_line(fd, buffer, reply_line)) {
    reply_line.clear();
    if (g_interrupted) return kOk;
    const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
    std::cerr << "twowayctl: no reply from " << socket_path
              << (timed_out ? " (timed out)" : " (connection closed)") << "\n";
    return timed_out ? kNoAnswer : kCannotConnect;
  }
  reply = nlohmann::json::parse(reply_line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    std::cerr << "twowayctl: the daemon sent something that is not JSON\n";
    return kBadAnswer;
  }
  return kOk;
}

// `consent-log ... --csv`: fetches every page over the one connection (following next_cursor)
// and prints one CSV document, header first. Returns the exit code.
int consent_log_csv(int fd, const std::string& socket_path, std::vector<std::string> words) {
  // What the user asked for, without --csv (rendered here) and --after (the paging cursor).
  std::vector<std::string> base;
  std::string cursor;
  bool has_limit = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--csv") continue;
    if (w == "--after" && i + 1 < words.size()) {
      cursor = words[++i];
      continue;
    }
    if (w.rfind("--after=", 0) == 0) {
      cursor = w.substr(8);
      continue;
    }
    if (w == "--limit" || w.rfind("--limit=", 0) == 0) has_limit = true;
    base.push_back(w);
  }
  if (!has_limit) base.insert(base.end(), {"--limit", "1000"});  // fewer round trips
  std::string buffer, reply_line;
  for (bool first = true;; first = false) {
    std::vector<std::string> page = base;
    if (!cursor.empty()) page.insert(page.end(), {"--after", cursor});
    nlohmann::json reply;
    const int rc = exchange(fd, socket_path, twoway::daemon::join_command(page) + "\n", buffer,
                            reply_line, reply);
    if (rc != kOk || reply_line.empty()) return rc == kOk ? kCommandFailed : rc;
    if (!reply.value("ok", false)) {
      std::cerr << twoway::ctl::render_error(reply);
      return failure_status(reply);
    }
    std::cout << twoway::daemon::consent_log_csv(reply.value("entries", nlohmann::json::array()),
                                                 first);
    const auto next = reply.find("next_cursor");
    if (next == reply.end() || !next->is_string() || next->get<std::string>().empty()) break;
    if (next->get<std::string>() == cursor) {  // a daemon that does not move on
      std::cerr << "twowayctl: the daemon returned the same page twice\n";
      return kCommandFailed;
    }
    cursor = next->get<std::string>();
  }
  std::cout.flush();
  return std::cout ? kOk : kCommandFailed;
}

// An upload (send --to-file, consent-import): sends the command line, then the input's lines
// (a line "." becomes ". " so that it cannot end the upload early), then ".", while reading
// progress lines (shown on stderr) and the final answer. Returns the exit code.
int upload(int fd, const std::string& socket_path, const std::string& command_line, int in_fd,
           const std::string& command, bool raw_json, const twoway::ctl::RenderOptions& render,
           long timeout_seconds) {
  constexpr std::size_t kRefillBelow = 256 * 1024;
  std::string out = command_line + "\n", carry, in;
  std::size_t out_off = 0;
  bool input_done = false, write_failed = false, progress_shown = false;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto add_lines = [&](std::string_view data) {
    carry.append(data);
    std::size_t start = 0;
    for (std::size_t nl; (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(carry.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      out.append(line);
      if (line == ".") out.push_back(' ');
      out.push_back('\n');
    }
    carry.erase(0, start);
  };
  auto clear_progress = [&] {
    if (progress_shown && tty) std::cerr << "\r\x1b[K" << std::flush;
    progress_shown = false;
  };
  for (;;) {
    if (out_off > 0 && out_off == out.size()) {
      out.clear();
      out_off = 0;
    }
    const bool want_input = !input_done && !write_failed && out.size() - out_off < kRefillBelow;
    pollfd fds[2] = {
        {fd, static_cast<short>(POLLIN | (out_off < out.size() && !write_failed ? POLLOUT : 0)), 0},
        {in_fd, POLLIN, 0}};
    const int rc =
        ::poll(fds, want_input ? 2 : 1, timeout_seconds > 0 ? int(timeout_seconds * 1000) : -1);
    if (rc < 0 && errno == EINTR) {
      if (!g_interrupted) continue;
      clear_progress();
      std::cerr << "twowayctl: interrupted; what the daemon committed stays queued (its log "
                   "says how much)\n";
      return kCommandFailed;
    }
    if (rc == 0) {
      clear_progress();
      std::cerr << "twowayctl: no answer from " << socket_path << " (timed out)\n";
      return kNoAnswer;
    }
    if (want_input && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      char chunk[65536];
      const ssize_t n = ::read(in_fd, chunk, sizeof chunk);
      if (n > 0) {
        add_lines(std::string_view(chunk, static_cast<std::size_t>(n)));
      } else if (n == 0 || errno != EINTR) {
        if (n < 0) {
          std::cerr << "twowayctl: cannot read the input: " << std::strerror(errno) << "\n";
          return kUsage;
        }
        if (!carry.empty()) add_lines("\n");
        out += ".\n";
        input_done = true;
      }
    }
    if (fds[0].revents & POLLOUT) {
      const ssize_t n =
          ::send(fd, out.data() + out_off, out.size() - out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        out_off += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        write_failed = true;  // the daemon closed; its last line says why
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char chunk[65536];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        clear_progress();
        std::cerr << "twowayctl: no reply from " << socket_path << " (connection closed)\n";
        return kCannotConnect;
      }
      if (n > 0) in.append(chunk, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = in.find('\n')) != std::string::npos;) {
        const std::string line = in.substr(0, nl);
        in.erase(0, nl + 1);
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
          clear_progress();
          std::cerr << "twowayctl: the daemon sent something that is not JSON\n";
          return kBadAnswer;
        }
        if (j.contains("progress") && !j.contains("ok")) {
          if (raw_json) {
            std::cout << line << "\n" << std::flush;
          } else {
            std::cerr << (tty ? "\r\x1b[K" : "") << twoway::ctl::render_progress(j["progress"])
                      << (tty ? "" : "\n") << std::flush;
            progress_shown = true;
          }
          continue;
        }
        clear_progress();
        const bool ok = j.value("ok", false);
        if (raw_json) {
          std::cout << line << "\n";
        } else if (ok) {
          std::cout << twoway::ctl::render_reply(command, j, render);
        } else {
          std::cerr << twoway::ctl::render_error(j);
        }
        std::cout.flush();
        return ok ? kOk : failure_status(j);
      }
      if (in.size() > kMaxReplyLine) {
        std::cerr << "twowayctl: the daemon sent something that is not JSON\n";
        return kBadAnswer;
      }
    }
  }
}

// Opens an upload's input: "-" is stdin. -1 after saying why.
int open_input(const std::string& path) {
  if (path == "-") return STDIN_FILENO;
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    std::cerr << "twowayctl: cannot read " << path << ": " << std::strerror(errno) << "\n";
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace twoway;
  std::string socket_path, config_path;
  bool raw_json = false, config_given = false;
  long timeout_seconds = 60;
  ctl::RenderOptions render;
  std::vector<std::string> words;

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!words.empty()) {
      words.push_back(arg);  // everything after the command belongs to it
    } else if (arg == "--socket" || arg == "--config" || arg == "--timeout") {
      if (i + 1 >= argc) {
        std::cerr << "twowayctl: " << arg << " needs a value\n";
        return kUsage;
      }
      const std::string value = argv[++i];
      if (arg == "--socket") {
        socket_path = value;
      } else if (arg == "--config") {
        config_path = value;
        config_given = true;
      } else {
        char* end = nullptr;
        timeout_seconds = std::strtol(value.c_str(), &end, 10);
        if (*end != '\0' || timeout_seconds < 0) {
          std::cerr << "twowayctl: --timeout needs a number of seconds\n";
          return kUsage;
        }
      }
    } else if (arg == "--json") {
      raw_json = true;
    } else if (arg == "--utc") {
      render.utc = true;
    } else if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      return kOk;
    } else if (arg == "--version") {
      std::cout << daemon::version_line("twowayctl") << "\n";
      return kOk;
    } else if (arg.rfind("-", 0) == 0) {
      std::cerr << "twowayctl: unknown option " << arg << "\n";
      usage(std::cerr);
      return kUsage;
    } else {
      words.push_back(arg);
    }
  }
  if (words.empty()) {
    usage(std::cerr);
    return kUsage;
  }
  if (!socket_path.empty() && config_given) {
    std::cerr << "twowayctl: give --socket or --config, not both\n";
    return kUsage;
  }

  if (socket_path.empty()) {
    if (!config_given) config_path = "/etc/twoway/twoway.yaml";
    std::error_code ec;
    if (config_given || std::filesystem::exists(config_path, ec)) {
      auto loaded = daemon::load_config_file(config_path, daemon::FileChecks::off);
      if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
        return kConfig;
      }
      socket_path = loaded.config->admin.socket;
    } else {
      socket_path = "/run/twoway/admin.sock";
    }
  }

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    std::cerr << "twowayctl: socket path too long: " << socket_path << "\n";
    return kUsage;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    std::cerr << "twowayctl: cannot connect to " << socket_path << ": " << std::strerror(err)
              << (err == EACCES ? " (the socket's group, admin.group, lets its members in)" : "")
              << "\n";
    return err == EACCES || err == EPERM ? kPermission : kCannotConnect;
  }

  // Ctrl-C interrupts the blocking read (no SA_RESTART) so `watch` ends cleanly.
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const std::string command = words[0];
  const bool watching = command == "watch";
  if (!watching && timeout_seconds > 0) {
    timeval tv{timeout_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  if (command == "consent-log" && !raw_json &&
      std::find(words.begin() + 1, words.end(), "--csv") != words.end()) {
    const int rc = consent_log_csv(fd, socket_path, words);
    ::close(fd);
    return rc;
  }

  // Uploads: `send --to-file FILE` becomes send-bulk with FILE's numbers; `consent-import FILE`
  // sends FILE's rows.
  if (command == "send" || command == "consent-import") {
    std::vector<std::string> rest{command == "send" ? "send-bulk" : command};
    std::string input;
    bool has_input = false;
    for (std::size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (command == "send" && (w == "--to-file" || w.rfind("--to-file=", 0) == 0)) {
        if (w == "--to-file" && i + 1 >= words.size()) {
          std::cerr << "twowayctl: --to-file needs a file (- for stdin)\n";
          return kUsage;
        }
        input = w == "--to-file" ? words[++i] : w.substr(10);
        has_input = true;
      } else if (command == "consent-import" && !has_input && w.rfind("--", 0) != 0 &&
                 !(i > 1 && words[i - 1] == "--source")) {
        input = w;
        has_input = true;
      } else {
        rest.push_back(w);
      }
    }
    if (command == "consent-import" && !has_input) {
      std::cerr << "twowayctl: usage: consent-import FILE [--source import|admin] (FILE: "
                   "NUMBER,STATE rows; - for stdin)\n";
      return kUsage;
    }
    if (has_input) {
      const int in = open_input(input);
      if (in < 0) return kUsage;
      const std::string line =
          command == "send"
              ? daemon::join_command(rest, daemon::parse_usage(daemon::kSendBulkUsage))
              : daemon::join_command(rest);
      const int rc = upload(fd, socket_path, line, in, rest[0], raw_json, render, timeout_seconds);
      ::close(fd);
      return rc;
    }
  }

  std::string buffer, reply_line;
  nlohmann::json reply;
  // A free text (reply, send, settings values) goes as one quoted word: the daemon takes it
  // as typed, quotes and backslashes included.
  const std::string_view text_usage = daemon::free_text_usage(command);
  const std::string line = text_usage.empty()
                               ? daemon::join_command(words)
                               : daemon::join_command(words, daemon::parse_usage(text_usage));
  if (const int rc = exchange(fd, socket_path, line + "\n", buffer, reply_line, reply);
      rc != kOk || reply_line.empty())
    return rc;
  const bool ok = reply.value("ok", false);
  if (raw_json) {
    std::cout << reply_line << "\n";
  } else if (ok) {
    if (!watching) std::cout << ctl::render_reply(command, reply, render);
  } else {
    std::cerr << ctl::render_error(reply);
  }
  if (!ok) return failure_status(reply);
  if (!watching) return kOk;

  std::cout.flush();
  while (!g_interrupted && read_line(fd, buffer, reply_line)) {
    auto event = nlohmann::json::parse(reply_line, nullptr, false);
    if (raw_json) {
      std::cout << reply_line << "\n";
    } else if (event.is_object() && event.contains("ok") && !event.value("ok", true)) {
      std::cerr << ctl::render_error(event);
      return kCommandFailed;  // e.g. too_slow: the daemon dropped us
    } else if (!event.is_discarded()) {
      std::cout << ctl::render_event(event, render);
    }
    std::cout.flush();
  }
  ::close(fd);
  return kOk;
}
