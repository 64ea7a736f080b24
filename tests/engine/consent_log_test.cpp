// The consent audit trail and the consent lock: what is recorded for keyword, import and admin
// changes and refused attempts, that it survives a restart, time ranges and paging, and that
// an opt-out by the customer's own text can only be undone by their own opt-in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/consent_log.hpp"
#include "engine/records.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ConsentLogTest : public EngineTest {
 protected:
  std::vector<ConsentLogEntry> log_of(const std::string& number) {
    auto page = engine->consent_log(number, 0, 0, {}, 1000);
    EXPECT_FALSE(page.bad_cursor);
    EXPECT_TRUE(page.next_cursor.empty());
    return page.rows;
  }
  std::vector<ConsentLogEntry> whole_log() { return log_of(""); }

  // Every id of `rows`, in order.
  static std::vector<std::uint64_t> ids(const std::vector<ConsentLogEntry>& rows) {
    std::vector<std::uint64_t> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  }

  // A campaign attempt, then what the sending side would claim.
  std::size_t campaign_reaches_smsc(const std::string& number) {
    (void)engine->send({number, "Sale today", MessageKind::campaign, "crm", now});
    return engine->claim_due(now, 100).size();
  }
};

TEST_F(ConsentLogTest, KeywordOptOutKeepsTheExactTextKeywordSenderAndMessageId) {
  subscribe_number(kAlice);
  text(kAlice, "  Stop!! ", kLongCode);
  const auto thread = thread_of(kAlice);
  ASSERT_FALSE(thread.empty());
  const Message& stop = thread.front();  // the inbound; the confirmation follows it
  ASSERT_EQ(stop.direction, Direction::inbound);

  const auto log = log_of(kAlice);
  ASSERT_EQ(log.size(), 2u);  // the import, then the STOP
  const ConsentLogEntry& e = log[1];
  EXPECT_EQ(e.time, now);
  EXPECT_EQ(e.number, kAlice);
  EXPECT_EQ(e.from, Consent::subscribed);
  EXPECT_EQ(e.to, Consent::unsubscribed);
  EXPECT_EQ(e.source, ConsentSource::keyword);
  EXPECT_EQ(e.outcome, ConsentOutcome::applied);
  EXPECT_EQ(e.keyword, "STOP");
  EXPECT_EQ(e.text, "  Stop!! ");
  EXPECT_EQ(e.sending_number, kLongCode);
  EXPECT_NE(e.message_id, 0u);
  EXPECT_EQ(e.message_id, stop.id);
  EXPECT_THAT(e.actor, IsEmpty());
}

TEST_F(ConsentLogTest, OptInImportAndAdminAreRecordedWithTheirActor) {
  ASSERT_EQ(engine->import_consent(kBob, Consent::subscribed, ConsentSource::import, now,
                                   "spring-list.csv"),
            ActionError::ok);
  now += 60;
  ASSERT_EQ(engine->import_consent(kBob, Consent::unsubscribed, ConsentSource::admin, now, "carla"),
            ActionError::ok);
  now += 60;
  text(kBob, "start");

  const auto log = log_of(kBob);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].source, ConsentSource::import);
  EXPECT_EQ(log[0].actor, "spring-list.csv");
  EXPECT_EQ(log[0].from, Consent::none);
  EXPECT_EQ(log[0].to, Consent::subscribed);
  EXPECT_EQ(log[0].message_id, 0u);
  EXPECT_EQ(log[1].source, ConsentSource::admin);
  EXPECT_EQ(log[1].actor, "carla");
  EXPECT_EQ(log[1].to, Consent::unsubscribed);
  EXPECT_EQ(log[1].time, kNoon + 60);
  EXPECT_EQ(log[2].source, ConsentSource::keyword);
  EXPECT_EQ(log[2].keyword, "START");
  EXPECT_EQ(log[2].text, "start");
  EXPECT_EQ(log[2].from, Consent::unsubscribed);
  EXPECT_EQ(log[2].to, Consent::subscribed);
  EXPECT_EQ(log[2].outcome, ConsentOutcome::applied);
  EXPECT_EQ(profile_of(kBob).consent, Consent::subscribed);
}

TEST_F(ConsentLogTest, RepeatedStopIsRecordedAsUnchanged) {
  text(kAlice, "STOP");
  now += 10;
  text(kAlice, "stop");
  const auto log = log_of(kAlice);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].outcome, ConsentOutcome::applied);
  EXPECT_EQ(log[1].outcome, ConsentOutcome::unchanged);
  EXPECT_EQ(log[1].text, "stop");
  EXPECT_EQ(profile_of(kAlice).consent_since, kNoon);  // the first STOP stays the reason
}

TEST_F(ConsentLogTest, LockRefusesImportAndAdminSubscribeAfterKeywordStop) {
  subscribe_number(kAlice);
  text(kAlice, "STOP");
  drain();  // the confirmation
  now += 3600;

  EXPECT_EQ(
      engine->import_consent(kAlice, Consent::subscribed, ConsentSource::import, now, "summer.csv"),
      ActionError::consent_locked);
  EXPECT_EQ(engine->import_consent(kAlice, Consent::subscribed, ConsentSource::admin, now, "carla"),
            ActionError::consent_locked);
  // Clearing to "none" would lift the lock: refused as well.
  EXPECT_EQ(engine->import_consent(kAlice, Consent::none, ConsentSource::admin, now, "carla"),
            ActionError::consent_locked);

  const Profile p = profile_of(kAlice);
  EXPECT_EQ(p.consent, Consent::unsubscribed);
  EXPECT_EQ(p.consent_source, ConsentSource::keyword);
  EXPECT_EQ(p.consent_since, kNoon);
  EXPECT_EQ(campaign_reaches_smsc(kAlice), 0u);

  const auto log = log_of(kAlice);
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[2].outcome, ConsentOutcome::refused);
  EXPECT_EQ(log[2].source, ConsentSource::import);
  EXPECT_EQ(log[2].actor, "summer.csv");
  EXPECT_EQ(log[2].from, Consent::unsubscribed);
  EXPECT_EQ(log[2].to, Consent::subscribed);
  EXPECT_EQ(log[3].outcome, ConsentOutcome::refused);
  EXPECT_EQ(log[3].actor, "carla");
  EXPECT_EQ(log[4].outcome, ConsentOutcome::refused);
  EXPECT_EQ(log[4].to, Consent::none);
}

TEST_F(ConsentLogTest, AdminUnsubscribeAlwaysSucceedsAndKeepsTheLock) {
  text(kAlice, "STOP");
  EXPECT_EQ(
      engine->import_consent(kAlice, Consent::unsubscribed, ConsentSource::admin, now, "carla"),
      ActionError::ok);
  EXPECT_EQ(profile_of(kAlice).consent_source, ConsentSource::keyword);
  EXPECT_EQ(log_of(kAlice).back().outcome, ConsentOutcome::unchanged);
  EXPECT_EQ(engine->import_consent(kAlice, Consent::subscribed, ConsentSource::import, now, "list"),
            ActionError::consent_locked);
}

TEST_F(ConsentLogTest, CustomersOwnStartLiftsTheLock) {
  subscribe_number(kAlice);
  text(kAlice, "STOP");
  now += 60;
  text(kAlice, "UNSTOP");
  EXPECT_EQ(profile_of(kAlice).consent, Consent::subscribed);
  drain();
  EXPECT_EQ(campaign_reaches_smsc(kAlice), 1u);
  // Subscribed by their own text: an admin may change it again.
  now += 60;
  EXPECT_EQ(
      engine->import_consent(kAlice, Consent::unsubscribed, ConsentSource::admin, now, "carla"),
      ActionError::ok);
  EXPECT_EQ(engine->import_consent(kAlice, Consent::subscribed, ConsentSource::admin, now, "carla"),
            ActionError::ok);
}

TEST_F(ConsentLogTest, StaffConfirmedTextOptOutLocksLikeAKeyword) {
  subscribe_number(kBob);
  ASSERT_EQ(engine->import_consent(kBob, Consent::unsubscribed, ConsentSource::text, now, "carla"),
            ActionError::ok);
  EXPECT_EQ(profile_of(kBob).consent_source, ConsentSource::text);
  EXPECT_EQ(engine->import_consent(kBob, Consent::subscribed, ConsentSource::import, now, "x"),
            ActionError::consent_locked);
  // "text" names an opt-out; a keyword source is the customer's text only.
  EXPECT_EQ(engine->import_consent(kBob, Consent::subscribed, ConsentSource::text, now, "carla"),
            ActionError::invalid);
  EXPECT_EQ(engine->import_consent(kBob, Consent::subscribed, ConsentSource::keyword, now, "x"),
            ActionError::invalid);
  EXPECT_EQ(profile_of(kBob).consent, Consent::unsubscribed);
}

TEST_F(ConsentLogTest, StopAfterAnImportedOptOutLocksTheNumber) {
  ASSERT_EQ(
      engine->import_consent(kCarol, Consent::unsubscribed, ConsentSource::import, now, "list"),
      ActionError::ok);
  now += 60;
  text(kCarol, "STOP");
  const Profile p = profile_of(kCarol);
  EXPECT_EQ(p.consent_source, ConsentSource::keyword);
  EXPECT_EQ(p.consent_since, kNoon + 60);
  EXPECT_EQ(log_of(kCarol).back().outcome, ConsentOutcome::applied);
  EXPECT_EQ(engine->import_consent(kCarol, Consent::subscribed, ConsentSource::import, now, "list"),
            ActionError::consent_locked);
}

TEST_F(ConsentLogTest, SurvivesARestartAndKeepsCountingIds) {
  subscribe_number(kAlice);
  text(kAlice, "STOP");
  (void)engine->import_consent(kAlice, Consent::subscribed, ConsentSource::admin, now, "carla");
  const auto before = whole_log();
  ASSERT_EQ(before.size(), 3u);

  reopen();
  const auto after = whole_log();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(ids(after), ids(before));
  EXPECT_EQ(after[1].text, "STOP");
  EXPECT_EQ(after[2].outcome, ConsentOutcome::refused);
  EXPECT_EQ(after[2].actor, "carla");
  // The lock outlives the restart, and new entries continue after the old ones.
  EXPECT_EQ(engine->import_consent(kAlice, Consent::subscribed, ConsentSource::import, now, "list"),
            ActionError::consent_locked);
  const auto more = whole_log();
  ASSERT_EQ(more.size(), 4u);
  EXPECT_GT(more[3].id, more[2].id);
}

TEST_F(ConsentLogTest, SinceUntilSelectATimeRange) {
  const std::int64_t day = 86400;
  for (int i = 0; i < 5; ++i) {
    now = kNoon + i * day;
    ASSERT_EQ(engine->import_consent(kAlice, i % 2 ? Consent::unsubscribed : Consent::subscribed,
                                     ConsentSource::import, now, "day" + std::to_string(i)),
              ActionError::ok);
  }
  const auto range = engine->consent_log("", kNoon + day, kNoon + 3 * day, {}, 0).rows;
  ASSERT_EQ(range.size(), 2u);  // since inclusive, until exclusive
  EXPECT_EQ(range[0].actor, "day1");
  EXPECT_EQ(range[1].actor, "day2");
  const auto open_end = engine->consent_log(kAlice, kNoon + 3 * day, 0, {}, 0).rows;
  ASSERT_EQ(open_end.size(), 2u);
  EXPECT_EQ(open_end[0].actor, "day3");
  EXPECT_EQ(open_end[1].actor, "day4");
  EXPECT_THAT(engine->consent_log("", kNoon + 10 * day, 0, {}, 0).rows, IsEmpty());
  EXPECT_THAT(engine->consent_log(kBob, 0, 0, {}, 0).rows, IsEmpty());
}

TEST_F(ConsentLogTest, PagesFollowTheirCursorToTheEnd) {
  // Entries written out of time order: the whole log is read by time, a number's by id.
  const std::int64_t times[] = {kNoon + 50, kNoon + 10, kNoon + 30, kNoon + 20, kNoon + 40};
  for (int i = 0; i < 5; ++i) {
    now = times[i];
    ASSERT_EQ(engine->import_consent(i % 2 ? kAlice : kBob, Consent::subscribed,
                                     ConsentSource::import, now, "row" + std::to_string(i)),
              ActionError::ok);
  }
  const auto collect = [&](const std::string& number) {
    std::vector<std::string> actors;
    std::string cursor;
    int pages = 0;
    do {
      const auto page = engine->consent_log(number, kNoon, 0, cursor, 2);
      EXPECT_FALSE(page.bad_cursor);
      EXPECT_LE(page.rows.size(), 2u);
      for (const auto& r : page.rows) actors.push_back(r.actor);
      cursor = page.next_cursor;
    } while (!cursor.empty() && ++pages < 10);
    return actors;
  };
  EXPECT_THAT(collect(""), ElementsAre("row1", "row3", "row2", "row4", "row0"));
  EXPECT_THAT(collect(kBob), ElementsAre("row0", "row2", "row4"));
  EXPECT_THAT(collect(kAlice), ElementsAre("row1", "row3"));

  // A page that ends exactly at the last entry has no cursor.
  EXPECT_TRUE(engine->consent_log(kAlice, 0, 0, {}, 2).next_cursor.empty());
  EXPECT_TRUE(engine->consent_log("", 0, 0, {}, 5).next_cursor.empty());
  EXPECT_FALSE(engine->consent_log("", 0, 0, {}, 4).next_cursor.empty());
}

TEST_F(ConsentLogTest, AnUnusableCursorIsReported) {
  subscribe_number(kAlice);
  for (const char* bad : {"xyz", "00", "zz00000000000000000000000000000000"}) {
    const auto page = engine->consent_log("", 0, 0, bad, 10);
    EXPECT_TRUE(page.bad_cursor) << bad;
    EXPECT_THAT(page.rows, IsEmpty()) << bad;
  }
}

TEST_F(ConsentLogTest, LongTextsAreCutOnACharacterBoundary) {
  Settings s = engine->settings();
  s.keywords.opt_out_contains = true;  // "please stop ..." opts out
  ASSERT_THAT(engine->set_settings(s), IsEmpty());
  const std::string head = "please stop " + std::string(1587, 'x');  // 1599 bytes
  ASSERT_EQ(head.size(), kConsentLogMaxText - 1);
  text(kAlice, head + "\xC3\xA9 and more");  // a 2-byte character across the bound
  ASSERT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
  const auto log = log_of(kAlice);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].text, head);
  EXPECT_EQ(bounded("short", kConsentLogMaxText), "short");
  EXPECT_EQ(bounded(std::string(2000, 'b'), kConsentLogMaxText).size(), kConsentLogMaxText);
}

TEST(ConsentLogRecord, ReadsOlderAndNewerRecords) {
  ConsentLogEntry e;
  e.number = "+16502530000";
  e.from = Consent::subscribed;
  e.to = Consent::unsubscribed;
  e.source = ConsentSource::keyword;
  e.outcome = ConsentOutcome::applied;
  e.keyword = "STOP";
  e.text = "stop, please";
  e.sending_number = "12345";
  e.message_id = 77;
  std::string buf;
  records::encode(e, buf);

  ConsentLogEntry back;
  back.id = 5;
  back.time = 9;
  ASSERT_TRUE(records::decode(buf + std::string("\x03\x01\x02", 3), back));  // newer: more fields
  EXPECT_EQ(back.id, 5u);
  EXPECT_EQ(back.time, 9);
  EXPECT_EQ(back.text, "stop, please");
  EXPECT_EQ(back.message_id, 77u);
  EXPECT_EQ(back.sending_number, "12345");

  // An older writer that stopped after the source: later fields keep their defaults.
  std::string old;
  {
    records::Writer w(old);
    w.u8(1);
    w.str("+16502530001");
    w.u8(static_cast<std::uint8_t>(Consent::none));
    w.u8(static_cast<std::uint8_t>(Consent::subscribed));
    w.u8(static_cast<std::uint8_t>(ConsentSource::import));
  }
  ConsentLogEntry o;
  ASSERT_TRUE(records::decode(old, o));
  EXPECT_EQ(o.number, "+16502530001");
  EXPECT_EQ(o.to, Consent::subscribed);
  EXPECT_EQ(o.outcome, ConsentOutcome::applied);
  EXPECT_THAT(o.text, IsEmpty());
  EXPECT_EQ(o.message_id, 0u);
}

}  // namespace
}  // namespace twoway::engine::testing
