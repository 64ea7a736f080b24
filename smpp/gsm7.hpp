// GSM 03.38 / 3GPP TS 23.038 7-bit default alphabet: UTF-8 <-> septets (unpacked, one septet
// per octet, as SMPP normally carries them) and packing; national language shift tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace twoway::smpp::gsm7 {

inline constexpr std::uint8_t escape = 0x1B;
inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

/// National language identifiers (23.038 §6.2.1.2.4) that have tables here. Turkish has a
/// locking and a single shift table, Spanish only a single shift table, Portuguese both.
namespace language {
inline constexpr std::uint8_t none = 0;
inline constexpr std::uint8_t turkish = 1;
inline constexpr std::uint8_t spanish = 2;
inline constexpr std::uint8_t portuguese = 3;
}  // namespace language

/// Which tables to decode with, from the UDH IEs 0x24 (single shift) and 0x25 (locking shift).
/// 0, and any id without a table here, selects the default alphabet / extension table; the IEs
/// themselves stay in the UDH, which the caller keeps.
struct Shift {
  std::uint8_t single_shift = language::none;
  std::uint8_t locking_shift = language::none;
};

[[nodiscard]] bool has_single_shift_table(std::uint8_t language_id) noexcept;
[[nodiscard]] bool has_locking_shift_table(std::uint8_t language_id) noexcept;

// ---------------------------------------------------------------------------------------------
// Decode

/// Appends the UTF-8 text of unpacked septets (one per octet; the top bit is ignored).
/// ESC followed by a code the (single shift) table does not define decodes as that code's base
/// character; ESC ESC (reserved) decodes as a space; a trailing ESC is dropped.
void decode_unpacked(std::string_view septets, std::string& out, Shift shift = {});

/// Fill bits that put the first septet after a UDH of `udh_octets` octets (UDHL octet included)
/// on a septet boundary: (7 - udh_octets*8 % 7) % 7. A 6-octet UDH needs 1, a 7-octet UDH 0.
[[nodiscard]] constexpr std::size_t fill_bits(std::size_t udh_octets) noexcept {
  return (7 - (udh_octets * 8) % 7) % 7;
}

/// Unpacks LSB-first packed septets, skipping `fill` (0-6) leading bits, and appends them to
/// `septets_out`, one per octet. With `septet_count` = npos every whole septet is taken, except
/// that a final CR filling exactly the last 7 bits is padding (23.038 §6.1.2.3.1) and is dropped;
/// otherwise at most `septet_count` septets are taken. Returns the number appended.
std::size_t unpack(std::string_view packed, std::string& septets_out, std::size_t fill = 0,
                   std::size_t septet_count = npos);

/// unpack + decode_unpacked, without an intermediate buffer.
void decode_packed(std::string_view packed, std::string& out, std::size_t fill = 0,
                   std::size_t septet_count = npos, Shift shift = {});

// ---------------------------------------------------------------------------------------------
// Encode

/// Septet code for one code point in the default tables: 0x00-0x7F a base septet,
/// 0x1B00 | x the extension pair ESC x, `unmappable` when the default alphabet lacks it.
inline constexpr std::uint16_t unmappable = 0xFFFF;
[[nodiscard]] std::uint16_t lookup(char32_t cp) noexcept;

/// Septets `cp` costs in the default alphabet: 1, 2 (extension table) or 0 (unmappable).
[[nodiscard]] inline unsigned septet_cost(char32_t cp) noexcept {
  const std::uint16_t code = lookup(cp);
  return code == unmappable ? 0u : (code > 0x7F ? 2u : 1u);
}

enum class OnUnmappable {
  fail,     ///< stop at the first unmappable character; `out` is left as it was
  replace,  ///< write '?' for it (lossy) and go on
};

struct EncodeResult {
  std::size_t septets = 0;     ///< septets appended (ESC pairs count 2)
  std::size_t unmappable = 0;  ///< characters the alphabet lacks (with fail: 0 or 1)
  [[nodiscard]] bool ok() const noexcept { return unmappable == 0; }
};

/// Appends the unpacked septets of `utf8` (default alphabet and extension table). Invalid UTF-8
/// counts as unmappable (U+FFFD is not in the alphabet). A caller that gets !ok() with `fail`
/// switches the message to UCS-2.
[[nodiscard]] EncodeResult encode(std::string_view utf8, std::string& out,
                                  OnUnmappable on_unmappable = OnUnmappable::fail);

/// Packs unpacked septets LSB-first after `fill` zero bits and appends the octets. Follows the
/// 23.038 CR rules so that a decoder without the septet count reads the same text: 7 spare bits
/// at the end are filled with CR (not 0, which would read as '@'); a final real CR that ends on
/// an octet boundary gets a second CR, when that fits in `max_octets`. Returns octets appended.
std::size_t pack(std::string_view septets, std::string& out, std::size_t fill = 0,
                 std::size_t max_octets = npos);

/// Octets that `septets` septets take packed after `fill` bits (no CR doubling).
[[nodiscard]] constexpr std::size_t packed_octets(std::size_t septets,
                                                  std::size_t fill = 0) noexcept {
  return septets == 0 ? 0 : (fill + septets * 7 + 7) / 8;
}

}  // namespace twoway::smpp::gsm7
