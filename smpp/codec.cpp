// Framing, decode and encode of SMPP PDUs. Decode is lenient and copies nothing (views into
// the frame); encode is strict and appends to a caller-owned, reusable buffer.
#include "smpp/codec.hpp"

#include <cstring>

namespace twoway::smpp {
namespace {

/// Reads body fields in wire order from [pos, end) of the frame.
class Decoder {
 public:
  Decoder(std::string_view frame, std::size_t pos)
      : data_(frame.data()), pos_(pos), end_(frame.size()) {}

  bool ok() const noexcept { return !error_; }
  const DecodeError& error() const noexcept { return error_; }

  void cstr(std::string_view name, std::string_view& out, std::size_t /*max*/) {
    // Lenient: over-long strings are accepted up to their NUL (reference §14.14).
    const void* nul = pos_ < end_ ? std::memchr(data_ + pos_, 0, end_ - pos_) : nullptr;
    if (nul == nullptr) return fail(errc::cstring_unterminated, name);
    const auto len = static_cast<std::size_t>(static_cast<const char*>(nul) - (data_ + pos_));
    out = std::string_view(data_ + pos_, len);
    pos_ += len + 1;
  }

  void u8(std::string_view name, std::uint8_t& out) {
    if (pos_ >= end_) return fail(errc::field_truncated, name);
    out = static_cast<std::uint8_t>(data_[pos_++]);
  }

  void u32(std::string_view name, std::uint32_t& out) {
    if (end_ - pos_ < 4 || pos_ > end_) return fail(errc::field_truncated, name);
    out = load_be32(data_ + pos_);
    pos_ += 4;
  }

  void short_message(std::string_view& out) {
    std::uint8_t length = 0;
    u8("sm_length", length);
    if (!ok()) return;
    if (end_ - pos_ < length) return fail(errc::short_message_overrun, "short_message");
    out = std::string_view(data_ + pos_, length);
    pos_ += length;
  }

  void tlvs(TlvList& out) {
    out.clear();
    while (pos_ < end_) {
      if (end_ - pos_ < 4) return fail(errc::tlv_truncated, "tlv");
      const std::uint16_t tag = load_be16(data_ + pos_);
      const std::uint16_t length = load_be16(data_ + pos_ + 2);
      if (end_ - pos_ - 4 < length) return fail(errc::tlv_overrun, tlv_field_name(tag));
      out.push_back(Tlv{tag, std::string_view(data_ + pos_ + 4, length)});
      pos_ += 4u + length;
    }
  }

  bool optional_body(bool& present) {
    present = pos_ < end_;
    return present;
  }

  template <class Vec>
  void dest_addresses(Vec& out) {
    out.clear();
    std::uint8_t count = 0;
    u8("number_of_dests", count);
    if (!ok()) return;
    if (count > 254) return fail(errc::invalid_number_of_dests, "number_of_dests");
    for (unsigned i = 0; i < count && ok(); ++i) {
      DestAddress d;
      const std::size_t at = pos_;
      u8("dest_flag", d.dest_flag);
      if (!ok()) return;
      if (d.dest_flag == 1) {
        u8("dest_addr_ton", d.dest_addr_ton);
        u8("dest_addr_npi", d.dest_addr_npi);
        if (ok()) cstr("destination_addr", d.destination_addr, 21);
      } else if (d.dest_flag == 2) {
        cstr("dl_name", d.dl_name, 21);
      } else {
        pos_ = at;
        return fail(errc::invalid_dest_flag, "dest_flag");
      }
      if (ok()) out.push_back(d);
    }
  }

  template <class Vec>
  void unsuccess_smes(Vec& out) {
    out.clear();
    std::uint8_t count = 0;
    u8("no_unsuccess", count);
    for (unsigned i = 0; i < count && ok(); ++i) {
      UnsuccessSme u;
      u8("dest_addr_ton", u.dest_addr_ton);
      if (ok()) u8("dest_addr_npi", u.dest_addr_npi);
      if (ok()) cstr("destination_addr", u.destination_addr, 21);
      if (ok()) u32("error_status_code", u.error_status_code);
      if (ok()) out.push_back(u);
    }
  }

 private:
  static std::string_view tlv_field_name(std::uint16_t tag) {
    auto name = tlv_name(tag);
    return name.empty() ? std::string_view("tlv") : name;
  }

  void fail(errc e, std::string_view field) {
    error_.code = make_error_code(e);
    error_.field = field;
    error_.offset = pos_;
  }

  const char* data_;
  std::size_t pos_;
  std::size_t end_;
  DecodeError error_;
};

/// Appends body fields in wire order; refuses values the spec does not allow.
class Encoder {
 public:
  Encoder(std::string& out, const EncodeOptions& options) : out_(out), options_(options) {}

  bool ok() const noexcept { return !error_; }
  const DecodeError& error() const noexcept { return error_; }

  void cstr(std::string_view name, std::string_view value, std::size_t max) {
    if (!value.empty() && std::memchr(value.data(), 0, value.size()) != nullptr)
      return fail(errc::cstring_has_nul, name);
    if (options_.enforce_cstring_max) {
      if (value.size() + 1 > max) return fail(errc::cstring_too_long, name);
      // The 17-octet fields are the SMPP time fields: exactly 16 characters, or empty.
      if (max == 17 && !value.empty() && value.size() != 16)
        return fail(errc::invalid_time_format, name);
    }
    out_.append(value.data(), value.size());
    out_.push_back('\0');
  }

  void u8(std::string_view, std::uint8_t value) { out_.push_back(static_cast<char>(value)); }

  void u32(std::string_view, std::uint32_t value) {
    char b[4];
    store_be32(b, value);
    out_.append(b, 4);
  }

  void short_message(std::string_view value) {
    if (value.size() > options_.max_short_message || value.size() > 255)
      return fail(errc::short_message_too_long, "short_message");
    out_.push_back(static_cast<char>(value.size()));
    out_.append(value.data(), value.size());
  }

  void tlvs(const TlvList& list) {
    for (const auto& t : list) {
      if (t.value.size() > 0xFFFF) return fail(errc::tlv_too_long, "tlv");
      char h[4];
      store_be16(h, t.tag);
      store_be16(h + 2, static_cast<std::uint16_t>(t.value.size()));
      out_.append(h, 4);
      out_.append(t.value.data(), t.value.size());
    }
  }

  bool optional_body(bool present) const noexcept { return present; }

  template <class Vec>
  void dest_addresses(const Vec& list) {
    if (list.size() > 254) return fail(errc::too_many_dests, "number_of_dests");
    u8("number_of_dests", static_cast<std::uint8_t>(list.size()));
    for (const auto& d : list) {
      u8("dest_flag", d.dest_flag);
      if (d.dest_flag == 1) {
        u8("dest_addr_ton", d.dest_addr_ton);
        u8("dest_addr_npi", d.dest_addr_npi);
        cstr("destination_addr", d.destination_addr, 21);
      } else if (d.dest_flag == 2) {
        cstr("dl_name", d.dl_name, 21);
      } else {
        return fail(errc::invalid_dest_flag, "dest_flag");
      }
      if (!ok()) return;
    }
  }

  template <class Vec>
  void unsuccess_smes(const Vec& list) {
    if (list.size() > 255) return fail(errc::too_many_dests, "no_unsuccess");
    u8("no_unsuccess", static_cast<std::uint8_t>(list.size()));
    for (const auto& u : list) {
      u8("dest_addr_ton", u.dest_addr_ton);
      u8("dest_addr_npi", u.dest_addr_npi);
      cstr("destination_addr", u.destination_addr, 21);
      if (!ok()) return;
      u32("error_status_code", u.error_status_code);
    }
  }

 private:
  void fail(errc e, std::string_view field) {
    if (error_) return;
    error_.code = make_error_code(e);
    error_.field = field;
    error_.offset = out_.size();
  }

  std::string& out_;
  const EncodeOptions& options_;
  DecodeError error_;
};

/// Adapts the const Encoder to the visit_fields signature (which takes references).
class EncodeVisitor {
 public:
  explicit EncodeVisitor(Encoder& e) : e_(e) {}
  bool ok() const noexcept { return e_.ok(); }
  void cstr(std::string_view n, std::string_view& v, std::size_t max) { e_.cstr(n, v, max); }
  void u8(std::string_view n, std::uint8_t& v) { e_.u8(n, v); }
  void short_message(std::string_view& v) { e_.short_message(v); }
  void tlvs(TlvList& v) { e_.tlvs(v); }
  bool optional_body(bool& present) { return e_.optional_body(present); }
  template <class Vec>
  void dest_addresses(Vec& v) {
    e_.dest_addresses(v);
  }
  template <class Vec>
  void unsuccess_smes(Vec& v) {
    e_.unsuccess_smes(v);
  }

 private:
  Encoder& e_;
};

}  // namespace

FrameCheck check_frame(std::string_view buffered, std::uint32_t max_command_length) noexcept {
  FrameCheck check;
  if (buffered.size() < 4) return check;
  check.length = load_be32(buffered.data());
  if (buffered.size() >= header_size) check.sequence_number = load_be32(buffered.data() + 12);
  if (check.length < header_size) {
    check.kind = FrameCheck::Kind::invalid;
    check.error = make_error_code(errc::command_length_too_short);
  } else if (check.length > max_command_length) {
    check.kind = FrameCheck::Kind::invalid;
    check.error = make_error_code(errc::command_length_too_large);
  } else if (buffered.size() >= check.length) {
    check.kind = FrameCheck::Kind::ready;
  }
  return check;
}

DecodeError decode(std::string_view frame, Pdu& out) {
  if (frame.size() < header_size) {
    return DecodeError{make_error_code(errc::field_truncated), "command_length", 0};
  }
  out.header.command_length = load_be32(frame.data());
  out.header.command_id = load_be32(frame.data() + 4);
  out.header.command_status = load_be32(frame.data() + 8);
  out.header.sequence_number = load_be32(frame.data() + 12);
  if (out.header.command_length < header_size) {
    return DecodeError{make_error_code(errc::command_length_too_short), "command_length", 0};
  }
  // Never read past what command_length covers, whatever the caller handed in.
  if (frame.size() > out.header.command_length) frame = frame.substr(0, out.header.command_length);
  if (frame.size() < out.header.command_length) {
    return DecodeError{make_error_code(errc::field_truncated), "command_length", 0};
  }

  out.body = body_for_command(out.header.command_id);
  if (auto* unknown = std::get_if<Unknown>(&out.body)) {
    unknown->body = frame.substr(header_size);
    return {};
  }
  Decoder decoder(frame, header_size);
  std::visit(
      [&](auto& body) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(body)>, Unknown>)
          body.visit_fields(decoder);
      },
      out.body);
  return decoder.error();
}

DecodeError encode(const Pdu& pdu, std::string& out, const EncodeOptions& options) {
  const std::size_t start = out.size();
  out.resize(start + header_size);
  Encoder encoder(out, options);
  EncodeVisitor visitor(encoder);
  bool known = true;
  // visit_fields takes non-const references (one field list for decode and encode); the
  // encoder only reads them.
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Unknown>) {
          known = false;
          out.append(body.body.data(), body.body.size());
        } else {
          const_cast<T&>(body).visit_fields(visitor);
        }
      },
      pdu.body);
  (void)known;
  if (!encoder.ok()) {
    DecodeError error = encoder.error();
    error.offset -= start;
    out.resize(start);
    return error;
  }
  const auto length = static_cast<std::uint32_t>(out.size() - start);
  char* h = out.data() + start;
  store_be32(h, length);
  store_be32(h + 4, pdu.header.command_id);
  store_be32(h + 8, pdu.header.command_status);
  store_be32(h + 12, pdu.header.sequence_number);
  return {};
}

void patch_sequence_number(std::string& frame, std::uint32_t sequence_number) noexcept {
  if (frame.size() >= header_size) store_be32(frame.data() + 12, sequence_number);
}

}  // namespace twoway::smpp
