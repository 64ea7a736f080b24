// Inbound reassembly (see reassembly.hpp): part analysis, the media rule, MMS subject
// extraction, and the bounded set of partial messages.
#include "smpp/reassembly.hpp"

#include <algorithm>
#include <array>

#include "smpp/gsm7.hpp"

namespace twoway::smpp {
namespace {

constexpr std::uint16_t wap_push_port = 2948;
constexpr std::uint16_t wap_push_secure_port = 2949;

/// Orders held parts by seq (they are kept sorted).
constexpr auto seq_less = [](const auto& held, std::uint8_t seq) noexcept {
  return held.seq < seq;
};

std::optional<std::string_view> scan_tlv(const TlvList& tlvs, std::uint16_t tag) noexcept {
  for (const Tlv& t : tlvs) {
    if (t.tag == tag) return t.value;
  }
  return std::nullopt;
}

std::optional<std::uint8_t> tlv_u8(const TlvList& tlvs, std::uint16_t tag) noexcept {
  auto v = scan_tlv(tlvs, tag);
  if (!v || v->size() != 1) return std::nullopt;
  return static_cast<std::uint8_t>((*v)[0]);
}

std::optional<std::uint16_t> tlv_u16(const TlvList& tlvs, std::uint16_t tag) noexcept {
  auto v = scan_tlv(tlvs, tag);
  if (!v || v->size() != 2) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(v->data());
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

template <class Pdu>
InboundPart part_from(std::string_view smsc, const Pdu& sm, std::string_view short_message,
                      std::int64_t now_ms, std::uint64_t token) noexcept {
  InboundPart p;
  p.smsc = smsc;
  p.source_addr = sm.source_addr;
  p.destination_addr = sm.destination_addr;
  p.esm_class = sm.esm_class;
  p.data_coding = sm.data_coding;
  p.short_message = short_message;
  p.message_payload = scan_tlv(sm.tlvs, tag::message_payload);
  p.sar_msg_ref_num = tlv_u16(sm.tlvs, tag::sar_msg_ref_num);
  p.sar_total_segments = tlv_u8(sm.tlvs, tag::sar_total_segments);
  p.sar_segment_seqnum = tlv_u8(sm.tlvs, tag::sar_segment_seqnum);
  p.destination_port = tlv_u16(sm.tlvs, tag::destination_port);
  p.source_port = tlv_u16(sm.tlvs, tag::source_port);
  // An SMSC id on the MO says most; else the handset's message reference (TP-MR), which a
  // redelivery keeps and a new message changes.
  if (auto id = scan_tlv(sm.tlvs, tag::receipted_message_id); id && !id->empty()) {
    p.identity = *id;
  } else if (auto umr = scan_tlv(sm.tlvs, tag::user_message_reference); umr && !umr->empty()) {
    p.identity = *umr;
  }
  p.now_ms = now_ms;
  p.token = token;
  return p;
}

/// What one part contributes, derived from its headers.
struct PartView {
  std::string_view payload;          // user data with any UDH removed
  std::optional<ConcatInfo> concat;  // set only for a valid header with total > 1
  std::optional<std::uint16_t> dest_port;
  std::optional<std::uint8_t> single_shift;
  std::optional<std::uint8_t> locking_shift;
  std::uint16_t header_octets = 0;  // UDH octets removed in front of payload
  bool header_invalid = false;
};

PartView analyse(const InboundPart& p) noexcept {
  PartView v;
  const std::string_view data =
      (p.short_message.empty() && p.message_payload) ? *p.message_payload : p.short_message;
  v.payload = data;
  if ((p.esm_class & esm::udhi) != 0) {
    Udh udh;
    const UdhStatus st = parse_udh(data, udh);
    if (st == UdhStatus::ok) {
      v.payload = udh.payload;
      v.header_octets = static_cast<std::uint16_t>(udh.header_length);
      v.concat = udh.concat();
      if (auto ports = udh.ports()) v.dest_port = ports->dest;
      v.single_shift = udh.single_shift();
      v.locking_shift = udh.locking_shift();
    } else {
      v.header_invalid = true;
      // The UDHL itself fits: drop the header octets, keep what follows it.
      if (st == UdhStatus::ie_overrun) {
        v.payload = data.substr(1 + static_cast<std::uint8_t>(data[0]));
        v.header_octets = static_cast<std::uint16_t>(static_cast<std::uint8_t>(data[0]) + 1);
      }
    }
  }
  const bool any_sar = p.sar_msg_ref_num || p.sar_total_segments || p.sar_segment_seqnum;
  if (!v.concat && any_sar) {
    if (p.sar_msg_ref_num && p.sar_total_segments && p.sar_segment_seqnum) {
      v.concat = ConcatInfo{*p.sar_msg_ref_num, *p.sar_total_segments, *p.sar_segment_seqnum, true};
    } else {
      v.header_invalid = true;  // SAR TLVs must come together
    }
  }
  if (!v.dest_port && p.destination_port) v.dest_port = p.destination_port;
  if (v.concat && !v.concat->valid()) {
    v.header_invalid = true;
    v.concat.reset();
  } else if (v.concat && v.concat->total == 1) {
    v.concat.reset();
  }
  return v;
}

/// Joins parts, in order, into a ReassembledMessage (media dropped, text kept).
class MessageBuilder {
 public:
  void add(const InboundPart& p, const PartView& v) {
    if (first_) {
      m_.smsc.assign(p.smsc);
      m_.source.assign(p.source_addr);
      m_.destination.assign(p.destination_addr);
      m_.esm_class = p.esm_class;
      m_.data_coding = p.data_coding;
      m_.first_received_ms = p.now_ms;
      first_ = false;
    }
    if (!m_.single_shift) m_.single_shift = v.single_shift;
    if (!m_.locking_shift) m_.locking_shift = v.locking_shift;
    m_.header_invalid = m_.header_invalid || v.header_invalid;
    const MediaKind kind = classify_media(p.data_coding, v.dest_port);
    if (kind == MediaKind::text) {
      if (!have_text_) m_.data_coding = p.data_coding;
      have_text_ = true;
      m_.user_data.append(v.payload);
      const std::uint8_t seq = v.concat ? v.concat->seq : 1;
      m_.boundaries.push_back(
          PartBoundary{static_cast<std::uint32_t>(m_.user_data.size()), v.header_octets, seq});
    } else {
      if (!m_.media_omitted) m_.media = kind;
      m_.media_omitted = true;
      if (kind == MediaKind::wap_push) media_.append(v.payload);
    }
    m_.tokens.push_back(p.token);
  }

  ReassembledMessage finish() {
    if (m_.media_omitted && !have_text_ && !media_.empty()) {
      if (auto t = extract_mms_subject(media_)) {
        m_.user_data = std::move(t->user_data);
        m_.data_coding = t->data_coding;
        m_.boundaries.assign(1,
                             PartBoundary{static_cast<std::uint32_t>(m_.user_data.size()), 0, 1});
      }
    }
    return std::move(m_);
  }

  ReassembledMessage& message() noexcept { return m_; }

 private:
  ReassembledMessage m_;
  std::string media_;
  bool first_ = true;
  bool have_text_ = false;
};

/// Identifies a part's bytes, to tell an SMSC retry from a new message reusing a reference.
std::uint64_t part_digest(const InboundPart& p) noexcept {
  std::uint64_t h = std::hash<std::string_view>{}(p.short_message);
  if (p.message_payload) {
    h ^= std::hash<std::string_view>{}(*p.message_payload) + 0x9E3779B97F4A7C15ULL + (h << 6) +
         (h >> 2);
  }
  return h;
}

/// 0 for no identity.
std::uint64_t identity_hash(std::string_view identity) noexcept {
  if (identity.empty()) return 0;
  const std::uint64_t h = std::hash<std::string_view>{}(identity);
  return h == 0 ? 1 : h;
}

void append_field(std::string& key, std::string_view field) {
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(field.size(), 0xFFFFFFFFu));
  key.push_back(static_cast<char>(n >> 24));
  key.push_back(static_cast<char>(n >> 16));
  key.push_back(static_cast<char>(n >> 8));
  key.push_back(static_cast<char>(n));
  key.append(field.substr(0, n));
}

// --- WSP / MMS (WAP-230 WSP §8.4, OMA MMS encapsulation §7) -------------------------------

class Reader {
 public:
  explicit Reader(std::string_view s) noexcept : s_(s) {}
  [[nodiscard]] bool empty() const noexcept { return pos_ >= s_.size(); }
  [[nodiscard]] std::optional<std::uint8_t> peek() const noexcept {
    if (empty()) return std::nullopt;
    return static_cast<std::uint8_t>(s_[pos_]);
  }
  std::optional<std::uint8_t> byte() noexcept {
    auto b = peek();
    if (b) ++pos_;
    return b;
  }
  /// uintvar: 7 bits per octet, high bit = more; at most 5 octets (32 bits).
  std::optional<std::uint32_t> uintvar() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 5; ++i) {
      auto b = byte();
      if (!b) return std::nullopt;
      v = (v << 7) | (*b & 0x7F);
      if ((*b & 0x80) == 0) {
        if (v > 0xFFFFFFFFu) return std::nullopt;
        return static_cast<std::uint32_t>(v);
      }
    }
    return std::nullopt;
  }
  std::optional<std::string_view> take(std::size_t n) noexcept {
    if (s_.size() - pos_ < n) return std::nullopt;
    auto out = s_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  /// Octets up to a NUL, which is consumed; nullopt if there is no NUL.
  std::optional<std::string_view> cstring() noexcept {
    const std::size_t nul = s_.find('\0', pos_);
    if (nul == std::string_view::npos) return std::nullopt;
    auto out = s_.substr(pos_, nul - pos_);
    pos_ = nul + 1;
    return out;
  }
  /// Value-length: 0..30 directly, or 31 followed by a uintvar.
  std::optional<std::uint32_t> value_length() noexcept {
    auto b = byte();
    if (!b || *b > 31) return std::nullopt;
    if (*b < 31) return *b;
    return uintvar();
  }
  std::string_view rest() const noexcept { return s_.substr(std::min(pos_, s_.size())); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

constexpr std::string_view mms_content_type = "application/vnd.wap.mms-message";
constexpr std::uint8_t mms_content_type_code = 0xBE;  // well-known 0x3E as a short-integer

bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/// Content-type-value is the MMS media type (short-integer, text, or general form).
bool is_mms_content_type(Reader r) noexcept {
  auto first = r.peek();
  if (!first) return false;
  if (*first <= 31) {  // Content-general-form: Value-length Media-type
    auto len = r.value_length();
    if (!len) return false;
    auto inner = r.take(*len);
    if (!inner) return false;
    r = Reader(*inner);
    first = r.peek();
    if (!first) return false;
  }
  if (*first == mms_content_type_code) return true;
  if (*first >= 32 && *first < 128) {
    auto text = r.cstring();
    if (!text) text = r.rest();
    return ascii_iequals(*text, mms_content_type);
  }
  return false;
}

/// Skips one MMS header value using the generic WSP rules (value-length, text, short-int).
bool skip_value(Reader& r) noexcept {
  auto first = r.peek();
  if (!first) return false;
  if (*first <= 31) {
    auto len = r.value_length();
    return len && r.take(*len);
  }
  if (*first < 128) return r.cstring().has_value();
  r.byte();
  return true;
}

void put_utf16be(std::string& out, std::uint32_t unit) {
  out.push_back(static_cast<char>(unit >> 8));
  out.push_back(static_cast<char>(unit & 0xFF));
}

/// Strict UTF-8 -> UTF-16BE; nullopt on any malformed sequence.
std::optional<std::string> utf8_to_ucs2(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 2);
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b0 = static_cast<std::uint8_t>(in[i]);
    std::uint32_t cp = 0;
    std::size_t n = 0;
    if (b0 < 0x80) {
      cp = b0;
      n = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      cp = b0 & 0x1F;
      n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      cp = b0 & 0x0F;
      n = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      cp = b0 & 0x07;
      n = 4;
    } else {
      return std::nullopt;
    }
    if (in.size() - i < n) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<std::uint8_t>(in[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      put_utf16be(out, 0xD800 + (cp >> 10));
      put_utf16be(out, 0xDC00 + (cp & 0x3FF));
    } else {
      put_utf16be(out, cp);
    }
    i += n;
  }
  return out;
}

// IANA MIBenum charsets seen in MMS subjects.
constexpr std::uint32_t mib_us_ascii = 3;
constexpr std::uint32_t mib_latin1 = 4;
constexpr std::uint32_t mib_utf8 = 106;
constexpr std::uint32_t mib_ucs2 = 1000;
constexpr std::uint32_t mib_utf16be = 1013;
constexpr std::uint32_t mib_utf16le = 1014;
constexpr std::uint32_t mib_utf16 = 1015;

std::optional<ExtractedText> text_in_charset(std::string_view text, std::uint32_t charset) {
  ExtractedText out;
  if (charset == mib_ucs2 || charset == mib_utf16 || charset == mib_utf16be ||
      charset == mib_utf16le) {
    if (text.size() % 2 == 1 && text.back() == '\0') text.remove_suffix(1);
    if (text.size() >= 2 && text.substr(text.size() - 2) == std::string_view("\0\0", 2)) {
      text.remove_suffix(2);
    }
    if (text.empty() || text.size() % 2 != 0) return std::nullopt;
    bool little = charset == mib_utf16le;
    if (text.substr(0, 2) == "\xFE\xFF") {
      text.remove_prefix(2);
      little = false;
    } else if (text.substr(0, 2) == "\xFF\xFE") {
      text.remove_prefix(2);
      little = true;
    }
    out.user_data.assign(text);
    if (little) {
      for (std::size_t i = 0; i + 1 < out.user_data.size(); i += 2) {
        std::swap(out.user_data[i], out.user_data[i + 1]);
      }
    }
    out.data_coding = 0x08;
  } else if (charset == mib_latin1) {
    out.user_data.assign(text);
    out.data_coding = 0x03;
  } else if (charset == 0 || charset == mib_us_ascii || charset == mib_utf8) {
    const bool ascii = std::all_of(text.begin(), text.end(),
                                   [](char c) { return static_cast<std::uint8_t>(c) < 0x80; });
    if (ascii) {
      out.user_data.assign(text);
      out.data_coding = 0x03;  // ASCII is Latin-1
    } else {
      auto ucs2 = utf8_to_ucs2(text);
      if (!ucs2) return std::nullopt;
      out.user_data = std::move(*ucs2);
      out.data_coding = 0x08;
    }
  } else {
    return std::nullopt;
  }
  if (out.user_data.empty()) return std::nullopt;
  return out;
}

/// Encoded-string-value: Text-string, or Value-length Char-set Text-string.
std::optional<ExtractedText> encoded_string(Reader& r) {
  auto first = r.peek();
  if (!first) return std::nullopt;
  if (*first > 31) {
    if (*first == 0x7F) r.byte();  // quote before a text starting with an octet >= 128
    auto text = r.cstring();
    if (!text) return std::nullopt;
    return text_in_charset(*text, 0);
  }
  auto len = r.value_length();
  if (!len) return std::nullopt;
  auto inner_view = r.take(*len);
  if (!inner_view) return std::nullopt;
  Reader inner(*inner_view);
  auto cs = inner.byte();
  if (!cs) return std::nullopt;
  std::uint32_t charset = 0;
  if (*cs >= 0x80) {
    charset = *cs & 0x7F;             // Short-integer
  } else if (*cs >= 1 && *cs <= 4) {  // Long-integer of 1..4 octets
    auto octets = inner.take(*cs);
    if (!octets) return std::nullopt;
    for (char c : *octets) charset = (charset << 8) | static_cast<std::uint8_t>(c);
  } else {
    return std::nullopt;
  }
  if (inner.peek() == std::optional<std::uint8_t>{0x7F}) inner.byte();
  std::string_view text = inner.rest();
  if (charset != mib_ucs2 && charset != mib_utf16 && charset != mib_utf16be &&
      charset != mib_utf16le) {
    const std::size_t nul = text.find('\0');
    if (nul != std::string_view::npos) text = text.substr(0, nul);
  }
  return text_in_charset(text, charset);
}

}  // namespace

InboundPart inbound_part(std::string_view smsc, const ShortMessage& sm, std::int64_t now_ms,
                         std::uint64_t token) noexcept {
  return part_from(smsc, sm, sm.short_message, now_ms, token);
}

InboundPart inbound_part(std::string_view smsc, const DataSm& sm, std::int64_t now_ms,
                         std::uint64_t token) noexcept {
  return part_from(smsc, sm, std::string_view{}, now_ms, token);
}

std::optional<ReassembledMessage> standalone_message(const InboundPart& part) {
  const PartView view = analyse(part);
  if (view.concat) return std::nullopt;
  MessageBuilder b;
  b.add(part, view);
  return b.finish();
}

StoredPart StoredPart::from(const InboundPart& p) {
  StoredPart s;
  s.smsc.assign(p.smsc);
  s.source_addr.assign(p.source_addr);
  s.destination_addr.assign(p.destination_addr);
  s.esm_class = p.esm_class;
  s.data_coding = p.data_coding;
  s.short_message.assign(p.short_message);
  if (p.message_payload) s.message_payload.emplace(*p.message_payload);
  s.sar_msg_ref_num = p.sar_msg_ref_num;
  s.sar_total_segments = p.sar_total_segments;
  s.sar_segment_seqnum = p.sar_segment_seqnum;
  s.destination_port = p.destination_port;
  s.source_port = p.source_port;
  s.now_ms = p.now_ms;
  s.token = p.token;
  return s;
}

InboundPart StoredPart::view() const noexcept {
  InboundPart p;
  p.smsc = smsc;
  p.source_addr = source_addr;
  p.destination_addr = destination_addr;
  p.esm_class = esm_class;
  p.data_coding = data_coding;
  p.short_message = short_message;
  if (message_payload) p.message_payload = *message_payload;
  p.sar_msg_ref_num = sar_msg_ref_num;
  p.sar_total_segments = sar_total_segments;
  p.sar_segment_seqnum = sar_segment_seqnum;
  p.destination_port = destination_port;
  p.source_port = source_port;
  p.now_ms = now_ms;
  p.token = token;
  return p;
}

std::string_view to_string(MediaKind kind) noexcept {
  switch (kind) {
    case MediaKind::text:
      return "text";
    case MediaKind::wap_push:
      return "wap_push";
    case MediaKind::application_port:
      return "application_port";
    case MediaKind::binary_data:
      return "binary_data";
  }
  return "unknown";
}

MediaKind classify_media(std::uint8_t dc, std::optional<std::uint16_t> destination_port) noexcept {
  if (destination_port) {
    return (*destination_port == wap_push_port || *destination_port == wap_push_secure_port)
               ? MediaKind::wap_push
               : MediaKind::application_port;
  }
  bool binary = false;
  if (dc <= 0x0F) {
    binary = dc == 0x02 || dc == 0x04;  // SMPP octet-unspecified codings
  } else if (dc <= 0x7F) {
    // GSM general data coding groups (00xx / 01xx): bit 5 compressed, bits 3-2 alphabet.
    binary = (dc & 0x20) != 0 || (dc & 0x0C) == 0x04;
  } else if (dc >= 0xF0) {
    binary = (dc & 0x04) != 0;  // data coding / message class: bit 2 = 8-bit data
  }
  return binary ? MediaKind::binary_data : MediaKind::text;
}

std::optional<ExtractedText> extract_mms_subject(std::string_view wsp_pdu) {
  Reader r(wsp_pdu);
  if (!r.byte()) return std::nullopt;  // TID
  auto type = r.byte();
  if (!type || (*type != 0x06 && *type != 0x07)) return std::nullopt;  // Push, ConfirmedPush
  auto headers_len = r.uintvar();
  if (!headers_len) return std::nullopt;
  auto headers = r.take(*headers_len);
  if (!headers || !is_mms_content_type(Reader(*headers))) return std::nullopt;
  Reader body(r.rest());
  // X-Mms-Message-Type: m-notification-ind comes first.
  if (body.byte() != std::optional<std::uint8_t>{0x8C}) return std::nullopt;
  if (body.byte() != std::optional<std::uint8_t>{0x82}) return std::nullopt;
  while (!body.empty()) {
    auto name = body.byte();
    if (!name || *name < 0x80) return std::nullopt;  // application headers: not expected here
    if (*name == 0x96) return encoded_string(body);  // Subject
    if (!skip_value(body)) return std::nullopt;
  }
  return std::nullopt;
}

// --- Reassembler ---------------------------------------------------------------------------

std::size_t Reassembler::HeldPart::bytes() const noexcept {
  return sizeof(HeldPart) + short_message.size() + (message_payload ? message_payload->size() : 0);
}

Reassembler::Reassembler(ReassemblyConfig config) : config_(config) {
  config_.max_sets_per_source = std::max<std::size_t>(config_.max_sets_per_source, 1);
  config_.max_sets_total = std::max<std::size_t>(config_.max_sets_total, 1);
  config_.timeout_ms = std::max<std::int64_t>(config_.timeout_ms, 0);
}

AddResult Reassembler::add(const InboundPart& part) {
  AddResult result;
  const PartView view = analyse(part);
  if (!view.concat) {
    MessageBuilder b;
    b.add(part, view);
    result.outcome = PartOutcome::standalone;
    result.message = b.finish();
    return result;
  }
  const ConcatInfo c = *view.concat;
  make_keys(part, c);

  const std::uint64_t digest = part_digest(part);
  const std::uint64_t identity = identity_hash(part.identity);
  const Echo echo = echo_of(scratch_key_, c.seq, digest, identity, part.now_ms);
  if (echo == Echo::certain) {
    result.outcome = PartOutcome::late_duplicate;
    return result;
  }

  auto it = sets_.find(std::string_view(scratch_key_));
  if (it != sets_.end()) {
    Set& held = it->second;
    auto same = std::lower_bound(held.parts.begin(), held.parts.end(), c.seq, seq_less);
    if (same != held.parts.end() && same->seq == c.seq) {
      if (same->digest == digest) {  // a retry of a part we hold
        result.original_token = same->token;
        held.duplicate_tokens.push_back(part.token);
        held.bytes += sizeof(std::uint64_t);
        bytes_held_ += sizeof(std::uint64_t);
        result.outcome = PartOutcome::duplicate;
        while (bytes_held_ > config_.max_bytes && !by_age_.empty()) flush_oldest(result.flushed);
        return result;
      }
      if (same->repeat) {
        // The held part repeated the completed message and this number now comes with other
        // bytes: the held one was that message's retry. It steps aside (its token is answered
        // with this set) and the new part takes its place.
        held.duplicate_tokens.push_back(same->token);
        const std::size_t n = same->bytes();
        held.bytes = held.bytes - n + sizeof(std::uint64_t);
        bytes_held_ = bytes_held_ - n + sizeof(std::uint64_t);
        --parts_held_;
        --held.repeats;
        held.parts.erase(same);
      } else if (echo == Echo::repeat) {
        // The set holds this number with new bytes and this part repeats the completed
        // message: it is that message's retry, answered once what is pending is committed.
        result.outcome = PartOutcome::late_duplicate;
        return result;
      } else {
        // Same reference, different content: a new message. Deliver the old one as it is.
        result.flushed.push_back(take(it, true));
        it = sets_.end();
      }
    }
  }
  if (it == sets_.end()) {
    auto src = by_source_.find(std::string_view(scratch_source_));
    if (src != by_source_.end() && src->second.size() >= config_.max_sets_per_source) {
      flush_oldest_of(scratch_source_, result.flushed);
    }
    while (sets_.size() >= config_.max_sets_total && !by_age_.empty()) {
      flush_oldest(result.flushed);
    }
    Set s;
    s.key = scratch_key_;
    s.source_key = scratch_source_;
    s.smsc.assign(part.smsc);
    s.source.assign(part.source_addr);
    s.destination.assign(part.destination_addr);
    s.total = c.total;
    s.age = AgeKey{part.now_ms, serial_++};
    it = sets_.emplace(scratch_key_, std::move(s)).first;
    by_age_.emplace(it->second.age, &it->second);
    by_source_[scratch_source_].insert(it->second.age);
  }
  Set& set = it->second;
  auto pos = std::lower_bound(set.parts.begin(), set.parts.end(), c.seq, seq_less);
  {
    HeldPart h;
    h.seq = c.seq;
    h.esm_class = part.esm_class;
    h.data_coding = part.data_coding;
    h.short_message.assign(part.short_message);
    if (part.message_payload) h.message_payload.emplace(*part.message_payload);
    h.sar_msg_ref_num = part.sar_msg_ref_num;
    h.sar_total_segments = part.sar_total_segments;
    h.sar_segment_seqnum = part.sar_segment_seqnum;
    h.destination_port = part.destination_port;
    h.source_port = part.source_port;
    h.now_ms = part.now_ms;
    h.token = part.token;
    h.digest = digest;
    h.identity = identity;
    h.repeat = echo == Echo::repeat;
    if (h.repeat) ++set.repeats;
    const std::size_t n = h.bytes();
    set.parts.insert(pos, std::move(h));
    set.bytes += n;
    bytes_held_ += n;
    ++parts_held_;
    if (part.now_ms < set.age.first) rekey(set, part.now_ms);
    if (set.parts.size() == set.total) {
      remember_completed(set, part.now_ms);
      result.outcome = PartOutcome::completed;
      result.message = take(it, false);
      return result;
    }
    result.outcome = PartOutcome::held;
  }
  while (bytes_held_ > config_.max_bytes && !by_age_.empty()) flush_oldest(result.flushed);
  return result;
}

void Reassembler::make_keys(const InboundPart& part, const ConcatInfo& c) {
  scratch_source_.clear();
  append_field(scratch_source_, part.smsc);
  append_field(scratch_source_, part.source_addr);
  scratch_key_ = scratch_source_;
  append_field(scratch_key_, part.destination_addr);
  scratch_key_.push_back(static_cast<char>(c.ref >> 8));
  scratch_key_.push_back(static_cast<char>(c.ref & 0xFF));
  scratch_key_.push_back(static_cast<char>(c.total));
}

bool Reassembler::withdraw(const InboundPart& part) {
  const PartView view = analyse(part);
  if (!view.concat) return false;
  make_keys(part, *view.concat);
  auto it = sets_.find(std::string_view(scratch_key_));
  if (it == sets_.end()) return false;
  Set& set = it->second;
  auto held = std::find_if(set.parts.begin(), set.parts.end(), [&](const HeldPart& h) {
    return h.seq == view.concat->seq && h.token == part.token;
  });
  if (held == set.parts.end()) return false;
  const std::size_t n = held->bytes();
  if (held->repeat) --set.repeats;
  set.parts.erase(held);
  set.bytes -= n;
  bytes_held_ -= n;
  --parts_held_;
  if (set.parts.empty()) {
    // Its duplicates' tokens were answered with the withdrawn part.
    (void)take(it, true);
    return true;
  }
  std::int64_t first = set.parts.front().now_ms;
  for (const HeldPart& h : set.parts) first = std::min(first, h.now_ms);
  if (first != set.age.first) rekey(set, first);
  return true;
}

std::vector<ReassembledMessage> Reassembler::expire(std::int64_t now_ms) {
  std::vector<ReassembledMessage> out;
  forget_recent(now_ms);
  while (!by_age_.empty()) {
    const std::int64_t first = by_age_.begin()->first.first;
    if (first > now_ms) break;
    // Unsigned difference: exact for now_ms >= first whatever the magnitudes.
    const std::uint64_t age =
        static_cast<std::uint64_t>(now_ms) - static_cast<std::uint64_t>(first);
    if (age < static_cast<std::uint64_t>(config_.timeout_ms)) break;
    flush_oldest(out);
  }
  return out;
}

std::vector<StoredPart> Reassembler::snapshot() const {
  std::vector<StoredPart> out;
  out.reserve(parts_held_);
  for (const auto& [age, set] : by_age_) {
    for (const HeldPart& h : set->parts) {
      StoredPart s;
      s.smsc = set->smsc;
      s.source_addr = set->source;
      s.destination_addr = set->destination;
      s.esm_class = h.esm_class;
      s.data_coding = h.data_coding;
      s.short_message = h.short_message;
      s.message_payload = h.message_payload;
      s.sar_msg_ref_num = h.sar_msg_ref_num;
      s.sar_total_segments = h.sar_total_segments;
      s.sar_segment_seqnum = h.sar_segment_seqnum;
      s.destination_port = h.destination_port;
      s.source_port = h.source_port;
      s.now_ms = h.now_ms;
      s.token = h.token;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<ReassembledMessage> Reassembler::restore(std::span<const StoredPart> parts) {
  std::vector<ReassembledMessage> out;
  for (const StoredPart& p : parts) {
    AddResult r = add(p.view());
    for (auto& m : r.flushed) out.push_back(std::move(m));
    if (r.message) out.push_back(std::move(*r.message));
  }
  return out;
}

std::vector<ReassembledMessage> Reassembler::reopen(std::span<const StoredPart> parts) {
  for (const StoredPart& p : parts) {
    const InboundPart part = p.view();
    const PartView view = analyse(part);
    if (!view.concat) continue;
    make_keys(part, *view.concat);
    // Not completed after all: its parts are no repeats. The order entry goes when it ages.
    if (auto found = recent_.find(std::string_view(scratch_key_)); found != recent_.end())
      recent_.erase(found);
  }
  return restore(parts);
}

ReassembledMessage Reassembler::build(Set& set, bool incomplete) {
  MessageBuilder b;
  for (const HeldPart& h : set.parts) {
    InboundPart p;
    p.smsc = set.smsc;
    p.source_addr = set.source;
    p.destination_addr = set.destination;
    p.esm_class = h.esm_class;
    p.data_coding = h.data_coding;
    p.short_message = h.short_message;
    if (h.message_payload) p.message_payload = *h.message_payload;
    p.sar_msg_ref_num = h.sar_msg_ref_num;
    p.sar_total_segments = h.sar_total_segments;
    p.sar_segment_seqnum = h.sar_segment_seqnum;
    p.destination_port = h.destination_port;
    p.source_port = h.source_port;
    p.now_ms = h.now_ms;
    p.token = h.token;
    b.add(p, analyse(p));
  }
  ReassembledMessage& m = b.message();
  m.tokens.insert(m.tokens.end(), set.duplicate_tokens.begin(), set.duplicate_tokens.end());
  m.incomplete = incomplete;
  m.late_duplicate = incomplete && !set.parts.empty() && set.repeats == set.parts.size();
  m.parts_expected = set.total;
  m.parts_received = static_cast<std::uint8_t>(set.parts.size());
  m.first_received_ms = set.age.first;
  return b.finish();
}

ReassembledMessage Reassembler::take(
    std::unordered_map<std::string, Set, Hash, std::equal_to<>>::iterator it, bool incomplete) {
  Set& set = it->second;
  ReassembledMessage m = build(set, incomplete);
  by_age_.erase(set.age);
  if (auto src = by_source_.find(std::string_view(set.source_key)); src != by_source_.end()) {
    src->second.erase(set.age);
    if (src->second.empty()) by_source_.erase(src);
  }
  parts_held_ -= set.parts.size();
  bytes_held_ -= set.bytes;
  sets_.erase(it);
  return m;
}

void Reassembler::flush_oldest(std::vector<ReassembledMessage>& out) {
  if (by_age_.empty()) return;
  const Set* set = by_age_.begin()->second;
  auto it = sets_.find(std::string_view(set->key));
  out.push_back(take(it, true));
}

void Reassembler::flush_oldest_of(std::string_view source_key,
                                  std::vector<ReassembledMessage>& out) {
  auto src = by_source_.find(source_key);
  if (src == by_source_.end() || src->second.empty()) return;
  const AgeKey age = *src->second.begin();
  auto aged = by_age_.find(age);
  if (aged == by_age_.end()) return;
  auto it = sets_.find(std::string_view(aged->second->key));
  out.push_back(take(it, true));
}

void Reassembler::rekey(Set& set, std::int64_t first_ms) {
  by_age_.erase(set.age);
  auto& ages = by_source_[set.source_key];
  ages.erase(set.age);
  set.age.first = first_ms;
  by_age_.emplace(set.age, &set);
  ages.insert(set.age);
}

void Reassembler::remember_completed(const Set& set, std::int64_t now_ms) {
  if (config_.max_recent == 0) return;
  Recent rec;
  rec.completed_ms = now_ms;
  rec.serial = serial_++;
  rec.parts.reserve(set.parts.size());
  for (const HeldPart& h : set.parts) rec.parts.push_back(RecentPart{h.seq, h.digest, h.identity});
  recent_order_.emplace_back(rec.serial, set.key);
  recent_[set.key] = std::move(rec);
  while (recent_order_.size() > config_.max_recent) {
    auto& [serial, key] = recent_order_.front();
    auto found = recent_.find(std::string_view(key));
    if (found != recent_.end() && found->second.serial == serial) recent_.erase(found);
    recent_order_.pop_front();
  }
}

void Reassembler::forget_recent(std::int64_t now_ms) {
  while (!recent_order_.empty()) {
    auto& [serial, key] = recent_order_.front();
    auto found = recent_.find(std::string_view(key));
    if (found != recent_.end() && found->second.serial == serial) {
      const std::int64_t done = found->second.completed_ms;
      if (done <= now_ms && static_cast<std::uint64_t>(now_ms) - static_cast<std::uint64_t>(done) <
                                static_cast<std::uint64_t>(config_.timeout_ms)) {
        break;
      }
      recent_.erase(found);
    }
    recent_order_.pop_front();
  }
}

Reassembler::Echo Reassembler::echo_of(std::string_view key, std::uint8_t seq, std::uint64_t digest,
                                       std::uint64_t identity, std::int64_t now_ms) const {
  auto found = recent_.find(key);
  if (found == recent_.end()) return Echo::none;
  const Recent& rec = found->second;
  if (now_ms < rec.completed_ms ||
      static_cast<std::uint64_t>(now_ms) - static_cast<std::uint64_t>(rec.completed_ms) >=
          static_cast<std::uint64_t>(config_.timeout_ms)) {
    return Echo::none;
  }
  for (const RecentPart& p : rec.parts) {
    if (p.seq != seq || p.digest != digest) continue;
    if (identity == 0 || p.identity == 0) return Echo::repeat;
    return identity == p.identity ? Echo::certain : Echo::none;
  }
  return Echo::none;
}

DecodeResult decode_message_text(const ReassembledMessage& message, std::string& out,
                                 DecodeOptions options) {
  options.single_shift = message.single_shift.value_or(0);
  options.locking_shift = message.locking_shift.value_or(0);
  const std::string_view all = message.user_data;
  // Classify first (nothing to decode yet): only packed GSM needs the parts one by one.
  DecodeResult result = decode_text(message.data_coding, std::string_view{}, out, options);
  if (result.charset != Charset::gsm7_packed || message.boundaries.empty())
    return decode_text(message.data_coding, all, out, options);
  out.clear();
  std::string part;
  std::size_t begin = 0;
  const auto decode_part = [&](std::size_t end, std::size_t header_octets) {
    options.fill_bits = static_cast<std::uint8_t>(gsm7::fill_bits(header_octets));
    options.septets = static_cast<std::size_t>(-1);
    result.replaced +=
        decode_text(message.data_coding, all.substr(begin, end - begin), part, options).replaced;
    out += part;
    begin = end;
  };
  for (const PartBoundary& b : message.boundaries) {
    const std::size_t end = std::min<std::size_t>(b.end, all.size());
    if (end >= begin) decode_part(end, b.header_octets);
  }
  if (begin < all.size()) decode_part(all.size(), 0);  // not described by a boundary
  return result;
}

}  // namespace twoway::smpp
