// Durable reassembly parts: a part that waits for its siblings is stored (and only then
// acknowledged), removed in the same transaction as the message it completes, and handed back
// to the reassembler after a restart.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/context.hpp"
#include "smpp/reassembly.hpp"

namespace twoway::engine {

inline constexpr std::size_t kMaxPartialBytes = 64 * 1024;

// Stores a part; false (nothing stored) when it is larger than kMaxPartialBytes.
[[nodiscard]] bool store_partial(Context& ctx, const smpp::StoredPart& part);
void drop_partial(Context& ctx, const PartKey& key);
// Every stored part, oldest first (at most `limit`).
[[nodiscard]] std::vector<smpp::StoredPart> read_partials(const Txn& txn, const Store& store,
                                                          std::size_t limit);
// The stored parts among `keys`, in the order of `keys` (those not stored are skipped).
[[nodiscard]] std::vector<smpp::StoredPart> read_partials(const Txn& txn, const Store& store,
                                                          std::span<const PartKey> keys);

}  // namespace twoway::engine
