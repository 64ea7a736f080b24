// End-to-end, for what a shop sets next to its inbox: admin lines whose text is typed as is
// (socat and twowayctl), templates with previews, custom keywords changed at run time, the
// reload's word on first values, `watch` events with the message text and the waiting list.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "harness.hpp"
#include "smpp/charset.hpp"
#include "tools/smsc_sim/mo_mix.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";
constexpr const char* kAnn = "16502530001";
constexpr const char* kBob = "12125550002";

std::string config_yaml(const std::string& dir, std::uint16_t port,
                        const std::string& auto_message) {
  TestConfig c;
  c.org_name = "Acme Bikes";
  c.number = kOurNumber;
  c.smsc_lines =
      "    reconnect_min: 100ms\n"
      "    reconnect_max: 1s\n";
  c.rest =
      "conversations:\n"
      "  quiet_hours:\n"
      "    enabled: false\n"
      "  auto_responder:\n"
      "    mode: non_consented\n"
      "    message: \"" +
      auto_message + "\"\n";
  return c.yaml(dir, port);
}

// A `watch` connection: the lines it has received so far.
class Watcher {
 public:
  explicit Watcher(const std::string& socket) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    const std::string line = "watch --events inbound,outbound\n";
    (void)!::send(fd_, line.data(), line.size(), MSG_NOSIGNAL);
  }
  ~Watcher() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Reads what has arrived (waiting at most `ms`), returns every complete line so far.
  const std::vector<json>& poll_lines(int ms = 50) {
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, ms) > 0) {
      char buf[65536];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      buffer_.append(buf, static_cast<std::size_t>(n));
      ms = 0;
    }
    for (auto nl = buffer_.find('\n'); nl != std::string::npos; nl = buffer_.find('\n')) {
      lines_.push_back(json::parse(buffer_.substr(0, nl), nullptr, false));
      buffer_.erase(0, nl + 1);
    }
    return lines_;
  }

 private:
  int fd_ = -1;
  std::string buffer_;
  std::vector<json> lines_;
};

class SettingsEndToEnd : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber, /*keep_mt_records=*/true));
    write_file(config_, config_yaml(dir_.path(), sim_->port(),
                                    "Thanks {{profile.first_name|there}}! {{email}}"));
    start_daemon();
  }

  void text(const std::string& from, const std::string& body) {
    sim_->sim().inject_mo("twoway", sim::text_template(body, "text", false), from);
  }

  void subscribe(const std::string& number) {
    text(number, "START");
    ASSERT_TRUE(wait_for([&] {
      return call("profile +" + number)["consent"] == "subscribed" &&
             !mt_texts(sim_->sim(), number).empty();
    }));
  }
};

TEST_F(SettingsEndToEnd, ARepliesTextIsTakenAsTypedOverSocatAndTwowayctl) {
  subscribe(kBob);
  const std::string bob = std::string("+") + kBob;
  // As typed at socat: apostrophes, quotes and a backslash, no quoting.
  const std::string typed = R"(Don't worry, it's on its way: "box 2" \o/)";
  auto r = json::parse(admin_raw(socket_, "reply " + bob + " " + typed + "\n"), nullptr, false);
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() >= 2; }));
  EXPECT_EQ(mt_texts(sim_->sim(), kBob)[1], typed);

  // twowayctl sends its words as one quoted text; the customer gets them joined by spaces.
  const std::string command = std::string(TWOWAYCTL_BIN) + " --socket " + socket_ + " reply " +
                              bob + " 'She said \"hi\" \\o/' \"it's\" > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() >= 3; }));
  EXPECT_EQ(mt_texts(sim_->sim(), kBob)[2], R"(She said "hi" \o/ it's)");

  // The thread shows both exactly so.
  auto t = call("thread " + bob);
  ASSERT_EQ(t["ok"], true);
  const auto& m = t["messages"];
  EXPECT_EQ(m[m.size() - 2]["text"], typed);
  EXPECT_EQ(m[m.size() - 1]["text"], R"(She said "hi" \o/ it's)");
}

TEST_F(SettingsEndToEnd, TemplatesArePreviewedCheckedAndFilledIn) {
  // The config's auto-responder message, with its fallback and the {{email}} alias, as sent.
  text(kAnn, "Is the shop open?");
  ASSERT_TRUE(wait_for([&] { return !mt_texts(sim_->sim(), kAnn).empty(); }));
  EXPECT_EQ(mt_texts(sim_->sim(), kAnn)[0], "Thanks there! help@acme.example");

  auto shown = call("settings auto_responder.message");
  ASSERT_EQ(shown["ok"], true) << shown.dump();
  EXPECT_EQ(shown["preview"]["text"], "Thanks there! help@acme.example");
  EXPECT_EQ(shown["preview"]["encoding"], "gsm7");
  EXPECT_EQ(shown["preview"]["segments"], 1);

  auto bad = call("settings auto_responder.message Hi {{profile.nickname}}, it's us");
  EXPECT_EQ(bad["ok"], false);
  EXPECT_EQ(bad["error"]["code"], "bad_request");
  EXPECT_NE(bad["error"]["message"].get<std::string>().find(
                "auto_responder.message: unknown placeholder {{profile.nickname}}"),
            std::string::npos)
      << bad.dump();
  // Nothing changed.
  EXPECT_EQ(call("settings auto_responder.message")["value"],
            "Thanks {{profile.first_name|there}}! {{email}}");

  auto set = call(
      "settings auto_responder.message {{Organization prefix}}: merci 🙂 {{organization.name}}");
  ASSERT_EQ(set["ok"], true) << set.dump();
  EXPECT_EQ(set["preview"]["text"], "Acme: merci 🙂 Acme Bikes");
  EXPECT_EQ(set["preview"]["encoding"], "ucs2");
  EXPECT_EQ(set["preview"]["segments"], 1);
  // An empty answer previews the built-in text.
  auto help = call("settings answers.help");
  EXPECT_NE(help["preview"]["text"].get<std::string>().find("Help: help@acme.example."),
            std::string::npos)
      << help.dump();
}

TEST_F(SettingsEndToEnd, CustomKeywordsChangeAtRunTimeAndNeverShadowTheFloor) {
  auto added =
      call("settings keywords.custom.HOURS.reply {{organization.name}}: open 9-5, we're here");
  ASSERT_EQ(added["ok"], true) << added.dump();
  EXPECT_EQ(added["value"]["word"], "HOURS");
  EXPECT_EQ(added["value"]["action"], "none");
  EXPECT_EQ(added["preview"]["text"], "Acme Bikes: open 9-5, we're here");
  text(kAnn, "hours?");
  ASSERT_TRUE(wait_for([&] { return !mt_texts(sim_->sim(), kAnn).empty(); }));
  EXPECT_EQ(mt_texts(sim_->sim(), kAnn)[0], "Acme Bikes: open 9-5, we're here");

  // Floor words, and texts the floor reads, are refused.
  for (const char* line :
       {"settings keywords.custom.STOP.reply bye", "settings keywords.custom.Help.reply hi",
        "settings 'keywords.custom.stop please.reply' ok",
        "settings keywords.custom.STPO.action none",
        "settings 'keywords.custom.cancel order.reply' ok"}) {
    auto r = call(line);
    EXPECT_EQ(r["ok"], false) << line;
    EXPECT_EQ(r["error"]["code"], "bad_request") << line;
    EXPECT_NE(r["error"]["message"].get<std::string>().find("keyword floor keeps it"),
              std::string::npos)
        << r.dump();
  }
  EXPECT_EQ(call("settings keywords.custom.HOURS.reply Open {{hours}}")["error"]["code"],
            "bad_request");
  EXPECT_EQ(call("settings 'keywords.custom.STORE HOURS.reply' 9-5")["error"]["message"],
            "keywords.custom: 'STORE HOURS' must be a single word");

  // An opt-in keyword, effective at once and kept across a restart.
  ASSERT_EQ(call("settings keywords.custom.JOIN.action opt_in")["ok"], true);
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  start_daemon();
  auto listed = call("settings keywords.custom");
  ASSERT_EQ(listed["value"].size(), 2u) << listed.dump();
  EXPECT_EQ(listed["value"][1]["word"], "JOIN");
  EXPECT_EQ(listed["value"][1]["action"], "opt_in");
  text(kBob, "join");
  ASSERT_TRUE(
      wait_for([&] { return call("profile +" + std::string(kBob))["consent"] == "subscribed"; }));

  // Removed: "hours" is free text again (the inbox shows it).
  auto removed = call("settings keywords.custom.remove hours");
  ASSERT_EQ(removed["ok"], true) << removed.dump();
  EXPECT_EQ(removed["removed"], "HOURS");
  EXPECT_EQ(call("settings keywords.custom.remove hours")["error"]["code"], "not_found");
  text(kBob, "hours");
  ASSERT_TRUE(wait_for([&] {
    auto inbox = call("inbox");
    return inbox["conversations"].size() == 1 && inbox["conversations"][0]["preview"] == "hours";
  }));
}

TEST_F(SettingsEndToEnd, AReloadNamesTheFirstValuesItKeepsAndHowToChangeThem) {
  write_file(config_, config_yaml(dir_.path(), sim_->port(), "New text from the file"));
  auto r = call("reload");
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(r["first_values_only"].size(), 1u) << r.dump();
  EXPECT_EQ(r["first_values_only"][0]["key"], "conversations.auto_responder.message");
  EXPECT_EQ(r["first_values_only"][0]["change_with"],
            "twowayctl settings auto_responder.message TEXT");
  EXPECT_NE(daemon_->log().find("reload first_values_only key=conversations.auto_responder."
                                "message kept=store change_with=\"twowayctl settings "
                                "auto_responder.message TEXT\""),
            std::string::npos)
      << daemon_->log();
  // The store's value is still the one in force.
  EXPECT_EQ(call("settings auto_responder.message")["value"],
            "Thanks {{profile.first_name|there}}! {{email}}");

  // An unknown placeholder in the file: --check-config names the line and key, a reload is
  // refused, and nothing reaches a customer.
  write_file(config_, config_yaml(dir_.path(), sim_->port(), "Hi {{profile.nickname}}"));
  const std::string out = dir_.path() + "/check.out";
  const std::string command =
      std::string(TWOWAYD_BIN) + " --check-config --config " + config_ + " > " + out + " 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
  EXPECT_NE(read_file(out).find(config_ + ":26:14: conversations.auto_responder.message: unknown "
                                          "placeholder {{profile.nickname}}"),
            std::string::npos)
      << read_file(out);
  auto refused = call("reload");
  EXPECT_EQ(refused["ok"], false);
  EXPECT_NE(refused.dump().find("unknown placeholder {{profile.nickname}}"), std::string::npos)
      << refused.dump();
}

TEST_F(SettingsEndToEnd, WatchEventsCarryTheTextAndTheWaitingListIsOldestFirst) {
  Watcher watch(socket_);
  ASSERT_TRUE(wait_for([&] { return !watch.poll_lines().empty(); }));  // {"ok":true,"stream":true}
  text(kAnn, "Where is my order? 🚲");
  json inbound, outbound;
  ASSERT_TRUE(wait_for([&] {
    for (const auto& e : watch.poll_lines()) {
      if (e.value("event", "") == "inbound") inbound = e;
      if (e.value("event", "") == "outbound") outbound = e;
    }
    return inbound.is_object() && outbound.is_object();
  }));
  EXPECT_EQ(inbound["text"], "Where is my order? 🚲");
  EXPECT_EQ(inbound["segments"], 1);
  EXPECT_EQ(inbound["encoding"], "ucs2");
  EXPECT_EQ(outbound["text"], "Thanks there! help@acme.example");
  EXPECT_EQ(outbound["segments"], 1);

  // Waiting longer than the threshold: Ann, then Bob, oldest first, a page at a time.
  ASSERT_EQ(call("settings notifications.waiting_threshold_seconds 0")["ok"], true);
  ASSERT_TRUE(wait_for([&] { return call("waiting")["conversations"].size() == 1; }));
  text(kBob, "Hello?");
  ASSERT_TRUE(wait_for([&] { return call("waiting")["conversations"].size() == 2; }));
  auto first = call("waiting --limit 1");
  ASSERT_EQ(first["conversations"].size(), 1u) << first.dump();
  EXPECT_EQ(first["conversations"][0]["number"], std::string("+") + kAnn);
  EXPECT_GE(first["conversations"][0]["waiting_seconds"], 1);
  ASSERT_TRUE(first["next_cursor"].is_string()) << first.dump();
  auto second = call("waiting --limit 1 --after " + first["next_cursor"].get<std::string>());
  ASSERT_EQ(second["conversations"].size(), 1u) << second.dump();
  EXPECT_EQ(second["conversations"][0]["number"], std::string("+") + kBob);
  EXPECT_TRUE(second["conversations"][0]["waiting_since"].is_string()) << second.dump();
  EXPECT_TRUE(second["next_cursor"].is_null());
  EXPECT_EQ(call("waiting --after zz")["error"]["code"], "bad_request");
  // stats counts the same conversations.
  EXPECT_EQ(call("stats")["waiting_over_threshold"], 2);

  // An answer takes a conversation off the list.
  ASSERT_EQ(call("consent +" + std::string(kAnn) + " subscribed")["ok"], true);
  ASSERT_EQ(call("reply +" + std::string(kAnn) + " On its way!")["ok"], true);
  auto after = call("waiting");
  ASSERT_EQ(after["conversations"].size(), 1u) << after.dump();
  EXPECT_EQ(after["conversations"][0]["number"], std::string("+") + kBob);
}

}  // namespace
}  // namespace twoway::e2e
