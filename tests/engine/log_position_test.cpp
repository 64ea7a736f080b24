// Entries of the cluster's inbound log carry their position; the store applies each once.
#include <gtest/gtest.h>

#include <optional>

#include "engine/engine.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

class LogPositionTest : public EngineTest {
 protected:
  InboundMessage logged(const std::string& from, const std::string& body, std::uint32_t p,
                        std::uint64_t seq) const {
    InboundMessage m = message(from, body);
    m.log = {p, seq};
    return m;
  }
  // A staff action as a cluster node applies it from the log.
  StaffOutcome staff(StaffAction action, LogPosition log) {
    std::optional<StaffOutcome> got;
    engine->submit_staff(std::move(action), log, [&](bool committed, StaffOutcome outcome) {
      EXPECT_TRUE(committed);
      got = std::move(outcome);
    });
    EXPECT_TRUE(got.has_value());
    return got.value_or(StaffOutcome{});
  }
};

TEST_F(LogPositionTest, AStaffActionFromTheLogIsAppliedOnce) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  // Staff opt Alice out by hand, then back in; the opt-out read again changes nothing.
  auto out = staff(ConsentDecision{kAlice, Consent::unsubscribed, ConsentSource::admin, "ann", now},
                   {2, 5});
  ASSERT_TRUE(std::holds_alternative<ActionError>(out));
  EXPECT_EQ(std::get<ActionError>(out), ActionError::ok);
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
  EXPECT_EQ(engine->applied_log_seq(2), 5u);
  EXPECT_EQ(
      std::get<ActionError>(staff(
          ConsentDecision{kAlice, Consent::subscribed, ConsentSource::admin, "ann", now}, {2, 6})),
      ActionError::ok);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(staff(
      ConsentDecision{kAlice, Consent::unsubscribed, ConsentSource::admin, "ann", now}, {2, 5})));
  EXPECT_EQ(profile_of(kAlice).consent, Consent::subscribed);
  // A reply read twice is queued once.
  const ReplyRequest reply{kAlice, "we are open till 6", "ann", false, now};
  auto sent = staff(reply, {2, 7});
  ASSERT_TRUE(std::holds_alternative<SendResult>(sent));
  EXPECT_TRUE(std::get<SendResult>(sent).ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(staff(reply, {2, 7})));
  EXPECT_EQ(drain().size(), 1u);
  // A block and a name, each once.
  EXPECT_EQ(std::get<ActionError>(
                staff(FlagChange{kAlice, FlagChange::Flag::blocked, true, now}, {2, 8})),
            ActionError::ok);
  EXPECT_EQ(std::get<ActionError>(staff(NameChange{kAlice, "Alice", now}, {2, 9})),
            ActionError::ok);
  EXPECT_TRUE(profile_of(kAlice).blocked);
  EXPECT_EQ(profile_of(kAlice).name, "Alice");
  EXPECT_EQ(engine->applied_log_seq(2), 9u);
}

TEST_F(LogPositionTest, AReplayedStaffMessageIsKeptAsSentAndNotSentAgain) {
  // The previous owner applied these and sent what they queued (its mark passed them).
  subscribe_number(kAlice);
  text(kAlice, "hi");
  LogPosition replayed{3, 1, true};
  EXPECT_TRUE(
      std::get<SendResult>(staff(ReplyRequest{kAlice, "on our way", "ann", false, now}, replayed))
          .ok());
  replayed.seq = 2;
  SendRequest campaign;
  campaign.number = kAlice;
  campaign.text = "20% off this week";
  campaign.source = "crm";
  campaign.now = now;
  EXPECT_TRUE(std::get<SendResult>(staff(campaign, replayed)).ok());
  EXPECT_TRUE(drain().empty());
  const auto t = thread_of(kAlice);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].state, MessageState::sent);
  EXPECT_EQ(t[2].kind, MessageKind::campaign);
  EXPECT_EQ(t[2].state, MessageState::sent);
  // After the mark: sent from here.
  EXPECT_TRUE(
      std::get<SendResult>(staff(ReplyRequest{kAlice, "here now", "ann", false, now}, {3, 3}))
          .ok());
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(LogPositionTest, AnEntryReadTwiceIsAppliedOnce) {
  EXPECT_EQ(engine->applied_log_seq(7), 0u);
  EXPECT_EQ(engine->apply_inbound(logged(kAlice, "hello there", 7, 1)).outcome,
            InboundOutcome::free_text);
  EXPECT_EQ(engine->applied_log_seq(7), 1u);
  // The same entry again (a reader that starts over): nothing is stored twice.
  EXPECT_EQ(engine->apply_inbound(logged(kAlice, "hello there", 7, 1)).outcome,
            InboundOutcome::duplicate);
  EXPECT_EQ(thread_of(kAlice).size(), 1u);
  // Positions are kept per partition.
  EXPECT_EQ(engine->applied_log_seq(8), 0u);
  EXPECT_EQ(engine->apply_inbound(logged(kBob, "hi", 8, 1)).outcome, InboundOutcome::free_text);
}

TEST_F(LogPositionTest, ThePositionSurvivesARestart) {
  ASSERT_EQ(engine->apply_inbound(logged(kAlice, "first", 3, 41)).outcome,
            InboundOutcome::free_text);
  reopen();
  EXPECT_EQ(engine->applied_log_seq(3), 41u);
  // An earlier entry of the same partition is not applied after a later one.
  EXPECT_EQ(engine->apply_inbound(logged(kAlice, "older", 3, 40)).outcome,
            InboundOutcome::duplicate);
  EXPECT_EQ(engine->apply_inbound(logged(kAlice, "next", 3, 42)).outcome,
            InboundOutcome::free_text);
  EXPECT_EQ(thread_of(kAlice).size(), 2u);
}

TEST_F(LogPositionTest, AStopReadTwiceConfirmsOnce) {
  subscribe_number(kAlice);
  ASSERT_EQ(engine->apply_inbound(logged(kAlice, "STOP", 1, 5)).outcome, InboundOutcome::keyword);
  const auto first = drain();
  ASSERT_EQ(first.size(), 1u);  // the opt-out confirmation
  EXPECT_EQ(engine->apply_inbound(logged(kAlice, "STOP", 1, 5)).outcome, InboundOutcome::duplicate);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
}

TEST_F(LogPositionTest, AReceiptReadTwiceIsAppliedOnce) {
  const OutboundItem item = claimed_reply();
  ASSERT_TRUE(engine->mark_submitted(item.id, 0, "abc", now));
  Receipt r;
  r.smsc = "smsc1";
  r.message_id = "abc";
  r.state = ReceiptState::failed;
  r.time_unix = now;
  r.log = {2, 9};
  EXPECT_TRUE(engine->apply_receipt(r));
  EXPECT_EQ(engine->applied_log_seq(2), 9u);
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::failed);
  // The same entry read again, after a later receipt for the message: not applied again.
  r.state = ReceiptState::delivered;
  r.log = {2, 10};
  EXPECT_TRUE(engine->apply_receipt(r));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::delivered);
  r.state = ReceiptState::failed;
  r.log = {2, 9};
  EXPECT_TRUE(engine->apply_receipt(r));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::delivered);
  EXPECT_EQ(engine->applied_log_seq(2), 10u);
}

TEST_F(LogPositionTest, AReplayRebuildsTheConversationWithoutAnsweringAgain) {
  // Entries the previous owner applied and answered: consent and the thread are rebuilt, the
  // answers are kept as sent and nothing is queued to go out again.
  subscribe_number(kAlice);
  auto help = logged(kAlice, "HELP", 4, 10);
  help.log.replay = true;
  EXPECT_EQ(engine->apply_inbound(help).outcome, InboundOutcome::keyword);
  auto stop = logged(kAlice, "STOP", 4, 11);
  stop.log.replay = true;
  EXPECT_EQ(engine->apply_inbound(stop).outcome, InboundOutcome::keyword);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
  const auto t = thread_of(kAlice);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[1].direction, Direction::outbound);
  EXPECT_EQ(t[1].state, MessageState::sent);
  EXPECT_EQ(t[3].state, MessageState::sent);
  // The first entry after the previous owner's last: answered here.
  EXPECT_EQ(engine->apply_inbound(logged(kAlice, "START", 4, 12)).outcome, InboundOutcome::keyword);
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(LogPositionTest, TheOutboxSpanTellsWhenEarlierAnswersHaveLeft) {
  EXPECT_EQ(engine->outbox_span().oldest, 0u);
  subscribe_number(kAlice);
  ASSERT_EQ(engine->apply_inbound(logged(kAlice, "HELP", 1, 1)).outcome, InboundOutcome::keyword);
  const auto before = engine->outbox_span();
  EXPECT_GT(before.oldest, 0u);  // the HELP answer waits
  EXPECT_GT(before.next, before.oldest);
  const auto items = drain();  // sent
  ASSERT_EQ(items.size(), 1u);
  const auto after = engine->outbox_span();
  EXPECT_EQ(after.oldest, 0u);
  EXPECT_EQ(after.next, before.next);
}

TEST_F(LogPositionTest, MessagesWithoutAPositionAreNotTracked) {
  EXPECT_EQ(engine->apply_inbound(message(kAlice, "plain")).outcome, InboundOutcome::free_text);
  EXPECT_EQ(engine->apply_inbound(message(kAlice, "plain again")).outcome,
            InboundOutcome::free_text);
  EXPECT_EQ(engine->applied_log_seq(0), 0u);
}

}  // namespace
}  // namespace twoway::engine::testing
