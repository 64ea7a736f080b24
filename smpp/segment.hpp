// Outbound text: choose the encoding (GSM-7, else Latin-1 when allowed, else UCS-2), count the
// segments a handset will see, and cut the text into submit_sm parts (UDH, SAR or payload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::smpp {

enum class TextEncoding { gsm7, ucs2, latin1 };

/// How a multipart message is joined on the handset.
enum class Concatenation {
  udh8,    ///< UDH 05 00 03 RR TT SS in each short_message, esm_class 0x40
  udh16,   ///< UDH 06 08 04 RH RL TT SS in each short_message, esm_class 0x40
  sar,     ///< sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs, no UDH
  payload  ///< the whole text in one message_payload TLV; the SMSC splits it
};

struct SegmentOptions {
  Concatenation concatenation = Concatenation::udh8;
  /// data_coding 0 packed on the wire (default: one septet per octet). Parts follow the 23.038
  /// CR rules (see gsm7::pack); a part filled to the limit that ends in CR has no room for the
  /// second CR, so a receiver that drops a final CR as padding loses that (invisible) CR.
  bool gsm7_packed = false;
  bool smart_encoding = false;  ///< replace look-alikes by GSM characters first (see smart_replace)
  bool allow_latin1 = false;    ///< consider Latin-1 (0x03) when GSM-7 does not fit; else UCS-2
  std::uint16_t reference = 0;  ///< concatenation reference (udh8 uses the low 8 bits)
};

/// One submit_sm worth of text.
struct Segment {
  std::string short_message;   ///< wire bytes, UDH included for udh8/udh16; empty for payload
  std::uint8_t esm_class = 0;  ///< 0x40 (UDHI) when short_message starts with a UDH
  /// SAR TLV values for Concatenation::sar with more than one part; sar_total == 0 means
  /// "send no SAR TLVs" (single part, or another concatenation).
  std::uint16_t sar_ref = 0;
  std::uint8_t sar_total = 0;
  std::uint8_t sar_seq = 0;
};

struct SegmentPlan {
  TextEncoding encoding = TextEncoding::gsm7;
  std::uint8_t data_coding = 0x00;  ///< 0x00 gsm7, 0x08 ucs2, 0x03 latin1
  std::size_t segments = 1;         ///< parts the handset sees (also for payload: for credits)
  std::size_t units = 0;            ///< septets (escapes count 2), UTF-16 units, or Latin-1 octets
  /// Concatenation::payload only: the whole encoded text for the message_payload TLV.
  std::string payload;
  /// The PDUs to send: `segments` parts, or one part with an empty short_message for payload.
  std::vector<Segment> parts;
  /// False when the text cannot be sent this way: more than 255 parts for udh8/udh16/sar, or a
  /// payload above 65535 octets. `parts` and `payload` are then empty.
  bool fits = true;
};

struct SegmentCount {
  TextEncoding encoding = TextEncoding::gsm7;
  std::size_t segments = 1;
  std::size_t units = 0;
};

/// Most parts a concatenated message can have (the total is one octet).
inline constexpr std::size_t max_parts = 255;

/// Octets a message_payload TLV can carry.
inline constexpr std::size_t max_payload_octets = 65535;

/// data_coding for an encoding: 0x00, 0x08 or 0x03.
[[nodiscard]] constexpr std::uint8_t data_coding_for(TextEncoding e) noexcept {
  return e == TextEncoding::ucs2 ? 0x08 : (e == TextEncoding::latin1 ? 0x03 : 0x00);
}

/// Characters (septets, UTF-16 units, octets) per part: single-part limit and per-part limit
/// when concatenated this way (SAR and payload count like udh8: the SMSC adds a 6-octet UDH).
struct PartLimits {
  std::size_t single;
  std::size_t multi;
};
[[nodiscard]] constexpr PartLimits part_limits(TextEncoding e, Concatenation c) noexcept {
  const bool ref16 = c == Concatenation::udh16;
  switch (e) {
    case TextEncoding::gsm7:
      return {160, ref16 ? 152u : 153u};
    case TextEncoding::ucs2:
      return {70, ref16 ? 66u : 67u};
    case TextEncoding::latin1:
      return {140, ref16 ? 133u : 134u};
  }
  return {160, 153};
}

/// Encoding, segment count and units for `utf8`, exactly as plan_segments would produce them.
/// One pass, no allocation. Rules: GSM-7 when every character is in the default alphabet or its
/// extension table (extension characters cost 2 septets); else Latin-1 when allowed and every
/// character is at most U+00FF; else UCS-2 (characters above U+FFFF cost 2 units). One part up
/// to the single limit, else parts filled greedily to the multipart limit without splitting an
/// escape pair or a surrogate pair. Empty text is one segment. Invalid UTF-8 counts as U+FFFD.
/// With smart_encoding, look-alikes are replaced first, but only when that makes the whole
/// text GSM-7; otherwise the original text goes out unchanged in Latin-1/UCS-2.
[[nodiscard]] SegmentCount count_segments(std::string_view utf8,
                                          const SegmentOptions& options = {});

/// count_segments plus the encoded parts ready for submit_sm (or data_sm with payload).
[[nodiscard]] SegmentPlan plan_segments(std::string_view utf8, const SegmentOptions& options = {});

/// The look-alike pass: curly quotes and primes -> ' or ", dashes and minus -> -, ellipsis ->
/// "...", exotic spaces (NBSP, thin, ideographic, tab) -> space, invisible characters (zero
/// width, soft hyphen, BOM) removed, fullwidth ASCII -> ASCII, backtick and acute -> '.
/// Everything else is kept; invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string smart_replace(std::string_view utf8);

}  // namespace twoway::smpp
