// The message log in id order for checkers and exports: every message (inbound and outbound)
// received or created since a time, a page at a time after a cursor, with the outbox's attempt
// count for what is still queued. One read transaction per page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

inline constexpr std::size_t kDefaultExportPage = 500;
inline constexpr std::size_t kMaxExportPage = 5000;
// Messages looked at per page at most (those before `since` are skipped but counted), so one
// call stays short however far back the log goes; the page then ends early with a cursor.
inline constexpr std::size_t kMaxExportScan = 200000;

struct ExportRow {
  Message message;
  bool in_outbox = false;      // still queued, held or in flight
  std::uint32_t attempts = 0;  // submission attempts so far (known while in the outbox)
};

struct ExportPage {
  std::vector<ExportRow> rows;
  std::uint64_t next_after = 0;  // pass as `after` for the next page; 0 = no more
};

// Messages with id > `after` and created >= `since`, in id order (the order they were
// written), at most `limit` (0: kDefaultExportPage; at most kMaxExportPage).
[[nodiscard]] ExportPage export_page(const Txn& txn, const Store& store, std::int64_t since,
                                     std::uint64_t after, std::size_t limit);

}  // namespace twoway::engine
