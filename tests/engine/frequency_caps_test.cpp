// Frequency caps on campaign and flow messages: Florida and Oklahoma allow 3 per rolling 24
// hours, held like quiet hours and enforced again when claimed; direct answers are never capped
// or counted; the rules are settings (validated, stored, read forward-compatibly).
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/frequency_caps.hpp"
#include "engine/records.hpp"
#include "engine/settings.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine {
namespace {

using testing::EngineTest;
using testing::kAlice;
using testing::kNoon;

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 24 * kHour;
// Miami (area code 305): Florida, Eastern time. At kNoon it is 13:00 there.
constexpr const char* kMiami = "+13052530000";
// Oklahoma City (405), Central time.
constexpr const char* kOklahoma = "+14052530000";

class FrequencyCapTest : public EngineTest {
 protected:
  SendResult campaign(const std::string& number, MessageKind kind = MessageKind::campaign) {
    return engine->send({number, "Sale " + std::to_string(++sent_), kind, "crm", now});
  }
  // Sends one campaign message and hands it to the SMSC at once; asserts it went.
  void send_and_drain(const std::string& number, MessageKind kind = MessageKind::campaign) {
    const SendResult r = campaign(number, kind);
    ASSERT_TRUE(r.ok()) << to_string(r.error);
    EXPECT_FALSE(r.held) << r.hold_reason;
    EXPECT_EQ(drain().size(), 1u);
  }
  void set_caps(const FrequencyCapsConfig& caps) {
    Settings s = engine->settings();
    s.frequency_caps = caps;
    ASSERT_TRUE(engine->set_settings(s).empty());
  }
  void caps_enabled(bool enabled) {
    FrequencyCapsConfig caps = engine->settings().frequency_caps;
    caps.enabled = enabled;
    set_caps(caps);
  }
  int sent_ = 0;
};

TEST_F(FrequencyCapTest, FloridaGetsThreeCampaignMessagesPerDayAndTheFourthWaitsForASlot) {
  subscribe_number(kMiami);
  const std::int64_t first = now;
  send_and_drain(kMiami);
  now += kHour;
  send_and_drain(kMiami);
  now += kHour;
  send_and_drain(kMiami);

  now += kHour;
  const SendResult r = campaign(kMiami);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.hold_reason, "frequency_cap");
  EXPECT_EQ(r.due_unix, first + kDay);
  EXPECT_FALSE(r.frequency_cap.allowed);
  EXPECT_EQ(r.frequency_cap.rule, "florida");
  EXPECT_EQ(r.frequency_cap.max_messages, 3u);
  EXPECT_EQ(r.frequency_cap.period_seconds, kDay);
  EXPECT_EQ(r.frequency_cap.counted, 3u);
  EXPECT_TRUE(r.quiet.allowed);  // 16:00 in Miami: only the cap holds it
  EXPECT_EQ(thread_of(kMiami).back().state, MessageState::held);

  now = first + kDay - 1;
  EXPECT_TRUE(drain().empty());
  now = first + kDay;
  const auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "Sale 4");
  EXPECT_EQ(thread_of(kMiami).back().state, MessageState::sent);
}

TEST_F(FrequencyCapTest, OklahomaIsCappedToo) {
  subscribe_number(kOklahoma);
  for (int i = 0; i < 3; ++i) send_and_drain(kOklahoma);
  const SendResult r = campaign(kOklahoma);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.frequency_cap.rule, "oklahoma");
  EXPECT_EQ(r.due_unix, kNoon + kDay);
}

TEST_F(FrequencyCapTest, ACaliforniaNumberIsNotCapped) {
  subscribe_number(kAlice);
  for (int i = 0; i < 6; ++i) {
    const SendResult r = campaign(kAlice);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.held);
    EXPECT_EQ(r.hold_reason, "");
    EXPECT_EQ(r.frequency_cap.rule, "");
  }
  EXPECT_EQ(drain().size(), 6u);
  EXPECT_TRUE(profile_of(kAlice).campaign_sent_at.empty());  // nothing to count for
}

TEST_F(FrequencyCapTest, FlowMessagesCountWithCampaigns) {
  subscribe_number(kMiami);
  send_and_drain(kMiami, MessageKind::campaign);
  send_and_drain(kMiami, MessageKind::flow);
  send_and_drain(kMiami, MessageKind::campaign);
  const SendResult r = campaign(kMiami, MessageKind::flow);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.hold_reason, "frequency_cap");
  EXPECT_TRUE(drain().empty());
}

TEST_F(FrequencyCapTest, QueuedMessagesCountBeforeTheyAreSent) {
  subscribe_number(kMiami);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(campaign(kMiami).held);  // queued, not yet claimed
  const SendResult r = campaign(kMiami);
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.frequency_cap.counted, 3u);
  EXPECT_EQ(r.due_unix, kNoon + kDay);
  EXPECT_EQ(drain().size(), 3u);
  now = kNoon + kDay;
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(FrequencyCapTest, KeywordAnswersAndAgentRepliesAreNeverCappedOrCounted) {
  subscribe_number(kMiami);
  text(kMiami, "hi");
  // Direct answers first: they take none of the three slots.
  for (int i = 0; i < 3; ++i) {
    const SendResult r = engine->reply({kMiami, "Happy to help", "ann", false, now});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.held);
  }
  text(kMiami, "HELP");
  EXPECT_EQ(drain().size(), 4u);
  EXPECT_TRUE(profile_of(kMiami).campaign_sent_at.empty());
  for (int i = 0; i < 3; ++i) send_and_drain(kMiami);
  EXPECT_TRUE(campaign(kMiami).held);
  // With the cap reached, answers still go at once.
  text(kMiami, "HELP");
  ASSERT_TRUE(engine->reply({kMiami, "Your order shipped", "ann", false, now}).ok());
  const auto out = drain();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, MessageKind::keyword_reply);
  EXPECT_EQ(out[1].kind, MessageKind::agent_reply);
}

TEST_F(FrequencyCapTest, ASlotAfterTheQuietHoursBeginLaterWins) {
  subscribe_number(kMiami);
  // 12:00, 13:00 and 14:00 in Miami; the next is asked for at 22:00 (quiet hours until 08:00).
  now = kNoon - kHour;
  const std::int64_t first = now;
  for (int i = 0; i < 3; ++i, now += kHour) send_and_drain(kMiami);
  now = kNoon + 9 * kHour;
  const SendResult r = campaign(kMiami);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_FALSE(r.quiet.allowed);
  EXPECT_EQ(r.quiet.local_time, "22:00");
  EXPECT_EQ(r.hold_reason, "frequency_cap");  // 12:00 tomorrow, later than 08:00
  EXPECT_EQ(r.due_unix, first + kDay);
}

TEST_F(FrequencyCapTest, ASlotThatOpensInQuietHoursMovesToTheirEnd) {
  FrequencyCapsConfig caps = default_frequency_caps();
  caps.rules[0].period_seconds = 26 * kHour;  // florida
  set_caps(caps);
  subscribe_number(kMiami);
  // 19:00, 19:10, 19:20 in Miami; a slot opens 26 hours after the first: 21:00 tomorrow, in
  // Florida's quiet hours (20:00-08:00), so it goes at 08:00 the day after.
  now = kNoon + 6 * kHour;
  const std::int64_t first = now;
  for (int i = 0; i < 3; ++i, now += 10 * 60) send_and_drain(kMiami);
  const SendResult r = campaign(kMiami);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.hold_reason, "frequency_cap");
  const std::int64_t eight_am = first + 37 * kHour;  // 19:00 + 37 h = 08:00 two days later
  EXPECT_EQ(r.due_unix, eight_am);
  now = first + 26 * kHour;
  EXPECT_TRUE(drain().empty());
  now = eight_am;
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(FrequencyCapTest, QuietHoursAloneHoldWithTheirOwnReason) {
  subscribe_number(kMiami);
  now = kNoon + 9 * kHour;  // 22:00 in Miami
  const SendResult r = campaign(kMiami);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.hold_reason, "quiet_hours");
  EXPECT_TRUE(r.frequency_cap.allowed);
  EXPECT_EQ(r.frequency_cap.rule, "florida");
  EXPECT_EQ(r.due_unix, kNoon + 19 * kHour);  // 08:00
}

TEST_F(FrequencyCapTest, HeldMessagesCountLikeQueuedOnes) {
  subscribe_number(kMiami);
  now = kNoon + 9 * kHour;  // 22:00 in Miami: three wait for 08:00, the fourth a day more
  for (int i = 0; i < 3; ++i) EXPECT_EQ(campaign(kMiami).hold_reason, "quiet_hours");
  const SendResult r = campaign(kMiami);
  EXPECT_EQ(r.hold_reason, "frequency_cap");
  EXPECT_EQ(r.due_unix, kNoon + 19 * kHour + kDay);
  now = kNoon + 19 * kHour;
  EXPECT_EQ(drain().size(), 3u);
  now += kDay;
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(FrequencyCapTest, DisabledCapsHoldNothingButStillCount) {
  caps_enabled(false);
  subscribe_number(kMiami);
  for (int i = 0; i < 5; ++i, now += 60) send_and_drain(kMiami);
  EXPECT_EQ(profile_of(kMiami).campaign_sent_at.size(), 5u);
  // Turned on again, what went while they were off counts: the next waits until only two of
  // them are within the day (the third-latest leaves the window).
  caps_enabled(true);
  const SendResult r = campaign(kMiami);
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.due_unix, kNoon + 2 * 60 + kDay);
}

TEST_F(FrequencyCapTest, TheClaimEnforcesTheCapOnMessagesQueuedBeforeItWasOn) {
  caps_enabled(false);
  subscribe_number(kMiami);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(campaign(kMiami).held);
  caps_enabled(true);
  std::vector<Event> events;
  const auto id = engine->subscribe([&](const Event& e) { events.push_back(e); });
  EXPECT_EQ(drain().size(), 3u);
  engine->unsubscribe(id);
  const auto held = std::count_if(events.begin(), events.end(), [](const Event& e) {
    return e.type == EventType::outbound && e.state == MessageState::held &&
           e.detail == "frequency_cap";
  });
  EXPECT_EQ(held, 2);
  const auto thread = thread_of(kMiami);
  ASSERT_EQ(thread.size(), 5u);
  EXPECT_EQ(thread[3].state, MessageState::held);
  EXPECT_EQ(thread[4].state, MessageState::held);
  now = kNoon + kDay - 1;
  EXPECT_TRUE(drain().empty());
  now = kNoon + kDay;
  EXPECT_EQ(drain().size(), 2u);  // the three of yesterday left the window together
}

TEST_F(FrequencyCapTest, ARetryKeepsItsSlot) {
  subscribe_number(kMiami);
  ASSERT_FALSE(campaign(kMiami).held);
  auto items = engine->claim_due(now, 10);
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(engine->mark_failed(items[0].id, "throttled", true, now));
  for (int i = 0; i < 2; ++i) send_and_drain(kMiami);
  now += kHour;  // past the backoff: the retry goes, counted once
  EXPECT_EQ(drain().size(), 1u);
  EXPECT_EQ(profile_of(kMiami).campaign_sent_at.size(), 3u);
}

TEST_F(FrequencyCapTest, TheSendHistoryIsBounded) {
  caps_enabled(false);
  subscribe_number(kMiami);
  for (int i = 0; i < 40; ++i, now += 60) send_and_drain(kMiami);
  const auto history = profile_of(kMiami).campaign_sent_at;
  ASSERT_EQ(history.size(), kMaxCapHistory);
  EXPECT_EQ(history.back(), now - 60);
  EXPECT_TRUE(std::is_sorted(history.begin(), history.end()));
  // Two days on, only the new send is kept: nothing older than the longest period matters.
  now += 2 * kDay;
  send_and_drain(kMiami);
  EXPECT_EQ(profile_of(kMiami).campaign_sent_at, std::vector<std::int64_t>{now});
}

TEST_F(FrequencyCapTest, ConfiguredRulesMatchLikeQuietHoursRules) {
  FrequencyCapsConfig caps = default_frequency_caps();
  // The first matching rule applies: an area-code rule before the state's.
  caps.rules.insert(caps.rules.begin(), {"miami_daily", {"+1305"}, 1, kDay});
  caps.rules.push_back({"california", {"us-ca"}, 2, kHour});
  set_caps(caps);
  subscribe_number(kMiami);
  subscribe_number(kAlice);
  send_and_drain(kMiami);
  SendResult r = campaign(kMiami);
  EXPECT_EQ(r.frequency_cap.rule, "miami_daily");
  EXPECT_TRUE(r.held);
  send_and_drain(kAlice);
  send_and_drain(kAlice);
  r = campaign(kAlice);
  EXPECT_EQ(r.frequency_cap.rule, "california");
  EXPECT_EQ(r.due_unix, kNoon + kHour);
}

TEST_F(FrequencyCapTest, SettingsSurviveARestart) {
  FrequencyCapsConfig caps;
  caps.enabled = false;
  caps.rules = {{"georgia", {"US-GA", "+1404"}, 5, 7 * kDay}};
  set_caps(caps);
  reopen();
  const FrequencyCapsConfig back = engine->settings().frequency_caps;
  EXPECT_FALSE(back.enabled);
  ASSERT_EQ(back.rules.size(), 1u);
  EXPECT_EQ(back.rules[0].name, "georgia");
  EXPECT_EQ(back.rules[0].regions, (std::vector<std::string>{"US-GA", "+1404"}));
  EXPECT_EQ(back.rules[0].max_messages, 5u);
  EXPECT_EQ(back.rules[0].period_seconds, 7 * kDay);
}

TEST_F(FrequencyCapTest, UnusableRulesAreRefused) {
  FrequencyCapsConfig caps;
  caps.rules = {{"bad", {"US-XX"}, 0, 10}};
  Settings s = engine->settings();
  s.frequency_caps = caps;
  const auto errors = engine->set_settings(s);
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "frequency_caps: rule bad: max must be 1..32",
                        "frequency_caps: rule bad: period must be 1m..31d",
                        "frequency_caps: rule bad: state US-XX is not in the area code table",
                    }));
  EXPECT_EQ(engine->settings().frequency_caps.rules.size(), 2u);  // unchanged
}

TEST(FrequencyCaps, DefaultsAreFloridaAndOklahoma) {
  const FrequencyCapsConfig caps = Settings{}.frequency_caps;
  EXPECT_TRUE(caps.enabled);
  ASSERT_EQ(caps.rules.size(), 2u);
  EXPECT_EQ(caps.rules[0].name, "florida");
  EXPECT_EQ(caps.rules[0].regions, std::vector<std::string>{"US-FL"});
  EXPECT_EQ(caps.rules[1].name, "oklahoma");
  EXPECT_EQ(caps.rules[1].regions, std::vector<std::string>{"US-OK"});
  for (const auto& rule : caps.rules) {
    EXPECT_EQ(rule.max_messages, 3u);
    EXPECT_EQ(rule.period_seconds, kDay);
  }
  EXPECT_TRUE(frequency_caps_config_errors(caps).empty());
}

TEST(FrequencyCaps, ConfigErrorsNameTheRuleAndTheProblem) {
  FrequencyCapsConfig caps;
  caps.rules = {{"", {"+1305"}, 3, kDay},
                {"many", {"GB"}, 33, kDay},
                {"long", {"+44"}, 3, 32 * kDay},
                {"nowhere", {}, 3, kDay},
                {"odd", {"Florida"}, 3, kDay}};
  EXPECT_EQ(frequency_caps_config_errors(caps),
            (std::vector<std::string>{
                "rule (unnamed): needs a name",
                "rule many: max must be 1..32",
                "rule long: period must be 1m..31d",
                "rule nowhere: matches no number",
                "rule odd: \"Florida\" is neither US-XX, a +prefix nor a two-letter region",
            }));
}

TEST(FrequencyCaps, SettingsRecordRoundTrip) {
  Settings s;
  s.frequency_caps.enabled = false;
  s.frequency_caps.rules = {{"texas", {"US-TX"}, 2, 12 * kHour}};
  std::string buf;
  records::encode(s, buf);
  Settings back;
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_FALSE(back.frequency_caps.enabled);
  ASSERT_EQ(back.frequency_caps.rules.size(), 1u);
  EXPECT_EQ(back.frequency_caps.rules[0].name, "texas");
  EXPECT_EQ(back.frequency_caps.rules[0].regions, std::vector<std::string>{"US-TX"});
  EXPECT_EQ(back.frequency_caps.rules[0].max_messages, 2u);
  EXPECT_EQ(back.frequency_caps.rules[0].period_seconds, 12 * kHour);
}

TEST(FrequencyCaps, AnOlderSettingsRecordReadsAsTheDefaults) {
  // A record written before frequency caps ends after the link-shortening fields; here: a
  // record with caps enabled and no rules, less its last two bytes (enabled, rule count).
  Settings s;
  s.link_shortening.enabled = true;
  s.link_shortening.domain = "ac.me";
  s.frequency_caps.rules.clear();
  std::string buf;
  records::encode(s, buf);
  // The link listener and expiry came later still: leave them out first.
  std::string later;
  {
    records::Writer w(later);
    w.str(s.link_shortening.listen);
    w.svarint(s.link_shortening.expiry_seconds);
  }
  ASSERT_EQ(buf.substr(buf.size() - later.size()), later);
  buf.resize(buf.size() - later.size());
  ASSERT_EQ(buf.substr(buf.size() - 2), std::string("\x01\x00", 2));
  buf.resize(buf.size() - 2);
  Settings back;  // the defaults, as read_settings starts from
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_EQ(back.link_shortening.domain, "ac.me");
  EXPECT_TRUE(back.frequency_caps.enabled);
  ASSERT_EQ(back.frequency_caps.rules.size(), 2u);
  EXPECT_EQ(back.frequency_caps.rules[0].name, "florida");
}

TEST(FrequencyCaps, ProfileRecordKeepsTheSendHistory) {
  Profile p;
  p.name = "Ann";
  p.last_message_id = 42;
  p.campaign_sent_at = {kNoon, kNoon + 5, kNoon + kDay};
  std::string buf;
  records::encode(p, buf);
  Profile back;
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_EQ(back.campaign_sent_at, p.campaign_sent_at);
  EXPECT_EQ(back.last_message_id, 42u);

  // An older record (ending at last_message_id) reads as no history, even into a reused profile.
  Profile old = p;
  old.campaign_sent_at.clear();
  records::encode(old, buf);
  ASSERT_EQ(buf.back(), '\0');  // the empty history's count
  buf.pop_back();
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_TRUE(back.campaign_sent_at.empty());
  EXPECT_EQ(back.last_message_id, 42u);
}

TEST(FrequencyCaps, RecordingKeepsTheLongestPeriodAndAtMost32) {
  std::vector<std::int64_t> history;
  for (int i = 0; i < 40; ++i) record_capped_send(history, kNoon + i, kDay);
  ASSERT_EQ(history.size(), kMaxCapHistory);
  EXPECT_EQ(history.front(), kNoon + 8);
  record_capped_send(history, kNoon + kDay + 20, kDay);  // those up to kNoon + 20 leave
  EXPECT_EQ(history.front(), kNoon + 21);
  EXPECT_EQ(history.back(), kNoon + kDay + 20);
  EXPECT_EQ(history.size(), 20u);
}

}  // namespace
}  // namespace twoway::engine
