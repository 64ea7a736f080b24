// GSM 03.38 septet coding: tables, escapes, packing with fill bits and the CR rules, and the
// national language shift tables.
#include "smpp/gsm7.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

#include "smpp/charset.hpp"

namespace twoway::smpp::gsm7 {
namespace {

const auto& hex = test::spaced_hex;

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

std::string decode(std::string_view septets, Shift shift = {}) {
  std::string out;
  decode_unpacked(septets, out, shift);
  return out;
}

std::string encode_ok(std::string_view utf8) {
  std::string out;
  const EncodeResult r = encode(utf8, out);
  EXPECT_TRUE(r.ok()) << utf8;
  return out;
}

TEST(Gsm7, EncodesAsciiTextOneSeptetPerOctet) {
  std::string out;
  const EncodeResult r = encode("Hello world", out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.septets, 11u);
  EXPECT_EQ(out, "Hello world");  // the GSM codes of these characters equal ASCII
}

TEST(Gsm7, EncodesTheNonAsciiCharactersOfTheDefaultAlphabet) {
  EXPECT_EQ(hex(encode_ok("@£$¥èéùìòÇØøÅå")), "00 01 02 03 04 05 06 07 08 09 0B 0C 0E 0F");
  EXPECT_EQ(hex(encode_ok("ΔΦΓΛΩΠΨΣΘΞÆæßÉ")), "10 12 13 14 15 16 17 18 19 1A 1C 1D 1E 1F");
  EXPECT_EQ(hex(encode_ok("_¤¡ÄÖÑÜ§¿äöñüà")), "11 24 40 5B 5C 5D 5E 5F 60 7B 7C 7D 7E 7F");
  EXPECT_EQ(hex(encode_ok("\n\r")), "0A 0D");
}

TEST(Gsm7, ExtensionCharactersTakeAnEscapePairAndCountTwoSeptets) {
  std::string out;
  const EncodeResult r = encode("^{}\\[~]|€\f", out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.septets, 20u);
  EXPECT_EQ(hex(out), "1B 14 1B 28 1B 29 1B 2F 1B 3C 1B 3D 1B 3E 1B 40 1B 65 1B 0A");
}

TEST(Gsm7, UnmappableCharacterFailsAndLeavesOutputUntouched) {
  std::string out = "prefix";
  const EncodeResult r = encode("abc日本", out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.unmappable, 1u);
  EXPECT_EQ(out, "prefix");
}

TEST(Gsm7, LossyModeSubstitutesQuestionMarks) {
  std::string out;
  const EncodeResult r = encode("a日b😀c", out, OnUnmappable::replace);
  EXPECT_EQ(r.unmappable, 2u);
  EXPECT_EQ(r.septets, 5u);
  EXPECT_EQ(out, "a?b?c");
}

TEST(Gsm7, InvalidUtf8IsUnmappableNotACrash) {
  std::string out;
  EXPECT_FALSE(encode("ab\xFF\xC3", out).ok());
  const EncodeResult r = encode("ab\xFF\xC3", out, OnUnmappable::replace);
  EXPECT_EQ(r.unmappable, 2u);
  EXPECT_EQ(out, "ab??");
}

TEST(Gsm7, BacktickAndLowercaseGreekAreNotInTheAlphabet) {
  EXPECT_EQ(septet_cost(U'`'), 0u);
  EXPECT_EQ(septet_cost(U'ω'), 0u);
  EXPECT_EQ(septet_cost(U'\t'), 0u);
  EXPECT_EQ(septet_cost(U'Ω'), 1u);
  EXPECT_EQ(septet_cost(U'A'), 1u);
  EXPECT_EQ(septet_cost(U'€'), 2u);
  EXPECT_EQ(septet_cost(0x1B), 0u);  // ESC itself is not a character
  EXPECT_EQ(lookup(U'€'), 0x1B65);
}

TEST(Gsm7, DecodesEveryBaseSeptetBackToWhatEncodesIt) {
  for (int s = 0; s < 128; ++s) {
    if (s == escape) continue;
    const std::string text = decode(bytes({s}));
    std::string again;
    ASSERT_TRUE(encode(text, again).ok()) << s;
    EXPECT_EQ(again, bytes({s})) << "septet " << s << " decoded as " << text;
  }
}

TEST(Gsm7, DecodesSpotChecksOfTheTable) {
  EXPECT_EQ(decode(bytes({0x00, 0x01, 0x10, 0x1C, 0x24, 0x40, 0x5F, 0x60, 0x7F})), "@£ΔÆ¤¡§¿à");
}

TEST(Gsm7, DecodesTheExtensionTable) {
  EXPECT_EQ(decode(bytes({0x1B, 0x65, 0x1B, 0x14, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x2F,
                          0x1B, 0x3C, 0x1B, 0x3D, 0x1B, 0x3E, 0x1B, 0x40, 0x1B, 0x0A})),
            "€^{}\\[~]|\f");
}

TEST(Gsm7, EscapeBeforeAnUndefinedCodeDecodesAsTheBaseCharacter) {
  EXPECT_EQ(decode(bytes({0x1B, 0x41, 0x1B, 0x00, 0x1B, 0x0D})), "A@\r");
}

TEST(Gsm7, DoubleEscapeIsReservedAndShowsASpace) {
  EXPECT_EQ(decode(bytes({0x41, 0x1B, 0x1B, 0x42})), "A B");
}

TEST(Gsm7, TrailingEscapeIsDropped) {
  EXPECT_EQ(decode(bytes({0x41, 0x1B})), "A");
  EXPECT_EQ(decode(bytes({0x1B})), "");
}

TEST(Gsm7, TopBitOfAnUnpackedOctetIsIgnored) {
  EXPECT_EQ(decode(bytes({0xC1, 0x80})), "A@");
}

TEST(Gsm7, AnyOctetsDecodeToValidUtf8) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (std::uint8_t lang = 0; lang < 5; ++lang) {
    const std::string text = decode(all, Shift{lang, lang});
    std::size_t pos = 0, chars = 0;
    while (pos < text.size()) {
      EXPECT_NE(utf8_next(text, pos), 0xFFFDu);
      ++chars;
    }
    EXPECT_GT(chars, 200u);  // 256 octets, a few ESC pairs
  }
}

TEST(Gsm7, DecodeAppendsToTheOutput) {
  std::string out = "x";
  decode_unpacked("y", out);
  EXPECT_EQ(out, "xy");
}

TEST(Gsm7, FillBitsAfterAUdh) {
  EXPECT_EQ(fill_bits(6), 1u);  // 05 00 03 RR TT SS
  EXPECT_EQ(fill_bits(7), 0u);  // 06 08 04 RH RL TT SS
  EXPECT_EQ(fill_bits(4), 3u);  // 03 24 01 03
  EXPECT_EQ(fill_bits(12), 2u);
  EXPECT_EQ(fill_bits(0), 0u);
}

TEST(Gsm7, PacksHelloWorldLikeTheReferenceVector) {
  std::string packed;
  EXPECT_EQ(pack(encode_ok("Hello world"), packed), 10u);
  EXPECT_EQ(hex(packed), "C8 32 9B FD 06 DD DF 72 36 19");
}

TEST(Gsm7, UnpacksAndDecodesHelloWorld) {
  const std::string packed = bytes({0xC8, 0x32, 0x9B, 0xFD, 0x06, 0xDD, 0xDF, 0x72, 0x36, 0x19});
  std::string septets;
  EXPECT_EQ(unpack(packed, septets), 11u);
  EXPECT_EQ(septets, "Hello world");
  std::string text;
  decode_packed(packed, text);
  EXPECT_EQ(text, "Hello world");
}

TEST(Gsm7, PacksAfterFillBits) {
  std::string packed;
  pack("AB", packed, 1);
  EXPECT_EQ(hex(packed), "82 42");  // A<<1, then B in the next 7 bits
  std::string text;
  decode_packed(packed, text, 1);
  EXPECT_EQ(text, "AB");
}

TEST(Gsm7, PackRoundTripsForEveryFillAndLength) {
  const std::string source =
      encode_ok("The quick brown fox jumps over the lazy dog 0123456789 {€}");
  for (std::size_t fill = 0; fill < 7; ++fill) {
    for (std::size_t n = 0; n <= source.size(); ++n) {
      std::string septets = source.substr(0, n);
      if (!septets.empty() && septets.back() == '\x1B') continue;  // half a pair
      std::string packed;
      pack(septets, packed, fill);
      EXPECT_EQ(packed.size(), packed_octets(n, fill));
      std::string back;
      unpack(packed, back, fill, n);
      EXPECT_EQ(back, septets) << "fill " << fill << " n " << n;
      std::string counted;
      unpack(packed, counted, fill);  // without the count: the CR rule must give the same text
      EXPECT_EQ(counted, septets) << "fill " << fill << " n " << n;
    }
  }
}

TEST(Gsm7, TextEndingInCarriageReturnSurvivesPackingAtEveryLengthAndFill) {
  for (std::size_t fill = 0; fill < 7; ++fill) {
    for (std::size_t n = 1; n <= 24; ++n) {
      const std::string septets = std::string(n - 1, 'x') + "\r";
      std::string packed, back;
      pack(septets, packed, fill);
      unpack(packed, back, fill);  // no septet count, as over SMPP
      // Either exactly the text, or the text with the doubled CR that 23.038 prescribes.
      EXPECT_TRUE(back == septets || back == septets + "\r") << "fill " << fill << " n " << n;
    }
  }
}

TEST(Gsm7, SevenSpareBitsArePaddedWithCarriageReturnNotAt) {
  std::string packed;
  pack("1234567", packed);  // 49 bits in 7 octets: 7 spare bits
  ASSERT_EQ(packed.size(), 7u);
  EXPECT_EQ(static_cast<unsigned char>(packed[6]) >> 1, 0x0D);
  std::string text;
  decode_packed(packed, text);
  EXPECT_EQ(text, "1234567");
  text.clear();
  decode_packed(packed, text, 0, 8);  // an explicit count shows the pad
  EXPECT_EQ(text, "1234567\r");
}

TEST(Gsm7, ZeroPaddingFromANaivePackerReadsAsTrailingAt) {
  std::string packed;
  pack("1234567", packed);
  packed[6] = static_cast<char>(packed[6] & 0x01);  // what a packer without the CR rule sends
  std::string text;
  decode_packed(packed, text);
  EXPECT_EQ(text, "1234567@");  // the known ambiguity; the septet count resolves it
  text.clear();
  decode_packed(packed, text, 0, 7);
  EXPECT_EQ(text, "1234567");
}

TEST(Gsm7, FinalCarriageReturnOnAnOctetBoundaryIsDoubled) {
  std::string packed;
  EXPECT_EQ(pack("1234567\r", packed), 8u);  // 56 bits + a second CR
  std::string text;
  decode_packed(packed, text);
  EXPECT_EQ(text, "1234567\r\r");  // 23.038: CR CR displays as CR

  std::string tight;
  EXPECT_EQ(pack("1234567\r", tight, 0, 7), 7u);  // no room for the second CR
  text.clear();
  decode_packed(tight, text, 0, 8);
  EXPECT_EQ(text, "1234567\r");
}

TEST(Gsm7, ShortPackedInputDecodesToNothing) {
  std::string text;
  decode_packed("", text);
  decode_packed(bytes({0xFF}), text, 2);  // 6 bits after the fill: not a septet
  EXPECT_EQ(text, "");
  std::string septets;
  EXPECT_EQ(unpack(bytes({0x41}), septets, 7), 0u);
}

TEST(Gsm7, PackedEscapePairsDecode) {
  std::string packed;
  pack(encode_ok("5 €"), packed);
  std::string text;
  decode_packed(packed, text);
  EXPECT_EQ(text, "5 €");
}

// National language tables (23.038 Annex A).

TEST(Gsm7National, TurkishSingleShift) {
  const Shift tr{language::turkish, 0};
  EXPECT_EQ(decode(bytes({0x1B, 0x47, 0x1B, 0x49, 0x1B, 0x53, 0x1B, 0x63}), tr), "ĞİŞç");
  EXPECT_EQ(decode(bytes({0x1B, 0x67, 0x1B, 0x69, 0x1B, 0x73, 0x1B, 0x65}), tr), "ğış€");
  EXPECT_EQ(decode(bytes({0x1B, 0x28, 0x1B, 0x41, 0x41}), tr), "{AA");  // undefined -> base
}

TEST(Gsm7National, TurkishLockingShift) {
  const Shift tr{0, language::turkish};
  EXPECT_EQ(decode(bytes({0x04, 0x07, 0x0B, 0x0C, 0x1C, 0x1D, 0x40, 0x60}), tr), "€ıĞğŞşİç");
  EXPECT_EQ(decode(bytes({0x00, 0x41, 0x1B, 0x65}), tr), "@A€");  // unchanged codes
}

TEST(Gsm7National, SpanishSingleShift) {
  const Shift es{language::spanish, 0};
  EXPECT_EQ(decode(bytes({0x1B, 0x09, 0x1B, 0x41, 0x1B, 0x49, 0x1B, 0x4F, 0x1B, 0x55}), es),
            "çÁÍÓÚ");
  EXPECT_EQ(decode(bytes({0x1B, 0x61, 0x1B, 0x69, 0x1B, 0x6F, 0x1B, 0x75, 0x1B, 0x65}), es),
            "áíóú€");
}

TEST(Gsm7National, SpanishHasNoLockingTableSoDefaultIsUsed) {
  EXPECT_FALSE(has_locking_shift_table(language::spanish));
  EXPECT_EQ(decode(bytes({0x40, 0x60}), Shift{0, language::spanish}), "¡¿");
}

TEST(Gsm7National, PortugueseLockingShift) {
  const Shift pt{0, language::portuguese};
  EXPECT_EQ(decode(bytes({0x04, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0C, 0x0E, 0x0F}), pt), "êúíóçÔôÁá");
  EXPECT_EQ(decode(bytes({0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A}), pt),
            "ªÇÀ∞^\\€Ó|");
  EXPECT_EQ(decode(bytes({0x1C, 0x1D, 0x1E, 0x24, 0x40, 0x5B, 0x5C, 0x5D, 0x60}), pt), "ÂâÊºÍÃÕÚ~");
  EXPECT_EQ(decode(bytes({0x7B, 0x7C, 0x7D, 0x10, 0x11}), pt), "ãõ`Δ_");
}

TEST(Gsm7National, PortugueseSingleShift) {
  const Shift pt{language::portuguese, 0};
  EXPECT_EQ(decode(bytes({0x1B, 0x05, 0x1B, 0x12, 0x1B, 0x1F, 0x1B, 0x41, 0x1B, 0x5B}), pt),
            "êΦÊÀÃ");
  EXPECT_EQ(decode(bytes({0x1B, 0x61, 0x1B, 0x7F, 0x1B, 0x65, 0x1B, 0x3C}), pt), "Ââ€[");
}

TEST(Gsm7National, BothShiftsTogether) {
  const Shift both{language::turkish, language::turkish};
  EXPECT_EQ(decode(bytes({0x07, 0x1B, 0x49, 0x1B, 0x42}), both), "ıİB");
}

TEST(Gsm7National, UnknownLanguageFallsBackToTheDefaultTables) {
  const Shift unknown{13, 13};  // Urdu: no table here
  EXPECT_FALSE(has_single_shift_table(13));
  EXPECT_EQ(decode(bytes({0x1B, 0x47, 0x1B, 0x65, 0x40}), unknown), "G€¡");
  const Shift reserved{0xFF, 0xFF};
  EXPECT_EQ(decode(bytes({0x1B, 0x47, 0x1B, 0x65, 0x40}), reserved), "G€¡");
}

TEST(Gsm7National, PackedDecodeUsesTheShiftTables) {
  std::string packed;
  pack(bytes({0x1B, 0x47, 0x07}), packed, fill_bits(4));  // after UDH 03 24 01 01
  std::string text;
  decode_packed(packed, text, fill_bits(4), npos, Shift{language::turkish, language::turkish});
  EXPECT_EQ(text, "Ğı");
}

}  // namespace
}  // namespace twoway::smpp::gsm7
