// Outbound segmentation: encoding choice, limits at 160/161 and 70/71, concatenation forms,
// escape and surrogate pairs at part boundaries, packed parts, smart encoding.
#include "smpp/segment.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

#include "smpp/charset.hpp"
#include "smpp/gsm7.hpp"

namespace twoway::smpp {
namespace {

const auto& hex = test::spaced_hex;

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

SegmentOptions with(Concatenation c, std::uint16_t ref = 0) {
  SegmentOptions o;
  o.concatenation = c;
  o.reference = ref;
  return o;
}

// Reads the parts back as a handset would (strip the UDH, decode, join).
std::string reassemble(const SegmentPlan& plan, const SegmentOptions& o) {
  std::string text, piece;
  for (const Segment& part : plan.parts) {
    std::string_view body = part.short_message;
    std::size_t udh = 0;
    if (part.esm_class & 0x40) {
      udh = static_cast<unsigned char>(body[0]) + 1u;
      body.remove_prefix(udh);
    }
    DecodeOptions d;
    d.default_alphabet =
        o.gsm7_packed ? DefaultAlphabet::gsm7_packed : DefaultAlphabet::gsm7_unpacked;
    d.fill_bits = static_cast<std::uint8_t>(gsm7::fill_bits(udh));
    (void)decode_text(plan.data_coding, body, piece, d);
    text += piece;
  }
  return text;
}

void expect_count_matches_plan(std::string_view text, const SegmentOptions& o) {
  const SegmentCount c = count_segments(text, o);
  const SegmentPlan p = plan_segments(text, o);
  EXPECT_EQ(c.encoding, p.encoding);
  EXPECT_EQ(c.segments, p.segments);
  EXPECT_EQ(c.units, p.units);
  if (o.concatenation != Concatenation::payload && p.fits) {
    EXPECT_EQ(p.parts.size(), p.segments);
  }
}

TEST(Segment, EmptyTextIsOneEmptyGsmSegment) {
  const SegmentPlan p = plan_segments("");
  EXPECT_EQ(p.encoding, TextEncoding::gsm7);
  EXPECT_EQ(p.segments, 1u);
  EXPECT_EQ(p.units, 0u);
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].short_message, "");
  EXPECT_EQ(p.parts[0].esm_class, 0);
}

TEST(Segment, ShortGsmTextIsOneUnpackedPart) {
  const SegmentPlan p = plan_segments("Hello @ home");
  EXPECT_EQ(p.encoding, TextEncoding::gsm7);
  EXPECT_EQ(p.data_coding, 0x00);
  EXPECT_EQ(p.segments, 1u);
  EXPECT_EQ(p.units, 12u);
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(hex(p.parts[0].short_message), hex(std::string_view("Hello \x00 home", 12)));
  EXPECT_EQ(p.parts[0].short_message.size(), 12u);
  EXPECT_EQ(p.parts[0].esm_class, 0);
  EXPECT_EQ(p.parts[0].sar_total, 0);
  EXPECT_TRUE(p.payload.empty());
}

TEST(Segment, GsmLimitIs160SeptetsInOnePart) {
  const SegmentPlan p160 = plan_segments(repeat("a", 160));
  EXPECT_EQ(p160.segments, 1u);
  EXPECT_EQ(p160.parts[0].short_message.size(), 160u);

  const SegmentPlan p161 = plan_segments(repeat("a", 161), with(Concatenation::udh8, 0x1234));
  EXPECT_EQ(p161.segments, 2u);
  ASSERT_EQ(p161.parts.size(), 2u);
  EXPECT_EQ(hex(p161.parts[0].short_message.substr(0, 6)), "05 00 03 34 02 01");
  EXPECT_EQ(hex(p161.parts[1].short_message.substr(0, 6)), "05 00 03 34 02 02");
  EXPECT_EQ(p161.parts[0].short_message.size(), 6u + 153u);
  EXPECT_EQ(p161.parts[1].short_message.size(), 6u + 8u);
  EXPECT_EQ(p161.parts[0].esm_class, 0x40);
  EXPECT_EQ(p161.parts[1].esm_class, 0x40);
}

TEST(Segment, MultipartGsmHolds153PerPart) {
  EXPECT_EQ(count_segments(repeat("a", 306)).segments, 2u);
  EXPECT_EQ(count_segments(repeat("a", 307)).segments, 3u);
  EXPECT_EQ(count_segments(repeat("a", 153 * 3)).segments, 3u);
}

TEST(Segment, SixteenBitReferenceHolds152PerPart) {
  const SegmentOptions o = with(Concatenation::udh16, 0xABCD);
  EXPECT_EQ(count_segments(repeat("a", 304), o).segments, 2u);
  const SegmentPlan p = plan_segments(repeat("a", 305), o);
  EXPECT_EQ(p.segments, 3u);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(hex(p.parts[0].short_message.substr(0, 7)), "06 08 04 AB CD 03 01");
  EXPECT_EQ(hex(p.parts[2].short_message.substr(0, 7)), "06 08 04 AB CD 03 03");
  EXPECT_EQ(p.parts[0].short_message.size(), 7u + 152u);
  EXPECT_EQ(p.parts[2].short_message.size(), 7u + 1u);
}

TEST(Segment, ExtensionCharactersCostTwoSeptets) {
  EXPECT_EQ(count_segments(repeat("€", 80)).segments, 1u);  // 160 septets
  EXPECT_EQ(count_segments(repeat("€", 80)).units, 160u);
  const SegmentCount c = count_segments(repeat("€", 81));  // 162 septets
  EXPECT_EQ(c.encoding, TextEncoding::gsm7);
  EXPECT_EQ(c.segments, 2u);
  EXPECT_EQ(count_segments(repeat("a", 159) + "[").segments, 2u);  // 161 septets
}

TEST(Segment, EscapePairIsNeverSplitAcrossParts) {
  const std::string text = repeat("a", 152) + "€" + repeat("b", 10);  // 164 septets
  const SegmentPlan p = plan_segments(text);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0].short_message.size(), 6u + 152u);  // the euro moved to part 2
  EXPECT_EQ(hex(p.parts[1].short_message.substr(6, 2)), "1B 65");
  EXPECT_EQ(reassemble(p, {}), text);
}

TEST(Segment, EscapeAtTheBoundaryCanAddAPart) {
  // 306 septets would fill two parts exactly, but the pair cannot straddle the boundary.
  const std::string text = repeat("a", 152) + "€" + repeat("a", 152);
  const SegmentPlan p = plan_segments(text);
  EXPECT_EQ(p.units, 306u);
  EXPECT_EQ(p.segments, 3u);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_EQ(reassemble(p, {}), text);
  expect_count_matches_plan(text, {});
}

TEST(Segment, NonGsmCharacterSwitchesTheWholeTextToUcs2) {
  const SegmentPlan p = plan_segments("Hello 世界");
  EXPECT_EQ(p.encoding, TextEncoding::ucs2);
  EXPECT_EQ(p.data_coding, 0x08);
  EXPECT_EQ(p.units, 8u);
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(hex(p.parts[0].short_message), "00 48 00 65 00 6C 00 6C 00 6F 00 20 4E 16 75 4C");
}

TEST(Segment, Ucs2LimitIs70UnitsThen67) {
  EXPECT_EQ(count_segments(repeat("日", 70)).segments, 1u);
  const SegmentPlan p = plan_segments(repeat("日", 71));
  EXPECT_EQ(p.segments, 2u);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0].short_message.size(), 6u + 134u);
  EXPECT_EQ(p.parts[1].short_message.size(), 6u + 8u);
  EXPECT_EQ(count_segments(repeat("日", 134)).segments, 2u);
  EXPECT_EQ(count_segments(repeat("日", 135)).segments, 3u);
  EXPECT_EQ(count_segments(repeat("日", 133), with(Concatenation::udh16)).segments, 3u);
  EXPECT_EQ(count_segments(repeat("日", 132), with(Concatenation::udh16)).segments, 2u);
}

TEST(Segment, EmojiCountsTwoUnits) {
  const SegmentCount one = count_segments(repeat("日", 68) + "😀");
  EXPECT_EQ(one.units, 70u);
  EXPECT_EQ(one.segments, 1u);
  EXPECT_EQ(count_segments(repeat("😀", 35)).segments, 1u);
  const SegmentCount two = count_segments(repeat("😀", 36));  // 72 units, 33 emoji per part
  EXPECT_EQ(two.units, 72u);
  EXPECT_EQ(two.segments, 2u);
}

TEST(Segment, SurrogatePairIsNeverSplitAcrossParts) {
  const std::string text = repeat("日", 66) + "😀" + repeat("日", 10);  // 78 units
  const SegmentPlan p = plan_segments(text);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0].short_message.size(), 6u + 132u);  // 66 units; the emoji moved on
  EXPECT_EQ(hex(p.parts[1].short_message.substr(6, 4)), "D8 3D DE 00");
  EXPECT_EQ(reassemble(p, {}), text);
}

TEST(Segment, SurrogateAtTheBoundaryCanAddAPart) {
  const std::string text = repeat("😀", 67);  // 134 units: two full parts if pairs could split
  const SegmentPlan p = plan_segments(text);
  EXPECT_EQ(p.units, 134u);
  EXPECT_EQ(p.segments, 3u);  // 33 + 33 + 1 emoji
  EXPECT_EQ(reassemble(p, {}), text);
  expect_count_matches_plan(text, {});
}

TEST(Segment, SarPartsHaveNoUdhAndCarryTheTlvValues) {
  const SegmentPlan p = plan_segments(repeat("a", 161), with(Concatenation::sar, 0x1234));
  ASSERT_EQ(p.parts.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(p.parts[i].esm_class, 0);
    EXPECT_EQ(p.parts[i].sar_ref, 0x1234);
    EXPECT_EQ(p.parts[i].sar_total, 2);
    EXPECT_EQ(p.parts[i].sar_seq, i + 1);
  }
  EXPECT_EQ(p.parts[0].short_message, repeat("a", 153));
  EXPECT_EQ(p.parts[1].short_message, repeat("a", 8));
}

TEST(Segment, SarSinglePartSendsNoTlvs) {
  const SegmentPlan p = plan_segments("short", with(Concatenation::sar, 7));
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].sar_total, 0);
  EXPECT_EQ(p.parts[0].short_message, "short");
}

TEST(Segment, PayloadIsOnePartWithTheWholeTextAndHandsetCount) {
  const SegmentPlan p = plan_segments(repeat("a", 400), with(Concatenation::payload));
  EXPECT_EQ(p.segments, 3u);  // what the handset shows, for credits
  EXPECT_EQ(p.units, 400u);
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(p.parts[0].short_message, "");
  EXPECT_EQ(p.parts[0].esm_class, 0);
  EXPECT_EQ(p.payload, repeat("a", 400));

  const SegmentPlan u = plan_segments("Привет", with(Concatenation::payload));
  EXPECT_EQ(u.encoding, TextEncoding::ucs2);
  EXPECT_EQ(hex(u.payload), "04 1F 04 40 04 38 04 32 04 35 04 42");
}

TEST(Segment, PackedSinglePartMatchesTheReferenceVector) {
  SegmentOptions o;
  o.gsm7_packed = true;
  const SegmentPlan p = plan_segments("Hello world", o);
  ASSERT_EQ(p.parts.size(), 1u);
  EXPECT_EQ(hex(p.parts[0].short_message), "C8 32 9B FD 06 DD DF 72 36 19");
  EXPECT_EQ(p.units, 11u);
}

TEST(Segment, PackedPartsUseFillBitsAfterTheUdh) {
  SegmentOptions o = with(Concatenation::udh8, 9);
  o.gsm7_packed = true;
  const std::string text = repeat("abcdefghij", 16) + "xyz";  // 163 septets
  const SegmentPlan p = plan_segments(text, o);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0].short_message.size(), 140u);  // 6 + 1 fill bit + 153*7 bits
  std::string first;
  gsm7::decode_packed(std::string_view(p.parts[0].short_message).substr(6), first, 1);
  EXPECT_EQ(first, text.substr(0, 153));
  EXPECT_EQ(reassemble(p, o), text);

  o.concatenation = Concatenation::udh16;
  const SegmentPlan q = plan_segments(repeat("a", 305), o);
  ASSERT_EQ(q.parts.size(), 3u);
  EXPECT_EQ(q.parts[0].short_message.size(), 140u);  // 7 + 152*7 bits, no fill
  EXPECT_EQ(reassemble(q, o), repeat("a", 305));
}

TEST(Segment, PackedPayload) {
  SegmentOptions o = with(Concatenation::payload);
  o.gsm7_packed = true;
  const SegmentPlan p = plan_segments("Hello world", o);
  EXPECT_EQ(hex(p.payload), "C8 32 9B FD 06 DD DF 72 36 19");
}

TEST(Segment, ReferenceUsesLowByteForEightBitUdh) {
  const SegmentPlan p = plan_segments(repeat("a", 200), with(Concatenation::udh8, 0x01FF));
  EXPECT_EQ(static_cast<unsigned char>(p.parts[0].short_message[3]), 0xFF);
}

TEST(Segment, TooManyPartsDoesNotFit) {
  const SegmentPlan ok = plan_segments(repeat("a", 153 * 255));
  EXPECT_TRUE(ok.fits);
  EXPECT_EQ(ok.parts.size(), 255u);
  const SegmentPlan over = plan_segments(repeat("a", 153 * 255 + 1));
  EXPECT_FALSE(over.fits);
  EXPECT_EQ(over.segments, 256u);
  EXPECT_TRUE(over.parts.empty());
  const SegmentPlan payload =
      plan_segments(repeat("a", 153 * 255 + 1), with(Concatenation::payload));
  EXPECT_TRUE(payload.fits);
  EXPECT_FALSE(plan_segments(repeat("a", 65536), with(Concatenation::payload)).fits);
}

TEST(Segment, Latin1OnlyWhenAllowed) {
  EXPECT_EQ(plan_segments("á").encoding, TextEncoding::ucs2);
  SegmentOptions o;
  o.allow_latin1 = true;
  const SegmentPlan p = plan_segments("Olá", o);
  EXPECT_EQ(p.encoding, TextEncoding::latin1);
  EXPECT_EQ(p.data_coding, 0x03);
  EXPECT_EQ(hex(p.parts[0].short_message), "4F 6C E1");
  EXPECT_EQ(plan_segments("é", o).encoding, TextEncoding::gsm7);   // GSM still preferred
  EXPECT_EQ(plan_segments("á€", o).encoding, TextEncoding::ucs2);  // € is not Latin-1
  EXPECT_EQ(count_segments(repeat("á", 140), o).segments, 1u);
  EXPECT_EQ(count_segments(repeat("á", 141), o).segments, 2u);
  EXPECT_EQ(count_segments(repeat("á", 269), o).segments, 3u);
}

TEST(Segment, InvalidUtf8GoesOutAsUcs2ReplacementCharacters) {
  const SegmentPlan p = plan_segments("ok\xFF");
  EXPECT_EQ(p.encoding, TextEncoding::ucs2);
  EXPECT_EQ(hex(p.parts[0].short_message), "00 6F 00 6B FF FD");
}

TEST(Segment, CountMatchesPlanForAssortedTexts) {
  const std::string samples[] = {
      "",
      "a",
      repeat("x", 160),
      repeat("x", 161),
      repeat("{", 77) + "ab",
      repeat("ü", 200),
      repeat("日", 67) + "😀",
      "“quoted” text…",
      repeat("😀", 100),
      "bad \xC3 utf8",
  };
  for (const std::string& s : samples) {
    for (Concatenation c :
         {Concatenation::udh8, Concatenation::udh16, Concatenation::sar, Concatenation::payload}) {
      SegmentOptions o = with(c);
      expect_count_matches_plan(s, o);
      o.smart_encoding = true;
      o.allow_latin1 = true;
      expect_count_matches_plan(s, o);
    }
  }
}

TEST(Segment, PartsReassembleToTheText) {
  const std::string text = "Dear customer, your order #123 ships today. Total: €45 [incl. VAT]. " +
                           repeat("Thanks! ", 30);
  for (Concatenation c : {Concatenation::udh8, Concatenation::udh16, Concatenation::sar}) {
    SegmentOptions o = with(c, 77);
    EXPECT_EQ(reassemble(plan_segments(text, o), o), text);
    o.gsm7_packed = true;
    EXPECT_EQ(reassemble(plan_segments(text, o), o), text);
  }
}

// Smart encoding

TEST(SmartEncoding, ReplacesLookAlikes) {
  EXPECT_EQ(smart_replace("“Hi” ‘there’ — it’s… ok"), "\"Hi\" 'there' - it's... ok");
  EXPECT_EQ(smart_replace("a\u00A0b\u2009c\td"), "a b c d");
  EXPECT_EQ(smart_replace("zero\u200Bwidth\uFEFF soft\u00ADhyphen"), "zerowidth softhyphen");
  EXPECT_EQ(smart_replace("ＡＢＣ１２３！"), "ABC123!");
  EXPECT_EQ(smart_replace("`x´ «y» ‹z› −1"), "'x' \"y\" <z> -1");
  EXPECT_EQ(smart_replace("日本 😀 é"), "日本 😀 é");  // no look-alike: kept
  EXPECT_EQ(smart_replace("bad\xFF"), "bad\uFFFD");
}

TEST(SmartEncoding, TurnsTypographicTextIntoGsm) {
  const std::string text = "“Hello” — it’s here…";
  EXPECT_EQ(plan_segments(text).encoding, TextEncoding::ucs2);
  SegmentOptions o;
  o.smart_encoding = true;
  const SegmentPlan p = plan_segments(text, o);
  EXPECT_EQ(p.encoding, TextEncoding::gsm7);
  EXPECT_EQ(p.parts[0].short_message, "\"Hello\" - it's here...");
  EXPECT_EQ(p.units, 22u);
}

TEST(SmartEncoding, SavesSegments) {
  const std::string text = repeat("It’s ", 20);  // 100 characters
  EXPECT_EQ(count_segments(text).segments, 2u);  // UCS-2: 100 units
  SegmentOptions o;
  o.smart_encoding = true;
  EXPECT_EQ(count_segments(text, o).segments, 1u);  // GSM: 100 septets
}

TEST(SmartEncoding, KeepsTheOriginalWhenUcs2IsNeededAnyway) {
  SegmentOptions o;
  o.smart_encoding = true;
  const SegmentPlan p = plan_segments("“Hi” 😀", o);
  EXPECT_EQ(p.encoding, TextEncoding::ucs2);
  EXPECT_EQ(hex(p.parts[0].short_message), "20 1C 00 48 00 69 20 1D 00 20 D8 3D DE 00");
}

TEST(SmartEncoding, ReplacementCostsCountAsSeptets) {
  SegmentOptions o;
  o.smart_encoding = true;
  EXPECT_EQ(count_segments("…", o).units, 3u);
  EXPECT_EQ(count_segments("ˆ", o).units, 2u);  // becomes ^, an extension character
  EXPECT_EQ(count_segments("a\u200Bb", o).units, 2u);
}

}  // namespace
}  // namespace twoway::smpp
