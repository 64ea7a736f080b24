// The SMPP codec: framing over a byte stream, decode of one frame into a Pdu (views into the
// frame, lenient), and encode of a Pdu into a reusable buffer (strict).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "smpp/errc.hpp"
#include "smpp/pdu.hpp"

namespace twoway::smpp {

inline constexpr std::uint32_t default_max_command_length = 64 * 1024;

/// What the bytes buffered so far hold at their start.
struct FrameCheck {
  enum class Kind {
    need_more,  ///< fewer than 16 octets, or fewer than command_length: consume nothing
    ready,      ///< a whole frame of `length` octets is there
    invalid,    ///< command_length < 16 or > cap: unrecoverable, nack and close
  };
  Kind kind = Kind::need_more;
  std::uint32_t length = 0;           ///< command_length when known
  std::uint32_t sequence_number = 0;  ///< when at least 16 octets are there, else 0
  std::error_code error;              ///< set when kind == invalid
};

/// Looks at the start of `buffered` without consuming anything. Checks command_length
/// against `max_command_length` before the caller allocates anything for the frame.
FrameCheck check_frame(std::string_view buffered,
                       std::uint32_t max_command_length = default_max_command_length) noexcept;

/// Where and why a decode failed.
struct DecodeError {
  std::error_code code;    ///< errc value; command_status_for(code) gives the _resp status
  std::string_view field;  ///< spec name of the field being read ("" for the header)
  std::size_t offset = 0;  ///< octet offset in the frame where the field starts
  explicit operator bool() const noexcept { return static_cast<bool>(code); }
};

/// Decodes one whole frame (exactly command_length octets, as check_frame said) into `out`.
/// Views in `out` point into `frame`. Lenient: error responses with or without a body, unknown
/// TLVs and statuses kept, over-long C-strings accepted. An unknown command_id decodes into
/// Unknown (no error): the caller answers generic_nack ESME_RINVCMDID for requests and drops
/// responses. On error `out.header` is still filled in when 16 octets were there.
[[nodiscard]] DecodeError decode(std::string_view frame, Pdu& out);

struct EncodeOptions {
  /// Refuse C-strings longer than their spec maximum (strict encode). Off only for tools that
  /// must reproduce what a lenient peer sent.
  bool enforce_cstring_max = true;
  /// Largest short_message accepted on encode (254 per 3.4; some SMSCs need 140).
  std::size_t max_short_message = 254;
};

/// Appends the encoded PDU to `out` (command_length computed here). On error nothing is
/// appended and the error names the field.
[[nodiscard]] DecodeError encode(const Pdu& pdu, std::string& out,
                                 const EncodeOptions& options = {});

/// Writes `sequence_number` into an already encoded frame (octets 12..15): lets a queue keep
/// encoded PDUs and number them only when they go on the wire.
void patch_sequence_number(std::string& frame, std::uint32_t sequence_number) noexcept;

/// Big-endian helpers shared by the codec, TLV builders and tests.
inline std::uint32_t load_be32(const char* p) noexcept {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}
inline std::uint16_t load_be16(const char* p) noexcept {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}
inline void store_be32(char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}
inline void store_be16(char* p, std::uint16_t v) noexcept {
  p[0] = static_cast<char>(v >> 8);
  p[1] = static_cast<char>(v);
}

}  // namespace twoway::smpp
