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
#include <vector>

#include <gtest/gtest.h>

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

/// A loopback TCP port nothing listens on now (the kernel's pick, released at once); 0 if none.
std::uint16_t unused_port();

/// The twowayd under test: TWOWAYD_BIN from the environment (another build of the daemon run
/// against these tests), else the one built with them.
std::string daemon_binary();

/// The texts the simulator received for `to`, decoded (a UDH is skipped).
std::vector<std::string> mt_texts(sim::Simulator& s, const std::string& to);

/// A twowayd config for one simulator SMSC and one number, in the shape the tests share; each
/// test adds its own lines at the marked places.
struct TestConfig {
  std::string org_name = "Acme";
  std::string number = "15550001111";
  std::string smsc_lines;     ///< after the SMSC's password ("    window: 10\n"...)
  std::string after_numbers;  ///< top-level lines before storage ("default_region: US\n"...)
  std::string storage_lines;  ///< after storage.durability ("  map_size: 1048576\n"...)
  std::string admin_lines;    ///< after admin.socket ("  mode: \"0666\"\n"...)
  std::string rest;           ///< sections after admin

  std::string yaml(const std::string& dir, std::uint16_t port) const;
};

/// A test with the simulator, a temp dir and twowayd under its admin socket: start_sim() and
/// start_daemon() (bounded wait for the bind), call() on the admin socket, and TearDown stopping
/// the daemon with SIGTERM (expecting a clean stop).
class DaemonTest : public ::testing::Test {
 protected:
  void TearDown() override;

  /// The simulator with our system_id and password, MOs to `mo_destination`.
  void start_sim(const std::string& mo_destination, bool keep_mt_records = false);
  /// twowayd on config_; waits (bounded) until the admin socket says one bind is up.
  void start_daemon();
  /// One admin request; an empty object (and a failed EXPECT) when no answer came.
  nlohmann::json call(const std::string& line);

  TempDir dir_;
  std::unique_ptr<SimRunner> sim_;
  std::unique_ptr<Daemon> daemon_;
  std::string socket_ = dir_.path() + "/admin.sock";
  std::string config_ = dir_.path() + "/twoway.yaml";
};

}  // namespace twoway::e2e
