// The outbound pump of the gateway: claims due outbox messages from the engine as the binds
// have room, splits each into submit_sm segments on a bind serving its sending number, and
// records each segment's outcome (the SMSC's message id, or why it failed) in the engine.
// Replies and answers due at once skip the claim: the engine hands them over in the
// transaction that queued them (Engine::on_handoff), as far as the binds have room.
//
// Threading: a run (claim_due, a blocking engine call) goes to the gateway's engine-call pool,
// never the io threads. Kicks come from any thread (a settled submit, a queued message, the
// timer) and coalesce under `run_mu_`: at most one run waits to start (it sees whatever kicked
// before it starts) and at most kMaxRuns go at once (their claims overlap, each waiting for its
// own commit), so a burst of kicks costs a few runs, never one each.
// The poll timer belongs to the pump's strand. Submit results arrive on the sessions' strands;
// what they record in the engine is queued (submit_submitted) or run on the engine-call pool
// (mark_failed). Items in flight are counted atomically; `stopping_` is atomic. The engine's
// writer asks the room for hand-overs and hands them over (handoff_room, take); take only
// posts them to the engine-call pool.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <mutex>

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
  ~OutboundPump();

  /// Runs the pump now (e.g. after an admin reply was queued, or a bind came up).
  void kick();
  /// No run starts from now on and the engine hands nothing more over; the timer is
  /// cancelled on its strand.
  void stop();

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  void schedule(std::chrono::milliseconds after);  // a kick after a delay; on any thread
  void run();                                      // on the engine-call pool
  /// After a run: idle, or once more if a kick came while it ran.
  void finish_run();
  void submit_item(const engine::OutboundItem& item, std::int64_t now);
  void settle_one();
  /// What the binds and the in-flight limit leave room for.
  std::size_t room() const;
  /// Messages the engine handed over (on its writer thread): submitted from the engine-call
  /// pool.
  void take(std::vector<engine::OutboundItem> items);

  boost::asio::io_context& io_;
  engine::Engine& engine_;
  SmscBinds& binds_;
  const NumberRoutes& routes_;
  boost::asio::thread_pool& engine_calls_;
  GatewayCounters& counters_;

  Strand strand_;
  boost::asio::steady_timer timer_;  // strand_ only
  bool timer_armed_ = false;         // strand_ only
  // Runs posted and not started (at most one: it sees whatever kicked since), runs going (at
  // most kMaxRuns: claims overlap, each waiting for its commit), and whether a kick found
  // kMaxRuns going (one more when a run ends).
  static constexpr int kMaxRuns = 4;
  std::mutex run_mu_;
  int runs_queued_ = 0;  // run_mu_
  int runs_going_ = 0;   // run_mu_
  bool again_ = false;   // run_mu_
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> in_flight_{0};  // outbox items claimed and not yet settled
};

}  // namespace twoway::daemon
