// Inbound routing rules: free text, keywords (opt-out, opt-in, HELP, custom), auto-responder,
// blocked numbers, media, redelivery and sender normalisation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(EngineTest, FreeTextLandsInInboxUnreadWithPreview) {
  auto r = text(kAlice, "Is my order on its way?");
  EXPECT_EQ(r.outcome, InboundOutcome::free_text);
  EXPECT_EQ(r.number, kAlice);
  auto page = engine->inbox(InboxView::inbox);
  ASSERT_EQ(page.rows.size(), 1u);
  EXPECT_EQ(page.rows[0].number, kAlice);
  EXPECT_EQ(page.rows[0].unread, 1u);
  EXPECT_EQ(page.rows[0].preview, "Is my order on its way?");
  EXPECT_EQ(page.rows[0].time, kNoon);
  EXPECT_EQ(engine->inbox(InboxView::unread).rows.size(), 1u);
  auto msgs = thread_of(kAlice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].kind, MessageKind::inbound);
  EXPECT_EQ(msgs[0].direction, Direction::inbound);
  EXPECT_EQ(msgs[0].sending_number, kShortCode);
}

TEST_F(EngineTest, NationalFormatSenderIsNormalisedToE164) {
  InboundMessage m = message("(650) 253-0000", "hello");
  m.source_ton = 2;
  EXPECT_EQ(engine->apply_inbound(m).number, kAlice);
  EXPECT_TRUE(engine->profile(kAlice).has_value());
}

TEST_F(EngineTest, NewestInboundComesFirstAndUnreadCounts) {
  text(kAlice, "one");
  now += 10;
  text(kBob, "two");
  now += 10;
  text(kAlice, "three");
  auto rows = engine->inbox(InboxView::inbox).rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].number, kAlice);
  EXPECT_EQ(rows[0].unread, 2u);
  EXPECT_EQ(rows[0].preview, "three");
  EXPECT_EQ(rows[1].number, kBob);
}

TEST_F(EngineTest, FreeTextUnarchivesTheConversation) {
  text(kAlice, "hi");
  ASSERT_EQ(engine->set_archived(kAlice, true, now), ActionError::ok);
  EXPECT_TRUE(engine->inbox(InboxView::inbox).rows.empty());
  EXPECT_EQ(engine->inbox(InboxView::archived).rows.size(), 1u);
  now += 60;
  text(kAlice, "hello again");
  EXPECT_EQ(engine->inbox(InboxView::inbox).rows.size(), 1u);
  EXPECT_TRUE(engine->inbox(InboxView::archived).rows.empty());
}

TEST_F(EngineTest, KeywordIsRecordedButNotUnreadNorInInbox) {
  auto r = text(kAlice, "HELP");
  EXPECT_EQ(r.outcome, InboundOutcome::keyword);
  EXPECT_TRUE(engine->inbox(InboxView::inbox).rows.empty());
  auto msgs = thread_of(kAlice);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].kind, MessageKind::keyword);
  EXPECT_EQ(msgs[0].keyword, "HELP");
  EXPECT_EQ(profile_of(kAlice).unread, 0u);
}

TEST_F(EngineTest, KeywordDoesNotMoveAConversationAlreadyInTheInbox) {
  text(kAlice, "first");
  now += 10;
  text(kBob, "second");
  now += 10;
  text(kAlice, "HELP");
  auto rows = engine->inbox(InboxView::inbox).rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].number, kBob);
  EXPECT_EQ(rows[1].unread, 1u);
}

TEST_F(EngineTest, OptOutUnsubscribesAndQueuesExactlyOneConfirmation) {
  subscribe_number(kAlice);
  text(kAlice, "STOP");
  auto p = profile_of(kAlice);
  EXPECT_EQ(p.consent, Consent::unsubscribed);
  EXPECT_EQ(p.consent_source, ConsentSource::keyword);
  EXPECT_EQ(p.consent_since, now);
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MessageKind::keyword_reply);
  EXPECT_EQ(out[0].to, kAlice);
  EXPECT_EQ(out[0].from, kShortCode);
  EXPECT_THAT(out[0].text, HasSubstr("Acme"));
  EXPECT_THAT(out[0].text, HasSubstr("no further messages"));
  EXPECT_THAT(out[0].text, HasSubstr("START"));
}

TEST_F(EngineTest, OptOutConfirmationGoesEvenToSomeoneNeverSubscribed) {
  text(kAlice, "STOP");
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].text, HasSubstr("no further messages"));
}

TEST_F(EngineTest, RepeatedStopGetsNoSecondConfirmation) {
  text(kAlice, "STOP");
  EXPECT_EQ(drain().size(), 1u);
  now += 60;
  text(kAlice, "STOP");
  EXPECT_TRUE(drain().empty());
}

TEST_F(EngineTest, OptOutCancelsEverythingQueuedExceptItsConfirmation) {  // invariant 5
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "Agent answer", "ann", false, now}).ok());
  ASSERT_TRUE(engine->send({kAlice, "Sale today", MessageKind::campaign, "crm", now}).ok());
  text(kAlice, "STOP");
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].text, HasSubstr("no further messages"));
  int cancelled = 0;
  for (const auto& m : thread_of(kAlice))
    if (m.state == MessageState::cancelled) ++cancelled;
  EXPECT_EQ(cancelled, 2);
}

TEST_F(EngineTest, OptOutWinsOverAClaimThatAlreadyRan) {  // invariant 5, in-flight messages
  subscribe_number(kAlice);
  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "Agent answer", "ann", false, now}).ok());
  auto claimed = engine->claim_due(now, 10);
  ASSERT_EQ(claimed.size(), 1u);
  text(kAlice, "STOP");
  // The bind never confirmed the submission and the daemon restarts: nothing goes again.
  reopen();
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MessageKind::keyword_reply);
}

TEST_F(EngineTest, OptInSubscribesWithConfirmation) {
  text(kAlice, "START");
  auto p = profile_of(kAlice);
  EXPECT_EQ(p.consent, Consent::subscribed);
  EXPECT_EQ(p.consent_source, ConsentSource::keyword);
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].text, HasSubstr("STOP"));
}

TEST_F(EngineTest, HelpAnswerCarriesTheRequiredParts) {
  text(kAlice, "help");
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].text, HasSubstr("Acme"));
  EXPECT_THAT(out[0].text, HasSubstr("help@acme.example"));
  EXPECT_THAT(out[0].text, HasSubstr("Msg frequency varies"));
  EXPECT_THAT(out[0].text, HasSubstr("Msg & data rates may apply"));
  EXPECT_THAT(out[0].text, HasSubstr("Reply STOP to cancel"));
}

TEST_F(EngineTest, HelpIsNotAnsweredToAnOptedOutNumber) {
  text(kAlice, "STOP");
  drain();
  now += 60;
  text(kAlice, "HELP");
  EXPECT_TRUE(drain().empty());
}

TEST_F(EngineTest, CustomKeywordRepliesSubscribesAndTags) {
  Settings s = engine->settings();
  s.keywords.custom.push_back({"JOIN", "{{organization.prefix}}: welcome!", "subscribe"});
  s.keywords.custom.push_back({"VIP", "Noted", "tag:vip"});
  ASSERT_TRUE(engine->set_settings(s).empty());
  text(kAlice, "join");
  EXPECT_EQ(profile_of(kAlice).consent, Consent::subscribed);
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "Acme: welcome!");
  text(kAlice, "VIP");
  EXPECT_THAT(profile_of(kAlice).tags, ::testing::ElementsAre("vip"));
  EXPECT_TRUE(engine->inbox(InboxView::inbox).rows.empty());
}

TEST_F(EngineTest, CustomOptOutAndHelpWordsActLikeStopAndHelpWithTheirOwnReplies) {
  Settings s = engine->settings();
  s.keywords.custom.push_back(
      {"ARRET", "{{organization.prefix}}: vous ne recevrez plus de messages.", "unsubscribe"});
  s.keywords.custom.push_back({"AIDE", "", "help"});  // no reply of its own: the HELP answer
  ASSERT_TRUE(engine->set_settings(s).empty());
  subscribe_number(kAlice);
  text(kAlice, "aide");
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].text.find("help@acme.example"), std::string::npos) << out[0].text;

  text(kAlice, "hi");
  ASSERT_TRUE(engine->reply({kAlice, "queued before the opt-out", "ann", false, now}).ok());
  text(kAlice, "Arrêt");  // accents fold: ARRET
  EXPECT_EQ(profile_of(kAlice).consent, Consent::unsubscribed);
  text(kAlice, "ARRET");  // again before the confirmation left: still exactly one
  text(kAlice, "AIDE");   // nothing to an opted-out number
  out = drain();
  ASSERT_EQ(out.size(), 1u);  // the queued reply was cancelled, the confirmation kept
  EXPECT_EQ(out[0].text, "Acme: vous ne recevrez plus de messages.");
  EXPECT_FALSE(engine->reply({kAlice, "still there?", "ann", false, now}).ok());
}

TEST_F(EngineTest, ASecondStopBeforeTheFirstConfirmationLeftKeepsThatConfirmation) {
  subscribe_number(kAlice);
  text(kAlice, "STOP");
  text(kAlice, "STOP");
  const auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].text.find("START"), std::string::npos) << out[0].text;  // how to come back
}

TEST_F(EngineTest, CustomKeywordActionsAreChecked) {
  Settings s = engine->settings();
  s.keywords.custom.push_back({"ODD", "?", "explode"});
  EXPECT_FALSE(engine->set_settings(s).empty());
}

class AutoResponderTest : public EngineTest {
 protected:
  void set_mode(AutoResponderMode mode, std::int64_t period = 24 * 3600) {
    Settings s = engine->settings();
    s.auto_responder.mode = mode;
    s.auto_responder.message =
        "{{organization.prefix}} got it, {{profile.name}}. {{organization.email}}";
    s.auto_responder.period_seconds = period;
    ASSERT_TRUE(engine->set_settings(s).empty());
  }
};

TEST_F(AutoResponderTest, OffSendsNothing) {
  set_mode(AutoResponderMode::off);
  text(kAlice, "hi");
  EXPECT_TRUE(drain().empty());
}

TEST_F(AutoResponderTest, AnswersOncePerPeriodWithTemplateFilled) {
  set_mode(AutoResponderMode::all, 3600);
  subscribe_number(kAlice);
  ASSERT_EQ(engine->set_name(kAlice, "Alice", now), ActionError::ok);
  text(kAlice, "hi");
  now += 5;
  text(kAlice, "are you there?");
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, MessageKind::auto_reply);
  EXPECT_EQ(out[0].text, "Acme got it, Alice. help@acme.example");
  now += 3600;
  text(kAlice, "hello?");
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(AutoResponderTest, NonConsentedModeSkipsSubscribers) {
  set_mode(AutoResponderMode::non_consented);
  subscribe_number(kAlice);
  text(kAlice, "hi");
  EXPECT_TRUE(drain().empty());
  text(kBob, "hi");
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kBob);
}

TEST_F(AutoResponderTest, NeverAnswersAnOptedOutNumberButTheTextReachesTheInbox) {
  set_mode(AutoResponderMode::all);
  text(kAlice, "STOP");
  ASSERT_EQ(drain().size(), 1u);
  now += 60;
  auto r = text(kAlice, "why did I get this?");
  EXPECT_EQ(r.outcome, InboundOutcome::free_text);
  EXPECT_TRUE(drain().empty());
  auto rows = engine->inbox(InboxView::inbox).rows;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].consent, Consent::unsubscribed);
}

TEST_F(AutoResponderTest, AutoReplyGoesAtOnceInQuietHours) {
  set_mode(AutoResponderMode::all);
  now = kNightCA;
  text(kAlice, "late question");
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(EngineTest, BlockedNumbersAreStoredNeverShownNeverAnswered) {
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::all;
  ASSERT_TRUE(engine->set_settings(s).empty());
  text(kAlice, "first");
  drain();
  ASSERT_EQ(engine->set_blocked(kAlice, true, now), ActionError::ok);
  EXPECT_TRUE(engine->inbox(InboxView::inbox).rows.empty());
  now += 48 * 3600;
  auto r = text(kAlice, "spam spam");
  EXPECT_EQ(r.outcome, InboundOutcome::blocked);
  text(kAlice, "HELP");
  EXPECT_TRUE(drain().empty());
  EXPECT_TRUE(engine->inbox(InboxView::inbox).rows.empty());
  EXPECT_TRUE(engine->inbox(InboxView::unread).rows.empty());
  EXPECT_EQ(thread_of(kAlice).size(), 4u);  // first, auto-reply, spam, HELP
  ASSERT_EQ(engine->set_blocked(kAlice, false, now), ActionError::ok);
  EXPECT_EQ(engine->inbox(InboxView::inbox).rows.size(), 1u);
}

TEST_F(EngineTest, MediaIsFlaggedAndOnlyItsTextKept) {
  InboundMessage m = message(kAlice, "look at this");
  m.media_omitted = true;
  engine->apply_inbound(m);
  auto msgs = thread_of(kAlice);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].media_omitted);
  EXPECT_EQ(msgs[0].text, "look at this");
}

TEST_F(EngineTest, RedeliveredMessageIsNotAppliedTwice) {  // invariant 1
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::all;
  ASSERT_TRUE(engine->set_settings(s).empty());
  InboundMessage m = message(kAlice, "Sure");
  m.smsc_timestamp = "260615170000000+";
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  reopen();  // crash between commit and deliver_sm_resp
  m.received_unix = now + 30;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::duplicate);
  EXPECT_EQ(thread_of(kAlice).size(), 2u);  // the text and one auto-reply
  EXPECT_EQ(profile_of(kAlice).unread, 1u);
  // The same words sent again later by the person (new SMSC timestamp) are a new message.
  m.smsc_timestamp = "260615170500000+";
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, RedeliveryFingerprintsExpireAfterTheWindow) {
  InboundMessage m = message(kAlice, "Sure");
  m.message_reference = "42";
  engine->apply_inbound(m);
  engine->housekeeping(now + config.redelivery_window_seconds + 1);
  m.received_unix = now + config.redelivery_window_seconds + 2;
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
}

TEST_F(EngineTest, RedeliveryIsRecognisedAmongTheSendersRecentTexts) {
  InboundMessage first = message(kAlice, "Sure");
  first.message_reference = "1";
  EXPECT_EQ(engine->apply_inbound(first).outcome, InboundOutcome::free_text);
  // Another sender's identical text with the same reference is not a redelivery.
  InboundMessage other = first;
  other.source = kBob;
  EXPECT_EQ(engine->apply_inbound(other).outcome, InboundOutcome::free_text);
  // Seven more texts from the same sender: the first is still recognised.
  for (int i = 2; i <= 8; ++i) {
    InboundMessage m = first;
    m.message_reference = std::to_string(i);
    m.received_unix = now + i;
    EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text) << i;
  }
  first.received_unix = now + 100;
  EXPECT_EQ(engine->apply_inbound(first).outcome, InboundOutcome::duplicate);
  // The ninth pushes the oldest fingerprint out of the profile.
  InboundMessage ninth = first;
  ninth.message_reference = "9";
  EXPECT_EQ(engine->apply_inbound(ninth).outcome, InboundOutcome::free_text);
  EXPECT_EQ(engine->apply_inbound(first).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 10u);
}

TEST_F(EngineTest, LongTextsThatDifferOnlyAtTheEndAreNotRedeliveries) {
  InboundMessage m = message(kAlice, "");
  m.smsc_timestamp = "260615170000000+";  // the same second
  const std::string start(150, 'x');
  m.text = start + " first";
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  m.text = start + " second";
  EXPECT_EQ(engine->apply_inbound(m).outcome, InboundOutcome::free_text);
  EXPECT_EQ(profile_of(kAlice).unread, 2u);
}

TEST_F(EngineTest, UnreadableSenderIsRejectedNotStored) {
  auto r = text("+", "hello");
  EXPECT_EQ(r.outcome, InboundOutcome::rejected);
  EXPECT_TRUE(engine->inbox(InboxView::inbox).rows.empty());
}

TEST_F(EngineTest, AlphanumericSendersAreStoredButNeverAnswered) {
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::all;
  ASSERT_TRUE(engine->set_settings(s).empty());
  InboundMessage m = message("ACMEBANK", "Your code is 1234");
  m.source_ton = 5;
  m.source_npi = 0;
  EXPECT_EQ(engine->apply_inbound(m).number, "ACMEBANK");
  m.text = "HELP";
  engine->apply_inbound(m);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(thread_of("ACMEBANK").size(), 2u);
}

TEST_F(EngineTest, StickySenderFollowsTheNumberLastTexted) {
  subscribe_number(kAlice);
  text(kAlice, "to the short code", kShortCode);
  now += 10;
  text(kAlice, "to the long code", "16505550100");
  EXPECT_EQ(profile_of(kAlice).sending_number, kLongCode);
  ASSERT_TRUE(engine->reply({kAlice, "answer", "ann", false, now}).ok());
  auto out = drain();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].from, kLongCode);
}

// A reload changes the organization, the sending numbers and the credit rates of a running
// engine: the next answer, reply and charge use the new values, the old ones are gone.
TEST_F(EngineTest, ReconfigureChangesOrganizationNumbersAndRatesWhileRunning) {
  text(kAlice, "HELP");
  auto before = drain();
  ASSERT_EQ(before.size(), 1u);
  EXPECT_THAT(before[0].text, HasSubstr("Acme"));

  EngineConfig next = config;
  next.organization.prefix = "Bravo";
  next.organization.email = "care@bravo.example";
  next.organization.help_text = "Bravo alerts.";
  next.sending_numbers = {kLongCode};  // the short code no longer carries conversations
  next.default_credit_rate = 5;
  next.path = "/nonexistent";  // fixed at start: ignored
  engine->reconfigure(next);
  EXPECT_EQ(engine->organization().prefix, "Bravo");

  now += 60;
  text(kBob, "HELP", kLongCode);
  auto after = drain();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_THAT(after[0].text, HasSubstr("Bravo"));
  EXPECT_THAT(after[0].text, HasSubstr("care@bravo.example"));
  EXPECT_THAT(after[0].text, Not(HasSubstr("Acme")));
  EXPECT_EQ(after[0].from, kLongCode);

  subscribe_number(kBob);
  ASSERT_TRUE(engine->reply({kBob, "thanks", "ann", false, now}).ok());
  EXPECT_EQ(thread_of(kBob).back().credits, 5u);
}

}  // namespace
}  // namespace twoway::engine::testing
