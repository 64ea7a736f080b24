// One ESME session bound to the SMSC simulator on loopback: submit_sm/s (with submit_sm_resp)
// and deliver_sm/s (with deliver_sm_resp) at window 10 and 100.
// Run: build/release/bench/bench_smpp_session --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <thread>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"
#include "tools/smsc_sim/sim.hpp"

namespace {

using namespace twoway;
using namespace std::chrono_literals;

class IoThread {
 public:
  IoThread() : guard_(boost::asio::make_work_guard(io_)), t_([this] { io_.run(); }) {}
  ~IoThread() {
    guard_.reset();
    io_.stop();
    t_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread t_;
};

template <class F>
bool wait_until(F pred, std::chrono::seconds limit = 60s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(50us);
  }
  return true;
}

smpp::SessionConfig config(std::uint16_t port, std::uint32_t window) {
  smpp::SessionConfig c;
  c.port = port;
  c.system_id = "bench";
  c.password = "pw";
  c.window = window;
  c.max_queue = 1'000'000;
  c.max_unanswered_inbound = window;
  return c;
}

std::string submit_frame() {
  smpp::Pdu p = smpp::make_pdu(smpp::cmd::submit_sm, 1);
  auto& sm = std::get<smpp::ShortMessage>(p.body);
  sm.source_addr = "12345";
  sm.destination_addr = "15550001234";
  sm.short_message = "Your appointment is confirmed for Tuesday at 10:00. Reply STOP to opt out.";
  std::string out;
  (void)smpp::encode(p, out);
  return out;
}

void BM_SubmitSm(benchmark::State& state) {
  const auto window = static_cast<std::uint32_t>(state.range(0));
  constexpr int kBatch = 20000;
  IoThread sim_io, esme_io;
  sim::SimConfig sc;
  sc.dlr = false;
  sim::Simulator sim(sim_io.io(), sc);
  if (sim.listen()) return state.SkipWithError("listen failed");
  auto session = smpp::Session::create(esme_io.io(), config(sim.port(), window));
  session->start();
  if (!wait_until([&] { return session->stats().state == smpp::LinkState::bound; })) {
    return state.SkipWithError("no bind");
  }
  const std::string frame = submit_frame();
  std::atomic<int> done{0};
  std::uint64_t total = 0;
  for (auto _ : state) {
    done = 0;
    for (int i = 0; i < kBatch; ++i) {
      (void)session->submit(frame, [&done](const smpp::SubmitResult&) { ++done; });
    }
    if (!wait_until([&] { return done.load() == kBatch; })) return state.SkipWithError("stuck");
    total += kBatch;
  }
  state.counters["submit_sm/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["window"] = window;
  std::atomic<bool> stopped{false};
  session->stop(false, [&] { stopped = true; });
  wait_until([&] { return stopped.load(); });
  sim.stop();
}

void BM_DeliverSm(benchmark::State& state) {
  const auto window = static_cast<std::uint32_t>(state.range(0));
  constexpr int kMessages = 50000;
  std::uint64_t total = 0;
  for (auto _ : state) {
    IoThread sim_io, esme_io;
    sim::SimConfig sc;
    sc.mo_per_bind = kMessages;
    sc.window = window;
    sc.texts = {"Hi, is the shop open on Saturday?"};
    sim::Simulator sim(sim_io.io(), sc);
    if (sim.listen()) return state.SkipWithError("listen failed");
    auto session = smpp::Session::create(esme_io.io(), config(sim.port(), window));
    session->on_inbound(
        [](const smpp::Pdu&, smpp::InboundCompletion c) { c.respond(smpp::status::ok); });
    const auto t0 = std::chrono::steady_clock::now();
    session->start();
    if (!wait_until([&] { return sim.done(); })) return state.SkipWithError("stuck");
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    total += kMessages;
    std::atomic<bool> stopped{false};
    session->stop(false, [&] { stopped = true; });
    wait_until([&] { return stopped.load(); });
    sim.stop();
  }
  state.counters["deliver_sm/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["window"] = window;
}

BENCHMARK(BM_SubmitSm)->Arg(10)->Arg(100)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeliverSm)
    ->Arg(10)
    ->Arg(100)
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
