// nats-server with JetStream for the cluster tests: one server or a cluster of three, on
// loopback ports chosen at run time, in a temporary folder, stopped (or killed) by the test.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace twoway::cluster::testing {

// A port nobody listens on now (the kernel's choice; the server binds it right after).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class NatsServers {
 public:
  // `count` servers (1, or 3 for a JetStream cluster).
  explicit NatsServers(int count = 1) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "twoway-nats-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = tmpl;
    for (int i = 0; i < count; ++i) {
      servers_.push_back({free_port(), count > 1 ? free_port() : 0, -1});
    }
    for (int i = 0; i < count; ++i) start(i);
    for (int i = 0; i < count; ++i) wait_ready(i);
  }
  ~NatsServers() {
    for (std::size_t i = 0; i < servers_.size(); ++i) stop(static_cast<int>(i), SIGTERM);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  NatsServers(const NatsServers&) = delete;
  NatsServers& operator=(const NatsServers&) = delete;

  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (const auto& s : servers_) out.push_back("nats://127.0.0.1:" + std::to_string(s.port));
    return out;
  }
  int size() const { return static_cast<int>(servers_.size()); }

  // Stops server `i` with `sig` (SIGKILL: as if its machine died) and waits for it.
  void stop(int i, int sig = SIGTERM) {
    auto& s = servers_[static_cast<std::size_t>(i)];
    if (s.pid <= 0) return;
    ::kill(s.pid, sig);
    int status = 0;
    ::waitpid(s.pid, &status, 0);
    s.pid = -1;
  }
  void start(int i) {
    auto& s = servers_[static_cast<std::size_t>(i)];
    const std::string name = "n" + std::to_string(i);
    std::vector<std::string> args = {
        TWOWAY_NATS_SERVER,     "-js", "-a", "127.0.0.1", "-p",
        std::to_string(s.port), "-n",  name, "-sd",       dir_ + "/" + name};
    if (servers_.size() > 1) {
      std::string routes;
      for (const auto& o : servers_) {
        if (!routes.empty()) routes += ",";
        routes += "nats://127.0.0.1:" + std::to_string(o.cluster_port);
      }
      args.insert(args.end(),
                  {"--cluster_name", "twoway-test", "--cluster",
                   "nats://127.0.0.1:" + std::to_string(s.cluster_port), "--routes", routes});
    }
    const std::string log = dir_ + "/" + name + ".log";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test that crashes leaves no server behind
      FILE* f = std::freopen(log.c_str(), "a", stderr);
      (void)f;
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    s.pid = pid;
  }
  void wait_ready(int i) {
    const int port = servers_[static_cast<std::size_t>(i)].port;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!port_open(port)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("nats-server did not start (see " + dir_ + ")");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  struct Server {
    int port;
    int cluster_port;
    pid_t pid;
  };
  std::string dir_;
  std::vector<Server> servers_;
};

}  // namespace twoway::cluster::testing
