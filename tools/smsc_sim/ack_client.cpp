// A trivial acknowledging ESME for the simulator's self-benchmark (see ack_client.hpp).
#include "tools/smsc_sim/ack_client.hpp"

#include <cstring>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"

namespace twoway::sim {

namespace asio = boost::asio;
using namespace twoway::smpp;

AckClient::AckClient(asio::io_context& io, std::string system_id, std::string password)
    : sock_(io),
      system_id_(std::move(system_id)),
      password_(std::move(password)),
      rbuf_(256 * 1024) {}

void AckClient::start(std::uint16_t port) {
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  sock_.async_connect(ep, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ignored;
    self->sock_.set_option(asio::ip::tcp::no_delay(true), ignored);
    Pdu bind = make_pdu(cmd::bind_transceiver, 1);
    auto& b = std::get<BindRequest>(bind.body);
    b.system_id = self->system_id_;
    b.password = self->password_;
    if (encode(bind, self->wpending_)) return;
    self->flush();
    self->read();
  });
}

void AckClient::reply_to_mo(std::string source, bool plus) {
  reply_ = true;
  reply_plus_ = plus;
  reply_source_ = std::move(source);
}

void AckClient::stop() {
  asio::post(sock_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->sock_.close(ignored);
  });
}

void AckClient::read() {
  if (rbuf_.size() - rend_ < 4096) rbuf_.resize(rbuf_.size() * 2);
  sock_.async_read_some(
      asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        self->rend_ += n;
        std::size_t pos = 0;
        std::uint64_t acks = 0;
        while (true) {
          const FrameCheck fc = check_frame({self->rbuf_.data() + pos, self->rend_ - pos});
          if (fc.kind != FrameCheck::Kind::ready) {
            if (fc.kind == FrameCheck::Kind::invalid) return;
            break;
          }
          const char* f = self->rbuf_.data() + pos;
          const std::uint32_t id = load_be32(f + 4);
          const std::uint32_t seq = load_be32(f + 12);
          char resp[17];
          store_be32(resp + 8, 0);
          store_be32(resp + 12, seq);
          if (id == cmd::deliver_sm && self->refuse_left_ > 0) {
            --self->refuse_left_;
            store_be32(resp, 17);
            store_be32(resp + 4, cmd::deliver_sm_resp);
            store_be32(resp + 8, status::x_t_appn);
            resp[16] = '\0';
            self->wpending_.append(resp, 17);
          } else if (id == cmd::deliver_sm) {
            store_be32(resp, 17);
            store_be32(resp + 4, cmd::deliver_sm_resp);
            resp[16] = '\0';
            self->wpending_.append(resp, 17);
            ++acks;
            if (self->reply_) self->reply({f, fc.length});
          } else if (id == cmd::enquire_link || id == cmd::unbind) {
            store_be32(resp, 16);
            store_be32(resp + 4, response_id(id));
            self->wpending_.append(resp, 16);
          } else if (id == cmd::submit_sm_resp && load_be32(f + 8) == 0) {
            self->replies_acked_.fetch_add(1, std::memory_order_relaxed);
          } else if (id == cmd::bind_transceiver_resp && load_be32(f + 8) == 0) {
            self->bound_ = true;
          }
          pos += fc.length;
        }
        std::memmove(self->rbuf_.data(), self->rbuf_.data() + pos, self->rend_ - pos);
        self->rend_ -= pos;
        self->acked_.fetch_add(acks, std::memory_order_relaxed);
        self->flush();
        self->read();
      });
}

void AckClient::reply(std::string_view frame) {
  Pdu mo;
  if (decode(frame, mo)) return;
  const auto* sm = mo.as<ShortMessage>();
  if (sm == nullptr || (sm->esm_class & esm::type_mask) == esm::type_delivery_receipt) return;
  const std::string to = (reply_plus_ ? "+" : "") + std::string(sm->source_addr);
  seq_ = next_sequence_number(seq_);
  Pdu submit = make_pdu(cmd::submit_sm, seq_);
  auto& s = std::get<ShortMessage>(submit.body);
  s.source_addr = reply_source_;
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = to;
  s.short_message = "Thanks, we will answer soon.";
  (void)encode(submit, wpending_);
}

void AckClient::flush() {
  if (writing_ || wpending_.empty()) return;
  wactive_.swap(wpending_);
  wpending_.clear();
  writing_ = true;
  asio::async_write(sock_, asio::buffer(wactive_),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->wactive_.clear();
                      if (!ec) self->flush();
                    });
}

}  // namespace twoway::sim
