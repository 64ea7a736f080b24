// Profile and thread primitives with index maintenance (see profiles.hpp).
#include "engine/profiles.hpp"

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
}

}  // namespace

Counters load_counters(const Txn& txn, const Store& store) {
  Counters c;
  if (auto v = txn.get(store.meta, kCounterKey)) {
    records::Reader r(*v);
    if (r.u8() != 0) {
      c.next_outbox_id = r.varint(1);
      c.next_inbox_order = r.varint(1);
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
  txn.put(store.meta, kCounterKey, buf);
  counters.dirty = false;
}

bool read_profile(const Txn& txn, const Store& store, std::string_view number, Profile& out) {
  if (number.empty()) return false;
  auto v = txn.get(store.profiles, number);
  if (!v) return false;
  if (!records::decode(*v, out)) return false;
  out.number = std::string(number);
  return true;
}

bool load_profile(Context& ctx, std::string_view number, ProfileEdit& edit) {
  edit = ProfileEdit{};
  edit.existed = read_profile(ctx.txn, ctx.store, number, edit.p);
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
    edit.p.region = ctx.phones.region_code(number);
    edit.p.location = ctx.phones.location(number);
  }
}

void save_profile(Context& ctx, ProfileEdit& edit) {
  Profile& p = edit.p;
  records::encode(p, ctx.scratch);
  ctx.txn.put(ctx.store.profiles, p.number, ctx.scratch);

  // Inbox views: delete the old positions, write the new ones (only where they changed).
  const bool now_inbox = in_inbox_view(p);
  const bool now_unread = now_inbox && p.unread > 0;
  const bool now_archived = in_archived_view(p);
  const bool moved = p.last_inbound != edit.old_inbound || p.inbox_order != edit.old_order;
  const auto fix = [&](InboxView view, bool had, bool has) {
    if (had && (!has || moved))
      ctx.txn.del(ctx.store.inbox, records::inbox_key(view, edit.old_inbound, edit.old_order));
    if (has && (!had || moved))
      ctx.txn.put(ctx.store.inbox, records::inbox_key(view, p.last_inbound, p.inbox_order),
                  p.number);
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
  p.last_message_at = m.created;
  p.last_preview = make_preview(m.text);
  write_message(ctx, m);
  return m.seq;
}

bool read_message(const Txn& txn, const Store& store, std::string_view number, std::uint64_t seq,
                  Message& out) {
  auto v = txn.get(store.messages, records::message_key(number, seq));
  if (!v) return false;
  out.number = std::string(number);
  out.seq = seq;
  return records::decode(*v, out);
}

void write_message(Context& ctx, const Message& m) {
  records::encode(m, ctx.scratch);
  ctx.txn.put(ctx.store.messages, records::message_key(m.number, m.seq), ctx.scratch);
}

}  // namespace twoway::engine
