// End-to-end: what a reload and a storage problem look like to an operator of the real
// twowayd. A changed bind setting takes effect (even on a bind waiting in backoff); a reload
// that cannot be applied (a missing TLS or password file) is refused whole, by SIGHUP or the
// admin socket, with the SMSC, key and file named, and the running binds stay up; a full store
// refuses inbound (retryable) and says so; a storage failure ends the daemon with a non-zero
// exit status, so systemd's Restart=on-failure brings it back.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kOurNumber = "15550001111";

/// The parts of the config these tests change.
struct DaemonSetup {
  std::uint16_t port = 0;
  std::string password_line = "    password: secret\n";
  std::string reconnect_min = "100ms", reconnect_max = "1s";
  std::string extra;  ///< more lines of the SMSC (a "    tls:" block...)
  std::string map_size;
};

std::string config_yaml(const std::string& dir, const DaemonSetup& s) {
  std::string y =
      "organization:\n  name: Acme\n  prefix: Acme\n"
      "smscs:\n"
      "  - name: sim\n"
      "    host: 127.0.0.1\n"
      "    port: " +
      std::to_string(s.port) + "\n    system_id: twoway\n" + s.password_line +
      "    window: 10\n"
      "    enquire_link_interval: 5s\n"
      "    reconnect_min: " +
      s.reconnect_min + "\n    reconnect_max: " + s.reconnect_max +
      "\n"
      "    bind_failure_backoff: 200ms\n" +
      s.extra +
      "numbers:\n"
      "  - number: \"+" +
      kOurNumber +
      "\"\n"
      "    smsc: sim\n"
      "storage:\n"
      "  path: " +
      dir + "/state\n  durability: relaxed\n";
  if (!s.map_size.empty()) y += "  map_size: " + s.map_size + "\n";
  y += "admin:\n  socket: " + dir + "/admin.sock\n";
  return y;
}

/// Runs a program to its end (bounded); its stdout and stderr together, and its exit status.
std::pair<int, std::string> run(const std::vector<std::string>& args, const std::string& out) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = -1;
  wait_for([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(30));
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out)};
}

/// Lines of `log` holding both `a` and `b`.
int count_lines(const std::string& log, const std::string& a, const std::string& b) {
  int n = 0;
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string_view line(log.data() + start, end - start);
    if (line.find(a) != std::string_view::npos && line.find(b) != std::string_view::npos) ++n;
    start = end + 1;
  }
  return n;
}

class Reload : public DaemonTest {
 protected:
  void start_sim(std::uint16_t port = 0, std::uint64_t mo_per_bind = 0,
                 std::vector<std::string> texts = {}) {
    sim::SimConfig sc;
    sc.port = port;
    sc.system_id = "twoway";
    sc.password = "secret";
    sc.mo_destination = kOurNumber;
    sc.mo_per_bind = mo_per_bind;
    sc.from_count = 1000;
    sc.texts = std::move(texts);
    sim_ = std::make_unique<SimRunner>(sc);
    ASSERT_NE(sim_->port(), 0) << "the simulator could not listen";
    setup_.port = sim_->port();
  }

  void write_config() { write_file(config_, config_yaml(dir_.path(), setup_)); }

  /// Starts twowayd and waits for its admin socket (and, when `bound`, for its bind).
  void start_daemon(bool bound = true) {
    write_config();
    daemon_ = std::make_unique<Daemon>(daemon_binary(), config_, dir_.path() + "/twowayd.log");
    const bool up = wait_for([&] {
      auto s = admin_call(socket_, "status", std::chrono::seconds(1));
      return s && (*s)["ok"] == true && (!bound || (*s)["binds_up"] == 1);
    });
    ASSERT_TRUE(up) << "twowayd did not come up:\n" << daemon_->log();
  }

  int binds_up() { return call("status").value("binds_up", -1); }

  bool log_has(const std::string& text) { return daemon_->log().find(text) != std::string::npos; }

  DaemonSetup setup_;
};

TEST_F(Reload, NewReconnectDelaysReachABindWaitingInBackoff) {
  // The SMSC is down at start: the bind fails and waits 30 to 60 s (reconnect_min 1m,
  // jittered) before its next attempt.
  setup_.port = unused_port();
  ASSERT_NE(setup_.port, 0);
  setup_.reconnect_min = "1m";
  setup_.reconnect_max = "2m";
  start_daemon(false);
  ASSERT_TRUE(wait_for([&] { return log_has("state=backoff"); })) << daemon_->log();

  // The SMSC comes back and the operator shortens the delays.
  start_sim(setup_.port);
  setup_.reconnect_min = "200ms";
  setup_.reconnect_max = "1s";
  write_config();
  const auto reloaded = Clock::now();
  auto r = call("reload");
  ASSERT_EQ(r["ok"], true) << r.dump() << daemon_->log();

  // The new delays apply at once: bound within seconds, not after the old backoff.
  ASSERT_TRUE(wait_for([&] { return binds_up() == 1; }, std::chrono::seconds(15)))
      << "the bind kept its old backoff:\n"
      << daemon_->log();
  EXPECT_LT(Clock::now() - reloaded, std::chrono::seconds(15));
  EXPECT_TRUE(log_has("smsc=sim config changed keys=reconnect_max,reconnect_min: rebinding"))
      << daemon_->log();
}

TEST_F(Reload, ChangedBindSettingRebindsAndUnchangedOneStaysUp) {
  start_sim();
  start_daemon();
  const auto connections = sim_->sim().counters().connections;

  // A reload that changes nothing under the SMSC leaves its bind alone.
  auto r = call("reload");
  ASSERT_EQ(r["ok"], true) << r.dump();
  // A reconnect asked for after it is the only new connection: a rebind by the reload would
  // have come first.
  ASSERT_EQ(call("smsc reconnect sim")["ok"], true);
  ASSERT_TRUE(wait_for([&] {
    return sim_->sim().counters().connections > connections && binds_up() == 1;
  })) << daemon_->log();
  EXPECT_EQ(sim_->sim().counters().connections, connections + 1);
  EXPECT_TRUE(log_has("reload config unchanged")) << daemon_->log();

  // max_command_length was not among the keys compared before: now it rebinds.
  setup_.extra = "    max_command_length: 4096\n";
  write_config();
  r = call("reload");
  ASSERT_EQ(r["ok"], true) << r.dump() << daemon_->log();
  ASSERT_TRUE(wait_for([&] { return sim_->sim().counters().binds_ok >= 2 && binds_up() == 1; }))
      << daemon_->log();
  EXPECT_TRUE(log_has("smsc=sim config changed keys=max_command_length: rebinding"))
      << daemon_->log();
}

/// A TLS section whose CA bundle does not exist.
std::string missing_ca(const std::string& dir) {
  return "    tls:\n      enabled: true\n      ca_file: " + dir + "/no-such-ca.pem\n";
}

TEST_F(Reload, AdminReloadWithAMissingCaFileIsRefusedAndTheBindStays) {
  start_sim();
  start_daemon();
  const auto before = sim_->sim().counters();

  setup_.extra = missing_ca(dir_.path());
  write_config();
  auto r = call("reload");
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_EQ(r["error"]["code"], "bad_config") << r.dump();
  const std::string message = r["error"].value("message", "");
  EXPECT_NE(message.find("smscs[0].tls.ca_file"), std::string::npos) << message;
  EXPECT_NE(message.find(dir_.path() + "/no-such-ca.pem"), std::string::npos) << message;
  EXPECT_NE(message.find("smsc sim"), std::string::npos) << message;

  // The old config keeps running: the same bind, never dropped.
  EXPECT_EQ(binds_up(), 1);
  EXPECT_TRUE(daemon_->running());
  const auto after = sim_->sim().counters();
  EXPECT_EQ(after.connections, before.connections);
  EXPECT_EQ(after.unbinds_received, before.unbinds_received);
  EXPECT_TRUE(log_has("reload refused")) << daemon_->log();

  // Fixed, the next reload goes through.
  setup_.extra.clear();
  setup_.reconnect_max = "2s";
  write_config();
  r = call("reload");
  EXPECT_EQ(r["ok"], true) << r.dump();
}

TEST_F(Reload, SighupWithAMissingCaFileIsRefusedAndTheDaemonKeepsRunning) {
  start_sim();
  start_daemon();
  const auto before = sim_->sim().counters();

  setup_.extra = missing_ca(dir_.path());
  write_config();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
    // Each refusal names the SMSC's key and the file.
    ASSERT_TRUE(wait_for([&] {
      return count_lines(daemon_->log(), "reload refused: ", "smscs[0].tls.ca_file") >= i;
    })) << daemon_->log();
    ASSERT_TRUE(daemon_->running()) << daemon_->log();
  }
  EXPECT_TRUE(log_has(dir_.path() + "/no-such-ca.pem")) << daemon_->log();
  EXPECT_EQ(binds_up(), 1);
  EXPECT_EQ(sim_->sim().counters().connections, before.connections);
}

TEST_F(Reload, UnreadablePasswordFileIsARefusalNeverAnEmptyPassword) {
  start_sim();
  const std::string pw = dir_.path() + "/smsc.pw";
  write_file(pw, "secret\n");
  setup_.password_line = "    password_file: " + pw + "\n";
  start_daemon();  // bound with the password the file holds

  // The file goes away: a rebind is refused with the reason, and never tried with no password.
  std::filesystem::remove(pw);
  const auto refused_before = sim_->sim().counters().binds_refused;
  ASSERT_EQ(call("smsc reconnect sim")["ok"], true);
  ASSERT_TRUE(wait_for([&] { return log_has("bind refused: smsc=sim"); })) << daemon_->log();
  EXPECT_TRUE(log_has("key=smscs[].password_file file=" + pw + ": cannot read '" + pw +
                      "': No such file or directory"))
      << daemon_->log();
  auto list = call("smsc list");
  ASSERT_EQ(list["smscs"].size(), 1u) << list.dump();
  EXPECT_NE(list["smscs"][0].value("bind_error", "").find("password_file"), std::string::npos)
      << list.dump();
  EXPECT_EQ(binds_up(), 0);
  // Asked again, it is refused here again: no bind with an empty password reaches the SMSC.
  const auto local_refusals = [&] {
    const std::string log = daemon_->log();
    std::size_t n = 0;
    for (auto at = log.find("bind refused: smsc=sim"); at != std::string::npos;
         at = log.find("bind refused: smsc=sim", at + 1))
      ++n;
    return n;
  };
  ASSERT_EQ(call("smsc reconnect sim")["ok"], true);
  ASSERT_TRUE(wait_for([&] { return local_refusals() >= 2; })) << daemon_->log();
  EXPECT_EQ(sim_->sim().counters().binds_refused, refused_before);

  // A reload now is refused too, and --check-config says where.
  auto r = call("reload");
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].value("message", "").find("smscs[0].password_file: cannot read"),
            std::string::npos)
      << r.dump();
  const auto [status, out] =
      run({daemon_binary(), "--check-config", "--config", config_}, dir_.path() + "/check.out");
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find(config_ + ":9:5: smscs[0].password_file: cannot read '" + pw +
                     "': No such file or directory (smsc sim)"),
            std::string::npos)
      << out;

  // Back in place: the next reload binds again.
  write_file(pw, "secret\n");
  r = call("reload");
  EXPECT_EQ(r["ok"], true) << r.dump();
  EXPECT_TRUE(wait_for([&] { return binds_up() == 1; })) << daemon_->log();
}

TEST_F(Reload, CheckConfigNamesAMissingTlsFile) {
  setup_.port = 2775;
  setup_.extra = missing_ca(dir_.path());
  write_config();
  const auto [status, out] =
      run({daemon_binary(), "--check-config", "--config", config_}, dir_.path() + "/check.out");
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find(config_ + ":17:7: smscs[0].tls.ca_file: cannot read '" + dir_.path() +
                     "/no-such-ca.pem': No such file or directory (smsc sim)"),
            std::string::npos)
      << out;
}

TEST_F(Reload, FullStoreRefusesInboundRetryablyAndSaysWhichSettingToRaise) {
  // storage.map_size is the largest the store may grow: 1 MiB fills with a few thousand texts.
  setup_.map_size = "1048576";
  start_sim(0, 50000, {std::string(300, 'x')});
  start_daemon();
  ASSERT_TRUE(wait_for([&] { return log_has("storage full"); }, std::chrono::seconds(90)))
      << daemon_->log();
  EXPECT_TRUE(log_has("storage.map_size=1048576")) << daemon_->log();
  EXPECT_TRUE(log_has("raise storage.map_size")) << daemon_->log();
  // Refused with a status the SMSC retries, and the daemon stays up.
  EXPECT_GT(sim_->sim().counters().mo_pdus_nacked, 0u);
  EXPECT_TRUE(daemon_->running());
  EXPECT_LE(std::filesystem::file_size(dir_.path() + "/state/data.mdb"), 1048576u);
  EXPECT_EQ(call("status")["ok"], true);
}

TEST_F(Reload, StorageFailureStopsWithANonZeroExitStatus) {
  // The disk fills: the daemon's files may not grow past a limit (RLIMIT_FSIZE, with SIGXFSZ
  // ignored, so a write past it fails with EFBIG as on a full disk).
  start_sim(0, 50000, {std::string(300, 'y')});
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old {};
  ::sigaction(SIGXFSZ, &ignore, &old);  // inherited by twowayd
  start_daemon();
  ::sigaction(SIGXFSZ, &old, nullptr);
  const auto data = std::filesystem::file_size(dir_.path() + "/state/data.mdb");
  const rlim_t limit = static_cast<rlim_t>(data) + (512u << 10);
  const rlimit fsize{limit, limit};
  ASSERT_EQ(::prlimit(daemon_->pid(), RLIMIT_FSIZE, &fsize, nullptr), 0);

  ASSERT_TRUE(wait_for([&] { return !daemon_->running(); }, std::chrono::seconds(90)))
      << "twowayd kept running:\n"
      << daemon_->log();
  EXPECT_EQ(daemon_->stop(SIGTERM), 1) << daemon_->log();
  EXPECT_TRUE(log_has("storage failed: stopping")) << daemon_->log();
  EXPECT_GT(sim_->sim().counters().mo_pdus_nacked, 0u);
}

}  // namespace
}  // namespace twoway::e2e
