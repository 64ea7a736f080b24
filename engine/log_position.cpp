#include "engine/log_position.hpp"

#include <string>

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

std::string log_key(std::uint32_t partition) {
  std::string key = "log.";
  records::put_be64(key, partition);
  return key;
}

}  // namespace

std::uint64_t applied_log_seq(const Txn& txn, const Store& store, std::uint32_t partition) {
  const auto v = txn.get(store.meta, log_key(partition));
  if (!v || v->size() != 8) return 0;
  return records::get_be64(*v);
}

bool take_log_position(Context& ctx, const LogPosition& pos) {
  if (pos.seq == 0) return true;
  if (applied_log_seq(ctx.txn, ctx.store, pos.partition) >= pos.seq) return false;
  std::string value;
  records::put_be64(value, pos.seq);
  ctx.txn.put(ctx.store.meta, log_key(pos.partition), value);
  return true;
}

}  // namespace twoway::engine
