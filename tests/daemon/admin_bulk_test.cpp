// The bulk commands over the admin socket: the upload framing (data lines up to "."), the
// summary with counts and numbers per reason, progress, role checks that skip the refused
// upload's lines, and a client that leaves mid-stream.
#include "daemon/admin_bulk.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <set>
#include <thread>

#include "daemon/admin_commands.hpp"
#include "daemon/gateway.hpp"
#include "engine/engine.hpp"

using namespace twoway::daemon;
using nlohmann::json;
using ::testing::ElementsAre;
namespace engine = twoway::engine;

namespace {

// A blocking client with a receive timeout, so a broken server fails a test instead of hanging.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }
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
  // The lines of one upload's answer: progress lines, then the final one (returned).
  json answer(std::vector<json>* progress = nullptr) {
    for (;;) {
      const std::string l = line();
      json j = json::parse(l, nullptr, false);
      if (j.is_discarded()) return json{{"unreadable", l}};
      if (j.contains("progress")) {
        if (progress) progress->push_back(j["progress"]);
        continue;
      }
      return j;
    }
  }
  void shut() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

class BulkCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-admin-bulk-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    engine::EngineConfig c;
    c.path = dir_ + "/db";
    c.map_size = std::size_t{256} << 20;
    c.sending_numbers = {"12345"};
    c.default_region = "US";
    engine_ = std::make_unique<engine::Engine>(c, engine::EngineMode::synchronous);
    // The daemon sends with the real clock: quiet hours would make the claims below depend on
    // the time of day the test runs (their holds are tested in the engine's tests).
    auto settings = engine_->settings();
    settings.quiet_hours.enabled = false;
    ASSERT_TRUE(engine_->set_settings(settings).empty());
    gateway_ = std::make_unique<Gateway>(io_, *engine_, Config{});
    ctx_ = std::make_unique<AdminContext>(AdminContext{*engine_, *gateway_, hub_, "test"});
    if (auto rows = max_upload_rows()) ctx_->max_upload_rows = *rows;
    AdminServerOptions options;
    options.path = dir_ + "/admin.sock";
    options.max_queued_bytes = max_queued_bytes();
    options.roles.admin = {"ada"};
    options.roles.manager = {"max"};
    options.identify = [this](uid_t, gid_t) {
      std::lock_guard lock(who_mu_);
      return who_;
    };
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
  virtual std::size_t max_queued_bytes() const { return std::size_t{1} << 20; }
  virtual std::optional<std::uint64_t> max_upload_rows() const { return std::nullopt; }
  void as(const std::string& user) {
    std::lock_guard lock(who_mu_);
    who_ = Identity{1000, 1000, user, {}};
  }
  std::string socket() const { return dir_ + "/admin.sock"; }
  static std::string number(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+1650253%04d", i);
    return buf;
  }
  void subscribe(const std::string& n) {
    ASSERT_EQ(engine_->import_consent(n, engine::Consent::subscribed, engine::ConsentSource::import,
                                      now_),
              engine::ActionError::ok);
  }
  // Numbers 0..n-1 subscribed in one transaction.
  void subscribe_first(int n) {
    engine::ConsentImport req;
    for (int i = 0; i < n; ++i) req.rows.push_back({number(i), engine::Consent::subscribed});
    req.now = now_;
    bool ok = false;
    engine_->import_consent_group(std::move(req), [&ok](auto r) { ok = r.has_value(); });
    ASSERT_TRUE(ok);  // synchronous mode: done before the call returns
  }
  // Everything queued, claimed as the sending side would, by recipient.
  std::multiset<std::string> claimed() {
    std::multiset<std::string> to;
    const std::int64_t later = std::time(nullptr) + 60;
    for (auto items = engine_->claim_due(later, 5000); !items.empty();
         items = engine_->claim_due(later, 5000))
      for (const auto& it : items) to.insert(it.to);
    return to;
  }

  std::string dir_;
  std::int64_t now_ = 1781542800;
  std::mutex who_mu_;
  Identity who_{0, 0, "root", {"root"}};
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  boost::asio::thread_pool pool_{2};
  EventHub hub_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<AdminContext> ctx_;
  std::unique_ptr<AdminServer> server_;
  std::thread runner_;
};

TEST_F(BulkCommands, SendBulkQueuesEachSubscriberOnceAndSaysWhyTheOthersWereRefused) {
  for (int i = 0; i < 4; ++i) subscribe(number(i));
  ASSERT_EQ(engine_->set_blocked(number(2), true, now_), engine::ActionError::ok);
  ASSERT_EQ(engine_->import_consent(number(3), engine::Consent::unsubscribed,
                                    engine::ConsentSource::import, now_),
            engine::ActionError::ok);
  Client c(socket());
  c.send(
      "send-bulk --kind campaign Spring sale, 20% off\n"
      "# exported from the CRM\n" +
      number(0) + "\n\n" +    // queued
      "(650) 253-0001\r\n" +  // queued: national format, CRLF
      number(0) + "\n" +      // duplicate
      number(2) + "\n" +      // blocked
      number(3) + "\n" +      // unsubscribed
      number(9) + "\n" +      // never subscribed
      "call me\n"             // not a number
      ".\n");
  const json r = c.answer();
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["read"], 7);
  EXPECT_EQ(r["queued"], 2);
  EXPECT_EQ(r["held"], 0);
  EXPECT_EQ(r["refused"], 5);
  const json& by = r["refused_by"];
  EXPECT_EQ(by["duplicate"]["numbers"], json::array({number(0)}));
  EXPECT_EQ(by["blocked"]["numbers"], json::array({number(2)}));
  EXPECT_EQ(by["unsubscribed"]["numbers"], json::array({number(3)}));
  EXPECT_EQ(by["not_subscribed"]["numbers"], json::array({number(9)}));
  EXPECT_EQ(by["invalid_number"]["numbers"], json::array({"call me"}));
  EXPECT_THAT(claimed(), ElementsAre(number(0), number(1)));
  // The connection goes on with ordinary commands.
  c.send("consent " + number(1) + "\n");
  const json after = json::parse(c.line(), nullptr, false);
  EXPECT_EQ(after["consent"], "subscribed") << after.dump();
}

TEST_F(BulkCommands, ProgressComesWhileAManyGroupUploadRunsAndTheSummaryAddsUp) {
  const int n = static_cast<int>(kBulkGroup) * 3 + 17;
  std::string rows = "consent-import\nnumber,state\n";
  for (int i = 0; i < n; ++i) rows += number(i) + ",subscribed\n";
  rows += ".\n";
  Client c(socket());
  c.send(rows);
  const json imported = c.answer();
  ASSERT_TRUE(imported["ok"].get<bool>()) << imported.dump();
  EXPECT_EQ(imported["changed"], n);
  EXPECT_EQ(imported["read"], n);  // the header is not a row

  std::string list = "send-bulk --kind flow Your order shipped\n";
  for (int i = 0; i < n; ++i) list += number(i) + "\n";
  list += ".\n";
  c.send(list);
  std::vector<json> progress;
  const json sent = c.answer(&progress);
  ASSERT_TRUE(sent["ok"].get<bool>()) << sent.dump();
  EXPECT_EQ(sent["queued"], n);
  EXPECT_EQ(sent["kind"], "flow");
  EXPECT_EQ(sent["segments"], 1);
  for (const auto& p : progress) EXPECT_LE(p["queued"].get<int>(), n);
  EXPECT_EQ(claimed().size(), static_cast<std::size_t>(n));
}

TEST_F(BulkCommands, AManagerIsRefusedAndTheNumbersAreNotTakenForCommands) {
  subscribe(number(0));
  as("max");
  Client c(socket());
  c.send("send-bulk --kind campaign hello\n" + number(0) + "\nstatus\n.\n");
  const json r = c.answer();
  EXPECT_EQ(r["error"]["code"], "forbidden") << r.dump();
  // The next line answered is the next command's, not "unknown command +1650..." nor the
  // status inside the refused upload.
  c.send("help send\n");
  const json help = json::parse(c.line(), nullptr, false);
  EXPECT_EQ(help["error"]["code"], "forbidden") << help.dump();
  EXPECT_TRUE(claimed().empty());
}

TEST_F(BulkCommands, BadArgumentsSkipTheDataLinesToo) {
  Client c(socket());
  c.send(
      "send-bulk --kind spam hello\n+16502530000\n.\nconsent-import --source keyword\n"
      "+16502530000,subscribed\n.\nsend-bulk --kind campaign\n.\n");
  EXPECT_EQ(c.answer()["error"]["code"], "bad_request");
  EXPECT_EQ(c.answer()["error"]["code"], "bad_request");
  EXPECT_EQ(c.answer()["error"]["code"], "bad_request");  // no text
  c.send("consent-import\n.\n");
  const json empty = c.answer();
  EXPECT_TRUE(empty["ok"].get<bool>()) << empty.dump();
  EXPECT_EQ(empty["read"], 0);
  EXPECT_FALSE(engine_->profile("+16502530000").has_value());
}

TEST_F(BulkCommands, AnUploadLineThatCannotBeSplitSkipsItsDataLinesToo) {
  Client c(socket());
  // A NUL byte refuses the line before its arguments are read; its numbers and "." must
  // still not be taken for commands.
  c.send(std::string("send-bulk --kind campaign Hi\0there\n+16502530000\n.\n", 50) +
         "consent-import\n.\n");
  EXPECT_EQ(c.answer()["error"]["code"], "bad_request");
  const json next = c.answer();
  EXPECT_TRUE(next["ok"].get<bool>()) << next.dump();
  EXPECT_EQ(next["read"], 0);
  EXPECT_TRUE(claimed().empty());
}

TEST_F(BulkCommands, AClientThatLeavesMidStreamKeepsTheCommittedGroupsAndNothingTwice) {
  const int n = static_cast<int>(kBulkGroup) + 500;
  subscribe_first(n);
  {
    Client c(socket());
    std::string list = "send-bulk --kind campaign Last chance\n";
    for (int i = 0; i < n; ++i) list += number(i) + "\n";
    c.send(list);
    // The first group is in once its first recipient's message is; then, without a "." line,
    // the client leaves.
    for (int i = 0; i < 1000 && engine_->thread(number(0), 0, 1, now_).messages.empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_FALSE(engine_->thread(number(0), 0, 1, now_).messages.empty());
  }
  for (int i = 0; i < 1000 && server_->connection_count() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server_->connection_count(), 0u);
  // The full group went in one transaction; the rest, never confirmed by ".", did not.
  const auto to = claimed();
  ASSERT_EQ(to.size(), kBulkGroup);
  for (int i = 0; i < static_cast<int>(kBulkGroup); ++i) EXPECT_EQ(to.count(number(i)), 1u) << i;
}

// Progress lines count against the connection's bound for events only until they are written.
class BulkCommandsSmallBound : public BulkCommands {
 protected:
  std::size_t max_queued_bytes() const override { return 200; }
};

TEST_F(BulkCommandsSmallBound, ALongUploadIsNotDroppedForItsOwnProgressLines) {
  Client c(socket());
  c.send("consent-import\n");
  std::vector<json> progress;
  // Groups a little more than a second apart: a progress line after each (about 70 bytes),
  // more of them in all than the 200-byte bound (even when a slow build merges some).
  for (int g = 0; g < 7; ++g) {
    std::string rows;
    for (int i = 0; i < static_cast<int>(kBulkGroup); ++i)
      rows += "+1650" + std::to_string(2000000 + g * static_cast<int>(kBulkGroup) + i) +
              ",subscribed\n";
    c.send(rows);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }
  c.send(".\n");
  const json r = c.answer(&progress);
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["changed"], 7 * static_cast<int>(kBulkGroup));
  EXPECT_GE(progress.size(), 4u);
}

class BulkCommandsFewRows : public BulkCommands {
 protected:
  std::optional<std::uint64_t> max_upload_rows() const override { return 3; }
};

TEST_F(BulkCommandsFewRows, RowsPastTheUploadLimitAreRefusedAndNotQueued) {
  for (int i = 0; i < 5; ++i) subscribe(number(i));
  Client c(socket());
  std::string rows;
  for (int i = 0; i < 5; ++i) rows += number(i) + "\n";
  c.send("send-bulk --kind campaign Last call\n# a comment is not a row\n" + rows + ".\n");
  const json r = c.answer();
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["read"], 5);
  EXPECT_EQ(r["queued"], 3);
  EXPECT_EQ(r["refused"], 2);
  EXPECT_EQ(r["refused_by"]["upload_limit"]["numbers"], json::array({number(3), number(4)}));
  EXPECT_THAT(claimed(), ElementsAre(number(0), number(1), number(2)));
}

TEST_F(BulkCommands, ConsentImportCountsChangesAndLogsEveryRowWithTheCaller) {
  subscribe(number(1));  // unchanged
  as("ada");
  Client c(socket());
  c.send("consent-import --source admin\n" + number(0) + ",subscribed\n" + number(1) +
         ",Subscribed\n" + "\"" + number(2) + "\";unsubscribed\n" + number(3) + ",maybe\n" +
         "12,subscribed\n" + number(0) + ",unsubscribed\n.\n");
  const json r = c.answer();
  ASSERT_TRUE(r["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r["changed"], 2);
  EXPECT_EQ(r["unchanged"], 1);
  EXPECT_EQ(r["refused"], 3);
  EXPECT_EQ(r["refused_by"]["bad_state"]["numbers"], json::array({number(3)}));
  EXPECT_EQ(r["refused_by"]["invalid_number"]["numbers"], json::array({"12"}));
  EXPECT_EQ(r["refused_by"]["duplicate"]["numbers"], json::array({number(0)}));
  EXPECT_EQ(engine_->profile(number(2))->consent, engine::Consent::unsubscribed);
  const auto log = engine_->consent_log("", 0, 0, {}, 100).rows;
  ASSERT_EQ(log.size(), 4u);  // the earlier subscribe, then three rows of the import
  for (std::size_t i = 1; i < log.size(); ++i) {
    EXPECT_EQ(log[i].actor, "ada");
    EXPECT_EQ(log[i].source, engine::ConsentSource::admin);
  }
}

}  // namespace
