// Test harness for end-to-end tests: a temp directory, the in-process SMSC simulator, the real
// twowayd as a child process, and an admin-socket client. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "tools/smsc_sim/sim.hpp"

namespace twoway::e2e {

/// Polls `ready` every 20 ms until it is true or `limit` passes; returns its last value.
bool wait_for(const std::function<bool()>& ready,
              std::chrono::milliseconds limit = std::chrono::seconds(15));

/// One request line to a Unix admin socket, one JSON line back (nullopt if none came).
std::optional<nlohmann::json> admin_call(
    const std::string& socket, const std::string& line,
    std::chrono::milliseconds limit = std::chrono::seconds(10));
/// admin_call from a child process running as `uid`/`gid` (the test runs as root), so the
/// daemon sees another peer identity.
std::optional<nlohmann::json> admin_call_as(uid_t uid, gid_t gid, const std::string& socket,
                                            const std::string& line);
/// The raw reply line (without its newline), "" when the connection closed first.
std::string admin_raw(const std::string& socket, const std::string& bytes,
                      std::chrono::milliseconds limit = std::chrono::seconds(10));

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// The simulator on its own io thread.
class SimRunner {
 public:
  explicit SimRunner(sim::SimConfig config);
  ~SimRunner();
  sim::Simulator& sim() { return *sim_; }
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<sim::Simulator> sim_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

/// twowayd as a child process; stderr goes to a log file in the temp dir.
class Daemon {
 public:
  Daemon(const std::string& binary, const std::string& config, const std::string& log);
  ~Daemon();
  /// Sends `signo` and waits (bounded) for the exit; returns the exit status, -1 on timeout.
  int stop(int signo, std::chrono::milliseconds limit = std::chrono::seconds(20));
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_;
  int status_ = -1;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

}  // namespace twoway::e2e
