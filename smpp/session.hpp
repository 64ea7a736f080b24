// The ESME side of an SMPP link: one logical bind to one SMSC (a transceiver, a receiver, a
// transmitter, or a receiver + transmitter pair), kept up with enquire_link and reconnects.
//
// Threading: a Session lives on one io_context and does all its work on its own strand.
// submit(), stop(), stats() and InboundCompletion::respond() may be called from any thread.
// Callbacks (submit results, inbound PDUs, state events, logs) run on the session's strand:
// keep them short and never block in them.
//
// Guarantees:
//  - every accepted submit gets exactly one result callback (success, permanent or retryable
//    failure), including on disconnect and on stop; nothing is dropped silently;
//  - ESME_RTHROTTLED / ESME_RMSGQFUL put the request back at the head of the queue (new
//    sequence number) and pause the transmitter with backoff; they are not reported;
//  - an inbound deliver_sm / data_sm is acknowledged only by the application, through its
//    InboundCompletion; an InboundCompletion destroyed unanswered sends ESME_RX_T_APPN;
//  - the queue, the window and the number of unanswered inbound PDUs are all bounded.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/errc.hpp"
#include "smpp/pdu.hpp"

namespace boost::asio {
class io_context;
}

namespace twoway::smpp {

using SessionClock = std::chrono::steady_clock;

enum class BindType : std::uint8_t {
  transceiver,           ///< one bind_transceiver connection
  receiver,              ///< one bind_receiver connection (submits are refused)
  transmitter,           ///< one bind_transmitter connection (no inbound traffic)
  receiver_transmitter,  ///< two connections, bind_receiver + bind_transmitter, one logical link
};

/// State of one connection (and, aggregated, of the logical link).
enum class LinkState : std::uint8_t {
  idle,        ///< not started
  connecting,  ///< TCP connect / TLS handshake
  binding,     ///< bind_* sent, waiting for the response
  bound,
  unbinding,  ///< draining / unbind sent (shutdown)
  backoff,    ///< waiting before the next connect attempt
  stopped,
};
std::string_view link_state_name(LinkState s) noexcept;

struct TlsConfig {
  bool enabled = false;
  std::string ca_file;      ///< PEM bundle used to verify the SMSC ("" = system default paths)
  std::string cert_file;    ///< optional client certificate (PEM)
  std::string key_file;     ///< its private key (PEM)
  bool verify = true;       ///< verify the SMSC certificate chain and host name
  std::string server_name;  ///< SNI and the name checked ("" = host)
};

struct SessionConfig {
  std::string name = "smsc";  ///< used in logs and stats only
  std::string host = "127.0.0.1";
  std::uint16_t port = 2775;
  BindType bind_type = BindType::transceiver;
  std::string system_id;
  std::string password;
  std::string system_type;
  std::uint8_t interface_version = 0x34;  ///< 0x34 (3.4) or 0x50 (5.0)
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;

  std::uint32_t window = 10;      ///< requests outstanding per transmitting connection
  double rate_per_second = 0;     ///< token bucket on requests sent; 0 = unlimited
  std::size_t max_queue = 10000;  ///< queued (not yet sent) requests; submit refuses beyond
  std::uint32_t max_unanswered_inbound = 100;  ///< stop reading at this many unanswered inbound
  std::uint32_t max_command_length = default_max_command_length;

  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds bind_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds enquire_link_interval{30000};  ///< inactivity before enquire_link
  std::chrono::milliseconds enquire_link_timeout{10000};   ///< no answer = dead link
  std::chrono::milliseconds reconnect_min{1000};
  std::chrono::milliseconds reconnect_max{60000};
  double reconnect_factor = 2.0;
  std::chrono::milliseconds bind_failure_backoff{30000};  ///< least wait after a refused bind
  std::chrono::milliseconds throttle_backoff_min{250};
  std::chrono::milliseconds throttle_backoff_max{10000};
  std::chrono::milliseconds shutdown_timeout{5000};  ///< bounded drain before unbind on stop
  std::chrono::milliseconds unbind_timeout{2000};    ///< wait for unbind_resp

  TlsConfig tls;
  std::string default_alphabet = "gsm7";  ///< not used by the session; passed through
};

/// Outcome of one submitted request, delivered exactly once. Success: no error and status
/// ESME_ROK. The SMSC refused it: no error, status says why (retryable per the status table).
/// The session could not get an answer: error is set (errc::timeout, errc::connection_lost,
/// errc::shutting_down: retryable; errc::generic_nack: retryable per its status). A timed-out
/// request may still have been accepted by the SMSC: resending it can duplicate it.
struct SubmitResult {
  std::uint32_t status = status::ok;  ///< command_status of the response (or generic_nack)
  std::string message_id;             ///< from the response body, when it had one
  bool retryable = false;             ///< false on success and on permanent failures
  std::error_code error;              ///< session-level failure, see above
  std::uint32_t attempts = 0;         ///< times the request went on the wire
  explicit operator bool() const noexcept { return !error && status == status::ok; }
};
using SubmitCallback = std::function<void(const SubmitResult&)>;

/// True for command_status values where sending the same request again later makes sense
/// (the status table of the session; ESME_RTHROTTLED and ESME_RMSGQFUL are handled inside).
bool is_retryable_status(std::uint32_t command_status) noexcept;

class Session;

/// Answers one inbound deliver_sm / data_sm. Move-only. respond() may be called from any
/// thread, once; later calls are ignored. Destroyed without respond(): ESME_RX_T_APPN is sent,
/// so the SMSC redelivers. If the connection dropped meanwhile, the response is discarded (the
/// SMSC redelivers too).
class InboundCompletion {
 public:
  InboundCompletion() = default;
  InboundCompletion(InboundCompletion&& other) noexcept;
  InboundCompletion& operator=(InboundCompletion&& other) noexcept;
  InboundCompletion(const InboundCompletion&) = delete;
  InboundCompletion& operator=(const InboundCompletion&) = delete;
  ~InboundCompletion();

  /// Sends the response with `command_status` (ESME_ROK after the durable commit, or
  /// ESME_RX_T_APPN to have the SMSC retry).
  void respond(std::uint32_t command_status);
  /// Answers several with one status (those already answered are skipped): the responses
  /// bound for one session reach its strand in one mailbox append and one post, and leave in
  /// one socket write. The way to answer everything one commit settled.
  static void respond_all(std::span<InboundCompletion* const> completions,
                          std::uint32_t command_status);
  [[nodiscard]] bool pending() const noexcept { return !session_.expired() && !done_; }

 private:
  friend class Session;
  InboundCompletion(std::weak_ptr<Session> s, int link, std::uint64_t generation,
                    std::uint32_t command_id, std::uint32_t sequence_number)
      : session_(std::move(s)),
        link_(link),
        generation_(generation),
        command_id_(command_id),
        sequence_number_(sequence_number),
        done_(false) {}
  std::weak_ptr<Session> session_;
  int link_ = 0;
  std::uint64_t generation_ = 0;
  std::uint32_t command_id_ = 0;
  std::uint32_t sequence_number_ = 0;
  bool done_ = true;
};

/// `pdu` views into the receive buffer: copy what you keep before returning.
using InboundCallback = std::function<void(const Pdu& pdu, InboundCompletion completion)>;

struct StateEvent {
  int link = 0;  ///< 0, or 1 for the transmitter of a receiver + transmitter pair
  LinkState state = LinkState::idle;
  std::error_code error;                 ///< why the link left `bound` / failed to bind, if it did
  std::uint32_t bind_status = 0;         ///< command_status of a refused bind
  std::chrono::milliseconds backoff{0};  ///< wait before the next attempt (state backoff)
};
using StateCallback = std::function<void(const StateEvent&)>;

enum class LogLevel : std::uint8_t { debug, info, warn, error };
using LogCallback = std::function<void(LogLevel, std::string_view)>;

/// A consistent-enough snapshot of a session's counters (each value read atomically).
struct SessionStats {
  LinkState state = LinkState::idle;  ///< aggregated: bound only when every connection is
  std::array<LinkState, 2> link_states{LinkState::idle, LinkState::idle};
  int links = 1;
  std::uint32_t window_size = 0;
  std::uint32_t window_in_use = 0;
  std::uint32_t window_peak = 0;  ///< most requests ever outstanding at once
  std::size_t queue_depth = 0;
  std::uint32_t inbound_unanswered = 0;
  std::uint64_t submits_accepted = 0;
  std::uint64_t submits_ok = 0;
  std::uint64_t submits_failed = 0;
  std::uint64_t submits_retryable = 0;  ///< failures reported as retryable (incl. disconnect)
  std::uint64_t timeouts = 0;
  std::uint64_t throttles = 0;   ///< ESME_RTHROTTLED / ESME_RMSGQFUL received
  std::uint64_t connects = 0;    ///< connect attempts
  std::uint64_t reconnects = 0;  ///< connect attempts after the first per connection
  std::uint64_t binds_ok = 0;
  std::uint64_t bind_failures = 0;
  std::uint64_t link_drops = 0;  ///< bound links lost (error, dead link, SMSC unbind)
  std::uint64_t enquire_links_sent = 0;
  std::uint64_t inbound_received = 0;
  std::uint64_t inbound_acked = 0;      ///< responded ESME_ROK
  std::uint64_t inbound_nacked = 0;     ///< responded with another status
  std::uint64_t inbound_discarded = 0;  ///< response came after the connection dropped
  std::uint64_t unknown_responses = 0;
  std::uint64_t generic_nacks_sent = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t writes = 0;  ///< socket writes started (each carries every PDU queued by then)
  std::map<std::uint32_t, std::uint64_t> pdus_in;           ///< by command_id
  std::map<std::uint32_t, std::uint64_t> pdus_out;          ///< by command_id
  std::map<std::uint32_t, std::uint64_t> errors_by_status;  ///< non-zero statuses received
  std::string last_error;
};

/// Jittered exponential backoff: next() returns min * factor^n, capped at max, then scaled by a
/// random factor in [0.5, 1]. reset() after a success.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, double factor,
          std::uint64_t seed);
  [[nodiscard]] std::chrono::milliseconds next();
  void reset() noexcept { attempt_ = 0; }
  [[nodiscard]] std::uint32_t attempts() const noexcept { return attempt_; }

 private:
  std::chrono::milliseconds min_, max_;
  double factor_;
  std::uint32_t attempt_ = 0;
  std::mt19937_64 rng_;
};

/// Token bucket: `rate` tokens per second, holding at most `burst`. rate <= 0 = unlimited.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, SessionClock::time_point now);
  /// Takes one token if there is one.
  [[nodiscard]] bool try_take(SessionClock::time_point now) noexcept;
  /// Time until a token will be there (zero if one is).
  [[nodiscard]] SessionClock::duration wait_time(SessionClock::time_point now) noexcept;
  [[nodiscard]] bool unlimited() const noexcept { return rate_ <= 0; }

 private:
  void refill(SessionClock::time_point now) noexcept;
  double rate_, burst_, tokens_;
  SessionClock::time_point last_;
};

/// Next sequence number after `n`: 1..0x7FFFFFFF, wrapping to 1.
constexpr std::uint32_t next_sequence_number(std::uint32_t n) noexcept {
  return (n >= 0x7FFFFFFFu || n == 0) ? 1u : n + 1u;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  /// Builds a session; nothing happens until start(). Throws std::invalid_argument on a bad
  /// config (window 0, empty host, TLS files that cannot be loaded): start-up errors.
  static std::shared_ptr<Session> create(boost::asio::io_context& io, SessionConfig config);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Set the callbacks before start().
  void on_inbound(InboundCallback cb);
  void on_state(StateCallback cb);
  void on_log(LogCallback cb);

  /// Connects and binds; keeps reconnecting until stop().
  void start();

  /// Stops the session. graceful: refuse new submits, fail queued ones (retryable,
  /// errc::shutting_down), wait up to shutdown_timeout for outstanding responses and inbound
  /// completions, unbind (bounded), close. Not graceful: close now, failing what is
  /// outstanding as retryable. `on_stopped` runs once when everything is closed.
  void stop(bool graceful, std::function<void()> on_stopped = {});

  /// Queues one encoded request PDU (submit_sm, data_sm, query_sm, ...; its sequence number
  /// is assigned when it is sent). Returns an error and never calls `cb` when the request is
  /// refused: errc::window_full (queue at max_queue: back-pressure), errc::shutting_down,
  /// errc::not_bound (a receiver-only bind), errc::unknown_command (not a request frame).
  [[nodiscard]] std::error_code submit(std::string encoded_request, SubmitCallback cb);
  /// Encodes `request` and queues it (see above; encode errors are returned too).
  [[nodiscard]] std::error_code submit(const Pdu& request, SubmitCallback cb);

  [[nodiscard]] SessionStats stats() const;
  [[nodiscard]] const SessionConfig& config() const noexcept { return config_; }

 private:
  friend class InboundCompletion;
  struct Impl;
  Session(boost::asio::io_context& io, SessionConfig config);
  static InboundCompletion make_completion(std::weak_ptr<Session> s, int link,
                                           std::uint64_t generation, std::uint32_t command_id,
                                           std::uint32_t sequence_number) {
    return InboundCompletion(std::move(s), link, generation, command_id, sequence_number);
  }
  void post_inbound_response(int link, std::uint64_t generation, std::uint32_t command_id,
                             std::uint32_t sequence_number, std::uint32_t status);
  template <class Responses>
  void post_inbound_responses(Responses& responses);

  SessionConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twoway::smpp
