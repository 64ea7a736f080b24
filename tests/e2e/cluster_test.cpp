// A cluster of twowayd nodes on loopback: one nats-server with JetStream (Debian's package),
// the SMSC simulator spreading MO over the nodes' binds, and the real twowayd twice. Checked
// through each node's admin socket and the simulator's records.
#include <signal.h>
#include <sys/stat.h>

#include <map>
#include <set>

#include "cluster/nats_server.hpp"
#include "cluster/partition.hpp"
#include "harness.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";
constexpr std::uint32_t kPartitions = 8;

struct Node {
  std::string name;
  std::string dir;
  std::string socket;
  std::unique_ptr<Daemon> daemon;
};

class ClusterEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimConfig sc;
    sc.system_id = "twoway";
    sc.password = "secret";
    sc.mo_destination = kOurNumber;
    sc.keep_mt_records = true;
    sim_ = std::make_unique<SimRunner>(sc);
    ASSERT_NE(sim_->port(), 0);
    for (const char* name : {"gw-a", "gw-b"}) {
      Node n;
      n.name = name;
      n.dir = dir_.path() + "/" + name;
      ASSERT_EQ(::mkdir(n.dir.c_str(), 0755), 0);
      n.socket = n.dir + "/admin.sock";
      write_file(n.dir + "/twoway.yaml", yaml(n));
      nodes_.push_back(std::move(n));
    }
    for (auto& n : nodes_) start(n);
  }

  void TearDown() override {
    for (auto& n : nodes_) {
      if (n.daemon && n.daemon->running()) {
        EXPECT_EQ(n.daemon->stop(SIGTERM), 0) << n.daemon->log();
      }
    }
  }

  std::string yaml(const Node& n) const {
    TestConfig c;
    c.number = kOurNumber;
    c.smsc_lines =
        "    window: 10\n"
        "    reconnect_min: 100ms\n"
        "    reconnect_max: 1s\n";
    c.after_numbers = "default_region: US\n";
    c.rest =
        "cluster:\n"
        "  nats: [\"" +
        nats_.urls()[0] +
        "\"]\n"
        "  node: " +
        n.name +
        "\n"
        "  partitions: " +
        std::to_string(kPartitions) +
        "\n"
        "  replicas: 1\n"
        "  lease_seconds: 1s\n"
        "conversations:\n"
        "  quiet_hours:\n"
        "    enabled: false\n"
        "  auto_responder:\n"
        "    mode: non_consented\n"
        "    message: \"{{organization.prefix}}: thanks, we will answer soon.\"\n";
    return c.yaml(n.dir, sim_->port());
  }

  void start(Node& n) {
    n.daemon =
        std::make_unique<Daemon>(daemon_binary(), n.dir + "/twoway.yaml", n.dir + "/twowayd.log");
    ASSERT_TRUE(wait_for([&] {
      auto s = admin_call(n.socket, "status", std::chrono::seconds(1));
      return s && (*s)["ok"] == true && (*s)["binds_up"] == 1;
    })) << n.daemon->log();
  }

  json call(const Node& n, const std::string& line) {
    auto j = admin_call(n.socket, line);
    return j ? *j : json::object();
  }

  // Partition -> node, from each live node's `cluster`; empty when two nodes claim one.
  std::map<std::uint32_t, std::string> holders() {
    std::map<std::uint32_t, std::string> out;
    for (auto& n : nodes_) {
      if (!n.daemon || !n.daemon->running()) continue;
      const json c = call(n, "cluster");
      if (c["ok"] != true) return {};
      for (const auto& p : c["held"]) {
        if (!out.emplace(p.get<std::uint32_t>(), n.name).second) return {};
      }
    }
    return out;
  }

  void text(const std::string& from, const std::string& body) {
    sim_->sim().inject_mo("twoway", sim::text_template(body, "text", false), from);
  }

  // The node whose store holds `number`'s conversation ("" when none or several do).
  std::string keeper(const std::string& number) {
    std::string found;
    for (auto& n : nodes_) {
      if (!n.daemon || !n.daemon->running()) continue;
      if (call(n, "thread +" + number)["ok"] == true) {
        if (!found.empty()) return "";
        found = n.name;
      }
    }
    return found;
  }

  cluster::testing::NatsServers nats_{1};
  TempDir dir_;
  std::unique_ptr<SimRunner> sim_;
  std::vector<Node> nodes_;
};

std::string customer(int i) {
  return "1650253" + std::to_string(1000 + i);
}

TEST_F(ClusterEndToEnd, EachCustomerIsAnsweredOnceAndKeptByThePartitionsOwner) {
  ASSERT_TRUE(wait_for([&] {
    const auto h = holders();
    std::set<std::string> who;
    for (const auto& [p, n] : h) who.insert(n);
    return h.size() == kPartitions && who.size() == 2;
  })) << "the nodes did not split the partitions";
  const auto owners = holders();

  constexpr int kCustomers = 24;
  for (int i = 0; i < kCustomers; ++i) text(customer(i), "HELP");
  for (int i = 0; i < kCustomers; ++i) {
    ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), customer(i)).size() >= 1; }))
        << customer(i) << " got no answer";
  }
  // Both binds took MO, and every customer's conversation is on its partition's owner only.
  for (int i = 0; i < kCustomers; ++i) {
    const auto p = cluster::partition_of("+" + customer(i), kPartitions);
    ASSERT_TRUE(wait_for([&] { return keeper(customer(i)) == owners.at(p); }))
        << customer(i) << " kept by '" << keeper(customer(i)) << "', partition " << p
        << " owned by " << owners.at(p);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < kCustomers; ++i) EXPECT_EQ(mt_texts(sim_->sim(), customer(i)).size(), 1u);
  std::uint64_t published = 0;
  for (auto& n : nodes_) {
    const json c = call(n, "cluster");
    published += c["published"].get<std::uint64_t>();
    EXPECT_GT(c["published"].get<std::uint64_t>(), 0u) << n.name << " received no MO";
  }
  EXPECT_GE(published, static_cast<std::uint64_t>(kCustomers));  // and the receipts
  const std::string metrics = call(nodes_[0], "metrics")["metrics"].get<std::string>();
  EXPECT_NE(metrics.find("twoway_cluster_published_total "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("twoway_cluster_nodes 2\n"), std::string::npos) << metrics;

  // STOP on whichever bind: consent is decided by the owner, and nothing more goes out.
  const std::string who = customer(3);
  const auto& owner = *std::find_if(nodes_.begin(), nodes_.end(), [&](const Node& n) {
    return n.name == owners.at(cluster::partition_of("+" + who, kPartitions));
  });
  text(who, "START");
  ASSERT_TRUE(wait_for([&] { return call(owner, "profile +" + who)["consent"] == "subscribed"; }));
  text(who, "STOP");
  ASSERT_TRUE(
      wait_for([&] { return call(owner, "profile +" + who)["consent"] == "unsubscribed"; }));
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), who).size() == 3; }));
  text(who, "are you there?");
  ASSERT_TRUE(wait_for([&] {
    const json t = call(owner, "thread +" + who);
    return t["ok"] == true && t["messages"].size() >= 7;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(mt_texts(sim_->sim(), who).size(), 3u);  // HELP, START and STOP answers only
}

TEST_F(ClusterEndToEnd, AKilledNodesPartitionsAreServedAgainWithinTenSeconds) {
  ASSERT_TRUE(wait_for([&] { return holders().size() == kPartitions; }));
  Node& dead = nodes_[0];
  Node& alive = nodes_[1];
  const auto owners = holders();
  // A customer of the node about to die.
  int victim = -1;
  for (int i = 0; i < 64 && victim < 0; ++i) {
    if (owners.at(cluster::partition_of("+" + customer(i), kPartitions)) == dead.name) victim = i;
  }
  ASSERT_GE(victim, 0);
  // Customers answered before the kill: the node that takes their partitions over rebuilds
  // their conversations from the log without answering them a second time.
  constexpr int kEarlier = 12;
  for (int i = 100; i < 100 + kEarlier; ++i) text(customer(i), "HELP");
  for (int i = 100; i < 100 + kEarlier; ++i) {
    ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), customer(i)).size() == 1; }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the marks are written
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(dead.daemon->pid(), SIGKILL), 0);
  (void)dead.daemon->stop(SIGKILL);
  ASSERT_TRUE(wait_for(
      [&] {
        const json c = call(alive, "cluster");
        return c["ok"] == true && c["held"].size() == kPartitions;
      },
      std::chrono::seconds(10)))
      << "the partitions were not taken over";
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(10));
  // The simulator resends what the dead bind left unanswered; the customer is answered by the
  // node that took the partition over.
  text(customer(victim), "HELP");
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), customer(victim)).size() == 1; }))
      << alive.daemon->log();
  EXPECT_TRUE(call(alive, "thread +" + customer(victim))["ok"] == true);
  for (int i = 100; i < 100 + kEarlier; ++i) {
    ASSERT_TRUE(wait_for([&] {
      const json t = call(alive, "thread +" + customer(i));
      return t["ok"] == true && t["messages"].size() == 2;
    })) << customer(i)
        << " not rebuilt on " << alive.name;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 100; i < 100 + kEarlier; ++i)
    EXPECT_EQ(mt_texts(sim_->sim(), customer(i)).size(), 1u) << customer(i) << " answered twice";
}

}  // namespace
}  // namespace twoway::e2e
