// Admin views and actions: inbox pages with cursors and filters, thread pages and header,
// read/unread, names, consent imports, settings that persist, and the change feed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

std::string number_n(int i) {
  std::string digits = std::to_string(i);
  return "+1650253" + std::string(4 - digits.size(), '0') + digits;
}

TEST_F(EngineTest, InboxPagesWithCursorCoverEveryConversationOnce) {
  for (int i = 0; i < 25; ++i) {
    text(number_n(i), "msg " + std::to_string(i));
    now += 1;
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = engine->inbox(InboxView::inbox, cursor);
    EXPECT_LE(page.rows.size(), kDefaultInboxPage);
    for (const auto& r : page.rows) seen.push_back(r.number);
    cursor = page.next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(seen[i], number_n(24 - i));  // newest first
}

TEST_F(EngineTest, InboxCursorFromGarbageIsReported) {  // invariant 6
  text(kAlice, "hi");
  for (const std::string& bad : {std::string("zz-not-hex"), std::string(10000, 'a'),
                                 std::string("-1"), std::string(30, '0'), std::string(34, '0')}) {
    const auto page = engine->inbox(InboxView::inbox, bad);
    EXPECT_TRUE(page.bad_cursor) << bad.substr(0, 40);
    EXPECT_TRUE(page.rows.empty()) << bad.substr(0, 40);
  }
  const auto first = engine->inbox(InboxView::inbox, "");
  EXPECT_FALSE(first.bad_cursor);
  EXPECT_EQ(first.rows.size(), 1u);
  // A well-formed cursor past the end is a valid (empty) position, not an error.
  EXPECT_FALSE(engine->inbox(InboxView::inbox, std::string(32, '0')).bad_cursor);
}

TEST_F(EngineTest, ThreadCursorOutsideTheThreadIsReported) {  // invariant 6
  text(kAlice, "a1");
  text(kBob, "b1");
  text(kAlice, "a2");
  const auto bob = engine->thread(kBob, 0, 0, now);
  ASSERT_EQ(bob.messages.size(), 1u);
  const std::uint64_t bob_id = bob.messages.front().id;
  const auto alice = engine->thread(kAlice, 0, 1, now);
  ASSERT_EQ(alice.messages.size(), 1u);
  ASSERT_NE(alice.next_cursor, 0u);
  // Bob's message, a message that does not exist: refused, nothing shown.
  for (const std::uint64_t bad : {bob_id, std::uint64_t{999999999}}) {
    const auto page = engine->thread(kAlice, bad, 0, now);
    EXPECT_TRUE(page.found);
    EXPECT_TRUE(page.bad_cursor) << bad;
    EXPECT_TRUE(page.messages.empty()) << bad;
  }
  // Alice's own cursor still pages.
  const auto older = engine->thread(kAlice, alice.next_cursor, 0, now);
  EXPECT_FALSE(older.bad_cursor);
  ASSERT_EQ(older.messages.size(), 1u);
  EXPECT_EQ(older.messages.front().text, "a1");
}

TEST_F(EngineTest, UnreadFilterAndReadActions) {
  text(kAlice, "a");
  text(kBob, "b");
  ASSERT_EQ(engine->mark_read(kAlice, true, now), ActionError::ok);
  auto unread = engine->inbox(InboxView::unread).rows;
  ASSERT_EQ(unread.size(), 1u);
  EXPECT_EQ(unread[0].number, kBob);
  EXPECT_EQ(engine->inbox(InboxView::inbox).rows.size(), 2u);
  ASSERT_EQ(engine->mark_read(kAlice, false, now), ActionError::ok);
  EXPECT_EQ(engine->inbox(InboxView::unread).rows.size(), 2u);
  EXPECT_EQ(profile_of(kAlice).unread, 1u);
  EXPECT_EQ(engine->mark_read(kCarol, true, now), ActionError::not_found);
}

TEST_F(EngineTest, ArchivedListAndUnarchive) {
  text(kAlice, "a");
  text(kBob, "b");
  ASSERT_EQ(engine->set_archived(kAlice, true, now), ActionError::ok);
  auto archived = engine->inbox(InboxView::archived).rows;
  ASSERT_EQ(archived.size(), 1u);
  EXPECT_TRUE(archived[0].archived);
  EXPECT_EQ(engine->inbox(InboxView::unread).rows.size(), 1u);
  ASSERT_EQ(engine->set_archived(kAlice, false, now), ActionError::ok);
  EXPECT_EQ(engine->inbox(InboxView::inbox).rows.size(), 2u);
}

TEST_F(EngineTest, InboxRowCarriesNameConsentAndBlocked) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_EQ(engine->set_name(kAlice, "Alice Smith", now), ActionError::ok);
  auto row = engine->inbox(InboxView::inbox).rows.at(0);
  EXPECT_EQ(row.name, "Alice Smith");
  EXPECT_EQ(row.consent, Consent::subscribed);
  EXPECT_FALSE(row.blocked);
  EXPECT_EQ(engine->set_name(kAlice, std::string(1000, 'n'), now), ActionError::invalid);
}

TEST_F(EngineTest, ThreadPagesNewestLastWithCursorForOlder) {
  subscribe_number(kAlice);
  for (int i = 1; i <= 120; ++i) {
    text(kAlice, "m" + std::to_string(i));
    now += 1;
  }
  auto page = engine->thread(kAlice, 0, 0, now);
  ASSERT_TRUE(page.found);
  ASSERT_EQ(page.messages.size(), kDefaultThreadPage);
  EXPECT_EQ(page.messages.front().text, "m71");
  EXPECT_EQ(page.messages.back().text, "m120");
  auto older = engine->thread(kAlice, page.next_cursor, 0, now);
  ASSERT_EQ(older.messages.size(), 50u);
  EXPECT_EQ(older.messages.back().text, "m70");
  auto oldest = engine->thread(kAlice, older.next_cursor, 0, now);
  ASSERT_EQ(oldest.messages.size(), 20u);
  EXPECT_EQ(oldest.messages.front().text, "m1");
  EXPECT_EQ(oldest.next_cursor, 0u);
}

TEST_F(EngineTest, ThreadsOfNeighbouringNumbersDoNotMix) {
  text(kAlice, "alice");
  text(kBob, "bob");
  text("+165025300001", "longer");  // shares kAlice's digits as a prefix (invalid but stored)
  auto a = engine->thread(kAlice, 0, 0, now).messages;
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].text, "alice");
}

TEST_F(EngineTest, ThreadHeaderHasLocationLocalTimeConsentAndSender) {
  text(kAlice, "START");
  auto h = engine->thread(kAlice, 0, 0, now).header;
  EXPECT_EQ(h.number, kAlice);
  EXPECT_EQ(h.consent, Consent::subscribed);
  EXPECT_EQ(h.consent_source, ConsentSource::keyword);
  EXPECT_EQ(h.consent_since, now);
  EXPECT_EQ(h.location, "Mountain View, CA");
  EXPECT_EQ(h.local_time, "10:00");
  EXPECT_EQ(h.sending_number, kShortCode);
  EXPECT_FALSE(engine->thread(kCarol, 0, 0, now).found);
}

TEST_F(EngineTest, ThreadShowsEveryKindWithStateAndSegments) {
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::all;
  ASSERT_TRUE(engine->set_settings(s).empty());
  text(kAlice, "START");
  text(kAlice, "question");
  ASSERT_TRUE(engine->reply({kAlice, "answer", "ann", false, now}).ok());
  ASSERT_TRUE(engine->send({kAlice, "offer", MessageKind::campaign, "crm", now}).ok());
  ASSERT_TRUE(engine->send({kAlice, "step", MessageKind::flow, "crm", now}).ok());
  std::set<MessageKind> kinds;
  for (const auto& m : thread_of(kAlice)) {
    kinds.insert(m.kind);
    if (m.direction == Direction::outbound) {
      EXPECT_EQ(m.state, MessageState::queued);
      EXPECT_EQ(m.segments, 1u);
    }
  }
  EXPECT_EQ(kinds, (std::set<MessageKind>{MessageKind::keyword, MessageKind::keyword_reply,
                                          MessageKind::inbound, MessageKind::auto_reply,
                                          MessageKind::agent_reply, MessageKind::campaign,
                                          MessageKind::flow}));
}

TEST_F(EngineTest, ConsentImportRecordsSource) {
  ASSERT_EQ(
      engine->import_consent("(650) 253-0002", Consent::subscribed, ConsentSource::import, now),
      ActionError::ok);
  auto p = profile_of(kCarol);
  EXPECT_EQ(p.consent, Consent::subscribed);
  EXPECT_EQ(p.consent_source, ConsentSource::import);
  EXPECT_EQ(p.consent_since, now);
  EXPECT_EQ(engine->import_consent("", Consent::subscribed, ConsentSource::import, now),
            ActionError::invalid);
}

TEST_F(EngineTest, SettingsPersistAcrossRestartAndBadOnesAreRefused) {
  EXPECT_EQ(engine->settings().auto_responder.mode, AutoResponderMode::off);
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::non_consented;
  s.auto_responder.message = "Back soon";
  s.keywords.opt_out.push_back("ARRET");
  s.quiet_hours.default_window = {9 * 60, 20 * 60};
  s.link_shortening = {true, "ac.me"};
  ASSERT_TRUE(engine->set_settings(s).empty());
  reopen();
  Settings back = engine->settings();
  EXPECT_EQ(back.auto_responder.mode, AutoResponderMode::non_consented);
  EXPECT_EQ(back.auto_responder.message, "Back soon");
  EXPECT_EQ(back.quiet_hours.default_window.start_minute, 9 * 60);
  EXPECT_TRUE(back.link_shortening.enabled);
  text(kAlice, "arret");
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);

  Settings bad = back;
  bad.auto_responder.period_seconds = -1;
  bad.keywords.custom.push_back({"X", "y", "explode"});
  EXPECT_EQ(engine->set_settings(bad).size(), 2u);
  EXPECT_EQ(engine->settings().auto_responder.period_seconds, back.auto_responder.period_seconds);
}

TEST_F(EngineTest, ConfiguredSettingsAreOnlyTheFirstDefaults) {
  Settings s = engine->settings();
  s.auto_responder.message = "edited at run time";
  ASSERT_TRUE(engine->set_settings(s).empty());
  config.initial_settings.auto_responder.message = "from yaml";
  reopen();
  EXPECT_EQ(engine->settings().auto_responder.message, "edited at run time");
}

TEST_F(EngineTest, ChangeFeedReportsInboundOutboundConsentAndReceipts) {
  std::vector<Event> events;
  const auto id = engine->subscribe([&](const Event& e) { events.push_back(e); });
  text(kAlice, "START");
  auto items = engine->claim_due(now, 10);
  ASSERT_EQ(items.size(), 1u);
  ASSERT_TRUE(engine->mark_submitted(items[0].id, 0, "55", now));
  ASSERT_TRUE(engine->apply_receipt({"smsc1", "55", ReceiptState::delivered, "", now}));
  std::set<EventType> types;
  for (const auto& e : events) types.insert(e.type);
  EXPECT_TRUE(types.count(EventType::inbound));
  EXPECT_TRUE(types.count(EventType::consent));
  EXPECT_TRUE(types.count(EventType::outbound));
  EXPECT_TRUE(types.count(EventType::receipt));
  EXPECT_EQ(events.back().state, MessageState::delivered);
  engine->unsubscribe(id);
  const auto before = events.size();
  text(kAlice, "more");
  EXPECT_EQ(events.size(), before);
}

}  // namespace
}  // namespace twoway::engine::testing
