// The views the admin socket serves, each one range scan in a read transaction: inbox pages
// (inbox / unread / archived) with a cursor, thread pages with a header, and totals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/phone.hpp"
#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

inline constexpr std::size_t kDefaultInboxPage = 10;
inline constexpr std::size_t kDefaultThreadPage = 50;
inline constexpr std::size_t kMaxPage = 500;

// Conversations newest inbound first. `cursor` is the next_cursor of the previous page ("" for
// the first page); anything else sets bad_cursor and gives no rows.
[[nodiscard]] InboxPage inbox_page(const Txn& txn, const Store& store, InboxView view,
                                   std::string_view cursor, std::size_t limit);

// The last `limit` messages before `before` (0 = the newest), oldest first, with the header.
// A `before` that is not a message of this thread sets bad_cursor and gives no messages.
[[nodiscard]] ThreadPage thread_page(const Txn& txn, const Store& store, const PhoneNumbers& phones,
                                     std::string_view number, std::uint64_t before,
                                     std::size_t limit, std::int64_t now);

// Conversations whose free text has waited for an answer longer than `waiting_threshold`
// seconds (what Stats::waiting_over_threshold counts), oldest wait first. `cursor` is the
// next_cursor of the previous page ("" for the first); anything else sets bad_cursor.
[[nodiscard]] InboxPage waiting_page(const Txn& txn, const Store& store, std::int64_t now,
                                     std::int64_t waiting_threshold, std::string_view cursor,
                                     std::size_t limit);

// Credits today and this month (UTC), response times, conversations waiting longer than
// `waiting_threshold`, outbox sizes.
[[nodiscard]] Stats read_stats(const Txn& txn, const Store& store, std::int64_t now,
                               std::int64_t waiting_threshold);

}  // namespace twoway::engine
