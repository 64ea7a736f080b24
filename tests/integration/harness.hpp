// Test harness: an in-process SMSC simulator and an ESME session, each on its own io_context
// thread, on loopback with an ephemeral port; bounded polling helpers.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"
#include "tools/smsc_sim/sim.hpp"

namespace twoway::testing {

/// Polls `pred` every 2 ms until it holds or `limit` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

/// An io_context running on its own thread until destroyed.
class IoThread {
 public:
  IoThread() : guard_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  /// Runs what was posted before it (a simulator's or a session's stop, say) before the loop
  /// ends: a stopped io_context drops its queued handlers unrun, and a dropped stop leaves the
  /// simulator's connections and state holding each other.
  ~IoThread() {
    std::promise<void> drained;
    boost::asio::post(io_, [&drained] { drained.set_value(); });
    drained.get_future().wait();
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

/// Fast timers so that every test finishes in well under a second or two.
inline smpp::SessionConfig fast_config(std::uint16_t port) {
  smpp::SessionConfig c;
  c.name = "test";
  c.host = "127.0.0.1";
  c.port = port;
  c.system_id = "esme";
  c.password = "secret";
  c.connect_timeout = std::chrono::milliseconds(1000);
  c.bind_timeout = std::chrono::milliseconds(1000);
  c.request_timeout = std::chrono::milliseconds(2000);
  c.enquire_link_interval = std::chrono::milliseconds(5000);
  c.enquire_link_timeout = std::chrono::milliseconds(1000);
  c.reconnect_min = std::chrono::milliseconds(10);
  c.reconnect_max = std::chrono::milliseconds(80);
  c.bind_failure_backoff = std::chrono::milliseconds(50);
  c.throttle_backoff_min = std::chrono::milliseconds(10);
  c.throttle_backoff_max = std::chrono::milliseconds(50);
  c.shutdown_timeout = std::chrono::milliseconds(2000);
  c.unbind_timeout = std::chrono::milliseconds(500);
  return c;
}

inline sim::SimConfig sim_config() {
  sim::SimConfig c;
  c.system_id = "esme";
  c.password = "secret";
  c.redeliver_delay = std::chrono::milliseconds(5);
  c.keep_mt_records = true;
  return c;
}

/// An encoded submit_sm (GSM-7 text unless data_coding says otherwise).
inline std::string submit_frame(std::string_view to, std::string_view text,
                                std::uint8_t registered_delivery = 0, std::uint8_t data_coding = 0,
                                std::uint8_t esm_class = 0) {
  smpp::Pdu pdu = smpp::make_pdu(smpp::cmd::submit_sm, 1);
  auto& sm = std::get<smpp::ShortMessage>(pdu.body);
  sm.source_addr_ton = 3;
  sm.source_addr_npi = 1;
  sm.source_addr = "12345";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = to;
  sm.esm_class = esm_class;
  sm.registered_delivery = registered_delivery;
  sm.data_coding = data_coding;
  sm.short_message = text;
  std::string out;
  if (smpp::encode(pdu, out)) ADD_FAILURE() << "encode failed";
  return out;
}

/// Collects submit results; thread-safe. Hold it in a shared_ptr: callbacks keep it alive.
struct Results : std::enable_shared_from_this<Results> {
  std::mutex mu;
  std::vector<smpp::SubmitResult> all;
  std::vector<int> calls;  ///< callbacks per request index (must end at exactly 1)
  explicit Results(std::size_t n = 0) : calls(n, 0) {}
  smpp::SubmitCallback cb(std::size_t index) {
    return [self = shared_from_this(), index](const smpp::SubmitResult& r) {
      std::lock_guard lock(self->mu);
      if (index < self->calls.size()) ++self->calls[index];
      self->all.push_back(r);
    };
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return all.size();
  }
  std::size_t ok() {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (const auto& r : all) n += r ? 1 : 0;
    return n;
  }
};

/// What a failed expectation about a session prints: its state, connects, binds and last error.
inline std::string describe(const smpp::SessionStats& st) {
  return "state=" + std::string(smpp::link_state_name(st.state)) +
         " connects=" + std::to_string(st.connects) + " binds_ok=" + std::to_string(st.binds_ok) +
         " bind_failures=" + std::to_string(st.bind_failures) + " last_error=" + st.last_error;
}

/// Stops the session gracefully and waits (bounded) for on_stopped.
inline bool stop_session(const std::shared_ptr<smpp::Session>& s, bool graceful = true) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  s->stop(graceful, [done] { done->store(true); });
  return wait_until([&] { return done->load(); }, std::chrono::seconds(5));
}

}  // namespace twoway::testing
