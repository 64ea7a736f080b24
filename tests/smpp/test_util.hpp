// Small helpers shared by the SMPP unit tests: hex conversion.
#pragma once

#include <string>
#include <string_view>

namespace twoway::smpp::test {

inline std::string from_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  int high = -1;
  for (char c : hex) {
    const int n = nibble(c);
    if (n < 0) continue;  // spaces and separators are ignored
    if (high < 0) {
      high = n;
    } else {
      out.push_back(static_cast<char>(high * 16 + n));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

/// Upper-case octets separated by spaces ("C8 32 9B"), as the GSM 03.38 examples are written.
inline std::string spaced_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace twoway::smpp::test
