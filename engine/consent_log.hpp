// The consent audit trail: every consent change and every attempt the consent lock refused,
// appended in the change's own write transaction, and read back in pages by time range or by
// number on read transactions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/context.hpp"
#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

inline constexpr std::size_t kDefaultConsentLogPage = 100;
inline constexpr std::size_t kMaxConsentLogPage = 1000;

// At most `max` bytes of `s`, cut on a UTF-8 boundary.
[[nodiscard]] std::string bounded(std::string_view s, std::size_t max);

// Gives the entry the next log id and stores it with its number index entry.
void append_consent_log(Context& ctx, ConsentLogEntry& entry);

// Entries with since <= time < until (until 0: no end), oldest first: by time then id for the
// whole log, in the order they were written for one number (`number` not empty). `after` is
// the next_cursor of the previous page ("" for the first); one that is not a cursor of this
// log gives a page with bad_cursor set and no rows. `limit` 0 means the default page size;
// larger than kMaxConsentLogPage means that.
[[nodiscard]] ConsentLogPage consent_log_page(const Txn& txn, const Store& store,
                                              std::string_view number, std::int64_t since,
                                              std::int64_t until, std::string_view after,
                                              std::size_t limit);

}  // namespace twoway::engine
