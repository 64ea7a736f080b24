// Delivery receipt parsing and message-id keys (see receipt.hpp for the rules).
#include "smpp/receipt.hpp"

#include <array>
#include <charconv>

namespace twoway::smpp {
namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

constexpr bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

enum class Field : std::uint8_t { id, sub, dlvrd, submit_date, done_date, stat, err, text };

struct Label {
  std::string_view name;  // lower case, colon included
  Field field;
};

// Longer names first where one is a prefix of another is not needed: names are matched
// whole, up to and including the colon.
constexpr std::array<Label, 10> labels{{
    {"id:", Field::id},
    {"sub:", Field::sub},
    {"dlvrd:", Field::dlvrd},
    {"submit date:", Field::submit_date},
    {"submit_date:", Field::submit_date},
    {"done date:", Field::done_date},
    {"done_date:", Field::done_date},
    {"stat:", Field::stat},
    {"err:", Field::err},
    {"text:", Field::text},
}};

/// The label starting at `s[pos]`, if any; `len` receives its length.
const Label* label_at(std::string_view s, std::size_t pos, std::size_t& len) noexcept {
  const std::string_view rest = s.substr(pos);
  const char first = lower(rest.front());
  if (first != 'i' && first != 's' && first != 'd' && first != 'e' && first != 't') return nullptr;
  for (const Label& l : labels) {
    if (l.name.front() != first) continue;
    if (rest.size() >= l.name.size() && iequals(rest.substr(0, l.name.size()), l.name)) {
      len = l.name.size();
      return &l;
    }
  }
  return nullptr;
}

std::optional<std::uint32_t> small_number(std::string_view s) noexcept {
  if (!all_digits(s) || s.size() > 9) return std::nullopt;
  std::uint32_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::optional<std::string_view> scan_tlv(const TlvList& tlvs, std::uint16_t tag) noexcept {
  for (const Tlv& t : tlvs) {
    if (t.tag == tag) return t.value;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
// days_from_civil algorithm, public domain description).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

unsigned two(std::string_view s, std::size_t i) noexcept {
  return static_cast<unsigned>((s[i] - '0') * 10 + (s[i + 1] - '0'));
}

void canonical_into(std::string_view id, std::string& out) {
  id = trim(id);
  std::size_t zeros = 0;
  while (zeros + 1 < id.size() && id[zeros] == '0') ++zeros;
  id.remove_prefix(zeros);
  out.clear();
  out.reserve(id.size());
  for (char c : id) out.push_back(lower(c));
}

}  // namespace

std::string_view to_string(MessageState state) noexcept {
  switch (state) {
    case MessageState::scheduled:
      return "SCHEDULED";
    case MessageState::enroute:
      return "ENROUTE";
    case MessageState::delivered:
      return "DELIVERED";
    case MessageState::expired:
      return "EXPIRED";
    case MessageState::deleted:
      return "DELETED";
    case MessageState::undeliverable:
      return "UNDELIVERABLE";
    case MessageState::accepted:
      return "ACCEPTED";
    case MessageState::unknown:
      return "UNKNOWN";
    case MessageState::rejected:
      return "REJECTED";
    case MessageState::skipped:
      return "SKIPPED";
  }
  return "UNKNOWN";
}

bool is_final(MessageState state) noexcept {
  switch (state) {
    case MessageState::delivered:
    case MessageState::expired:
    case MessageState::deleted:
    case MessageState::undeliverable:
    case MessageState::accepted:
    case MessageState::rejected:
    case MessageState::skipped:
      return true;
    default:
      return false;
  }
}

MessageState state_from_stat(std::string_view stat) noexcept {
  struct Name {
    std::string_view name;
    MessageState state;
  };
  static constexpr std::array<Name, 16> names{{
      {"DELIVRD", MessageState::delivered},
      {"DELIVERED", MessageState::delivered},
      {"EXPIRED", MessageState::expired},
      {"DELETED", MessageState::deleted},
      {"UNDELIV", MessageState::undeliverable},
      {"UNDELIVERABLE", MessageState::undeliverable},
      {"ACCEPTD", MessageState::accepted},
      {"ACCEPTED", MessageState::accepted},
      {"UNKNOWN", MessageState::unknown},
      {"REJECTD", MessageState::rejected},
      {"REJECTED", MessageState::rejected},
      {"ENROUTE", MessageState::enroute},
      {"SKIPPED", MessageState::skipped},
      {"SCHEDULED", MessageState::scheduled},
      {"SCHEDLD", MessageState::scheduled},
      {"UNDELIVERED", MessageState::undeliverable},
  }};
  for (const Name& n : names) {
    if (iequals(stat, n.name)) return n.state;
  }
  if (stat.size() == 1 && is_digit(stat[0])) {
    return state_from_number(static_cast<std::uint32_t>(stat[0] - '0'))
        .value_or(MessageState::unknown);
  }
  return MessageState::unknown;
}

std::optional<MessageState> state_from_number(std::uint32_t value) noexcept {
  if (value > 9) return std::nullopt;
  return static_cast<MessageState>(value);
}

std::int64_t ReceiptDate::unix_seconds() const noexcept {
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

std::optional<ReceiptDate> parse_receipt_date(std::string_view s) noexcept {
  if ((s.size() != 10 && s.size() != 12 && s.size() != 14) || !all_digits(s)) {
    return std::nullopt;
  }
  ReceiptDate d;
  std::size_t i = 0;
  if (s.size() == 14) {
    d.year = static_cast<std::uint16_t>(two(s, 0) * 100 + two(s, 2));
    i = 4;
  } else {
    d.year = static_cast<std::uint16_t>(2000 + two(s, 0));
    i = 2;
  }
  const unsigned month = two(s, i), day = two(s, i + 2), hour = two(s, i + 4),
                 minute = two(s, i + 6);
  const unsigned second = s.size() == 10 ? 0 : two(s, i + 8);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  d.month = static_cast<std::uint8_t>(month);
  d.day = static_cast<std::uint8_t>(day);
  d.hour = static_cast<std::uint8_t>(hour);
  d.minute = static_cast<std::uint8_t>(minute);
  d.second = static_cast<std::uint8_t>(second);
  return d;
}

ReceiptInfo parse_receipt_text(std::string_view s) noexcept {
  ReceiptInfo r;
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  bool have_stat = false;
  std::size_t pos = 0;
  while (pos < s.size()) {
    // At a token start: skip blanks, then try a label.
    if (is_blank(s[pos])) {
      ++pos;
      continue;
    }
    std::size_t label_len = 0;
    const Label* label = label_at(s, pos, label_len);
    if (label == nullptr) {
      while (pos < s.size() && !is_blank(s[pos])) ++pos;  // unknown token
      continue;
    }
    pos += label_len;
    if (label->field == Field::text) {
      r.text = s.substr(pos);
      break;
    }
    // The value: non-blank run after the colon; if the colon is followed by blanks, the next
    // token is the value unless it is itself a label ("sub: 001" vs "sub: dlvrd:001").
    std::size_t start = pos;
    if (start < s.size() && is_blank(s[start])) {
      std::size_t next = start;
      while (next < s.size() && is_blank(s[next])) ++next;
      std::size_t ignored = 0;
      if (next < s.size() && label_at(s, next, ignored) == nullptr) start = next;
    }
    std::size_t end = start;
    while (end < s.size() && !is_blank(s[end])) ++end;
    const std::string_view value = s.substr(start, end - start);
    pos = end;
    switch (label->field) {
      case Field::id:
        if (r.message_id.empty()) r.message_id = value;
        break;
      case Field::sub:
        r.sub = small_number(value);
        break;
      case Field::dlvrd:
        r.dlvrd = small_number(value);
        break;
      case Field::submit_date:
        r.submit_date_raw = value;
        r.submit_date = parse_receipt_date(value);
        break;
      case Field::done_date:
        r.done_date_raw = value;
        r.done_date = parse_receipt_date(value);
        break;
      case Field::stat:
        if (!have_stat) {
          r.stat = value;
          r.state = state_from_stat(value);
          have_stat = true;
        }
        break;
      case Field::err:
        r.err = value;
        break;
      case Field::text:
        break;
    }
  }
  return r;
}

ReceiptFields receipt_fields(const ShortMessage& sm) noexcept {
  return ReceiptFields{sm.short_message, scan_tlv(sm.tlvs, tag::message_payload),
                       scan_tlv(sm.tlvs, tag::receipted_message_id),
                       scan_tlv(sm.tlvs, tag::message_state),
                       scan_tlv(sm.tlvs, tag::network_error_code)};
}

ReceiptFields receipt_fields(const DataSm& sm) noexcept {
  return ReceiptFields{std::string_view{}, scan_tlv(sm.tlvs, tag::message_payload),
                       scan_tlv(sm.tlvs, tag::receipted_message_id),
                       scan_tlv(sm.tlvs, tag::message_state),
                       scan_tlv(sm.tlvs, tag::network_error_code)};
}

namespace {

std::string_view receipt_body(const ReceiptFields& f) noexcept {
  std::string_view body = f.short_message;
  if (body.empty() && f.message_payload) body = *f.message_payload;
  return body;
}

/// True when `body` starts like a UTF-16BE receipt: three units 0x00xx of which the first is
/// a letter and a label-like "xx:" follows within the first 16 units.
bool looks_like_ucs2(std::string_view body) noexcept {
  if (body.size() < 6 || body.size() % 2 != 0) return false;
  if (body[0] != '\0' || body[2] != '\0' || body[4] != '\0') return false;
  const char c = lower(body[1]);
  if (c < 'a' || c > 'z') return false;
  for (std::size_t i = 0; i + 1 < body.size() && i < 32; i += 2) {
    if (body[i] == '\0' && body[i + 1] == ':') return true;
  }
  return false;
}

std::optional<ReceiptInfo> apply_tlvs(const ReceiptFields& f, ReceiptInfo r) noexcept {
  if (f.receipted_message_id) {
    std::string_view id = *f.receipted_message_id;
    const std::size_t nul = id.find('\0');
    if (nul != std::string_view::npos) id = id.substr(0, nul);
    id = trim(id);
    if (!id.empty()) {
      r.message_id = id;
      r.id_from_tlv = true;
    }
  }
  if (f.message_state && f.message_state->size() == 1) {
    if (auto st = state_from_number(static_cast<std::uint8_t>((*f.message_state)[0]))) {
      r.state = *st;
      r.state_from_tlv = true;
    }
  }
  if (f.network_error_code && f.network_error_code->size() == 3) {
    const auto* p = reinterpret_cast<const unsigned char*>(f.network_error_code->data());
    r.network_error = NetworkError{p[0], static_cast<std::uint16_t>((p[1] << 8) | p[2])};
  }
  if (r.message_id.empty()) return std::nullopt;
  return r;
}

}  // namespace

std::optional<ReceiptInfo> parse_receipt(const ReceiptFields& f) noexcept {
  return apply_tlvs(f, parse_receipt_text(receipt_body(f)));
}

std::optional<ReceiptInfo> parse_receipt(const ReceiptFields& f, std::string& scratch) {
  const std::string_view body = receipt_body(f);
  if (!looks_like_ucs2(body)) return parse_receipt(f);
  scratch.clear();
  scratch.reserve(body.size() / 2);
  for (std::size_t i = 0; i + 1 < body.size(); i += 2) {
    scratch.push_back(body[i] == '\0' ? body[i + 1] : '?');
  }
  ReceiptInfo r = parse_receipt_text(scratch);
  r.ucs2_text = true;
  return apply_tlvs(f, r);
}

std::string canonical_message_id(std::string_view id) {
  std::string out;
  canonical_into(id, out);
  return out;
}

MessageIdKeys message_id_keys(std::string_view id) {
  MessageIdKeys keys;
  std::string exact;
  canonical_into(id, exact);
  if (exact.empty()) return keys;
  // `exact` has no leading zeros (unless it is "0"), so its length bounds the value.
  bool hex = exact.size() <= 16;
  for (char c : exact) hex = hex && is_hex(c);
  std::optional<std::uint64_t> as_dec;
  if (all_digits(exact) && exact.size() <= 20) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(exact.data(), exact.data() + exact.size(), v, 10);
    if (ec == std::errc{} && p == exact.data() + exact.size()) as_dec = v;
  }
  std::optional<std::uint64_t> as_hex;
  if (hex) {
    std::uint64_t v = 0;
    std::from_chars(exact.data(), exact.data() + exact.size(), v, 16);
    as_hex = v;
  }
  auto push = [&keys](std::string key) {
    for (const std::string& k : keys) {
      if (k == key) return;
    }
    keys.push_back(std::move(key));
  };
  push(std::move(exact));
  char buf[24];
  if (as_hex) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *as_hex, 10);
    push(std::string(buf, end));
  }
  if (as_dec) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *as_dec, 16);
    push(std::string(buf, end));
  }
  return keys;
}

}  // namespace twoway::smpp
