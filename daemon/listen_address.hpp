// A listen address from the config ("127.0.0.1:9464", "[::]:9464"...) as an endpoint. Its own
// file so the config loader (and its fuzzer) need no HTTP server to check one.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <optional>
#include <string_view>

namespace twoway::daemon {

/// "127.0.0.1:9464", "[::1]:9464", "[::]:9464", "0.0.0.0:9464" or "localhost:9464" (the
/// loopback address) as an endpoint; port 0 lets the system choose. nullopt for anything else
/// (host names other than localhost are not resolved: the address must not change under us).
[[nodiscard]] std::optional<boost::asio::ip::tcp::endpoint> parse_listen_address(
    std::string_view listen);

}  // namespace twoway::daemon
