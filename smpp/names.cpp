// Spec names of commands, command_status values and TLV tags (SMPP 3.4 / 5.0), for logs,
// twoway-pdu's JSON and the admin socket.
#include <algorithm>
#include <array>
#include <utility>

#include "smpp/pdu.hpp"

namespace twoway::smpp {
namespace {

struct CommandName {
  std::uint32_t id;
  std::string_view name;
};

constexpr std::array kCommands{
    CommandName{cmd::generic_nack, "generic_nack"},
    CommandName{cmd::bind_receiver, "bind_receiver"},
    CommandName{cmd::bind_receiver_resp, "bind_receiver_resp"},
    CommandName{cmd::bind_transmitter, "bind_transmitter"},
    CommandName{cmd::bind_transmitter_resp, "bind_transmitter_resp"},
    CommandName{cmd::query_sm, "query_sm"},
    CommandName{cmd::query_sm_resp, "query_sm_resp"},
    CommandName{cmd::submit_sm, "submit_sm"},
    CommandName{cmd::submit_sm_resp, "submit_sm_resp"},
    CommandName{cmd::deliver_sm, "deliver_sm"},
    CommandName{cmd::deliver_sm_resp, "deliver_sm_resp"},
    CommandName{cmd::unbind, "unbind"},
    CommandName{cmd::unbind_resp, "unbind_resp"},
    CommandName{cmd::replace_sm, "replace_sm"},
    CommandName{cmd::replace_sm_resp, "replace_sm_resp"},
    CommandName{cmd::cancel_sm, "cancel_sm"},
    CommandName{cmd::cancel_sm_resp, "cancel_sm_resp"},
    CommandName{cmd::bind_transceiver, "bind_transceiver"},
    CommandName{cmd::bind_transceiver_resp, "bind_transceiver_resp"},
    CommandName{cmd::outbind, "outbind"},
    CommandName{cmd::enquire_link, "enquire_link"},
    CommandName{cmd::enquire_link_resp, "enquire_link_resp"},
    CommandName{cmd::submit_multi, "submit_multi"},
    CommandName{cmd::submit_multi_resp, "submit_multi_resp"},
    CommandName{cmd::alert_notification, "alert_notification"},
    CommandName{cmd::data_sm, "data_sm"},
    CommandName{cmd::data_sm_resp, "data_sm_resp"},
    CommandName{cmd::broadcast_sm, "broadcast_sm"},
    CommandName{cmd::broadcast_sm_resp, "broadcast_sm_resp"},
    CommandName{cmd::query_broadcast_sm, "query_broadcast_sm"},
    CommandName{cmd::query_broadcast_sm_resp, "query_broadcast_sm_resp"},
    CommandName{cmd::cancel_broadcast_sm, "cancel_broadcast_sm"},
    CommandName{cmd::cancel_broadcast_sm_resp, "cancel_broadcast_sm_resp"},
};

constexpr auto kCommandIds = [] {
  std::array<std::uint32_t, kCommands.size()> ids{};
  for (std::size_t i = 0; i < kCommands.size(); ++i) ids[i] = kCommands[i].id;
  return ids;
}();

struct StatusName {
  std::uint32_t status;
  std::string_view name;
};

constexpr std::array kStatuses{
    StatusName{0x00, "ESME_ROK"},
    StatusName{0x01, "ESME_RINVMSGLEN"},
    StatusName{0x02, "ESME_RINVCMDLEN"},
    StatusName{0x03, "ESME_RINVCMDID"},
    StatusName{0x04, "ESME_RINVBNDSTS"},
    StatusName{0x05, "ESME_RALYBND"},
    StatusName{0x06, "ESME_RINVPRTFLG"},
    StatusName{0x07, "ESME_RINVREGDLVFLG"},
    StatusName{0x08, "ESME_RSYSERR"},
    StatusName{0x0A, "ESME_RINVSRCADR"},
    StatusName{0x0B, "ESME_RINVDSTADR"},
    StatusName{0x0C, "ESME_RINVMSGID"},
    StatusName{0x0D, "ESME_RBINDFAIL"},
    StatusName{0x0E, "ESME_RINVPASWD"},
    StatusName{0x0F, "ESME_RINVSYSID"},
    StatusName{0x11, "ESME_RCANCELFAIL"},
    StatusName{0x13, "ESME_RREPLACEFAIL"},
    StatusName{0x14, "ESME_RMSGQFUL"},
    StatusName{0x15, "ESME_RINVSERTYP"},
    StatusName{0x33, "ESME_RINVNUMDESTS"},
    StatusName{0x34, "ESME_RINVDLNAME"},
    StatusName{0x40, "ESME_RINVDESTFLAG"},
    StatusName{0x42, "ESME_RINVSUBREP"},
    StatusName{0x43, "ESME_RINVESMCLASS"},
    StatusName{0x44, "ESME_RCNTSUBDL"},
    StatusName{0x45, "ESME_RSUBMITFAIL"},
    StatusName{0x48, "ESME_RINVSRCTON"},
    StatusName{0x49, "ESME_RINVSRCNPI"},
    StatusName{0x50, "ESME_RINVDSTTON"},
    StatusName{0x51, "ESME_RINVDSTNPI"},
    StatusName{0x53, "ESME_RINVSYSTYP"},
    StatusName{0x54, "ESME_RINVREPFLAG"},
    StatusName{0x55, "ESME_RINVNUMMSGS"},
    StatusName{0x58, "ESME_RTHROTTLED"},
    StatusName{0x61, "ESME_RINVSCHED"},
    StatusName{0x62, "ESME_RINVEXPIRY"},
    StatusName{0x63, "ESME_RINVDFTMSGID"},
    StatusName{0x64, "ESME_RX_T_APPN"},
    StatusName{0x65, "ESME_RX_P_APPN"},
    StatusName{0x66, "ESME_RX_R_APPN"},
    StatusName{0x67, "ESME_RQUERYFAIL"},
    StatusName{0xC0, "ESME_RINVOPTPARSTREAM"},
    StatusName{0xC1, "ESME_ROPTPARNOTALLWD"},
    StatusName{0xC2, "ESME_RINVPARLEN"},
    StatusName{0xC3, "ESME_RMISSINGOPTPARAM"},
    StatusName{0xC4, "ESME_RINVOPTPARAMVAL"},
    StatusName{0xFE, "ESME_RDELIVERYFAILURE"},
    StatusName{0xFF, "ESME_RUNKNOWNERR"},
    StatusName{0x100, "ESME_RSERTYPUNAUTH"},
    StatusName{0x101, "ESME_RPROHIBITED"},
    StatusName{0x102, "ESME_RSERTYPUNAVAIL"},
    StatusName{0x103, "ESME_RSERTYPDENIED"},
    StatusName{0x104, "ESME_RINVDCS"},
    StatusName{0x105, "ESME_RINVSRCADDRSUBUNIT"},
    StatusName{0x106, "ESME_RINVDSTADDRSUBUNIT"},
    StatusName{0x107, "ESME_RINVBCASTFREQINT"},
    StatusName{0x108, "ESME_RINVBCASTALIAS_NAME"},
    StatusName{0x109, "ESME_RINVBCASTAREAFMT"},
    StatusName{0x10A, "ESME_RINVNUMBCAST_AREAS"},
    StatusName{0x10B, "ESME_RINVBCASTCNTTYPE"},
    StatusName{0x10C, "ESME_RINVBCASTMSGCLASS"},
};

struct TlvName {
  std::uint16_t tag;
  std::string_view name;
};

constexpr std::array kTlvs{
    TlvName{0x0005, "dest_addr_subunit"},
    TlvName{0x0006, "dest_network_type"},
    TlvName{0x0007, "dest_bearer_type"},
    TlvName{0x0008, "dest_telematics_id"},
    TlvName{0x000D, "source_addr_subunit"},
    TlvName{0x000E, "source_network_type"},
    TlvName{0x000F, "source_bearer_type"},
    TlvName{0x0010, "source_telematics_id"},
    TlvName{0x0017, "qos_time_to_live"},
    TlvName{0x0019, "payload_type"},
    TlvName{0x001D, "additional_status_info_text"},
    TlvName{0x001E, "receipted_message_id"},
    TlvName{0x0030, "ms_msg_wait_facilities"},
    TlvName{0x0201, "privacy_indicator"},
    TlvName{0x0202, "source_subaddress"},
    TlvName{0x0203, "dest_subaddress"},
    TlvName{0x0204, "user_message_reference"},
    TlvName{0x0205, "user_response_code"},
    TlvName{0x020A, "source_port"},
    TlvName{0x020B, "destination_port"},
    TlvName{0x020C, "sar_msg_ref_num"},
    TlvName{0x020D, "language_indicator"},
    TlvName{0x020E, "sar_total_segments"},
    TlvName{0x020F, "sar_segment_seqnum"},
    TlvName{0x0210, "sc_interface_version"},
    TlvName{0x0302, "callback_num_pres_ind"},
    TlvName{0x0303, "callback_num_atag"},
    TlvName{0x0304, "number_of_messages"},
    TlvName{0x0381, "callback_num"},
    TlvName{0x0420, "dpf_result"},
    TlvName{0x0421, "set_dpf"},
    TlvName{0x0422, "ms_availability_status"},
    TlvName{0x0423, "network_error_code"},
    TlvName{0x0424, "message_payload"},
    TlvName{0x0425, "delivery_failure_reason"},
    TlvName{0x0426, "more_messages_to_send"},
    TlvName{0x0427, "message_state"},
    TlvName{0x0428, "congestion_state"},
    TlvName{0x0501, "ussd_service_op"},
    TlvName{0x0600, "broadcast_channel_indicator"},
    TlvName{0x0601, "broadcast_content_type"},
    TlvName{0x0602, "broadcast_content_type_info"},
    TlvName{0x0603, "broadcast_message_class"},
    TlvName{0x0604, "broadcast_rep_num"},
    TlvName{0x0605, "broadcast_frequency_interval"},
    TlvName{0x0606, "broadcast_area_identifier"},
    TlvName{0x0607, "broadcast_error_status"},
    TlvName{0x0608, "broadcast_area_success"},
    TlvName{0x0609, "broadcast_end_time"},
    TlvName{0x060A, "broadcast_service_group"},
    TlvName{0x060B, "billing_identification"},
    TlvName{0x060D, "source_network_id"},
    TlvName{0x060E, "dest_network_id"},
    TlvName{0x060F, "source_node_id"},
    TlvName{0x0610, "dest_node_id"},
    TlvName{0x0611, "dest_addr_np_resolution"},
    TlvName{0x0612, "dest_addr_np_information"},
    TlvName{0x0613, "dest_addr_np_country"},
    TlvName{0x1201, "display_time"},
    TlvName{0x1203, "sms_signal"},
    TlvName{0x1204, "ms_validity"},
    TlvName{0x130C, "alert_on_message_delivery"},
    TlvName{0x1380, "its_reply_type"},
    TlvName{0x1383, "its_session_info"},
};

}  // namespace

std::string_view command_name(std::uint32_t command_id) noexcept {
  for (const auto& c : kCommands)
    if (c.id == command_id) return c.name;
  return {};
}

std::span<const std::uint32_t> known_commands() noexcept {
  return kCommandIds;
}

std::optional<std::uint32_t> command_by_name(std::string_view name) noexcept {
  for (const auto& c : kCommands)
    if (c.name == name) return c.id;
  return std::nullopt;
}

std::string_view status_name(std::uint32_t command_status) noexcept {
  for (const auto& s : kStatuses)
    if (s.status == command_status) return s.name;
  return {};
}

std::string_view tlv_name(std::uint16_t tag) noexcept {
  for (const auto& t : kTlvs)
    if (t.tag == tag) return t.name;
  return {};
}

std::optional<std::uint16_t> tlv_by_name(std::string_view name) noexcept {
  for (const auto& t : kTlvs)
    if (t.name == name) return t.tag;
  return std::nullopt;
}

}  // namespace twoway::smpp
