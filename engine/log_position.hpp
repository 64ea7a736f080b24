// The cluster's inbound log, as the engine sees it: the last position applied per partition,
// kept in `meta` and written in the same transaction as the entry it names, so that an entry
// read twice (a restart, a reader that starts over) is applied once.
#pragma once

#include <cstdint>

#include "engine/context.hpp"
#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// The last sequence applied from `partition` (0: nothing yet).
[[nodiscard]] std::uint64_t applied_log_seq(const Txn& txn, const Store& store,
                                            std::uint32_t partition);
// For an entry at `pos` (pos.seq > 0): false when that position (or a later one) of its
// partition was applied before; else records it as applied in this transaction and returns
// true. Positions without a sequence are always taken and nothing is written.
[[nodiscard]] bool take_log_position(Context& ctx, const LogPosition& pos);

}  // namespace twoway::engine
