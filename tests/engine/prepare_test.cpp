// Inbound prepared before it is queued (prepare_inbound) and applied on the writer: the same
// outcome as working everything out in the transaction, and a settings change in between never
// lets an opt-out through.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/context.hpp"
#include "engine/keywords.hpp"
#include "engine/profiles.hpp"
#include "engine/router.hpp"
#include "engine/settings.hpp"
#include "engine/store.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

// route_inbound in one write transaction of a store of its own, with the given settings.
class PreparedRouting : public ::testing::Test {
 protected:
  InboundResult apply(const InboundMessage& in, const PreparedInbound* prepared,
                      const Settings& settings, const KeywordTable& keywords) {
    Txn txn(store, false);
    Counters counters = load_counters(txn, store);
    std::vector<Event> events;
    Context ctx{store, txn, config, phones, &settings, &keywords, counters, events, {}};
    InboundResult r = route_inbound(ctx, in, prepared);
    save_counters(txn, store, counters);
    txn.commit();
    return r;
  }
  Profile profile(const std::string& number) {
    Txn txn(store, true);
    Profile p;
    EXPECT_TRUE(read_profile(txn, store, number, p)) << number;
    return p;
  }
  InboundMessage message(const std::string& from, const std::string& body) const {
    InboundMessage m;
    m.smsc = "smsc1";
    m.source = from;
    m.source_ton = 1;
    m.source_npi = 1;
    m.destination = kShortCode;
    m.text = body;
    m.received_unix = kNoon;
    return m;
  }

  TempDir dir;
  EngineConfig config = test_config(dir.path());
  Store store{StoreOptions{dir.path() + "/prepared", std::size_t{64} << 20, false}};
  PhoneNumbers phones{"US"};
};

TEST_F(PreparedRouting, OptOutWordAddedAfterPreparingStillOptsOut) {
  Settings before = config.initial_settings;
  Settings after = before;
  after.keywords.custom.push_back({"ARRET", "Vous ne recevrez plus de messages.", "unsubscribe"});
  auto old_table = std::make_shared<const KeywordTable>(before.keywords);
  const KeywordTable new_table(after.keywords);

  const InboundMessage in = message("+15557654321", "arret");
  PreparedInbound prepared;
  prepare_inbound(phones, old_table, in, prepared);
  ASSERT_EQ(prepared.match.kind, KeywordKind::none);  // free text for the table it saw

  // The settings changed before the writer applied it: the table in force decides.
  const InboundResult r = apply(in, &prepared, after, new_table);
  EXPECT_EQ(r.outcome, InboundOutcome::keyword);
  EXPECT_EQ(profile("+15557654321").consent, Consent::unsubscribed);
}

TEST_F(PreparedRouting, KeywordRemovedAfterPreparingIsFreeText) {
  Settings before = config.initial_settings;
  before.keywords.custom.push_back({"VIP", "Noted", "tag:vip"});
  const Settings after = config.initial_settings;
  auto old_table = std::make_shared<const KeywordTable>(before.keywords);
  const KeywordTable new_table(after.keywords);

  const InboundMessage in = message("+15557654322", "VIP");
  PreparedInbound prepared;
  prepare_inbound(phones, old_table, in, prepared);
  ASSERT_EQ(prepared.match.kind, KeywordKind::custom);

  const InboundResult r = apply(in, &prepared, after, new_table);
  EXPECT_EQ(r.outcome, InboundOutcome::free_text);
  EXPECT_TRUE(profile("+15557654322").tags.empty());
}

TEST_F(PreparedRouting, SameTableUsesThePreparedWork) {
  const Settings& s = config.initial_settings;
  auto table = std::make_shared<const KeywordTable>(s.keywords);
  InboundMessage in = message("0044 20 7946 0123", "STOP");
  in.source_ton = 0;  // unknown: read with the "00" international prefix
  PreparedInbound prepared;
  prepare_inbound(phones, table, in, prepared);
  EXPECT_EQ(prepared.number, "+442079460123");
  EXPECT_EQ(prepared.place.region, "GB");
  EXPECT_EQ(prepared.match.kind, KeywordKind::opt_out);
  EXPECT_NE(prepared.weak_fingerprint, 0u);

  const InboundResult r = apply(in, &prepared, s, *table);
  EXPECT_EQ(r.outcome, InboundOutcome::keyword);
  const Profile p = profile("+442079460123");
  EXPECT_EQ(p.consent, Consent::unsubscribed);
  EXPECT_EQ(p.region, "GB");
  EXPECT_EQ(p.location, phones.place("+442079460123").location);
}

TEST_F(PreparedRouting, PreparedAndUnpreparedAgree) {
  const Settings& s = config.initial_settings;
  auto table = std::make_shared<const KeywordTable>(s.keywords);
  const std::vector<std::string> texts = {"hello", "STOP",         "help",    "I want to cancel",
                                          "START", "wrong number", "Ça va? 😀"};
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string a = "+1555700" + std::to_string(1000 + i);
    const std::string b = "+1555800" + std::to_string(1000 + i);
    PreparedInbound prepared;
    prepare_inbound(phones, table, message(a, texts[i]), prepared);
    const InboundResult ra = apply(message(a, texts[i]), &prepared, s, *table);
    const InboundResult rb = apply(message(b, texts[i]), nullptr, s, *table);
    EXPECT_EQ(ra.outcome, rb.outcome) << texts[i];
    EXPECT_EQ(ra.revocation_suspected, rb.revocation_suspected) << texts[i];
    EXPECT_EQ(profile(a).consent, profile(b).consent) << texts[i];
    EXPECT_EQ(profile(a).unread, profile(b).unread) << texts[i];
    // A redelivery of the prepared one is recognised like any other.
    PreparedInbound again;
    InboundMessage copy = message(a, texts[i]);
    copy.message_reference = "ref";
    prepare_inbound(phones, table, copy, again);
    (void)apply(copy, &again, s, *table);
    EXPECT_EQ(apply(copy, &again, s, *table).outcome, InboundOutcome::duplicate) << texts[i];
  }
}

// The real engine, its writer on its own thread: texts of a word that becomes an opt-out
// keyword while they are being submitted. Whatever was submitted after set_settings returned
// opts out; the ones submitted around it either way, and every one is stored.
class PreparedRace : public EngineTest {
 protected:
  void SetUp() override { open(EngineMode::threaded); }
  std::vector<std::string> after_settings;
};

TEST_F(PreparedRace, OptOutWordAddedWhileSubmittingWinsForEverythingAfter) {
  constexpr int kTexts = 3000;
  std::atomic<int> settings_done_at{-1};  // index of the first text submitted after it
  std::atomic<int> submitted{0};
  std::atomic<int> committed{0};
  std::thread settings_thread([&] {
    while (submitted.load() < kTexts / 3) std::this_thread::yield();
    Settings s = engine->settings();
    s.keywords.custom.push_back({"ARRET", "", "unsubscribe"});
    ASSERT_TRUE(engine->set_settings(s).empty());
    settings_done_at = submitted.load();
  });
  // At least kTexts, and on until 200 were submitted after set_settings returned (bounded).
  int i = 0;
  for (; i < kTexts || (after_settings.size() < 200 && i < 50 * kTexts); ++i) {
    const std::string number = "+1555" + std::to_string(2000000 + i);
    // Read before submitting: this text comes after set_settings returned when it is set.
    const bool after = settings_done_at.load() >= 0;
    engine->submit_inbound(message(number, "arret"), [&](bool ok) {
      if (ok) ++committed;
    });
    if (after) after_settings.push_back(number);
    submitted = i + 1;
  }
  settings_thread.join();
  engine->flush();
  EXPECT_EQ(committed.load(), i);
  ASSERT_FALSE(after_settings.empty());
  for (const std::string& number : after_settings)
    ASSERT_EQ(profile_of(number).consent, Consent::unsubscribed) << number;
}

}  // namespace
}  // namespace twoway::engine::testing
