// A cluster of twowayd nodes on loopback: nats-server with JetStream (Debian's package; one
// server, or a cluster of three), the SMSC simulator spreading MO over the nodes' binds, and the
// real twowayd two or three times. Checked through each node's admin socket and the
// simulator's records.
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "cluster/nats_server.hpp"
#include "cluster/partition.hpp"
#include "harness.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";

struct Node {
  std::string name;
  std::string dir;
  std::string socket;
  std::unique_ptr<Daemon> daemon;
};

// The shape of one test's cluster.
struct Shape {
  int servers = 1;  // nats-server processes (3: a JetStream cluster)
  int nodes = 2;    // twowayd processes
  int replicas = 1;
  std::uint32_t partitions = 8;
};

std::string customer(int i) {
  return "1650253" + std::to_string(1000 + i);
}

class ClusterEndToEnd : public ::testing::Test {
 protected:
  explicit ClusterEndToEnd(Shape shape = {}) : shape_(shape), nats_(shape.servers) {}

  void SetUp() override {
    sim::SimConfig sc;
    sc.system_id = "twoway";
    sc.password = "secret";
    sc.mo_destination = kOurNumber;
    sc.keep_mt_records = true;
    sc.records_file = dir_.path() + "/sim-records.jsonl";
    sim_ = std::make_unique<SimRunner>(sc);
    ASSERT_NE(sim_->port(), 0);
    for (int i = 0; i < shape_.nodes; ++i) {
      Node n;
      n.name = std::string("gw-") + static_cast<char>('a' + i);
      n.dir = dir_.path() + "/" + n.name;
      ASSERT_EQ(::mkdir(n.dir.c_str(), 0755), 0);
      n.socket = n.dir + "/admin.sock";
      write_file(n.dir + "/twoway.yaml", yaml(n, i));
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

  // Node `i` lists the servers starting from its own, so the nodes spread over them.
  std::string yaml(const Node& n, int i) const {
    const auto urls = nats_.urls();
    std::string list;
    for (std::size_t k = 0; k < urls.size(); ++k) {
      if (!list.empty()) list += ", ";
      list += "\"" + urls[(k + static_cast<std::size_t>(i)) % urls.size()] + "\"";
    }
    TestConfig c;
    c.number = kOurNumber;
    c.smsc_lines =
        "    window: 10\n"
        "    reconnect_min: 100ms\n"
        "    reconnect_max: 1s\n";
    c.after_numbers = "default_region: US\n";
    c.rest =
        "cluster:\n"
        "  nats: [" +
        list +
        "]\n"
        "  node: " +
        n.name +
        "\n"
        "  partitions: " +
        std::to_string(shape_.partitions) +
        "\n"
        "  replicas: " +
        std::to_string(shape_.replicas) +
        "\n"
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
    ASSERT_TRUE(wait_for(
        [&] {
          auto s = admin_call(n.socket, "status", std::chrono::seconds(1));
          return s && (*s)["ok"] == true && (*s)["binds_up"] == 1;
        },
        std::chrono::seconds(40)))
        << n.daemon->log();
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

  // True once the partitions are settled over `nodes` running nodes: each held by the node
  // that prefers it among them, where rebalancing ends (not a moment in the middle of a
  // hand-over, when a partition is briefly held by nobody).
  bool split_over(std::size_t nodes) {
    std::vector<std::string> live;
    for (auto& n : nodes_) {
      if (n.daemon && n.daemon->running()) live.push_back(n.name);
    }
    if (live.size() != nodes) return false;
    const auto h = holders();
    if (h.size() != shape_.partitions) return false;
    return std::all_of(h.begin(), h.end(), [&](const auto& held) {
      return held.second == cluster::preferred_node(held.first, live);
    });
  }

  Node& node(const std::string& name) {
    return *std::find_if(nodes_.begin(), nodes_.end(),
                         [&](const Node& n) { return n.name == name; });
  }

  std::uint32_t partition(const std::string& number) const {
    return cluster::partition_of("+" + number, shape_.partitions);
  }

  // The first `count` customers, from customer(first) on, whose partitions `node` holds in
  // `owners` (fewer when the next 200 hold no more).
  std::vector<std::string> customers_of(const std::map<std::uint32_t, std::string>& owners,
                                        const std::string& node, int first,
                                        std::size_t count) const {
    std::vector<std::string> out;
    for (int i = first; i < first + 200 && out.size() < count; ++i) {
      if (owners.at(partition(customer(i))) == node) out.push_back(customer(i));
    }
    return out;
  }

  void text(const std::string& from, const std::string& body) {
    sim_->sim().inject_mo("twoway", sim::text_template(body, "text", false), from);
  }

  // The node that answered `thread` for `number` on `asked` ("" when none did).
  std::string answered_by(const Node& asked, const std::string& number) {
    const json t = call(asked, "thread +" + number);
    return t["ok"] == true ? t.value("node", "") : "";
  }

  // Every conversation `inbox` lists on `asked`, following next_cursor page by page.
  std::vector<std::string> inbox_numbers(const Node& asked, int page_size) {
    std::vector<std::string> out;
    std::string cursor;
    for (int pages = 0; pages < 100; ++pages) {
      const json page = call(asked, "inbox --limit " + std::to_string(page_size) +
                                        (cursor.empty() ? "" : " --before " + cursor));
      if (page["ok"] != true) {
        ADD_FAILURE() << "inbox on " << asked.name << ": " << page.dump();
        return {};
      }
      for (const auto& row : page["conversations"]) out.push_back(row["number"]);
      if (page["next_cursor"].is_null()) break;
      cursor = page["next_cursor"].get<std::string>();
    }
    return out;
  }

  Shape shape_;
  cluster::testing::NatsServers nats_;
  TempDir dir_;
  std::unique_ptr<SimRunner> sim_;
  std::vector<Node> nodes_;
};

TEST_F(ClusterEndToEnd, EachCustomerIsAnsweredOnceAndKeptByThePartitionsOwner) {
  ASSERT_TRUE(wait_for([&] { return split_over(2); })) << "the nodes did not split the partitions";
  const auto owners = holders();

  constexpr int kCustomers = 24;
  for (int i = 0; i < kCustomers; ++i) text(customer(i), "Is the shop open on Sunday?");
  for (int i = 0; i < kCustomers; ++i) {
    ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), customer(i)).size() >= 1; }))
        << customer(i) << " got no answer";
  }
  // Every customer's conversation is answered for by its partition's owner, whichever node is
  // asked, and the inbox of either node lists every customer once, page after page.
  for (int i = 0; i < kCustomers; ++i) {
    const auto p = partition(customer(i));
    for (const auto& asked : nodes_) {
      ASSERT_TRUE(wait_for([&] { return answered_by(asked, customer(i)) == owners.at(p); }))
          << customer(i) << " asked on " << asked.name << ": answered by '"
          << answered_by(asked, customer(i)) << "', partition " << p << " owned by "
          << owners.at(p);
    }
  }
  for (const auto& asked : nodes_) {
    auto listed = inbox_numbers(asked, 5);
    std::sort(listed.begin(), listed.end());
    std::vector<std::string> expected;
    for (int i = 0; i < kCustomers; ++i) expected.push_back("+" + customer(i));
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listed, expected) << "inbox on " << asked.name;
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
  const Node& owner = node(owners.at(partition(who)));
  const Node& other = node(owner.name == "gw-a" ? "gw-b" : "gw-a");
  text(who, "START");
  ASSERT_TRUE(wait_for([&] { return call(owner, "profile +" + who)["consent"] == "subscribed"; }));
  // A campaign message sent on the node that does not hold the customer is checked and sent by
  // the one that does.
  const json sent = call(other, "send --kind campaign +" + who + " Sale today");
  EXPECT_EQ(sent["ok"], true) << sent.dump();
  EXPECT_EQ(sent["node"], owner.name) << sent.dump();
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), who).size() == 3; }));
  text(who, "STOP");
  ASSERT_TRUE(
      wait_for([&] { return call(owner, "profile +" + who)["consent"] == "unsubscribed"; }));
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), who).size() == 4; }));
  // Any other action on that node is done by the owner too.
  const json named = call(other, "profile +" + who + " --name Dana");
  EXPECT_EQ(named["ok"], true) << named.dump();
  EXPECT_EQ(named["node"], owner.name) << named.dump();
  EXPECT_EQ(call(owner, "profile +" + who)["name"], "Dana");
  const json refused = call(other, "send --kind campaign +" + who + " Another sale");
  EXPECT_EQ(refused["ok"], false) << refused.dump();  // opted out, decided by the owner
  text(who, "are you there?");
  ASSERT_TRUE(wait_for([&] {
    const json t = call(owner, "thread +" + who);
    return t["ok"] == true && t["messages"].size() >= 8;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The auto-answer, START's answer, the campaign message and STOP's confirmation only.
  EXPECT_EQ(mt_texts(sim_->sim(), who).size(), 4u);

  // An upload over many numbers is refused, not applied to one node's store.
  const json upload = call(other, "consent-import --source web");
  EXPECT_EQ(upload["ok"], false);
  EXPECT_EQ(upload["error"]["code"], "not_in_cluster") << upload.dump();
}

TEST_F(ClusterEndToEnd, AKilledNodesPartitionsAreServedAgainWithinTenSeconds) {
  ASSERT_TRUE(wait_for([&] { return split_over(2); }));
  Node& dead = nodes_[0];
  Node& alive = nodes_[1];
  const auto owners = holders();
  // A customer of the node about to die.
  const auto victims = customers_of(owners, dead.name, 0, 1);
  ASSERT_EQ(victims.size(), 1u);
  const std::string& victim = victims[0];
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
        return c["ok"] == true && c["held"].size() == shape_.partitions;
      },
      std::chrono::seconds(10)))
      << "the partitions were not taken over";
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(10));
  // The simulator resends what the dead bind left unanswered; the customer is answered by the
  // node that took the partition over.
  text(victim, "HELP");
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), victim).size() == 1; }))
      << alive.daemon->log();
  EXPECT_TRUE(call(alive, "thread +" + victim)["ok"] == true);
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
  // The metrics show the takeover and, once sampled, that the survivor has read everything.
  std::string metrics;
  EXPECT_TRUE(wait_for(
      [&] {
        metrics = call(alive, "metrics")["metrics"].get<std::string>();
        return metrics.find("twoway_cluster_unread_entries 0\n") != std::string::npos &&
               metrics.find("twoway_cluster_unread_entries_max 0\n") != std::string::npos;
      },
      std::chrono::seconds(15)))
      << metrics;
  EXPECT_NE(metrics.find("twoway_cluster_partitions_held " + std::to_string(shape_.partitions)),
            std::string::npos)
      << metrics;
}

TEST_F(ClusterEndToEnd, WhatStaffChangedByHandSurvivesTheDeathOfTheNodeThatMadeIt) {
  // Staff change four customers of one node through the other node's socket (forwarded to the
  // owner, which puts each change in the partition's log before applying it); then the owner
  // dies, and the node that takes its partitions over rebuilds them from the log.
  ASSERT_TRUE(wait_for([&] { return split_over(2); }));
  Node& dead = nodes_[0];
  Node& alive = nodes_[1];
  const auto owners = holders();
  const auto theirs = customers_of(owners, dead.name, 200, 4);
  ASSERT_EQ(theirs.size(), 4u);
  const std::string& opted_out = theirs[0];
  const std::string& blocked = theirs[1];
  const std::string& named = theirs[2];
  const std::string& replied = theirs[3];
  // One customer subscribes by text: the log alone would keep them subscribed.
  text(opted_out, "START");
  for (std::size_t i = 1; i < theirs.size(); ++i) text(theirs[i], "hello, is anyone there?");
  for (const auto& c : theirs) {
    ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), c).size() == 1; }))
        << c << " got no answer";
  }
  const json sub = call(alive, "consent +" + replied + " subscribed --source admin");
  ASSERT_EQ(sub["ok"], true) << sub.dump();
  EXPECT_EQ(sub["node"], dead.name) << sub.dump();
  const json out = call(alive, "consent +" + opted_out + " unsubscribed --source admin");
  EXPECT_EQ(out["node"], dead.name) << out.dump();
  ASSERT_EQ(out["consent"], "unsubscribed") << out.dump();
  ASSERT_EQ(call(alive, "block +" + blocked)["ok"], true);
  ASSERT_EQ(call(alive, "profile +" + named + " --name Noor")["name"], "Noor");
  const json reply = call(alive, "reply +" + replied + " Yes, we open at nine.");
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), replied).size() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the marks are written

  ASSERT_EQ(::kill(dead.daemon->pid(), SIGKILL), 0);
  (void)dead.daemon->stop(SIGKILL);
  ASSERT_TRUE(wait_for(
      [&] {
        const json c = call(alive, "cluster");
        return c["ok"] == true && c["held"].size() == shape_.partitions;
      },
      std::chrono::seconds(10)))
      << "the partitions were not taken over";

  // A campaign sent at once is decided in the log's order, after the opt-out made by hand:
  // refused, even while the new owner is still rebuilding the partition.
  const json refused = call(alive, "send --kind campaign +" + opted_out + " Sale today");
  EXPECT_EQ(refused["ok"], false) << refused.dump();
  EXPECT_EQ(refused.value("error", json::object()).value("code", ""), "not_subscribed")
      << refused.dump();
  // Once rebuilt, the new owner shows the opt-out (with its source and in the consent log),
  // the block, the name and the reply, which is not sent a second time.
  ASSERT_TRUE(wait_for([&] {
    const json c = call(alive, "consent +" + opted_out);
    return c["ok"] == true && c["consent"] == "unsubscribed";
  })) << call(alive, "consent +" + opted_out).dump();
  EXPECT_EQ(call(alive, "consent +" + opted_out)["consent_source"], "admin");
  const json log = call(alive, "consent-log +" + opted_out);
  ASSERT_EQ(log["ok"], true) << log.dump();
  EXPECT_GE(log["entries"].size(), 2u) << log.dump();
  EXPECT_TRUE(wait_for([&] { return call(alive, "profile +" + blocked)["blocked"] == true; }));
  EXPECT_TRUE(wait_for([&] { return call(alive, "profile +" + named)["name"] == "Noor"; }));
  json status;
  EXPECT_TRUE(wait_for([&] {
    const json t = call(alive, "thread +" + replied);
    for (const auto& m : t.value("messages", json::array())) {
      if (m["text"] == "Yes, we open at nine.") status = m["status"];
    }
    return !status.is_null();
  })) << call(alive, "thread +" + replied).dump();
  EXPECT_EQ(status, "sent");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(mt_texts(sim_->sim(), replied).size(), 2u) << "the reply went out twice";
  EXPECT_EQ(mt_texts(sim_->sim(), opted_out).size(), 1u);
}

TEST_F(ClusterEndToEnd, ASettingChangedOnOneNodeIsTakenByEveryNode) {
  ASSERT_TRUE(wait_for([&] { return split_over(2); }));
  Node& changed = nodes_[0];
  Node& other = nodes_[1];
  const auto owners = holders();
  const auto found = customers_of(owners, other.name, 400, 1);
  ASSERT_EQ(found.size(), 1u);
  const std::string& theirs = found[0];
  // An opt-out word added on one node opts out a customer kept by the other.
  const json set = call(changed, "settings keywords.opt_out STOP, BASTA");
  ASSERT_EQ(set["ok"], true) << set.dump();
  ASSERT_TRUE(wait_for([&] {
    return call(other, "settings keywords.opt_out")["value"].dump().find("BASTA") !=
           std::string::npos;
  })) << call(other, "settings keywords.opt_out").dump();
  text(theirs, "START");
  ASSERT_TRUE(
      wait_for([&] { return call(other, "profile +" + theirs)["consent"] == "subscribed"; }));
  text(theirs, "basta");
  EXPECT_TRUE(wait_for([&] {
    return call(other, "profile +" + theirs)["consent"] == "unsubscribed";
  })) << call(other, "thread +" + theirs).dump();
  // A node that starts again takes the cluster's settings over its configuration's, including
  // a change made while it was away.
  ASSERT_EQ(other.daemon->stop(SIGTERM), 0) << other.daemon->log();
  const json help = call(changed,
                         "settings answers.help 'Shop: help at 555-0100. Msg & data "
                         "rates may apply. Reply STOP to cancel.'");
  ASSERT_EQ(help["ok"], true) << help.dump();
  start(other);
  EXPECT_NE(call(other, "settings answers.help")["value"].dump().find("555-0100"),
            std::string::npos)
      << call(other, "settings answers.help").dump();
  EXPECT_NE(call(other, "settings keywords.opt_out")["value"].dump().find("BASTA"),
            std::string::npos);
  EXPECT_GE(call(other, "cluster")["settings_taken"].get<int>(), 1);
}

TEST_F(ClusterEndToEnd, ACommandAskedWhileItsConversationMovesIsAnsweredByTheNewOwner) {
  // Staff keep asking one node about customers of the other while that other node stops and
  // hands its partitions over: every answer comes, from whichever node holds them by then.
  ASSERT_TRUE(wait_for([&] { return split_over(2); }));
  Node& staying = nodes_[0];
  Node& leaving = nodes_[1];
  const auto owners = holders();
  const auto theirs = customers_of(owners, leaving.name, 600, 4);
  ASSERT_EQ(theirs.size(), 4u);
  for (const auto& c : theirs) text(c, "hello");
  for (const auto& c : theirs) {
    ASSERT_TRUE(wait_for([&] { return answered_by(staying, c) == leaving.name; })) << c;
  }
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(leaving.daemon->stop(SIGTERM), 0);
  });
  std::set<std::string> answered_by_nodes;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int asked = 0;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& c : theirs) {
      const json p = call(staying, "profile +" + c);
      ++asked;
      EXPECT_EQ(p["ok"], true) << "asked " << asked << ": " << p.dump();
      if (p["ok"] == true) answered_by_nodes.insert(p["node"].get<std::string>());
    }
  }
  stopper.join();
  EXPECT_EQ(answered_by_nodes, (std::set<std::string>{staying.name, leaving.name}));
  for (const auto& c : theirs) EXPECT_EQ(answered_by(staying, c), staying.name);
}

// The deployment the cluster is for: three nats-servers clustered (JetStream keeps 3 replicas of
// the log and the buckets) and three twowayd, each with its own bind to the SMSC.
class ThreeNodeCluster : public ClusterEndToEnd {
 protected:
  ThreeNodeCluster() : ClusterEndToEnd(Shape{3, 3, 3, 12}) {}

  struct Settled {
    std::string from;
    bool ok = false;
    int sent = 0;  // deliver_sm that carried it
  };
  // The simulator's record of every MO settled, by text.
  std::map<std::string, Settled> settled() {
    std::map<std::string, Settled> out;
    std::ifstream in(dir_.path() + "/sim-records.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      const json r = json::parse(line, nullptr, false);
      if (r.is_discarded() || r["type"] != "mo") continue;  // a line being written
      out[r["text"].get<std::string>()] =
          Settled{r["from"].get<std::string>(), r["ok"].get<bool>(), r["sent"].get<int>()};
    }
    return out;
  }

  // How often each of `number`'s texts is in its thread on `keeper`.
  std::map<std::string, int> inbound_texts(const Node& keeper, const std::string& number) {
    std::map<std::string, int> out;
    const json t = call(keeper, "thread +" + number + " --limit 1000");
    if (t["ok"] != true) return out;
    for (const auto& m : t["messages"]) {
      if (m["direction"] == "in") ++out[m["text"].get<std::string>()];
    }
    return out;
  }

  bool all_settled() {
    const auto c = sim_->sim().counters();
    return c.mo_messages_acked + c.mo_messages_failed == c.mo_messages;
  }
};

TEST_F(ThreeNodeCluster, ConsentIsDecidedOnceAndAKillUnderLoadLosesNoAckedMoAndAppliesNoneTwice) {
  ASSERT_TRUE(wait_for([&] { return split_over(3); }, std::chrono::seconds(20)))
      << "three nodes did not split the partitions";
  const auto owners = holders();
  // `status` on any node shows every node, its bind and the partitions it holds.
  {
    const json status = call(nodes_[2], "status");
    ASSERT_EQ(status["cluster"]["members"].size(), 3u) << status.dump();
    std::set<std::uint32_t> held;
    std::set<std::string> names;
    for (const auto& m : status["cluster"]["members"]) {
      names.insert(m["node"].get<std::string>());
      EXPECT_EQ(m["binds_up"], 1) << m.dump();
      for (const auto& p : m["held"]) held.insert(p.get<std::uint32_t>());
    }
    EXPECT_EQ(names, (std::set<std::string>{"gw-a", "gw-b", "gw-c"}));
    EXPECT_EQ(held.size(), shape_.partitions);
  }

  // Consent: START, then STOP, each on whichever bind the simulator picks. The owner decides,
  // each customer gets the two answers and nothing after.
  std::vector<std::string> deciders;
  for (int i = 200; i < 206; ++i) deciders.push_back(customer(i));
  for (const auto& c : deciders) text(c, "START");
  for (const auto& c : deciders) {
    ASSERT_TRUE(wait_for([&] {
      return call(node(owners.at(partition(c))), "profile +" + c)["consent"] == "subscribed";
    })) << c;
  }
  for (const auto& c : deciders) text(c, "STOP");
  for (const auto& c : deciders) {
    ASSERT_TRUE(wait_for([&] {
      return call(node(owners.at(partition(c))), "profile +" + c)["consent"] == "unsubscribed";
    })) << c;
    ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), c).size() == 2; })) << c;
  }
  for (const auto& c : deciders) text(c, "one more question");

  // Load: 3,000 MO from 150 customers, each text unique, spread over the three binds.
  constexpr int kMessages = 3000;
  constexpr int kSenders = 150;
  const std::uint64_t before = sim_->sim().counters().mo_messages_acked;
  for (int i = 0; i < kMessages; ++i)
    text(customer(300 + i % kSenders), "note " + std::to_string(i));
  ASSERT_TRUE(
      wait_for([&] { return sim_->sim().counters().mo_messages_acked >= before + kMessages / 3; },
               std::chrono::seconds(60)));

  // A node dies under load.
  Node& dead = nodes_[1];
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(dead.daemon->pid(), SIGKILL), 0);
  (void)dead.daemon->stop(SIGKILL);
  EXPECT_LT(sim_->sim().counters().mo_messages_acked, before + kMessages)
      << "the load was over before the kill";
  ASSERT_TRUE(wait_for([&] { return split_over(2); }, std::chrono::seconds(10)))
      << "the dead node's partitions were not taken over";
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(10));
  ASSERT_TRUE(wait_for([&] { return all_settled(); }, std::chrono::seconds(90)))
      << "the simulator still has MO unanswered";

  // Every acknowledged MO is in its owner's thread, and none more often than the SMSC
  // delivered it.
  const auto now_owners = holders();
  const auto records = settled();
  std::map<std::string, std::vector<std::string>> by_sender;
  int notes = 0, resent = 0;
  for (const auto& [t, r] : records) {
    if (t.rfind("note ", 0) != 0) continue;
    ++notes;
    EXPECT_TRUE(r.ok) << t << " was refused for good";
    if (r.sent > 1) ++resent;
    by_sender[r.from].push_back(t);
  }
  EXPECT_EQ(notes, kMessages);
  for (const auto& [from, texts] : by_sender) {
    const Node& keeper = node(now_owners.at(partition(from)));
    std::map<std::string, int> kept;
    ASSERT_TRUE(wait_for([&] {
      kept = inbound_texts(keeper, from);
      return std::all_of(texts.begin(), texts.end(),
                         [&](const std::string& t) { return kept.count(t) != 0; });
    })) << from
        << " on " << keeper.name << ": " << kept.size() << " of " << texts.size();
    for (const auto& t : texts) {
      EXPECT_LE(kept[t], records.at(t).sent) << from << " '" << t << "' applied " << kept[t]
                                             << " times, delivered " << records.at(t).sent;
    }
  }
  std::cout << "[ figures  ] " << notes << " MO, " << resent
            << " delivered more than once, partitions served again after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";

  // The inbox of a survivor lists every customer once, from both survivors' stores, page by
  // page.
  {
    auto listed = inbox_numbers(nodes_[0], 40);
    std::sort(listed.begin(), listed.end());
    std::vector<std::string> expected;
    for (const auto& c : deciders) expected.push_back("+" + c);
    for (const auto& [from, _] : by_sender) expected.push_back("+" + from);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listed, expected);
  }

  // The opted-out customers got no answer to their later texts, wherever those came in.
  for (const auto& c : deciders) {
    const Node& keeper = node(now_owners.at(partition(c)));
    ASSERT_TRUE(wait_for([&] { return inbound_texts(keeper, c).count("one more question"); })) << c;
    EXPECT_EQ(mt_texts(sim_->sim(), c).size(), 2u) << c;
    EXPECT_EQ(call(keeper, "profile +" + c)["consent"], "unsubscribed") << c;
  }
}

}  // namespace
}  // namespace twoway::e2e
