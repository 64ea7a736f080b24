// One ESME connection to the SMSC simulator: framing, bind, answers, MO window, faults.
#pragma once

#include "tools/smsc_sim/sim_state.hpp"

namespace twoway::sim {

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(std::shared_ptr<Simulator::State> st, tcp::socket socket);
  void start();
  /// Sends MO / receipts while the window and the rate allow.
  void pump();
  /// Sends an unbind (SMSC-initiated) and closes on its response.
  void send_unbind();
  /// Closes at once; outstanding MO go back to the system's queue.
  void close();
  /// Flushes delayed responses that are due; false when closed.
  void on_tick(Clock::time_point now);
  [[nodiscard]] bool bound_rx() const noexcept { return bound_ && can_rx_; }

 private:
  struct Plan {
    std::uint32_t silent_after = 0, drop_after = 0, garbage_after = 0, oversized_after = 0,
                  unbind_after = 0;
    std::chrono::milliseconds delay{0};
  };
  struct Sent {
    Item item;
    Clock::time_point at;
  };

  void read();
  void process();
  void handle(std::string_view frame);
  void handle_bind(const smpp::Pdu& pdu);
  void handle_mt(const smpp::Pdu& pdu, const smpp::DecodeError& err);
  void handle_response(const smpp::Pdu& pdu);
  void apply_faults();
  /// Queues a response (header + optional body), honouring the delay and ordering faults.
  void respond(std::uint32_t command_id, std::uint32_t status, std::uint32_t seq,
               std::string_view body, bool with_body);
  void write_raw(std::string_view bytes);
  void flush();
  void close_after_flush();

  std::shared_ptr<Simulator::State> st_;
  std::uint64_t id_ = 0;
  std::unique_ptr<tcp::socket> sock_;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  std::vector<char> rbuf_;
  std::size_t rstart_ = 0, rend_ = 0;
  std::string wactive_, wpending_;
  bool writing_ = false;
  bool closed_ = false;
  bool closing_ = false;
  bool bound_ = false, can_rx_ = false, can_tx_ = false;
  bool silent_ = false;
  bool unbind_sent_ = false;
  bool garbage_done_ = false, oversized_done_ = false;
  std::string system_id_;
  System* sys_ = nullptr;
  std::uint32_t seq_ = 0;
  std::uint32_t unbind_seq_ = 0;
  std::unordered_map<std::uint32_t, Sent> window_;
  smpp::TokenBucket bucket_;
  std::uint64_t pdus_in_ = 0;
  Plan plan_;
  std::deque<std::pair<Clock::time_point, std::string>> delayed_;
  std::vector<std::string> batch_;  ///< responses of one read, for out-of-order answers
  bool batching_ = false;
};

}  // namespace twoway::sim
