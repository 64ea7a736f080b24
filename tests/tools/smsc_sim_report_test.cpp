// twoway-smsc-sim's measurements: the MO-ack and MO->reply latencies, the MT counts and rates
// in its JSON report, measured against an in-process ESME that acknowledges (and answers) MO.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tools/smsc_sim/ack_client.hpp"
#include "tools/smsc_sim/sim.hpp"

namespace twoway::sim {
namespace {

namespace asio = boost::asio;

/// The simulator and one acknowledging ESME, each on its own thread.
struct Bench {
  asio::io_context sim_io, client_io;
  Simulator sim;
  std::shared_ptr<AckClient> client;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::thread sim_thread, client_thread;

  explicit Bench(SimConfig cfg)
      : sim(sim_io, std::move(cfg)),
        client(std::make_shared<AckClient>(client_io, "bench", "pw")),
        guard(asio::make_work_guard(client_io)) {}

  void start() {
    ASSERT_FALSE(sim.listen());
    sim_thread = std::thread([this] { sim_io.run(); });
    client->start(sim.port());
    client_thread = std::thread([this] { client_io.run(); });
  }

  /// Waits (bounded) until every MO is answered, `mt` MT were received and the client read
  /// the simulator's answer to each of them (the simulator counts an MT before its resp is
  /// read on the other side).
  bool wait_done(std::uint64_t mt) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < limit) {
      if (sim.done() && sim.counters().mt_received >= mt && client->replies_acked() >= mt)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  ~Bench() {
    client->stop();
    guard.reset();
    sim.stop();
    if (client_thread.joinable()) client_thread.join();
    if (sim_thread.joinable()) sim_thread.join();
  }
};

SimConfig config(std::uint64_t mo, std::uint32_t senders) {
  SimConfig cfg;
  cfg.system_id = "bench";
  cfg.password = "pw";
  cfg.mo_per_bind = mo;
  cfg.from_count = senders;
  cfg.texts = {"Is the shop open on Sunday?"};
  cfg.dlr = false;
  cfg.window = 8;
  return cfg;
}

void expect_ordered(const nlohmann::json& lat) {
  EXPECT_LE(lat["p50"].get<double>(), lat["p90"].get<double>());
  EXPECT_LE(lat["p90"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["max"].get<double>());
  EXPECT_GT(lat["max"].get<double>(), 0.0);
}

TEST(SmscSimReport, EveryMoFromANewNumberIsTimedToItsAckAndToItsReply) {
  Bench b(config(60, 60));
  b.client->reply_to_mo("15550001111", false);
  b.start();
  ASSERT_TRUE(b.wait_done(60));
  const auto r = b.sim.report(false);
  EXPECT_EQ(r["mo"]["acked"], 60);
  EXPECT_EQ(r["mo_ack_latency_ms"]["count"], 60);
  expect_ordered(r["mo_ack_latency_ms"]);
  EXPECT_EQ(r["reply_latency_ms"]["count"], 60);
  expect_ordered(r["reply_latency_ms"]);
  EXPECT_EQ(r["mt"]["received"], 60);
  EXPECT_GT(r["mt"]["acked_per_s"].get<double>(), 0.0);
  EXPECT_LE(r["mt"]["first_s"].get<double>(), r["mt"]["last_s"].get<double>());
  EXPECT_LE(r["mo"]["first_sent_s"].get<double>(), r["mo"]["last_acked_s"].get<double>());
  EXPECT_GT(r["mo"]["messages_acked_per_s"].get<double>(), 0.0);
  EXPECT_EQ(r["status_counts"]["submit_sm_resp"]["ESME_ROK"], 60);
  EXPECT_EQ(b.client->replies_acked(), 60u);
}

TEST(SmscSimReport, ARepliedSenderWrittenWithAPlusStillMatchesItsMo) {
  Bench b(config(30, 10));
  b.client->reply_to_mo("15550001111", true);
  b.start();
  ASSERT_TRUE(b.wait_done(30));
  const auto r = b.sim.report(false);
  EXPECT_EQ(r["mt"]["received"], 30);
  EXPECT_EQ(r["reply_latency_ms"]["count"], 30);
}

TEST(SmscSimReport, WithoutRepliesOnlyTheAcksAreTimed) {
  Bench b(config(25, 5));
  b.start();
  ASSERT_TRUE(b.wait_done(0));
  const auto r = b.sim.report(false);
  EXPECT_EQ(r["mo"]["acked"], 25);
  EXPECT_EQ(r["mo_ack_latency_ms"]["count"], 25);
  EXPECT_EQ(r["reply_latency_ms"]["count"], 0);
  EXPECT_EQ(r["mt"]["received"], 0);
  EXPECT_EQ(r["mt"]["acked_per_s"], 0.0);
  EXPECT_TRUE(r["mt"]["first_s"].is_null());
}

TEST(SmscSimReport, EachRecordCountsTheDeliverSmThatCarriedItsMessage) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("twoway-sim-records-" + std::to_string(::getpid()) + ".jsonl");
  std::filesystem::remove(file);
  {
    SimConfig cfg = config(10, 10);
    cfg.records_file = file.string();
    cfg.redeliver_delay = std::chrono::milliseconds(10);
    Bench b(std::move(cfg));
    b.client->refuse_first(3);  // sent again after ESME_RX_T_APPN
    b.start();
    ASSERT_TRUE(b.wait_done(0));
  }  // the simulator stopped: every record is written
  std::ifstream in(file);
  std::string line;
  int records = 0, sent_twice = 0, sent = 0;
  while (std::getline(in, line)) {
    const auto r = nlohmann::json::parse(line);
    if (r["type"] != "mo") continue;
    ++records;
    EXPECT_EQ(r["ok"], true) << line;
    sent += r["sent"].get<int>();
    if (r["sent"] == 2) ++sent_twice;
  }
  std::filesystem::remove(file);
  EXPECT_EQ(records, 10);
  EXPECT_EQ(sent_twice, 3);
  EXPECT_EQ(sent, 13);
}

TEST(SmscSimReport, LatencySummaryGivesNearestRankPercentiles) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  const auto s = latency_summary(samples);
  EXPECT_EQ(s["count"], 100);
  EXPECT_EQ(s["p50"], 50.0);
  EXPECT_EQ(s["p90"], 90.0);
  EXPECT_EQ(s["p99"], 99.0);
  EXPECT_EQ(s["max"], 100.0);
  const auto one = latency_summary({7.5});
  EXPECT_EQ(one["p50"], 7.5);
  EXPECT_EQ(one["p99"], 7.5);
  const auto none = latency_summary({});
  EXPECT_EQ(none["count"], 0);
  EXPECT_EQ(none["max"], 0.0);
}

}  // namespace
}  // namespace twoway::sim
