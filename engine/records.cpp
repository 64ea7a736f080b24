// Encoding and decoding of the engine's LMDB records and keys (see records.hpp for the format).
#include "engine/records.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace twoway::engine::records {

void Writer::grow(std::size_t n) {
  const std::size_t used = p_ == nullptr ? out_.size() : static_cast<std::size_t>(p_ - out_.data());
  out_.resize(std::max({used + n, out_.capacity(), 2 * used}));
  p_ = out_.data() + used;
  end_ = out_.data() + out_.size();
}

std::uint64_t Reader::varint_long(std::uint64_t def) {
  if (pos_ >= in_.size()) return def;
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= in_.size()) {
      ok_ = false;
      return def;
    }
    const auto b = static_cast<std::uint8_t>(in_[pos_++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  ok_ = false;
  pos_ = in_.size();
  return def;
}

std::uint64_t Reader::fixed64(std::uint64_t def) {
  if (pos_ >= in_.size()) return def;
  if (in_.size() - pos_ < 8) {
    ok_ = false;
    pos_ = in_.size();
    return def;
  }
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(in_[pos_ + i]);
  pos_ += 8;
  return v;
}

std::int64_t Reader::svarint(std::int64_t def) {
  if (pos_ >= in_.size()) return def;
  const std::uint64_t z = varint();
  return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::string_view Reader::str_view() {
  if (pos_ >= in_.size()) return {};
  const std::uint64_t n = varint();
  if (n > in_.size() - pos_) {
    ok_ = false;
    pos_ = in_.size();
    return {};
  }
  std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}

std::string Reader::str() {
  return std::string(str_view());
}

namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool from_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0 || hex.size() > 64) return false;
  out.clear();
  const auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

void put_be64(std::string& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

std::uint64_t get_be64(std::string_view in, std::size_t pos) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && pos + i < in.size(); ++i)
    v = (v << 8) | static_cast<std::uint8_t>(in[pos + i]);
  return v;
}

Key& Key::byte(std::uint8_t v) {
  if (size_ >= kCapacity) throw std::length_error("key too long");
  buf_[size_++] = static_cast<char>(v);
  return *this;
}

Key& Key::be64(std::uint64_t v) {
  if (kCapacity - size_ < 8) throw std::length_error("key too long");
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(buf_ + size_, &v, 8);
  size_ += 8;
  return *this;
}

Key& Key::bytes(std::string_view s) {
  if (kCapacity - size_ < s.size()) throw std::length_error("key too long");
  std::memcpy(buf_ + size_, s.data(), s.size());
  size_ += s.size();
  return *this;
}

namespace {

// id(8): the message log and the outbox's id index.
Key id_key(std::uint64_t id) {
  Key k;
  k.be64(id);
  return k;
}

// number \0 n(8): the earlier message layout and the outbox's number index.
Key number_key(std::string_view number, std::uint64_t n) {
  Key k;
  k.bytes(number).byte(0).be64(n);
  return k;
}

}  // namespace

Key message_key(std::uint64_t id) {
  return id_key(id);
}

Key legacy_message_key(std::string_view number, std::uint64_t seq) {
  return number_key(number, seq);
}

bool parse_legacy_message_key(std::string_view key, std::string& number, std::uint64_t& seq) {
  if (key.size() < 10 || key[key.size() - 9] != '\0') return false;
  number.assign(key.substr(0, key.size() - 9));
  seq = get_be64(key, key.size() - 8);
  return true;
}

Key inbox_key(std::int64_t time, std::uint64_t order) {
  Key k;
  k.be64(static_cast<std::uint64_t>(time < 0 ? 0 : time)).be64(order);
  return k;
}

Key legacy_inbox_key(InboxView view, std::int64_t time, std::uint64_t order) {
  Key k;
  k.byte(static_cast<std::uint8_t>(view)).be64(~static_cast<std::uint64_t>(time)).be64(~order);
  return k;
}

bool parse_legacy_inbox_key(std::string_view key, InboxView& view, std::int64_t& time,
                            std::uint64_t& order) {
  if (key.size() != 17) return false;
  view = static_cast<InboxView>(key[0]);
  if (view != InboxView::inbox && view != InboxView::unread && view != InboxView::archived)
    return false;
  time = static_cast<std::int64_t>(~get_be64(key, 1));
  order = ~get_be64(key, 9);
  return true;
}

Key outbox_key(bool in_flight, std::int64_t due, std::uint64_t id) {
  Key k;
  k.byte(in_flight ? 1 : 0).be64(static_cast<std::uint64_t>(due < 0 ? 0 : due)).be64(id);
  return k;
}

Key outbox_id_key(std::uint64_t id) {
  return id_key(id);
}

Key outbox_num_key(std::string_view number, std::uint64_t id) {
  return number_key(number, id);
}

Key awaiting_key(std::int64_t since, std::string_view number) {
  Key k;
  k.be64(static_cast<std::uint64_t>(since < 0 ? 0 : since)).bytes(number);
  return k;
}

Key partial_key(std::int64_t now_ms, std::uint64_t token) {
  Key k;
  k.be64(static_cast<std::uint64_t>(now_ms < 0 ? 0 : now_ms)).be64(token);
  return k;
}

Key consent_log_key(std::int64_t time, std::uint64_t id) {
  Key k;
  k.be64(static_cast<std::uint64_t>(time < 0 ? 0 : time)).be64(id);
  return k;
}

Key consent_num_key(std::string_view number, std::uint64_t id) {
  return number_key(number, id);
}

// ---- Profile ----

namespace {

// Frequency-cap send times: a count, the first time, then gaps (small varints).
void put_cap_history(Writer& w, const std::vector<std::int64_t>& times) {
  w.varint(times.size());
  std::int64_t prev = 0;
  for (const std::int64_t t : times) {
    w.svarint(t - prev);
    prev = t;
  }
}

void get_cap_history(Reader& r, std::vector<std::int64_t>& times) {
  times.clear();
  const std::uint64_t n = r.varint();
  std::int64_t prev = 0;
  for (std::uint64_t i = 0; i < n && r.more(); ++i) times.push_back(prev += r.svarint());
}

}  // namespace

void encode(const Profile& p, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.str({});  // the number: profiles are read by their key, which is the number
  w.str(p.name);
  w.u8(static_cast<std::uint8_t>(p.consent));
  w.u8(static_cast<std::uint8_t>(p.consent_source));
  w.svarint(p.consent_since);
  w.boolean(p.blocked);
  w.boolean(p.archived);
  w.boolean(p.in_inbox);
  w.varint(p.unread);
  w.svarint(p.last_inbound);
  w.svarint(p.last_outbound);
  w.svarint(p.last_message_at);
  w.str(p.last_preview);
  w.str(p.sending_number);
  w.str(p.location);
  w.str(p.region);
  w.varint(p.next_seq);
  w.varint(p.inbox_order);
  w.svarint(p.last_auto_reply);
  w.svarint(p.first_inbound);
  w.svarint(p.first_agent_reply);
  w.svarint(p.awaiting_since);
  w.varint(p.tags.size());
  for (const auto& t : p.tags) w.str(t);
  w.svarint(p.created);
  w.svarint(p.last_mo);
  w.varint(p.recent_mo.size());
  for (const auto& r : p.recent_mo) {
    w.fixed64(r.fingerprint);
    w.svarint(p.last_mo - r.at);  // seconds before the last inbound: one or two bytes
  }
  w.varint(p.last_message_id);
  w.svarint(p.revocation_flagged_at);
  w.varint(p.revocation_message_id);
  put_cap_history(w, p.campaign_sent_at);
  w.varint(p.recent_weak.size());
  for (const auto& r : p.recent_weak) {
    w.fixed64(r.fingerprint);
    w.svarint(p.last_mo - r.at);
  }
}

bool decode(std::string_view in, Profile& p) {
  // Fields are assigned in place (strings and vectors keep their storage): the inbound path
  // decodes a profile per message.
  Reader r(in);
  if (r.u8() == 0) {  // no version: not a record
    p = Profile{};
    return false;
  }
  r.str_into(p.number);
  r.str_into(p.name);
  p.consent = static_cast<Consent>(r.u8());
  p.consent_source = static_cast<ConsentSource>(r.u8());
  p.consent_since = r.svarint();
  p.blocked = r.boolean();
  p.archived = r.boolean();
  p.in_inbox = r.boolean();
  p.unread = static_cast<std::uint32_t>(r.varint());
  p.last_inbound = r.svarint();
  p.last_outbound = r.svarint();
  p.last_message_at = r.svarint();
  r.str_into(p.last_preview);
  r.str_into(p.sending_number);
  r.str_into(p.location);
  r.str_into(p.region);
  p.next_seq = r.varint(1);
  p.inbox_order = r.varint();
  p.last_auto_reply = r.svarint();
  p.first_inbound = r.svarint();
  p.first_agent_reply = r.svarint();
  p.awaiting_since = r.svarint();
  const std::uint64_t ntags = r.varint();
  p.tags.clear();
  for (std::uint64_t i = 0; i < ntags && r.more(); ++i) p.tags.push_back(r.str());
  p.created = r.svarint();
  p.last_mo = r.svarint();
  p.recent_mo.clear();
  const std::uint64_t nrecent = r.varint();
  for (std::uint64_t i = 0; i < nrecent && r.more(); ++i) {
    RecentMo m;
    m.fingerprint = r.fixed64();
    m.at = p.last_mo - r.svarint();
    p.recent_mo.push_back(m);
  }
  p.last_message_id = r.varint();
  p.revocation_flagged_at = r.svarint();
  p.revocation_message_id = r.varint();
  get_cap_history(r, p.campaign_sent_at);
  p.recent_weak.clear();  // absent in records written before weak fingerprints
  const std::uint64_t nweak = r.varint();
  for (std::uint64_t i = 0; i < nweak && r.more(); ++i) {
    RecentMo m;
    m.fingerprint = r.fixed64();
    m.at = p.last_mo - r.svarint();
    p.recent_weak.push_back(m);
  }
  return r.ok();
}

// ---- Message ----

void encode(const Message& m, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.u8(static_cast<std::uint8_t>(m.direction));
  w.u8(static_cast<std::uint8_t>(m.kind));
  w.u8(static_cast<std::uint8_t>(m.state));
  w.str(m.text);
  w.boolean(m.media_omitted);
  w.boolean(m.incomplete);
  w.str(m.keyword);
  w.str(m.sending_number);
  w.svarint(m.created);
  w.svarint(m.state_at);
  w.str(m.error);
  w.u8(static_cast<std::uint8_t>(m.encoding));
  w.varint(m.segments);
  w.varint(m.credits);
  w.varint(m.smsc_ids.size());
  for (const auto& id : m.smsc_ids) w.str(id);
  w.str(std::string_view(reinterpret_cast<const char*>(m.segment_states.data()),
                         m.segment_states.size()));
  w.str(m.agent);
  w.varint(m.outbox_id);
  w.str(m.smsc);
  w.str(m.number);
  w.varint(m.seq);
  w.varint(m.prev);
}

bool decode(std::string_view in, Message& m) {
  // Records written before message ids carry no number, seq or prev: the caller's stay.
  std::string number = std::move(m.number);
  const std::uint64_t seq = m.seq;
  const std::uint64_t id = m.id;
  m = Message{};
  m.number = std::move(number);
  m.seq = seq;
  m.id = id;
  Reader r(in);
  if (r.u8() == 0) return false;
  m.direction = static_cast<Direction>(r.u8());
  m.kind = static_cast<MessageKind>(r.u8());
  m.state = static_cast<MessageState>(r.u8());
  m.text = r.str();
  m.media_omitted = r.boolean();
  m.incomplete = r.boolean();
  m.keyword = r.str();
  m.sending_number = r.str();
  m.created = r.svarint();
  m.state_at = r.svarint();
  m.error = r.str();
  m.encoding = static_cast<TextEncoding>(r.u8());
  m.segments = static_cast<std::uint32_t>(r.varint());
  m.credits = static_cast<std::uint32_t>(r.varint());
  const std::uint64_t nids = r.varint();
  for (std::uint64_t i = 0; i < nids && r.more(); ++i) m.smsc_ids.push_back(r.str());
  const std::string_view states = r.str_view();
  m.segment_states.assign(states.begin(), states.end());
  m.agent = r.str();
  m.outbox_id = r.varint();
  m.smsc = r.str();
  if (r.more()) {
    m.number = r.str();
    m.seq = r.varint(m.seq);
    m.prev = r.varint();
  }
  return r.ok();
}

// ---- OutboxRecord ----

void encode(const OutboxRecord& o, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.varint(o.id);
  w.str(o.number);
  w.varint(o.seq);
  w.svarint(o.due);
  w.boolean(o.in_flight);
  w.varint(o.attempts);
  w.u8(static_cast<std::uint8_t>(o.kind));
  w.varint(o.message_id);
  w.varint(o.refusals);
}

bool decode(std::string_view in, OutboxRecord& o) {
  o = OutboxRecord{};
  Reader r(in);
  if (r.u8() == 0) return false;
  o.id = r.varint();
  o.number = r.str();
  o.seq = r.varint();
  o.due = r.svarint();
  o.in_flight = r.boolean();
  o.attempts = static_cast<std::uint32_t>(r.varint());
  o.kind = static_cast<MessageKind>(r.u8());
  o.message_id = r.varint();
  o.refusals = static_cast<std::uint32_t>(r.varint());  // absent before: 0
  return r.ok();
}

// ---- DlrTarget ----

void encode(const DlrTarget& d, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.str(d.number);
  w.varint(d.seq);
  w.varint(d.segment);
  w.svarint(d.expires);
  w.varint(d.message_id);
}

bool decode(std::string_view in, DlrTarget& d) {
  d = DlrTarget{};
  Reader r(in);
  if (r.u8() == 0) return false;
  d.number = r.str();
  d.seq = r.varint();
  d.segment = static_cast<std::uint32_t>(r.varint());
  d.expires = r.svarint();
  d.message_id = r.varint();
  return r.ok();
}

// ---- HeldReceipt ----

void encode(const HeldReceipt& h, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.str(h.receipt.smsc);
  w.str(h.receipt.message_id);
  w.u8(static_cast<std::uint8_t>(h.receipt.state));
  w.str(h.receipt.error);
  w.svarint(h.receipt.time_unix);
  w.svarint(h.receipt.received_unix);
  w.svarint(h.until);
}

bool decode(std::string_view in, HeldReceipt& h) {
  h = HeldReceipt{};
  Reader r(in);
  if (r.u8() == 0) return false;
  h.receipt.smsc = r.str();
  h.receipt.message_id = r.str();
  h.receipt.state = static_cast<ReceiptState>(r.u8());
  h.receipt.error = r.str();
  h.receipt.time_unix = r.svarint();
  h.receipt.received_unix = r.svarint();
  h.until = r.svarint();
  return r.ok();
}

// ---- ConsentLogEntry ----

void encode(const ConsentLogEntry& e, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.str(e.number);
  w.u8(static_cast<std::uint8_t>(e.from));
  w.u8(static_cast<std::uint8_t>(e.to));
  w.u8(static_cast<std::uint8_t>(e.source));
  w.u8(static_cast<std::uint8_t>(e.outcome));
  w.str(e.keyword);
  w.str(e.text);
  w.str(e.actor);
  w.str(e.sending_number);
  w.varint(e.message_id);
}

bool decode(std::string_view in, ConsentLogEntry& e) {
  const std::uint64_t id = e.id;
  const std::int64_t time = e.time;
  e = ConsentLogEntry{};
  e.id = id;
  e.time = time;
  Reader r(in);
  if (r.u8() == 0) return false;
  e.number = r.str();
  e.from = static_cast<Consent>(r.u8());
  e.to = static_cast<Consent>(r.u8());
  e.source = static_cast<ConsentSource>(r.u8());
  e.outcome = static_cast<ConsentOutcome>(r.u8());
  e.keyword = r.str();
  e.text = r.str();
  e.actor = r.str();
  e.sending_number = r.str();
  e.message_id = r.varint();
  return r.ok();
}

// ---- Settings ----

namespace {

void put_list(Writer& w, const std::vector<std::string>& v) {
  w.varint(v.size());
  for (const auto& s : v) w.str(s);
}

std::vector<std::string> get_list(Reader& r) {
  std::vector<std::string> v;
  const std::uint64_t n = r.varint();
  for (std::uint64_t i = 0; i < n && r.more(); ++i) v.push_back(r.str());
  return v;
}

void put_window(Writer& w, const QuietWindow& q) {
  w.svarint(q.start_minute);
  w.svarint(q.end_minute);
}

QuietWindow get_window(Reader& r, const QuietWindow& def) {
  QuietWindow q;
  q.start_minute = static_cast<int>(r.svarint(def.start_minute));
  q.end_minute = static_cast<int>(r.svarint(def.end_minute));
  return q;
}

}  // namespace

void encode(const Settings& s, std::string& out) {
  out.clear();
  Writer w(out);
  w.u8(kSchemaVersion);
  w.u8(static_cast<std::uint8_t>(s.auto_responder.mode));
  w.str(s.auto_responder.message);
  w.svarint(s.auto_responder.period_seconds);
  put_list(w, s.keywords.opt_out);
  put_list(w, s.keywords.opt_in);
  put_list(w, s.keywords.help);
  w.varint(s.keywords.custom.size());
  for (const auto& c : s.keywords.custom) {
    w.str(c.word);
    w.str(c.reply);
    w.str(c.action);
  }
  w.boolean(s.keywords.opt_out_contains);
  w.str(s.answers.opt_out);
  w.str(s.answers.opt_in);
  w.str(s.answers.help);
  w.boolean(s.quiet_hours.enabled);
  put_window(w, s.quiet_hours.default_window);
  w.varint(s.quiet_hours.rules.size());
  for (const auto& rule : s.quiet_hours.rules) {
    w.str(rule.name);
    put_list(w, rule.area_codes_or_regions);
    put_window(w, rule.window);
  }
  // The email settings have their own record (notification_settings.cpp); this slot keeps the
  // first recipient where earlier builds kept their one address.
  w.boolean(s.notifications.email.enabled);
  w.str(s.notifications.email.to.empty() ? std::string() : s.notifications.email.to.front());
  w.svarint(s.notifications.waiting_threshold_seconds);
  w.boolean(s.link_shortening.enabled);
  w.str(s.link_shortening.domain);
  put_list(w, s.keywords.revocation);
  w.boolean(s.frequency_caps.enabled);
  w.varint(s.frequency_caps.rules.size());
  for (const auto& rule : s.frequency_caps.rules) {
    w.str(rule.name);
    put_list(w, rule.regions);
    w.varint(rule.max_messages);
    w.svarint(rule.period_seconds);
  }
  // Link shortening: the redirect listener and the links' lifetime.
  w.str(s.link_shortening.listen);
  w.svarint(s.link_shortening.expiry_seconds);
}

bool decode(std::string_view in, Settings& s) {
  // Fields absent from an older record keep the values `s` already holds (the defaults).
  Reader r(in);
  if (r.u8() == 0) return false;
  if (!r.more()) return true;
  s.auto_responder.mode = static_cast<AutoResponderMode>(r.u8());
  s.auto_responder.message = r.str();
  s.auto_responder.period_seconds = r.svarint(s.auto_responder.period_seconds);
  if (r.more()) {
    s.keywords.opt_out = get_list(r);
    s.keywords.opt_in = get_list(r);
    s.keywords.help = get_list(r);
    s.keywords.custom.clear();
    const std::uint64_t n = r.varint();
    for (std::uint64_t i = 0; i < n && r.more(); ++i) {
      CustomKeyword c;
      c.word = r.str();
      c.reply = r.str();
      c.action = r.str();
      s.keywords.custom.push_back(std::move(c));
    }
    s.keywords.opt_out_contains = r.boolean(s.keywords.opt_out_contains);
  }
  if (r.more()) {
    s.answers.opt_out = r.str();
    s.answers.opt_in = r.str();
    s.answers.help = r.str();
  }
  if (r.more()) {
    s.quiet_hours.enabled = r.boolean(s.quiet_hours.enabled);
    s.quiet_hours.default_window = get_window(r, s.quiet_hours.default_window);
    s.quiet_hours.rules.clear();
    const std::uint64_t n = r.varint();
    for (std::uint64_t i = 0; i < n && r.more(); ++i) {
      QuietHoursRule rule;
      rule.name = r.str();
      rule.area_codes_or_regions = get_list(r);
      rule.window = get_window(r, rule.window);
      s.quiet_hours.rules.push_back(std::move(rule));
    }
  }
  if (r.more()) {
    // Earlier builds kept one address and an `enabled` that only meant a watch event: the
    // address becomes the recipient when none is configured; mail stays as configured.
    (void)r.boolean();
    if (std::string legacy = r.str(); !legacy.empty() && s.notifications.email.to.empty())
      s.notifications.email.to = {std::move(legacy)};
    s.notifications.waiting_threshold_seconds =
        r.svarint(s.notifications.waiting_threshold_seconds);
  }
  if (r.more()) {
    s.link_shortening.enabled = r.boolean();
    s.link_shortening.domain = r.str();
  }
  if (r.more()) s.keywords.revocation = get_list(r);
  if (r.more()) {
    s.frequency_caps.enabled = r.boolean(s.frequency_caps.enabled);
    s.frequency_caps.rules.clear();
    const std::uint64_t n = r.varint();
    for (std::uint64_t i = 0; i < n && r.more(); ++i) {
      FrequencyCapRule rule;
      rule.name = r.str();
      rule.regions = get_list(r);
      rule.max_messages = static_cast<std::uint32_t>(r.varint(rule.max_messages));
      rule.period_seconds = r.svarint(rule.period_seconds);
      s.frequency_caps.rules.push_back(std::move(rule));
    }
  }
  if (r.more()) {
    s.link_shortening.listen = r.str();
    s.link_shortening.expiry_seconds = r.svarint(s.link_shortening.expiry_seconds);
  }
  return r.ok();
}

}  // namespace twoway::engine::records
