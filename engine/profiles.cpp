// Profile and thread primitives with index maintenance (see profiles.hpp).
#include "engine/profiles.hpp"

#include <map>
#include <utility>
#include <vector>

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

constexpr std::string_view kCounterKey = "counters";

bool in_inbox_view(const Profile& p) {
  return p.in_inbox && !p.blocked && !p.archived;
}
bool in_archived_view(const Profile& p) {
  return p.in_inbox && !p.blocked && p.archived;
}

void remember_positions(ProfileEdit& e) {
  e.had_inbox = in_inbox_view(e.p);
  e.had_unread = e.had_inbox && e.p.unread > 0;
  e.had_archived = in_archived_view(e.p);
  e.old_inbound = e.p.last_inbound;
  e.old_order = e.p.inbox_order;
  e.old_awaiting = e.p.blocked ? 0 : e.p.awaiting_since;
  e.old_flagged_at = e.p.revocation_flagged_at;
  e.old_flagged_message = e.p.revocation_message_id;
}

}  // namespace

Counters load_counters(const Txn& txn, const Store& store) {
  Counters c;
  if (auto v = txn.get(store.meta, kCounterKey)) {
    records::Reader r(*v);
    if (r.u8() != 0) {
      c.next_outbox_id = r.varint(1);
      c.next_inbox_order = r.varint(1);
      c.next_message_id = r.varint(1);
      c.next_consent_log_id = r.varint(1);
    }
  }
  return c;
}

void save_counters(Txn& txn, const Store& store, Counters& counters) {
  if (!counters.dirty) return;
  std::string buf;
  records::Writer w(buf);
  w.u8(records::kSchemaVersion);
  w.varint(counters.next_outbox_id);
  w.varint(counters.next_inbox_order);
  w.varint(counters.next_message_id);
  w.varint(counters.next_consent_log_id);
  w.finish();
  txn.put(store.meta, kCounterKey, buf);
  counters.dirty = false;
}

bool read_profile(const Txn& txn, const Store& store, std::string_view number, Profile& out) {
  if (number.empty()) return false;
  auto v = txn.get(store.profiles, number);
  if (!v) return false;
  if (!records::decode(*v, out)) return false;
  out.number.assign(number);
  return true;
}

bool load_profile(Context& ctx, std::string_view number, ProfileEdit& edit) {
  // Every field of edit is set here, so an edit reused from an earlier message starts clean.
  if (edit.cursor != nullptr) {
    edit.existed = !number.empty() && edit.cursor->find(number) &&
                   records::decode(edit.cursor->value(), edit.p);
    if (edit.existed) edit.p.number.assign(number);
    edit.at_cursor = edit.existed;
  } else {
    edit.existed = read_profile(ctx.txn, ctx.store, number, edit.p);
    edit.at_cursor = false;
  }
  if (!edit.existed) {
    edit.p = Profile{};
    edit.p.number = std::string(number);
  }
  remember_positions(edit);
  return edit.existed;
}

void load_or_create_profile(Context& ctx, std::string_view number, std::int64_t now,
                            ProfileEdit& edit) {
  if (load_profile(ctx, number, edit)) return;
  edit.p.created = now;
  if (!number.empty() && number.front() == '+') {
    auto place = ctx.phones.place(number);
    edit.p.region = std::move(place.region);
    edit.p.location = std::move(place.location);
  }
}

void save_profile(Context& ctx, ProfileEdit& edit) {
  Profile& p = edit.p;
  records::encode(p, ctx.scratch);
  if (edit.at_cursor)
    edit.cursor->put_current(p.number, ctx.scratch);
  else
    ctx.txn.put(ctx.store.profiles, p.number, ctx.scratch);

  // Inbox views: delete the old positions, write the new ones (only where they changed).
  const bool now_inbox = in_inbox_view(p);
  const bool now_unread = now_inbox && p.unread > 0;
  const bool now_archived = in_archived_view(p);
  const bool moved = p.last_inbound != edit.old_inbound || p.inbox_order != edit.old_order;
  const auto fix = [&](InboxView view, bool had, bool has) {
    const MDB_dbi db = inbox_db(ctx.store, view);
    if (had && (!has || moved))
      ctx.txn.del(db, records::inbox_key(edit.old_inbound, edit.old_order));
    // A conversation moving to the top is the newest key: usually an append.
    if (has && (!had || moved))
      ctx.txn.append(db, records::inbox_key(p.last_inbound, p.inbox_order), p.number);
  };
  fix(InboxView::inbox, edit.had_inbox, now_inbox);
  fix(InboxView::unread, edit.had_unread, now_unread);
  fix(InboxView::archived, edit.had_archived, now_archived);

  const std::int64_t awaiting = p.blocked ? 0 : p.awaiting_since;
  if (awaiting != edit.old_awaiting) {
    if (edit.old_awaiting != 0)
      ctx.txn.del(ctx.store.awaiting, records::awaiting_key(edit.old_awaiting, p.number));
    if (awaiting != 0)
      ctx.txn.put(ctx.store.awaiting, records::awaiting_key(awaiting, p.number), {});
  }
  // The flagged view: conversations whose text may revoke consent, by when they were flagged.
  if (p.revocation_flagged_at != edit.old_flagged_at ||
      p.revocation_message_id != edit.old_flagged_message) {
    if (edit.old_flagged_at != 0)
      ctx.txn.del(ctx.store.flagged,
                  records::inbox_key(edit.old_flagged_at, edit.old_flagged_message));
    if (p.revocation_flagged_at != 0)
      ctx.txn.put(ctx.store.flagged,
                  records::inbox_key(p.revocation_flagged_at, p.revocation_message_id), p.number);
  }
  edit.existed = true;
  remember_positions(edit);
}

std::string make_preview(std::string_view text) {
  constexpr std::size_t kMax = 80;
  if (text.size() <= kMax) return std::string(text);
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

std::uint64_t append_message(Context& ctx, Profile& p, Message& m) {
  m.number = p.number;
  m.seq = p.next_seq++;
  // Messages are keyed by a store-wide increasing id, so a batch of inbound from many senders
  // appends to the end of one B-tree instead of touching a page in each sender's thread. The
  // thread is a chain from the profile's newest message backwards.
  m.id = ctx.next_message_id();
  m.prev = p.last_message_id;
  p.last_message_id = m.id;
  p.last_message_at = m.created;
  p.last_preview = make_preview(m.text);
  // The newest id is the greatest key: append (no search; a third of a put's instructions).
  records::encode(m, ctx.scratch);
  ctx.txn.insert_new(ctx.store.messages, records::message_key(m.id), ctx.scratch);
  return m.seq;
}

bool read_message(const Txn& txn, const Store& store, std::uint64_t id, Message& out) {
  if (id == 0) return false;
  auto v = txn.get(store.messages, records::message_key(id));
  if (!v) return false;
  out.number.clear();
  out.seq = 0;
  out.id = id;
  return records::decode(*v, out);
}

std::size_t migrate_legacy_messages(Txn& txn, const Store& store, Counters& counters) {
  // Ids continue after the greatest in use, whatever the counters say (they may come from a
  // build that did not keep this counter).
  {
    Cursor c(txn, store.messages);
    if (c.last()) {
      const std::uint64_t last = records::get_be64(c.key());
      if (counters.next_message_id <= last) {
        counters.next_message_id = last + 1;
        counters.dirty = true;
      }
    }
  }
  std::size_t moved = 0;
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> outbound_ids;
  std::map<std::string, std::uint64_t> newest;  // number -> id of its newest message
  std::string buf;
  {
    // Key order is number, then seq: each thread comes oldest first, so its chain is built
    // while walking.
    Cursor c(txn, store.legacy_messages);
    for (bool ok = c.first(); ok; ok = c.next()) {
      Message m;
      if (!records::parse_legacy_message_key(c.key(), m.number, m.seq)) continue;
      if (!records::decode(c.value(), m)) continue;
      m.id = counters.next_message_id++;
      auto& last = newest[m.number];
      m.prev = last;
      last = m.id;
      if (m.direction == Direction::outbound) outbound_ids[{m.number, m.seq}] = m.id;
      records::encode(m, buf);
      txn.insert_new(store.messages, records::message_key(m.id), buf);
      ++moved;
    }
  }
  if (moved == 0) return 0;
  counters.dirty = true;
  for (const auto& [number, id] : newest) {
    Profile p;
    if (!read_profile(txn, store, number, p)) continue;
    p.last_message_id = id;
    records::encode(p, buf);
    txn.put(store.profiles, number, buf);
  }
  const auto id_of = [&](const std::string& number, std::uint64_t seq) -> std::uint64_t {
    auto it = outbound_ids.find({number, seq});
    return it == outbound_ids.end() ? 0 : it->second;
  };
  // Outbox entries and receipt-index targets point at their moved messages.
  const auto link = [&](MDB_dbi dbi, auto record) {
    std::vector<std::pair<std::string, std::string>> rewrites;
    {
      Cursor c(txn, dbi);
      for (bool ok = c.first(); ok; ok = c.next()) {
        auto r = record;
        if (!records::decode(c.value(), r) || r.message_id != 0) continue;
        r.message_id = id_of(r.number, r.seq);
        records::encode(r, buf);
        rewrites.emplace_back(std::string(c.key()), buf);
      }
    }
    for (const auto& [k, v] : rewrites) txn.put(dbi, k, v);
  };
  link(store.outbox, records::OutboxRecord{});
  link(store.dlr_index, records::DlrTarget{});
  const int rc = mdb_drop(txn.get(), store.legacy_messages, 0);  // empty it, keep the name
  if (rc != 0) throw StorageError(std::string("mdb_drop: ") + mdb_strerror(rc), rc);
  return moved;
}

std::size_t migrate_legacy_inbox(Txn& txn, const Store& store) {
  std::vector<std::pair<std::string, std::string>> entries;
  {
    Cursor c(txn, store.legacy_inbox);
    for (bool ok = c.first(); ok; ok = c.next())
      if (c.key().size() == 17) entries.emplace_back(c.key(), c.value());
  }
  if (entries.empty()) return 0;
  for (const auto& [key, number] : entries) {
    InboxView view{};
    std::int64_t time = 0;
    std::uint64_t order = 0;
    if (!records::parse_legacy_inbox_key(key, view, time, order)) continue;
    txn.put(inbox_db(store, view), records::inbox_key(time, order), number);
  }
  const int rc = mdb_drop(txn.get(), store.legacy_inbox, 0);
  if (rc != 0) throw StorageError(std::string("mdb_drop: ") + mdb_strerror(rc), rc);
  return entries.size();
}

void write_message(Context& ctx, const Message& m) {
  records::encode(m, ctx.scratch);
  ctx.txn.put(ctx.store.messages, records::message_key(m.id), ctx.scratch);
}

}  // namespace twoway::engine
