// libFuzzer target for the text layer: arbitrary bytes through every decoder (all must give
// valid UTF-8), then the decoded text through count_segments / plan_segments, whose parts must
// agree with the count, respect the size limits and decode back to the text.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smpp/charset.hpp"
#include "smpp/gsm7.hpp"
#include "smpp/segment.hpp"

using namespace twoway::smpp;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Decodes one part of a plan the way a receiving handset would.
void decode_part(const SegmentPlan& plan, const Segment& part, bool packed, std::size_t septets,
                 std::string& out) {
  std::string_view body = part.short_message;
  std::size_t udh = 0;
  if (part.esm_class & 0x40) {
    check(!body.empty());
    udh = static_cast<unsigned char>(body[0]) + 1u;
    check(udh <= body.size());
    body.remove_prefix(udh);
  }
  DecodeOptions d;
  d.default_alphabet = packed ? DefaultAlphabet::gsm7_packed : DefaultAlphabet::gsm7_unpacked;
  d.fill_bits = static_cast<std::uint8_t>(gsm7::fill_bits(udh));
  d.septets = septets;
  (void)decode_text(plan.data_coding, body, out, d);
}

// UCS-2 readers drop a U+FEFF at the start of a part (a BOM), and the encoder writes U+FFFE as
// U+FFFD; compare texts with both normalised away.
void normalise_ucs2(std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "\xEF\xBB\xBF") == 0) {
      i += 2;
    } else if (s.compare(i, 3, "\xEF\xBF\xBE") == 0) {
      out += "\xEF\xBF\xBD";
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  s = std::move(out);
}

void check_plans(std::string_view text, std::uint8_t flags) {
  static std::string joined, piece;
  for (Concatenation c :
       {Concatenation::udh8, Concatenation::udh16, Concatenation::sar, Concatenation::payload}) {
    SegmentOptions o;
    o.concatenation = c;
    o.smart_encoding = flags & 1;
    o.allow_latin1 = flags & 2;
    o.reference = static_cast<std::uint16_t>(flags * 257);
    const SegmentCount count = count_segments(text, o);
    const SegmentPlan plan = plan_segments(text, o);
    check(count.encoding == plan.encoding && count.segments == plan.segments &&
          count.units == plan.units);
    check(plan.segments >= 1);
    if (!plan.fits) continue;

    std::string expected =
        plan.encoding == TextEncoding::gsm7 && o.smart_encoding ? smart_replace(text) : [&] {
          std::string s;
          utf8_sanitize(text, s);
          return s;
        }();
    const bool ucs2 = plan.encoding == TextEncoding::ucs2;
    if (ucs2) normalise_ucs2(expected);
    if (c == Concatenation::payload) {
      check(plan.parts.size() == 1 && plan.parts[0].short_message.empty());
      check(decode_text(plan.data_coding, plan.payload, joined).is_text());
      if (ucs2) normalise_ucs2(joined);
      check(joined == expected);
      continue;
    }
    check(plan.parts.size() == plan.segments);
    joined.clear();
    for (const Segment& part : plan.parts) {
      const std::size_t limit = plan.encoding == TextEncoding::gsm7 ? 160 : 140;
      check(part.short_message.size() <= limit);
      check(plan.segments == 1 || (c == Concatenation::sar) == (part.esm_class == 0));
      decode_part(plan, part, false, gsm7::npos, piece);
      joined += piece;
    }
    if (ucs2) normalise_ucs2(joined);
    check(joined == expected);

    if (plan.encoding != TextEncoding::gsm7) continue;
    // The packed form of every part must carry the same septets.
    o.gsm7_packed = true;
    const SegmentPlan packed = plan_segments(text, o);
    check(packed.parts.size() == plan.parts.size());
    for (std::size_t i = 0; i < packed.parts.size(); ++i) {
      check(packed.parts[i].short_message.size() <= 140);
      const std::size_t udh = (plan.parts[i].esm_class & 0x40)
                                  ? static_cast<unsigned char>(plan.parts[i].short_message[0]) + 1u
                                  : 0;
      const std::size_t septets = plan.parts[i].short_message.size() - udh;
      std::string unpacked_text;
      decode_part(plan, plan.parts[i], false, gsm7::npos, unpacked_text);
      decode_part(packed, packed.parts[i], true, septets, piece);
      check(piece == unpacked_text);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size > 4096) return 0;
  const std::uint8_t selector = data[0];
  const std::uint8_t data_coding = data[1];
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  static std::string out, septets;

  // Every decoder on the raw bytes; all output must be valid UTF-8.
  DecodeOptions o;
  o.default_alphabet = static_cast<DefaultAlphabet>(selector & 3);
  o.fill_bits = static_cast<std::uint8_t>((selector >> 2) % 7);
  o.single_shift = static_cast<std::uint8_t>((selector >> 5) & 3);
  o.locking_shift = static_cast<std::uint8_t>((selector >> 3) & 3);
  if (selector & 0x80) o.septets = data_coding;
  const DecodeResult r = decode_text(data_coding, in, out, o);
  check(utf8_valid(out));
  check(r.is_text() || out.empty());
  const std::string decoded = out;

  for (std::uint8_t dc : {0x00, 0x01, 0x03, 0x06, 0x07, 0x08, 0xF0}) {
    (void)decode_text(dc, in, out, o);
    check(utf8_valid(out));
  }
  const gsm7::Shift shift{o.single_shift, o.locking_shift};
  out.clear();
  gsm7::decode_unpacked(in, out, shift);
  check(utf8_valid(out));
  out.clear();
  gsm7::decode_packed(in, out, o.fill_bits, gsm7::npos, shift);
  check(utf8_valid(out));
  septets.clear();
  const std::size_t n = gsm7::unpack(in, septets, o.fill_bits);
  check(n == septets.size() && n <= (in.size() * 8) / 7);
  out.clear();
  check(decode_ucs2(in, out) <= in.size());
  check(utf8_valid(out));

  // Re-pack the unpacked septets: the same septets must come back.
  std::string repacked, back;
  gsm7::pack(septets, repacked, o.fill_bits);
  gsm7::unpack(repacked, back, o.fill_bits, septets.size());
  for (std::size_t i = 0; i < back.size(); ++i) check((back[i] & 0x7F) == (septets[i] & 0x7F));
  check(back.size() == septets.size());

  // Segmentation of the decoded text, and of the raw bytes taken as (maybe invalid) UTF-8.
  check_plans(decoded, selector);
  check_plans(in, selector);
  return 0;
}
