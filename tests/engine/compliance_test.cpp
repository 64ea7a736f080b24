// Compliance rules of the inbound path as a customer and the staff see them: texts that may
// revoke consent are flagged with one clarification and stop marketing until staff decide;
// the opt-out confirmation leaves at once or, after five minutes, not at all; texts to a number
// that is not configured are still honoured.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

std::size_t count_kind(const std::vector<OutboundItem>& items, MessageKind kind) {
  return static_cast<std::size_t>(std::count_if(
      items.begin(), items.end(), [&](const OutboundItem& i) { return i.kind == kind; }));
}

TEST_F(EngineTest, AFloorWordInsideALongerTextFlagsTheConversationWithOneClarification) {
  subscribe_number(kAlice);
  const InboundResult r = text(kAlice, "I want to cancel my order");
  EXPECT_EQ(r.outcome, InboundOutcome::free_text);
  EXPECT_TRUE(r.revocation_suspected);
  const Profile p = profile_of(kAlice);
  EXPECT_EQ(p.consent, Consent::subscribed);  // not opted out: staff decide
  EXPECT_EQ(p.revocation_flagged_at, now);

  // The inbox shows it, the flagged view lists it, the thread header says since when.
  auto inbox = engine->inbox(InboxView::inbox, {}, 10).rows;
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_TRUE(inbox[0].revocation_flagged);
  auto flagged = engine->inbox(InboxView::flagged, {}, 10).rows;
  ASSERT_EQ(flagged.size(), 1u);
  EXPECT_EQ(flagged[0].number, kAlice);
  EXPECT_EQ(engine->thread(kAlice, 0, 10, now).header.revocation_flagged_at, now);

  // One clarification, and only one however many such texts follow.
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, MessageKind::keyword_reply);
  EXPECT_EQ(sent[0].text, "Acme: Reply STOP to opt out of texts.");
  now += 60;
  text(kAlice, "wrong number");
  text(kAlice, "remove me");
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(engine->inbox(InboxView::flagged, {}, 10).rows.size(), 1u);
}

TEST_F(EngineTest, NothingMarketingGoesToAFlaggedNumberUntilStaffDecide) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->send({kAlice, "Sale today", MessageKind::campaign, "crm", now}).ok());
  ASSERT_TRUE(engine->send({kAlice, "Step 2", MessageKind::flow, "crm", now}).ok());
  text(kAlice, "who is this? stop");  // the queued campaign and flow are withdrawn
  auto r = engine->send({kAlice, "Another sale", MessageKind::campaign, "crm", now});
  EXPECT_EQ(r.error, SendError::revocation_pending);
  auto sent = drain();
  EXPECT_EQ(count_kind(sent, MessageKind::campaign), 0u);
  EXPECT_EQ(count_kind(sent, MessageKind::flow), 0u);
  EXPECT_EQ(count_kind(sent, MessageKind::keyword_reply), 1u);  // the clarification
  // Staff may still answer by hand.
  EXPECT_TRUE(engine->reply({kAlice, "Sorry! Who are you looking for?", "ann", false, now}).ok());
  EXPECT_EQ(count_kind(drain(), MessageKind::agent_reply), 1u);

  // Staff keep the customer: marketing may go again and the flag is gone.
  EXPECT_EQ(engine->resolve_revocation(kAlice, false, "ann", now), ActionError::ok);
  EXPECT_EQ(profile_of(kAlice).consent, Consent::subscribed);
  EXPECT_TRUE(engine->inbox(InboxView::flagged, {}, 10).rows.empty());
  EXPECT_TRUE(engine->send({kAlice, "Sale", MessageKind::campaign, "crm", now}).ok());
  EXPECT_EQ(count_kind(drain(), MessageKind::campaign), 1u);
  EXPECT_EQ(engine->resolve_revocation(kAlice, true, "ann", now), ActionError::invalid);
}

TEST_F(EngineTest, StaffConfirmingARevocationOptsOutWithTheConfirmationWhileItIsTimely) {
  subscribe_number(kAlice);
  subscribe_number(kBob);
  text(kAlice, "do not text me");
  text(kBob, "do not text me");
  drain();  // the clarifications
  now += 120;
  EXPECT_EQ(engine->resolve_revocation(kAlice, true, "ann", now), ActionError::ok);
  const Profile p = profile_of(kAlice);
  EXPECT_EQ(p.consent, Consent::unsubscribed);
  EXPECT_EQ(p.consent_source, ConsentSource::text);
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(sent[0].text.find("unsubscribed"), std::string::npos) << sent[0].text;
  // Bob's text is older than five minutes when staff get to it: opted out, no late message.
  now += 600;
  EXPECT_EQ(engine->resolve_revocation(kBob, true, "ann", now), ActionError::ok);
  EXPECT_EQ(profile_of(kBob).consent, Consent::unsubscribed);
  EXPECT_TRUE(drain().empty());
}

TEST_F(EngineTest, TheCustomersOwnKeywordSettlesAFlag) {
  subscribe_number(kAlice);
  subscribe_number(kBob);
  text(kAlice, "I want to cancel my order");
  text(kBob, "leave me alone");
  text(kAlice, "STOP");
  text(kBob, "YES");
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
  EXPECT_EQ(profile_of(kAlice).revocation_flagged_at, 0);
  EXPECT_EQ(profile_of(kBob).revocation_flagged_at, 0);
  EXPECT_TRUE(engine->inbox(InboxView::flagged, {}, 10).rows.empty());
}

TEST_F(EngineTest, AFlaggedTextGetsNoAutoReplyAndAnOptedOutNumberIsNotFlagged) {
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::all;
  s.auto_responder.period_seconds = 0;
  ASSERT_TRUE(engine->set_settings(s).empty());
  text(kAlice, "wrong number");
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].text, "Acme: Reply STOP to opt out of texts.");  // not "thanks for ..."
  text(kBob, "STOP");
  drain();
  text(kBob, "remove me please");
  EXPECT_EQ(profile_of(kBob).revocation_flagged_at, 0);
  EXPECT_TRUE(drain().empty());
}

TEST_F(EngineTest, FillerAndMisspelledOptOutsOptOut) {
  const std::pair<const char*, const char*> cases[] = {{kAlice, "pls stop texting me"},
                                                       {kBob, "STPO"},
                                                       {kCarol, "Opt me out"},
                                                       {"+16502530003", "UNSUSCRIBE"}};
  for (const auto& [number, body] : cases) {
    subscribe_number(number);
    drain();
    text(number, body);
    EXPECT_EQ(profile_of(number).consent, Consent::unsubscribed) << body;
    auto sent = drain();
    ASSERT_EQ(sent.size(), 1u) << body;
    EXPECT_NE(sent[0].text.find("unsubscribed"), std::string::npos) << body;
    now += 10;
  }
}

// The opt-out confirmation across an SMSC outage: every attempt fails on the transport, and
// once five minutes have passed it is dropped, never sent late.
TEST_F(EngineTest, AnOptOutConfirmationThatCannotLeaveInFiveMinutesIsDropped) {
  subscribe_number(kAlice);
  std::vector<Event> events;
  engine->subscribe([&](const Event& e) { events.push_back(e); });
  text(kAlice, "STOP");
  const std::int64_t stop_at = now;
  // The SMSC is down: each claim fails at once and comes back after the retry wait.
  for (int i = 0; i < 3; ++i) {
    auto items = engine->claim_due(now, 10);
    for (const auto& it : items)
      EXPECT_TRUE(engine->mark_failed(it.id, "connection lost", SubmitFailure::transport, now));
    now += 60;
  }
  now = stop_at + 299;
  auto late = engine->claim_due(now, 10);
  ASSERT_EQ(late.size(), 1u);  // still inside the window: it may go
  EXPECT_TRUE(engine->mark_failed(late[0].id, "connection lost", SubmitFailure::transport, now));
  now = stop_at + 400;  // the SMSC is back, five minutes are over
  EXPECT_TRUE(engine->claim_due(now + 3600, 10).empty());
  const auto msgs = thread_of(kAlice);
  const Message& confirmation = msgs.back();
  EXPECT_EQ(confirmation.kind, MessageKind::keyword_reply);
  EXPECT_EQ(confirmation.state, MessageState::cancelled);
  EXPECT_EQ(confirmation.error, "confirmation_expired");
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const Event& e) {
    return e.type == EventType::outbound && e.detail == "confirmation_expired";
  }));
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);  // the opt-out stands
}

TEST_F(EngineTest, AnOptOutConfirmationIsNeverHeldForQuietHours) {
  now = kNightCA;  // 23:00 for Alice
  subscribe_number(kAlice);
  text(kAlice, "stop please");
  auto sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].kind, MessageKind::keyword_reply);
}

TEST_F(EngineTest, ATextToANumberThatIsNotConfiguredIsHonouredAndReported) {
  subscribe_number(kAlice);
  std::vector<Event> events;
  engine->subscribe([&](const Event& e) { events.push_back(e); });
  const InboundResult r = text(kAlice, "STOP", "+15559990000");
  EXPECT_TRUE(r.unrouted);
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
  ASSERT_FALSE(events.empty());
  const auto inbound = std::find_if(events.begin(), events.end(),
                                    [](const Event& e) { return e.type == EventType::inbound; });
  ASSERT_NE(inbound, events.end());
  EXPECT_TRUE(inbound->unrouted);
  EXPECT_EQ(inbound->destination, "+15559990000");
  EXPECT_FALSE(text(kBob, "hello").unrouted);  // the configured short code
}

}  // namespace
}  // namespace twoway::engine::testing
