// twoway's SMPP error codes as a std::error_code category, and their one mapping to
// command_status.
#pragma once

#include <cstdint>
#include <system_error>

namespace twoway::smpp {

enum class errc {
  // framing (unrecoverable: generic_nack ESME_RINVCMDLEN, then close)
  command_length_too_short = 1,
  command_length_too_large,
  // body decode (recoverable: the matching _resp with the mapped status)
  field_truncated,                    ///< a mandatory integer field runs past the frame
  cstring_unterminated,               ///< no NUL before the end of the frame
  short_message_overrun,              ///< sm_length larger than what is left
  tlv_truncated,                      ///< fewer than 4 octets left for a TLV header
  tlv_overrun,                        ///< a TLV length runs past command_length
  invalid_dest_flag,                  ///< submit_multi dest_flag not 1 or 2
  invalid_number_of_dests,            ///< submit_multi number_of_dests 0 or > 254
  message_payload_and_short_message,  ///< both sm_length > 0 and message_payload
  // encode (strict)
  cstring_too_long,
  cstring_has_nul,
  invalid_time_format,  ///< time fields are 16 characters or empty
  short_message_too_long,
  tlv_too_long,
  too_many_dests,
  unknown_command,
  // session
  bind_failed,
  bind_refused,
  timeout,
  connection_lost,
  generic_nack,
  throttled,
  shutting_down,
  not_bound,
  window_full,
};

const std::error_category& smpp_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), smpp_category()};
}

/// The command_status that a _resp (or generic_nack) carries for this error.
std::uint32_t command_status_for(std::error_code ec) noexcept;

}  // namespace twoway::smpp

template <>
struct std::is_error_code_enum<twoway::smpp::errc> : std::true_type {};
