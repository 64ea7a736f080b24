// The message log export (see export.hpp).
#include "engine/export.hpp"

#include <algorithm>
#include <cstdint>

#include "engine/records.hpp"

namespace twoway::engine {

ExportPage export_page(const Txn& txn, const Store& store, std::int64_t since, std::uint64_t after,
                       std::size_t limit) {
  limit = limit == 0 ? kDefaultExportPage : std::min(limit, kMaxExportPage);
  ExportPage page;
  if (after == UINT64_MAX) return page;
  Cursor c(txn, store.messages);
  bool ok = after == 0 ? c.first() : c.seek(records::message_key(after + 1));
  std::size_t scanned = 0;
  std::uint64_t last_id = after;
  for (; ok; ok = c.next()) {
    if (page.rows.size() == limit || scanned == kMaxExportScan) {
      page.next_after = last_id;
      break;
    }
    ++scanned;
    if (c.key().size() != 8) continue;
    last_id = records::get_be64(c.key());
    ExportRow row;
    if (!records::decode(c.value(), row.message)) continue;
    if (row.message.created < since) continue;
    row.message.id = last_id;
    if (row.message.direction == Direction::outbound && row.message.outbox_id != 0) {
      // outbox_ids: id -> outbox key -> the entry with its attempts.
      if (auto key = txn.get(store.outbox_ids, records::outbox_id_key(row.message.outbox_id))) {
        records::OutboxRecord rec;
        if (auto value = txn.get(store.outbox, *key); value && records::decode(*value, rec)) {
          row.in_outbox = true;
          row.attempts = rec.attempts;
        }
      }
    }
    page.rows.push_back(std::move(row));
  }
  return page;
}

}  // namespace twoway::engine
