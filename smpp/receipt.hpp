// Delivery receipts (SMPP 3.4 Appendix B and the TLVs of §5.3.2): detection, tolerant parsing
// of the "id:... stat:... err:..." text, TLV preference, and message-id keys that let a receipt
// find the submit_sm_resp id it answers even when the SMSC changed base, case or zero padding.
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smpp/pdu.hpp"

namespace twoway::smpp {

/// message_state values (TLV 0x0427, query_sm_resp). Numbering follows the spec.
enum class MessageState : std::uint8_t {
  scheduled = 0,  ///< 5.0
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
  skipped = 9,  ///< 5.0
};

/// Spec name ("DELIVERED", "UNDELIVERABLE", ...).
std::string_view to_string(MessageState state) noexcept;
/// True for the final states of SMPP 5.0 (all but SCHEDULED, ENROUTE), except UNKNOWN: an
/// unrecognised `stat:` maps to UNKNOWN, so it must not end tracking. Some SMSCs send ACCEPTD
/// and later DELIVRD: let a later receipt still update a final state.
[[nodiscard]] bool is_final(MessageState state) noexcept;
/// The state a receipt's `stat:` value names, in any case: the 7-letter forms (DELIVRD,
/// UNDELIV, ACCEPTD, REJECTD, ...), the long forms (DELIVERED, UNDELIVERABLE, ...) and a
/// single digit (message_state number). Anything else is unknown.
[[nodiscard]] MessageState state_from_stat(std::string_view stat) noexcept;
/// message_state TLV value -> state; nullopt for values outside 0..9.
[[nodiscard]] std::optional<MessageState> state_from_number(std::uint32_t value) noexcept;

/// True when esm_class marks a deliver_sm / data_sm as an SMSC delivery receipt (0x04) or an
/// intermediate delivery notification (0x20). Uses the message-type mask, never equality.
[[nodiscard]] constexpr bool is_receipt(std::uint8_t esm_class) noexcept {
  const std::uint8_t type = esm_class & esm::type_mask;
  return type == esm::type_delivery_receipt || type == esm::type_intermediate;
}

/// A receipt date as written by the SMSC (its own clock; the zone is not given).
struct ReceiptDate {
  std::uint16_t year = 0;  ///< full year; two-digit years are 2000 + YY
  std::uint8_t month = 0;
  std::uint8_t day = 0;
  std::uint8_t hour = 0;
  std::uint8_t minute = 0;
  std::uint8_t second = 0;
  /// Seconds since 1970-01-01 reading the date as UTC.
  [[nodiscard]] std::int64_t unix_seconds() const noexcept;
  friend bool operator==(const ReceiptDate&, const ReceiptDate&) = default;
};

/// Parses YYMMDDhhmm (10), YYMMDDhhmmss (12) or YYYYMMDDhhmmss (14 digits); nullopt for any
/// other length, a non-digit, or a field out of range.
[[nodiscard]] std::optional<ReceiptDate> parse_receipt_date(std::string_view digits) noexcept;

/// network_error_code TLV (0x0423): network type (1 = ANSI-136, 2 = IS-95, 3 = GSM, ...) and
/// the network's error code.
struct NetworkError {
  std::uint8_t network_type = 0;
  std::uint16_t error_code = 0;
  friend bool operator==(const NetworkError&, const NetworkError&) = default;
};

/// What a receipt says. Views point into the PDU (or the text) that was parsed.
struct ReceiptInfo {
  std::string_view message_id;  ///< TLV receipted_message_id (NUL stripped), else `id:`
  MessageState state = MessageState::unknown;  ///< TLV message_state, else from `stat:`
  std::string_view stat;                       ///< raw `stat:` value ("" if the text had none)
  std::string_view err;                        ///< raw `err:` value, any length ("" if none)
  std::string_view submit_date_raw;
  std::string_view done_date_raw;
  std::optional<ReceiptDate> submit_date;
  std::optional<ReceiptDate> done_date;
  std::optional<std::uint32_t> sub;    ///< `sub:` count, when present and numeric
  std::optional<std::uint32_t> dlvrd;  ///< `dlvrd:` count, when present and numeric
  std::optional<NetworkError> network_error;
  std::string_view text;  ///< everything after `text:` (opaque: may be binary or UCS-2)
  bool id_from_tlv = false;
  bool state_from_tlv = false;
  bool ucs2_text = false;  ///< the whole text came as UCS-2 and was narrowed (see below)
};

/// Parses receipt text alone (no TLVs). Tolerant: labels id, sub, dlvrd, submit date, done
/// date, stat, err, text in any case and order, each optional; a label counts only at the
/// start or after white space; a value is the run of non-blank octets after the colon;
/// unknown tokens are skipped; everything after `text:` is the text, kept opaque; trailing
/// NULs are dropped first. Also accepts `submit_date` / `done_date`. Never fails: fields not
/// found stay empty.
[[nodiscard]] ReceiptInfo parse_receipt_text(std::string_view text) noexcept;

/// The parts of a deliver_sm / data_sm a receipt parse needs (build it by hand in tests or
/// with receipt_fields()).
struct ReceiptFields {
  std::string_view short_message;
  std::optional<std::string_view> message_payload;       ///< TLV 0x0424
  std::optional<std::string_view> receipted_message_id;  ///< TLV 0x001E (raw, NUL included)
  std::optional<std::string_view> message_state;         ///< TLV 0x0427 (raw, 1 octet)
  std::optional<std::string_view> network_error_code;    ///< TLV 0x0423 (raw, 3 octets)
};

ReceiptFields receipt_fields(const ShortMessage& sm) noexcept;
ReceiptFields receipt_fields(const DataSm& sm) noexcept;

/// Parses a receipt: the text from short_message, or from message_payload when short_message
/// is empty; then TLVs override: receipted_message_id (NUL stripped) for the id, message_state
/// (if 0..9) for the state, network_error_code (3 octets) for the network error. nullopt when
/// neither the TLV nor the text gives a message id. Call it only when is_receipt(esm_class).
[[nodiscard]] std::optional<ReceiptInfo> parse_receipt(const ReceiptFields& fields) noexcept;

/// As above, and also reads receipts whose whole text is UCS-2 (some SMSCs send the receipt in
/// the original message's data_coding 0x08): when the text starts with "\0i\0d\0:" style
/// pairs (any label, any case), it is narrowed into `scratch` (each UTF-16BE unit below 0x100
/// becomes that octet, others '?') and parsed from there; views then point into `scratch`.
[[nodiscard]] std::optional<ReceiptInfo> parse_receipt(const ReceiptFields& fields,
                                                       std::string& scratch);

// --- message-id matching ------------------------------------------------------------------
// SMSCs are inconsistent about the id in a receipt versus the one in submit_sm_resp: one is
// hex and the other decimal ("33E95179" vs "0870928761"), zero padding differs, hex case
// differs. Algorithm:
//   canonical(id) = id trimmed of blanks and NULs, ASCII letters folded to lower case, leading
//                   '0's removed (an all-zero id becomes "0").
//   A store indexes every submit_sm_resp id under canonical(submit_id) only.
//   A receipt id is looked up under message_id_keys(receipt_id), first hit wins:
//     1. canonical(receipt_id)                                  exact (case/zeros folded)
//     2. decimal of receipt_id read as hex, if it is 1..16 hex digits (hex -> dec)
//     3. hex (lower case) of receipt_id read as decimal, if it is all decimal digits and fits
//        64 bits (dec -> hex)
//   Keys 2 and 3 are canonical too and duplicates are dropped. Because submit ids are stored
//   canonically, this also covers a decimal submit id answered by a hex receipt (key 2) and
//   the reverse (key 3). Alternate-base keys can collide with an unrelated id: confirm the
//   match with the destination address where the store has it.

/// canonical(id) as above.
[[nodiscard]] std::string canonical_message_id(std::string_view id);

using MessageIdKeys = boost::container::small_vector<std::string, 3>;
/// The keys to try for a receipt id, best first (see above). Empty for an empty id.
[[nodiscard]] MessageIdKeys message_id_keys(std::string_view id);

}  // namespace twoway::smpp
