// The twowayctl binary against an in-process admin server on a temporary socket: what it
// prints and its exit codes (0 ok, 1 command error, 64 usage, 69 cannot connect, 78 config).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/admin_server.hpp"

#ifdef TWOWAYCTL_PATH

using namespace twoway::daemon;
using ::testing::HasSubstr;

namespace {

struct CliResult {
  int status = -1;
  std::string out;  // stdout and stderr together
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs twowayctl with `args` (after `wrapper`, e.g. a command that changes the user).
CliResult run_ctl(const std::string& args, const std::string& wrapper = "") {
  CliResult r;
  const std::string command =
      (wrapper.empty() ? "" : wrapper + " ") + std::string(TWOWAYCTL_PATH) + " " + args + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class TwowayctlCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-ctl-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    AdminServerOptions o;
    o.path = dir_ + "/admin.sock";
    o.identify = [](uid_t, gid_t) { return Identity{1000, 1000, "mona", {}}; };
    o.roles.manager = {"mona"};
    server_ = std::make_unique<AdminServer>(io_, o);
    server_->add_command({"inbox", "inbox [--unread]", Role::manager,
                          SyncHandler([this](const Args& a, const Caller&) -> CommandResult {
                            std::lock_guard lock(seen_mu_);
                            seen_unread_ = a.has("unread");
                            return nlohmann::json::parse(
                                R"({"conversations":[{"number":"+15551234567",
             "name":"Ann","preview":"hi","unread":1,"consent":"subscribed"}],"next_cursor":null})");
                          })});
    server_->add_command({"reply", "reply NUMBER TEXT", Role::manager,
                          SyncHandler([this](const Args& a, const Caller&) -> CommandResult {
                            std::lock_guard lock(seen_mu_);
                            seen_text_ = a.positional[1];
                            return nlohmann::json{{"seq", 3}};
                          })});
    // Two pages of consent log; the second only after the first page's cursor.
    server_->add_command(
        {"consent-log",
         "consent-log [NUMBER] [--since DATE] [--until DATE] [--limit N] [--after CURSOR] [--csv]",
         Role::manager, SyncHandler([this](const Args& a, const Caller&) -> CommandResult {
           {
             std::lock_guard lock(seen_mu_);
             log_requests_.push_back(a);
           }
           if (a.value("since") == "bad")
             return AdminError{"bad_request", "--since: expected YYYY-MM-DD"};
           const auto row = [](const char* time, const char* text, const char* outcome) {
             return nlohmann::json{{"time", time},         {"number", "+15551234567"},
                                   {"from", "subscribed"}, {"to", "unsubscribed"},
                                   {"source", "keyword"},  {"outcome", outcome},
                                   {"actor", ""},          {"keyword", "STOP"},
                                   {"text", text},         {"sending_number", "12345"},
                                   {"message_id", 7}};
           };
           if (!a.has("after"))
             return nlohmann::json{
                 {"entries", {row("2026-06-15T17:00:00Z", "stop, \"now\"\nplease", "applied")}},
                 {"next_cursor", "c1"}};
           return nlohmann::json{{"entries", {row("2026-06-16T08:00:00Z", "STOP", "unchanged")}},
                                 {"next_cursor", nullptr}};
         })});
    server_->add_command({"smsc", "smsc ACTION [NAME]", Role::admin,
                          SyncHandler([](const Args&, const Caller&) -> CommandResult {
                            return nlohmann::json::object();
                          })});
    ASSERT_FALSE(server_->start());
    runner_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    runner_.join();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread runner_;
  std::unique_ptr<AdminServer> server_;
  // What the handlers saw: written on the server's thread, read by the test after twowayctl
  // exits (which orders nothing the race detector can see), so under a mutex.
  std::mutex seen_mu_;
  bool seen_unread_ = false;
  std::vector<Args> log_requests_;
  std::string seen_text_;
};

TEST_F(TwowayctlCli, PrintsATableAndExitsZero) {
  const CliResult r = run_ctl("--socket " + dir_ + "/admin.sock inbox --unread");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("●  +15551234567  Ann"));
  std::lock_guard lock(seen_mu_);
  EXPECT_TRUE(seen_unread_);
}

TEST_F(TwowayctlCli, QuotesArgumentsSoTheDaemonSeesThemWhole) {
  const CliResult r = run_ctl("--socket " + dir_ + "/admin.sock --json reply +15551234567 " +
                              "'On its \"way\"!  \\o/'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "{\"ok\":true,\"seq\":3}\n");
  std::lock_guard lock(seen_mu_);
  EXPECT_EQ(seen_text_, "On its \"way\"!  \\o/");
}

TEST_F(TwowayctlCli, CommandErrorExitsOne) {
  const CliResult r = run_ctl("--socket " + dir_ + "/admin.sock settings x");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "error: unknown command 'settings' (try 'help') (unknown_command)\n");
}

TEST_F(TwowayctlCli, UsageErrorsExit64) {
  EXPECT_EQ(run_ctl("").status, 64);
  EXPECT_EQ(run_ctl("--bogus inbox").status, 64);
  EXPECT_EQ(run_ctl("--socket").status, 64);
  EXPECT_EQ(run_ctl("--socket a --config b inbox").status, 64);
}

TEST_F(TwowayctlCli, VersionNamesTheCommit) {
  const CliResult r = run_ctl("--version");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::MatchesRegex("twowayctl [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                                             "([0-9a-f]{7,40}|unknown)\\)\n"));
}

TEST_F(TwowayctlCli, SocketFromTheConfig) {
  const std::string config = dir_ + "/twoway.yaml";
  std::ofstream(config) << "admin:\n  socket: " << dir_ << "/admin.sock\n";
  const CliResult r = run_ctl("--config " + config + " inbox");
  EXPECT_EQ(r.status, 0) << r.out;
  std::ofstream(config) << "admin:\n  sockit: x\n";
  const CliResult bad = run_ctl("--config " + config + " inbox");
  EXPECT_EQ(bad.status, 78);
  EXPECT_THAT(bad.out, HasSubstr("admin.sockit: unknown key; did you mean 'socket'?"));
}

TEST_F(TwowayctlCli, ConsentLogCsvFetchesEveryPageIntoOneDocument) {
  const std::string file = dir_ + "/log.csv";
  const CliResult r =
      run_ctl("--socket " + dir_ + "/admin.sock consent-log --since 2026-01-01 --csv > " + file);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(read_all(file),
            "time,number,from,to,source,outcome,actor,keyword,text,sending_number,message_id\r\n"
            "2026-06-15T17:00:00Z,+15551234567,subscribed,unsubscribed,keyword,applied,,STOP,"
            "\"stop, \"\"now\"\"\nplease\",12345,7\r\n"
            "2026-06-16T08:00:00Z,+15551234567,subscribed,unsubscribed,keyword,unchanged,,STOP,"
            "STOP,12345,7\r\n");
  std::lock_guard lock(seen_mu_);
  ASSERT_EQ(log_requests_.size(), 2u);
  EXPECT_EQ(log_requests_[0].value("since"), "2026-01-01");
  EXPECT_FALSE(log_requests_[0].has("after"));
  EXPECT_EQ(log_requests_[1].value("after"), "c1");
  EXPECT_EQ(log_requests_[1].value("since"), "2026-01-01");
}

TEST_F(TwowayctlCli, ConsentLogCsvErrorExitsOne) {
  const CliResult r = run_ctl("--socket " + dir_ + "/admin.sock consent-log --since bad --csv");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "error: --since: expected YYYY-MM-DD (bad_request)\n");
}

TEST_F(TwowayctlCli, ACommandAboveTheCallersRoleExits77) {
  const CliResult r = run_ctl("--socket " + dir_ + "/admin.sock smsc list");
  EXPECT_EQ(r.status, 77) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(forbidden)"));
}

TEST_F(TwowayctlCli, ASocketTheUserMayNotOpenExits77) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run twowayctl as another user";
  // The socket is root's, mode 0660 at most: nobody may not connect.
  ::chmod((dir_ + "/admin.sock").c_str(), 0660);
  ::chmod(dir_.c_str(), 0755);
  const CliResult r = run_ctl("--socket " + dir_ + "/admin.sock inbox",
                              "setpriv --reuid=nobody "
                              "--regid=nogroup "
                              "--clear-groups");
  EXPECT_EQ(r.status, 77) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Permission denied"));
}

TEST_F(TwowayctlCli, NoDaemonExits69) {
  const CliResult r = run_ctl("--socket " + dir_ + "/nobody.sock status");
  EXPECT_EQ(r.status, 69);
  EXPECT_THAT(r.out, HasSubstr("cannot connect to " + dir_ + "/nobody.sock"));
}

}  // namespace

#endif  // TWOWAYCTL_PATH
