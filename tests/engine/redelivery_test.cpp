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
  {
    // What a SIGKILL leaves: the store still marked open.
    Store store(StoreOptions{config.path, config.map_size, config.durable, config.write_map});
    Txn txn(store, false);
    txn.put(store.meta, "running", "1");
    txn.commit();
  }
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

}  // namespace
}  // namespace twoway::engine::testing
