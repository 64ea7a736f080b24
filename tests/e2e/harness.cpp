// Test harness for end-to-end tests: see harness.hpp.
#include "harness.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "smpp/charset.hpp"

extern char** environ;

namespace twoway::e2e {

bool wait_for(const std::function<bool()>& ready, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return ready();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string admin_raw(const std::string& socket, const std::string& bytes,
                      std::chrono::milliseconds limit) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (reply.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[65536];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (auto nl = reply.find('\n'); nl != std::string::npos) reply.resize(nl);
  return reply;
}

std::optional<nlohmann::json> admin_call(const std::string& socket, const std::string& line,
                                         std::chrono::milliseconds limit) {
  const auto reply = admin_raw(socket, line + "\n", limit);
  if (reply.empty()) return std::nullopt;
  auto j = nlohmann::json::parse(reply, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::optional<nlohmann::json> admin_call_as(uid_t uid, gid_t gid, const std::string& socket,
                                            const std::string& line) {
  int fds[2];
  if (::pipe(fds) != 0) return std::nullopt;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(2);
    const auto reply = admin_raw(socket, line + "\n", std::chrono::seconds(10));
    (void)!::write(fds[1], reply.data(), reply.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) reply.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto j = nlohmann::json::parse(reply, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/twoway-e2e-XXXXXX";
  if (char* p = ::mkdtemp(tmpl)) path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

SimRunner::SimRunner(sim::SimConfig config) {
  sim_ = std::make_unique<sim::Simulator>(io_, std::move(config));
  if (!sim_->listen()) port_ = sim_->port();
  thread_ = std::thread([this] { io_.run(); });
}

SimRunner::~SimRunner() {
  sim_->stop();
  // The simulator closes its connections on its io thread: its stop runs before the loop ends
  // (a stopped io_context drops queued handlers unrun). Bounded: a simulator that never
  // listened left the loop without work, and nothing runs what is posted.
  auto drained = std::make_shared<std::promise<void>>();
  boost::asio::post(io_, [drained] { drained->set_value(); });
  drained->get_future().wait_for(std::chrono::seconds(5));
  io_.stop();
  thread_.join();
}

Daemon::Daemon(const std::string& binary, const std::string& config, const std::string& log)
    : log_(log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::string b = binary, c = config;
  char* argv[] = {b.data(), const_cast<char*>("--config"), c.data(),
                  const_cast<char*>("--foreground"), nullptr};
  if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

Daemon::~Daemon() {
  if (running()) stop(SIGKILL, std::chrono::seconds(5));
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return false;
  }
  return r == 0;
}

int Daemon::stop(int signo, std::chrono::milliseconds limit) {
  if (pid_ > 0) ::kill(pid_, signo);
  wait_for([this] { return !running(); }, limit);
  return pid_ > 0 ? -1 : status_;
}

std::string Daemon::log() const {
  return read_file(log_);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string daemon_binary() {
  const char* bin = std::getenv("TWOWAYD_BIN");
  return bin != nullptr ? bin : TWOWAYD_BIN;
}

std::vector<std::string> mt_texts(sim::Simulator& s, const std::string& to) {
  std::vector<std::string> out;
  for (const auto& r : s.mt_records()) {
    if (r.destination_addr != to) continue;
    std::string_view data = r.short_message;
    if ((r.esm_class & 0x40) && !data.empty())
      data.remove_prefix(1 + static_cast<unsigned char>(data[0]));
    out.push_back(smpp::decode_text(r.data_coding, data).text);
  }
  return out;
}

std::string TestConfig::yaml(const std::string& dir, std::uint16_t port) const {
  return "organization:\n"
         "  name: " +
         org_name +
         "\n"
         "  prefix: Acme\n"
         "  support_email: help@acme.example\n"
         "smscs:\n"
         "  - name: sim\n"
         "    host: 127.0.0.1\n"
         "    port: " +
         std::to_string(port) +
         "\n"
         "    system_id: twoway\n"
         "    password: secret\n" +
         smsc_lines +
         "numbers:\n"
         "  - number: \"+" +
         number +
         "\"\n"
         "    smsc: sim\n" +
         after_numbers +
         "storage:\n"
         "  path: " +
         dir +
         "/state\n"
         "  durability: relaxed\n" +
         storage_lines +
         "admin:\n"
         "  socket: " +
         dir + "/admin.sock\n" + admin_lines + rest;
}

void DaemonTest::TearDown() {
  if (daemon_ && daemon_->running()) {
    EXPECT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  }
}

void DaemonTest::start_sim(const std::string& mo_destination, bool keep_mt_records) {
  sim::SimConfig sc;
  sc.system_id = "twoway";
  sc.password = "secret";
  sc.mo_destination = mo_destination;
  sc.keep_mt_records = keep_mt_records;
  sim_ = std::make_unique<SimRunner>(sc);
  ASSERT_NE(sim_->port(), 0) << "the simulator could not listen";
}

void DaemonTest::start_daemon() {
  daemon_ = std::make_unique<Daemon>(daemon_binary(), config_, dir_.path() + "/twowayd.log");
  const bool bound = wait_for([&] {
    auto s = admin_call(socket_, "status", std::chrono::seconds(1));
    return s && (*s)["ok"] == true && (*s)["binds_up"] == 1;
  });
  ASSERT_TRUE(bound) << "twowayd did not bind:\n" << daemon_->log();
}

nlohmann::json DaemonTest::call(const std::string& line) {
  auto j = admin_call(socket_, line);
  EXPECT_TRUE(j.has_value()) << "no answer to " << line << "\n" << daemon_->log();
  return j.value_or(nlohmann::json::object());
}

}  // namespace twoway::e2e
