// Engine store benchmark: inbound messages committed per second through the group-commit
// writer (durable, batches of 1, 64, 1024; one batch waiting behind the committing one with
// in_flight 2) from TWOWAY_BENCH_SENDERS senders (default 10,000), and inbox / thread page
// query times on a populated store. Commit counters: per_cpu_s counts the whole process (the
// producing thread too), per_writer_cpu_s the writer thread alone (its fsyncs included),
// commits the transactions per batch, written_per_msg the bytes written per message. Store size for
// the queries from TWOWAY_BENCH_PROFILES / TWOWAY_BENCH_MESSAGES (defaults 20,000 / 200,000; the
// target size 1,000,000 / 10,000,000 takes about a minute to build), folder from
// TWOWAY_BENCH_DIR (default: the system temp folder; durable figures need a real disk).
//
//   TWOWAY_BENCH_PROFILES=1000000 TWOWAY_BENCH_MESSAGES=10000000 ./bench_engine_store
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace {

using namespace twoway::engine;

// CPU seconds of the whole process (every thread): the figure that does not depend on how
// busy the machine is.
double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Bytes this process handed to write()/pwrite() so far (/proc/self/io "wchar"): what a commit
// costs the disk, steadier than any timing on a shared machine.
double process_bytes_written() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return 0;
  char line[128];
  double v = 0;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, "wchar:", 6) == 0) v = std::strtod(line + 6, nullptr);
  std::fclose(f);
  return v;
}

std::size_t env_size(const char* name, std::size_t def) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return def;
  return static_cast<std::size_t>(std::strtoull(v, nullptr, 10));
}

std::string make_dir() {
  const char* base = std::getenv("TWOWAY_BENCH_DIR");
  std::string tmpl =
      (std::filesystem::path(base ? base : std::filesystem::temp_directory_path().c_str()) /
       "twoway-bench-XXXXXX")
          .string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

// +1 650 2xx xxxx style numbers, all distinct for i < 8,000,000.
std::string number(std::size_t i) {
  std::string d = std::to_string(2000000 + i % 8000000);
  return "+1650" + d;
}

constexpr std::int64_t kT0 = 1781542800;

EngineConfig bench_config(const std::string& dir, bool durable) {
  EngineConfig c;
  c.path = dir + "/db";
  c.map_size = std::size_t{1} << 30;
  c.durable = durable;
  c.sending_numbers = {"12345"};
  c.organization.prefix = "Bench";
  return c;
}

InboundMessage inbound(std::size_t i, std::int64_t t) {
  InboundMessage m;
  m.smsc = "smsc1";
  m.source = number(i);
  m.source_ton = 1;
  m.source_npi = 1;
  m.destination = "12345";
  m.text = "Hello, is my order #" + std::to_string(i) + " on its way?";
  m.smsc_timestamp = std::to_string(t);
  m.received_unix = t;
  return m;
}

// Inbound committed per second: each iteration hands the engine `batch` messages at once and
// waits for the completion of the last one, so one transaction per batch (counter `commits`).
// With in_flight 2 the next batch is handed over before the previous one is acknowledged, as
// when several binds keep their windows full.
void BM_InboundCommit(benchmark::State& state) {
  const std::size_t batch = static_cast<std::size_t>(state.range(0));
  const bool durable = state.range(1) != 0;
  const bool write_map = state.range(2) != 0;
  const std::size_t in_flight = static_cast<std::size_t>(std::max<std::int64_t>(state.range(3), 1));
  const std::string dir = make_dir();
  const std::size_t profiles = std::max<std::size_t>(env_size("TWOWAY_BENCH_SENDERS", 10000), 1);
  {
    EngineConfig config = bench_config(dir, durable);
    config.write_map = write_map;
    Engine engine(config, EngineMode::threaded);
    std::size_t i = 0;
    std::int64_t t = kT0;
    // Steady state: the senders' profiles exist (first contact costs a geocoder lookup).
    for (std::size_t k = 0; k < profiles; ++k) engine.submit_inbound(inbound(k, ++t), nullptr);
    engine.flush();
    std::atomic<std::size_t> committed{0};
    std::deque<std::future<void>> pending;
    const double cpu0 = process_cpu_seconds();
    const double written0 = process_bytes_written();
    const double writer0 = engine.writer_cpu_seconds();
    const std::uint64_t commits0 = engine.commit_stats().commits;
    for (auto _ : state) {
      if (pending.size() >= in_flight) {
        pending.front().wait();
        pending.pop_front();
      }
      auto last = std::make_shared<std::promise<void>>();
      pending.push_back(last->get_future());
      std::vector<Engine::Submission> messages(batch);
      for (std::size_t k = 0; k < batch; ++k, ++i) {
        messages[k].message = inbound(i % profiles, ++t);
        messages[k].done = [&committed, last = k + 1 == batch ? last : nullptr](bool ok) {
          if (ok) committed.fetch_add(1, std::memory_order_relaxed);
          if (last) last->set_value();
        };
      }
      engine.submit_inbound(std::move(messages));
    }
    for (auto& f : pending) f.wait();
    const double cpu = process_cpu_seconds() - cpu0;
    const double written = process_bytes_written() - written0;
    const double writer_cpu = engine.writer_cpu_seconds() - writer0;
    const double commits = static_cast<double>(engine.commit_stats().commits - commits0);
    state.SetItemsProcessed(static_cast<std::int64_t>(committed.load()));
    state.counters["per_cpu_s"] = cpu > 0 ? static_cast<double>(committed.load()) / cpu : 0;
    state.counters["per_writer_cpu_s"] =
        writer_cpu > 0 ? static_cast<double>(committed.load()) / writer_cpu : 0;
    state.counters["commits"] = commits / static_cast<double>(state.iterations());
    state.counters["written_per_msg"] =
        committed.load() > 0 ? written / static_cast<double>(committed.load()) : 0;
    state.counters["committed_per_s"] =
        benchmark::Counter(static_cast<double>(committed.load()), benchmark::Counter::kIsRate);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_InboundCommit)
    ->ArgsProduct({{1, 64, 1024}, {1}, {0}, {1}})
    ->Args({1024, 1, 0, 2})
    ->Args({1024, 0, 0, 1})
    ->Args({1024, 1, 1, 1})
    ->Args({1024, 0, 1, 1})
    ->ArgNames({"batch", "durable", "writemap", "in_flight"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Senders with long threads in the populated store (besides TWOWAY_BENCH_PROFILES others).
constexpr std::size_t kBusy = 1000;

// A populated store shared by the query benchmarks.
struct Populated {
  std::string dir;
  std::unique_ptr<Engine> engine;
  std::size_t profiles = 0;
  std::size_t messages = 0;
};

Populated* g_populated = nullptr;

Populated& populated() {
  static Populated p = [] {
    Populated s;
    s.profiles = std::max<std::size_t>(env_size("TWOWAY_BENCH_PROFILES", 20000), 1);
    s.messages = std::max(env_size("TWOWAY_BENCH_MESSAGES", 200000), s.profiles);
    s.dir = make_dir();
    EngineConfig c = bench_config(s.dir, false);
    c.map_size = std::size_t{4} << 30;
    s.engine = std::make_unique<Engine>(c, EngineMode::threaded);
    const auto start = std::chrono::steady_clock::now();
    std::int64_t t = kT0;
    for (std::size_t i = 0; i < s.messages; ++i) {
      // One message in 20 goes to one of kBusy long threads, spread over the whole store.
      const std::size_t who = i % 20 == 19 ? s.profiles + (i / 20) % kBusy : i % s.profiles;
      s.engine->submit_inbound(inbound(who, ++t), nullptr);
      if (i % 100000 == 99999) s.engine->flush();
    }
    s.engine->flush();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "populated %zu profiles, %zu messages in %.1f s (%.0f/s), map %zu MiB\n",
                 s.profiles, s.messages, secs, static_cast<double>(s.messages) / secs,
                 s.engine->map_size() >> 20);
    return s;
  }();
  g_populated = &p;
  return p;
}

void BM_InboxPage(benchmark::State& state) {
  Populated& p = populated();
  std::string cursor;
  for (auto _ : state) {
    InboxPage page = p.engine->inbox(InboxView::inbox, cursor, 10);
    cursor = page.next_cursor;  // walk down the inbox page by page
    benchmark::DoNotOptimize(page);
  }
  state.counters["profiles"] = static_cast<double>(p.profiles);
  state.counters["messages"] = static_cast<double>(p.messages);
}
BENCHMARK(BM_InboxPage)->Unit(benchmark::kMicrosecond);

void BM_ThreadPage(benchmark::State& state) {
  Populated& p = populated();
  std::size_t i = 0;
  for (auto _ : state) {
    ThreadPage page = p.engine->thread(number(i++ % p.profiles), 0, 50, kT0);
    benchmark::DoNotOptimize(page);
  }
  state.counters["profiles"] = static_cast<double>(p.profiles);
  state.counters["messages"] = static_cast<double>(p.messages);
}
BENCHMARK(BM_ThreadPage)->Unit(benchmark::kMicrosecond);

// The default thread page (50 messages) of a long thread whose messages are spread over the
// whole store: each one is a separate lookup along the thread's chain.
void BM_ThreadPageLong(benchmark::State& state) {
  Populated& p = populated();
  std::size_t i = 0, shown = 0, pages = 0;
  for (auto _ : state) {
    ThreadPage page = p.engine->thread(number(p.profiles + i++ % kBusy), 0, 50, kT0);
    shown += page.messages.size();
    ++pages;
    benchmark::DoNotOptimize(page);
  }
  state.counters["messages_per_page"] =
      pages > 0 ? static_cast<double>(shown) / static_cast<double>(pages) : 0;
  state.counters["store_messages"] = static_cast<double>(p.messages);
}
BENCHMARK(BM_ThreadPageLong)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_populated != nullptr) {
    g_populated->engine.reset();
    std::filesystem::remove_all(g_populated->dir);
  }
  return 0;
}
