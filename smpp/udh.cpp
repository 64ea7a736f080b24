// User Data Header parsing: bounds-checked walk over UDHL and the IEs (see udh.hpp).
#include "smpp/udh.hpp"

namespace twoway::smpp {
namespace {

std::uint8_t octet(std::string_view s, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(s[i]);
}

std::uint16_t be16(std::string_view s, std::size_t i) noexcept {
  return static_cast<std::uint16_t>((octet(s, i) << 8) | octet(s, i + 1));
}

/// The last IE among `a` / `b` whose data length is `len_a` / `len_b`.
const UdhIe* last_of(const Udh& udh, std::uint8_t a, std::size_t len_a, std::uint8_t b,
                     std::size_t len_b) noexcept {
  for (auto it = udh.ies.rbegin(); it != udh.ies.rend(); ++it) {
    if ((it->iei == a && it->data.size() == len_a) || (it->iei == b && it->data.size() == len_b)) {
      return &*it;
    }
  }
  return nullptr;
}

std::optional<std::uint8_t> one_octet_ie(const Udh& udh, std::uint8_t id) noexcept {
  for (auto it = udh.ies.rbegin(); it != udh.ies.rend(); ++it) {
    if (it->iei == id && it->data.size() == 1) return octet(it->data, 0);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(UdhStatus status) noexcept {
  switch (status) {
    case UdhStatus::ok:
      return "ok";
    case UdhStatus::empty:
      return "empty";
    case UdhStatus::udhl_overrun:
      return "udhl_overrun";
    case UdhStatus::ie_overrun:
      return "ie_overrun";
  }
  return "unknown";
}

const UdhIe* Udh::find(std::uint8_t id) const noexcept {
  for (auto it = ies.rbegin(); it != ies.rend(); ++it) {
    if (it->iei == id) return &*it;
  }
  return nullptr;
}

std::optional<ConcatInfo> Udh::concat() const noexcept {
  const UdhIe* ie = last_of(*this, iei::concat_8bit, 3, iei::concat_16bit, 4);
  if (ie == nullptr) return std::nullopt;
  ConcatInfo c;
  if (ie->iei == iei::concat_8bit) {
    c.ref = octet(ie->data, 0);
    c.total = octet(ie->data, 1);
    c.seq = octet(ie->data, 2);
  } else {
    c.ref = be16(ie->data, 0);
    c.total = octet(ie->data, 2);
    c.seq = octet(ie->data, 3);
    c.ref_16bit = true;
  }
  return c;
}

std::optional<PortInfo> Udh::ports() const noexcept {
  const UdhIe* ie = last_of(*this, iei::port_8bit, 2, iei::port_16bit, 4);
  if (ie == nullptr) return std::nullopt;
  PortInfo p;
  if (ie->iei == iei::port_8bit) {
    p.dest = octet(ie->data, 0);
    p.src = octet(ie->data, 1);
  } else {
    p.dest = be16(ie->data, 0);
    p.src = be16(ie->data, 2);
    p.ports_16bit = true;
  }
  return p;
}

std::optional<std::uint8_t> Udh::single_shift() const noexcept {
  return one_octet_ie(*this, iei::single_shift);
}

std::optional<std::uint8_t> Udh::locking_shift() const noexcept {
  return one_octet_ie(*this, iei::locking_shift);
}

UdhStatus parse_udh(std::string_view user_data, Udh& out) noexcept {
  out.ies.clear();
  out.header_length = 0;
  out.payload = user_data;
  if (user_data.empty()) return UdhStatus::empty;
  const std::size_t udhl = octet(user_data, 0);
  if (udhl + 1 > user_data.size()) return UdhStatus::udhl_overrun;
  const std::string_view header = user_data.substr(1, udhl);
  std::size_t pos = 0;
  while (pos < header.size()) {
    if (header.size() - pos < 2) {
      out.ies.clear();
      return UdhStatus::ie_overrun;
    }
    const std::uint8_t id = octet(header, pos);
    const std::size_t len = octet(header, pos + 1);
    pos += 2;
    if (len > header.size() - pos) {
      out.ies.clear();
      return UdhStatus::ie_overrun;
    }
    out.ies.push_back(UdhIe{id, header.substr(pos, len)});
    pos += len;
  }
  out.header_length = udhl + 1;
  out.payload = user_data.substr(udhl + 1);
  return UdhStatus::ok;
}

}  // namespace twoway::smpp
