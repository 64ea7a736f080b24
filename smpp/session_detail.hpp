// Internals of smpp::Session shared by session.cpp and session_detail.cpp: one connection
// (Link), the window entries, the counters and the Impl that runs on the strand.
// Not part of the public API.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "smpp/session.hpp"

namespace twoway::smpp::detail {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

enum class RequestKind : std::uint8_t { user, enquire_link, unbind };

/// A request waiting in the queue: encoded, not numbered yet.
struct OutItem {
  std::string frame;
  SubmitCallback cb;
  std::uint32_t command_id = 0;
  std::uint32_t attempts = 0;
};

/// A request on the wire, waiting for its response.
struct InFlight {
  RequestKind kind = RequestKind::user;
  std::uint32_t command_id = 0;
  std::uint32_t attempts = 0;
  std::uint64_t serial = 0;  ///< tells a timeout entry from a later reuse of the number
  std::string frame;         ///< kept for a requeue after ESME_RTHROTTLED
  SubmitCallback cb;
};

struct TimeoutEntry {
  SessionClock::time_point deadline;
  std::uint64_t serial = 0;
  std::uint32_t sequence_number = 0;
};

struct InboundResponse {
  std::uint64_t generation = 0;
  std::uint32_t command_id = 0;
  std::uint32_t sequence_number = 0;
  std::uint32_t status = 0;
  int link = 0;
};

/// Counter slots per command_id (the known ids, then one slot for the rest).
inline constexpr std::size_t command_slots = 36;
std::size_t command_slot(std::uint32_t command_id) noexcept;
std::uint32_t slot_command(std::size_t slot) noexcept;  ///< 0xFFFFFFFF for "other"

struct Counters {
  std::atomic<std::uint64_t> submits_accepted{0}, submits_ok{0}, submits_failed{0},
      submits_retryable{0}, timeouts{0}, throttles{0}, connects{0}, reconnects{0}, binds_ok{0},
      bind_failures{0}, link_drops{0}, enquire_links_sent{0}, inbound_received{0}, inbound_acked{0},
      inbound_nacked{0}, inbound_discarded{0}, unknown_responses{0}, generic_nacks_sent{0},
      bytes_in{0}, bytes_out{0}, writes{0}, inbound_unanswered{0};
  std::array<std::atomic<std::uint64_t>, command_slots> pdus_in{}, pdus_out{};
};

/// One TCP (or TLS) connection of the logical link, with its own window and timers.
struct Link {
  Link(Strand& strand, const SessionConfig& cfg);

  int index = 0;
  std::uint32_t bind_command = 0;
  bool can_tx = false;
  bool can_rx = false;
  LinkState state = LinkState::idle;
  std::uint64_t generation = 0;  ///< bumped on every connect and close: stale handlers see it
  bool ever_connected = false;

  boost::asio::ip::tcp::resolver resolver;
  boost::asio::steady_timer backoff_timer;
  std::unique_ptr<boost::asio::ip::tcp::socket> sock;  ///< plain connection
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls;
  Backoff backoff;

  std::vector<char> rbuf;
  std::size_t rstart = 0, rend = 0;
  bool reading = false;
  bool read_paused = false;
  std::string wactive, wpending;
  bool writing = false;
  bool down_after_flush = false;
  std::error_code down_error;
  std::string down_why;

  std::uint32_t seq = 0;
  std::uint32_t bind_seq = 0;
  std::uint64_t serial = 0;
  std::unordered_map<std::uint32_t, InFlight> inflight;
  std::deque<TimeoutEntry> timeouts;
  std::uint32_t submits_in_flight = 0;
  std::uint32_t unanswered = 0;
  bool enquire_pending = false;
  bool unbind_sent = false;
  SessionClock::time_point last_rx{}, state_deadline{}, stop_deadline{};
  SessionClock::time_point enquire_deadline{}, unbind_deadline{};

  boost::asio::ip::tcp::socket& lowest() { return tls ? tls->next_layer() : *sock; }
  /// Next free sequence number (wraps 0x7FFFFFFF -> 1, skips numbers still in the window).
  std::uint32_t next_seq();
  /// Fresh socket objects for a new connection attempt.
  void reset_io(Strand& strand, boost::asio::ssl::context* ssl_ctx);
  /// Closes the connection and forgets buffered bytes.
  void close_io();
};

}  // namespace twoway::smpp::detail

namespace twoway::smpp {

struct Session::Impl {
  Impl(Session& owner, boost::asio::io_context& io);

  Session& owner;
  const SessionConfig& cfg;
  detail::Strand strand;
  std::unique_ptr<boost::asio::ssl::context> ssl_ctx;
  boost::asio::steady_timer tick_timer;
  boost::asio::steady_timer pump_timer;
  bool pump_armed = false;
  SessionClock::time_point pump_at{};
  std::chrono::milliseconds tick_interval{100};

  InboundCallback on_inbound;
  StateCallback on_state;
  LogCallback on_log;

  std::array<std::unique_ptr<detail::Link>, 2> links;
  int nlinks = 0;
  int tx_link = -1;

  std::deque<detail::OutItem> queue;
  TokenBucket bucket;
  Backoff throttle_backoff;
  SessionClock::time_point paused_until{};

  bool started = false;
  bool stopping = false;
  bool finished = false;
  std::function<void()> on_stopped;
  std::vector<std::function<void()>> extra_stopped;

  // Cross-thread mailbox: submits and inbound responses, drained on the strand in batches.
  std::atomic<bool> accepting{true};
  std::atomic<std::size_t> queued{0};  ///< mailbox + queue
  std::mutex mailbox_mu;
  std::vector<detail::OutItem> mailbox_submits, scratch_submits;
  std::vector<detail::InboundResponse> mailbox_responses, scratch_responses;
  bool mailbox_posted = false;
  // While above 0 (strand only), flush() leaves the pending PDUs for the FlushBatch that
  // raised it: what one drain or one read produces goes out in one socket write.
  int flush_hold = 0;

  detail::Counters counters;
  std::array<std::atomic<std::uint8_t>, 2> link_states{};
  std::atomic<std::uint32_t> window_in_use{0};
  std::atomic<std::uint32_t> window_peak{0};
  mutable std::mutex stats_mu;
  std::map<std::uint32_t, std::uint64_t> errors_by_status;
  std::string last_error;

  std::shared_ptr<Session> self();
  void log(LogLevel level, const std::string& text);
  void start();
  void stop(bool graceful, std::function<void()> cb);
  void check_stopped();
  void fail_queue();
  void drain_mailbox();
  void complete(SubmitCallback& cb, std::error_code ec, std::uint32_t status,
                std::string_view message_id, std::uint32_t attempts);

  void connect(detail::Link& l);
  void on_connected(detail::Link& l, std::uint64_t gen, boost::system::error_code ec);
  void send_bind(detail::Link& l);
  void on_bind_resp(detail::Link& l, const Pdu& pdu);
  /// Closes the connection, fails its outstanding requests (retryable) and schedules the
  /// reconnect (or finishes the stop). `why` goes to last_error (default: ec.message()).
  void link_down(detail::Link& l, std::error_code ec, std::uint32_t bind_status,
                 std::string_view why = {});
  /// Lets the pending writes (a generic_nack, an unbind_resp) go out, then link_down.
  void drop_after_flush(detail::Link& l, std::error_code ec, std::string why);
  void set_state(detail::Link& l, LinkState st, std::error_code ec, std::uint32_t bind_status,
                 std::chrono::milliseconds backoff);

  void arm_tick();
  void tick();
  void tick_link(detail::Link& l, SessionClock::time_point now);

  void pump();
  void arm_pump(SessionClock::time_point at);
  void send_request(detail::Link& l, detail::RequestKind kind, std::uint32_t command_id,
                    std::string frame, SubmitCallback cb, std::uint32_t attempts,
                    std::chrono::milliseconds timeout);
  void send_frame(detail::Link& l, std::string_view frame);
  /// Drops timeout entries of requests already answered (bounded memory at high rates).
  void trim_timeouts(detail::Link& l);
  void send_pdu(detail::Link& l, const Pdu& pdu);
  void send_generic_nack(detail::Link& l, std::uint32_t st, std::uint32_t seq);
  void flush(detail::Link& l);
  void send_inbound_response(const detail::InboundResponse& r);

  void start_read(detail::Link& l);
  void process_buffer(detail::Link& l);
  void handle_frame(detail::Link& l, std::string_view frame);
  void handle_inbound(detail::Link& l, const Pdu& pdu, const DecodeError& err);
  void handle_response(detail::Link& l, const Pdu& pdu, const DecodeError& err);

  void count_in(std::uint32_t command_id);
  void count_out(std::uint32_t command_id);
  void update_window_gauge();
  void note_error_status(std::uint32_t st);
  void set_last_error(std::string text);
  SessionStats snapshot() const;

  /// Holds the writes of a burst of work on the strand and flushes every link once at its end.
  class FlushBatch {
   public:
    explicit FlushBatch(Impl& m) : m_(m) { ++m_.flush_hold; }
    ~FlushBatch() {
      if (--m_.flush_hold == 0)
        for (int i = 0; i < m_.nlinks; ++i) m_.flush(*m_.links[i]);
    }
    FlushBatch(const FlushBatch&) = delete;
    FlushBatch& operator=(const FlushBatch&) = delete;

   private:
    Impl& m_;
  };
};

}  // namespace twoway::smpp
