// Text decoding by SMPP data_coding (GSM 03.38, IA5/ASCII, Latin-1, UCS-2/UTF-16BE, binary),
// encode helpers to UCS-2 and Latin-1, and the UTF-8 primitives the text layer shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace twoway::smpp {

// ---------------------------------------------------------------------------------------------
// UTF-8 primitives (inline: every text path runs through them)

inline constexpr char32_t replacement_char = 0xFFFD;

/// Decodes the code point that starts at `s[pos]` (pos < s.size()) and advances `pos` past it.
/// Invalid input (stray continuation bytes, overlong forms, surrogates, values above U+10FFFF,
/// truncated sequences) yields U+FFFD and advances by the maximal invalid subpart (at least one
/// byte), as Unicode recommends, so one bad byte never swallows the next good character.
inline char32_t utf8_next(std::string_view s, std::size_t& pos) noexcept {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  std::size_t need;
  char32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    ++pos;
    return replacement_char;
  }
  std::size_t i = pos + 1;
  for (std::size_t k = 0; k < need; ++k, ++i) {
    if (i >= s.size()) {
      pos = i;
      return replacement_char;
    }
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < lo || b > hi) {
      pos = i;  // the offending byte starts the next character
      return replacement_char;
    }
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  pos = i;
  return cp;
}

/// Writes the UTF-8 form of `cp` at `p` (room for 4 bytes) and returns the bytes written.
/// Surrogates and values above U+10FFFF are written as U+FFFD.
inline std::size_t utf8_write(char* p, char32_t cp) noexcept {
  if (cp < 0x80) {
    p[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    p[0] = static_cast<char>(0xC0 | (cp >> 6));
    p[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = replacement_char;
  if (cp < 0x10000) {
    p[0] = static_cast<char>(0xE0 | (cp >> 12));
    p[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    p[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  p[0] = static_cast<char>(0xF0 | (cp >> 18));
  p[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  p[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  p[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

/// Appends the UTF-8 form of `cp` to `out` (see utf8_write).
inline void utf8_append(std::string& out, char32_t cp) {
  char buf[4];
  out.append(buf, utf8_write(buf, cp));
}

/// True when `s` is well-formed UTF-8.
[[nodiscard]] bool utf8_valid(std::string_view s) noexcept;

/// Replaces `out` with `s` where every invalid sequence became U+FFFD. Returns the number of
/// replacements made.
std::size_t utf8_sanitize(std::string_view s, std::string& out);

// ---------------------------------------------------------------------------------------------
// Decoding by data_coding

/// What data_coding 0x00 ("SMSC default alphabet") means on a bind: it differs per SMSC.
enum class DefaultAlphabet { gsm7_unpacked, gsm7_packed, latin1, ascii };

/// The encoding a decode actually used.
enum class Charset : std::uint8_t {
  gsm7,         ///< GSM 03.38, one septet per octet
  gsm7_packed,  ///< GSM 03.38, septets packed LSB-first
  ascii,        ///< IA5 / ASCII (0x01, or 0x00 configured as ASCII)
  latin1,       ///< ISO-8859-1
  cyrillic,     ///< ISO-8859-5 (0x06)
  hebrew,       ///< ISO-8859-8 (0x07)
  ucs2,         ///< UTF-16BE, surrogate pairs accepted
  binary,       ///< 8-bit data (0x02, 0x04, 8-bit GSM classes): no text
  unsupported,  ///< a coding with no decoder here (JIS, KS C 5601, compressed, reserved): no text
};

/// Stable lower-case name of a Charset ("gsm7", "ucs2", ...), for logs and the tools.
[[nodiscard]] std::string_view charset_name(Charset c) noexcept;

struct DecodeOptions {
  /// Meaning of data_coding 0x00 on this bind; gsm7_packed also makes the GSM-7 values of the
  /// GSM data coding groups (0x10-0x1F, 0xC0-0xDF, 0xF0-0xF3...) decode as packed.
  DefaultAlphabet default_alphabet = DefaultAlphabet::gsm7_unpacked;
  /// Some SMSCs send GSM 03.38 under data_coding 0x01 (IA5); set this for such a bind (packed
  /// or not as for the GSM coding groups).
  bool ia5_as_gsm7 = false;
  /// National language tables from the UDH (IE 0x24 single shift, IE 0x25 locking shift);
  /// 0 = the default tables. Ids without a table here fall back to the default tables.
  std::uint8_t single_shift = 0;
  std::uint8_t locking_shift = 0;
  /// Packed GSM only: fill bits before the first septet (gsm7::fill_bits of the stripped UDH),
  /// and the septet count when it is known (otherwise derived from the octets, see gsm7.hpp).
  std::uint8_t fill_bits = 0;
  std::size_t septets = static_cast<std::size_t>(-1);
};

struct DecodeResult {
  Charset charset = Charset::unsupported;
  /// Input units that could not be decoded and became U+FFFD (bytes above 0x7F in ASCII,
  /// lone surrogates and an odd trailing byte in UCS-2, unassigned ISO-8859-8 bytes).
  std::size_t replaced = 0;
  /// True when `out` holds the message text (false for binary and unsupported codings).
  [[nodiscard]] bool is_text() const noexcept {
    return charset != Charset::binary && charset != Charset::unsupported;
  }
};

/// Classifies data_coding without decoding: the Charset decode_text would use (with
/// ia5_as_gsm7 set, 0x01 is GSM-7 as well).
[[nodiscard]] Charset charset_for(
    std::uint8_t data_coding,
    DefaultAlphabet default_alphabet = DefaultAlphabet::gsm7_unpacked) noexcept;

/// Decodes `bytes` (the message text with any UDH already removed) to UTF-8 in `out`.
/// `out` is replaced (cleared first; its capacity is kept, so a reused string does not
/// allocate once it is large enough). Binary and unsupported codings leave `out` empty.
/// Never reads outside `bytes`, never fails on malformed input.
[[nodiscard]] DecodeResult decode_text(std::uint8_t data_coding, std::string_view bytes,
                                       std::string& out, const DecodeOptions& options = {});

struct DecodedText {
  std::string text;
  DecodeResult result;
};

/// Convenience form of decode_text that returns a fresh string.
[[nodiscard]] DecodedText decode_text(std::uint8_t data_coding, std::string_view bytes,
                                      const DecodeOptions& options = {});

/// The single decoders behind decode_text. Each appends to `out` and returns the number of
/// input units replaced by U+FFFD.
/// decode_ucs2 reads UTF-16BE with surrogate pairs. A leading byte-order mark is dropped (so a
/// keyword still matches), and a leading FF FE means the sender wrote little-endian, which is
/// then honoured: U+FFFE is a noncharacter, so that reading is never ambiguous.
std::size_t decode_ucs2(std::string_view utf16be, std::string& out);
std::size_t decode_latin1(std::string_view bytes, std::string& out);
std::size_t decode_ascii(std::string_view bytes, std::string& out);
std::size_t decode_iso8859_5(std::string_view bytes, std::string& out);
std::size_t decode_iso8859_8(std::string_view bytes, std::string& out);

// ---------------------------------------------------------------------------------------------
// Encode helpers

struct EncodeResult {
  std::size_t units = 0;       ///< output units written: UTF-16 units or Latin-1 octets
  std::size_t unmappable = 0;  ///< characters that became '?' (Latin-1) or U+FFFD (bad UTF-8)
  [[nodiscard]] bool ok() const noexcept { return unmappable == 0; }
};

/// Appends `utf8` as UTF-16BE without a BOM (data_coding 0x08); code points above U+FFFF become
/// surrogate pairs. Invalid UTF-8, and the noncharacter U+FFFE (FF FE reads as a little-endian
/// BOM), become U+FFFD and are counted in `unmappable`.
EncodeResult encode_ucs2(std::string_view utf8, std::string& out);

/// Appends `utf8` as ISO-8859-1 (data_coding 0x03); characters above U+00FF (and invalid UTF-8)
/// become '?' and are counted in `unmappable`.
EncodeResult encode_latin1(std::string_view utf8, std::string& out);

}  // namespace twoway::smpp
