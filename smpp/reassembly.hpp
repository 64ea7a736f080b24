// Inbound reassembly: joins concatenated MO parts (UDH 8/16-bit ref, SAR TLVs) in any order,
// passes single messages through, times out and bounds partial sets, and drops media (WAP push,
// MMS notifications, port-addressed and 8-bit binary data) while keeping any text.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "smpp/charset.hpp"
#include "smpp/pdu.hpp"
#include "smpp/udh.hpp"

namespace twoway::smpp {

/// One received deliver_sm / data_sm as the reassembler needs it. Views must stay valid only
/// for the duration of Reassembler::add (the reassembler copies what it keeps).
struct InboundPart {
  std::string_view smsc;  ///< which bind / SMSC it came from (part of the join key)
  std::string_view source_addr;
  std::string_view destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t data_coding = 0;
  std::string_view short_message;
  std::optional<std::string_view> message_payload;  ///< TLV 0x0424; used if short_message empty
  std::optional<std::uint16_t> sar_msg_ref_num;     ///< TLV 0x020C
  std::optional<std::uint8_t> sar_total_segments;   ///< TLV 0x020E
  std::optional<std::uint8_t> sar_segment_seqnum;   ///< TLV 0x020F
  std::optional<std::uint16_t> destination_port;    ///< TLV 0x020B
  std::optional<std::uint16_t> source_port;         ///< TLV 0x020A
  /// What the SMSC or handset says identifies this PDU across redeliveries, when it says
  /// anything: user_message_reference (0x0204), receipted_message_id (0x001E) on an MO. Empty
  /// when absent. Kept only in memory (to tell a retry from a new message), never stored.
  std::string_view identity;
  std::int64_t now_ms = 0;  ///< when it was received (caller's clock, milliseconds)
  std::uint64_t token = 0;  ///< opaque to the reassembler: handed back to ack the part
};

/// Builds an InboundPart from a decoded deliver_sm / data_sm (TLVs of the wrong length are
/// ignored). Views point into `sm`.
[[nodiscard]] InboundPart inbound_part(std::string_view smsc, const ShortMessage& sm,
                                       std::int64_t now_ms, std::uint64_t token) noexcept;
[[nodiscard]] InboundPart inbound_part(std::string_view smsc, const DataSm& sm, std::int64_t now_ms,
                                       std::uint64_t token) noexcept;

/// An owned copy of an InboundPart, for durable storage of held parts across restarts.
struct StoredPart {
  std::string smsc;
  std::string source_addr;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t data_coding = 0;
  std::string short_message;
  std::optional<std::string> message_payload;
  std::optional<std::uint16_t> sar_msg_ref_num;
  std::optional<std::uint8_t> sar_total_segments;
  std::optional<std::uint8_t> sar_segment_seqnum;
  std::optional<std::uint16_t> destination_port;
  std::optional<std::uint16_t> source_port;
  std::int64_t now_ms = 0;
  std::uint64_t token = 0;

  static StoredPart from(const InboundPart& part);
  /// Views into this object.
  [[nodiscard]] InboundPart view() const noexcept;
};

/// What a part's content is, for the media rule.
enum class MediaKind : std::uint8_t {
  text,              ///< a text data_coding and no application port
  wap_push,          ///< application port 2948 (WAP push) or 2949 (secure WAP push): MMS etc.
  application_port,  ///< any other application port (vCard, ringtone, SIM toolkit, ...)
  binary_data,       ///< 8-bit data coding (0x02, 0x04, GSM DCS 8-bit classes) without a port
};

std::string_view to_string(MediaKind kind) noexcept;

/// Classifies a part: any destination port (from the UDH or the destination_port TLV) is
/// media (wap_push for 2948/2949); otherwise 8-bit binary data codings are media: 0x02, 0x04,
/// 0xF4-0xF7 and 0xFC-0xFF (GSM message class, 8-bit), and for the GSM DCS groups 0x10-0x7F
/// that some SMSCs pass through, 8-bit alphabet (bits 3-2 = 01) or compressed (bit 5). All
/// other values are text (SMPP 0x00-0x0F text codings, MWI groups 0xC0-0xEF, 0xF0-0xF3).
[[nodiscard]] MediaKind classify_media(std::uint8_t data_coding,
                                       std::optional<std::uint16_t> destination_port) noexcept;

/// Text recovered from a media payload, in an SMPP data_coding.
struct ExtractedText {
  std::string user_data;
  std::uint8_t data_coding = 0;
};

/// For a WSP push PDU (connectionless: TID, type 0x06/0x07, headers) whose content type is
/// application/vnd.wap.mms-message and whose body is an m-notification-ind, returns the
/// X-Mms-Subject: pure ASCII and ISO-8859-1 as Latin-1 (data_coding 0x03); other UTF-8
/// (charset UTF-8, US-ASCII or unspecified) converted to UCS-2 (0x08); UCS-2 / UTF-16 as 0x08.
/// nullopt if anything is malformed, absent, empty or in another charset. Never reads past
/// `wsp_pdu`.
[[nodiscard]] std::optional<ExtractedText> extract_mms_subject(std::string_view wsp_pdu);

/// Where one part's payload ends inside ReassembledMessage::user_data. Text decoders need it
/// for packed GSM 7-bit binds: each part is packed on its own, after `header_octets` of UDH
/// (the fill bits to the next septet boundary follow from that count).
struct PartBoundary {
  std::uint32_t end = 0;            ///< offset just past this part's payload in user_data
  std::uint16_t header_octets = 0;  ///< UDHL + 1 for a part with a UDH, else 0
  std::uint8_t seq = 1;             ///< the part's number (1 for a standalone message)
};

/// A whole inbound message, ready for the engine.
struct ReassembledMessage {
  std::string smsc;
  std::string source;
  std::string destination;
  std::uint8_t esm_class = 0;                ///< of the first part received in order
  std::uint8_t data_coding = 0;              ///< of the text (first text part; else the first part)
  std::string user_data;                     ///< parts' payloads joined in part order, UDHs removed
  std::optional<std::uint8_t> single_shift;  ///< national language single shift table id
  std::optional<std::uint8_t> locking_shift;  ///< national language locking shift table id
  bool media_omitted = false;                 ///< some part was media and was dropped
  MediaKind media = MediaKind::text;          ///< the first media kind seen
  bool incomplete = false;  ///< flushed by timeout or a bound before all parts came
  /// Set on an incomplete message whose every part repeats, byte for byte, a part of a message
  /// completed shortly before it: the SMSC re-sent parts whose answers it lost. Nothing new
  /// is in it: acknowledge its tokens and remove its stored parts, but store no message.
  bool late_duplicate = false;
  bool header_invalid = false;  ///< a broken UDH / concat / SAR header: delivered standalone
  std::uint8_t parts_expected = 1;
  std::uint8_t parts_received = 1;
  std::int64_t first_received_ms = 0;
  /// One entry per text part appended to user_data, in order (empty when nothing was kept).
  boost::container::small_vector<PartBoundary, 4> boundaries;
  std::vector<std::uint64_t> tokens;  ///< every part's token incl. duplicates: ack them all
};

/// Decodes a whole message's text with the bind's `options`: the shift tables its UDH named
/// and, when the text is packed GSM 7-bit, each part unpacked on its own after the fill bits
/// its UDH left (a single decode of the joined parts would misread every part after a UDH).
/// Other codings decode the joined payload at once.
DecodeResult decode_message_text(const ReassembledMessage& message, std::string& out,
                                 DecodeOptions options);

/// The whole message a part makes on its own, or nullopt when it is one part of a
/// concatenated message (a valid UDH or SAR header with more than one part): what
/// Reassembler::add returns for a standalone part, without a reassembler.
[[nodiscard]] std::optional<ReassembledMessage> standalone_message(const InboundPart& part);

enum class PartOutcome : std::uint8_t {
  standalone,  ///< not concatenated (or an invalid header): `message` holds it
  held,        ///< kept, waiting for its siblings
  completed,   ///< it completed a set: `message` holds the whole message
  duplicate,   ///< a part already held: ignored, its token joins the set's tokens
  /// The same part (key, seq, content AND the same non-empty InboundPart::identity) of a
  /// message completed less than timeout_ms ago: an SMSC retry after a lost ack, ignored. Ack
  /// its token once the message it belongs to, returned earlier, is committed. Without an
  /// identity on both a repeated part is never dropped at once: it is held (see Reassembler).
  late_duplicate,
};

struct AddResult {
  PartOutcome outcome = PartOutcome::standalone;
  std::optional<ReassembledMessage> message;
  /// Partial sets flushed (marked incomplete) to respect a bound while adding this part.
  /// Usually empty; never drop these, deliver them like `message`.
  std::vector<ReassembledMessage> flushed;
  /// For PartOutcome::duplicate: the token of the held part it repeats. Answer the duplicate
  /// as that part is answered: until the part is durably stored, it exists only in memory.
  std::uint64_t original_token = 0;
};

struct ReassemblyConfig {
  std::int64_t timeout_ms = 120'000;     ///< a partial set older than this is flushed
  std::size_t max_sets_per_source = 64;  ///< partial sets per (smsc, source)
  std::size_t max_sets_total = 100'000;  ///< partial sets overall
  std::size_t max_bytes = 64u << 20;     ///< octets of held parts overall
  /// Completed sets remembered to recognise late duplicates (PartOutcome::late_duplicate).
  /// 0 (the default) turns that off: enable it only where the caller acks late_duplicate
  /// tokens, or those parts would never be answered. 10'000 is a sensible value.
  std::size_t max_recent = 0;
};

/// Joins concatenated parts. Key: (smsc, source, destination, ref, total). Not thread-safe:
/// use one per strand (or guard it). Memory is bounded by ReassemblyConfig; when a bound is
/// hit the oldest partial set (of that source, or overall) is flushed as incomplete, never
/// dropped silently. Route delivery receipts (is_receipt(esm_class)) to parse_receipt instead.
/// snapshot() keeps held parts only: the memory of recently completed sets (late duplicates)
/// starts empty after a restore.
///
/// A reused reference is never taken for a duplicate. An 8-bit reference comes round again
/// after 256 messages of one sender, and a new message may repeat an earlier one's part word
/// for word ("...Thank you very much."), so equal bytes alone prove nothing. A part that
/// repeats a part of a set completed less than timeout_ms ago is therefore:
/// - joined to the set being assembled under the same key when that set lacks its number
///   (the new message's own part: the old message is complete, this number is new for it);
/// - dropped at once (late_duplicate) only when the PDU and the remembered part carry the
///   same identity (user_message_reference, an SMSC id), and taken as new when they differ;
/// - otherwise held like any part, stored and acknowledged, in a set marked as repeating. A
///   sibling with new bytes makes it a new message; a held repeat whose number the new set
///   then receives with other bytes is moved aside as the duplicate it was. A set that times
///   out holding repeated parts only comes back with `late_duplicate` set (nothing new was in
///   it); one that completes with repeated parts only is delivered (the rare duplicate is
///   preferred to dropping a message, and the engine's redelivery check sees it next).
class Reassembler {
 public:
  explicit Reassembler(ReassemblyConfig config = {});

  /// Takes one part. Concatenation comes from the UDH (esm_class & 0x40; 8- or 16-bit ref),
  /// else from all three SAR TLVs; a message_payload without either is a whole message.
  /// Invalid headers (total 0, seq 0, seq > total, broken UDH) make the part standalone.
  /// A part whose seq is already held with different content is not a duplicate but a new
  /// message reusing the reference: the held set is flushed as incomplete and a new one starts.
  [[nodiscard]] AddResult add(const InboundPart& part);

  /// Takes back a held part (the same key and seq, and its token) whose durable copy could not
  /// be written: it was refused to the SMSC, which will send it again, and must not be taken
  /// for a duplicate of what is only in memory. A set left with no parts is forgotten. False
  /// when no such part is held (its set completed or was flushed meanwhile).
  bool withdraw(const InboundPart& part);

  /// Takes back the stored parts of a message completed here whose durable commit was refused:
  /// the sets they belong to are no longer remembered as completed, and the parts wait for
  /// their siblings again (the refused part, which the SMSC sends again, completes them anew).
  /// Returns whatever that completes or flushes, like restore().
  [[nodiscard]] std::vector<ReassembledMessage> reopen(std::span<const StoredPart> parts);

  /// Flushes every partial set whose first part arrived at or before now_ms - timeout, as
  /// incomplete messages holding the parts that arrived, in part order. Oldest first.
  [[nodiscard]] std::vector<ReassembledMessage> expire(std::int64_t now_ms);

  /// Every held part (oldest set first, parts in order), for a durable store. Duplicates'
  /// tokens are not included.
  [[nodiscard]] std::vector<StoredPart> snapshot() const;
  /// Re-adds stored parts (e.g. after a restart), with their original receive times. Returns
  /// whatever that completes or flushes.
  [[nodiscard]] std::vector<ReassembledMessage> restore(std::span<const StoredPart> parts);

  [[nodiscard]] std::size_t pending() const noexcept { return sets_.size(); }
  [[nodiscard]] std::size_t pending_parts() const noexcept { return parts_held_; }
  [[nodiscard]] std::size_t bytes_held() const noexcept { return bytes_held_; }
  [[nodiscard]] const ReassemblyConfig& config() const noexcept { return config_; }

 private:
  using AgeKey = std::pair<std::int64_t, std::uint64_t>;  // (first part ms, serial)
  /// A held part without the fields its set already has.
  struct HeldPart {
    std::uint8_t seq = 0;
    std::uint8_t esm_class = 0;
    std::uint8_t data_coding = 0;
    std::string short_message;
    std::optional<std::string> message_payload;
    std::optional<std::uint16_t> sar_msg_ref_num;
    std::optional<std::uint8_t> sar_total_segments;
    std::optional<std::uint8_t> sar_segment_seqnum;
    std::optional<std::uint16_t> destination_port;
    std::optional<std::uint16_t> source_port;
    std::int64_t now_ms = 0;
    std::uint64_t token = 0;
    std::uint64_t digest = 0;    // of the user data, to tell a retry from a reused reference
    std::uint64_t identity = 0;  // of InboundPart::identity (0: none)
    bool repeat = false;         // repeats a part of a recently completed set (may be a late retry)
    [[nodiscard]] std::size_t bytes() const noexcept;
  };
  struct Set {
    std::string key;         // join key (length-prefixed fields)
    std::string source_key;  // (smsc, source) key for the per-source bound
    std::string smsc;
    std::string source;
    std::string destination;
    std::uint8_t total = 0;
    AgeKey age{};
    std::vector<HeldPart> parts;  // sorted by seq, no two with the same seq
    std::vector<std::uint64_t> duplicate_tokens;
    std::size_t bytes = 0;
    std::size_t repeats = 0;  // held parts with `repeat` set
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  /// The join key of a concatenated part into scratch_key_ (and its source into
  /// scratch_source_).
  void make_keys(const InboundPart& part, const ConcatInfo& c);
  ReassembledMessage build(Set& set, bool incomplete);
  ReassembledMessage take(std::unordered_map<std::string, Set, Hash, std::equal_to<>>::iterator it,
                          bool incomplete);
  void flush_oldest(std::vector<ReassembledMessage>& out);
  void flush_oldest_of(std::string_view source_key, std::vector<ReassembledMessage>& out);
  void rekey(Set& set, std::int64_t first_ms);
  void remember_completed(const Set& set, std::int64_t now_ms);
  void forget_recent(std::int64_t now_ms);
  /// How a part relates to the set completed under its key less than timeout_ms ago.
  enum class Echo : std::uint8_t {
    none,     ///< no such set, or this number had other bytes (or another identity) there
    repeat,   ///< same number and bytes, no identity to tell: may be a retry or a new message
    certain,  ///< same number, bytes and identity: the SMSC re-sent it
  };
  [[nodiscard]] Echo echo_of(std::string_view key, std::uint8_t seq, std::uint64_t digest,
                             std::uint64_t identity, std::int64_t now_ms) const;

  /// A set completed recently: its parts, to recognise retries.
  struct RecentPart {
    std::uint8_t seq = 0;
    std::uint64_t digest = 0;
    std::uint64_t identity = 0;
  };
  struct Recent {
    std::int64_t completed_ms = 0;
    std::uint64_t serial = 0;
    std::vector<RecentPart> parts;
  };

  ReassemblyConfig config_;
  std::unordered_map<std::string, Set, Hash, std::equal_to<>> sets_;
  std::map<AgeKey, Set*> by_age_;
  std::unordered_map<std::string, std::set<AgeKey>, Hash, std::equal_to<>> by_source_;
  std::unordered_map<std::string, Recent, Hash, std::equal_to<>> recent_;
  std::deque<std::pair<std::uint64_t, std::string>> recent_order_;  // (serial, key), oldest first
  std::uint64_t serial_ = 0;
  std::size_t parts_held_ = 0;
  std::size_t bytes_held_ = 0;
  std::string scratch_key_;
  std::string scratch_source_;
};

}  // namespace twoway::smpp
