// libFuzzer target for the inbound path: UDH parser, receipt parser, message-id keys, MMS
// subject extraction, and the reassembler (checking that every part's token comes back once).
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "smpp/reassembly.hpp"
#include "smpp/receipt.hpp"
#include "smpp/udh.hpp"

using namespace twoway::smpp;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

/// Reads the input as a stream of parts: [len][esm][dc][flags][addr][dt] + len octets.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool empty() const { return pos_ >= s_.size(); }
  std::uint8_t u8() { return pos_ < s_.size() ? static_cast<std::uint8_t>(s_[pos_++]) : 0; }
  std::string_view take(std::size_t n) {
    n = std::min(n, s_.size() - pos_);
    auto out = s_.substr(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

void fuzz_udh(std::string_view data) {
  Udh udh;
  const UdhStatus st = parse_udh(data, udh);
  if (st == UdhStatus::ok) {
    check(udh.header_length <= data.size());
    check(udh.payload.size() == data.size() - udh.header_length);
    for (const UdhIe& ie : udh.ies) {
      check(ie.data.data() >= data.data() && ie.data.data() + ie.data.size() <= udh.payload.data());
    }
    (void)udh.concat();
    (void)udh.ports();
    (void)udh.single_shift();
    (void)udh.locking_shift();
  } else {
    check(udh.ies.empty());
  }
}

void fuzz_receipt(std::string_view data) {
  const ReceiptInfo text = parse_receipt_text(data);
  check(text.text.size() <= data.size());
  ReceiptFields f;
  const std::size_t cut = data.empty() ? 0 : static_cast<std::uint8_t>(data[0]) % data.size();
  f.short_message = data.substr(cut);
  f.receipted_message_id = data.substr(0, cut);
  if (data.size() > 1) f.message_state = data.substr(1, 1);
  if (data.size() > 4) f.network_error_code = data.substr(2, 3);
  if (auto r = parse_receipt(f)) {
    check(!r->message_id.empty());
    const MessageIdKeys keys = message_id_keys(r->message_id);
    check(!keys.empty() && keys.size() <= 3);
    check(keys.front() == canonical_message_id(r->message_id));
  }
  std::string scratch;
  if (auto r = parse_receipt(f, scratch)) check(!r->message_id.empty());
  (void)message_id_keys(data.substr(0, 40));
  (void)parse_receipt_date(data.substr(0, 14));
}

void fuzz_reassembly(std::string_view data) {
  Cursor c(data);
  ReassemblyConfig config;
  config.timeout_ms = 1 + c.u8() * 10;
  config.max_sets_per_source = 1 + c.u8() % 4;
  config.max_sets_total = 1 + c.u8() % 8;
  config.max_bytes = 256 + c.u8() * 16;
  config.max_recent = c.u8() % 4;
  Reassembler r(config);
  static constexpr std::string_view sources[] = {"1555", "1666", "1777"};
  static constexpr std::string_view smscs[] = {"a", "b"};
  std::uint64_t next_token = 1;
  std::uint64_t returned = 0;
  std::int64_t now = 0;
  auto count = [&returned](const ReassembledMessage& m) {
    returned += m.tokens.size();
    check(m.parts_received <= m.parts_expected || m.parts_expected == 1);
    std::uint32_t previous = 0;
    for (const PartBoundary& b : m.boundaries) {
      check(b.end >= previous && b.end <= m.user_data.size());
      previous = b.end;
    }
    check(m.boundaries.empty() || previous == m.user_data.size());
  };
  std::vector<std::string> buffers;
  int steps = 0;
  while (!c.empty() && steps++ < 200) {
    const std::uint8_t len = c.u8();
    InboundPart p;
    p.esm_class = c.u8();
    p.data_coding = c.u8();
    const std::uint8_t flags = c.u8();
    const std::uint8_t addr = c.u8();
    now += c.u8() * 7;
    p.smsc = smscs[addr & 1];
    p.source_addr = sources[(addr >> 1) % 3];
    p.destination_addr = (addr & 0x80) ? "42" : "43";
    const std::string_view body = c.take(len);
    if (flags & 0x01) {
      p.message_payload = body;
    } else {
      p.short_message = body;
    }
    if (flags & 0x02) {
      p.sar_msg_ref_num = flags >> 4;
      p.sar_total_segments = (addr >> 3) & 0x03;
      p.sar_segment_seqnum = (addr >> 5) & 0x03;
    }
    if (flags & 0x04) p.destination_port = (flags & 0x08) ? 2948 : 9204;
    p.now_ms = now;
    p.token = next_token++;
    AddResult res = r.add(p);
    if (res.outcome == PartOutcome::late_duplicate) ++returned;  // acked directly
    for (const auto& m : res.flushed) count(m);
    if (res.message) count(*res.message);
    check(r.pending() <= config.max_sets_total);
    if (flags & 0x80) {
      for (const auto& m : r.expire(now)) count(m);
    }
  }
  // Round trip through a snapshot: the same parts come back.
  const std::vector<StoredPart> saved = r.snapshot();
  check(saved.size() == r.pending_parts());
  Reassembler copy(config);
  for (const auto& m : copy.restore(saved)) (void)m;
  for (const auto& m : r.expire(std::numeric_limits<std::int64_t>::max())) count(m);
  check(r.pending() == 0 && r.pending_parts() == 0 && r.bytes_held() == 0);
  // Every token comes back exactly once: in a message (duplicates too) or as a late duplicate.
  check(returned == next_token - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz_udh(in);
  fuzz_receipt(in);
  (void)extract_mms_subject(in);
  (void)classify_media(size > 0 ? data[0] : 0, std::nullopt);
  fuzz_reassembly(in);
  return 0;
}
