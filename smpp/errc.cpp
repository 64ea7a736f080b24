// The smpp error category and its single mapping to SMPP command_status values.
#include "smpp/errc.hpp"

#include <string>

#include "smpp/pdu.hpp"

namespace twoway::smpp {
namespace {

class SmppCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smpp"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::command_length_too_short:
        return "command_length below 16";
      case errc::command_length_too_large:
        return "command_length above the configured cap";
      case errc::field_truncated:
        return "mandatory field runs past the end of the PDU";
      case errc::cstring_unterminated:
        return "C-octet string has no terminating NUL";
      case errc::short_message_overrun:
        return "sm_length runs past the end of the PDU";
      case errc::tlv_truncated:
        return "fewer than 4 octets left for a TLV header";
      case errc::tlv_overrun:
        return "TLV length runs past the end of the PDU";
      case errc::invalid_dest_flag:
        return "dest_flag is neither 1 nor 2";
      case errc::invalid_number_of_dests:
        return "number_of_dests is 0 or above 254";
      case errc::message_payload_and_short_message:
        return "both short_message and message_payload are present";
      case errc::cstring_too_long:
        return "C-octet string longer than its maximum";
      case errc::cstring_has_nul:
        return "C-octet string contains a NUL";
      case errc::invalid_time_format:
        return "time field must be 16 characters or empty";
      case errc::short_message_too_long:
        return "short_message longer than allowed";
      case errc::tlv_too_long:
        return "TLV value longer than 65535 octets";
      case errc::too_many_dests:
        return "more than 254 destinations";
      case errc::unknown_command:
        return "unknown command_id";
      case errc::bind_failed:
        return "bind failed";
      case errc::bind_refused:
        return "bind refused by the SMSC";
      case errc::timeout:
        return "no response in time";
      case errc::connection_lost:
        return "connection lost";
      case errc::generic_nack:
        return "peer answered generic_nack";
      case errc::throttled:
        return "throttled by the SMSC";
      case errc::shutting_down:
        return "session is shutting down";
      case errc::not_bound:
        return "session is not bound";
      case errc::window_full:
        return "request window and queue are full";
    }
    return "unknown smpp error";
  }
};

}  // namespace

const std::error_category& smpp_category() noexcept {
  static const SmppCategory category;
  return category;
}

std::uint32_t command_status_for(std::error_code ec) noexcept {
  if (!ec) return status::ok;
  if (ec.category() != smpp_category()) return status::syserr;
  switch (static_cast<errc>(ec.value())) {
    case errc::command_length_too_short:
    case errc::command_length_too_large:
    case errc::field_truncated:
      return status::invcmdlen;
    case errc::short_message_overrun:
    case errc::short_message_too_long:
    case errc::message_payload_and_short_message:
      return status::invmsglen;
    case errc::cstring_unterminated:
    case errc::cstring_too_long:
    case errc::cstring_has_nul:
    case errc::invalid_time_format:
      return status::invparlen;
    case errc::tlv_truncated:
    case errc::tlv_overrun:
    case errc::tlv_too_long:
      return status::invoptparstream;
    case errc::invalid_dest_flag:
      return status::invdestflag;
    case errc::invalid_number_of_dests:
    case errc::too_many_dests:
      return status::invnumdests;
    case errc::unknown_command:
      return status::invcmdid;
    case errc::throttled:
      return status::throttled;
    default:
      return status::syserr;
  }
}

}  // namespace twoway::smpp
