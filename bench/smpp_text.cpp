// Text layer throughput on one core: decode of a full GSM-7 (160 septets) and UCS-2 (70 units)
// short message into a reused string, and segment counting / planning of outbound replies.
// Run: build/release/bench/bench_smpp_text   (items_per_second = messages per second)
#include <benchmark/benchmark.h>

#include <string>

#include "smpp/charset.hpp"
#include "smpp/gsm7.hpp"
#include "smpp/segment.hpp"

namespace {

using namespace twoway::smpp;

std::string repeat_to(std::string_view s, std::size_t n) {
  std::string out;
  while (out.size() < n) out.append(s);
  out.resize(n);
  return out;
}

const std::string kGsmText =
    repeat_to("Your table for 4 is booked at 19:30 on Fri. Reply C to cancel or call us. ", 160);

void BM_DecodeGsm7Unpacked160(benchmark::State& state) {
  std::string septets;
  if (!gsm7::encode(kGsmText, septets).ok()) std::abort();
  std::string out;
  for (auto _ : state) {
    const DecodeResult r = decode_text(0x00, septets, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(septets.size()));
}
BENCHMARK(BM_DecodeGsm7Unpacked160);

void BM_DecodeGsm7Packed160(benchmark::State& state) {
  std::string septets, packed;
  if (!gsm7::encode(kGsmText, septets).ok()) std::abort();
  gsm7::pack(septets, packed);
  DecodeOptions o;
  o.default_alphabet = DefaultAlphabet::gsm7_packed;
  std::string out;
  for (auto _ : state) {
    const DecodeResult r = decode_text(0x00, packed, out, o);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeGsm7Packed160);

void BM_DecodeUcs2_70(benchmark::State& state) {
  // Mixed Cyrillic, Latin and one emoji: 70 UTF-16 units.
  const std::string text = repeat_to("Столик на 4 забронирован, ", 60) + "🙂 до встречи";
  std::string wire;
  (void)encode_ucs2(text, wire);
  wire.resize(140);  // exactly 70 units
  std::string out;
  for (auto _ : state) {
    const DecodeResult r = decode_text(0x08, wire, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK(BM_DecodeUcs2_70);

void BM_CountSegmentsGsm(benchmark::State& state) {
  const std::string text = kGsmText + kGsmText;  // 320 characters: 3 parts
  for (auto _ : state) {
    const SegmentCount c = count_segments(text);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountSegmentsGsm);

void BM_CountSegmentsUcs2(benchmark::State& state) {
  const std::string text = "Привет! Ваш заказ готов 🙂 " + kGsmText;
  for (auto _ : state) {
    const SegmentCount c = count_segments(text);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CountSegmentsUcs2);

void BM_PlanSegmentsGsmSingle(benchmark::State& state) {
  const std::string text = "Thanks! Your order #4521 ships today. Reply STOP to opt out.";
  for (auto _ : state) {
    SegmentPlan p = plan_segments(text);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanSegmentsGsmSingle);

void BM_PlanSegmentsGsmMultipart(benchmark::State& state) {
  const std::string text = kGsmText + kGsmText;
  SegmentOptions o;
  o.reference = 42;
  for (auto _ : state) {
    SegmentPlan p = plan_segments(text, o);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanSegmentsGsmMultipart);

void BM_PlanSegmentsSmartUcs2Multipart(benchmark::State& state) {
  const std::string text = "“Привет” — " + kGsmText;
  SegmentOptions o;
  o.smart_encoding = true;
  for (auto _ : state) {
    SegmentPlan p = plan_segments(text, o);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PlanSegmentsSmartUcs2Multipart);

}  // namespace

BENCHMARK_MAIN();
