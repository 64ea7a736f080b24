// Listen addresses: see listen_address.hpp.
#include "daemon/listen_address.hpp"

#include <charconv>
#include <string>

namespace twoway::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::optional<tcp::endpoint> parse_listen_address(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string host(listen.substr(0, colon));
  const std::string_view port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || perr != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return std::nullopt;
  }
  if (host == "localhost") host = "127.0.0.1";
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  if (address.is_v6() != bracketed) return std::nullopt;  // IPv6 only as [addr]:port
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace twoway::daemon
