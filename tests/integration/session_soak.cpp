// Soak run (by hand, not in ctest): one transceiver session against the simulator's fault mix
// (drops, garbage, oversized frames, SMSC unbinds, half-open links, delays, refused binds,
// throttling) for --seconds, with MO traffic in and MT traffic out; then the faults stop, both
// sides drain, and every message is accounted for.
// Run: build/tests/integration/session_soak --seconds 600
#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <set>

#include "tests/integration/harness.hpp"

using namespace twoway;
using namespace twoway::testing;
using namespace std::chrono_literals;

namespace {

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Outbox {
  std::mutex mu;
  std::vector<std::uint8_t> ok_count;  // per MT
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint32_t>> retry;
  std::uint64_t retryable = 0, permanent = 0, refused = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = 600;
  double mt_rate = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--mt-rate") == 0) mt_rate = std::atof(argv[i + 1]);
  }
  IoThread sim_io, esme_io;
  auto sc = sim_config();
  sc.keep_mt_records = true;
  sc.mo_per_bind = static_cast<std::uint64_t>(seconds) * 300;
  sc.rate = 1000;  // shared by MO and receipts
  sc.window = 10;
  sc.from_count = 1000;
  sc.redeliver_delay = 200ms;
  sc.dlr_stat_mix = {{"DELIVRD", 90}, {"UNDELIV", 5}, {"EXPIRED", 5}};
  sc.faults.mix = true;
  sc.faults.mix_min = 200;
  sc.faults.mix_max = 5000;
  sim::Simulator sim(sim_io.io(), sc);
  if (sim.listen()) return 1;

  auto cfg = fast_config(sim.port());
  cfg.window = 10;
  cfg.rate_per_second = 2 * mt_rate;
  cfg.request_timeout = 5s;
  cfg.enquire_link_interval = 1s;
  cfg.enquire_link_timeout = 1s;
  cfg.reconnect_min = 100ms;
  cfg.reconnect_max = 2s;
  cfg.bind_failure_backoff = 500ms;
  cfg.max_queue = 100000;
  auto session = smpp::Session::create(esme_io.io(), cfg);
  std::atomic<std::uint64_t> mo_in{0}, receipts_in{0};
  session->on_inbound([&](const smpp::Pdu& pdu, smpp::InboundCompletion c) {
    const auto* sm = pdu.as<smpp::ShortMessage>();
    if (sm && (sm->esm_class & smpp::esm::type_mask) == smpp::esm::type_delivery_receipt) {
      ++receipts_in;
    } else {
      ++mo_in;
    }
    c.respond(smpp::status::ok);
  });
  session->start();
  const long rss_start = rss_kib();

  const std::uint32_t total_mt = static_cast<std::uint32_t>(seconds * mt_rate);
  auto outbox = std::make_shared<Outbox>();
  outbox->ok_count.assign(total_mt, 0);
  std::function<void(std::uint32_t)> send = [&](std::uint32_t i) {
    const auto ec = session->submit(
        submit_frame("1555" + std::to_string(1000000 + i % 1000), "mt-" + std::to_string(i), 1),
        [outbox, i](const smpp::SubmitResult& r) {
          std::lock_guard lock(outbox->mu);
          if (r) {
            ++outbox->ok_count[i];
          } else if (r.retryable) {
            ++outbox->retryable;
            outbox->retry.emplace_back(std::chrono::steady_clock::now() + 200ms, i);
          } else {
            ++outbox->permanent;
          }
        });
    if (ec) {
      std::lock_guard lock(outbox->mu);
      ++outbox->refused;
      outbox->retry.emplace_back(std::chrono::steady_clock::now() + 200ms, i);
    }
  };
  const auto resend_due = [&] {
    std::vector<std::uint32_t> due;
    {
      std::lock_guard lock(outbox->mu);
      const auto now = std::chrono::steady_clock::now();
      while (!outbox->retry.empty() && outbox->retry.front().first <= now) {
        due.push_back(outbox->retry.front().second);
        outbox->retry.pop_front();
      }
    }
    for (auto i : due) send(i);
  };

  const auto t0 = std::chrono::steady_clock::now();
  std::uint32_t next = 0;
  int last_report = -1;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(seconds)) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    while (next < total_mt && next < elapsed * mt_rate) send(next++);
    resend_due();
    if (static_cast<int>(elapsed) / 30 != last_report) {
      last_report = static_cast<int>(elapsed) / 30;
      const auto st = session->stats();
      const auto c = sim.counters();
      std::printf(
          "[%4.0fs] state=%s binds_ok=%llu drops=%llu mt_ok=%llu mo_acked=%llu/%llu "
          "faults=%llu window=%u queue=%zu timeouts=%llu enquire=%llu rss=%ldKiB\n",
          elapsed, std::string(smpp::link_state_name(st.state)).c_str(),
          (unsigned long long)st.binds_ok, (unsigned long long)st.link_drops,
          (unsigned long long)st.submits_ok, (unsigned long long)c.mo_messages_acked,
          (unsigned long long)c.mo_messages, (unsigned long long)c.faults_injected,
          st.window_in_use, st.queue_depth, (unsigned long long)st.timeouts,
          (unsigned long long)st.enquire_links_sent, rss_kib());
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(2ms);
  }
  while (next < total_mt) send(next++);
  // Faults off; drain both directions (bounded).
  sim.set_faults({});
  const bool drained = wait_until(
      [&] {
        resend_due();
        std::lock_guard lock(outbox->mu);
        for (auto c : outbox->ok_count) {
          if (c == 0) return false;
        }
        return sim.done();
      },
      240s);
  const auto st = session->stats();
  const auto c = sim.counters();
  std::uint64_t mt_once = 0, mt_twice = 0, mt_missing = 0;
  {
    std::lock_guard lock(outbox->mu);
    for (auto n : outbox->ok_count) {
      if (n == 1) ++mt_once;
      if (n > 1) ++mt_twice;
      if (n == 0) ++mt_missing;
    }
  }
  std::set<std::string> distinct;
  std::uint64_t records = 0;
  for (const auto& r : sim.mt_records()) {
    distinct.insert(r.short_message);
    ++records;
  }
  std::printf(
      "soak %ds drained=%s\n"
      "MT: %u submitted, ok once %llu, ok twice %llu, missing %llu; retryable results %llu "
      "(resubmitted), permanent %llu, refused at submit %llu\n"
      "MT at SMSC: %llu accepted, %zu distinct (duplicates from disconnects after acceptance: "
      "%llu), throttled %llu\n"
      "MO: %llu messages, acked %llu, failed %llu, PDUs sent %llu, redelivered %llu; session "
      "inbound %llu MO + %llu receipts\n"
      "receipts: sent %llu, acked %llu, pending %llu\n"
      "session: connects %llu, binds ok %llu, bind failures %llu, link drops %llu, timeouts %llu, "
      "throttles %llu, enquire_links %llu, generic_nacks sent %llu\n"
      "sim: connections %llu, faults injected %llu\n"
      "session now: state %s, window in use %u, queue %zu, inbound unanswered %u, last error %s\n"
      "rss: %ld KiB at start, %ld KiB at end\n",
      seconds, drained ? "yes" : "NO", total_mt, (unsigned long long)mt_once,
      (unsigned long long)mt_twice, (unsigned long long)mt_missing,
      (unsigned long long)outbox->retryable, (unsigned long long)outbox->permanent,
      (unsigned long long)outbox->refused, (unsigned long long)records, distinct.size(),
      (unsigned long long)(records - distinct.size()), (unsigned long long)c.mt_throttled,
      (unsigned long long)c.mo_messages, (unsigned long long)c.mo_messages_acked,
      (unsigned long long)c.mo_messages_failed, (unsigned long long)c.mo_pdus_sent,
      (unsigned long long)c.mo_redelivered, (unsigned long long)mo_in.load(),
      (unsigned long long)receipts_in.load(), (unsigned long long)c.dlr_sent,
      (unsigned long long)c.dlr_acked, (unsigned long long)c.dlr_pending,
      (unsigned long long)st.connects, (unsigned long long)st.binds_ok,
      (unsigned long long)st.bind_failures, (unsigned long long)st.link_drops,
      (unsigned long long)st.timeouts, (unsigned long long)st.throttles,
      (unsigned long long)st.enquire_links_sent, (unsigned long long)st.generic_nacks_sent,
      (unsigned long long)c.connections, (unsigned long long)c.faults_injected,
      std::string(smpp::link_state_name(st.state)).c_str(), st.window_in_use, st.queue_depth,
      st.inbound_unanswered, st.last_error.c_str(), rss_start, rss_kib());
  std::atomic<bool> stopped{false};
  session->stop(true, [&] { stopped = true; });
  wait_until([&] { return stopped.load(); }, 10s);
  sim.stop();
  const bool all_ok = drained && mt_missing == 0 && mt_twice == 0 &&
                      c.mo_messages_acked + c.mo_messages_failed == c.mo_messages;
  return all_ok ? 0 : 1;
}
