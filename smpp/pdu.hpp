// SMPP 3.4 / 5.0 PDU types: one struct per body layout, each listing its fields once
// (visit_fields) so that decode, encode and the JSON tools all follow the same order.
// Decoded PDUs hold string_views into the frame they came from: no copies of addresses,
// short_message or TLV values. Keep the frame alive while the Pdu is in use.
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

namespace twoway::smpp {

/// command_id values (SMPP 3.4 §5.1.2.1, 5.0 §4.7.5).
namespace cmd {
inline constexpr std::uint32_t generic_nack = 0x80000000;
inline constexpr std::uint32_t bind_receiver = 0x00000001;
inline constexpr std::uint32_t bind_receiver_resp = 0x80000001;
inline constexpr std::uint32_t bind_transmitter = 0x00000002;
inline constexpr std::uint32_t bind_transmitter_resp = 0x80000002;
inline constexpr std::uint32_t query_sm = 0x00000003;
inline constexpr std::uint32_t query_sm_resp = 0x80000003;
inline constexpr std::uint32_t submit_sm = 0x00000004;
inline constexpr std::uint32_t submit_sm_resp = 0x80000004;
inline constexpr std::uint32_t deliver_sm = 0x00000005;
inline constexpr std::uint32_t deliver_sm_resp = 0x80000005;
inline constexpr std::uint32_t unbind = 0x00000006;
inline constexpr std::uint32_t unbind_resp = 0x80000006;
inline constexpr std::uint32_t replace_sm = 0x00000007;
inline constexpr std::uint32_t replace_sm_resp = 0x80000007;
inline constexpr std::uint32_t cancel_sm = 0x00000008;
inline constexpr std::uint32_t cancel_sm_resp = 0x80000008;
inline constexpr std::uint32_t bind_transceiver = 0x00000009;
inline constexpr std::uint32_t bind_transceiver_resp = 0x80000009;
inline constexpr std::uint32_t outbind = 0x0000000B;
inline constexpr std::uint32_t enquire_link = 0x00000015;
inline constexpr std::uint32_t enquire_link_resp = 0x80000015;
inline constexpr std::uint32_t submit_multi = 0x00000021;
inline constexpr std::uint32_t submit_multi_resp = 0x80000021;
inline constexpr std::uint32_t alert_notification = 0x00000102;
inline constexpr std::uint32_t data_sm = 0x00000103;
inline constexpr std::uint32_t data_sm_resp = 0x80000103;
inline constexpr std::uint32_t broadcast_sm = 0x00000111;
inline constexpr std::uint32_t broadcast_sm_resp = 0x80000111;
inline constexpr std::uint32_t query_broadcast_sm = 0x00000112;
inline constexpr std::uint32_t query_broadcast_sm_resp = 0x80000112;
inline constexpr std::uint32_t cancel_broadcast_sm = 0x00000113;
inline constexpr std::uint32_t cancel_broadcast_sm_resp = 0x80000113;
inline constexpr std::uint32_t response_bit = 0x80000000;
}  // namespace cmd

/// command_status values used by the code (the full table lives in status.cpp).
namespace status {
inline constexpr std::uint32_t ok = 0x00;
inline constexpr std::uint32_t invmsglen = 0x01;
inline constexpr std::uint32_t invcmdlen = 0x02;
inline constexpr std::uint32_t invcmdid = 0x03;
inline constexpr std::uint32_t invbndsts = 0x04;
inline constexpr std::uint32_t alybnd = 0x05;
inline constexpr std::uint32_t syserr = 0x08;
inline constexpr std::uint32_t invsrcadr = 0x0A;
inline constexpr std::uint32_t invdstadr = 0x0B;
inline constexpr std::uint32_t invmsgid = 0x0C;
inline constexpr std::uint32_t bindfail = 0x0D;
inline constexpr std::uint32_t invpaswd = 0x0E;
inline constexpr std::uint32_t invsysid = 0x0F;
inline constexpr std::uint32_t msgqful = 0x14;
inline constexpr std::uint32_t invnumdests = 0x33;
inline constexpr std::uint32_t invdestflag = 0x40;
inline constexpr std::uint32_t submitfail = 0x45;
inline constexpr std::uint32_t throttled = 0x58;
inline constexpr std::uint32_t x_t_appn = 0x64;
inline constexpr std::uint32_t x_p_appn = 0x65;
inline constexpr std::uint32_t x_r_appn = 0x66;
inline constexpr std::uint32_t invoptparstream = 0xC0;
inline constexpr std::uint32_t invparlen = 0xC2;
inline constexpr std::uint32_t unknownerr = 0xFF;
}  // namespace status

/// TLV tags used by the code (the full name table lives in names.cpp).
namespace tag {
inline constexpr std::uint16_t receipted_message_id = 0x001E;
inline constexpr std::uint16_t user_message_reference = 0x0204;
inline constexpr std::uint16_t source_port = 0x020A;
inline constexpr std::uint16_t destination_port = 0x020B;
inline constexpr std::uint16_t sar_msg_ref_num = 0x020C;
inline constexpr std::uint16_t sar_total_segments = 0x020E;
inline constexpr std::uint16_t sar_segment_seqnum = 0x020F;
inline constexpr std::uint16_t sc_interface_version = 0x0210;
inline constexpr std::uint16_t network_error_code = 0x0423;
inline constexpr std::uint16_t message_payload = 0x0424;
inline constexpr std::uint16_t message_state = 0x0427;
inline constexpr std::uint16_t congestion_state = 0x0428;
}  // namespace tag

/// esm_class bits (§7): test with masks, never with equality.
namespace esm {
inline constexpr std::uint8_t type_mask = 0x3C;
inline constexpr std::uint8_t type_delivery_receipt = 0x04;
inline constexpr std::uint8_t type_intermediate = 0x20;
inline constexpr std::uint8_t udhi = 0x40;
inline constexpr std::uint8_t reply_path = 0x80;
}  // namespace esm

inline constexpr bool is_response(std::uint32_t command_id) noexcept {
  return (command_id & cmd::response_bit) != 0;
}
inline constexpr std::uint32_t response_id(std::uint32_t request_id) noexcept {
  return request_id | cmd::response_bit;
}

struct Header {
  std::uint32_t command_length = 0;
  std::uint32_t command_id = 0;
  std::uint32_t command_status = 0;
  std::uint32_t sequence_number = 0;
};
inline constexpr std::size_t header_size = 16;

/// One TLV as it came (or will go) on the wire; unknown tags are kept as they are.
struct Tlv {
  std::uint16_t tag = 0;
  std::string_view value;
};
using TlvList = boost::container::small_vector<Tlv, 6>;

/// First TLV with this tag, if any.
std::optional<std::string_view> find_tlv(const TlvList& tlvs, std::uint16_t tag) noexcept;
/// The TLV read as a big-endian integer of its own length (1, 2 or 4 octets); nullopt if absent
/// or of another length.
std::optional<std::uint32_t> tlv_uint(const TlvList& tlvs, std::uint16_t tag) noexcept;

// --- Field visitors --------------------------------------------------------------------
// Every body struct has `template <class V> void visit_fields(V& v)` that calls, in wire order:
//   v.cstr(name, string_view&, max_with_nul)   C-Octet String (max includes the NUL)
//   v.u8(name, uint8_t&)
//   v.short_message(string_view&)               sm_length (I1) + short_message octets
//   v.dest_addresses(small_vector<DestAddress>&) number_of_dests + dest_address list
//   v.unsuccess_smes(small_vector<UnsuccessSme>&) no_unsuccess + unsuccess_sme list
//   v.tlvs(TlvList&)                             all remaining octets as TLVs
//   v.optional_body(bool& present) -> bool       responses: false = no body on the wire, stop
// A visitor may stop early (e.g. on a decode error) by returning false from `ok()`.

#define TWOWAY_FIELD(call) \
  do {                     \
    call;                  \
    if (!v.ok()) return;   \
  } while (0)

/// generic_nack, unbind(_resp), enquire_link(_resp), cancel_sm_resp, replace_sm_resp,
/// cancel_broadcast_sm_resp: header only.
struct Empty {
  template <class V>
  void visit_fields(V&) {}
};

/// bind_receiver / bind_transmitter / bind_transceiver.
struct BindRequest {
  std::string_view system_id;
  std::string_view password;
  std::string_view system_type;
  std::uint8_t interface_version = 0x34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string_view address_range;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("system_id", system_id, 16));
    TWOWAY_FIELD(v.cstr("password", password, 9));
    TWOWAY_FIELD(v.cstr("system_type", system_type, 13));
    TWOWAY_FIELD(v.u8("interface_version", interface_version));
    TWOWAY_FIELD(v.u8("addr_ton", addr_ton));
    TWOWAY_FIELD(v.u8("addr_npi", addr_npi));
    TWOWAY_FIELD(v.cstr("address_range", address_range, 41));
  }
};

/// bind_*_resp: system_id + TLVs (sc_interface_version). Error responses may lack the body.
struct BindResp {
  bool body_present = true;
  std::string_view system_id;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    if (!v.optional_body(body_present)) return;
    TWOWAY_FIELD(v.cstr("system_id", system_id, 16));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct Outbind {
  std::string_view system_id;
  std::string_view password;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("system_id", system_id, 16));
    TWOWAY_FIELD(v.cstr("password", password, 9));
  }
};

/// submit_sm and deliver_sm (same layout; the SMSC leaves the scheduling fields empty in
/// deliver_sm).
struct ShortMessage {
  std::string_view service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string_view destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string_view schedule_delivery_time;
  std::string_view validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string_view short_message;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("service_type", service_type, 6));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.u8("dest_addr_ton", dest_addr_ton));
    TWOWAY_FIELD(v.u8("dest_addr_npi", dest_addr_npi));
    TWOWAY_FIELD(v.cstr("destination_addr", destination_addr, 21));
    TWOWAY_FIELD(v.u8("esm_class", esm_class));
    TWOWAY_FIELD(v.u8("protocol_id", protocol_id));
    TWOWAY_FIELD(v.u8("priority_flag", priority_flag));
    TWOWAY_FIELD(v.cstr("schedule_delivery_time", schedule_delivery_time, 17));
    TWOWAY_FIELD(v.cstr("validity_period", validity_period, 17));
    TWOWAY_FIELD(v.u8("registered_delivery", registered_delivery));
    TWOWAY_FIELD(v.u8("replace_if_present_flag", replace_if_present_flag));
    TWOWAY_FIELD(v.u8("data_coding", data_coding));
    TWOWAY_FIELD(v.u8("sm_default_msg_id", sm_default_msg_id));
    TWOWAY_FIELD(v.short_message(short_message));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

/// submit_sm_resp, deliver_sm_resp, data_sm_resp, broadcast_sm_resp, query_broadcast_sm_resp:
/// message_id + TLVs; the body may be absent (error responses, or peers that omit it).
struct MessageIdResp {
  bool body_present = true;
  std::string_view message_id;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    if (!v.optional_body(body_present)) return;
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct DataSm {
  std::string_view service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string_view destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("service_type", service_type, 6));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 65));
    TWOWAY_FIELD(v.u8("dest_addr_ton", dest_addr_ton));
    TWOWAY_FIELD(v.u8("dest_addr_npi", dest_addr_npi));
    TWOWAY_FIELD(v.cstr("destination_addr", destination_addr, 65));
    TWOWAY_FIELD(v.u8("esm_class", esm_class));
    TWOWAY_FIELD(v.u8("registered_delivery", registered_delivery));
    TWOWAY_FIELD(v.u8("data_coding", data_coding));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct QuerySm {
  std::string_view message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  TlvList tlvs;  // none in 3.4; kept for peers that add some

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct QuerySmResp {
  bool body_present = true;
  std::string_view message_id;
  std::string_view final_date;
  std::uint8_t message_state = 0;
  std::uint8_t error_code = 0;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    if (!v.optional_body(body_present)) return;
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.cstr("final_date", final_date, 17));
    TWOWAY_FIELD(v.u8("message_state", message_state));
    TWOWAY_FIELD(v.u8("error_code", error_code));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct CancelSm {
  std::string_view service_type;
  std::string_view message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string_view destination_addr;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("service_type", service_type, 6));
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.u8("dest_addr_ton", dest_addr_ton));
    TWOWAY_FIELD(v.u8("dest_addr_npi", dest_addr_npi));
    TWOWAY_FIELD(v.cstr("destination_addr", destination_addr, 21));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct ReplaceSm {
  std::string_view message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  std::string_view schedule_delivery_time;
  std::string_view validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string_view short_message;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.cstr("schedule_delivery_time", schedule_delivery_time, 17));
    TWOWAY_FIELD(v.cstr("validity_period", validity_period, 17));
    TWOWAY_FIELD(v.u8("registered_delivery", registered_delivery));
    TWOWAY_FIELD(v.u8("sm_default_msg_id", sm_default_msg_id));
    TWOWAY_FIELD(v.short_message(short_message));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

/// One destination of submit_multi: dest_flag 1 = SME address, 2 = distribution list name.
struct DestAddress {
  std::uint8_t dest_flag = 1;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string_view destination_addr;  // dest_flag 1
  std::string_view dl_name;           // dest_flag 2
};

struct SubmitMulti {
  std::string_view service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  boost::container::small_vector<DestAddress, 4> dest_addresses;
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string_view schedule_delivery_time;
  std::string_view validity_period;
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::string_view short_message;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("service_type", service_type, 6));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.dest_addresses(dest_addresses));
    TWOWAY_FIELD(v.u8("esm_class", esm_class));
    TWOWAY_FIELD(v.u8("protocol_id", protocol_id));
    TWOWAY_FIELD(v.u8("priority_flag", priority_flag));
    TWOWAY_FIELD(v.cstr("schedule_delivery_time", schedule_delivery_time, 17));
    TWOWAY_FIELD(v.cstr("validity_period", validity_period, 17));
    TWOWAY_FIELD(v.u8("registered_delivery", registered_delivery));
    TWOWAY_FIELD(v.u8("replace_if_present_flag", replace_if_present_flag));
    TWOWAY_FIELD(v.u8("data_coding", data_coding));
    TWOWAY_FIELD(v.u8("sm_default_msg_id", sm_default_msg_id));
    TWOWAY_FIELD(v.short_message(short_message));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct UnsuccessSme {
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string_view destination_addr;
  std::uint32_t error_status_code = 0;
};

struct SubmitMultiResp {
  bool body_present = true;
  std::string_view message_id;
  boost::container::small_vector<UnsuccessSme, 2> unsuccess_smes;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    if (!v.optional_body(body_present)) return;
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.unsuccess_smes(unsuccess_smes));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

struct AlertNotification {
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  std::uint8_t esme_addr_ton = 0;
  std::uint8_t esme_addr_npi = 0;
  std::string_view esme_addr;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 65));
    TWOWAY_FIELD(v.u8("esme_addr_ton", esme_addr_ton));
    TWOWAY_FIELD(v.u8("esme_addr_npi", esme_addr_npi));
    TWOWAY_FIELD(v.cstr("esme_addr", esme_addr, 65));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

/// broadcast_sm (5.0): the text and the broadcast parameters travel as TLVs.
struct BroadcastSm {
  std::string_view service_type;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  std::string_view message_id;
  std::uint8_t priority_flag = 0;
  std::string_view schedule_delivery_time;
  std::string_view validity_period;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("service_type", service_type, 6));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.u8("priority_flag", priority_flag));
    TWOWAY_FIELD(v.cstr("schedule_delivery_time", schedule_delivery_time, 17));
    TWOWAY_FIELD(v.cstr("validity_period", validity_period, 17));
    TWOWAY_FIELD(v.u8("replace_if_present_flag", replace_if_present_flag));
    TWOWAY_FIELD(v.u8("data_coding", data_coding));
    TWOWAY_FIELD(v.u8("sm_default_msg_id", sm_default_msg_id));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

/// query_broadcast_sm (5.0).
struct QueryBroadcastSm {
  std::string_view message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

/// cancel_broadcast_sm (5.0).
struct CancelBroadcastSm {
  std::string_view service_type;
  std::string_view message_id;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string_view source_addr;
  TlvList tlvs;

  template <class V>
  void visit_fields(V& v) {
    TWOWAY_FIELD(v.cstr("service_type", service_type, 6));
    TWOWAY_FIELD(v.cstr("message_id", message_id, 65));
    TWOWAY_FIELD(v.u8("source_addr_ton", source_addr_ton));
    TWOWAY_FIELD(v.u8("source_addr_npi", source_addr_npi));
    TWOWAY_FIELD(v.cstr("source_addr", source_addr, 21));
    TWOWAY_FIELD(v.tlvs(tlvs));
  }
};

/// A command_id this codec does not know: the body is kept as raw octets.
struct Unknown {
  std::string_view body;
};

using Body =
    std::variant<Empty, BindRequest, BindResp, Outbind, ShortMessage, MessageIdResp, DataSm,
                 QuerySm, QuerySmResp, CancelSm, ReplaceSm, SubmitMulti, SubmitMultiResp,
                 AlertNotification, BroadcastSm, QueryBroadcastSm, CancelBroadcastSm, Unknown>;

/// A whole PDU. The header's command_id decides which Body alternative is used
/// (body_for_command); command_length is filled in by decode and by encode.
struct Pdu {
  Header header;
  Body body;

  template <class T>
  T* as() noexcept {
    return std::get_if<T>(&body);
  }
  template <class T>
  const T* as() const noexcept {
    return std::get_if<T>(&body);
  }
};

/// The empty Body alternative that `command_id` uses (Unknown for ids this codec lacks).
Body body_for_command(std::uint32_t command_id);
/// Every command_id this codec knows, in a fixed order (names.cpp's table).
std::span<const std::uint32_t> known_commands() noexcept;
/// True when `command_id` is one this codec knows.
bool is_known_command(std::uint32_t command_id) noexcept;

/// Builds a PDU with the given header fields and a default body of the right type.
Pdu make_pdu(std::uint32_t command_id, std::uint32_t sequence_number,
             std::uint32_t command_status = status::ok);

/// The response a request calls for with `status`, carrying the request's sequence number.
/// Follows 3.4: no body on error for bind_*_resp, submit_sm_resp, submit_multi_resp;
/// deliver_sm_resp always carries an empty message_id.
Pdu make_response(const Header& request, std::uint32_t status);

// Names for logs and JSON (names.cpp).
std::string_view command_name(std::uint32_t command_id) noexcept;  // "" if unknown
std::optional<std::uint32_t> command_by_name(std::string_view name) noexcept;
std::string_view status_name(std::uint32_t command_status) noexcept;  // "" if unknown
std::string_view tlv_name(std::uint16_t tag) noexcept;                // "" if unknown
std::optional<std::uint16_t> tlv_by_name(std::string_view name) noexcept;

}  // namespace twoway::smpp
