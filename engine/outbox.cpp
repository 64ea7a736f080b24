// The durable outbox, submission bookkeeping and delivery receipts (see outbox.hpp).
#include "engine/outbox.hpp"

#include <algorithm>
#include <optional>

#include "engine/frequency_caps.hpp"
#include "engine/links.hpp"
#include "engine/log_position.hpp"
#include "engine/quiet_hours.hpp"
#include "engine/records.hpp"
#include "smpp/receipt.hpp"
#include "smpp/segment.hpp"

namespace twoway::engine {

namespace {

TextEncoding map_encoding(smpp::TextEncoding e) {
  switch (e) {
    case smpp::TextEncoding::ucs2:
      return TextEncoding::ucs2;
    case smpp::TextEncoding::latin1:
      return TextEncoding::latin1;
    default:
      return TextEncoding::gsm7;
  }
}

bool load_outbox(Context& ctx, std::uint64_t id, std::string& key, records::OutboxRecord& rec) {
  auto k = ctx.txn.get(ctx.store.outbox_ids, records::outbox_id_key(id));
  if (!k) return false;
  key.assign(*k);
  auto v = ctx.txn.get(ctx.store.outbox, key);
  if (!v) return false;
  return records::decode(*v, rec);
}

void put_outbox(Context& ctx, const records::OutboxRecord& rec) {
  const records::Key key = records::outbox_key(rec.in_flight, rec.due, rec.id);
  records::encode(rec, ctx.scratch);
  ctx.txn.put(ctx.store.outbox, key, ctx.scratch);
  ctx.txn.put(ctx.store.outbox_ids, records::outbox_id_key(rec.id), key);
}

// Removes the entry and both its indexes.
void drop_outbox(Context& ctx, std::string_view key, const records::OutboxRecord& rec) {
  ctx.txn.del(ctx.store.outbox, key);
  ctx.txn.del(ctx.store.outbox_ids, records::outbox_id_key(rec.id));
  ctx.txn.del(ctx.store.outbox_num, records::outbox_num_key(rec.number, rec.id));
}

void emit(Context& ctx, EventType type, const Message& m, std::int64_t time,
          std::string detail = {}) {
  Event e;
  e.type = type;
  e.number = m.number;
  e.seq = m.seq;
  e.kind = m.kind;
  e.state = m.state;
  e.time = time;
  e.detail = std::move(detail);
  e.text = m.text;
  e.segments = m.segments;
  e.encoding = m.encoding;
  ctx.events.push_back(std::move(e));
}

std::int64_t civil_days(std::int64_t unix_time, int& y, unsigned& m, unsigned& d) {
  // Days since 1970-01-01 to a proleptic Gregorian date (UTC).
  std::int64_t z = unix_time / 86400;
  if (unix_time % 86400 < 0) --z;
  const std::int64_t days = z;
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0));
  return days;
}

std::string digits(int v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

void account_credits(Context& ctx, const Message& m, std::int64_t now) {
  if (m.credits == 0) return;
  add_stat(ctx, "d" + day_key(now), m.credits);
  add_stat(ctx, "m" + month_key(now), m.credits);
}

enum class Recheck { send, cancel, hold };

bool is_capped_kind(MessageKind kind) {
  return kind == MessageKind::campaign || kind == MessageKind::flow;
}

// Invariant 2 and 5 at the last moment: the same transaction that hands the message to the
// sending side re-reads consent and blocking; campaign and flow messages also wait for quiet
// hours and for room under the number's frequency cap (counted from what was handed over).
Recheck recheck(Context& ctx, const Profile& p, const Message& m, const records::OutboxRecord& rec,
                std::int64_t now, std::int64_t& hold_until, const char*& reason) {
  if (p.blocked) {
    reason = "blocked";
    return Recheck::cancel;
  }
  switch (m.kind) {
    case MessageKind::agent_reply:
    case MessageKind::campaign:
    case MessageKind::flow:
      if (p.consent != Consent::subscribed) {
        reason = "not_subscribed";
        return Recheck::cancel;
      }
      if (m.kind != MessageKind::agent_reply && p.revocation_flagged_at != 0) {
        reason = "revocation_pending";
        return Recheck::cancel;
      }
      break;
    case MessageKind::keyword_reply:
      if (m.keyword == "opt_out") {
        // Sent at once or not at all: a confirmation that could not leave within the window
        // (SMSC down) would reach the customer long after they wrote STOP.
        if (now - m.created > kOptOutConfirmationWindowSeconds) {
          reason = "confirmation_expired";
          return Recheck::cancel;
        }
        return Recheck::send;
      }
      [[fallthrough]];
    default:
      if (p.consent == Consent::unsubscribed) {
        reason = "unsubscribed";
        return Recheck::cancel;
      }
      break;
  }
  if (is_capped_kind(m.kind)) {
    // A retry keeps the slot its first hand-over took: it is not counted or capped again.
    static const FrequencyCapsConfig kNoCaps{false, {}};
    const FrequencyCapsConfig& caps = rec.attempts == 0 ? ctx.settings->frequency_caps : kNoCaps;
    const CampaignHold hold = campaign_hold(ctx.settings->quiet_hours, caps, ctx.phones, p.number,
                                            p.campaign_sent_at, now);
    if (hold.due > now) {
      hold_until = hold.due;
      reason = hold.reason == "frequency_cap" ? "frequency_cap" : "quiet_hours";
      return Recheck::hold;
    }
  }
  return Recheck::send;
}

// What the sending side gets of a message it takes (claimed, or handed over as it is queued),
// with `text` the message's (moved out of it by a caller that is done with it).
OutboundItem outbound_item(const records::OutboxRecord& rec, const Message& m, std::string text) {
  OutboundItem item;
  item.id = rec.id;
  item.to = rec.number;
  item.from = m.sending_number;
  item.text = std::move(text);
  item.encoding = m.encoding;
  item.segments = m.segments;
  item.kind = m.kind;
  item.attempts = rec.attempts;
  if (std::any_of(m.smsc_ids.begin(), m.smsc_ids.end(),
                  [](const std::string& s) { return !s.empty(); })) {
    item.accepted.reserve(m.smsc_ids.size());
    for (const auto& s : m.smsc_ids) item.accepted.push_back(!s.empty());
  }
  return item;
}

}  // namespace

std::string day_key(std::int64_t unix_time) {
  int y;
  unsigned m, d;
  civil_days(unix_time, y, m, d);
  return digits(y, 4) + digits(static_cast<int>(m), 2) + digits(static_cast<int>(d), 2);
}

std::string month_key(std::int64_t unix_time) {
  int y;
  unsigned m, d;
  civil_days(unix_time, y, m, d);
  return digits(y, 4) + digits(static_cast<int>(m), 2);
}

void add_stat(Context& ctx, std::string_view key, std::uint64_t delta) {
  std::uint64_t v = read_stat(ctx.txn, ctx.store, key) + delta;
  std::string buf;
  records::put_be64(buf, v);
  ctx.txn.put(ctx.store.stats, key, buf);
}

std::uint64_t read_stat(const Txn& txn, const Store& store, std::string_view key) {
  auto v = txn.get(store.stats, key);
  return v ? records::get_be64(*v) : 0;
}

std::string normalize_smsc_id(std::string_view id) {
  std::string out = smpp::canonical_message_id(id.substr(0, 128));
  return out;
}

std::uint64_t enqueue_outbound(Context& ctx, ProfileEdit& edit, const OutboundRequest& req,
                               std::uint64_t* seq_out, Message* stored) {
  Profile& p = edit.p;
  Shortened shortened;
  if (!req.no_shorten && ctx.settings != nullptr)
    shortened = shorten_text(ctx.txn, ctx.store, req.text, ctx.settings->link_shortening, req.now);
  else
    shortened.text = req.text;
  const smpp::SegmentCount count = req.counted != nullptr && shortened.links.empty()
                                       ? *req.counted
                                       : smpp::count_segments(shortened.text);
  std::uint32_t rate = ctx.config.default_credit_rate;
  if (auto it = ctx.config.credit_rates.find(p.region); it != ctx.config.credit_rates.end())
    rate = it->second;

  Message m;
  m.direction = Direction::outbound;
  m.kind = req.kind;
  m.text = std::move(shortened.text);
  m.keyword = req.purpose;
  m.sending_number = req.from;
  m.created = req.now;
  m.state = req.due > req.now ? MessageState::held : MessageState::queued;
  m.state_at = req.now;
  m.encoding = map_encoding(count.encoding);
  m.segments = static_cast<std::uint32_t>(std::max<std::size_t>(count.segments, 1));
  m.credits = m.segments * rate;
  m.smsc_ids.assign(m.segments, std::string());
  m.agent = req.agent;
  m.outbox_id = ctx.next_outbox_id();

  records::OutboxRecord rec;
  rec.id = m.outbox_id;
  rec.number = p.number;
  rec.due = std::max(req.due, req.now);
  rec.kind = req.kind;
  // Handed over at once where the sending side has room and claim_due() would send it now:
  // written in flight, so it is never claimed (nor written a second time to say so).
  bool hand_over = false;
  if (ctx.handoff != nullptr && ctx.handoff_room > 0 && m.state == MessageState::queued &&
      !is_capped_kind(m.kind) && !ctx.replaying) {
    std::int64_t hold_until = 0;
    const char* reason = "";
    hand_over = recheck(ctx, p, m, rec, req.now, hold_until, reason) == Recheck::send;
  }
  if (hand_over) {
    m.state = MessageState::in_flight;
    rec.in_flight = true;
    --ctx.handoff_room;
  }
  // Rebuilding what another node already answered (cluster takeover): the previous owner's
  // mark passed this entry once every message it queued had left its outbox (held ones and
  // campaigns included), or it handed the partition over and sends what its outbox still
  // holds itself; so the message is kept in the thread as sent and never queued here.
  const bool answered_elsewhere =
      ctx.replaying && (m.state == MessageState::queued || m.state == MessageState::held);
  if (answered_elsewhere) m.state = MessageState::sent;
  m.segment_states.assign(m.segments, static_cast<std::uint8_t>(m.state));
  append_message(ctx, p, m);
  store_links(ctx.txn, ctx.store, shortened.links, m.id);
  p.last_outbound = req.now;
  if (answered_elsewhere) {
    emit(ctx, EventType::outbound, m, req.now);
    if (seq_out != nullptr) *seq_out = m.seq;
    if (stored != nullptr) *stored = m;
    return m.outbox_id;
  }

  rec.seq = m.seq;
  rec.message_id = m.id;
  put_outbox(ctx, rec);
  if (hand_over) {
    HandedOver& h = ctx.handoff->emplace_back();
    h.item = outbound_item(rec, m, m.text);
    h.keyword = m.keyword;
    h.created = m.created;
  }
  ctx.txn.put(ctx.store.outbox_num, records::outbox_num_key(p.number, rec.id), {});
  emit(ctx, EventType::outbound, m, req.now);
  if (seq_out != nullptr) *seq_out = m.seq;
  if (stored != nullptr) *stored = m;
  return rec.id;
}

namespace {

// The outbox ids queued or in flight for a number (collected first: callers rewrite the
// databases the cursor walks).
std::vector<std::uint64_t> outbox_ids_of(Context& ctx, std::string_view number) {
  std::string prefix(number);
  prefix.push_back('\0');
  std::vector<std::uint64_t> ids;
  Cursor c(ctx.txn, ctx.store.outbox_num);
  for (bool ok = c.seek(prefix); ok && c.key().starts_with(prefix); ok = c.next())
    ids.push_back(records::get_be64(c.key(), prefix.size()));
  return ids;
}

}  // namespace

std::size_t cancel_outbound_for(Context& ctx, std::string_view number, std::int64_t now,
                                const char* reason, CancelScope scope) {
  std::size_t cancelled = 0;
  for (std::uint64_t id : outbox_ids_of(ctx, number)) {
    std::string key;
    records::OutboxRecord rec;
    if (!load_outbox(ctx, id, key, rec)) {
      ctx.txn.del(ctx.store.outbox_num, records::outbox_num_key(number, id));
      continue;
    }
    if (scope == CancelScope::marketing && rec.kind != MessageKind::campaign &&
        rec.kind != MessageKind::flow)
      continue;
    Message m;
    const bool have_message = read_message(ctx.txn, ctx.store, rec.message_id, m);
    // An opt-out confirmation still waiting is the one the customer must get (a second STOP
    // sends none): it stays, unless it is what is being withdrawn.
    const bool confirmation =
        have_message && m.kind == MessageKind::keyword_reply && m.keyword == "opt_out";
    if (confirmation != (scope == CancelScope::opt_out_confirmation)) continue;
    drop_outbox(ctx, key, rec);
    if (have_message) {
      m.state = MessageState::cancelled;
      m.state_at = now;
      m.error = reason;
      for (auto& s : m.segment_states)
        if (s != static_cast<std::uint8_t>(MessageState::sent))
          s = static_cast<std::uint8_t>(MessageState::cancelled);
      write_message(ctx, m);
      emit(ctx, EventType::outbound, m, now, reason);
    }
    ++cancelled;
  }
  return cancelled;
}

std::vector<std::int64_t> pending_campaign_dues(Context& ctx, std::string_view number) {
  std::vector<std::int64_t> dues;
  for (std::uint64_t id : outbox_ids_of(ctx, number)) {
    std::string key;
    records::OutboxRecord rec;
    if (load_outbox(ctx, id, key, rec) && is_capped_kind(rec.kind) && !rec.in_flight &&
        rec.attempts == 0)
      dues.push_back(rec.due);
  }
  return dues;
}

std::vector<OutboundItem> claim_due(Context& ctx, std::int64_t now, std::size_t limit) {
  std::vector<OutboundItem> out;
  struct Entry {
    std::string key;
    records::OutboxRecord rec;
  };
  std::vector<Entry> due;
  {
    // Collect first: the loop below rewrites keys in the same database.
    Cursor c(ctx.txn, ctx.store.outbox);
    std::string start(1, '\0');
    for (bool ok = c.seek(start); ok && due.size() < limit; ok = c.next()) {
      if (c.key().empty() || c.key()[0] != 0) break;
      if (static_cast<std::int64_t>(records::get_be64(c.key(), 1)) > now) break;
      Entry e;
      e.key.assign(c.key());
      if (!records::decode(c.value(), e.rec)) continue;
      due.push_back(std::move(e));
    }
  }
  ProfileEdit edit;
  for (auto& e : due) {
    Message m;
    const bool have_msg = read_message(ctx.txn, ctx.store, e.rec.message_id, m);
    // Read again for each message: an earlier one to the same number may have changed it.
    const bool have_profile = load_profile(ctx, e.rec.number, edit);
    if (!have_msg || !have_profile) {
      drop_outbox(ctx, e.key, e.rec);
      continue;
    }
    Profile& p = edit.p;
    std::int64_t hold_until = 0;
    const char* reason = "";
    switch (recheck(ctx, p, m, e.rec, now, hold_until, reason)) {
      case Recheck::cancel:
        drop_outbox(ctx, e.key, e.rec);
        m.state = MessageState::cancelled;
        m.state_at = now;
        m.error = reason;
        write_message(ctx, m);
        emit(ctx, EventType::outbound, m, now, reason);
        continue;
      case Recheck::hold:
        ctx.txn.del(ctx.store.outbox, e.key);
        e.rec.due = hold_until;
        put_outbox(ctx, e.rec);
        // A message already held says so again only when the cap (not the clock) holds it.
        if (m.state != MessageState::held || std::string_view(reason) == "frequency_cap") {
          m.state = MessageState::held;
          m.state_at = now;
          write_message(ctx, m);
          emit(ctx, EventType::outbound, m, now, reason);
        }
        continue;
      case Recheck::send:
        break;
    }
    // Handed over: a capped number's history counts it (a retry already counted).
    if (is_capped_kind(m.kind) && e.rec.attempts == 0 &&
        frequency_cap_rule(ctx.settings->frequency_caps, ctx.phones, p.number) != nullptr) {
      record_capped_send(p.campaign_sent_at, now, longest_cap_period(ctx.settings->frequency_caps));
      save_profile(ctx, edit);
    }
    ctx.txn.del(ctx.store.outbox, e.key);
    e.rec.in_flight = true;
    put_outbox(ctx, e.rec);
    m.state = MessageState::in_flight;
    m.state_at = now;
    write_message(ctx, m);
    emit(ctx, EventType::outbound, m, now);
    std::string text = std::move(m.text);
    out.push_back(outbound_item(e.rec, m, std::move(text)));
  }
  return out;
}

std::vector<OutboundItem> confirm_handoff(Context& ctx) {
  std::vector<OutboundItem> out;
  if (ctx.handoff == nullptr) return out;
  out.reserve(ctx.handoff->size());
  ProfileEdit edit;
  for (auto& h : *ctx.handoff) {
    std::string key;
    records::OutboxRecord rec;
    if (!load_outbox(ctx, h.item.id, key, rec) || !rec.in_flight) continue;  // cancelled
    Message m;  // what recheck() reads of it
    m.kind = h.item.kind;
    m.keyword = h.keyword;
    m.created = h.created;
    // Checked as of its queueing (the transaction's clock): only what later items changed
    // can make a difference, and an opt-out confirmation's window is not in question yet.
    const std::int64_t now = h.created;
    std::int64_t hold_until = 0;
    const char* reason = "";
    if (load_profile(ctx, rec.number, edit) &&
        recheck(ctx, edit.p, m, rec, now, hold_until, reason) == Recheck::send) {
      out.push_back(std::move(h.item));
      continue;
    }
    // Back to queued: the next claim cancels it with its reason.
    ctx.txn.del(ctx.store.outbox, key);
    rec.in_flight = false;
    put_outbox(ctx, rec);
    if (read_message(ctx.txn, ctx.store, rec.message_id, m)) {
      m.state = MessageState::queued;
      m.state_at = now;
      for (auto& s : m.segment_states) s = static_cast<std::uint8_t>(MessageState::queued);
      write_message(ctx, m);
      emit(ctx, EventType::outbound, m, now);
    }
  }
  ctx.handoff->clear();
  return out;
}

namespace {

// Removes a held receipt from every key it was held under (where the key still holds it).
void release_held(Context& ctx, const records::HeldReceipt& h) {
  for (const auto& key : smpp::message_id_keys(h.receipt.message_id.substr(0, 128))) {
    const auto v = ctx.txn.get(ctx.store.dlr_early, key);
    records::HeldReceipt other;
    if (v && (!records::decode(*v, other) || other.receipt.message_id == h.receipt.message_id))
      ctx.txn.del(ctx.store.dlr_early, key);
  }
}

// The id `norm` was just recorded: a receipt that came before it applies now.
void apply_held_receipt(Context& ctx, const std::string& norm) {
  const auto v = ctx.txn.get(ctx.store.dlr_early, norm);
  if (!v) return;
  records::HeldReceipt h;
  if (!records::decode(*v, h)) {
    ctx.txn.del(ctx.store.dlr_early, norm);
    return;
  }
  release_held(ctx, h);
  (void)record_receipt(ctx, h.receipt);
}

}  // namespace

bool mark_submitted(Context& ctx, std::uint64_t id, std::uint32_t segment,
                    std::string_view smsc_message_id, std::int64_t now) {
  std::string key;
  records::OutboxRecord rec;
  if (!load_outbox(ctx, id, key, rec) || segment > 255) return false;
  Message m;
  if (!read_message(ctx.txn, ctx.store, rec.message_id, m)) {
    drop_outbox(ctx, key, rec);
    return false;
  }
  if (segment >= m.smsc_ids.size()) {
    m.smsc_ids.resize(segment + 1);
    m.segment_states.resize(segment + 1, static_cast<std::uint8_t>(MessageState::in_flight));
  }
  const std::string norm = normalize_smsc_id(smsc_message_id);
  m.smsc_ids[segment] = norm.empty() ? std::string("-") : norm;  // "-": accepted, no id
  auto& seg_state = m.segment_states[segment];
  if (seg_state != static_cast<std::uint8_t>(MessageState::delivered) &&
      seg_state != static_cast<std::uint8_t>(MessageState::failed))
    seg_state = static_cast<std::uint8_t>(MessageState::sent);
  if (!norm.empty()) {
    records::DlrTarget t{rec.number, rec.seq, segment, now + ctx.config.dlr_expiry_seconds, m.id};
    records::encode(t, ctx.scratch);
    ctx.txn.put(ctx.store.dlr_index, norm, ctx.scratch);
  }
  const bool all = std::none_of(m.smsc_ids.begin(), m.smsc_ids.end(),
                                [](const std::string& s) { return s.empty(); });
  if (all) {
    drop_outbox(ctx, key, rec);
    if (m.state == MessageState::in_flight || m.state == MessageState::queued) {
      m.state = MessageState::sent;
      m.state_at = now;
    }
    account_credits(ctx, m, now);
    emit(ctx, EventType::outbound, m, now);
  }
  write_message(ctx, m);
  if (!norm.empty()) apply_held_receipt(ctx, norm);
  return true;
}

bool mark_failed(Context& ctx, std::uint64_t id, std::string_view error, SubmitFailure failure,
                 std::int64_t now) {
  std::string key;
  records::OutboxRecord rec;
  if (!load_outbox(ctx, id, key, rec)) return false;
  Message m;
  if (!read_message(ctx.txn, ctx.store, rec.message_id, m)) {
    drop_outbox(ctx, key, rec);
    return false;
  }
  m.error = std::string(error.substr(0, 256));
  m.state_at = now;
  ctx.txn.del(ctx.store.outbox, key);
  ++rec.attempts;  // a hand-over happened: a retry keeps its frequency-cap slot
  if (failure == SubmitFailure::transport) {
    // Nobody refused it: back to due, without using up an attempt.
    const std::uint32_t lost = rec.attempts - std::min(rec.refusals, rec.attempts);
    rec.in_flight = false;
    rec.due =
        now + std::min<std::int64_t>(kTransportRetrySeconds << std::min<std::uint32_t>(lost - 1, 4),
                                     kTransportRetryMaxSeconds);
    put_outbox(ctx, rec);
    m.state = MessageState::queued;
  } else if (failure == SubmitFailure::refused_retryable && ++rec.refusals < kMaxAttempts) {
    rec.in_flight = false;
    rec.due = now + (std::max<std::int64_t>(ctx.config.retry_base_seconds, 1)
                     << std::min<std::uint32_t>(rec.refusals - 1, 6));
    put_outbox(ctx, rec);
    m.state = MessageState::queued;
  } else {
    drop_outbox(ctx, key, rec);
    m.state = MessageState::failed;
  }
  write_message(ctx, m);
  emit(ctx, EventType::outbound, m, now, m.error);
  return true;
}

bool record_receipt(Context& ctx, const Receipt& receipt) {
  const std::string norm = normalize_smsc_id(receipt.message_id);
  if (norm.empty()) return false;
  // The SMSC may report the id in another base, case or padding than submit_sm_resp did.
  std::optional<std::string_view> v;
  for (const auto& key : smpp::message_id_keys(receipt.message_id.substr(0, 128))) {
    v = ctx.txn.get(ctx.store.dlr_index, key);
    if (v) break;
  }
  if (!v) return false;
  records::DlrTarget t;
  if (!records::decode(*v, t)) return false;
  Message m;
  if (!read_message(ctx.txn, ctx.store, t.message_id, m)) return false;
  if (t.segment >= m.segment_states.size()) m.segment_states.resize(t.segment + 1, 0);
  MessageState seg = MessageState::sent;
  switch (receipt.state) {
    case ReceiptState::delivered:
      seg = MessageState::delivered;
      break;
    case ReceiptState::failed:
    case ReceiptState::expired:
    case ReceiptState::rejected:
      seg = MessageState::failed;
      break;
    default:
      seg = MessageState::sent;
      break;
  }
  m.segment_states[t.segment] = static_cast<std::uint8_t>(seg);
  const bool any_failed = std::any_of(
      m.segment_states.begin(), m.segment_states.end(),
      [](std::uint8_t s) { return s == static_cast<std::uint8_t>(MessageState::failed); });
  const bool all_delivered = std::all_of(
      m.segment_states.begin(), m.segment_states.end(),
      [](std::uint8_t s) { return s == static_cast<std::uint8_t>(MessageState::delivered); });
  if (any_failed) {
    m.state = MessageState::failed;
    if (!receipt.error.empty()) m.error = receipt.error.substr(0, 256);
  } else if (all_delivered) {
    m.state = MessageState::delivered;
  }
  m.state_at = receipt.time_unix;
  write_message(ctx, m);
  emit(ctx, EventType::receipt, m, receipt.time_unix, m.error);
  return true;
}

std::size_t requeue_in_flight(Context& ctx) {
  std::vector<std::pair<std::string, records::OutboxRecord>> inflight;
  {
    Cursor c(ctx.txn, ctx.store.outbox);
    std::string start(1, '\1');
    for (bool ok = c.seek(start); ok && !c.key().empty() && c.key()[0] == 1; ok = c.next()) {
      records::OutboxRecord rec;
      if (records::decode(c.value(), rec)) inflight.emplace_back(std::string(c.key()), rec);
    }
  }
  for (auto& [key, rec] : inflight) {
    ctx.txn.del(ctx.store.outbox, key);
    rec.in_flight = false;
    put_outbox(ctx, rec);
    Message m;
    if (read_message(ctx.txn, ctx.store, rec.message_id, m) && m.state == MessageState::in_flight) {
      m.state = MessageState::queued;
      write_message(ctx, m);
    }
  }
  return inflight.size();
}

bool receive_receipt(Context& ctx, const Receipt& receipt) {
  if (!take_log_position(ctx, receipt.log)) return true;  // applied before (cluster log)
  if (record_receipt(ctx, receipt)) return true;
  const auto keys = smpp::message_id_keys(receipt.message_id.substr(0, 128));
  if (keys.empty() || ctx.txn.entries(ctx.store.dlr_early) >= kMaxHeldReceipts) return false;
  records::HeldReceipt h;
  h.receipt = receipt;
  h.receipt.message_id = receipt.message_id.substr(0, 128);
  h.receipt.error = receipt.error.substr(0, 256);
  const std::int64_t arrived =
      receipt.received_unix != 0 ? receipt.received_unix : receipt.time_unix;
  h.until = arrived + kReceiptHoldSeconds;
  records::encode(h, ctx.scratch);
  for (const auto& key : keys) ctx.txn.put(ctx.store.dlr_early, key, ctx.scratch);
  return false;
}

void sweep_held_receipts(Context& ctx, std::int64_t now, std::size_t budget) {
  std::vector<std::string> expired;
  {
    Cursor c(ctx.txn, ctx.store.dlr_early);
    for (bool ok = c.first(); ok && expired.size() < budget; ok = c.next()) {
      records::HeldReceipt h;
      if (!records::decode(c.value(), h) || h.until < now) expired.emplace_back(c.key());
    }
  }
  for (const auto& k : expired) ctx.txn.del(ctx.store.dlr_early, k);
}

std::string sweep_dlr_index(Context& ctx, std::int64_t now, std::string resume,
                            std::size_t budget) {
  std::vector<std::string> expired;
  std::string next;
  {
    Cursor c(ctx.txn, ctx.store.dlr_index);
    bool ok = resume.empty() ? c.first() : c.seek(resume);
    for (std::size_t n = 0; ok && n < budget; ok = c.next(), ++n) {
      records::DlrTarget t;
      if (!records::decode(c.value(), t) || t.expires < now) expired.emplace_back(c.key());
    }
    if (ok) next.assign(c.key());
  }
  for (const auto& k : expired) ctx.txn.del(ctx.store.dlr_index, k);
  return next;
}

}  // namespace twoway::engine
