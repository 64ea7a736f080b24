// The SMPP side of twowayd, as the daemon and the admin commands see it: one or more ESME
// sessions per configured SMSC, inbound PDUs through reassembly into the engine (acknowledged
// only after the durable commit), delivery receipts, and the outbox pump that submits due
// messages on the binds serving each sending number.
//
// Gateway is a facade over its parts, each with its owner written at the top of its header:
//   gateway_binds.hpp    the binds and their sessions per SMSC (its own mutex, any thread)
//   gateway_routes.hpp   the number -> SMSC routing and text options (immutable snapshots)
//   gateway_inbound.hpp  reassembly, held and stored parts, hand-over to the engine, answers
//   gateway_pump.hpp     the outbound pump (its strand; engine calls on the engine-call pool)
// Its own methods may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/gateway_binds.hpp"
#include "daemon/gateway_counters.hpp"
#include "daemon/gateway_inbound.hpp"
#include "daemon/gateway_pump.hpp"
#include "daemon/gateway_routes.hpp"
#include "engine/engine.hpp"
#include "smpp/session.hpp"

namespace twoway::daemon {

class Gateway {
 public:
  Gateway(boost::asio::io_context& io, engine::Engine& engine, const Config& config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  /// Cluster mode: whole messages and receipts go to the cluster's inbound log (before start()).
  void set_log(InboundLogSink* sink) { inbound_.set_log(sink); }
  /// Creates and starts the sessions, the reassembly timer and the outbox pump.
  void start();
  /// Stops submitting, unbinds every session (graceful: drains within each session's bound)
  /// and runs `done` once all are closed. Parts still waiting for siblings are not
  /// acknowledged, so the SMSC redelivers them.
  void stop(bool graceful, std::function<void()> done);

  /// Applies a reloaded config: removed SMSCs unbind, added ones bind, changed ones (any key
  /// under smscs[], the password file's content included) rebind with the new settings at
  /// once (a bind waiting in backoff too), untouched healthy ones stay up. Sending numbers are
  /// replaced. The binds of added and changed SMSCs are built first (password file read, TLS
  /// files loaded): if one cannot be, nothing changes and the problems are returned, each
  /// naming the SMSC, the key and the file.
  [[nodiscard]] std::vector<std::string> reload(const Config& config);

  /// Wakes the outbox pump now (e.g. after an admin reply was queued).
  void kick();
  /// Counts what the engine made of committed inbound messages (from its change feed).
  void note_event(const engine::Event& event);

  // Admin: SMSC control. False when no SMSC has that name. A (re)bind that cannot be built
  // (password file, TLS files) is refused, logged and shown as `bind_error` by smsc_json().
  bool suspend(const std::string& name);
  bool resume(const std::string& name);
  bool reconnect(const std::string& name);

  /// Per SMSC and bind: state, window, queue, counters (for `status`, `smsc list`).
  [[nodiscard]] nlohmann::json smsc_json() const;
  /// Binds bound / configured.
  [[nodiscard]] std::pair<int, int> binds_up() const;
  [[nodiscard]] const GatewayCounters& counters() const noexcept { return counters_; }
  /// Every bind's stats, for metrics.
  [[nodiscard]] std::vector<std::pair<std::string, smpp::SessionStats>> session_stats() const;
  [[nodiscard]] std::size_t reassembly_pending() const;

 private:
  boost::asio::io_context& io_;
  engine::Engine& engine_;
  GatewayCounters counters_;
  NumberRoutes routes_;
  // Engine calls that block until committed (claim_due, mark_failed, drop_partials, ...) run
  // here, off the io threads, several at once so the engine's writer commits them together.
  // Joined first in ~Gateway: its tasks use the parts below.
  boost::asio::thread_pool engine_calls_{4};
  InboundPath inbound_;
  SmscBinds binds_;
  OutboundPump pump_;
};

}  // namespace twoway::daemon
