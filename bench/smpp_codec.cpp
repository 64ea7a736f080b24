// Codec throughput: decode of an MO deliver_sm and of a delivery receipt, encode of a
// submit_sm, on one core. Prints items_per_second (PDUs per second).
#include <benchmark/benchmark.h>

#include "smpp/codec.hpp"

namespace {

using namespace twoway::smpp;

std::string encoded(const Pdu& pdu) {
  std::string out;
  if (encode(pdu, out)) std::abort();
  return out;
}

std::string mo_deliver_sm() {
  Pdu pdu = make_pdu(cmd::deliver_sm, 123456);
  auto& sm = *pdu.as<ShortMessage>();
  sm.source_addr_ton = 1;
  sm.source_addr_npi = 1;
  sm.source_addr = "15551234567";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = "15550001111";
  sm.short_message = "Hi, is the store open on Sunday? I'd like to pick up my order.";
  return encoded(pdu);
}

std::string receipt_deliver_sm() {
  static const char rid[] = "0870928761";
  static const char state[] = {2};
  Pdu pdu = make_pdu(cmd::deliver_sm, 123457);
  auto& sm = *pdu.as<ShortMessage>();
  sm.source_addr = "15551234567";
  sm.destination_addr = "15550001111";
  sm.esm_class = esm::type_delivery_receipt;
  sm.short_message =
      "id:0870928761 sub:001 dlvrd:001 submit date:2611271030 done date:2611271031 "
      "stat:DELIVRD err:000 text:On its way!";
  sm.tlvs.push_back(Tlv{tag::receipted_message_id, std::string_view(rid, sizeof rid)});
  sm.tlvs.push_back(Tlv{tag::message_state, std::string_view(state, 1)});
  return encoded(pdu);
}

/// Decodes one frame over and over: an MO text or a delivery receipt.
void BM_Decode(benchmark::State& state, std::string (*make_frame)()) {
  const std::string frame = make_frame();
  Pdu pdu;
  for (auto _ : state) {
    auto error = decode(frame, pdu);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(pdu);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_Decode, mo_deliver_sm, mo_deliver_sm);
BENCHMARK_CAPTURE(BM_Decode, delivery_receipt, receipt_deliver_sm);

void BM_EncodeSubmitSm(benchmark::State& state) {
  Pdu pdu = make_pdu(cmd::submit_sm, 1);
  auto& sm = *pdu.as<ShortMessage>();
  sm.source_addr_ton = 1;
  sm.source_addr_npi = 1;
  sm.source_addr = "15550001111";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = "15551234567";
  sm.registered_delivery = 1;
  sm.short_message = "Thanks! Your order is ready for pickup until 6pm. Reply STOP to opt out.";
  std::string buffer;
  buffer.reserve(512);
  for (auto _ : state) {
    buffer.clear();
    auto error = encode(pdu, buffer);
    benchmark::DoNotOptimize(error);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeSubmitSm);

void BM_FrameAndDecodeStream(benchmark::State& state) {
  // 64 PDUs back to back in one buffer, as one read delivers them.
  std::string stream;
  const std::string one = mo_deliver_sm();
  for (int i = 0; i < 64; ++i) stream += one;
  Pdu pdu;
  for (auto _ : state) {
    std::string_view rest = stream;
    while (true) {
      auto check = check_frame(rest);
      if (check.kind != FrameCheck::Kind::ready) break;
      auto error = decode(rest.substr(0, check.length), pdu);
      benchmark::DoNotOptimize(error);
      rest.remove_prefix(check.length);
    }
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_FrameAndDecodeStream);

}  // namespace

BENCHMARK_MAIN();
