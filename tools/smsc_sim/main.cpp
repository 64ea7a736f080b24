// twoway-smsc-sim: an SMSC simulator and load generator for testing SMPP ESMEs (the command
// line around tools/smsc_sim/sim.hpp). Stops by itself after --max-seconds, or when its work
// is done with --exit-when-done; writes a JSON report with --json-out.
#include <boost/asio.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "tools/smsc_sim/ack_client.hpp"
#include "tools/smsc_sim/sim.hpp"

namespace po = boost::program_options;
namespace asio = boost::asio;
using twoway::sim::SimConfig;
using twoway::sim::Simulator;

namespace {

int self_bench(SimConfig cfg) {
  if (cfg.mo_per_bind == 0) cfg.mo_per_bind = 1000000;
  cfg.texts = {"Hello, this is a load test message"};
  cfg.dlr = false;
  cfg.port = 0;
  asio::io_context sim_io, client_io;
  Simulator sim(sim_io, cfg);
  if (auto ec = sim.listen()) {
    std::cerr << "listen: " << ec.message() << "\n";
    return 1;
  }
  std::thread sim_thread([&] { sim_io.run(); });
  auto client = std::make_shared<twoway::sim::AckClient>(client_io, cfg.system_id, cfg.password);
  client->start(sim.port());
  auto guard = asio::make_work_guard(client_io);
  std::thread client_thread([&] { client_io.run(); });
  const auto t0 = std::chrono::steady_clock::now();
  while (!sim.done() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto report = sim.report(false);
  client->stop();
  guard.reset();
  sim.stop();
  client_thread.join();
  sim_thread.join();
  const double per_s = report["mo"]["acked_per_s"].get<double>();
  std::printf(
      "self-bench: %llu deliver_sm pushed and acked, window %u: %.0f deliver_sm/s, %.0f PDUs/s "
      "(deliver_sm + deliver_sm_resp)\n",
      static_cast<unsigned long long>(report["mo"]["pdus_acked"].get<std::uint64_t>()), cfg.window,
      per_s, 2 * per_s);
  return sim.done() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  SimConfig cfg;
  auto& f = cfg.faults;
  std::string json_out, texts_file, stat_mix, port_file;
  double max_seconds = 60, settle_seconds = 0;
  std::uint64_t expect_mt = 0;
  std::uint32_t dlr_delay_ms = 0, delay_ms = 0, redeliver_ms = 200;
  po::options_description opts("twoway-smsc-sim options");
  // clang-format off
  opts.add_options()
    ("help,h", "show this help")
    ("host", po::value(&cfg.host)->default_value("127.0.0.1"), "address to listen on")
    ("port", po::value(&cfg.port)->default_value(2775), "port to listen on (0 = ephemeral)")
    ("port-file", po::value(&port_file), "write the port listened on to this file")
    ("system-id", po::value(&cfg.system_id), "accepted system_id (empty = any)")
    ("password", po::value(&cfg.password), "accepted password (empty = any); others: ESME_RBINDFAIL")
    ("mo", po::value(&cfg.mo_per_bind)->default_value(0), "MO messages per system_id, from its first receiver/transceiver bind")
    ("from-count", po::value(&cfg.from_count)->default_value(10), "distinct MO source numbers (= --mo: every MO from a new number)")
    ("from-prefix", po::value(&cfg.from_prefix)->default_value("1555"), "MO source number prefix")
    ("from-offset", po::value(&cfg.from_offset)->default_value(0), "index of the first MO source number (disjoint numbers for another run)")
    ("to", po::value(&cfg.mo_destination)->default_value("12345"), "MO destination (the ESME's number)")
    ("rate", po::value(&cfg.rate)->default_value(0), "MO deliver_sm per second per connection (0 = as fast as the window allows)")
    ("window", po::value(&cfg.window)->default_value(10), "MO deliver_sm outstanding per connection")
    ("texts", po::value(&texts_file), "MO texts, one per line (UTF-8); default: the built-in mix")
    ("no-dlr", "never send delivery receipts")
    ("dlr-delay-ms", po::value(&dlr_delay_ms)->default_value(0), "delay before a receipt")
    ("dlr-stat-mix", po::value(&stat_mix)->default_value("DELIVRD:1"), "receipt stat mix, e.g. DELIVRD:90,UNDELIV:5,EXPIRED:5")
    ("redeliver-delay-ms", po::value(&redeliver_ms)->default_value(200), "wait before redelivering a refused MO")
    ("json-out", po::value(&json_out), "write the JSON report here at the end ('-' = stdout)")
    ("mt-records", "include every MT in the JSON report")
    ("records", po::value(&cfg.records_file), "append one JSON line per MO settled (from, to, text, status, redelivered, sent) and per MT accepted (to, message_id) to this file, as it happens")
    ("max-seconds", po::value(&max_seconds)->default_value(60), "stop after this many seconds")
    ("exit-when-done", "stop once every MO and receipt is answered (and --expect-mt MT received)")
    ("expect-mt", po::value(&expect_mt)->default_value(0), "with --exit-when-done: MT to wait for")
    ("settle-seconds", po::value(&settle_seconds)->default_value(0), "with --exit-when-done and --expect-mt: stop anyway once every MO is answered and no MT came for this long (0 = wait for every MT)")
    ("seed", po::value(&cfg.seed)->default_value(1), "random seed (faults, message ids, stat mix)")
    ("tls-cert", po::value(&cfg.tls_cert_file), "PEM certificate chain: serve TLS")
    ("tls-key", po::value(&cfg.tls_key_file), "PEM private key for --tls-cert")
    ("tls-client-ca", po::value(&cfg.tls_client_ca_file), "require ESME client certificates signed by this CA (PEM)")
    ("throttle-every", po::value(&f.throttle_every)->default_value(0), "fault: every Kth submit_sm gets ESME_RTHROTTLED")
    ("msgqful-every", po::value(&f.msgqful_every)->default_value(0), "fault: every Kth submit_sm gets ESME_RMSGQFUL")
    ("syserr-every", po::value(&f.syserr_every)->default_value(0), "fault: every Kth submit_sm gets ESME_RSYSERR (the ESME retries it later)")
    ("refuse-binds", po::value(&f.refuse_binds)->default_value(0), "fault: refuse the first N binds (ESME_RBINDFAIL)")
    ("refuse-all-binds", "fault: refuse every bind")
    ("delay-ms", po::value(&delay_ms)->default_value(0), "fault: delay every response by this much")
    ("no-enquire-link-resp", "fault: never answer enquire_link")
    ("silent-after", po::value(&f.silent_after)->default_value(0), "fault: go silent (half-open) after N PDUs on a connection")
    ("drop-after", po::value(&f.drop_after)->default_value(0), "fault: drop the connection after N PDUs")
    ("garbage-after", po::value(&f.garbage_after)->default_value(0), "fault: send garbage bytes after N PDUs")
    ("oversized-after", po::value(&f.oversized_after)->default_value(0), "fault: send an oversized command_length after N PDUs")
    ("unbind-after", po::value(&f.unbind_after)->default_value(0), "fault: send unbind after N PDUs")
    ("out-of-order", "fault: answer the requests of each read last first")
    ("fault-mix", "fault mix: each connection draws a fault after N PDUs (drop, garbage, oversized, unbind, silent, or slow answers then a drop), 5% of binds refused, every 97th submit throttled")
    ("fault-cycle", "with --fault-mix: the faults in turn instead of drawn, so every kind comes up")
    ("fault-min", po::value(&f.mix_min)->default_value(200), "fault mix: least N")
    ("fault-max", po::value(&f.mix_max)->default_value(5000), "fault mix: largest N")
    ("self-bench", "measure: push --mo deliver_sm (default 1,000,000) to a trivial acking client over loopback and print the rate");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "twoway-smsc-sim: " << e.what() << "\n" << opts << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  cfg.dlr = vm.count("no-dlr") == 0;
  cfg.dlr_delay = std::chrono::milliseconds(dlr_delay_ms);
  cfg.redeliver_delay = std::chrono::milliseconds(redeliver_ms);
  cfg.keep_mt_records = vm.count("mt-records") != 0;
  f.refuse_all_binds = vm.count("refuse-all-binds") != 0;
  f.response_delay = std::chrono::milliseconds(delay_ms);
  f.ignore_enquire_link = vm.count("no-enquire-link-resp") != 0;
  f.out_of_order_responses = vm.count("out-of-order") != 0;
  f.mix = vm.count("fault-mix") != 0;
  f.mix_cycle = vm.count("fault-cycle") != 0;
  if (cfg.window == 0) cfg.window = 1;
  if (!twoway::sim::parse_stat_mix(stat_mix, cfg.dlr_stat_mix)) {
    std::cerr << "twoway-smsc-sim: bad --dlr-stat-mix: " << stat_mix << "\n";
    return 2;
  }
  if (!texts_file.empty()) {
    std::ifstream in(texts_file);
    if (!in) {
      std::cerr << "twoway-smsc-sim: cannot read " << texts_file << "\n";
      return 2;
    }
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.size() <= 2000) cfg.texts.push_back(line);
    }
  }
  if (vm.count("self-bench")) return self_bench(cfg);

  asio::io_context io;
  Simulator sim(io, cfg);
  if (auto ec = sim.listen()) {
    std::cerr << "twoway-smsc-sim: listen " << cfg.host << ":" << cfg.port << ": " << ec.message()
              << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file) << sim.port() << "\n";
  }
  std::cout << "twoway-smsc-sim listening on " << cfg.host << ":" << sim.port() << std::endl;

  const bool exit_when_done = vm.count("exit-when-done") != 0;
  const auto t0 = std::chrono::steady_clock::now();
  const auto limit = std::chrono::duration<double>(max_seconds);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer timer(io);
  bool stopping = false;
  const auto finish = [&] {
    if (stopping) return;
    stopping = true;
    signals.cancel();
    timer.cancel();
    sim.stop();
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) finish();
  });
  std::uint64_t mt_seen = 0;
  auto mt_changed = t0;
  std::function<void()> check = [&] {
    timer.expires_after(std::chrono::milliseconds(50));
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      const auto now = std::chrono::steady_clock::now();
      const std::uint64_t mt = sim.counters().mt_received;
      if (mt != mt_seen) {
        mt_seen = mt;
        mt_changed = now;
      }
      const bool settled =
          settle_seconds > 0 && now - mt_changed >= std::chrono::duration<double>(settle_seconds);
      const bool done = exit_when_done && sim.done() && (mt >= expect_mt || settled);
      if (done || now - t0 >= limit) return finish();
      check();
    });
  };
  check();
  io.run();

  const auto report = sim.report(cfg.keep_mt_records);
  if (!json_out.empty()) {
    if (json_out == "-") {
      std::cout << report.dump(2) << "\n";
    } else {
      std::ofstream(json_out) << report.dump(2) << "\n";
    }
  }
  std::cout << "mo: " << report["mo"].dump() << "\nmt: " << report["mt"].dump()
            << "\ndlr: " << report["dlr"].dump()
            << "\nmo_ack_latency_ms: " << report["mo_ack_latency_ms"].dump()
            << "\nreply_latency_ms: " << report["reply_latency_ms"].dump() << std::endl;
  return 0;
}
