// The SMPP side of twowayd: one or more ESME sessions per configured SMSC, inbound PDUs through
// reassembly into the engine (acknowledged only after the durable commit), delivery receipts,
// and the outbox pump that submits due messages on the binds serving each sending number.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/config.hpp"
#include "engine/engine.hpp"
#include "smpp/charset.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/segment.hpp"
#include "smpp/session.hpp"

namespace twoway::daemon {

/// The session settings one configured SMSC bind gets; `password` is the config's, or what
/// the password file held when this (re)bind read it.
[[nodiscard]] smpp::SessionConfig session_config(const SmscConfig& smsc, int bind_index,
                                                 const std::string& password);

/// Counters of the gateway itself (the sessions keep their own).
struct GatewayCounters {
  std::atomic<std::uint64_t> inbound_messages{0};  ///< whole messages handed to the engine
  std::atomic<std::uint64_t> inbound_parts{0};     ///< deliver_sm / data_sm received
  std::atomic<std::uint64_t> receipts{0};
  std::atomic<std::uint64_t> inbound_refused{0};  ///< answered ESME_RX_T_APPN
  std::atomic<std::uint64_t> outbound_submitted{0};
  std::atomic<std::uint64_t> outbound_failed{0};
  std::atomic<std::uint64_t> segments_submitted{0};
  std::atomic<std::uint64_t> incomplete_messages{0};
  std::atomic<std::uint64_t> keyword_messages{0};    ///< inbound that matched a keyword
  std::atomic<std::uint64_t> free_text_messages{0};  ///< inbound filed as conversation text
  std::atomic<std::uint64_t> unrouted_messages{0};   ///< texted to a number not configured
  std::atomic<std::uint64_t> revocation_flags{0};    ///< free text that may revoke consent
  /// Opt-out confirmations dropped because they could not leave within five minutes.
  std::atomic<std::uint64_t> confirmations_expired{0};
};

class Gateway {
 public:
  Gateway(boost::asio::io_context& io, engine::Engine& engine, const Config& config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

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
  struct Bind {
    std::string id;  // "name#1"
    std::shared_ptr<smpp::Session> session;
  };
  struct Smsc {
    SmscConfig config;
    std::map<std::string, std::string> keys;  // effective values, compared at reload
    std::vector<Bind> binds;
    bool suspended = false;
    std::size_t next = 0;    // round robin over binds
    std::string bind_error;  // why the last (re)bind was refused; "" when it was not
  };
  /// The sessions of every bind of an SMSC, built and not started (the password file read once
  /// for all of them), or why they cannot be.
  struct Prepared {
    std::vector<Bind> binds;
    std::string problem;
  };
  struct HeldPart {
    std::shared_ptr<smpp::InboundCompletion> completion;
    std::string reference;
    std::uint8_t source_ton = 0;
    std::uint8_t source_npi = 0;
  };

  Prepared prepare_binds(const SmscConfig& config);
  /// Builds and starts the binds; a refusal is logged and kept in bind_error.
  void start_smsc(Smsc& smsc);
  void start_binds(Smsc& smsc, std::vector<Bind> binds);
  void stop_smsc(Smsc& smsc, bool graceful);
  void on_inbound(const std::string& smsc, const smpp::Pdu& pdu,
                  smpp::InboundCompletion completion);
  void on_receipt(const std::string& smsc, const smpp::Pdu& pdu,
                  std::shared_ptr<smpp::InboundCompletion> completion);
  void deliver(smpp::ReassembledMessage message);
  /// Hands a receipt to the engine; it queues behind the recording of every submit_sm_resp
  /// read before it (see submit_item), so it finds its message id.
  void submit_receipt(engine::Receipt receipt, std::shared_ptr<smpp::InboundCompletion> completion);
  /// Stores a part that waits for its siblings; acknowledges it after the commit.
  void store_partial(const smpp::InboundPart& part);
  void answer(const std::vector<std::uint64_t>& tokens, std::uint32_t status);
  void expire_partials();
  void pump();
  void schedule_pump(std::chrono::milliseconds after);
  void submit_item(const engine::OutboundItem& item, std::int64_t now);
  Bind* pick_bind(const std::string& sending_number);

  boost::asio::io_context& io_;
  engine::Engine& engine_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer pump_timer_;
  boost::asio::steady_timer expire_timer_;
  // Engine writes from the sending side block until committed: run them off the io threads,
  // several at once so the engine's writer commits them together.
  boost::asio::thread_pool engine_calls_{4};

  // Held from a part's arrival in the reassembler to its hand-over to the engine (never while
  // waiting for the engine), so hand-overs keep the reassembler's order.
  std::mutex inbound_order_mu_;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Smsc> smscs_;
  std::map<std::string, std::string> number_smsc_;  // sending number (digits) -> smsc name
  std::map<std::string, smpp::DecodeOptions> decode_options_;    // by smsc
  std::map<std::string, smpp::SegmentOptions> segment_options_;  // by smsc
  smpp::Reassembler reassembler_;
  std::unordered_map<std::uint64_t, HeldPart> held_;  // token -> unanswered part
  // Parts stored durably (or being stored) while they wait for their siblings: token ->
  // receive ms, until the message they belong to is handed to the engine.
  std::unordered_map<std::uint64_t, std::int64_t> stored_;
  // Parts whose durable copy is being written: token -> the tokens of resent copies that
  // arrived meanwhile, answered with the write's outcome (acknowledged only once stored).
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> partial_writes_;
  std::uint64_t next_token_ = 1;
  bool stopping_ = false;
  bool binds_started_ = false;
  bool pump_scheduled_ = false;
  std::size_t in_flight_ = 0;  // outbox items claimed and not yet settled

  GatewayCounters counters_;
};

}  // namespace twoway::daemon
