// The outbound pump of the gateway: claims due outbox messages from the engine as the binds
// have room, splits each into submit_sm segments on a bind serving its sending number, and
// records each segment's outcome (the SMSC's message id, or why it failed) in the engine.
//
// Threading: the pump's schedule (its timer, whether a run is due) belongs to its strand. A
// run (claim_due, a blocking engine call) goes to the gateway's engine-call pool, never the io
// threads. Submit results arrive on the sessions' strands; what they record in the engine is
// queued (submit_submitted) or run on the engine-call pool (mark_failed). Items in flight are
// counted atomically; `stopping_` is atomic.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>

#include "daemon/gateway_binds.hpp"
#include "daemon/gateway_counters.hpp"
#include "daemon/gateway_routes.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

class OutboundPump {
 public:
  OutboundPump(boost::asio::io_context& io, engine::Engine& engine, SmscBinds& binds,
               const NumberRoutes& routes, boost::asio::thread_pool& engine_calls,
               GatewayCounters& counters);

  /// Runs the pump now (e.g. after an admin reply was queued, or a bind came up).
  void kick();
  /// No run starts from now on; the timer is cancelled on its strand.
  void stop();

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  void schedule(std::chrono::milliseconds after);  // on any thread
  void run();                                      // on the engine-call pool
  void submit_item(const engine::OutboundItem& item, std::int64_t now);
  void settle_one();

  boost::asio::io_context& io_;
  engine::Engine& engine_;
  SmscBinds& binds_;
  const NumberRoutes& routes_;
  boost::asio::thread_pool& engine_calls_;
  GatewayCounters& counters_;

  Strand strand_;
  boost::asio::steady_timer timer_;  // strand_ only
  bool scheduled_ = false;           // strand_ only: a run is queued or the timer waits
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> in_flight_{0};  // outbox items claimed and not yet settled
};

}  // namespace twoway::daemon
