// MO message templates for the SMSC simulator: the built-in mix (plain text, STOP/HELP/START
// variants, unicode with emoji, long messages split into UDH parts, parts out of order, a
// WAP-push MMS notification with a text part) and templates built from a texts file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::sim {

/// One deliver_sm worth of content.
struct MoPart {
  std::uint8_t esm_class = 0;
  std::uint8_t data_coding = 0;
  std::string short_message;  ///< UDH included when esm_class has UDHI
  int ref_offset = -1;        ///< octet of the 8-bit concatenation reference to patch, or -1
};

/// One MO message: its parts, and the order they go on the wire.
struct MoTemplate {
  std::string kind;  ///< text, keyword, unicode, multipart, multipart_out_of_order, wap_push
  std::string text;  ///< the text a receiver should reassemble (UTF-8; media parts left out)
  std::vector<MoPart> parts;
  std::vector<std::uint16_t> send_order;  ///< indexes into parts
};

/// Encodes `utf8` as GSM-7 (unpacked, when every character is in the simple ASCII subset that
/// GSM shares) or UCS-2, split into concatenated parts with an 8-bit reference UDH when it does
/// not fit one message. `out_of_order` sends the parts last to first.
MoTemplate text_template(std::string_view utf8, std::string kind, bool out_of_order = false);

/// The built-in mix, in the order it is cycled through.
std::vector<MoTemplate> builtin_mix();

/// UTF-8 to UCS-2 big-endian (UTF-16BE; characters beyond the BMP as surrogate pairs). Invalid
/// sequences become U+FFFD.
std::string utf8_to_ucs2(std::string_view utf8);

}  // namespace twoway::sim
