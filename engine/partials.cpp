// Durable reassembly parts (see partials.hpp).
#include "engine/partials.hpp"

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

// Optional fields: a presence byte then the value.
template <class T>
void put_opt(records::Writer& w, const std::optional<T>& v) {
  w.boolean(v.has_value());
  w.varint(v.has_value() ? static_cast<std::uint64_t>(*v) : 0);
}

template <class T>
std::optional<T> get_opt(records::Reader& r) {
  const bool has = r.boolean();
  const std::uint64_t v = r.varint();
  if (!has) return std::nullopt;
  return static_cast<T>(v);
}

// A stored part; nullopt for an unknown schema or a damaged record.
std::optional<smpp::StoredPart> decode_partial(std::string_view value) {
  records::Reader r(value);
  if (r.u8() == 0) return std::nullopt;
  smpp::StoredPart p;
  p.smsc = r.str();
  p.source_addr = r.str();
  p.destination_addr = r.str();
  p.esm_class = r.u8();
  p.data_coding = r.u8();
  p.short_message = r.str();
  const bool has_payload = r.boolean();
  std::string payload = r.str();
  if (has_payload) p.message_payload = std::move(payload);
  p.sar_msg_ref_num = get_opt<std::uint16_t>(r);
  p.sar_total_segments = get_opt<std::uint8_t>(r);
  p.sar_segment_seqnum = get_opt<std::uint8_t>(r);
  p.destination_port = get_opt<std::uint16_t>(r);
  p.source_port = get_opt<std::uint16_t>(r);
  p.now_ms = r.svarint();
  p.token = r.varint();
  if (!r.ok()) return std::nullopt;
  return p;
}

}  // namespace

bool store_partial(Context& ctx, const smpp::StoredPart& p) {
  const std::size_t size =
      p.short_message.size() + (p.message_payload ? p.message_payload->size() : 0);
  if (size > kMaxPartialBytes) return false;
  std::string buf;
  records::Writer w(buf);
  w.u8(records::kSchemaVersion);
  w.str(p.smsc);
  w.str(p.source_addr);
  w.str(p.destination_addr);
  w.u8(p.esm_class);
  w.u8(p.data_coding);
  w.str(p.short_message);
  w.boolean(p.message_payload.has_value());
  w.str(p.message_payload.value_or(std::string()));
  put_opt(w, p.sar_msg_ref_num);
  put_opt(w, p.sar_total_segments);
  put_opt(w, p.sar_segment_seqnum);
  put_opt(w, p.destination_port);
  put_opt(w, p.source_port);
  w.svarint(p.now_ms);
  w.varint(p.token);
  w.finish();
  ctx.txn.put(ctx.store.partials, records::partial_key(p.now_ms, p.token), buf);
  return true;
}

void drop_partial(Context& ctx, const PartKey& key) {
  ctx.txn.del(ctx.store.partials, records::partial_key(key.now_ms, key.token));
}

std::vector<smpp::StoredPart> read_partials(const Txn& txn, const Store& store, std::size_t limit) {
  std::vector<smpp::StoredPart> out;
  Cursor c(txn, store.partials);
  for (bool ok = c.first(); ok && out.size() < limit; ok = c.next()) {
    if (auto p = decode_partial(c.value())) out.push_back(std::move(*p));
  }
  return out;
}

std::vector<smpp::StoredPart> read_partials(const Txn& txn, const Store& store,
                                            std::span<const PartKey> keys) {
  std::vector<smpp::StoredPart> out;
  out.reserve(keys.size());
  for (const PartKey& key : keys) {
    const auto value = txn.get(store.partials, records::partial_key(key.now_ms, key.token));
    if (!value) continue;
    if (auto p = decode_partial(*value)) out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace twoway::engine
