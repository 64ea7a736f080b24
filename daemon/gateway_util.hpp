// Small helpers the parts of the gateway share: clocks and numbers as they go on the wire.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace twoway::daemon::gateway_util {

inline std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Digits of a number as it goes on the wire ("+15551234567" -> "15551234567").
inline std::string wire_number(std::string_view number) {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  return std::string(number);
}

/// TON/NPI for a numeric address: international E.164 (TON 1, NPI 1) for long numbers,
/// network-specific (TON 3, NPI 0) for short codes.
inline std::pair<std::uint8_t, std::uint8_t> ton_npi(std::string_view number) {
  const bool international = !number.empty() && number.front() == '+';
  if (international || number.size() > 8) return {1, 1};
  return {3, 0};
}

}  // namespace twoway::daemon::gateway_util
