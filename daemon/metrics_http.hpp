// The HTTP listener a Prometheus server scrapes: GET (and HEAD) /metrics over HTTP/1.1 with
// keep-alive, on Boost.Beast. Bounded: at most kMaxConnections at a time (a new one closes the
// connection that has waited longest for a request, so idle clients never lock a scrape out),
// a request must arrive within a time limit, and its head is at most 8 KiB.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "daemon/listen_address.hpp"

namespace twoway::daemon {

struct MetricsHttpLimits {
  std::size_t max_connections = 64;
  std::size_t max_request_head = 8192;               ///< request line and headers, bytes
  std::chrono::milliseconds request_timeout{10000};  ///< a new connection's first request
  std::chrono::milliseconds idle_timeout{60000};     ///< keep-alive wait between requests
  std::chrono::milliseconds write_timeout{30000};    ///< sending one response
};

class MetricsHttpServer {
 public:
  /// `render` produces the body of GET /metrics (called on an io thread for each scrape).
  MetricsHttpServer(boost::asio::io_context& io, std::function<std::string()> render,
                    MetricsHttpLimits limits = {});
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  /// Listens on `listen` (see parse_listen_address). invalid_argument for an address that does
  /// not parse, else the bind/listen error. Logs a warning when the address is not loopback:
  /// whoever reaches it reads the metrics.
  [[nodiscard]] std::error_code start(std::string_view listen);
  /// Stops accepting and closes every connection.
  void stop();
  /// The bound port (after start).
  [[nodiscard]] std::uint16_t port() const;
  /// Open connections (for tests and the admin view).
  [[nodiscard]] std::size_t connections() const;

  struct State;

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace twoway::daemon
