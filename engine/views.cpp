// Admin views over read transactions (see views.hpp).
#include "engine/views.hpp"

#include <algorithm>

#include "engine/links.hpp"
#include "engine/outbox.hpp"
#include "engine/profiles.hpp"
#include "engine/quiet_hours.hpp"
#include "engine/records.hpp"

namespace twoway::engine {

namespace {

std::size_t clamp_limit(std::size_t limit, std::size_t def) {
  if (limit == 0) return def;
  return std::min(limit, kMaxPage);
}

/// The inbox's view of a profile: one row of the inbox or the waiting list.
InboxRow inbox_row(const Profile& p) {
  InboxRow row;
  row.number = p.number;
  row.name = p.name;
  row.preview = p.last_preview;
  row.time = p.last_inbound;
  row.unread = p.unread;
  row.consent = p.consent;
  row.blocked = p.blocked;
  row.archived = p.archived;
  row.revocation_flagged = p.revocation_flagged_at != 0;
  return row;
}

}  // namespace

InboxPage inbox_page(const Txn& txn, const Store& store, InboxView view, std::string_view cursor,
                     std::size_t limit) {
  limit = clamp_limit(limit, kDefaultInboxPage);
  InboxPage page;
  // Newest first: from the end of the view's database backwards. The cursor is the key of the
  // last row shown; the next page starts at the newest key older than it (also when that row
  // has moved since).
  Cursor c(txn, inbox_db(store, view));
  std::string after;
  bool ok;
  if (cursor.empty()) {
    ok = c.last();
  } else if (records::from_hex(cursor, after) && after.size() == 16) {
    ok = c.seek(after);
    ok = ok ? c.prev() : c.last();
  } else {
    page.bad_cursor = true;
    return page;
  }
  Profile p;
  std::string last_key;
  for (; ok; ok = c.prev()) {
    if (page.rows.size() == limit) {
      page.next_cursor = records::to_hex(last_key);
      break;
    }
    if (!read_profile(txn, store, c.value(), p)) continue;
    InboxRow row = inbox_row(p);
    last_key.assign(c.key());
    row.cursor = records::to_hex(last_key);
    page.rows.push_back(std::move(row));
  }
  return page;
}

ThreadPage thread_page(const Txn& txn, const Store& store, const PhoneNumbers& phones,
                       std::string_view number, std::uint64_t before, std::size_t limit,
                       std::int64_t now) {
  limit = clamp_limit(limit, kDefaultThreadPage);
  ThreadPage page;
  Profile p;
  if (!read_profile(txn, store, number, p)) return page;
  page.found = true;
  ThreadHeader& h = page.header;
  h.number = p.number;
  h.name = p.name;
  h.consent = p.consent;
  h.consent_source = p.consent_source;
  h.consent_since = p.consent_since;
  h.location = p.location;
  h.sending_number = p.sending_number;
  h.blocked = p.blocked;
  h.archived = p.archived;
  h.revocation_flagged_at = p.revocation_flagged_at;
  if (p.first_agent_reply != 0 && p.first_inbound != 0)
    h.response_time_seconds = p.first_agent_reply - p.first_inbound;
  if (!number.empty() && number.front() == '+') {
    h.time_zones = phones.time_zones(number);
    if (!h.time_zones.empty()) h.local_time = local_time_string(h.time_zones.front(), now);
  }

  // The thread is a chain from the newest message backwards; the cursor is the id of the
  // newest message of the next (older) page. A cursor into another thread (or to no message)
  // is refused; a chain that leaves the thread ends the page.
  std::vector<Message> newest_first;
  std::uint64_t id = before != 0 ? before : p.last_message_id;
  while (id != 0) {
    if (newest_first.size() == limit) {
      page.next_cursor = id;
      break;
    }
    Message m;
    if (!read_message(txn, store, id, m) || m.number != p.number) {
      page.bad_cursor = newest_first.empty() && before != 0;
      break;
    }
    id = m.prev;
    newest_first.push_back(std::move(m));
  }
  page.messages.assign(std::make_move_iterator(newest_first.rbegin()),
                       std::make_move_iterator(newest_first.rend()));
  // Short links and their clicks, for the outbound messages that carry any.
  for (const Message& m : page.messages) {
    if (m.direction != Direction::outbound) continue;
    auto links = links_of_message(txn, store, m.id);
    if (!links.empty()) page.links.emplace(m.id, std::move(links));
  }
  return page;
}

InboxPage waiting_page(const Txn& txn, const Store& store, std::int64_t now,
                       std::int64_t waiting_threshold, std::string_view cursor, std::size_t limit) {
  limit = clamp_limit(limit, kDefaultInboxPage);
  InboxPage page;
  // awaiting is keyed by when the wait began, then the number: oldest first. The cursor is the
  // key of the last row shown; the next page starts after it (also when that row has gone).
  Cursor c(txn, store.awaiting);
  std::string after;
  bool ok;
  if (cursor.empty()) {
    ok = c.first();
  } else if (records::from_hex(cursor, after) && after.size() > 8) {
    ok = c.seek(after);
    if (ok && c.key() == after) ok = c.next();
  } else {
    page.bad_cursor = true;
    return page;
  }
  Profile p;
  std::string last_key;
  for (; ok; ok = c.next()) {
    const auto since = static_cast<std::int64_t>(records::get_be64(c.key()));
    if (now - since <= waiting_threshold) break;
    if (page.rows.size() == limit) {
      page.next_cursor = records::to_hex(last_key);
      break;
    }
    if (!read_profile(txn, store, c.key().substr(8), p)) continue;
    InboxRow row = inbox_row(p);
    row.waiting_since = since;
    page.rows.push_back(std::move(row));
    last_key.assign(c.key());
  }
  return page;
}

Stats read_stats(const Txn& txn, const Store& store, std::int64_t now,
                 std::int64_t waiting_threshold) {
  Stats s;
  s.credits_today = read_stat(txn, store, "d" + day_key(now));
  s.credits_month = read_stat(txn, store, "m" + month_key(now));
  s.conversations_answered = read_stat(txn, store, "resp_count");
  if (s.conversations_answered > 0)
    s.average_response_seconds =
        static_cast<std::int64_t>(read_stat(txn, store, "resp_sum") / s.conversations_answered);
  {
    // awaiting is ordered by when the wait began: the ones waiting too long come first.
    Cursor c(txn, store.awaiting);
    constexpr std::uint64_t kMaxCount = 1'000'000;
    for (bool ok = c.first(); ok && s.waiting_over_threshold < kMaxCount; ok = c.next()) {
      const auto since = static_cast<std::int64_t>(records::get_be64(c.key()));
      if (now - since <= waiting_threshold) break;
      ++s.waiting_over_threshold;
    }
  }
  {
    MDB_stat st;
    if (mdb_stat(txn.get(), store.outbox, &st) == 0) s.outbox_due = st.ms_entries;
    Cursor c(txn, store.outbox);
    for (bool ok = c.seek(std::string(1, '\1')); ok && !c.key().empty() && c.key()[0] == 1;
         ok = c.next())
      ++s.outbox_in_flight;
    s.outbox_due -= std::min(s.outbox_due, s.outbox_in_flight);
  }
  return s;
}

}  // namespace twoway::engine
