// data_coding -> decoder dispatch (SMPP 3.4 §5.2.19 plus the GSM 03.38 coding groups some SMSCs
// pass through), the byte-oriented decoders, and the UCS-2 / Latin-1 encoders.
#include "smpp/charset.hpp"

#include "smpp/gsm7.hpp"

namespace twoway::smpp {
namespace {

// Reserves `max_bytes` at the end of `out` and returns where to write; finish() trims.
inline char* grow(std::string& out, std::size_t max_bytes) {
  const std::size_t old = out.size();
  out.resize(old + max_bytes);
  return out.data() + old;
}

inline void finish(std::string& out, const char* end) {
  out.resize(static_cast<std::size_t>(end - out.data()));
}

inline char* put_replacement(char* p) {
  p[0] = '\xEF';
  p[1] = '\xBF';
  p[2] = '\xBD';
  return p + 3;
}

inline Charset gsm7_charset(DefaultAlphabet a) noexcept {
  return a == DefaultAlphabet::gsm7_packed ? Charset::gsm7_packed : Charset::gsm7;
}

}  // namespace

bool utf8_valid(std::string_view s) noexcept {
  std::size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const std::size_t start = pos;
    const char32_t cp = utf8_next(s, pos);
    // A genuine U+FFFD is three bytes; a replacement for bad input covers fewer or other bytes.
    if (cp == replacement_char && !(pos - start == 3 && s.substr(start, 3) == "\xEF\xBF\xBD"))
      return false;
  }
  return true;
}

std::size_t utf8_sanitize(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  std::size_t replaced = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t start = pos;
    const char32_t cp = utf8_next(s, pos);
    if (cp == replacement_char && !(pos - start == 3 && s.substr(start, 3) == "\xEF\xBF\xBD"))
      ++replaced;
    utf8_append(out, cp);
  }
  return replaced;
}

std::string_view charset_name(Charset c) noexcept {
  switch (c) {
    case Charset::gsm7:
      return "gsm7";
    case Charset::gsm7_packed:
      return "gsm7_packed";
    case Charset::ascii:
      return "ascii";
    case Charset::latin1:
      return "latin1";
    case Charset::cyrillic:
      return "cyrillic";
    case Charset::hebrew:
      return "hebrew";
    case Charset::ucs2:
      return "ucs2";
    case Charset::binary:
      return "binary";
    case Charset::unsupported:
      return "unsupported";
  }
  return "unsupported";
}

Charset charset_for(std::uint8_t dc, DefaultAlphabet default_alphabet) noexcept {
  if (dc < 0x10) {
    switch (dc) {
      case 0x00:
        switch (default_alphabet) {
          case DefaultAlphabet::gsm7_unpacked:
            return Charset::gsm7;
          case DefaultAlphabet::gsm7_packed:
            return Charset::gsm7_packed;
          case DefaultAlphabet::latin1:
            return Charset::latin1;
          case DefaultAlphabet::ascii:
            return Charset::ascii;
        }
        return Charset::gsm7;
      case 0x01:
        return Charset::ascii;
      case 0x02:
      case 0x04:
        return Charset::binary;
      case 0x03:
        return Charset::latin1;
      case 0x06:
        return Charset::cyrillic;
      case 0x07:
        return Charset::hebrew;
      case 0x08:
        return Charset::ucs2;
      default:
        return Charset::unsupported;  // JIS, pictogram, ISO-2022-JP, KS C 5601, reserved
    }
  }
  // From here on the GSM 03.38 data coding scheme groups (23.038 §4).
  if (dc < 0x80) {
    // 00xx / 01xx: general data coding (01xx: marked for automatic deletion).
    if (dc & 0x20) return Charset::unsupported;  // compressed (23.042): not decoded here
    switch ((dc >> 2) & 0x03) {
      case 1:
        return Charset::binary;
      case 2:
        return Charset::ucs2;
      default:
        return gsm7_charset(default_alphabet);  // 0 and reserved 3: the default alphabet
    }
  }
  if (dc < 0xC0) return gsm7_charset(default_alphabet);  // reserved groups: default alphabet
  if (dc < 0xE0) return gsm7_charset(default_alphabet);  // MWI discard / store, 7-bit
  if (dc < 0xF0) return Charset::ucs2;                   // MWI store, UCS-2
  return (dc & 0x04) ? Charset::binary : gsm7_charset(default_alphabet);  // message class
}

namespace {

template <bool LittleEndian>
std::size_t decode_utf16(const unsigned char* d, std::size_t size, std::string& out) {
  auto unit = [d](std::size_t i) -> char32_t {
    return LittleEndian ? (static_cast<char32_t>(d[2 * i + 1]) << 8) | d[2 * i]
                        : (static_cast<char32_t>(d[2 * i]) << 8) | d[2 * i + 1];
  };
  const std::size_t units = size / 2;
  std::size_t replaced = 0;
  // Worst case 3 UTF-8 bytes per unit (a pair of units is 4), plus 3 for an odd trailing byte.
  char* p = grow(out, units * 3 + 3);
  for (std::size_t i = 0; i < units; ++i) {
    char32_t u = unit(i);
    if (u < 0x80) {
      *p++ = static_cast<char>(u);
      continue;
    }
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
      const char32_t lo = unit(i + 1);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        ++i;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) {  // lone surrogate
      ++replaced;
      p = put_replacement(p);
      continue;
    }
    p += utf8_write(p, u);
  }
  if (size % 2 != 0) {  // half a unit: report it instead of reading past the end
    ++replaced;
    p = put_replacement(p);
  }
  finish(out, p);
  return replaced;
}

}  // namespace

std::size_t decode_ucs2(std::string_view in, std::string& out) {
  const auto* d = reinterpret_cast<const unsigned char*>(in.data());
  if (in.size() >= 2 && d[0] == 0xFE && d[1] == 0xFF)  // a BOM is not text
    return decode_utf16<false>(d + 2, in.size() - 2, out);
  if (in.size() >= 2 && d[0] == 0xFF && d[1] == 0xFE)  // U+FFFE is a noncharacter: little-endian
    return decode_utf16<true>(d + 2, in.size() - 2, out);
  return decode_utf16<false>(d, in.size(), out);
}

std::size_t decode_latin1(std::string_view in, std::string& out) {
  char* p = grow(out, in.size() * 2);
  for (const char ch : in) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      *p++ = ch;
    } else {
      *p++ = static_cast<char>(0xC0 | (b >> 6));
      *p++ = static_cast<char>(0x80 | (b & 0x3F));
    }
  }
  finish(out, p);
  return 0;
}

std::size_t decode_ascii(std::string_view in, std::string& out) {
  std::size_t replaced = 0;
  char* p = grow(out, in.size() * 3);
  for (const char ch : in) {
    if (static_cast<unsigned char>(ch) < 0x80) {
      *p++ = ch;
    } else {
      ++replaced;
      p = put_replacement(p);
    }
  }
  finish(out, p);
  return replaced;
}

std::size_t decode_iso8859_5(std::string_view in, std::string& out) {
  char* p = grow(out, in.size() * 3);
  for (const char ch : in) {
    const auto b = static_cast<unsigned char>(ch);
    char32_t cp = b;
    if (b == 0xF0) {
      cp = 0x2116;  // NUMERO SIGN
    } else if (b == 0xFD) {
      cp = 0x00A7;  // SECTION SIGN
    } else if (b >= 0xA1 && b != 0xAD) {
      cp = 0x0360 + b;  // 0xA1 -> U+0401 ... 0xFF -> U+045F
    }
    p += utf8_write(p, cp);
  }
  finish(out, p);
  return 0;
}

std::size_t decode_iso8859_8(std::string_view in, std::string& out) {
  std::size_t replaced = 0;
  char* p = grow(out, in.size() * 3);
  for (const char ch : in) {
    const auto b = static_cast<unsigned char>(ch);
    char32_t cp = b;
    if (b == 0xAA) {
      cp = 0x00D7;  // MULTIPLICATION SIGN
    } else if (b == 0xBA) {
      cp = 0x00F7;  // DIVISION SIGN
    } else if (b == 0xDF) {
      cp = 0x2017;  // DOUBLE LOW LINE
    } else if (b >= 0xE0 && b <= 0xFA) {
      cp = 0x05D0 + (b - 0xE0);  // alef .. tav
    } else if (b == 0xFD) {
      cp = 0x200E;  // LRM
    } else if (b == 0xFE) {
      cp = 0x200F;  // RLM
    } else if (b == 0xA1 || (b >= 0xBF && b <= 0xDE) || b == 0xFB || b == 0xFC || b == 0xFF) {
      cp = replacement_char;  // unassigned
      ++replaced;
    }
    p += utf8_write(p, cp);
  }
  finish(out, p);
  return replaced;
}

DecodeResult decode_text(std::uint8_t data_coding, std::string_view bytes, std::string& out,
                         const DecodeOptions& options) {
  out.clear();
  DecodeResult r;
  r.charset = charset_for(data_coding, options.default_alphabet);
  if (data_coding == 0x01 && options.ia5_as_gsm7)
    r.charset = gsm7_charset(options.default_alphabet);
  const gsm7::Shift shift{options.single_shift, options.locking_shift};
  switch (r.charset) {
    case Charset::gsm7:
      gsm7::decode_unpacked(bytes, out, shift);
      break;
    case Charset::gsm7_packed:
      gsm7::decode_packed(bytes, out, options.fill_bits, options.septets, shift);
      break;
    case Charset::ascii:
      r.replaced = decode_ascii(bytes, out);
      break;
    case Charset::latin1:
      r.replaced = decode_latin1(bytes, out);
      break;
    case Charset::cyrillic:
      r.replaced = decode_iso8859_5(bytes, out);
      break;
    case Charset::hebrew:
      r.replaced = decode_iso8859_8(bytes, out);
      break;
    case Charset::ucs2:
      r.replaced = decode_ucs2(bytes, out);
      break;
    case Charset::binary:
    case Charset::unsupported:
      break;
  }
  return r;
}

DecodedText decode_text(std::uint8_t data_coding, std::string_view bytes,
                        const DecodeOptions& options) {
  DecodedText d;
  d.result = decode_text(data_coding, bytes, d.text, options);
  return d;
}

EncodeResult encode_ucs2(std::string_view utf8, std::string& out) {
  EncodeResult r;
  out.reserve(out.size() + utf8.size() * 2);
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    const std::size_t start = pos;
    char32_t cp = utf8_next(utf8, pos);
    if (cp == replacement_char && !(pos - start == 3 && utf8.substr(start, 3) == "\xEF\xBF\xBD"))
      ++r.unmappable;
    if (cp == 0xFFFE) {  // a noncharacter that readers take for a little-endian BOM
      cp = replacement_char;
      ++r.unmappable;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      const char32_t hi = 0xD800 + (cp >> 10), lo = 0xDC00 + (cp & 0x3FF);
      const char units[4] = {static_cast<char>(hi >> 8), static_cast<char>(hi & 0xFF),
                             static_cast<char>(lo >> 8), static_cast<char>(lo & 0xFF)};
      out.append(units, 4);
      r.units += 2;
    } else {
      out.push_back(static_cast<char>(cp >> 8));
      out.push_back(static_cast<char>(cp & 0xFF));
      r.units += 1;
    }
  }
  return r;
}

EncodeResult encode_latin1(std::string_view utf8, std::string& out) {
  EncodeResult r;
  out.reserve(out.size() + utf8.size());
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = utf8_next(utf8, pos);
    if (cp < 0x100) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back('?');
      ++r.unmappable;
    }
    ++r.units;
  }
  return r;
}

}  // namespace twoway::smpp
