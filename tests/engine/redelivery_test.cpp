// Redeliveries with a new SMSC timestamp: recognised by sender, destination and text only
// within minutes of an inbound whose answer may not have reached the SMSC (a dropped link, an
// unclean stop); the same words sent twice on a healthy link are both kept.
#include <gtest/gtest.h>

#include <ctime>

#include "engine/redelivery.hpp"
#include "engine/store.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

// What a SIGKILL leaves: the store still marked open.
void mark_left_open(const EngineConfig& config) {
  Store store(StoreOptions{config.path, config.map_size, config.durable, config.write_map});
  Txn txn(store, false);
  txn.put(store.meta, "running", "1");
  txn.commit();
}

TEST_F(EngineTest, TheSameWordsTwiceOnAHealthyLinkAreBothKept) {
  InboundMessage m = message(kAlice, "Sounds good");
  m.smsc_timestamp = "260615170000000+";
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  m.smsc_timestamp = "260615170010000+";
  m.received_unix = now + 10;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, ARedeliveryAfterADroppedLinkIsRecognisedDespiteANewTimestamp) {
  InboundMessage m = message(kAlice, "Sounds good");
  m.smsc_timestamp = "260615170000000+";
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  // Its answer was written into a link that then dropped.
  engine->note_unconfirmed_answers(now - 15, now + 1);
  m.smsc_timestamp = "260615170130000+";  // the SMSC's redelivery carries a new one
  m.received_unix = now + 90;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::duplicate);
  EXPECT_EQ(profile_of(kAlice).unread, 1u);
  EXPECT_EQ(thread_of(kAlice).size(), 1u);
  // Another sender's "Sounds good" is theirs.
  InboundMessage bob = message(kBob, "Sounds good");
  bob.received_unix = now + 91;
  EXPECT_EQ(engine->apply_inbound(bob).outcome, InboundOutcome::free_text);
}

TEST_F(EngineTest, TextsOutsideTheUnconfirmedWindowAreNotRedeliveries) {
  InboundMessage m = message(kAlice, "Sounds good");
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  // A link dropped a minute later: this answer had long gone out.
  engine->note_unconfirmed_answers(now + 45, now + 61);
  m.received_unix = now + 70;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, AWeakMatchIsOnlyARedeliveryWithinMinutes) {
  InboundMessage m = message(kAlice, "Sounds good");
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  engine->note_unconfirmed_answers(now - 15, now + 1);
  m.received_unix = now + kWeakRedeliverySeconds + 1;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, AfterAnUncleanStopTheLastTextsRedeliveredAreNotAppliedAgain) {
  now = std::time(nullptr);
  InboundMessage m = message(kAlice, "Sounds good");
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  engine.reset();
  mark_left_open(config);
  open();
  m.smsc_timestamp = "redelivered";
  m.received_unix = now + 5;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::duplicate);
  EXPECT_EQ(profile_of(kAlice).unread, 1u);
  // A clean stop puts nothing new in doubt: the next text after it is applied.
  reopen();
  InboundMessage later = message(kAlice, "See you at noon");
  later.received_unix = now + 6;
  EXPECT_EQ(engine->apply_inbound(later).outcome, InboundOutcome::free_text);
  engine.reset();
  open();
  later.received_unix = now + 7;
  EXPECT_EQ(engine->apply_inbound(later).outcome, InboundOutcome::free_text);
}

TEST_F(EngineTest, TwoLongTextsWithTheSameWordsAndNewReferencesAreBothKeptAfterAnUncleanStop) {
  // A customer sends the same long text twice (a new concatenation reference each time) just
  // before the gateway is killed; after the restart, the second is no redelivery of the first.
  InboundMessage first = message(kAlice, "The same long words, twice");
  first.message_reference = "udh:17/2;";
  EXPECT_EQ(engine->apply_inbound(first).outcome, InboundOutcome::free_text);
  engine.reset();
  mark_left_open(config);
  open();
  InboundMessage second = first;
  second.message_reference = "udh:18/2;";
  second.received_unix = now + 2;
  EXPECT_EQ(engine->apply_inbound(second).outcome, InboundOutcome::free_text);
  // The first one redelivered (its answer was cut off) repeats its reference: not applied.
  InboundMessage again = first;
  again.received_unix = now + 3;
  EXPECT_EQ(engine->apply_inbound(again).outcome, InboundOutcome::duplicate);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, OneLostAnswerExcusesOneCopy) {
  InboundMessage m = message(kAlice, "Sure thing");
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  engine->note_unconfirmed_answers(now - 15, now + 1);
  m.received_unix = now + 20;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::duplicate);
  // The customer says it once more: a new message, not a second redelivery.
  m.received_unix = now + 40;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, AnUncleanStopPutsInDoubtOnlyTheLastSecondsBeforeIt) {
  // Texts well before the stop were answered; only those just before the last write may not
  // have been, however soon (or late) the restart comes.
  InboundMessage early = message(kAlice, "Early words");
  EXPECT_EQ(engine->apply_inbound(early).outcome, InboundOutcome::free_text);
  InboundMessage last = message(kBob, "Last words");
  last.received_unix = now + kUncleanStopSeconds + 30;
  EXPECT_EQ(engine->apply_inbound(last).outcome, InboundOutcome::free_text);
  engine.reset();
  mark_left_open(config);
  open();
  early.received_unix = now + kUncleanStopSeconds + 31;
  EXPECT_EQ(engine->apply_inbound(early).outcome, InboundOutcome::free_text);
  last.received_unix = now + kUncleanStopSeconds + 32;
  EXPECT_EQ(engine->apply_inbound(last).outcome, InboundOutcome::duplicate);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
  EXPECT_EQ(profile_of(kBob).unread, 1u);
}

}  // namespace
}  // namespace twoway::engine::testing
