// One connection of an ESME session (socket objects, sequence numbers) and the command_id
// slots of the session counters.
#include "smpp/session_detail.hpp"

#include <random>

namespace twoway::smpp::detail {

// Slots follow the codec's table of known commands; the last slot counts everything else.
std::size_t command_slot(std::uint32_t command_id) noexcept {
  const auto known = known_commands();
  for (std::size_t i = 0; i < known.size() && i < command_slots - 1; ++i) {
    if (known[i] == command_id) return i;
  }
  return command_slots - 1;
}

std::uint32_t slot_command(std::size_t slot) noexcept {
  const auto known = known_commands();
  if (slot >= known.size() || slot >= command_slots - 1) return 0xFFFFFFFFu;
  return known[slot];
}

Link::Link(Strand& strand, const SessionConfig& cfg)
    : resolver(strand),
      backoff_timer(strand),
      backoff(cfg.reconnect_min, cfg.reconnect_max, cfg.reconnect_factor, std::random_device{}()),
      rbuf(64 * 1024) {
  // Start from a random number so that two runs do not reuse each other's numbers.
  seq = static_cast<std::uint32_t>(std::random_device{}() % 0x40000000u) + 1;
}

std::uint32_t Link::next_seq() {
  do {
    seq = next_sequence_number(seq);
  } while (inflight.count(seq) != 0 || seq == bind_seq);
  return seq;
}

void Link::reset_io(Strand& strand, boost::asio::ssl::context* ssl_ctx) {
  close_io();
  if (ssl_ctx != nullptr) {
    tls =
        std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>(strand, *ssl_ctx);
    sock.reset();
  } else {
    sock = std::make_unique<boost::asio::ip::tcp::socket>(strand);
  }
}

void Link::close_io() {
  boost::system::error_code ignored;
  resolver.cancel();
  if (tls) {
    tls->next_layer().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    tls->next_layer().close(ignored);
  }
  if (sock) {
    sock->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
  }
  rstart = rend = 0;
  reading = false;
  writing = false;
  wactive.clear();
  wpending.clear();
}

}  // namespace twoway::smpp::detail
