// Bulk sends and consent imports: a group of recipients checked by the single send's rules and
// queued in one transaction; every refusal reason, holds for quiet hours and frequency caps,
// and consent imports that log each change as the single command does.
#include <gtest/gtest.h>

#include <future>

#include "engine/actions.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine {
namespace {

using testing::EngineTest;
using testing::kAlice;
using testing::kBob;
using testing::kCarol;
using testing::kNightCA;
using testing::kNoon;

constexpr std::int64_t kHour = 3600;
constexpr const char* kMiami = "+13052530000";  // Florida: 3 campaign messages per 24 h
constexpr const char* kDave = "+16502530003";
constexpr const char* kErin = "+16502530004";

class BulkTest : public EngineTest {
 protected:
  std::vector<BulkOutcome> send_group(std::vector<std::string> numbers,
                                      const std::string& text = "Spring sale: 20% off") {
    BulkSend req;
    req.numbers = std::move(numbers);
    req.text = text;
    req.kind = MessageKind::campaign;
    req.source = "crm";
    req.now = now;
    std::promise<std::vector<BulkOutcome>> p;
    auto f = p.get_future();
    engine->send_group(std::move(req), [&p](std::vector<BulkOutcome> r) { p.set_value(r); });
    return f.get();
  }

  std::vector<ImportOutcome> import_group(std::vector<ConsentChangeRow> rows,
                                          ConsentSource source = ConsentSource::import) {
    ConsentImport req;
    req.rows = std::move(rows);
    req.source = source;
    req.now = now;
    req.actor = "ops";
    std::promise<std::optional<std::vector<ImportOutcome>>> p;
    auto f = p.get_future();
    engine->import_consent_group(std::move(req), [&p](auto r) { p.set_value(std::move(r)); });
    auto r = f.get();
    EXPECT_TRUE(r.has_value());
    return r.value_or(std::vector<ImportOutcome>{});
  }

  std::string number(int i) const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+1650253%04d", 1000 + i);
    return buf;
  }
};

TEST_F(BulkTest, AGroupIsOneTransactionAndEverySubscriberGetsOneMessage) {
  std::vector<std::string> numbers;
  for (int i = 0; i < 500; ++i) {
    numbers.push_back(number(i));
    subscribe_number(numbers.back());
  }
  const auto before = engine->commit_stats().commits;
  const auto out = send_group(numbers);
  EXPECT_EQ(engine->commit_stats().commits, before + 1);
  ASSERT_EQ(out.size(), numbers.size());
  for (const auto& o : out) {
    EXPECT_EQ(o.error, SendError::ok);
    EXPECT_FALSE(o.held);
  }
  std::size_t claimed = 0;
  for (auto items = drain(); !items.empty(); items = drain()) {
    for (const auto& it : items) {
      EXPECT_EQ(it.text, "Spring sale: 20% off");
      EXPECT_EQ(it.kind, MessageKind::campaign);
    }
    claimed += items.size();
  }
  EXPECT_EQ(claimed, numbers.size());
  const auto t = thread_of(numbers[42]);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].segments, 1u);
  EXPECT_EQ(t[0].agent, "crm");
}

TEST_F(BulkTest, EveryRefusalReasonIsReportedPerRecipientAndNothingIsQueuedForThem) {
  subscribe_number(kAlice);  // queued
  subscribe_number(kBob);    // then blocked
  ASSERT_EQ(engine->set_blocked(kBob, true, now), ActionError::ok);
  subscribe_number(kCarol);  // then unsubscribed
  ASSERT_EQ(engine->import_consent(kCarol, Consent::unsubscribed, ConsentSource::import, now),
            ActionError::ok);
  // kDave: never heard of; "" stands for a line that was not a number.
  const auto out = send_group({kAlice, kBob, kCarol, kDave, ""});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].error, SendError::ok);
  EXPECT_EQ(out[1].error, SendError::blocked);
  EXPECT_EQ(out[2].error, SendError::not_subscribed);
  EXPECT_TRUE(out[2].unsubscribed);
  EXPECT_EQ(out[3].error, SendError::not_found);
  EXPECT_EQ(out[4].error, SendError::invalid_number);
  const auto items = drain();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].to, kAlice);
  EXPECT_TRUE(thread_of(kBob).empty());
  EXPECT_FALSE(engine->profile(kDave).has_value());  // a refusal creates nobody
}

TEST_F(BulkTest, EmptyOrOversizedTextIsRefusedForEveryone) {
  subscribe_number(kAlice);
  EXPECT_EQ(send_group({kAlice}, "")[0].error, SendError::empty_text);
  EXPECT_EQ(send_group({kAlice}, std::string(config.max_text_bytes + 1, 'a'))[0].error,
            SendError::text_too_long);
  EXPECT_TRUE(drain().empty());
}

TEST_F(BulkTest, QuietHoursAndFrequencyCapsHoldWithTheTimeTheyWillGo) {
  subscribe_number(kAlice);
  subscribe_number(kMiami);
  now = kNightCA;  // 23:00 in California, 02:00 in Miami: both quiet
  auto out = send_group({kAlice, kMiami, kMiami, kMiami, kMiami});
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(out[0].held);
  EXPECT_EQ(out[0].hold_reason, "quiet_hours");
  EXPECT_EQ(out[0].due, testing::kMorningCA);  // 08:00 in California
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(out[i].hold_reason, "quiet_hours") << i;
  // The fourth in one day for Florida waits for the cap, a day after the first slot.
  EXPECT_EQ(out[4].error, SendError::ok);
  EXPECT_TRUE(out[4].held);
  EXPECT_EQ(out[4].hold_reason, "frequency_cap");
  EXPECT_GT(out[4].due, out[1].due);
  EXPECT_TRUE(drain().empty());
  now = testing::kMorningCA;
  EXPECT_EQ(drain().size(), 4u);  // Alice and Miami's three
}

TEST_F(BulkTest, SegmentsAreThoseOfTheTextAsSentWhenLinksAreShortened) {
  subscribe_number(kAlice);
  subscribe_number(kBob);
  const std::string text = std::string(150, 'x') + " https://example.com/a/very/long/path";
  ASSERT_EQ(send_group({kAlice, kBob}, text)[0].error, SendError::ok);
  for (const char* n : {kAlice, kBob}) {
    const auto t = thread_of(n);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].segments, smpp::count_segments(t[0].text).segments) << t[0].text;
  }
}

TEST_F(BulkTest, ConsentImportSaysWhatChangedAndLogsEachOneWithItsActor) {
  subscribe_number(kBob);  // unchanged below
  subscribe_number(kCarol);
  text(kCarol, "STOP");  // opted out by her own text: locked
  ASSERT_EQ(profile_of(kCarol).consent, Consent::unsubscribed);
  const auto log_before = engine->consent_log("", 0, 0, {}, 1000).rows.size();
  const auto before = engine->commit_stats().commits;
  const auto out = import_group({{kAlice, Consent::subscribed},
                                 {kBob, Consent::subscribed},
                                 {kCarol, Consent::subscribed},
                                 {"", Consent::subscribed},
                                 {kErin, Consent::unsubscribed}});
  EXPECT_EQ(engine->commit_stats().commits, before + 1);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0], ImportOutcome::changed);
  EXPECT_EQ(out[1], ImportOutcome::unchanged);
  EXPECT_EQ(out[2], ImportOutcome::consent_locked);
  EXPECT_EQ(out[3], ImportOutcome::invalid);
  EXPECT_EQ(out[4], ImportOutcome::changed);
  EXPECT_EQ(profile_of(kAlice).consent, Consent::subscribed);
  EXPECT_EQ(profile_of(kCarol).consent, Consent::unsubscribed);
  EXPECT_EQ(profile_of(kErin).consent, Consent::unsubscribed);

  const auto rows = engine->consent_log("", 0, 0, {}, 1000).rows;
  ASSERT_EQ(rows.size(), log_before + 4);  // every usable row, refused or not
  const std::vector<std::pair<std::string, ConsentOutcome>> want{{kAlice, ConsentOutcome::applied},
                                                                 {kBob, ConsentOutcome::unchanged},
                                                                 {kCarol, ConsentOutcome::refused},
                                                                 {kErin, ConsentOutcome::applied}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& e = rows[log_before + i];
    EXPECT_EQ(e.number, want[i].first);
    EXPECT_EQ(e.outcome, want[i].second) << e.number;
    EXPECT_EQ(e.source, ConsentSource::import);
    EXPECT_EQ(e.actor, "ops");
  }
}

TEST_F(BulkTest, ConsentImportRefusesTheKeywordSource) {
  const auto out = import_group({{kAlice, Consent::subscribed}}, ConsentSource::keyword);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], ImportOutcome::invalid);
  EXPECT_FALSE(engine->profile(kAlice).has_value());
}

TEST_F(BulkTest, GroupsFromTheWriterThreadCommitAndAnswerInOrder) {
  open(EngineMode::threaded);
  for (int i = 0; i < 50; ++i) subscribe_number(number(i));
  std::vector<std::future<std::vector<BulkOutcome>>> futures;
  std::vector<std::shared_ptr<std::promise<std::vector<BulkOutcome>>>> promises;
  for (int g = 0; g < 5; ++g) {
    std::vector<std::string> numbers;
    for (int i = g * 10; i < g * 10 + 10; ++i) numbers.push_back(number(i));
    BulkSend req;
    req.numbers = numbers;
    req.text = "hello";
    req.now = now;
    auto p = std::make_shared<std::promise<std::vector<BulkOutcome>>>();
    futures.push_back(p->get_future());
    engine->send_group(std::move(req), [p](std::vector<BulkOutcome> r) { p->set_value(r); });
  }
  for (auto& f : futures) {
    const auto out = f.get();
    ASSERT_EQ(out.size(), 10u);
    for (const auto& o : out) EXPECT_EQ(o.error, SendError::ok);
  }
  std::size_t claimed = 0;
  for (auto items = drain(); !items.empty(); items = drain()) claimed += items.size();
  EXPECT_EQ(claimed, 50u);
}

}  // namespace
}  // namespace twoway::engine
