// Inbound prepared before it is queued (prepare_inbound) and applied on the writer: the same
// outcome as working everything out in the transaction, and a settings change in between never
// lets an opt-out through.
#include <gtest/gtest.h>

#include <memory>
#include <string>
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

}  // namespace
}  // namespace twoway::engine::testing
