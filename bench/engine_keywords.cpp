// Benchmarks for the engine's per-message classification: KeywordTable::match() on typical
// inbound texts, plus sender normalisation and the quiet-hours check that gate each message.
// Run: build-<dir>/bench/bench_engine_keywords  (figures are items/s, one item = one call)
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/keywords.hpp"
#include "engine/phone.hpp"
#include "engine/quiet_hours.hpp"
#include "engine/router.hpp"

namespace {

using twoway::engine::KeywordConfig;
using twoway::engine::KeywordTable;

const std::vector<std::string>& typical_texts() {
  static const std::vector<std::string> texts = {
      "STOP",
      "Stop!",
      "  yes ",
      "HELP",
      "\xF0\x9F\x9B\x91",  // 🛑
      "Thanks, see you tomorrow at 10",
      "Can I move my appointment to Friday afternoon? \xF0\x9F\x99\x8F",
      "Arr\xC3\xAAt",
      "Hi! I ordered the blue one last week and it still hasn't arrived, can you check the "
      "tracking number for me please? Order 48213.",
      "ok",
  };
  return texts;
}

void run_match(benchmark::State& state, const KeywordTable& table) {
  const auto& texts = typical_texts();
  std::size_t i = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string& text = texts[i];
    benchmark::DoNotOptimize(table.match(text));
    bytes += text.size();
    i = (i + 1 == texts.size()) ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_KeywordMatchExact(benchmark::State& state) {
  KeywordConfig cfg;
  cfg.opt_out.push_back("ARRET");
  cfg.custom.push_back({"PIZZA", "Large pepperoni is $9 today", ""});
  const KeywordTable table{cfg};
  run_match(state, table);
}
BENCHMARK(BM_KeywordMatchExact);

void BM_KeywordMatchContains(benchmark::State& state) {
  KeywordConfig cfg;
  cfg.opt_out.push_back("ARRET");
  cfg.opt_out_contains = true;
  const KeywordTable table{cfg};
  run_match(state, table);
}
BENCHMARK(BM_KeywordMatchContains);

void BM_KeywordMatchLongText(benchmark::State& state) {
  KeywordConfig cfg;
  cfg.opt_out_contains = state.range(0) != 0;
  const KeywordTable table{cfg};
  std::string text;
  while (text.size() < 1500) text += "Lorem ipsum dolor sit amet, consectetur adipiscing. ";
  for (auto _ : state) benchmark::DoNotOptimize(table.match(text));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_KeywordMatchLongText)->Arg(0)->Arg(1);

void BM_PhoneNormalize(benchmark::State& state) {
  const twoway::engine::PhoneNumbers phones("US");
  const std::vector<std::string> raws = {"16502530000", "+447911123456", "12345", "ACME",
                                         "(212) 555-1234"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(phones.normalize(raws[i]));
    i = (i + 1 == raws.size()) ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhoneNormalize);

void BM_PhoneIsUs(benchmark::State& state) {
  const twoway::engine::PhoneNumbers phones("US");
  const std::vector<std::string> numbers = {"+16502530000", "+14165550123", "+447911123456"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(phones.is_us(numbers[i]));
    i = (i + 1 == numbers.size()) ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhoneIsUs);

void BM_PhoneLocation(benchmark::State& state) {
  const twoway::engine::PhoneNumbers phones("US");
  const std::vector<std::string> numbers = {"+16502530000", "+442079460000", "+4930123456"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(phones.location(numbers[i]));
    i = (i + 1 == numbers.size()) ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhoneLocation);

void BM_QuietHoursCheck(benchmark::State& state) {
  const twoway::engine::PhoneNumbers phones("US");
  const auto cfg = twoway::engine::default_quiet_hours();
  const std::vector<std::string> numbers = {"+12125551234", "+13055551234", "+12089001234",
                                            "+442079460000", "+61412345678"};
  std::int64_t now = 1782907200;  // 2026-07-01 12:00 UTC
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(check_quiet_hours(cfg, phones, numbers[i], now));
    i = (i + 1 == numbers.size()) ? 0 : i + 1;
    now += 997;  // walk through the day
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QuietHoursCheck);

// The work done for an inbound message before it is queued (prepare_inbound: normalisation, the
// place of the sender, keyword match, fingerprints, segments), every message from a number not
// seen before: Arg 1 with the prefix cache (the daemon's setting), Arg 0 without.
void BM_PrepareInboundNewSender(benchmark::State& state) {
  const twoway::engine::PhoneNumbers phones("US", state.range(0) != 0);
  auto table = std::make_shared<const KeywordTable>(KeywordConfig{});
  const auto& texts = typical_texts();
  twoway::engine::InboundMessage in;
  in.smsc = "sim";
  in.source_ton = 1;
  in.destination = "15550001111";
  in.received_unix = 1782907200;
  twoway::engine::PreparedInbound prepared;
  std::uint64_t n = 0;
  for (auto _ : state) {
    // 10,000 exchanges in area code 650 (as the simulator's senders), a new number each time.
    in.source = "1650" + std::to_string(2000000 + (n * 7919) % 8000000);
    in.text = texts[n % texts.size()];
    twoway::engine::prepare_inbound(phones, table, in, prepared);
    benchmark::DoNotOptimize(prepared.fingerprint);
    ++n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrepareInboundNewSender)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
