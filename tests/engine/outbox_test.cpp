// Outbound rules: agent-reply refusals (consent, first contact, blocked, branded sender, quiet
// hours), campaigns and flows, the durable outbox, submissions, failures and delivery receipts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/consent.hpp"
#include "engine/outbox.hpp"
#include "engine/records.hpp"
#include "engine/store.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(EngineTest, AgentReplyNeedsSubscription) {  // invariant 2
  text(kAlice, "hi");
  auto r = engine->reply({kAlice, "hello", "ann", false, now});
  EXPECT_EQ(r.error, SendError::not_subscribed);
  EXPECT_TRUE(drain().empty());
}

TEST_F(EngineTest, AgentReplyNeverMakesFirstContact) {  // invariant 3
  subscribe_number(kAlice);
  auto r = engine->reply({kAlice, "hello", "ann", false, now});
  EXPECT_EQ(r.error, SendError::no_inbound);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(engine->reply({kBob, "hello", "ann", false, now}).error, SendError::not_found);
}

TEST_F(EngineTest, AgentReplyRefusedToBlockedNumber) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_EQ(engine->set_blocked(kAlice, true, now), ActionError::ok);
  EXPECT_EQ(engine->reply({kAlice, "hello", "ann", false, now}).error, SendError::blocked);
}

TEST_F(EngineTest, AgentReplyNeverFromABrandedSender) {  // invariant 4
  subscribe_number(kAlice);
  text(kAlice, "hi", "ACME");  // cannot happen on a real network; the engine still refuses
  EXPECT_EQ(engine->reply({kAlice, "hello", "ann", false, now}).error, SendError::branded_sender);
  // A later text to a numeric number fixes the sticky sender.
  text(kAlice, "hi again", kShortCode);
  EXPECT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
}

TEST_F(EngineTest, AgentReplyToAnAlphanumericProfileIsRefused) {
  text("ACMEBANK", "Your code is 1234");
  ASSERT_EQ(engine->import_consent("ACMEBANK", Consent::subscribed, ConsentSource::import, now),
            ActionError::invalid);
  EXPECT_EQ(engine->reply({"ACMEBANK", "hello", "ann", false, now}).error,
            SendError::not_subscribed);
}

TEST_F(EngineTest, AgentReplyInQuietHoursWarnsAndNeedsOverride) {
  subscribe_number(kAlice);
  now = kNightCA;
  text(kAlice, "hi");
  auto r = engine->reply({kAlice, "hello", "ann", false, now});
  EXPECT_EQ(r.error, SendError::quiet_hours);
  EXPECT_FALSE(r.quiet.allowed);
  EXPECT_EQ(r.quiet.local_time, "23:00");
  EXPECT_TRUE(drain().empty());
  auto forced = engine->reply({kAlice, "hello", "ann", true, now});
  EXPECT_TRUE(forced.ok());
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(EngineTest, AgentReplyTextIsBounded) {  // invariant 6
  subscribe_number(kAlice);
  text(kAlice, "hi");
  EXPECT_EQ(engine->reply({kAlice, "", "ann", false, now}).error, SendError::empty_text);
  EXPECT_EQ(
      engine->reply({kAlice, std::string(config.max_text_bytes + 1, 'a'), "ann", false, now}).error,
      SendError::text_too_long);
}

TEST_F(EngineTest, AgentReplyIsStoredWithEncodingSegmentsAndCredits) {
  config.credit_rates["US"] = 3;
  reopen();
  subscribe_number(kAlice);
  text(kAlice, "hi");
  auto r = engine->reply({kAlice, std::string(200, 'x'), "ann", false, now});
  ASSERT_TRUE(r.ok());
  auto msgs = thread_of(kAlice);
  const Message& m = msgs.back();
  EXPECT_EQ(m.kind, MessageKind::agent_reply);
  EXPECT_EQ(m.state, MessageState::queued);
  EXPECT_EQ(m.encoding, TextEncoding::gsm7);
  EXPECT_EQ(m.segments, 2u);
  EXPECT_EQ(m.credits, 6u);
  EXPECT_EQ(m.agent, "ann");
  auto uni = engine->reply({kAlice, "Привет", "ann", false, now});
  ASSERT_TRUE(uni.ok());
  EXPECT_EQ(thread_of(kAlice).back().encoding, TextEncoding::ucs2);
}

TEST_F(EngineTest, CampaignOnlyToSubscribers) {  // invariant 2
  text(kAlice, "hi");
  EXPECT_EQ(engine->send({kAlice, "Sale", MessageKind::campaign, "crm", now}).error,
            SendError::not_subscribed);
  EXPECT_EQ(engine->send({kBob, "Sale", MessageKind::flow, "crm", now}).error,
            SendError::not_found);
  subscribe_number(kBob);  // imported, never texted: campaigns may still go
  auto r = engine->send({kBob, "Sale", MessageKind::campaign, "crm", now});
  ASSERT_TRUE(r.ok());
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].from, kShortCode);  // first configured sending number
  EXPECT_EQ(out[0].kind, MessageKind::campaign);
  EXPECT_EQ(thread_of(kBob).back().kind, MessageKind::campaign);
}

TEST_F(EngineTest, FlowsHoldUntilQuietHoursEnd) {
  subscribe_number(kAlice);
  now = kNightCA;
  auto r = engine->send({kAlice, "Your appointment is tomorrow", MessageKind::flow, "crm", now});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.held);
  EXPECT_EQ(r.due_unix, kMorningCA);
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::held);
  now = kMorningCA - 60;
  EXPECT_TRUE(drain().empty());
  now = kMorningCA;
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(EngineTest, KeywordAnswersGoAtOnceInQuietHours) {
  now = kNightCA;
  text(kAlice, "HELP");
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(EngineTest, ClaimRechecksConsent) {  // invariant 5: consent lost after queueing
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  ASSERT_EQ(engine->import_consent(kAlice, Consent::none, ConsentSource::import, now),
            ActionError::ok);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::cancelled);
}

TEST_F(EngineTest, SubmissionThenReceiptsUpdateTheMessage) {
  const OutboundItem item = claimed_reply(std::string(200, 'y'));
  ASSERT_EQ(item.segments, 2u);
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::in_flight);
  EXPECT_TRUE(engine->mark_submitted(item.id, 0, "0000ABC1", now));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::in_flight);
  EXPECT_TRUE(engine->mark_submitted(item.id, 1, "abc2", now));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
  EXPECT_FALSE(engine->mark_submitted(item.id, 1, "abc2", now));  // left the outbox

  // Receipt ids come back in another case/padding, and one in decimal (0xabc2 = 43970).
  EXPECT_TRUE(engine->apply_receipt({"smsc1", "ABC1", ReceiptState::delivered, "", now + 5}));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
  EXPECT_TRUE(engine->apply_receipt({"smsc1", "43970", ReceiptState::delivered, "", now + 6}));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::delivered);
  EXPECT_FALSE(engine->apply_receipt({"smsc1", "ffff", ReceiptState::delivered, "", now}));
}

TEST_F(EngineTest, FailedReceiptMarksTheMessageFailedWithError) {
  const OutboundItem item = claimed_reply();
  ASSERT_TRUE(engine->mark_submitted(item.id, 0, "77", now));
  EXPECT_TRUE(engine->apply_receipt({"smsc1", "77", ReceiptState::failed, "err:034", now}));
  auto m = thread_of(kAlice).back();
  EXPECT_EQ(m.state, MessageState::failed);
  EXPECT_EQ(m.error, "err:034");
}

TEST_F(EngineTest, AReceiptThatOvertakesItsSubmitResponseAppliesWhenTheIdIsRecorded) {
  const OutboundItem item = claimed_reply(std::string(200, 'y'));
  // Both receipts come first (another bind of the SMSC was faster), one id in decimal.
  EXPECT_FALSE(engine->apply_receipt({"smsc1", "ABC1", ReceiptState::delivered, "", now, now}));
  EXPECT_FALSE(engine->apply_receipt({"smsc1", "43970", ReceiptState::delivered, "", now, now}));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::in_flight);
  ASSERT_TRUE(engine->mark_submitted(item.id, 0, "0000abc1", now + 1));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::in_flight);  // part 2 not sent yet
  ASSERT_TRUE(engine->mark_submitted(item.id, 1, "abc2", now + 1));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::delivered);

  // Applied once: the next message that happens to get the same id is not touched by it.
  ASSERT_TRUE(engine->reply({kAlice, "again", "ann", false, now + 2}).ok());
  const auto next = engine->claim_due(now + 2, 10);
  ASSERT_EQ(next.size(), 1u);
  ASSERT_TRUE(engine->mark_submitted(next[0].id, 0, "abc1", now + 3));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
}

TEST_F(EngineTest, AHeldReceiptIsDroppedWhenItsIdDoesNotComeInTime) {
  const OutboundItem item = claimed_reply();
  EXPECT_FALSE(engine->apply_receipt({"smsc1", "77", ReceiptState::failed, "err:1", now, now}));
  engine->housekeeping(now + kReceiptHoldSeconds + 1);
  ASSERT_TRUE(engine->mark_submitted(item.id, 0, "77", now + kReceiptHoldSeconds + 2));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
}

TEST_F(EngineTest, RetryableFailureComesBackAfterBackoffThenGivesUp) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  for (std::uint32_t attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    auto items = engine->claim_due(now, 10);
    ASSERT_EQ(items.size(), 1u) << attempt;
    EXPECT_EQ(items[0].attempts, attempt - 1);
    ASSERT_TRUE(engine->mark_failed(items[0].id, "throttled", true, now));
    EXPECT_TRUE(engine->claim_due(now, 10).empty());  // backoff
    now += 3600;
  }
  EXPECT_TRUE(engine->claim_due(now, 10).empty());
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::failed);
  EXPECT_EQ(thread_of(kAlice).back().error, "throttled");
}

// The SMSC goes silent again and again (link-dead detection drops the link each time): a HELP
// answer's hand-overs fail on the transport, never by a refusal, and it still goes.
TEST_F(EngineTest, TransportFailuresNeverUseUpAttemptsOfARequiredAnswer) {
  text(kAlice, "HELP");
  for (int lost = 1; lost <= 25; ++lost) {
    auto items = engine->claim_due(now, 10);
    ASSERT_EQ(items.size(), 1u) << lost;
    EXPECT_EQ(items[0].kind, MessageKind::keyword_reply);
    ASSERT_TRUE(engine->mark_failed(items[0].id, "connection lost", SubmitFailure::transport, now));
    EXPECT_EQ(thread_of(kAlice).back().state, MessageState::queued) << lost;
    EXPECT_TRUE(engine->claim_due(now + kTransportRetrySeconds - 1, 10).empty());  // a short wait
    now += kTransportRetryMaxSeconds;  // never longer than this
  }
  auto items = engine->claim_due(now, 10);
  ASSERT_EQ(items.size(), 1u);  // the bind is back: it goes
  ASSERT_TRUE(engine->mark_submitted(items[0].id, 0, "m1", now));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
}

TEST_F(EngineTest, RefusalsStillGiveUpAfterMaxAttemptsWhateverTheTransportDid) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  for (std::uint32_t refusal = 1; refusal <= kMaxAttempts; ++refusal) {
    for (int lost = 0; lost < 3; ++lost) {
      auto items = engine->claim_due(now, 10);
      ASSERT_EQ(items.size(), 1u);
      ASSERT_TRUE(
          engine->mark_failed(items[0].id, "request timed out", SubmitFailure::transport, now));
      now += kTransportRetryMaxSeconds;
    }
    auto items = engine->claim_due(now, 10);
    ASSERT_EQ(items.size(), 1u) << refusal;
    ASSERT_TRUE(engine->mark_failed(items[0].id, "refused with ESME_RSYSERR",
                                    SubmitFailure::refused_retryable, now));
    now += 3600;
  }
  EXPECT_TRUE(engine->claim_due(now, 10).empty());
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::failed);
  EXPECT_EQ(thread_of(kAlice).back().error, "refused with ESME_RSYSERR");
}

TEST_F(EngineTest, ARetryOfAMultipartMessageNamesTheSegmentsAlreadyAccepted) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  const std::string long_text(400, 'a');  // three GSM-7 parts of 153
  ASSERT_TRUE(engine->reply({kAlice, long_text, "ann", false, now}).ok());
  auto items = engine->claim_due(now, 10);
  ASSERT_EQ(items.size(), 1u);
  ASSERT_EQ(items[0].segments, 3u);
  EXPECT_TRUE(items[0].accepted.empty());  // first attempt: send everything
  ASSERT_TRUE(engine->mark_submitted(items[0].id, 0, "p0", now));
  ASSERT_TRUE(engine->mark_failed(items[0].id, "throttled", true, now));
  ASSERT_TRUE(engine->mark_submitted(items[0].id, 2, "p2", now));  // answered after the refusal
  now += 3600;
  items = engine->claim_due(now, 10);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].accepted, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(items[0].attempts, 1u);
  ASSERT_TRUE(engine->mark_submitted(items[0].id, 1, "p1", now));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
  EXPECT_EQ(thread_of(kAlice).back().smsc_ids, (std::vector<std::string>{"p0", "p1", "p2"}));
  EXPECT_TRUE(engine->claim_due(now + 3600, 10).empty());
}

TEST_F(EngineTest, PermanentFailureIsFinal) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  auto items = engine->claim_due(now, 10);
  ASSERT_TRUE(engine->mark_failed(items[0].id, "invalid dest", false, now));
  now += 3600;
  EXPECT_TRUE(engine->claim_due(now, 10).empty());
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::failed);
}

TEST_F(EngineTest, InFlightMessagesAreResentAfterACrash) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  auto first = engine->claim_due(now, 10);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(engine->claim_due(now, 10).empty());
  reopen();
  auto again = engine->claim_due(now, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, first[0].id);
  EXPECT_EQ(again[0].text, "hello");
}

// The sending side takes answers in the transaction that queues them (Engine::on_handoff).
class HandoffTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    engine->on_handoff([this] { return room; },
                       [this](std::vector<OutboundItem> items) {
                         for (auto& i : items) taken.push_back(std::move(i));
                       });
  }
  // The engine's last write (marking the store closed) runs as it is destroyed, after this
  // fixture's members: the callbacks must be gone by then.
  void TearDown() override {
    if (engine) engine->on_handoff(nullptr, nullptr);
  }
  std::size_t room = 10;
  std::vector<OutboundItem> taken;
};

TEST_F(HandoffTest, AnAnswerIsHandedOverInFlightAndNeverClaimed) {
  text(kAlice, "HELP");
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].to, kAlice);
  EXPECT_EQ(taken[0].from, kShortCode);
  EXPECT_EQ(taken[0].kind, MessageKind::keyword_reply);
  EXPECT_THAT(taken[0].text, HasSubstr("Acme order updates."));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::in_flight);
  EXPECT_TRUE(engine->claim_due(now, 10).empty());
  ASSERT_TRUE(engine->mark_submitted(taken[0].id, 0, "77", now));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
}

TEST_F(HandoffTest, AHandedOverAnswerIsSentAgainAfterACrash) {
  text(kAlice, "HELP");
  ASSERT_EQ(taken.size(), 1u);
  reopen();  // the pump had it and never submitted it
  const auto again = engine->claim_due(now, 10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, taken[0].id);
  EXPECT_EQ(again[0].text, taken[0].text);
}

TEST_F(HandoffTest, WithoutRoomTheAnswerWaitsForTheClaim) {
  room = 0;
  text(kAlice, "HELP");
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::queued);
  EXPECT_EQ(engine->claim_due(now, 10).size(), 1u);
}

TEST_F(HandoffTest, OneTransactionHandsOverNoMoreThanTheRoom) {
  room = 2;
  std::vector<Engine::Submission> batch(5);
  for (int i = 0; i < 5; ++i)
    batch[i].message = message("+1650253" + std::to_string(1000 + i), "HELP");
  engine->submit_inbound(std::move(batch));  // one transaction
  EXPECT_EQ(taken.size(), 2u);
  EXPECT_EQ(engine->claim_due(now, 10).size(), 3u);
}

TEST_F(HandoffTest, AStopLaterInTheSameTransactionWithdrawsTheAnswer) {  // opt-out wins
  std::vector<Engine::Submission> batch(2);
  batch[0].message = message(kAlice, "HELP");
  batch[1].message = message(kAlice, "STOP");
  engine->submit_inbound(std::move(batch));  // one transaction
  // Only the opt-out confirmation leaves; the HELP answer was cancelled before the commit.
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_THAT(taken[0].text, HasSubstr("unsubscribed"));
  const auto thread = thread_of(kAlice);
  const auto help = std::find_if(thread.begin(), thread.end(), [](const Message& m) {
    return m.direction == Direction::outbound && m.keyword == "help";
  });
  ASSERT_NE(help, thread.end());
  EXPECT_EQ(help->state, MessageState::cancelled);
  EXPECT_TRUE(engine->claim_due(now, 10).empty());
}

TEST_F(HandoffTest, CampaignsAreNeverHandedOver) {  // caps and quiet hours: the claim's
  subscribe_number(kAlice);
  taken.clear();
  ASSERT_EQ(engine->send({kAlice, "Sale", MessageKind::campaign, "crm", now}).error, SendError::ok);
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(engine->claim_due(now, 10).size(), 1u);
}

TEST_F(EngineTest, AnAnswerALaterItemMakesUnsendableGoesBackToTheClaim) {  // invariant 5
  // One transaction, as the writer runs it: an agent reply handed over, then a consent change
  // that removes no outbox row (to none, by import) but makes the reply unsendable. What
  // confirm_handoff leaves handed over must be what a claim would send now.
  subscribe_number(kAlice);
  text(kAlice, "hi");
  engine.reset();
  {
    Store store(StoreOptions{config.path, config.map_size, config.durable, config.write_map});
    PhoneNumbers phones("US");
    Counters counters;
    std::vector<Event> events;
    std::vector<HandedOver> handoff;
    Txn txn(store, false);
    counters = load_counters(txn, store);
    Context ctx{store,  txn, config,   phones, &config.initial_settings, nullptr, counters,
                events, {},  &handoff, 10};
    ProfileEdit edit;
    ASSERT_TRUE(load_profile(ctx, kAlice, edit));
    OutboundRequest req;
    req.kind = MessageKind::agent_reply;
    req.text = "hello";
    req.from = kShortCode;
    req.now = now;
    const std::uint64_t id = enqueue_outbound(ctx, edit, req);
    ASSERT_EQ(handoff.size(), 1u);  // it would be sent now
    ConsentChange none;
    none.consent = Consent::none;
    none.source = ConsentSource::import;
    none.now = now;
    ASSERT_EQ(set_consent(ctx, edit, none), ConsentOutcome::applied);
    save_profile(ctx, edit);
    EXPECT_TRUE(confirm_handoff(ctx).empty());
    save_counters(txn, store, counters);
    txn.commit();
    // Back in the due part of the outbox and queued, not in flight.
    Txn read(store, true);
    const auto key = read.get(store.outbox_ids, records::outbox_id_key(id));
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(static_cast<int>((*key)[0]), 0);
  }
  open();
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::queued);
  EXPECT_TRUE(engine->claim_due(now, 10).empty());  // the claim cancels it
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::cancelled);
}

TEST_F(EngineTest, ClaimRespectsTheLimit) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(engine->reply({kAlice, "m" + std::to_string(i), "ann", false, now}).ok());
  EXPECT_EQ(engine->claim_due(now, 2).size(), 2u);
  EXPECT_EQ(engine->claim_due(now, 10).size(), 3u);
}

TEST_F(EngineTest, CreditsAndResponseTimeTotals) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  now += 120;
  ASSERT_TRUE(engine->reply({kAlice, std::string(200, 'z'), "ann", false, now}).ok());
  drain();
  Stats s = engine->stats(now);
  EXPECT_EQ(s.credits_today, 2u);
  EXPECT_EQ(s.credits_month, 2u);
  EXPECT_EQ(s.conversations_answered, 1u);
  EXPECT_EQ(s.average_response_seconds, 120);
  EXPECT_EQ(engine->thread(kAlice, 0, 0, now).header.response_time_seconds, 120);
  EXPECT_EQ(engine->stats(now + 86400).credits_today, 0u);
}

TEST_F(EngineTest, ConversationsWaitingLongerThanAnHour) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  text(kBob, "hello");
  now += 1800;
  text(kCarol, "hey");
  now += 1801;
  EXPECT_EQ(engine->stats(now).waiting_over_threshold, 2u);
  ASSERT_TRUE(engine->reply({kAlice, "answer", "ann", false, now}).ok());
  EXPECT_EQ(engine->stats(now).waiting_over_threshold, 1u);
}

TEST_F(EngineTest, CancelledByBlockAreNeverClaimed) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  ASSERT_EQ(engine->set_blocked(kAlice, true, now), ActionError::ok);
  EXPECT_TRUE(drain().empty());
}

}  // namespace
}  // namespace twoway::engine::testing

namespace twoway::engine::testing {
namespace {

TEST_F(EngineTest, ReceiptIdsExpireAfterTheirWindow) {
  const OutboundItem item = claimed_reply();
  ASSERT_TRUE(engine->mark_submitted(item.id, 0, "abc", now));
  engine->housekeeping(now + config.dlr_expiry_seconds + 1);
  EXPECT_FALSE(engine->apply_receipt({"smsc1", "abc", ReceiptState::delivered, "", now}));
  EXPECT_EQ(thread_of(kAlice).back().state, MessageState::sent);
}

TEST_F(EngineTest, ReceiptBeforeExpiryStillApplies) {
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "hello", "ann", false, now}).ok());
  auto items = engine->claim_due(now, 10);
  ASSERT_TRUE(engine->mark_submitted(items.at(0).id, 0, "abd", now));
  engine->housekeeping(now + 60);
  EXPECT_TRUE(engine->apply_receipt({"smsc1", "abd", ReceiptState::delivered, "", now + 61}));
}

}  // namespace
}  // namespace twoway::engine::testing
