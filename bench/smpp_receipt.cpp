// Benchmarks for the inbound path: receipt parsing, message-id keys, and reassembly.
// Run: build/release/bench/bench_smpp_receipt (items_per_second = receipts or messages per s).
#include <benchmark/benchmark.h>

#include <string>

#include "smpp/reassembly.hpp"
#include "smpp/receipt.hpp"

using namespace twoway::smpp;

namespace {

constexpr std::string_view typical_receipt =
    "id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 "
    "stat:DELIVRD err:000 text:Your code is 123456";

void BM_ParseReceiptText(benchmark::State& state) {
  for (auto _ : state) {
    ReceiptFields f;
    f.short_message = typical_receipt;
    auto r = parse_receipt(f);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseReceiptText);

void BM_ParseReceiptWithTlvs(benchmark::State& state) {
  const std::string id = std::string("33E95179") + '\0';
  const std::string st(1, '\x02');
  for (auto _ : state) {
    ReceiptFields f;
    f.short_message = typical_receipt;
    f.receipted_message_id = id;
    f.message_state = st;
    auto r = parse_receipt(f);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseReceiptWithTlvs);

void BM_MessageIdKeys(benchmark::State& state) {
  for (auto _ : state) {
    auto keys = message_id_keys("0870928761");
    benchmark::DoNotOptimize(keys);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MessageIdKeys);

std::string part_bytes(int ref, int seq, std::string_view text) {
  std::string s{'\x05', '\x00', '\x03', static_cast<char>(ref), '\x03', static_cast<char>(seq)};
  s.append(text);
  return s;
}

void BM_Reassemble3Parts(benchmark::State& state) {
  const std::string text(153, 'a');
  std::string parts[256][3];
  for (int ref = 0; ref < 256; ++ref) {
    for (int seq = 1; seq <= 3; ++seq) parts[ref][seq - 1] = part_bytes(ref, seq, text);
  }
  Reassembler r(ReassemblyConfig{.max_recent = 10'000});  // late-duplicate memory on
  std::uint64_t token = 0;
  std::int64_t now = 0;
  int ref = 0;
  for (auto _ : state) {
    // Out of order: 2, 3, 1.
    for (int seq : {2, 3, 1}) {
      InboundPart p;
      p.smsc = "smsc-a";
      p.source_addr = "15551230001";
      p.destination_addr = "15557654321";
      p.esm_class = 0x40;
      p.short_message = parts[ref][seq - 1];
      p.now_ms = ++now;
      p.token = ++token;
      AddResult res = r.add(p);
      benchmark::DoNotOptimize(res);
    }
    ref = (ref + 1) & 0xFF;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["pending"] = static_cast<double>(r.pending());
}
BENCHMARK(BM_Reassemble3Parts);

void BM_SinglePartPassThrough(benchmark::State& state) {
  Reassembler r;
  const std::string text = "STOP";
  std::uint64_t token = 0;
  for (auto _ : state) {
    InboundPart p;
    p.smsc = "smsc-a";
    p.source_addr = "15551230001";
    p.destination_addr = "15557654321";
    p.short_message = text;
    p.token = ++token;
    AddResult res = r.add(p);
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SinglePartPassThrough);

}  // namespace

BENCHMARK_MAIN();
