// Profiles and threads inside a write transaction: load/create/save a profile while keeping the
// inbox and awaiting-answer indexes in step, and append/load/save thread messages.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/context.hpp"
#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// A profile being edited; remembers where it was indexed so save() can move the index entries.
struct ProfileEdit {
  Profile p;
  bool existed = false;
  // Index positions at load time.
  bool had_inbox = false;
  bool had_unread = false;
  bool had_archived = false;
  std::int64_t old_inbound = 0;
  std::uint64_t old_order = 0;
  std::int64_t old_awaiting = 0;
  std::int64_t old_flagged_at = 0;
  std::uint64_t old_flagged_message = 0;
  // When set (the inbound path), the profile is read through this cursor on `profiles` and,
  // if it existed, written back at the cursor's position without a second search.
  Cursor* cursor = nullptr;
  bool at_cursor = false;
};

// The database of an inbox view.
[[nodiscard]] inline MDB_dbi inbox_db(const Store& store, InboxView view) noexcept {
  switch (view) {
    case InboxView::unread:
      return store.inbox_unread;
    case InboxView::archived:
      return store.inbox_archived;
    case InboxView::flagged:
      return store.flagged;
    case InboxView::inbox:
      break;
  }
  return store.inbox_all;
}

// Reads a profile in any transaction; false when absent.
[[nodiscard]] bool read_profile(const Txn& txn, const Store& store, std::string_view number,
                                Profile& out);

// Loads the profile for editing; false when absent (edit.p is then a blank with the number).
[[nodiscard]] bool load_profile(Context& ctx, std::string_view number, ProfileEdit& edit);
// Loads or creates (with region and location from the phone library) the profile.
void load_or_create_profile(Context& ctx, std::string_view number, std::int64_t now,
                            ProfileEdit& edit);
// Writes the profile and moves its inbox / awaiting index entries.
void save_profile(Context& ctx, ProfileEdit& edit);

// Appends a message to the profile's thread (assigns seq and id, links it to the thread's
// previous message, updates preview/time); the profile must be saved afterwards.
std::uint64_t append_message(Context& ctx, Profile& p, Message& m);
// Reads a message by its id (number, seq and prev come with it).
[[nodiscard]] bool read_message(const Txn& txn, const Store& store, std::uint64_t id, Message& out);
// Writes the message under its id (set by append_message or read_message).
void write_message(Context& ctx, const Message& m);

// Moves messages stored in the layout before message ids (keyed number + seq) to the id-keyed
// log: ids in thread order, chains, each profile's newest message, and the message ids of the
// outbox and receipt index entries that point at them. Returns how many messages moved (0 for
// a store already in the new layout). Runs inside the caller's write transaction.
std::size_t migrate_legacy_messages(Txn& txn, const Store& store, Counters& counters);
// Moves inbox entries of the layout before per-view databases (one database, newest first) to
// the per-view databases. Returns how many moved.
std::size_t migrate_legacy_inbox(Txn& txn, const Store& store);

// The short preview shown in the inbox row (first 80 bytes, cut on a UTF-8 boundary).
std::string make_preview(std::string_view text);

}  // namespace twoway::engine
