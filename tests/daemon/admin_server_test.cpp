// The admin server on a temporary socket: roles, help, errors, limits, async and streaming
// commands, as a client on the socket sees them.
#include "daemon/admin_server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon/admin_commands.hpp"
#include "daemon/gateway.hpp"
#include "engine/engine.hpp"

using namespace twoway::daemon;
using ::testing::HasSubstr;

namespace {

// A blocking client with a receive timeout, so a broken server fails a test instead of hanging.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void send(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  /// The next line without '\n'; "<eof>" when the server closed, "<timeout>" after 5 s.
  std::string line() {
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string out = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return out;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0) return "<eof>";
      if (n < 0) return errno == EAGAIN ? "<timeout>" : "<eof>";
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  std::string ask(std::string_view command) {
    send(std::string(command) + "\n");
    return line();
  }
  nlohmann::json ask_json(std::string_view command) {
    return nlohmann::json::parse(ask(command), nullptr, false);
  }
  void shut() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-admin-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.path = dir_ + "/admin.sock";
    options_.roles.owner = {"olga"};
    options_.roles.admin = {"@ops"};
    options_.roles.manager = {"mona"};
    options_.identify = [this](uid_t, gid_t) {
      std::lock_guard lock(who_mutex_);
      return who_;
    };
    as("mona");
  }

  void TearDown() override {
    if (server_) {
      boost::asio::post(io_, [this] { server_->stop(); });
    }
    work_.reset();
    if (runner_.joinable()) runner_.join();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Who the next connection is (the real peer is whoever runs the tests).
  void as(const std::string& user, std::vector<std::string> groups = {}) {
    std::lock_guard lock(who_mutex_);
    who_ = Identity{1000, 1000, user, std::move(groups)};
  }

  void start() {
    server_ = std::make_unique<AdminServer>(io_, options_);
    server_->add_command({"inbox", "inbox [--unread] [--limit N]", Role::manager,
                          SyncHandler([](const Args& a, const Caller& c) -> CommandResult {
                            return nlohmann::json{
                                {"user", c.user},
                                {"role", to_string(c.role)},
                                {"unread", a.has("unread")},
                                {"limit", a.integer("limit", 50, 1, 500).value_or(-1)}};
                          }),
                          false, "List conversations"});
    server_->add_command(
        {"settings", "settings KEY VALUE", Role::admin,
         SyncHandler([](const Args& a, const Caller&) -> CommandResult {
           return nlohmann::json{{"key", a.positional[0]}, {"value", a.positional[1]}};
         }),
         true, "Change a setting"});
    server_->add_command({"boom", "boom", Role::manager,
                          SyncHandler([](const Args&, const Caller&) -> CommandResult {
                            throw std::runtime_error("kaput");
                          })});
    server_->add_command(
        {"missing", "missing NUMBER", Role::manager,
         SyncHandler([](const Args& a, const Caller&) -> CommandResult {
           return AdminError{"not_found", "no conversation with " + a.positional[0]};
         })});
    server_->add_command({"reply", "reply NUMBER TEXT", Role::manager,
                          AsyncHandler([this](const Args& a, const Caller&, Completion done) {
                            std::lock_guard lock(pending_mutex_);
                            pending_ = std::move(done);
                            pending_text_ = a.positional[1];
                          }),
                          true, "Reply"});
    server_->add_command(
        {"watch", "watch [--fail]", Role::manager,
         StreamHandler([this](const Args& a, const Caller&,
                              std::shared_ptr<Stream> s) -> std::optional<AdminError> {
           if (a.has("fail")) return AdminError{"bad_request", "no"};
           hub_.subscribe(std::move(s));
           return std::nullopt;
         })});
    ASSERT_FALSE(server_->start());
    runner_ = std::thread([this] { io_.run(); });
  }

  // Publishes until nobody is subscribed any more (the server noticed the client left).
  bool wait_until_unsubscribed() {
    for (int i = 0; i < 500; ++i) {
      if (hub_.publish({{"event", "ping"}}) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string dir_;
  AdminServerOptions options_;
  std::mutex who_mutex_;
  Identity who_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread runner_;
  std::unique_ptr<AdminServer> server_;
  EventHub hub_;
  std::mutex pending_mutex_;
  Completion pending_;
  std::string pending_text_;
};

TEST_F(AdminServerTest, HelpListsOnlyWhatTheRoleMayRun) {
  start();
  Client mona(options_.path);
  auto help = mona.ask_json("help");
  ASSERT_TRUE(help["ok"].get<bool>());
  EXPECT_EQ(help["role"], "manager");
  std::vector<std::string> names;
  for (const auto& c : help["commands"]) names.push_back(c["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("help", "boom", "inbox", "missing", "reply", "watch"));

  as("adam", {"users", "ops"});
  Client adam(options_.path);
  help = adam.ask_json("help");
  EXPECT_EQ(help["role"], "admin");
  names.clear();
  for (const auto& c : help["commands"]) names.push_back(c["name"]);
  EXPECT_THAT(names, ::testing::Contains("settings"));

  auto one = adam.ask_json("help inbox");
  EXPECT_EQ(one["command"]["usage"], "inbox [--unread] [--limit N]");
  EXPECT_EQ(one["command"]["role"], "manager");
  EXPECT_EQ(one["command"]["summary"], "List conversations");
  EXPECT_EQ(mona.ask_json("help settings")["error"]["code"], "forbidden");
}

TEST_F(AdminServerTest, CommandRunsWithParsedArgsAndCaller) {
  start();
  Client c(options_.path);
  EXPECT_EQ(c.ask("inbox --unread --limit 20"),
            R"({"ok":true,"limit":20,"role":"manager","unread":true,"user":"mona"})");
  EXPECT_EQ(c.ask("missing +1555"),
            R"({"ok":false,"error":{"code":"not_found","message":"no conversation with +1555"}})");
}

TEST_F(AdminServerTest, CommandAboveTheRoleIsForbidden) {
  start();
  Client c(options_.path);
  EXPECT_EQ(
      c.ask("settings auto_responder off"),
      R"({"ok":false,"error":{"code":"forbidden","message":"'settings' needs the admin role"}})");
  as("olga");
  Client owner(options_.path);
  EXPECT_EQ(owner.ask("settings auto_responder off"),
            R"({"ok":true,"key":"auto_responder","value":"off"})");
}

TEST_F(AdminServerTest, UnmappedUserIsRefusedBeforeAnyCommand) {
  as("mallory", {"users"});
  start();
  Client c(options_.path);
  EXPECT_EQ(
      c.line(),
      R"({"ok":false,"error":{"code":"forbidden","message":"user mallory has no role on this socket"}})");
  EXPECT_EQ(c.line(), "<eof>");
}

TEST_F(AdminServerTest, UnknownCommandSuggestsOne) {
  start();
  Client c(options_.path);
  auto r = c.ask_json("inbx");
  EXPECT_EQ(r["error"]["code"], "unknown_command");
  EXPECT_EQ(r["error"]["message"], "unknown command 'inbx'; did you mean 'inbox'? (try 'help')");
}

TEST_F(AdminServerTest, BadRequestsKeepTheConnectionUsable) {
  start();
  Client c(options_.path);
  auto r = c.ask_json("reply +1555 \"unterminated");
  EXPECT_EQ(r["error"]["code"], "bad_request");
  EXPECT_EQ(r["error"]["message"], "unterminated double quote at column 13");
  r = c.ask_json("inbox --bogus");
  EXPECT_EQ(r["error"]["code"], "bad_request");
  EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("unknown option --bogus"));
  EXPECT_TRUE(c.ask_json("inbox")["ok"].get<bool>());
}

TEST_F(AdminServerTest, EmptyLineIsABadRequestAndTheConnectionStaysUsable) {
  start();
  Client c(options_.path);
  const std::string empty =
      R"json({"ok":false,"error":{"code":"bad_request","message":"empty line: send one command per line (try 'help')"}})json";
  EXPECT_EQ(c.ask(""), empty);
  EXPECT_EQ(c.ask(" \t  \r"), empty);
  c.send("\n\ninbox\n");  // pipelined: one answer per line, in order
  EXPECT_EQ(c.line(), empty);
  EXPECT_EQ(c.line(), empty);
  EXPECT_TRUE(c.ask_json("inbox")["ok"].get<bool>());
  EXPECT_TRUE(nlohmann::json::parse(c.line())["ok"].get<bool>());
}

TEST_F(AdminServerTest, HandlerExceptionIsAnInternalError) {
  start();
  Client c(options_.path);
  EXPECT_EQ(c.ask_json("boom")["error"]["code"], "internal");
  EXPECT_TRUE(c.ask_json("inbox")["ok"].get<bool>());
}

TEST_F(AdminServerTest, OversizedLineIsRefusedAndClosed) {
  options_.max_line = 1024;
  start();
  Client c(options_.path);
  c.send(std::string(5000, 'x'));
  EXPECT_EQ(
      c.line(),
      R"({"ok":false,"error":{"code":"line_too_long","message":"a command line is at most 1024 bytes"}})");
  EXPECT_EQ(c.line(), "<eof>");
}

TEST_F(AdminServerTest, LineOfExactlyMaxLineIsAccepted) {
  options_.max_line = 1024;
  start();
  Client c(options_.path);
  std::string line = "inbox";
  line.append(1024 - line.size(), ' ');
  EXPECT_TRUE(c.ask_json(line)["ok"].get<bool>());
}

TEST_F(AdminServerTest, IdleConnectionIsEvictedForANewcomerWhenAllSlotsAreTaken) {
  options_.max_connections = 2;
  start();
  Client a(options_.path), b(options_.path);
  ASSERT_TRUE(a.ask_json("inbox")["ok"].get<bool>());
  ASSERT_TRUE(b.ask_json("inbox")["ok"].get<bool>());
  // A third client gets in; the one idle the longest (a) is told why and closed.
  Client c(options_.path);
  EXPECT_TRUE(c.ask_json("inbox")["ok"].get<bool>());
  EXPECT_EQ(
      a.line(),
      R"({"ok":false,"error":{"code":"evicted","message":"closed to make room for a new connection: all 2 admin connections were open and this one was idle"}})");
  EXPECT_EQ(a.line(), "<eof>");
  EXPECT_TRUE(b.ask_json("inbox")["ok"].get<bool>());
  EXPECT_EQ(server_->connection_count(), 2u);
}

TEST_F(AdminServerTest, ManyIdleConnectionsDoNotLockTheOwnerOut) {
  options_.max_connections = 4;
  start();
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 12; ++i) idle.push_back(std::make_unique<Client>(options_.path));
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(idle[i]->connected());
  as("olga");
  Client owner(options_.path);
  EXPECT_EQ(owner.ask_json("inbox")["role"], "owner");
  EXPECT_LE(server_->connection_count(), 4u);
  // Every idle client got a clear line: refused never, evicted or still open.
  as("mona");
  int evicted = 0;
  for (int i = 0; i < 8; ++i) {  // the first 8 made room for the next ones (and the owner)
    auto j = nlohmann::json::parse(idle[i]->line(), nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    EXPECT_EQ(j["error"]["code"], "evicted");
    evicted += j["error"]["code"] == "evicted";
  }
  EXPECT_EQ(evicted, 8);
}

TEST_F(AdminServerTest, BusyConnectionsAreKeptAndOneSlotIsReservedForAnOwner) {
  options_.max_connections = 2;
  start();
  Client a(options_.path), b(options_.path);
  ASSERT_EQ(a.ask("watch"), R"({"ok":true,"stream":true})");
  ASSERT_EQ(b.ask("watch"), R"({"ok":true,"stream":true})");
  // Watch streams are not idle: a manager is refused...
  Client c(options_.path);
  EXPECT_EQ(
      c.line(),
      R"({"ok":false,"error":{"code":"too_many_connections","message":"at most 2 admin connections, and none is idle (each runs a command or a watch stream, or belongs to a higher role); try again later"}})");
  EXPECT_EQ(c.line(), "<eof>");
  // ...an owner gets the reserved slot...
  as("olga");
  Client owner(options_.path);
  EXPECT_EQ(owner.ask_json("inbox")["role"], "owner");
  // ...and the streams still flow.
  EXPECT_EQ(hub_.publish({{"event", "receipt"}}), 2u);
  EXPECT_EQ(a.line(), R"({"event":"receipt"})");
  EXPECT_EQ(b.line(), R"({"event":"receipt"})");
  // With the reserved slot taken by an idle owner, another owner replaces it.
  Client owner2(options_.path);
  EXPECT_EQ(owner2.ask_json("inbox")["role"], "owner");
  EXPECT_EQ(nlohmann::json::parse(owner.line())["error"]["code"], "evicted");
}

TEST_F(AdminServerTest, CommandInProgressIsNotEvicted) {
  options_.max_connections = 1;
  start();
  Client a(options_.path);
  a.send("reply +15551234567 hello\n");
  Completion done;
  for (int i = 0; i < 500 && !done; ++i) {
    {
      std::lock_guard lock(pending_mutex_);
      done = pending_;
    }
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(done);
  Client b(options_.path);
  EXPECT_EQ(nlohmann::json::parse(b.line())["error"]["code"], "too_many_connections");
  done(nlohmann::json{{"sent", true}});
  EXPECT_EQ(a.line(), R"({"ok":true,"sent":true})");
}

TEST_F(AdminServerTest, NewcomerEvictsTheLowestRoleAndNeverAHigherOne) {
  options_.max_connections = 2;
  start();
  as("olga");
  Client owner(options_.path);
  ASSERT_TRUE(owner.ask_json("inbox")["ok"].get<bool>());
  as("mona");
  Client manager(options_.path);
  ASSERT_TRUE(manager.ask_json("inbox")["ok"].get<bool>());
  // A manager may evict the idle manager, never the owner (idle longer).
  Client manager2(options_.path);
  ASSERT_TRUE(manager2.ask_json("inbox")["ok"].get<bool>());
  EXPECT_EQ(nlohmann::json::parse(manager.line())["error"]["code"], "evicted");
  // An owner evicts the idle manager before the owner idle longer.
  as("olga");
  Client owner2(options_.path);
  ASSERT_TRUE(owner2.ask_json("inbox")["ok"].get<bool>());
  EXPECT_EQ(nlohmann::json::parse(manager2.line())["error"]["code"], "evicted");
  EXPECT_TRUE(owner.ask_json("inbox")["ok"].get<bool>());
  // With only owners left, a manager is refused.
  as("mona");
  Client manager3(options_.path);
  EXPECT_EQ(nlohmann::json::parse(manager3.line())["error"]["code"], "too_many_connections");
  EXPECT_TRUE(owner2.ask_json("inbox")["ok"].get<bool>());
}

TEST_F(AdminServerTest, ASlotFreesWhenAClientLeaves) {
  options_.max_connections = 1;
  start();
  Client a(options_.path);
  ASSERT_EQ(a.ask("watch"), R"({"ok":true,"stream":true})");
  Client refused(options_.path);
  ASSERT_EQ(nlohmann::json::parse(refused.line())["error"]["code"], "too_many_connections");
  a.shut();
  bool admitted = false;
  for (int i = 0; i < 200 && !admitted; ++i) {
    Client d(options_.path);
    admitted = d.ask_json("inbox").value("ok", false);
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(admitted);
}

TEST_F(AdminServerTest, PipelinedCommandsFromAPeerThatReadsLateAllGetAnswers) {
  options_.max_queued_bytes = 4096;  // reading pauses with 4 KiB of answers unsent
  start();
  Client c(options_.path);
  constexpr int kLines = 20000;  // about 1.4 MB of answers, more than the socket holds
  std::thread writer([&] {
    std::string batch;
    for (int i = 0; i < kLines; ++i) batch += "inbox --limit " + std::to_string(1 + i % 500) + "\n";
    c.send(batch);
  });
  int answered = 0;
  for (int i = 0; i < kLines; ++i) {
    auto j = nlohmann::json::parse(c.line(), nullptr, false);
    if (j.is_discarded() || j.value("limit", -1) != 1 + i % 500) break;
    ++answered;
  }
  writer.join();
  EXPECT_EQ(answered, kLines);
}

TEST_F(AdminServerTest, IdleConnectionIsClosed) {
  options_.idle_timeout = std::chrono::milliseconds(100);
  start();
  Client c(options_.path);
  EXPECT_EQ(
      c.line(),
      R"({"ok":false,"error":{"code":"idle_timeout","message":"closing an idle connection"}})");
  EXPECT_EQ(c.line(), "<eof>");
}

TEST_F(AdminServerTest, AsyncCommandAnswersWhenCompleted) {
  start();
  Client c(options_.path);
  c.send("reply +15551234567 \"On its way!\"\ninbox\n");
  Completion done;
  for (int i = 0; i < 500 && !done; ++i) {
    {
      std::lock_guard lock(pending_mutex_);
      done = pending_;
    }
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(pending_text_, "On its way!");
  std::thread([done] { done(nlohmann::json{{"seq", 7}}); }).join();
  done(nlohmann::json{{"seq", 8}});  // a second completion is ignored
  EXPECT_EQ(c.line(), R"({"ok":true,"seq":7})");
  // The pipelined command runs only after the async one answered.
  EXPECT_THAT(c.line(), HasSubstr(R"("ok":true)"));
}

TEST_F(AdminServerTest, WatchStreamsEventsUntilTheClientLeaves) {
  start();
  Client c(options_.path);
  EXPECT_EQ(c.ask_json("watch --fail")["error"]["message"], "no");
  EXPECT_EQ(c.ask("watch"), R"({"ok":true,"stream":true})");
  EXPECT_EQ(hub_.publish({{"event", "inbound"}, {"number", "+15551234567"}}), 1u);
  EXPECT_EQ(hub_.publish({{"event", "receipt"}}), 1u);
  EXPECT_EQ(c.line(), R"({"event":"inbound","number":"+15551234567"})");
  EXPECT_EQ(c.line(), R"({"event":"receipt"})");
  c.shut();
  EXPECT_TRUE(wait_until_unsubscribed());
}

TEST_F(AdminServerTest, SlowWatcherIsDisconnectedWithAFinalError) {
  options_.max_queued_bytes = 8192;
  start();
  Client c(options_.path);
  ASSERT_EQ(c.ask("watch"), R"({"ok":true,"stream":true})");
  const nlohmann::json big = {{"event", "inbound"}, {"text", std::string(1000, 'a')}};
  std::size_t pushed = 0;
  while (hub_.publish(big) == 1 && pushed < 100000) ++pushed;  // the client reads nothing
  ASSERT_LT(pushed, 100000u);
  std::string last, line;
  std::size_t lines = 0;
  while ((line = c.line()) != "<eof>" && line != "<timeout>") {
    last = line;
    ++lines;
  }
  EXPECT_EQ(line, "<eof>");
  EXPECT_EQ(
      last,
      R"({"ok":false,"error":{"code":"too_slow","message":"the client fell behind the event stream"}})");
  EXPECT_LE(lines, pushed + 1);
}

TEST_F(AdminServerTest, ADroppedWatcherNoLongerHoldsItsSlot) {
  options_.max_connections = 1;
  options_.max_queued_bytes = 8192;
  start();
  Client watcher(options_.path);
  ASSERT_EQ(watcher.ask("watch"), R"({"ok":true,"stream":true})");
  Client refused(options_.path);
  ASSERT_EQ(nlohmann::json::parse(refused.line())["error"]["code"], "too_many_connections");
  const nlohmann::json big = {{"event", "inbound"}, {"text", std::string(1000, 'a')}};
  std::size_t pushed = 0;
  while (hub_.publish(big) == 1 && pushed < 100000) ++pushed;  // the watcher reads nothing
  ASSERT_LT(pushed, 100000u);
  // Its stream is over: a newcomer takes the slot instead of waiting for the write timeout.
  bool admitted = false;
  for (int i = 0; i < 200 && !admitted; ++i) {
    Client d(options_.path);
    admitted = d.ask_json("inbox").value("ok", false);
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(admitted);
}

TEST_F(AdminServerTest, StaleSocketFileIsReplacedAndModeApplied) {
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", options_.path.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);  // leaves the file behind, like a crashed daemon
  }
  options_.mode = 0640;
  start();
  struct stat st {};
  ASSERT_EQ(stat(options_.path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  Client c(options_.path);
  EXPECT_TRUE(c.ask_json("inbox")["ok"].get<bool>());
}

TEST_F(AdminServerTest, RefusesALiveSocketOrANonSocketFile) {
  start();
  AdminServerOptions again = options_;
  AdminServer second(io_, again);
  EXPECT_EQ(second.start(), std::make_error_code(std::errc::address_in_use));

  again.path = dir_ + "/regular";
  std::ofstream(again.path) << "x";
  AdminServer third(io_, again);
  EXPECT_EQ(third.start(), std::make_error_code(std::errc::file_exists));
  EXPECT_TRUE(std::filesystem::exists(again.path));
}

TEST_F(AdminServerTest, StopRemovesTheSocketAndClosesClients) {
  start();
  Client c(options_.path);
  ASSERT_TRUE(c.ask_json("inbox")["ok"].get<bool>());
  boost::asio::post(io_, [this] { server_->stop(); });
  EXPECT_EQ(c.line(), "<eof>");
  for (int i = 0; i < 500 && std::filesystem::exists(options_.path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(std::filesystem::exists(options_.path));
}

// The daemon's real command set over the socket, on a temporary store with no SMSC bound.
class AdminCommandsOnTheSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-admin-commands-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    twoway::engine::EngineConfig c;
    c.path = dir_ + "/db";
    c.map_size = std::size_t{64} << 20;
    c.sending_numbers = {"12345"};
    engine_ = std::make_unique<twoway::engine::Engine>(c, twoway::engine::EngineMode::synchronous);
    gateway_ = std::make_unique<Gateway>(io_, *engine_, Config{});
    ctx_ = std::make_unique<AdminContext>(AdminContext{*engine_, *gateway_, hub_, "test"});
    AdminServerOptions options;
    options.path = dir_ + "/admin.sock";
    options.identify = [](uid_t, gid_t) { return Identity{0, 0, "root", {"root"}}; };
    server_ = std::make_unique<AdminServer>(io_, options);
    register_admin_commands(*server_, *ctx_, pool_);
    ASSERT_FALSE(server_->start());
    runner_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    if (runner_.joinable()) runner_.join();
    pool_.join();
    server_.reset();
    gateway_.reset();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void text(const std::string& from, const std::string& body) {
    twoway::engine::InboundMessage m;
    m.smsc = "smsc1";
    m.source = from;
    m.source_ton = 1;
    m.source_npi = 1;
    m.destination = "12345";
    m.text = body;
    m.received_unix = ++now_;
    engine_->apply_inbound(m);
  }
  std::string socket() const { return dir_ + "/admin.sock"; }

  std::string dir_;
  std::int64_t now_ = 1781542800;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  boost::asio::thread_pool pool_{1};
  EventHub hub_;
  std::unique_ptr<twoway::engine::Engine> engine_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<AdminContext> ctx_;
  std::unique_ptr<AdminServer> server_;
  std::thread runner_;
};

TEST_F(AdminCommandsOnTheSocket, BadInboxCursorIsABadRequestAndAGoodOnePages) {
  for (int i = 0; i < 7; ++i) text("+1650253000" + std::to_string(i), "hello " + std::to_string(i));
  Client c(socket());
  const auto first = c.ask_json("inbox --limit 4");
  ASSERT_TRUE(first["ok"].get<bool>()) << first.dump();
  ASSERT_EQ(first["conversations"].size(), 4u);
  EXPECT_EQ(first["conversations"][0]["number"], "+16502530006");
  ASSERT_TRUE(first["next_cursor"].is_string());
  const auto second =
      c.ask_json("inbox --limit 4 --before " + first["next_cursor"].get<std::string>());
  ASSERT_TRUE(second["ok"].get<bool>()) << second.dump();
  ASSERT_EQ(second["conversations"].size(), 3u);
  EXPECT_EQ(second["conversations"][0]["number"], "+16502530002");
  EXPECT_TRUE(second["next_cursor"].is_null());

  EXPECT_EQ(
      c.ask("inbox --before zzz"),
      R"({"ok":false,"error":{"code":"bad_request","message":"--before 'zzz' is not a cursor of the inbox; pass the next_cursor of a previous inbox page"}})");
  const std::vector<std::string> bads = {"inbox --before -1", "inbox --unread --before 0123",
                                         "inbox --before " + std::string(4000, 'f'),
                                         "inbox --before ''"};
  for (const std::string& bad : bads) {
    const auto r = c.ask_json(bad);
    EXPECT_EQ(r["error"]["code"], "bad_request") << bad.substr(0, 60);
    EXPECT_THAT(r["error"]["message"].get<std::string>(), HasSubstr("--before"))
        << bad.substr(0, 60);
  }
  EXPECT_EQ(c.ask_json("inbox --limit 1")["conversations"].size(), 1u);  // still usable
}

TEST_F(AdminCommandsOnTheSocket, BadThreadCursorIsABadRequestAndAGoodOnePages) {
  constexpr const char* kAlice = "+16502530000";
  constexpr const char* kBob = "+16502530001";
  text(kAlice, "a1");
  text(kBob, "b1");
  text(kBob, "b2");
  text(kAlice, "a2");
  text(kAlice, "a3");
  Client c(socket());
  const auto page = c.ask_json(std::string("thread ") + kAlice + " --limit 2");
  ASSERT_TRUE(page["ok"].get<bool>()) << page.dump();
  ASSERT_EQ(page["messages"].size(), 2u);
  EXPECT_EQ(page["messages"][0]["text"], "a2");
  ASSERT_TRUE(page["next_cursor"].is_number());
  const auto older = c.ask_json(std::string("thread ") + kAlice + " --limit 2 --before " +
                                std::to_string(page["next_cursor"].get<std::uint64_t>()));
  ASSERT_TRUE(older["ok"].get<bool>()) << older.dump();
  ASSERT_EQ(older["messages"].size(), 1u);
  EXPECT_EQ(older["messages"][0]["text"], "a1");

  // Bob's cursor is not a cursor of Alice's thread.
  const auto bob = c.ask_json(std::string("thread ") + kBob + " --limit 1");
  ASSERT_TRUE(bob["next_cursor"].is_number()) << bob.dump();
  const std::string bob_cursor = std::to_string(bob["next_cursor"].get<std::uint64_t>());
  EXPECT_EQ(
      c.ask(std::string("thread ") + kAlice + " --before " + bob_cursor),
      R"({"ok":false,"error":{"code":"bad_request","message":"--before ')" + bob_cursor +
          R"(' is not a cursor of this conversation; pass the next_cursor of a previous thread page"}})");
  for (const char* bad : {"-1", "0", "garbage", "12abc", "99999999999", "184467440737095516160"}) {
    const auto r = c.ask_json(std::string("thread ") + kAlice + " --before " + bad);
    EXPECT_EQ(r["error"]["code"], "bad_request") << bad;
    EXPECT_THAT(r["error"]["message"].get<std::string>(),
                HasSubstr("--before '" + std::string(bad)))
        << bad;
  }
  EXPECT_EQ(c.ask_json(std::string("thread ") + kAlice + " --limit 0")["error"]["message"],
            "--limit takes a number from 1 to 1000");
  EXPECT_EQ(c.ask_json(std::string("thread ") + kAlice)["messages"].size(), 3u);
}

TEST(RoleMapping, RootIsOwnerAndUnmappedIsNone) {
  RolesConfig roles;
  roles.manager = {"mona", "@support"};
  roles.admin = {"@ops"};
  roles.owner = {"olga"};
  EXPECT_EQ(resolve_role({0, 0, "root", {"root"}}, roles), Role::owner);
  EXPECT_EQ(resolve_role({0, 0, "", {}}, RolesConfig{}), Role::owner);
  EXPECT_EQ(resolve_role({1000, 1000, "mona", {"mona"}}, roles), Role::manager);
  EXPECT_EQ(resolve_role({1001, 1001, "sam", {"sam", "support"}}, roles), Role::manager);
  EXPECT_EQ(resolve_role({1002, 1002, "ada", {"ada", "support", "ops"}}, roles), Role::admin);
  EXPECT_EQ(resolve_role({1003, 1003, "olga", {"olga"}}, roles), Role::owner);
  EXPECT_EQ(resolve_role({1004, 1004, "eve", {"eve", "users"}}, roles), Role::none);
  EXPECT_EQ(resolve_role({1005, 1005, "", {}}, roles), Role::none);
  // A user named like a group is not that group.
  EXPECT_EQ(resolve_role({1006, 1006, "ops", {"ops-not"}}, roles), Role::none);
}

TEST(RoleMapping, LooksUpRootInTheSystemDatabases) {
  const Identity root = lookup_identity(0, 0);
  EXPECT_EQ(root.user, "root");
  EXPECT_THAT(root.groups, ::testing::Contains("root"));
  const Identity nobody = lookup_identity(4000000, 4000000);
  EXPECT_EQ(nobody.user, "");
}

}  // namespace
