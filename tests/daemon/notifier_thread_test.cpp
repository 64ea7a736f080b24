// The notifier on its thread with a real engine and a relay that hangs: texts keep committing
// (the change feed never waits for the mail), keywords are never queued, and the mail written
// names the customer and the text.
#include <gtest/gtest.h>

#include <future>

#include "daemon/notifier.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace twoway::daemon {
namespace {

using namespace std::chrono_literals;
using engine::testing::kAlice;
using engine::testing::kBob;
using engine::testing::kCarol;

bool eventually(const std::function<bool()>& ready, std::chrono::milliseconds limit = 10s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class NotifierThread : public engine::testing::EngineTest {
 protected:
  void SetUp() override {
    auto& e = config.initial_settings.notifications.email;
    e.enabled = true;
    e.to = {"owner@shop.example"};
    e.from = "twoway@shop.example";
    e.digest_seconds = 600;
    open();
  }
};

TEST_F(NotifierThread, TextsKeepCommittingWhileTheRelayHangs) {
  std::promise<void> entered_promise, release_promise;
  auto entered = entered_promise.get_future();
  std::shared_future<void> release = release_promise.get_future().share();
  std::mutex mu;
  std::vector<std::string> sent;
  std::vector<std::string> recipients;
  NotifierOptions options;
  options.send = [&](const SmtpRelay&, const std::string&, const std::vector<std::string>& to,
                     const std::string& message, const std::atomic<bool>*) {
    {
      std::lock_guard lock(mu);
      sent.push_back(message);
      recipients = to;
      if (sent.size() == 1) entered_promise.set_value();
    }
    release.wait();
    return SmtpResult{true, ""};
  };
  std::vector<nlohmann::json> events;
  options.publish = [&](const nlohmann::json& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  };
  Notifier notifier(*engine, std::move(options));
  const auto sub = engine->subscribe([&](const engine::Event& e) { notifier.on_event(e); });
  notifier.start();

  text(kAlice, "Is my order on its way?");
  ASSERT_EQ(entered.wait_for(10s), std::future_status::ready) << "no mail was attempted";

  // The relay hangs; customers keep writing and every text commits at once.
  auto writes = std::async(std::launch::async, [&] {
    text(kBob, "Do you ship to Canada?");
    text(kCarol, "HELP");  // a keyword: never mailed
    text(kCarol, "STOP");
    text(kBob, "And to Mexico?");
  });
  ASSERT_EQ(writes.wait_for(10s), std::future_status::ready)
      << "the message path waited for the mail";
  EXPECT_EQ(notifier.status_json()["pending_conversations"], 1);  // Bob only

  release_promise.set_value();
  // The count goes up before the mail's event is published: wait for both.
  ASSERT_TRUE(eventually([&] {
    {
      std::lock_guard lock(mu);
      if (events.empty()) return false;
    }
    return notifier.status_json()["sent"] == 1;
  }));
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(recipients, std::vector<std::string>{"owner@shop.example"});
    EXPECT_NE(sent[0].find("Subject: Acme: new text from +16502530000"), std::string::npos)
        << sent[0];
    EXPECT_NE(sent[0].find("Is my order on its way?"), std::string::npos);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["status"], "sent");
    EXPECT_EQ(events[0]["numbers"], nlohmann::json::array({kAlice}));
  }
  // Bob's texts wait for the digest interval (10 minutes here); stopping does not wait for it.
  const auto stop_started = std::chrono::steady_clock::now();
  notifier.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 5s);
  engine->unsubscribe(sub);
}

TEST_F(NotifierThread, TurnedOffNothingIsQueuedOrSent) {
  auto s = engine->settings();
  s.notifications.email.enabled = false;
  ASSERT_TRUE(engine->set_settings(s).empty());
  std::atomic<int> calls{0};
  NotifierOptions options;
  options.send = [&](const SmtpRelay&, const std::string&, const std::vector<std::string>&,
                     const std::string&, const std::atomic<bool>*) {
    ++calls;
    return SmtpResult{true, ""};
  };
  Notifier notifier(*engine, std::move(options));
  const auto sub = engine->subscribe([&](const engine::Event& e) { notifier.on_event(e); });
  notifier.start();
  text(kAlice, "Hello?");
  EXPECT_EQ(notifier.status_json()["email_enabled"], false);
  EXPECT_EQ(notifier.status_json()["pending_conversations"], 0);

  // Turned on through the settings: the next text is mailed at once.
  s.notifications.email.enabled = true;
  ASSERT_TRUE(engine->set_settings(s).empty());
  ASSERT_TRUE(eventually([&] { return notifier.status_json()["email_enabled"] == true; }));
  text(kBob, "Anyone?");
  ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
  notifier.stop();
  engine->unsubscribe(sub);
}

}  // namespace
}  // namespace twoway::daemon
