// User Data Header (3GPP TS 23.040 §9.2.3.24) parsing for inbound short messages: splits
// UDHL + information elements from the payload and reads the IEs the gateway acts on.
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace twoway::smpp {

/// Information element identifiers the gateway reads (TS 23.040 §9.2.3.24).
namespace iei {
inline constexpr std::uint8_t concat_8bit = 0x00;
inline constexpr std::uint8_t special_sms_indication = 0x01;
inline constexpr std::uint8_t port_8bit = 0x04;
inline constexpr std::uint8_t port_16bit = 0x05;
inline constexpr std::uint8_t concat_16bit = 0x08;
inline constexpr std::uint8_t single_shift = 0x24;
inline constexpr std::uint8_t locking_shift = 0x25;
}  // namespace iei

/// One information element: identifier and a view of its data (into the parsed buffer).
struct UdhIe {
  std::uint8_t iei = 0;
  std::string_view data;
};

/// Concatenation info from IE 0x00 (8-bit ref) or 0x08 (16-bit ref). `seq` is 1-based.
/// Values are as received: check valid() before using them to join parts.
struct ConcatInfo {
  std::uint16_t ref = 0;
  std::uint8_t total = 0;
  std::uint8_t seq = 0;
  bool ref_16bit = false;
  /// total >= 1 and 1 <= seq <= total.
  [[nodiscard]] constexpr bool valid() const noexcept {
    return total != 0 && seq != 0 && seq <= total;
  }
};

/// Application port addressing from IE 0x04 (8-bit ports) or 0x05 (16-bit ports).
struct PortInfo {
  std::uint16_t dest = 0;
  std::uint16_t src = 0;
  bool ports_16bit = false;
};

enum class UdhStatus : std::uint8_t {
  ok,
  empty,         ///< no octet at all where the UDHL should be
  udhl_overrun,  ///< UDHL claims more octets than the user data holds
  ie_overrun,    ///< an IE header or IE length runs past the UDHL
};

std::string_view to_string(UdhStatus status) noexcept;

/// A parsed UDH. Views point into the buffer given to parse_udh; keep it alive.
struct Udh {
  boost::container::small_vector<UdhIe, 4> ies;
  std::size_t header_length = 0;  ///< octets taken by UDHL + IEs (1 + UDHL)
  std::string_view payload;       ///< the user data after the header

  /// The last IE with this identifier (TS 23.040: a repeated IE's last occurrence wins).
  [[nodiscard]] const UdhIe* find(std::uint8_t id) const noexcept;
  /// Concatenation from the last well-formed 0x00 or 0x08 IE; nullopt if none. An IE of the
  /// wrong length is ignored, not an error.
  [[nodiscard]] std::optional<ConcatInfo> concat() const noexcept;
  /// Port addressing from the last well-formed 0x04 or 0x05 IE; nullopt if none.
  [[nodiscard]] std::optional<PortInfo> ports() const noexcept;
  /// National language single shift (0x24) / locking shift (0x25) table id, if present.
  [[nodiscard]] std::optional<std::uint8_t> single_shift() const noexcept;
  [[nodiscard]] std::optional<std::uint8_t> locking_shift() const noexcept;
};

/// Parses `user_data` (short_message or message_payload when esm_class has UDHI, 0x40) as
/// UDHL + IEs + payload. Never reads past `user_data`. On any status but ok, `out` is left
/// cleared (no IEs, header_length 0, payload = user_data).
[[nodiscard]] UdhStatus parse_udh(std::string_view user_data, Udh& out) noexcept;

}  // namespace twoway::smpp
