// The cluster's pieces: partitions, log entries, the inbound log and its readers, and the
// partition leases, against a real nats-server.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/cluster_config.hpp"
#include "cluster/inbound_log.hpp"
#include "cluster/leases.hpp"
#include "cluster/log_entry.hpp"
#include "cluster/partition.hpp"
#include "cluster/partition_reader.hpp"
#include "engine/engine.hpp"
#include "nats_server.hpp"

namespace twoway::cluster {
namespace {

using namespace std::chrono_literals;
using testing::NatsServers;

// Waits (bounded) until `pred` holds.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

ClusterConfig config_for(const NatsServers& nats, const std::string& node,
                         std::uint32_t partitions = 8) {
  ClusterConfig c;
  c.nats = nats.urls();
  c.node = node;
  c.partitions = partitions;
  c.replicas = nats.size() >= 3 ? 3 : 1;
  c.lease_ttl = 1000ms;
  return c;
}

engine::InboundMessage text_from(const std::string& number, const std::string& body) {
  engine::InboundMessage m;
  m.smsc = "smsc1";
  m.source = number;
  m.source_ton = 1;
  m.source_npi = 1;
  m.destination = "12345";
  m.text = body;
  m.received_unix = 1781542800;
  return m;
}

// ---- partitions ----

TEST(Partition, TheSameNumberAlwaysLandsInTheSamePartition) {
  EXPECT_EQ(partition_of("+16502530000", 64), partition_of("+16502530000", 64));
  EXPECT_LT(partition_of("+16502530000", 64), 64u);
  EXPECT_EQ(partition_of("+16502530000", 1), 0u);
  // Numbers that differ in one digit spread over the partitions.
  std::map<std::uint32_t, int> counts;
  for (int i = 0; i < 6400; ++i) ++counts[partition_of("+1650253" + std::to_string(1000 + i), 64)];
  EXPECT_EQ(counts.size(), 64u);
  for (const auto& [p, n] : counts) {
    EXPECT_GT(n, 50) << "partition " << p;
    EXPECT_LT(n, 150) << "partition " << p;
  }
}

TEST(Partition, EveryNodeAgreesOnTheOwnerAndAJoinMovesOnlyWhatTheNewcomerWins) {
  const std::vector<std::string> two = {"gw-a", "gw-b"};
  const std::vector<std::string> two_reversed = {"gw-b", "gw-a"};
  const std::vector<std::string> three = {"gw-a", "gw-b", "gw-c"};
  std::map<std::string, int> won;
  for (std::uint32_t p = 0; p < 64; ++p) {
    const auto before = preferred_node(p, two);
    EXPECT_EQ(before, preferred_node(p, two_reversed));
    const auto after = preferred_node(p, three);
    if (after != before) {
      EXPECT_EQ(after, "gw-c") << "partition " << p;
    }
    ++won[after];
  }
  EXPECT_EQ(won.size(), 3u);  // each node gets a share
  EXPECT_EQ(preferred_node(3, {}), "");
}

// ---- configuration ----

TEST(ClusterConfigCheck, NamesEachUnusableKey) {
  ClusterConfig c;
  c.nats = {"nats://127.0.0.1:4222"};
  c.node = "gw-a";
  EXPECT_TRUE(check(c).empty());
  c.node = "gw a.b";
  c.nats = {"http://x"};
  c.partitions = 0;
  c.replicas = 7;
  c.lease_ttl = 100ms;
  const auto problems = check(c);
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_NE(problems[0].find("cluster.nats"), std::string::npos);
  EXPECT_NE(problems[1].find("cluster.node"), std::string::npos);
  EXPECT_NE(problems[2].find("cluster.partitions"), std::string::npos);
  EXPECT_NE(problems[3].find("cluster.replicas"), std::string::npos);
  EXPECT_NE(problems[4].find("cluster.lease_seconds"), std::string::npos);
}

// ---- log entries ----

TEST(LogEntry, AMessageAndAReceiptComeBackAsTheyWere) {
  auto m = text_from("+16502530000", "héllo 👋");
  m.media_omitted = true;
  m.smsc_timestamp = "2606151700000+";
  m.message_reference = "77";
  std::string error;
  auto back = decode_entry(encode_entry(m), &error);
  ASSERT_TRUE(back) << error;
  const auto& got = std::get<engine::InboundMessage>(*back);
  EXPECT_EQ(got.source, m.source);
  EXPECT_EQ(got.text, m.text);
  EXPECT_EQ(got.destination, "12345");
  EXPECT_TRUE(got.media_omitted);
  EXPECT_EQ(got.smsc_timestamp, m.smsc_timestamp);
  EXPECT_EQ(got.message_reference, "77");
  EXPECT_EQ(got.received_unix, m.received_unix);

  engine::Receipt r;
  r.smsc = "smsc2";
  r.message_id = "abc123";
  r.state = engine::ReceiptState::delivered;
  r.error = "000";
  r.time_unix = 5;
  r.received_unix = 6;
  back = decode_entry(encode_entry(r), &error);
  ASSERT_TRUE(back) << error;
  const auto& rr = std::get<engine::Receipt>(*back);
  EXPECT_EQ(rr.message_id, "abc123");
  EXPECT_EQ(rr.state, engine::ReceiptState::delivered);
  EXPECT_EQ(rr.received_unix, 6);
}

TEST(LogEntry, EveryStaffActionComesBackAsItWas) {
  using engine::StaffAction;
  engine::SendRequest flow;
  flow.number = "+16502530000";
  flow.text = "step 2 ✓";
  flow.kind = engine::MessageKind::flow;
  flow.source = "crm";
  flow.no_shorten = true;
  flow.now = 11;
  const std::vector<StaffAction> actions = {
      engine::ReplyRequest{"+16502530000", "on our way", "ann", true, 10, true},
      flow,
      engine::FlagChange{"+16502530000", engine::FlagChange::Flag::blocked, true, 12},
      engine::NameChange{"+16502530000", "Zoë", 13},
      engine::RevocationDecision{"+16502530000", false, "bob", 14},
      engine::ConsentDecision{"+16502530000", engine::Consent::unsubscribed,
                              engine::ConsentSource::text, "cara", 15}};
  for (const auto& action : actions) {
    std::string error;
    const auto back = decode_entry(encode_entry(StaffEntry{"gw-a.x.7", action}), &error);
    ASSERT_TRUE(back) << error;
    const auto& got = std::get<StaffEntry>(*back);
    EXPECT_EQ(got.id, "gw-a.x.7");
    ASSERT_EQ(got.action.index(), action.index());
    EXPECT_EQ(engine::staff_number(got.action), "+16502530000");
  }
  std::string error;
  auto reply =
      std::get<StaffEntry>(*decode_entry(encode_entry(StaffEntry{"i", actions[0]}), &error));
  const auto& r = std::get<engine::ReplyRequest>(reply.action);
  EXPECT_EQ(r.text, "on our way");
  EXPECT_EQ(r.agent, "ann");
  EXPECT_TRUE(r.override_quiet_hours);
  EXPECT_TRUE(r.no_shorten);
  EXPECT_EQ(r.now, 10);
  auto send = std::get<StaffEntry>(*decode_entry(encode_entry(StaffEntry{"i", flow}), &error));
  const auto& f = std::get<engine::SendRequest>(send.action);
  EXPECT_EQ(f.kind, engine::MessageKind::flow);
  EXPECT_EQ(f.text, "step 2 ✓");
  EXPECT_EQ(f.source, "crm");
  auto consent =
      std::get<StaffEntry>(*decode_entry(encode_entry(StaffEntry{"i", actions[5]}), &error));
  const auto& c = std::get<engine::ConsentDecision>(consent.action);
  EXPECT_EQ(c.consent, engine::Consent::unsubscribed);
  EXPECT_EQ(c.source, engine::ConsentSource::text);
  EXPECT_EQ(c.actor, "cara");
  EXPECT_EQ(c.now, 15);
  auto name =
      std::get<StaffEntry>(*decode_entry(encode_entry(StaffEntry{"i", actions[3]}), &error));
  EXPECT_EQ(std::get<engine::NameChange>(name.action).name, "Zoë");
  auto flag =
      std::get<StaffEntry>(*decode_entry(encode_entry(StaffEntry{"i", actions[2]}), &error));
  EXPECT_EQ(std::get<engine::FlagChange>(flag.action).flag, engine::FlagChange::Flag::blocked);
  // What is not a staff action says why.
  EXPECT_FALSE(decode_entry(
      R"({"v":1,"kind":"staff","id":"i","number":"+1","now":1,"action":"fax"})", &error));
  EXPECT_NE(error.find("fax"), std::string::npos);
  EXPECT_FALSE(decode_entry(
      R"({"v":1,"kind":"staff","id":"i","number":"+1","now":1,"action":"flag","flag":9,"on":true})",
      &error));
  EXPECT_NE(error.find("flag"), std::string::npos);
}

TEST(LogEntry, BytesThatAreNoEntrySayWhy) {
  std::string error;
  EXPECT_FALSE(decode_entry("not json", &error));
  EXPECT_EQ(error, "not a JSON object");
  EXPECT_FALSE(decode_entry(R"({"v":1,"kind":"message"})", &error));
  EXPECT_NE(error.find("malformed entry"), std::string::npos);
  EXPECT_FALSE(decode_entry(R"({"v":1,"kind":"fax"})", &error));
  EXPECT_NE(error.find("fax"), std::string::npos);
  EXPECT_FALSE(decode_entry(R"({"v":9,"kind":"message"})", &error));
}

// ---- the inbound log against nats-server ----

class LogTest : public ::testing::Test {
 protected:
  NatsServers nats{1};
};

TEST_F(LogTest, EveryEntryIsAcknowledgedAndEachPartitionReadsBackItsOwnInOrder) {
  Connection conn(config_for(nats, "gw-a"));
  InboundLog log(conn, 256);
  std::mutex mu;
  std::map<std::uint32_t, std::vector<std::string>> sent;  // partition -> bodies in order
  std::atomic<int> acked{0}, failed{0};
  std::set<std::uint64_t> seqs;
  for (int i = 0; i < 2000; ++i) {
    const std::string number = "+1650253" + std::to_string(1000 + i % 50);
    const std::uint32_t p = partition_of(number, 8);
    const std::string body = "m" + std::to_string(i);
    sent[p].push_back(body);
    log.publish(p, encode_entry(text_from(number, body)), [&](bool ok, std::uint64_t seq) {
      std::lock_guard lock(mu);
      if (ok) {
        ++acked;
        seqs.insert(seq);
      } else {
        ++failed;
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return acked + failed == 2000; }));
  EXPECT_EQ(failed, 0);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seqs.size(), 2000u);
  }
  EXPECT_EQ(conn.inbound_last_seq(), 2000u);
  EXPECT_EQ(log.pending(), 0u);

  for (const auto& [p, bodies] : sent) {
    std::vector<std::string> got;
    std::uint64_t last = 0;
    bool ordered = true;
    {
      PartitionReader reader(conn, p, 0,
                             [&](std::uint64_t seq, std::optional<LogEntry> e, const std::string&) {
                               std::lock_guard lock(mu);
                               if (seq <= last) ordered = false;
                               last = seq;
                               if (e) got.push_back(std::get<engine::InboundMessage>(*e).text);
                             });
      ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(mu);
        return got.size() >= bodies.size();
      }));
      std::this_thread::sleep_for(50ms);  // nothing beyond the partition's own
    }
    EXPECT_TRUE(ordered);
    EXPECT_EQ(got, bodies) << "partition " << p;
  }
}

TEST_F(LogTest, AReaderStartsAfterThePositionItIsGiven) {
  Connection conn(config_for(nats, "gw-a"));
  InboundLog log(conn);
  std::atomic<int> acked{0};
  std::vector<std::uint64_t> seqs(10);
  for (int i = 0; i < 10; ++i) {
    log.publish(3, encode_entry(text_from("+16502530000", std::to_string(i))),
                [&, i](bool ok, std::uint64_t seq) {
                  if (ok) seqs[static_cast<std::size_t>(i)] = seq;
                  ++acked;
                });
  }
  ASSERT_TRUE(eventually([&] { return acked == 10; }));
  std::mutex mu;
  std::vector<std::string> got;
  PartitionReader reader(conn, 3, seqs[6],
                         [&](std::uint64_t, std::optional<LogEntry> e, const std::string&) {
                           std::lock_guard lock(mu);
                           got.push_back(std::get<engine::InboundMessage>(*e).text);
                         });
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return got.size() >= 3;
  }));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(got, (std::vector<std::string>{"7", "8", "9"}));
}

TEST_F(LogTest, AStoreAppliesEachEntryOnceWhateverTheReaderReadsAgain) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "twoway-cluster-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  engine::EngineConfig ec;
  ec.path = tmpl + "/db";
  ec.map_size = std::size_t{64} << 20;
  ec.default_region = "US";
  ec.sending_numbers = {"12345"};
  {
    engine::Engine store(ec, engine::EngineMode::synchronous);
    Connection conn(config_for(nats, "gw-a"));
    InboundLog log(conn);
    std::atomic<int> acked{0};
    for (int i = 0; i < 40; ++i) {
      log.publish(5, encode_entry(text_from("+16502530000", "text " + std::to_string(i))),
                  [&](bool, std::uint64_t) { ++acked; });
    }
    ASSERT_TRUE(eventually([&] { return acked == 40; }));
    auto apply = [&](std::uint64_t seq, std::optional<LogEntry> e, const std::string&) {
      ASSERT_TRUE(e.has_value());
      auto* m = std::get_if<engine::InboundMessage>(&*e);
      ASSERT_NE(m, nullptr);
      m->log = {5, seq};
      (void)store.apply_inbound(std::move(*m));
    };
    {
      // A first owner reads part of the partition, then stops (its lease moved on).
      std::atomic<int> seen{0};
      PartitionReader first(conn, 5, store.applied_log_seq(5),
                            [&](std::uint64_t s, std::optional<LogEntry> e, const std::string& x) {
                              if (seen >= 15) return;
                              apply(s, std::move(e), x);
                              ++seen;
                            });
      ASSERT_TRUE(eventually([&] { return seen == 15; }));
    }
    EXPECT_GT(store.applied_log_seq(5), 0u);
    // A reader that starts over from the beginning: what was applied is not applied again.
    PartitionReader again(conn, 5, 0, apply);
    ASSERT_TRUE(eventually([&] { return again.delivered() == conn.inbound_last_seq(); }));
    const auto page = store.thread("+16502530000", 0, 1000, 1781542800);
    EXPECT_EQ(page.messages.size(), 40u);
  }
  fs::remove_all(tmpl);
}

TEST_F(LogTest, ALogThatNeverPublishedClosesCleanly) {
  // A node stopped before its first MO (libnats has no pending list yet).
  Connection conn(config_for(nats, "gw-a"));
  { InboundLog log(conn); }
  InboundLog log(conn);
  std::promise<bool> stored;
  log.publish(0, encode_entry(text_from("+16502530000", "hello")),
              [&](bool ok, std::uint64_t) { stored.set_value(ok); });
  EXPECT_TRUE(stored.get_future().get());
}

TEST(ThreeServers, ANodeStartedWithAFreshClusterWaitsForJetStreamAndKeepsThreeReplicas) {
  // Started together, the servers first elect a leader; the node waits for it, then creates
  // the log and the buckets with 3 replicas and publishes.
  NatsServers nats(3);
  Connection conn(config_for(nats, "gw-a"));
  InboundLog log(conn);
  std::promise<bool> stored;
  log.publish(3, encode_entry(text_from("+16502530000", "hello")),
              [&](bool ok, std::uint64_t) { stored.set_value(ok); });
  EXPECT_TRUE(stored.get_future().get());
  EXPECT_EQ(conn.inbound_last_seq(), 1u);
}

TEST_F(LogTest, ANodeWithAnotherPartitionCountIsRefused) {
  Connection first(config_for(nats, "gw-a", 8));
  try {
    Connection second(config_for(nats, "gw-b", 16));
    FAIL() << "a second partition count was accepted";
  } catch (const NatsError& e) {
    EXPECT_NE(std::string(e.what()).find("cluster.partitions is 16 but the cluster was created "
                                         "with 8"),
              std::string::npos)
        << e.what();
  }
}

// ---- leases ----

class Holder {
 public:
  Holder(const NatsServers& nats, const std::string& node)
      : conn_(config_for(nats, node)),
        leases_(conn_, {[this](std::uint32_t p) { note(p, true); },
                        [this](std::uint32_t p) { note(p, false); }}) {}
  Leases& leases() { return leases_; }
  std::set<std::uint32_t> applying() const {
    std::lock_guard lock(mu_);
    return applying_;
  }

 private:
  void note(std::uint32_t p, bool on) {
    std::lock_guard lock(mu_);
    if (on) {
      applying_.insert(p);
    } else {
      applying_.erase(p);
    }
  }
  Connection conn_;
  mutable std::mutex mu_;
  std::set<std::uint32_t> applying_;
  Leases leases_;
};

// Every partition applied by exactly one of `holders`.
bool one_owner_each(const std::vector<Holder*>& holders, std::uint32_t partitions = 8) {
  std::map<std::uint32_t, int> owners;
  for (auto* h : holders)
    for (auto p : h->applying()) ++owners[p];
  if (owners.size() != partitions) return false;
  for (const auto& [p, n] : owners)
    if (n != 1) return false;
  return true;
}

TEST_F(LogTest, NodesSplitThePartitionsAndTakeOverThoseOfANodeThatDied) {
  auto a = std::make_unique<Holder>(nats, "gw-a");
  auto b = std::make_unique<Holder>(nats, "gw-b");
  a->leases().start();
  b->leases().start();
  ASSERT_TRUE(eventually([&] {
    return one_owner_each({a.get(), b.get()}) && !a->applying().empty() && !b->applying().empty();
  })) << "a "
      << a->applying().size() << " b " << b->applying().size();

  // gw-a dies: its leases lapse and gw-b takes every partition.
  const auto t0 = std::chrono::steady_clock::now();
  a->leases().stop(false);
  a.reset();
  ASSERT_TRUE(eventually([&] { return b->applying().size() == 8; }));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 5s);  // a lease lapses after its TTL (1 s here), then the next round
  EXPECT_GE(b->leases().stats().acquired, 8u);

  // A new node joins: the partitions it prefers are handed over to it.
  Holder c(nats, "gw-c");
  c.leases().start();
  ASSERT_TRUE(eventually([&] {
    return one_owner_each({b.get(), &c}) && !c.applying().empty() && !b->applying().empty();
  }));
  EXPECT_GT(b->leases().stats().released, 0u);
  c.leases().stop(true);
  b->leases().stop(true);
}

TEST_F(LogTest, AGracefulStopHandsThePartitionsOverAtOnce) {
  Holder a(nats, "gw-a");
  Holder b(nats, "gw-b");
  a.leases().start();
  b.leases().start();
  ASSERT_TRUE(eventually([&] { return one_owner_each({&a, &b}) && !a.applying().empty(); }));
  a.leases().stop(true);
  EXPECT_TRUE(a.applying().empty());
  // Taken without waiting for a TTL: the next round (a third of it) of gw-b.
  ASSERT_TRUE(eventually([&] { return b.applying().size() == 8; }, 2s));
  b.leases().stop(true);
}

}  // namespace
}  // namespace twoway::cluster
