// Email notifications end to end: the real twowayd, the SMSC simulator pushing customers'
// texts, and a real SMTP server (Debian's aiosmtpd, tests/e2e/smtp_sink.py) on loopback that
// parses every mail with Python's email package. Checks what the staff receive: recipients,
// subject, both parts, one digest for several texts, keywords left out, and a retry after the
// relay was down; plus `status`, metrics, the `notification` watch event and `settings`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"
#include "tools/smsc_sim/mo_mix.hpp"

extern char** environ;

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";
constexpr const char* kAnn = "16502530001";    // Mountain View, CA
constexpr const char* kBob = "12125550002";    // New York
constexpr const char* kCarol = "13125550003";  // Chicago

/// tests/e2e/smtp_sink.py as a child process; every mail it accepted is a JSON file in `dir`.
class SmtpSink {
 public:
  SmtpSink(const std::string& dir, std::uint16_t port) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string port_file = dir + "/port";
    std::vector<std::string> args = {
        "/usr/bin/python3", SMTP_SINK_SCRIPT,     "--dir",       dir,
        "--port",           std::to_string(port), "--port-file", port_file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, (dir + "/sink.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    wait_for([&] { return std::filesystem::exists(port_file); }, std::chrono::seconds(20));
    if (std::filesystem::exists(port_file)) port_ = std::stoi(read_file(port_file));
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  std::uint16_t port() const { return static_cast<std::uint16_t>(port_); }

  /// The mails received so far, oldest first.
  std::vector<json> mails() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      if (e.path().extension() == ".json") names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    std::vector<json> out;
    for (const auto& n : names) out.push_back(json::parse(read_file(n)));
    return out;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

/// A `watch` connection to the admin socket, read line by line with a bound.
class Watch {
 public:
  Watch(const std::string& socket, const std::string& command) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket.c_str());
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    const std::string line = command + "\n";
    (void)!::write(fd_, line.data(), line.size());
  }
  ~Watch() { ::close(fd_); }
  /// The next line, or "" when none came within `limit`.
  std::string next(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (true) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

std::string config_yaml(const std::string& dir, std::uint16_t smsc_port, std::uint16_t smtp_port) {
  TestConfig c;
  c.number = kOurNumber;
  c.smsc_lines =
      "    reconnect_min: 100ms\n"
      "    reconnect_max: 1s\n";
  c.admin_lines =
      "  mode: \"0666\"\n"
      "  roles:\n"
      "    admin: [nobody]\n";
  c.rest =
      "conversations:\n"
      "  quiet_hours:\n"
      "    enabled: false\n"
      "  notifications:\n"
      "    email:\n"
      "      enabled: true\n"
      "      to: [owner@shop.example, help@shop.example]\n"
      "      from: twoway@shop.example\n"
      "      digest: 10s\n"
      "      smtp: {host: 127.0.0.1, port: " +
      std::to_string(smtp_port) + ", tls: none}\n";
  return c.yaml(dir, smsc_port);
}

class Notifications : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber));
    ::chmod(dir_.path().c_str(), 0755);  // another user reaches the socket (role test)
  }

  void start_daemon(std::uint16_t smtp_port) {
    write_file(config_, config_yaml(dir_.path(), sim_->port(), smtp_port));
    DaemonTest::start_daemon();
  }

  void text(const std::string& from, const std::string& body) {
    sim_->sim().inject_mo("twoway", sim::text_template(body, "text", false), from);
  }

  /// Waits (bounded) until `status` counts a failed mail; `status` is the last answer.
  bool wait_failed_mail(json& status) {
    return wait_for([&] {
      status = call("status");
      return status["notifications"]["failed"].is_number() &&
             status["notifications"]["failed"] >= 1;
    });
  }

  bool wait_mails(const SmtpSink& sink, std::size_t n) {
    return wait_for([&] { return sink.mails().size() >= n; }, std::chrono::seconds(40));
  }
};

TEST_F(Notifications, TheFirstTextIsMailedAtOnceThenOneDigestWithoutKeywords) {
  SmtpSink sink(dir_.path() + "/mail", 0);
  ASSERT_NE(sink.port(), 0) << "the SMTP server did not start (is python3-aiosmtpd installed?)";
  start_daemon(sink.port());

  text(kAnn, "Is the store open on Sunday?");
  ASSERT_TRUE(wait_mails(sink, 1)) << daemon_->log();
  const json first = sink.mails()[0];
  EXPECT_EQ(first["mail_from"], "twoway@shop.example");
  EXPECT_EQ(first["rcpt_tos"], json::array({"owner@shop.example", "help@shop.example"}));
  EXPECT_EQ(first["to"], json::array({"owner@shop.example", "help@shop.example"}));
  EXPECT_EQ(first["from"], "twoway@shop.example");
  EXPECT_EQ(first["subject"], std::string("Acme: new text from +") + kAnn);
  EXPECT_EQ(first["content_type"], "multipart/alternative");
  EXPECT_EQ(first["mime_version"], "1.0");
  EXPECT_EQ(first["defects"], json::array());
  EXPECT_NE(first["date"], "None");
  EXPECT_NE(first["message_id"].get<std::string>().find("@shop.example>"), std::string::npos);
  const std::string text1 = first["text"];
  EXPECT_NE(text1.find("> Is the store open on Sunday?"), std::string::npos) << text1;
  EXPECT_NE(text1.find("Mountain View"), std::string::npos) << text1;
  EXPECT_NE(text1.find("local time"), std::string::npos) << text1;
  EXPECT_NE(text1.find("1 new text, waiting"), std::string::npos) << text1;
  EXPECT_NE(text1.find(std::string("twowayctl thread +") + kAnn), std::string::npos) << text1;
  EXPECT_NE(first["html"].get<std::string>().find("Is the store open on Sunday?"),
            std::string::npos);

  // While the interval runs: a keyword (HELP), Ann again, Carol, and an opt-out (STOP). One
  // mail lists Ann and Carol; the keywords are left out.
  Watch watch(socket_, "watch --events notification");
  text(kBob, "HELP");
  text(kAnn, "And until when? <b>late</b> & fine");
  text(kCarol, "Do you deliver to Chicago? 🙂");
  text(kBob, "STOP");
  ASSERT_TRUE(wait_mails(sink, 2)) << daemon_->log();
  const json second = sink.mails()[1];
  EXPECT_EQ(second["subject"], "Acme: 2 conversations with new texts");
  const std::string text2 = second["text"];
  EXPECT_NE(text2.find("> And until when? <b>late</b> & fine"), std::string::npos) << text2;
  EXPECT_NE(text2.find("> Do you deliver to Chicago? 🙂"), std::string::npos) << text2;
  EXPECT_NE(text2.find(std::string("twowayctl thread +") + kCarol), std::string::npos);
  EXPECT_EQ(text2.find(kBob), std::string::npos) << "a keyword was mailed:\n" << text2;
  EXPECT_EQ(text2.find("Is the store open"), std::string::npos) << "an old text again:\n" << text2;
  const std::string html2 = second["html"];
  EXPECT_NE(html2.find("And until when? &lt;b&gt;late&lt;/b&gt; &amp; fine"), std::string::npos)
      << html2;

  // The watch stream says so; status and metrics count both mails.
  std::string line;
  do {
    line = watch.next();
  } while (!line.empty() && line.find("\"event\":\"notification\"") == std::string::npos);
  ASSERT_FALSE(line.empty()) << "no notification event";
  const json event = json::parse(line);
  EXPECT_EQ(event["status"], "sent");
  EXPECT_EQ(event["conversations"], 2);
  EXPECT_EQ(event["recipients"], 2);
  const json status = call("status");
  EXPECT_EQ(status["notifications"]["sent"], 2) << status.dump();
  EXPECT_EQ(status["notifications"]["failed"], 0);
  EXPECT_EQ(status["notifications"]["pending_conversations"], 0);
  EXPECT_FALSE(status["notifications"]["last_sent"].is_null());
  const std::string metrics = call("metrics")["metrics"];
  EXPECT_NE(metrics.find("twoway_notifications_sent_total 2\n"), std::string::npos);
  EXPECT_NE(metrics.find("twoway_notifications_failed_total 0\n"), std::string::npos);
  EXPECT_EQ(sink.mails().size(), 2u);
}

TEST_F(Notifications, AFailedMailIsRetriedOnceTheRelayIsUp) {
  const std::uint16_t port = unused_port();
  start_daemon(port);  // nothing listens there yet
  text(kAnn, "Hello, anyone there?");
  json status;
  ASSERT_TRUE(wait_failed_mail(status)) << status.dump() << daemon_->log();
  EXPECT_FALSE(status["notifications"]["last_error"].is_null());
  EXPECT_FALSE(status["notifications"]["next_attempt"].is_null());
  EXPECT_EQ(status["notifications"]["pending_conversations"], 1);
  EXPECT_NE(
      call("metrics")["metrics"].get<std::string>().find("twoway_notifications_failed_total "),
      std::string::npos);

  SmtpSink sink(dir_.path() + "/mail", port);
  ASSERT_EQ(sink.port(), port);
  ASSERT_TRUE(wait_mails(sink, 1)) << daemon_->log();
  const json mail = sink.mails()[0];
  EXPECT_EQ(mail["subject"], std::string("Acme: new text from +") + kAnn);
  EXPECT_NE(mail["text"].get<std::string>().find("> Hello, anyone there?"), std::string::npos);
  ASSERT_TRUE(wait_for([&] { return call("status")["notifications"]["sent"] == 1; }));
  EXPECT_EQ(call("status")["notifications"]["pending_conversations"], 0);
}

TEST_F(Notifications, SettingsChangeRecipientsAndRefuseWhatCannotWork) {
  SmtpSink sink(dir_.path() + "/mail", 0);
  ASSERT_NE(sink.port(), 0);
  start_daemon(sink.port());
  auto shown = call("settings notifications.email");
  ASSERT_EQ(shown["ok"], true) << shown.dump();
  EXPECT_EQ(shown["value"]["to"], json::array({"owner@shop.example", "help@shop.example"}));
  EXPECT_EQ(shown["value"]["digest"], "10s");
  EXPECT_EQ(shown["value"]["smtp"]["tls"], "none");

  auto bad = call("settings notifications.email.to 'owner@shop.example, boss at shop'");
  EXPECT_EQ(bad["ok"], false);
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("notifications.email.to"),
            std::string::npos)
      << bad.dump();
  auto tls = call("settings notifications.email.smtp.tls ssl");
  EXPECT_EQ(tls["ok"], false);
  auto no_password = call("settings notifications.email.smtp.username twoway");
  EXPECT_EQ(no_password["ok"], false);
  EXPECT_NE(no_password["error"]["message"].get<std::string>().find("password_file"),
            std::string::npos);

  // An admin edits recipients; where mail goes and which file is read as a password is the
  // owner's (root here) to change.
  const auto relay = admin_call_as(65534, 65534, socket_,
                                   "settings notifications.email.smtp.host "
                                   "mail.elsewhere.example");
  ASSERT_TRUE(relay.has_value());
  EXPECT_EQ((*relay)["ok"], false) << relay->dump();
  EXPECT_EQ((*relay)["error"]["code"], "forbidden");
  const auto digest =
      admin_call_as(65534, 65534, socket_, "settings notifications.email.digest 15m");
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ((*digest)["ok"], true) << digest->dump();
  EXPECT_EQ((*digest)["value"], "15m");
  EXPECT_EQ(call("settings notifications.email.smtp.host")["value"], "127.0.0.1");

  auto to = call("settings notifications.email.to 'night@shop.example'");
  ASSERT_EQ(to["ok"], true) << to.dump();
  EXPECT_EQ(to["value"], json::array({"night@shop.example"}));
  text(kBob, "Is my order shipped?");
  ASSERT_TRUE(wait_mails(sink, 1)) << daemon_->log();
  EXPECT_EQ(sink.mails()[0]["rcpt_tos"], json::array({"night@shop.example"}));

  // Turned off: texts are no longer mailed (the watch event would say so at once).
  ASSERT_EQ(call("settings notifications.email.enabled false")["ok"], true);
  // The notifier takes the change from the event feed, on its own thread.
  EXPECT_TRUE(wait_for([&] { return call("status")["notifications"]["email_enabled"] == false; }))
      << call("status").dump();
}

TEST_F(Notifications, StartTlsIsRequiredNeverSkipped) {
  // The test relay offers no STARTTLS: with tls: starttls nothing may go out in clear.
  SmtpSink sink(dir_.path() + "/mail", 0);
  ASSERT_NE(sink.port(), 0);
  start_daemon(sink.port());
  ASSERT_EQ(call("settings notifications.email.smtp.tls starttls")["ok"], true);
  text(kCarol, "Hello from Chicago");
  json status;
  ASSERT_TRUE(wait_failed_mail(status)) << status.dump() << daemon_->log();
  EXPECT_NE(daemon_->log().find("notification mail failed"), std::string::npos);
  EXPECT_TRUE(sink.mails().empty());

  // Back to plain SMTP (a relay on this machine): the waiting text goes at once.
  ASSERT_EQ(call("settings notifications.email.smtp.tls none")["ok"], true);
  ASSERT_TRUE(wait_mails(sink, 1)) << daemon_->log();
  EXPECT_NE(sink.mails()[0]["text"].get<std::string>().find("> Hello from Chicago"),
            std::string::npos);
}

}  // namespace
}  // namespace twoway::e2e
