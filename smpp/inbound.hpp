// One received deliver_sm / data_sm turned into one inbound value, in one call: a delivery
// receipt (its fields parsed), a whole message (its text decoded), or one part of a
// concatenated message (its reference, SAR or UDH header, and user_message_reference read),
// ready for the reassembler. The caller only routes the value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "smpp/charset.hpp"
#include "smpp/pdu.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/receipt.hpp"

namespace twoway::smpp {

/// What the PDU tells about its sender's address and its identity across redeliveries.
struct InboundOrigin {
  std::uint8_t source_ton = 0;
  std::uint8_t source_npi = 0;
  /// What identifies this MO across an SMSC's redeliveries, as far as the PDU tells, e.g.
  /// "umr:7;sar:300/2;" or "udh:42/3;": the user_message_reference TLV, and the concatenation
  /// reference and part count (SAR TLVs, UDH IE 0x00 / 0x08). Empty when it says nothing.
  std::string reference;
};

/// A delivery receipt (esm_class 0x04) or intermediate notification (0x20).
struct InboundReceipt {
  /// False when neither a receipted_message_id TLV nor the text gave a message id: nothing to
  /// match; acknowledge it and ignore it.
  bool has_id = false;
  std::string message_id;  ///< TLV receipted_message_id, else the text's `id:`
  MessageState state = MessageState::unknown;
  /// The text's `err:` value; else "network_type:error_code" from the network_error_code TLV.
  std::string error;
  std::optional<std::int64_t> done_unix;  ///< the `done date` read as UTC, when given
};

/// A message complete in this PDU (not concatenated, or a broken concatenation header).
struct InboundWhole {
  InboundOrigin origin;
  ReassembledMessage message;  ///< token 0 in `tokens`; media dropped as the reassembler does
  std::string text;            ///< the decoded text (UTF-8)
  DecodeResult decoded;
};

/// One part of a concatenated message. `part` views into the PDU: use it before the PDU goes
/// (Reassembler::add copies what it keeps); set its token and receive time first.
struct InboundSegment {
  InboundOrigin origin;
  InboundPart part;
};

/// A PDU with nothing for the application (not a deliver_sm or data_sm).
struct NotInbound {};

using InboundValue = std::variant<NotInbound, InboundReceipt, InboundWhole, InboundSegment>;

/// Classifies a deliver_sm / data_sm from SMSC `smsc` (the name the parts are joined under)
/// and reads everything the application needs from it. `options`: how this bind's text is
/// decoded (a whole message's text is decoded here; a concatenated one's after reassembly,
/// with decode_message_text).
[[nodiscard]] InboundValue classify_inbound(std::string_view smsc, const Pdu& pdu,
                                            const DecodeOptions& options);

}  // namespace twoway::smpp
