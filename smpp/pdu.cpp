// Mapping from command_id to body layout, PDU and response builders, TLV lookups.
#include "smpp/pdu.hpp"

namespace twoway::smpp {

std::optional<std::string_view> find_tlv(const TlvList& tlvs, std::uint16_t tag) noexcept {
  for (const auto& t : tlvs)
    if (t.tag == tag) return t.value;
  return std::nullopt;
}

std::optional<std::uint32_t> tlv_uint(const TlvList& tlvs, std::uint16_t tag) noexcept {
  auto value = find_tlv(tlvs, tag);
  if (!value) return std::nullopt;
  const auto* b = reinterpret_cast<const unsigned char*>(value->data());
  switch (value->size()) {
    case 1:
      return b[0];
    case 2:
      return (std::uint32_t{b[0]} << 8) | b[1];
    case 4:
      return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
             (std::uint32_t{b[2]} << 8) | b[3];
    default:
      return std::nullopt;
  }
}

Body body_for_command(std::uint32_t command_id) {
  switch (command_id) {
    case cmd::generic_nack:
    case cmd::unbind:
    case cmd::unbind_resp:
    case cmd::enquire_link:
    case cmd::enquire_link_resp:
    case cmd::cancel_sm_resp:
    case cmd::replace_sm_resp:
    case cmd::cancel_broadcast_sm_resp:
      return Empty{};
    case cmd::bind_receiver:
    case cmd::bind_transmitter:
    case cmd::bind_transceiver:
      return BindRequest{};
    case cmd::bind_receiver_resp:
    case cmd::bind_transmitter_resp:
    case cmd::bind_transceiver_resp:
      return BindResp{};
    case cmd::outbind:
      return Outbind{};
    case cmd::submit_sm:
    case cmd::deliver_sm:
      return ShortMessage{};
    case cmd::submit_sm_resp:
    case cmd::deliver_sm_resp:
    case cmd::data_sm_resp:
    case cmd::broadcast_sm_resp:
    case cmd::query_broadcast_sm_resp:
      return MessageIdResp{};
    case cmd::data_sm:
      return DataSm{};
    case cmd::query_sm:
      return QuerySm{};
    case cmd::query_sm_resp:
      return QuerySmResp{};
    case cmd::cancel_sm:
      return CancelSm{};
    case cmd::replace_sm:
      return ReplaceSm{};
    case cmd::submit_multi:
      return SubmitMulti{};
    case cmd::submit_multi_resp:
      return SubmitMultiResp{};
    case cmd::alert_notification:
      return AlertNotification{};
    case cmd::broadcast_sm:
      return BroadcastSm{};
    case cmd::query_broadcast_sm:
      return QueryBroadcastSm{};
    case cmd::cancel_broadcast_sm:
      return CancelBroadcastSm{};
    default:
      return Unknown{};
  }
}

bool is_known_command(std::uint32_t command_id) noexcept {
  return !command_name(command_id).empty();
}

Pdu make_pdu(std::uint32_t command_id, std::uint32_t sequence_number,
             std::uint32_t command_status) {
  Pdu pdu;
  pdu.header.command_id = command_id;
  pdu.header.sequence_number = sequence_number;
  pdu.header.command_status = command_status;
  pdu.body = body_for_command(command_id);
  return pdu;
}

Pdu make_response(const Header& request, std::uint32_t status) {
  if (!is_known_command(request.command_id) || is_response(request.command_id) ||
      request.command_id == cmd::outbind || request.command_id == cmd::alert_notification) {
    return make_pdu(cmd::generic_nack, request.sequence_number, status);
  }
  const std::uint32_t id = response_id(request.command_id);
  Pdu pdu = make_pdu(id, request.sequence_number, status);
  // 3.4: no body on error responses (bind_*_resp, submit_sm_resp, submit_multi_resp and
  // query_sm_resp); deliver_sm_resp and data_sm_resp always carry an empty message_id.
  const bool body = status == status::ok || id == cmd::deliver_sm_resp || id == cmd::data_sm_resp;
  std::visit(
      [&](auto& b) {
        if constexpr (requires { b.body_present; }) b.body_present = body;
      },
      pdu.body);
  return pdu;
}

}  // namespace twoway::smpp
