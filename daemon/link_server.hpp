// The short-link redirect service (Boost.Beast): GET or HEAD /CODE answers 302 to the stored
// address, 410 once the link expired, 404 for anything else; clicks are counted in batches.
// Only stored codes redirect (no open redirect), nothing is listed, and every client is bounded:
// header size, no body, a token bucket per client address, a connection limit and timeouts.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "engine/engine.hpp"

namespace twoway::daemon {

struct LinkServerOptions {
  std::size_t max_connections = 256;                 // beyond: 503 and close
  std::chrono::milliseconds request_timeout{10000};  // to send one request's header
  std::size_t header_limit = 8192;                   // bytes; larger: 431 and close
  unsigned max_requests_per_connection = 100;
  double rate_per_second = 10;  // per client address, refilled continuously
  double burst = 20;            // bucket size
  std::size_t max_clients_tracked = 65536;
  std::chrono::milliseconds click_flush_interval{1000};  // one engine write per interval
  // Unix time now (tests inject a clock to see links expire).
  std::function<std::int64_t()> now;
};

/// Counters since start (for metrics and tests).
struct LinkServerCounters {
  std::atomic<std::uint64_t> redirects{0};
  std::atomic<std::uint64_t> not_found{0};
  std::atomic<std::uint64_t> expired{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> bad_requests{0};  // malformed, too large, wrong method, overloaded
};

/// The counters in Prometheus text: twoway_link_redirects_total and
/// twoway_link_requests_refused_total{reason="not_found|expired|rate_limited|bad_request"}.
[[nodiscard]] std::string link_metrics_text(const LinkServerCounters& counters);

class LinkServer {
 public:
  LinkServer(boost::asio::io_context& io, engine::Engine& engine, LinkServerOptions options = {});
  ~LinkServer();
  LinkServer(const LinkServer&) = delete;
  LinkServer& operator=(const LinkServer&) = delete;

  /// Listens on "HOST:PORT" or "[IPv6]:PORT" (port 0: any free port), replacing the listener
  /// there was; "" closes it. The same address again changes nothing. Call before the io
  /// context runs, or through apply().
  [[nodiscard]] std::error_code listen(const std::string& address);
  /// listen() on the server's strand, for settings changed at run time; failures are logged.
  void apply(std::string address);
  /// "127.0.0.1:8080" while listening, else "".
  [[nodiscard]] std::string local_address() const;
  /// Closes the listener; connections end after their current request. Pending clicks are
  /// written.
  void stop();
  /// Hands the clicks counted so far to the engine (one queued write).
  void flush_clicks();
  [[nodiscard]] const LinkServerCounters& counters() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace twoway::daemon
