// Hostile clients on the real twowayd's admin socket: hundreds of connections at once, watchers
// that never read while events flow, 1 MiB lines, binary garbage, commands at full speed. Every
// error is a clear JSON line, root keeps being answered, and the daemon's memory stays bounded
// (VmRSS / VmHWM from /proc, printed to the test log).
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "tools/smsc_sim/mo_mix.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kOurNumber = "15550001111";
constexpr uid_t kNobody = 65534;  // a manager here (admin.roles.manager: [nobody])
constexpr gid_t kNogroup = 65534;
constexpr int kMaxConnections = 32;  // the default admin.max_connections

std::string config_yaml(const std::string& dir, std::uint16_t port) {
  TestConfig c;
  c.number = kOurNumber;
  c.smsc_lines = "    window: 10\n";
  c.after_numbers = "default_region: US\n";
  c.admin_lines =
      "  mode: \"0666\"\n"
      "  roles:\n"
      "    manager: [nobody]\n";
  c.rest =
      "conversations:\n"
      "  quiet_hours:\n"
      "    enabled: false\n";
  return c.yaml(dir, port);
}

/// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); -1 when unreadable.
long proc_kib(pid_t pid, const std::string& field) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find(field + ":");
  if (at == std::string::npos) return -1;
  return std::strtol(status.c_str() + at + field.size() + 1, nullptr, 10);
}

int connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Reads from one socket, line by line, with a deadline on every wait.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  /// The next line without '\n'; nullopt at EOF or when `limit` passes first.
  std::optional<std::string> line(milliseconds limit = seconds(15)) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string out = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return out;
      }
      if (eof_) return std::nullopt;
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
      char chunk[65536];
      const auto n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) {
        eof_ = true;
      } else {
        buf_.append(chunk, static_cast<std::size_t>(n));
      }
    }
  }
  bool eof() const { return eof_; }

 private:
  int fd_;
  std::string buf_;
  bool eof_ = false;
};

/// An admin error line's code, or "" when `line` is not {"ok":false,"error":{"code":..,
/// "message":..}} with a non-empty message.
std::string error_code_of(const std::string& line) {
  const json j = json::parse(line, nullptr, false);
  if (!j.is_object() || j.value("ok", true) != false || !j.contains("error")) return "";
  const json& e = j["error"];
  if (!e.is_object() || !e.contains("code") || !e.contains("message") || !e["code"].is_string() ||
      !e["message"].is_string() || e["message"].get<std::string>().empty())
    return "";
  return e["code"].get<std::string>();
}

/// A forked child running as another user (the test runs as root), talking to the test over
/// two pipes: words up ("open"), words down ("read"), and one JSON result at the end.
class AsUser {
 public:
  AsUser(uid_t uid, gid_t gid, const std::function<json(AsUser&)>& body) {
    if (::pipe2(up_, O_CLOEXEC) != 0 || ::pipe2(down_, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(up_[0]);
      ::close(down_[1]);
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(2);
      json result;
      try {
        result = body(*this);
      } catch (const std::exception& e) {
        result = {{"exception", e.what()}};
      }
      write_line(up_[1], "result " + result.dump());
      ::_exit(0);
    }
    ::close(up_[1]);
    ::close(down_[0]);
    up_[1] = down_[0] = -1;
    up_reader_ = LineReader(up_[0]);
  }
  ~AsUser() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {up_[0], up_[1], down_[0], down_[1]})
      if (fd >= 0) ::close(fd);
  }
  bool started() const { return pid_ > 0; }

  // In the child.
  void tell(const std::string& word) { write_line(up_[1], word); }
  bool await(const std::string& word, milliseconds limit = seconds(120)) {
    LineReader r(down_[0]);
    return r.line(limit) == word;
  }

  // In the test.
  bool heard(const std::string& word, milliseconds limit = seconds(60)) {
    return up_reader_.line(limit) == word;
  }
  void go(const std::string& word) { write_line(down_[1], word); }
  json result(milliseconds limit = seconds(60)) {
    const auto line = up_reader_.line(limit);
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) pid_ = -1;
    if (!line || line->rfind("result ", 0) != 0) return {{"exception", "no result from the child"}};
    return json::parse(line->substr(7), nullptr, false);
  }

 private:
  static void write_line(int fd, const std::string& text) {
    const std::string line = text + "\n";
    (void)!::write(fd, line.data(), line.size());
  }
  pid_t pid_ = -1;
  int up_[2] = {-1, -1}, down_[2] = {-1, -1};
  LineReader up_reader_{-1};
};

class HostileAdmin : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber));
    ::chmod(dir_.path().c_str(), 0755);  // nobody reaches the socket
    write_file(config_, config_yaml(dir_.path(), sim_->port()));
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    rss_start_ = proc_kib(daemon_->pid(), "VmRSS");
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log().substr(0, 20000);
    }
  }

  // Prints twowayd's memory and asserts generous bounds on its growth since start-up. Under
  // AddressSanitizer freed memory waits in its quarantine (256 MiB by default) before it is
  // reused, and ThreadSanitizer keeps shadow memory (several times what the program uses) and
  // access histories, so the bound there only catches growth without limit.
  void check_memory(const char* what, long max_growth_kib) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    max_growth_kib = std::max(max_growth_kib, 1024L * 1024L);
#endif
    const long rss = proc_kib(daemon_->pid(), "VmRSS");
    const long hwm = proc_kib(daemon_->pid(), "VmHWM");
    std::printf(
        "[ memory   ] %s: twowayd VmRSS %ld KiB at start, %ld KiB now, peak (VmHWM) %ld KiB\n",
        what, rss_start_, rss, hwm);
    ASSERT_GT(rss_start_, 0);
    EXPECT_LT(rss - rss_start_, max_growth_kib) << what;
    EXPECT_LT(hwm - rss_start_, max_growth_kib) << what;
  }

  std::size_t log_count(const std::string& needle) {
    const std::string log = daemon_->log();
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
    return n;
  }

  long rss_start_ = -1;
};

// Root asks `status` in a loop on its own thread until stopped; every answer must be ok.
class RootStatusLoop {
 public:
  explicit RootStatusLoop(std::string socket) : socket_(std::move(socket)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        const auto t0 = Clock::now();
        const auto r = admin_call(socket_, "status", seconds(10));
        const auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
        slowest_ms_ = std::max<long>(slowest_ms_, ms);
        if (r && (*r)["ok"] == true) {
          ++answered_;
        } else {
          ++failed_;
        }
      }
    });
  }
  ~RootStatusLoop() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int answered() const { return answered_; }
  int failed() const { return failed_; }
  long slowest_ms() const { return slowest_ms_; }

 private:
  std::string socket_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0}, failed_{0};
  std::atomic<long> slowest_ms_{0};
  std::thread thread_;
};

TEST_F(HostileAdmin, HundredsOfIdleConnectionsAtOnceDoNotLockRootOut) {
  constexpr int kHostile = 400;
  const std::string socket = socket_;
  AsUser nobody(kNobody, kNogroup, [socket](AsUser& self) -> json {
    std::vector<int> fds;
    for (int i = 0; i < kHostile; ++i) {
      const int fd = connect_unix(socket);
      if (fd >= 0) fds.push_back(fd);
    }
    self.tell("open");
    if (!self.await("read")) return {{"exception", "no go-ahead"}};
    // Each connection either was evicted (one clear line, then EOF) or still holds a slot.
    std::vector<LineReader> readers;
    for (int fd : fds) readers.emplace_back(fd);
    json codes = json::object();
    json bad = json::array();
    std::vector<bool> done(fds.size(), false);
    int open = static_cast<int>(fds.size());
    const auto deadline = Clock::now() + seconds(30);
    while (open > kMaxConnections && Clock::now() < deadline) {
      std::vector<pollfd> polls;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (done[i]) continue;
        polls.push_back({fds[i], POLLIN, 0});
        index.push_back(i);
      }
      if (::poll(polls.data(), polls.size(), 1000) <= 0) continue;
      for (std::size_t k = 0; k < polls.size(); ++k) {
        if (!polls[k].revents) continue;
        const std::size_t i = index[k];
        while (auto line = readers[i].line(milliseconds(1000))) {
          const std::string code = error_code_of(*line);
          if (code.empty()) {
            bad.push_back(*line);
          } else {
            codes[code] = codes.value(code, 0) + 1;
          }
          if (readers[i].eof()) break;
        }
        if (readers[i].eof()) {
          done[i] = true;
          --open;
        }
      }
    }
    for (int fd : fds) ::close(fd);
    return {{"opened", fds.size()}, {"still_open", open}, {"codes", codes}, {"bad", bad}};
  });
  ASSERT_TRUE(nobody.started());

  RootStatusLoop root(socket_);  // all through the flood
  ASSERT_TRUE(nobody.heard("open"));
  // With every slot held by an idle connection, root's status still gets answered.
  ASSERT_TRUE(wait_for([&] { return root.answered() >= 5; }, seconds(30)));
  root.stop();
  const auto status = admin_call(socket_, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["ok"], true);
  nobody.go("read");
  const json r = nobody.result();
  std::printf("[ hostile  ] %s; root: %d status answered, %d not, slowest %ld ms\n",
              r.dump().c_str(), root.answered(), root.failed(), root.slowest_ms());
  ASSERT_FALSE(r.contains("exception")) << r.dump();
  EXPECT_EQ(root.failed(), 0);
  EXPECT_EQ(r["opened"], kHostile);
  EXPECT_TRUE(r["bad"].empty()) << r["bad"].dump();
  EXPECT_LE(r["still_open"].get<int>(), kMaxConnections);
  // Idle connections are evicted, never refused; each was told so.
  EXPECT_EQ(r["codes"].size(), 1u) << r["codes"].dump();
  EXPECT_EQ(r["codes"].value("evicted", 0) + r["still_open"].get<int>(), kHostile);
  EXPECT_GE(log_count("admin connection evicted"), std::size_t{kHostile - kMaxConnections});
  // nobody still gets in afterwards.
  const auto again = admin_call_as(kNobody, kNogroup, socket_, "status");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)["ok"], true);
  check_memory("400 idle connections", 64 * 1024);
}

TEST_F(HostileAdmin, WatchersThatNeverReadAreDroppedWithBoundedMemory) {
  const std::string socket = socket_;
  AsUser nobody(kNobody, kNogroup, [socket](AsUser& self) -> json {
    // Fill every slot with a watch stream (a connection closing just now may refuse one).
    std::vector<int> watchers;
    int refused_watch = 0;
    for (int attempt = 0; attempt < 2000 && watchers.size() < kMaxConnections; ++attempt) {
      const int fd = connect_unix(socket);
      if (fd < 0) continue;
      LineReader r(fd);
      if (send_all(fd, "watch\n") && r.line() == R"({"ok":true,"stream":true})") {
        watchers.push_back(fd);
      } else {
        ++refused_watch;
        ::close(fd);
      }
    }
    // More connections than there are slots: streams are not idle, so managers are refused.
    json extra = json::object();
    json bad = json::array();
    for (int i = 0; i < 100; ++i) {
      const int fd = connect_unix(socket);
      if (fd < 0) continue;
      send_all(fd, "status\n");
      LineReader r(fd);
      const auto line = r.line();
      const std::string code = line ? error_code_of(*line) : "";
      if (code.empty()) bad.push_back(line.value_or("<no line>"));
      extra[code] = extra.value(code, 0) + 1;
      ::close(fd);
    }
    self.tell("watching");
    if (!self.await("read")) return {{"exception", "no go-ahead"}};
    // Now read what each watcher got: events, then one too_slow line, then EOF.
    int dropped = 0;
    std::size_t events = 0, most_bytes = 0;
    for (int fd : watchers) {
      LineReader r(fd);
      std::string last;
      std::size_t bytes = 0;
      while (auto line = r.line()) {
        bytes += line->size() + 1;
        if (!last.empty()) {
          const json e = json::parse(last, nullptr, false);
          if (e.is_object() && e.contains("event")) {
            ++events;
          } else {
            bad.push_back(last.substr(0, 200));
          }
        }
        last = *line;
      }
      most_bytes = std::max(most_bytes, bytes);
      if (r.eof() && error_code_of(last) == "too_slow") {
        ++dropped;
      } else {
        bad.push_back("watcher ended with: " + last.substr(0, 200));
      }
      ::close(fd);
    }
    return {{"watchers", watchers.size()},
            {"refused_watch", refused_watch},
            {"extra", extra},
            {"dropped", dropped},
            {"events", events},
            {"most_bytes_read", most_bytes},
            {"bad", bad}};
  });
  ASSERT_TRUE(nobody.started());
  ASSERT_TRUE(nobody.heard("watching"));

  // Every slot is a stream: root gets in on the owner's reserved slot.
  const auto status = admin_call(socket_, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["ok"], true);

  // Events flow (texts from 500 customers, their auto-replies and receipts) until the daemon
  // has dropped every watcher; bounded rounds.
  std::uint64_t injected = 0;
  const auto all_dropped = [&] {
    return log_count("reason=too_slow") >= static_cast<std::size_t>(kMaxConnections);
  };
  for (int round = 0; round < 20 && !all_dropped(); ++round) {
    for (int i = 0; i < 2000; ++i, ++injected) {
      sim_->sim().inject_mo("twoway",
                            sim::text_template("hello " + std::to_string(injected), "text"),
                            "1650253" + std::to_string(1000 + injected % 500));
    }
    ASSERT_TRUE(
        wait_for([&] { return sim_->sim().counters().mo_messages_acked >= injected; }, seconds(60)))
        << "twowayd did not take the texts";
  }
  ASSERT_TRUE(wait_for(all_dropped, seconds(30))) << "watchers not dropped";
  std::printf("[ hostile  ] %llu texts injected\n", static_cast<unsigned long long>(injected));
  check_memory("32 watchers that never read", 128 * 1024);

  nobody.go("read");
  const json r = nobody.result(seconds(120));
  std::printf("[ hostile  ] %s\n", r.dump().c_str());
  ASSERT_FALSE(r.contains("exception")) << r.dump();
  EXPECT_EQ(r["watchers"], kMaxConnections);
  EXPECT_EQ(r["dropped"], kMaxConnections);
  EXPECT_TRUE(r["bad"].empty()) << r["bad"].dump().substr(0, 2000);
  EXPECT_EQ(r["extra"], (json{{"too_many_connections", 100}}));
  // Bounded: what a watcher could have had queued (1 MiB) plus what the socket held.
  EXPECT_LT(r["most_bytes_read"].get<std::size_t>(), std::size_t{4} << 20);
  // The slots are free again.
  const auto again = admin_call_as(kNobody, kNogroup, socket_, "status");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)["ok"], true);
}

TEST_F(HostileAdmin, HugeLinesGarbageAndFullSpeedCommandsGetClearErrors) {
  RootStatusLoop root(socket_);
  std::atomic<int> failures{0};
  std::mutex notes_mutex;
  std::vector<std::string> notes;
  const auto fail = [&](std::string note) {
    ++failures;
    std::lock_guard lock(notes_mutex);
    if (notes.size() < 20) notes.push_back(note.substr(0, 300));
  };
  std::vector<std::thread> clients;

  // 1 MiB lines: a clear line_too_long, then the connection closes.
  std::atomic<int> huge_refused{0};
  clients.emplace_back([&] {
    for (int i = 0; i < 3; ++i) {
      const int fd = connect_unix(socket_);
      if (fd < 0) return fail("huge: cannot connect");
      std::thread writer([fd] { send_all(fd, std::string(1 << 20, 'x') + "\n"); });
      LineReader r(fd);
      const auto line = r.line();
      const bool closed = !r.line().has_value() && r.eof();
      ::shutdown(fd, SHUT_RDWR);
      writer.join();
      ::close(fd);
      if (!line || error_code_of(*line) != "line_too_long" || !closed) {
        fail("huge: " + line.value_or("<none>"));
      } else {
        ++huge_refused;
      }
    }
  });

  // Binary garbage (NULs, quotes, invalid UTF-8), lines up to 1000 bytes: one JSON error each.
  std::atomic<int> garbage_answered{0};
  int garbage_lines = 0;
  std::string garbage;
  {
    std::mt19937 rng(20261202);
    while (garbage.size() < (256u << 10)) {
      const std::size_t len = rng() % 1000;
      for (std::size_t i = 0; i < len; ++i) {
        char c = static_cast<char>(rng() & 0xff);
        garbage.push_back(c == '\n' ? '\x01' : c);
      }
      garbage.push_back('\n');
      ++garbage_lines;
    }
  }
  clients.emplace_back([&] {
    const int fd = connect_unix(socket_);
    if (fd < 0) return fail("garbage: cannot connect");
    std::thread writer([&] { send_all(fd, garbage); });
    LineReader r(fd);
    for (int i = 0; i < garbage_lines; ++i) {
      const auto line = r.line();
      if (!line) {
        fail("garbage: no answer to line " + std::to_string(i));
        break;
      }
      const std::string code = error_code_of(*line);
      if (code != "bad_request" && code != "unknown_command") {
        fail("garbage: " + *line);
        break;
      }
      ++garbage_answered;
    }
    ::shutdown(fd, SHUT_RDWR);
    writer.join();
    ::close(fd);
  });

  // Several clients at full speed, pipelining valid and invalid commands.
  std::atomic<int> fast_answered{0};
  constexpr int kFastClients = 4, kFastCommands = 2000;
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"status", ""},
      {"inbox --limit 5", ""},
      {"help", ""},
      {"thread +16502530001", "not_found"},
      {"inbox --before zzz", "bad_request"},
      {"bogus", "unknown_command"},
      {"", "bad_request"},
      {"reply", "bad_request"},
  };
  for (int c = 0; c < kFastClients; ++c) {
    clients.emplace_back([&] {
      const int fd = connect_unix(socket_);
      if (fd < 0) return fail("fast: cannot connect");
      std::string batch;
      for (int i = 0; i < kFastCommands; ++i) batch += commands[i % commands.size()].first + "\n";
      std::thread writer([&] { send_all(fd, batch); });
      LineReader r(fd);
      for (int i = 0; i < kFastCommands; ++i) {
        const auto line = r.line();
        const std::string& want = commands[i % commands.size()].second;
        if (!line) {
          fail("fast: no answer to " + commands[i % commands.size()].first);
          break;
        }
        const json j = json::parse(*line, nullptr, false);
        const bool good =
            want.empty() ? (j.is_object() && j.value("ok", false)) : error_code_of(*line) == want;
        if (!good) {
          fail("fast: " + commands[i % commands.size()].first + " -> " + *line);
          break;
        }
        ++fast_answered;
      }
      ::shutdown(fd, SHUT_RDWR);
      writer.join();
      ::close(fd);
    });
  }
  for (auto& t : clients) t.join();
  ASSERT_TRUE(wait_for([&] { return root.answered() >= 3; }, seconds(30)));
  root.stop();
  std::printf(
      "[ hostile  ] 1 MiB lines refused %d/3, garbage lines answered %d/%d, fast commands "
      "answered %d/%d; root: %d status answered, %d not, slowest %ld ms\n",
      huge_refused.load(), garbage_answered.load(), garbage_lines, fast_answered.load(),
      kFastClients * kFastCommands, root.answered(), root.failed(), root.slowest_ms());
  for (const auto& n : notes) ADD_FAILURE() << n;
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(huge_refused.load(), 3);
  EXPECT_EQ(garbage_answered.load(), garbage_lines);
  EXPECT_EQ(fast_answered.load(), kFastClients * kFastCommands);
  EXPECT_EQ(root.failed(), 0);
  check_memory("huge lines, garbage, full speed", 64 * 1024);
}

}  // namespace
}  // namespace twoway::e2e
