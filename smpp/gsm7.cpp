// GSM 03.38 tables (default alphabet, extension table, Turkish/Spanish/Portuguese national
// shift tables from 23.038 Annex A) and the septet coders built on them.
#include "smpp/gsm7.hpp"

#include <array>
#include <cstring>

#include "smpp/charset.hpp"

namespace twoway::smpp::gsm7 {
namespace {

using Table = std::array<char16_t, 128>;  // septet -> code point; 0 = undefined (shift tables)

struct Override {
  std::uint8_t code;
  char16_t cp;
};

template <std::size_t N>
constexpr Table with(Table table, const Override (&overrides)[N]) {
  for (const Override& o : overrides) table[o.code] = o.cp;
  return table;
}

// 23.038 §6.2.1. 0x1B is the escape to the extension table; its own slot holds a space, which is
// what ESC ESC (reserved for a further extension table) displays.
constexpr Table kDefaultBase = {
    u'@',      u'\u00A3', u'$',      u'\u00A5', u'\u00E8', u'\u00E9', u'\u00F9', u'\u00EC',
    u'\u00F2', u'\u00C7', u'\n',     u'\u00D8', u'\u00F8', u'\r',     u'\u00C5', u'\u00E5',
    u'\u0394', u'_',      u'\u03A6', u'\u0393', u'\u039B', u'\u03A9', u'\u03A0', u'\u03A8',
    u'\u03A3', u'\u0398', u'\u039E', u' ',      u'\u00C6', u'\u00E6', u'\u00DF', u'\u00C9',
    u' ',      u'!',      u'"',      u'#',      u'\u00A4', u'%',      u'&',      u'\'',
    u'(',      u')',      u'*',      u'+',      u',',      u'-',      u'.',      u'/',
    u'0',      u'1',      u'2',      u'3',      u'4',      u'5',      u'6',      u'7',
    u'8',      u'9',      u':',      u';',      u'<',      u'=',      u'>',      u'?',
    u'\u00A1', u'A',      u'B',      u'C',      u'D',      u'E',      u'F',      u'G',
    u'H',      u'I',      u'J',      u'K',      u'L',      u'M',      u'N',      u'O',
    u'P',      u'Q',      u'R',      u'S',      u'T',      u'U',      u'V',      u'W',
    u'X',      u'Y',      u'Z',      u'\u00C4', u'\u00D6', u'\u00D1', u'\u00DC', u'\u00A7',
    u'\u00BF', u'a',      u'b',      u'c',      u'd',      u'e',      u'f',      u'g',
    u'h',      u'i',      u'j',      u'k',      u'l',      u'm',      u'n',      u'o',
    u'p',      u'q',      u'r',      u's',      u't',      u'u',      u'v',      u'w',
    u'x',      u'y',      u'z',      u'\u00E4', u'\u00F6', u'\u00F1', u'\u00FC', u'\u00E0',
};

// 23.038 §6.2.1.1: ESC x. 0x0D (CR2) and 0x1B (further extension) are reserved: undefined here.
constexpr Override kDefaultExtEntries[] = {
    {0x0A, u'\f'}, {0x14, u'^'}, {0x28, u'{'}, {0x29, u'}'}, {0x2F, u'\\'},
    {0x3C, u'['},  {0x3D, u'~'}, {0x3E, u']'}, {0x40, u'|'}, {0x65, u'\u20AC'},
};
constexpr Table kDefaultExt = with(Table{}, kDefaultExtEntries);

// A.3.1 Turkish locking shift table: the default alphabet with these code points changed.
constexpr Override kTurkishLockingEntries[] = {
    {0x04, u'\u20AC'}, {0x07, u'\u0131'}, {0x0B, u'\u011E'}, {0x0C, u'\u011F'},
    {0x1C, u'\u015E'}, {0x1D, u'\u015F'}, {0x40, u'\u0130'}, {0x60, u'\u00E7'},
};
constexpr Table kTurkishLocking = with(kDefaultBase, kTurkishLockingEntries);

// A.3.3 Portuguese locking shift table.
constexpr Override kPortugueseLockingEntries[] = {
    {0x04, u'\u00EA'}, {0x06, u'\u00FA'}, {0x07, u'\u00ED'}, {0x08, u'\u00F3'}, {0x09, u'\u00E7'},
    {0x0B, u'\u00D4'}, {0x0C, u'\u00F4'}, {0x0E, u'\u00C1'}, {0x0F, u'\u00E1'}, {0x12, u'\u00AA'},
    {0x13, u'\u00C7'}, {0x14, u'\u00C0'}, {0x15, u'\u221E'}, {0x16, u'^'},      {0x17, u'\\'},
    {0x18, u'\u20AC'}, {0x19, u'\u00D3'}, {0x1A, u'|'},      {0x1C, u'\u00C2'}, {0x1D, u'\u00E2'},
    {0x1E, u'\u00CA'}, {0x24, u'\u00BA'}, {0x40, u'\u00CD'}, {0x5B, u'\u00C3'}, {0x5C, u'\u00D5'},
    {0x5D, u'\u00DA'}, {0x60, u'~'},      {0x7B, u'\u00E3'}, {0x7C, u'\u00F5'}, {0x7D, u'`'},
};
constexpr Table kPortugueseLocking = with(kDefaultBase, kPortugueseLockingEntries);

// A.2.1 Turkish single shift table: the default extension table plus these.
constexpr Override kTurkishSingleEntries[] = {
    {0x47, u'\u011E'}, {0x49, u'\u0130'}, {0x53, u'\u015E'}, {0x63, u'\u00E7'},
    {0x67, u'\u011F'}, {0x69, u'\u0131'}, {0x73, u'\u015F'},
};
constexpr Table kTurkishSingle = with(kDefaultExt, kTurkishSingleEntries);

// A.2.2 Spanish single shift table.
constexpr Override kSpanishSingleEntries[] = {
    {0x09, u'\u00E7'}, {0x41, u'\u00C1'}, {0x49, u'\u00CD'}, {0x4F, u'\u00D3'}, {0x55, u'\u00DA'},
    {0x61, u'\u00E1'}, {0x69, u'\u00ED'}, {0x6F, u'\u00F3'}, {0x75, u'\u00FA'},
};
constexpr Table kSpanishSingle = with(kDefaultExt, kSpanishSingleEntries);

// A.2.3 Portuguese single shift table.
constexpr Override kPortugueseSingleEntries[] = {
    {0x05, u'\u00EA'}, {0x09, u'\u00E7'}, {0x0B, u'\u00D4'}, {0x0C, u'\u00F4'}, {0x0E, u'\u00C1'},
    {0x0F, u'\u00E1'}, {0x12, u'\u03A6'}, {0x13, u'\u0393'}, {0x15, u'\u03A9'}, {0x16, u'\u03A0'},
    {0x17, u'\u03A8'}, {0x18, u'\u03A3'}, {0x19, u'\u0398'}, {0x1F, u'\u00CA'}, {0x41, u'\u00C0'},
    {0x49, u'\u00CD'}, {0x4F, u'\u00D3'}, {0x55, u'\u00DA'}, {0x5B, u'\u00C3'}, {0x5C, u'\u00D5'},
    {0x61, u'\u00C2'}, {0x69, u'\u00ED'}, {0x6F, u'\u00F3'}, {0x75, u'\u00FA'}, {0x7B, u'\u00E3'},
    {0x7C, u'\u00F5'}, {0x7F, u'\u00E2'},
};
constexpr Table kPortugueseSingle = with(kDefaultExt, kPortugueseSingleEntries);

// Each table pre-encoded as UTF-8 so that decoding is a copy per septet.
struct Utf8Char {
  std::uint8_t len = 0;  // 0 = undefined
  char bytes[3] = {};
};
using Utf8Table = std::array<Utf8Char, 128>;

constexpr Utf8Table to_utf8(const Table& table) {
  Utf8Table out{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    const char32_t cp = table[i];
    Utf8Char& c = out[i];
    if (cp == 0) continue;  // undefined (no base table maps a septet to U+0000)
    if (cp < 0x80) {
      c.len = 1;
      c.bytes[0] = static_cast<char>(cp);
    } else if (cp < 0x800) {
      c.len = 2;
      c.bytes[0] = static_cast<char>(0xC0 | (cp >> 6));
      c.bytes[1] = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      c.len = 3;
      c.bytes[0] = static_cast<char>(0xE0 | (cp >> 12));
      c.bytes[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      c.bytes[2] = static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

constexpr Utf8Table kDefaultBaseUtf8 = to_utf8(kDefaultBase);
constexpr Utf8Table kDefaultExtUtf8 = to_utf8(kDefaultExt);
constexpr Utf8Table kTurkishLockingUtf8 = to_utf8(kTurkishLocking);
constexpr Utf8Table kPortugueseLockingUtf8 = to_utf8(kPortugueseLocking);
constexpr Utf8Table kTurkishSingleUtf8 = to_utf8(kTurkishSingle);
constexpr Utf8Table kSpanishSingleUtf8 = to_utf8(kSpanishSingle);
constexpr Utf8Table kPortugueseSingleUtf8 = to_utf8(kPortugueseSingle);

const Utf8Table& base_table(std::uint8_t locking) noexcept {
  switch (locking) {
    case language::turkish:
      return kTurkishLockingUtf8;
    case language::portuguese:
      return kPortugueseLockingUtf8;
    default:
      return kDefaultBaseUtf8;
  }
}

const Utf8Table& ext_table(std::uint8_t single) noexcept {
  switch (single) {
    case language::turkish:
      return kTurkishSingleUtf8;
    case language::spanish:
      return kSpanishSingleUtf8;
    case language::portuguese:
      return kPortugueseSingleUtf8;
    default:
      return kDefaultExtUtf8;
  }
}

// Encoding: code points below U+0100 by table, the rest (Greek capitals, euro) by switch.
using EncodeTable = std::array<std::uint16_t, 256>;

constexpr EncodeTable make_encode_table() {
  EncodeTable t{};
  for (auto& v : t) v = unmappable;
  for (std::size_t ext = 0; ext < 128; ++ext) {
    const char16_t cp = kDefaultExt[ext];
    if (cp != 0 && cp < 0x100) t[cp] = static_cast<std::uint16_t>(0x1B00 | ext);
  }
  for (std::size_t s = 0; s < 128; ++s) {
    if (s == escape) continue;  // its slot holds the display space, not a mapping
    const char16_t cp = kDefaultBase[s];
    if (cp < 0x100) t[cp] = static_cast<std::uint16_t>(s);
  }
  return t;
}
constexpr EncodeTable kEncode = make_encode_table();

// Writes the decoded septets produced by `next(i)` (i < n) into `out`.
template <typename NextSeptet>
void decode_septets(std::size_t n, NextSeptet next, std::string& out, Shift shift) {
  const Utf8Table& base = base_table(shift.locking_shift);
  const Utf8Table& ext = ext_table(shift.single_shift);
  const std::size_t old = out.size();
  out.resize(old + n * 3);  // worst case: 3 UTF-8 bytes per septet
  char* const begin = out.data();
  char* p = begin + old;
  bool esc = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t s = next(i) & 0x7F;
    const Utf8Char* c;
    if (esc) {
      esc = false;
      c = &ext[s];
      if (c->len == 0) c = &base[s];  // undefined after ESC: the base character (ESC ESC: space)
    } else if (s == escape) {
      esc = true;
      continue;
    } else {
      c = &base[s];
    }
    std::memcpy(p, c->bytes, 3);  // in bounds: at most 3 bytes per septet were reserved
    p += c->len;
  }
  out.resize(static_cast<std::size_t>(p - begin));
}

// Septet i of a packed buffer after `fill` bits; the caller keeps fill + 7*(i+1) <= 8*size.
inline std::uint8_t septet_at(const unsigned char* data, std::size_t size, std::size_t fill,
                              std::size_t i) noexcept {
  const std::size_t bit = fill + 7 * i;
  const std::size_t byte = bit >> 3;
  const unsigned shift = bit & 7;
  unsigned v = data[byte] >> shift;
  if (shift > 1 && byte + 1 < size) v |= static_cast<unsigned>(data[byte + 1]) << (8 - shift);
  return static_cast<std::uint8_t>(v & 0x7F);
}

// How many septets a packed buffer holds (see unpack for the CR padding rule).
std::size_t packed_count(const unsigned char* data, std::size_t size, std::size_t fill,
                         std::size_t septet_count) noexcept {
  const std::size_t bits = size * 8;
  if (bits <= fill) return 0;
  std::size_t n = (bits - fill) / 7;
  if (septet_count != npos) return septet_count < n ? septet_count : n;
  if (n > 0 && (bits - fill) % 7 == 0 && septet_at(data, size, fill, n - 1) == 0x0D) --n;
  return n;
}

inline void put_septet(unsigned char* data, std::size_t bit, std::uint8_t septet) noexcept {
  const std::size_t byte = bit >> 3;
  const unsigned shift = bit & 7;
  data[byte] = static_cast<unsigned char>(data[byte] | (septet << shift));
  if (shift > 1)
    data[byte + 1] = static_cast<unsigned char>(data[byte + 1] | (septet >> (8 - shift)));
}

}  // namespace

bool has_single_shift_table(std::uint8_t id) noexcept {
  return id == language::turkish || id == language::spanish || id == language::portuguese;
}

bool has_locking_shift_table(std::uint8_t id) noexcept {
  return id == language::turkish || id == language::portuguese;
}

void decode_unpacked(std::string_view septets, std::string& out, Shift shift) {
  const char* data = septets.data();
  decode_septets(
      septets.size(), [data](std::size_t i) { return static_cast<std::uint8_t>(data[i]); }, out,
      shift);
}

std::size_t unpack(std::string_view packed, std::string& septets_out, std::size_t fill,
                   std::size_t septet_count) {
  const auto* data = reinterpret_cast<const unsigned char*>(packed.data());
  const std::size_t n = packed_count(data, packed.size(), fill, septet_count);
  const std::size_t old = septets_out.size();
  septets_out.resize(old + n);
  for (std::size_t i = 0; i < n; ++i)
    septets_out[old + i] = static_cast<char>(septet_at(data, packed.size(), fill, i));
  return n;
}

void decode_packed(std::string_view packed, std::string& out, std::size_t fill,
                   std::size_t septet_count, Shift shift) {
  const auto* data = reinterpret_cast<const unsigned char*>(packed.data());
  const std::size_t size = packed.size();
  const std::size_t n = packed_count(data, size, fill, septet_count);
  decode_septets(
      n, [data, size, fill](std::size_t i) { return septet_at(data, size, fill, i); }, out, shift);
}

std::uint16_t lookup(char32_t cp) noexcept {
  if (cp < 0x100) return kEncode[cp];
  switch (cp) {
    case 0x0393:
      return 0x13;  // Γ
    case 0x0394:
      return 0x10;  // Δ
    case 0x0398:
      return 0x19;  // Θ
    case 0x039B:
      return 0x14;  // Λ
    case 0x039E:
      return 0x1A;  // Ξ
    case 0x03A0:
      return 0x16;  // Π
    case 0x03A3:
      return 0x18;  // Σ
    case 0x03A6:
      return 0x12;  // Φ
    case 0x03A8:
      return 0x17;  // Ψ
    case 0x03A9:
      return 0x15;  // Ω
    case 0x20AC:
      return 0x1B65;  // €
    default:
      return unmappable;
  }
}

EncodeResult encode(std::string_view utf8, std::string& out, OnUnmappable on_unmappable) {
  EncodeResult r;
  const std::size_t old = out.size();
  out.reserve(old + utf8.size());
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = utf8_next(utf8, pos);
    std::uint16_t code = lookup(cp);
    if (code == unmappable) {
      ++r.unmappable;
      if (on_unmappable == OnUnmappable::fail) {
        out.resize(old);
        r.septets = 0;
        return r;
      }
      code = '?';
    }
    if (code > 0x7F) {
      out.push_back(static_cast<char>(escape));
      out.push_back(static_cast<char>(code & 0x7F));
      r.septets += 2;
    } else {
      out.push_back(static_cast<char>(code));
      r.septets += 1;
    }
  }
  return r;
}

std::size_t pack(std::string_view septets, std::string& out, std::size_t fill,
                 std::size_t max_octets) {
  const std::size_t n = septets.size();
  if (n == 0) return 0;
  const bool double_cr = (static_cast<std::uint8_t>(septets[n - 1]) & 0x7F) == 0x0D &&
                         (fill + 7 * n) % 8 == 0 && packed_octets(n + 1, fill) <= max_octets;
  const std::size_t total = n + (double_cr ? 1 : 0);
  const std::size_t octets = packed_octets(total, fill);
  const bool pad_cr = octets * 8 - (fill + 7 * total) == 7;
  const std::size_t old = out.size();
  out.resize(old + octets, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data() + old);
  for (std::size_t i = 0; i < n; ++i)
    put_septet(data, fill + 7 * i, static_cast<std::uint8_t>(septets[i]) & 0x7F);
  if (double_cr) put_septet(data, fill + 7 * n, 0x0D);
  if (pad_cr) put_septet(data, fill + 7 * total, 0x0D);
  return octets;
}

}  // namespace twoway::smpp::gsm7
