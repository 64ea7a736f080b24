// A trivial ESME for load tests: binds as transceiver and acknowledges every deliver_sm at once
// (ESME_ROK), answers enquire_link and unbind. Used by `twoway-smsc-sim --self-bench`; with
// reply_to_mo() it also answers every MO with a submit_sm to its sender, like an auto-responder
// (the simulator's MO->reply measurement is tested with it).
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::sim {

class AckClient : public std::enable_shared_from_this<AckClient> {
 public:
  AckClient(boost::asio::io_context& io, std::string system_id, std::string password);
  /// Connects to 127.0.0.1:`port` and binds; errors end the client (bound() stays false).
  void start(std::uint16_t port);
  void stop();
  /// From now on, answers every MO deliver_sm (not receipts) with a submit_sm from `source` to
  /// the MO's sender, written "+<sender>" when `plus` (as some gateways write it). Call before
  /// start().
  void reply_to_mo(std::string source, bool plus);
  /// Answers the first `n` deliver_sm with ESME_RX_T_APPN (retry later) instead of ESME_ROK.
  /// Call before start().
  void refuse_first(std::uint64_t n) { refuse_left_ = n; }
  [[nodiscard]] std::uint64_t replies_acked() const noexcept { return replies_acked_.load(); }
  [[nodiscard]] bool bound() const noexcept { return bound_.load(); }
  [[nodiscard]] std::uint64_t acked() const noexcept { return acked_.load(); }

 private:
  void read();
  void flush();
  void reply(std::string_view frame);
  boost::asio::ip::tcp::socket sock_;
  std::string system_id_, password_;
  std::vector<char> rbuf_;
  std::size_t rend_ = 0;
  std::string wactive_, wpending_;
  bool writing_ = false;
  std::atomic<bool> bound_{false};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<std::uint64_t> replies_acked_{0};
  bool reply_ = false, reply_plus_ = false;
  std::uint64_t refuse_left_ = 0;
  std::string reply_source_;
  std::uint32_t seq_ = 1;
};

}  // namespace twoway::sim
