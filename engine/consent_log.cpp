// The consent audit trail in LMDB (see consent_log.hpp).
#include "engine/consent_log.hpp"

#include <algorithm>

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

constexpr std::size_t kCursorBytes = 16;  // a consent_log key: time(8) id(8)

bool in_range(std::int64_t time, std::int64_t since, std::int64_t until) {
  return time >= since && (until == 0 || time < until);
}

bool read_entry(std::string_view key, std::string_view value, ConsentLogEntry& e) {
  e.time = static_cast<std::int64_t>(records::get_be64(key, 0));
  e.id = records::get_be64(key, 8);
  return records::decode(value, e);
}

}  // namespace

std::string bounded(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  // Back off continuation bytes so the cut never splits a character.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

void append_consent_log(Context& ctx, ConsentLogEntry& entry) {
  entry.id = ctx.next_consent_log_id();
  const records::Key key = records::consent_log_key(entry.time, entry.id);
  records::encode(entry, ctx.scratch);
  ctx.txn.insert_new(ctx.store.consent_log, key, ctx.scratch);
  std::string time;
  records::put_be64(time, static_cast<std::uint64_t>(entry.time < 0 ? 0 : entry.time));
  ctx.txn.insert_new(ctx.store.consent_num, records::consent_num_key(entry.number, entry.id), time);
}

ConsentLogPage consent_log_page(const Txn& txn, const Store& store, std::string_view number,
                                std::int64_t since, std::int64_t until, std::string_view after,
                                std::size_t limit) {
  limit = limit == 0 ? kDefaultConsentLogPage : std::min(limit, kMaxConsentLogPage);
  since = std::max<std::int64_t>(since, 0);
  ConsentLogPage page;
  std::string after_key;
  if (!after.empty() &&
      !(records::from_hex(after, after_key) && after_key.size() == kCursorBytes)) {
    page.bad_cursor = true;
    return page;
  }
  std::string last_key;
  ConsentLogEntry e;

  if (number.empty()) {
    // The whole log in time order: one scan from `since` (or just past the cursor).
    Cursor c(txn, store.consent_log);
    const records::Key from = records::consent_log_key(since, 0);
    bool ok;
    if (!after_key.empty() && std::string_view(after_key) >= from.view()) {
      ok = c.seek(after_key);
      if (ok && c.key() == after_key) ok = c.next();
    } else {
      ok = c.seek(from);
    }
    for (; ok; ok = c.next()) {
      const auto time = static_cast<std::int64_t>(records::get_be64(c.key(), 0));
      if (until != 0 && time >= until) break;
      if (page.rows.size() == limit) {
        page.next_cursor = records::to_hex(last_key);
        break;
      }
      if (!read_entry(c.key(), c.value(), e)) continue;
      page.rows.push_back(e);
      last_key.assign(c.key());
    }
    return page;
  }

  // One number's entries in the order they were written (ids increase), filtered by time.
  const std::uint64_t after_id = after_key.empty() ? 0 : records::get_be64(after_key, 8);
  Cursor c(txn, store.consent_num);
  const records::Key from = records::consent_num_key(number, after_id == 0 ? 0 : after_id + 1);
  const std::size_t key_size = number.size() + 9;
  for (bool ok = c.seek(from); ok; ok = c.next()) {
    const std::string_view k = c.key();
    if (k.size() != key_size || k.substr(0, number.size()) != number || k[number.size()] != '\0')
      break;
    const auto time = static_cast<std::int64_t>(records::get_be64(c.value(), 0));
    if (!in_range(time, since, until)) continue;
    if (page.rows.size() == limit) {
      page.next_cursor = records::to_hex(last_key);
      break;
    }
    const records::Key log_key =
        records::consent_log_key(time, records::get_be64(k, number.size() + 1));
    const auto value = txn.get(store.consent_log, log_key);
    if (!value || !read_entry(log_key, *value, e)) continue;
    page.rows.push_back(e);
    last_key.assign(log_key.view());
  }
  return page;
}

}  // namespace twoway::engine
