// Text decoding by data_coding, the UTF-8 primitives, and the UCS-2 / Latin-1 encoders.
#include "smpp/charset.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

#include "smpp/gsm7.hpp"

namespace twoway::smpp {
namespace {

using test::from_hex;
using test::spaced_hex;
const auto& hex = spaced_hex;
const auto& unhex = from_hex;

std::string text_of(std::uint8_t dc, std::string_view bytes, const DecodeOptions& o = {}) {
  return decode_text(dc, bytes, o).text;
}

// ---------------------------------------------------------------------------------------------
// UTF-8 primitives

std::u32string code_points(std::string_view s) {
  std::u32string out;
  std::size_t pos = 0;
  while (pos < s.size()) out.push_back(utf8_next(s, pos));
  return out;
}

TEST(Utf8, DecodesValidSequencesOfEveryLength) {
  EXPECT_EQ(code_points("A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), U"Aé€😀");
}

TEST(Utf8, InvalidBytesBecomeReplacementCharactersWithoutEatingGoodOnes) {
  EXPECT_EQ(code_points("\x80"
                        "A"),
            U"\uFFFDA");
  EXPECT_EQ(code_points("\xC0\xAF"), U"\uFFFD\uFFFD");                      // overlong
  EXPECT_EQ(code_points("\xE0\x80\x80"), U"\uFFFD\uFFFD\uFFFD");            // overlong
  EXPECT_EQ(code_points("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");            // surrogate
  EXPECT_EQ(code_points("\xF4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");  // > U+10FFFF
  EXPECT_EQ(code_points("\xE2\x82"
                        "A"),
            U"\uFFFDA");  // truncated: one replacement for the maximal subpart
  EXPECT_EQ(code_points("\xF0\x9F\x98"), U"\uFFFD");  // truncated at the end
  EXPECT_EQ(code_points("\xFF\xFE"), U"\uFFFD\uFFFD");
}

TEST(Utf8, ValidityAndSanitizing) {
  EXPECT_TRUE(utf8_valid("plain é € 😀 \xEF\xBF\xBD"));
  EXPECT_FALSE(utf8_valid("bad \xC3"));
  EXPECT_FALSE(utf8_valid("\xED\xA0\x80"));
  std::string out;
  EXPECT_EQ(utf8_sanitize("a\xFF"
                          "b\xC3",
                          out),
            2u);
  EXPECT_EQ(out, "a\uFFFDb\uFFFD");
  EXPECT_EQ(utf8_sanitize("ok \xEF\xBF\xBD", out), 0u);  // a real U+FFFD is not a replacement
}

TEST(Utf8, WritesSurrogatesAsReplacement) {
  std::string out;
  utf8_append(out, 0xD800);
  utf8_append(out, 0x110000);
  EXPECT_EQ(out, "\uFFFD\uFFFD");
}

// ---------------------------------------------------------------------------------------------
// data_coding classification

TEST(Charset, SmppDataCodingValues) {
  EXPECT_EQ(charset_for(0x00), Charset::gsm7);
  EXPECT_EQ(charset_for(0x00, DefaultAlphabet::gsm7_packed), Charset::gsm7_packed);
  EXPECT_EQ(charset_for(0x00, DefaultAlphabet::latin1), Charset::latin1);
  EXPECT_EQ(charset_for(0x00, DefaultAlphabet::ascii), Charset::ascii);
  EXPECT_EQ(charset_for(0x01), Charset::ascii);
  EXPECT_EQ(charset_for(0x02), Charset::binary);
  EXPECT_EQ(charset_for(0x03), Charset::latin1);
  EXPECT_EQ(charset_for(0x04), Charset::binary);
  EXPECT_EQ(charset_for(0x05), Charset::unsupported);  // JIS
  EXPECT_EQ(charset_for(0x06), Charset::cyrillic);
  EXPECT_EQ(charset_for(0x07), Charset::hebrew);
  EXPECT_EQ(charset_for(0x08), Charset::ucs2);
  for (int dc : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F})
    EXPECT_EQ(charset_for(static_cast<std::uint8_t>(dc)), Charset::unsupported) << dc;
}

TEST(Charset, GsmDataCodingGroups) {
  for (int dc = 0x10; dc <= 0x13; ++dc) EXPECT_EQ(charset_for(dc), Charset::gsm7) << dc;
  for (int dc = 0x14; dc <= 0x17; ++dc) EXPECT_EQ(charset_for(dc), Charset::binary) << dc;
  for (int dc = 0x18; dc <= 0x1B; ++dc) EXPECT_EQ(charset_for(dc), Charset::ucs2) << dc;
  EXPECT_EQ(charset_for(0x1C), Charset::gsm7);  // reserved alphabet: the default one
  for (int dc = 0x20; dc <= 0x3F; ++dc) EXPECT_EQ(charset_for(dc), Charset::unsupported) << dc;
  EXPECT_EQ(charset_for(0x40), Charset::gsm7);  // automatic deletion group
  EXPECT_EQ(charset_for(0x44), Charset::binary);
  EXPECT_EQ(charset_for(0x48), Charset::ucs2);
  EXPECT_EQ(charset_for(0x60), Charset::unsupported);  // compressed
  EXPECT_EQ(charset_for(0x80), Charset::gsm7);         // reserved group
  EXPECT_EQ(charset_for(0xC0), Charset::gsm7);         // MWI discard
  EXPECT_EQ(charset_for(0xD8), Charset::gsm7);         // MWI store
  for (int dc = 0xE0; dc <= 0xEF; ++dc) EXPECT_EQ(charset_for(dc), Charset::ucs2) << dc;
  for (int dc = 0xF0; dc <= 0xF3; ++dc) EXPECT_EQ(charset_for(dc), Charset::gsm7) << dc;
  for (int dc = 0xF4; dc <= 0xF7; ++dc) EXPECT_EQ(charset_for(dc), Charset::binary) << dc;
  EXPECT_EQ(charset_for(0xF0, DefaultAlphabet::gsm7_packed), Charset::gsm7_packed);
  EXPECT_EQ(charset_for(0xF0, DefaultAlphabet::latin1), Charset::gsm7);  // 0xF0 is GSM anyway
}

TEST(Charset, Names) {
  EXPECT_EQ(charset_name(Charset::gsm7), "gsm7");
  EXPECT_EQ(charset_name(Charset::ucs2), "ucs2");
  EXPECT_EQ(charset_name(Charset::binary), "binary");
}

// ---------------------------------------------------------------------------------------------
// decode_text, branch by branch

TEST(DecodeText, DefaultAlphabetIsUnpackedGsmByDefault) {
  const DecodedText e = decode_text(0x00, std::string_view("Hi\x00\x1B\x65", 5));
  EXPECT_EQ(e.text, "Hi@€");
  EXPECT_EQ(e.result.charset, Charset::gsm7);
  EXPECT_TRUE(e.result.is_text());
}

TEST(DecodeText, DefaultAlphabetConfiguredPerSmsc) {
  DecodeOptions o;
  o.default_alphabet = DefaultAlphabet::latin1;
  EXPECT_EQ(text_of(0x00, "caf\xE9", o), "café");
  o.default_alphabet = DefaultAlphabet::ascii;
  const DecodedText d = decode_text(0x00, "caf\xE9", o);
  EXPECT_EQ(d.text, "caf\uFFFD");
  EXPECT_EQ(d.result.replaced, 1u);
  EXPECT_EQ(d.result.charset, Charset::ascii);
  o.default_alphabet = DefaultAlphabet::gsm7_packed;
  EXPECT_EQ(text_of(0x00, unhex("C8329BFD06DDDF723619"), o), "Hello world");
}

TEST(DecodeText, PackedWithFillBitsAfterAUdh) {
  std::string septets, packed;
  ASSERT_TRUE(gsm7::encode("part two", septets).ok());
  gsm7::pack(septets, packed, gsm7::fill_bits(6));
  DecodeOptions o;
  o.default_alphabet = DefaultAlphabet::gsm7_packed;
  o.fill_bits = 1;
  EXPECT_EQ(text_of(0x00, packed, o), "part two");
}

TEST(DecodeText, NationalShiftFromTheUdh) {
  DecodeOptions o;
  o.single_shift = gsm7::language::turkish;
  EXPECT_EQ(text_of(0x00,
                    "\x1B\x47"
                    "ol",
                    o),
            "Ğol");
  o.single_shift = 42;  // unknown: default tables, nothing lost
  EXPECT_EQ(text_of(0x00,
                    "\x1B\x47"
                    "ol",
                    o),
            "Gol");
}

TEST(DecodeText, Ia5Ascii) {
  const DecodedText d = decode_text(0x01, "Plain text 123");
  EXPECT_EQ(d.text, "Plain text 123");
  EXPECT_EQ(d.result.charset, Charset::ascii);
  EXPECT_EQ(d.result.replaced, 0u);
}

TEST(DecodeText, Ia5AsGsmWhenTheSmscSaysSo) {
  DecodeOptions o;
  o.ia5_as_gsm7 = true;
  const DecodedText d = decode_text(0x01,
                                    std::string_view("a\x00"
                                                     "b\x02",
                                                     4),
                                    o);
  EXPECT_EQ(d.text, "a@b$");
  EXPECT_EQ(d.result.charset, Charset::gsm7);
  EXPECT_EQ(text_of(0x01, std::string_view("a\x00"
                                           "b\x02",
                                           4)),
            std::string("a\0"
                        "b\x02",
                        4));
}

TEST(DecodeText, Latin1) {
  const DecodedText d = decode_text(0x03, unhex("c1e1e9edf3faf1fc"));
  EXPECT_EQ(d.text, "Ááéíóúñü");
  EXPECT_EQ(d.result.charset, Charset::latin1);
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string text = text_of(0x03, all);
  std::string back;
  EXPECT_TRUE(encode_latin1(text, back).ok());
  EXPECT_EQ(back, all);
}

TEST(DecodeText, Ucs2Vietnamese) {
  // gosmpp's DeliverSM vector body text.
  const DecodedText d = decode_text(
      0x08, unhex("006e006700681eaf0020006e00670068006900ea006e00670020006e0067006800691ec5006e"
                  "00670020006e00671ea3"));
  EXPECT_EQ(d.text, "nghắ nghiêng nghiễng ngả");
  EXPECT_EQ(d.result.charset, Charset::ucs2);
  EXPECT_EQ(d.result.replaced, 0u);
}

TEST(DecodeText, Ucs2SurrogatePairIsOneEmoji) {
  EXPECT_EQ(text_of(0x08, unhex("0048 0069 D83D DE00")), "Hi😀");
  EXPECT_EQ(text_of(0x08, unhex("D83C DDFA D83C DDF8")), "🇺🇸");
}

TEST(DecodeText, Ucs2LoneSurrogatesBecomeReplacementCharacters) {
  DecodedText d = decode_text(0x08, unhex("D83D"));
  EXPECT_EQ(d.text, "\uFFFD");
  EXPECT_EQ(d.result.replaced, 1u);
  d = decode_text(0x08, unhex("D83D 0041"));
  EXPECT_EQ(d.text, "\uFFFDA");
  d = decode_text(0x08, unhex("DE00 D83D"));  // reversed pair
  EXPECT_EQ(d.text, "\uFFFD\uFFFD");
  EXPECT_EQ(d.result.replaced, 2u);
  d = decode_text(0x08, unhex("D83D D83D DE00"));  // high, then a full pair
  EXPECT_EQ(d.text, "\uFFFD😀");
}

TEST(DecodeText, Ucs2OddTrailingByteIsReportedNotRead) {
  DecodedText d = decode_text(0x08, unhex("004100"));
  EXPECT_EQ(d.text, "A\uFFFD");
  EXPECT_EQ(d.result.replaced, 1u);
  d = decode_text(0x08, unhex("41"));
  EXPECT_EQ(d.text, "\uFFFD");
  d = decode_text(0x08, "");
  EXPECT_EQ(d.text, "");
  EXPECT_EQ(d.result.replaced, 0u);
}

TEST(DecodeText, Ucs2ByteOrderMarkIsDroppedAndLittleEndianHonoured) {
  EXPECT_EQ(text_of(0x08, unhex("FEFF 0053 0054 004F 0050")), "STOP");
  EXPECT_EQ(text_of(0x08, unhex("FFFE 5300 5400 4F00 5000 3DD8 00DE")), "STOP😀");
  EXPECT_EQ(text_of(0x08, unhex("0041 FEFF")), "A\uFEFF");  // only a leading one is a BOM
  const DecodedText d = decode_text(0x08, unhex("FFFE 41"));
  EXPECT_EQ(d.text, "\uFFFD");
  EXPECT_EQ(d.result.replaced, 1u);
}

TEST(DecodeText, Ucs2VariantsFromGsmGroups) {
  EXPECT_EQ(text_of(0x18, unhex("00410042")), "AB");
  EXPECT_EQ(text_of(0xE0, unhex("00410042")), "AB");
  EXPECT_EQ(text_of(0xEF, unhex("20AC")), "€");
}

TEST(DecodeText, GsmMessageClassesAreSevenBit) {
  for (int dc : {0x10, 0x11, 0x12, 0x13, 0xF0, 0xF1, 0xF2, 0xF3, 0xC0, 0xD0}) {
    const DecodedText d = decode_text(static_cast<std::uint8_t>(dc), "Flash \x1B\x65");
    EXPECT_EQ(d.text, "Flash €") << dc;
    EXPECT_EQ(d.result.charset, Charset::gsm7) << dc;
  }
}

TEST(DecodeText, BinaryHasNoText) {
  for (int dc : {0x02, 0x04, 0x14, 0xF4, 0xF5, 0xF6, 0xF7}) {
    std::string out = "old";
    const DecodeResult r = decode_text(static_cast<std::uint8_t>(dc), "\x0B\x84\x23\xF0", out);
    EXPECT_EQ(r.charset, Charset::binary) << dc;
    EXPECT_FALSE(r.is_text());
    EXPECT_EQ(out, "") << dc;
  }
}

TEST(DecodeText, UnsupportedHasNoText) {
  const DecodedText d = decode_text(0x05, "\x30\x22");
  EXPECT_EQ(d.result.charset, Charset::unsupported);
  EXPECT_FALSE(d.result.is_text());
  EXPECT_EQ(d.text, "");
}

TEST(DecodeText, Cyrillic) {
  EXPECT_EQ(text_of(0x06, unhex("BFE0D8D2D5E2 20 F0 FD A1 AD FF")), "Привет №§Ё\u00ADџ");
}

TEST(DecodeText, Hebrew) {
  const DecodedText d = decode_text(0x07, unhex("F9ECE5ED 20 AA BA A1"));
  EXPECT_EQ(d.text, "שלום ×÷\uFFFD");
  EXPECT_EQ(d.result.replaced, 1u);
}

TEST(DecodeText, EveryDataCodingGivesValidUtf8OrNoText) {
  // Hostile bytes: lone surrogates, odd length, ESC at the end, high bytes, NULs.
  const std::string junk = unhex("D800 FF FE 1B 00 80 C3 DC00 FFFF 7F 1B");
  for (int dc = 0; dc < 256; ++dc) {
    for (int alphabet = 0; alphabet < 4; ++alphabet) {
      DecodeOptions o;
      o.default_alphabet = static_cast<DefaultAlphabet>(alphabet);
      o.single_shift = static_cast<std::uint8_t>(dc % 5);
      o.locking_shift = static_cast<std::uint8_t>(dc % 4);
      o.fill_bits = static_cast<std::uint8_t>(dc % 7);
      for (std::size_t len = 0; len <= junk.size(); ++len) {
        std::string out = "stale";
        const DecodeResult r = decode_text(static_cast<std::uint8_t>(dc),
                                           std::string_view(junk).substr(0, len), out, o);
        EXPECT_TRUE(utf8_valid(out)) << "dc " << dc << " len " << len;
        if (!r.is_text()) {
          EXPECT_EQ(out, "") << "dc " << dc;
        }
      }
    }
  }
}

TEST(DecodeText, ReusedOutputKeepsItsBuffer) {
  std::string out;
  out.reserve(256);
  const char* buffer = out.data();
  ASSERT_TRUE(decode_text(0x08, unhex("00410042"), out).is_text());
  EXPECT_EQ(out, "AB");
  ASSERT_TRUE(decode_text(0x00, "Second", out).is_text());
  EXPECT_EQ(out, "Second");  // replaced, not appended
  EXPECT_EQ(out.data(), buffer);
}

// ---------------------------------------------------------------------------------------------
// Encoders

TEST(EncodeUcs2, BigEndianWithoutBomAndWithSurrogates) {
  std::string out;
  const EncodeResult r = encode_ucs2("A€😀", out);
  EXPECT_EQ(hex(out), "00 41 20 AC D8 3D DE 00");
  EXPECT_EQ(r.units, 4u);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(text_of(0x08, out), "A€😀");
}

TEST(EncodeUcs2, InvalidUtf8BecomesReplacement) {
  std::string out;
  const EncodeResult r = encode_ucs2("a\xFF", out);
  EXPECT_EQ(hex(out), "00 61 FF FD");
  EXPECT_EQ(r.unmappable, 1u);
}

TEST(EncodeUcs2, NoncharacterFffeIsNotWrittenAsAByteOrderMark) {
  std::string out;
  const EncodeResult r = encode_ucs2("\uFFFEA", out);
  EXPECT_EQ(hex(out), "FF FD 00 41");
  EXPECT_EQ(r.unmappable, 1u);
}

TEST(EncodeLatin1, UnmappableBecomesQuestionMark) {
  std::string out;
  const EncodeResult r = encode_latin1("é€ñ", out);
  EXPECT_EQ(hex(out), "E9 3F F1");
  EXPECT_EQ(r.unmappable, 1u);
  EXPECT_EQ(r.units, 3u);
}

}  // namespace
}  // namespace twoway::smpp
