// One ESME connection to the SMSC simulator (see sim_conn.hpp).
#include "tools/smsc_sim/sim_conn.hpp"

#include <cstring>

#include "smpp/codec.hpp"

namespace twoway::sim {

using namespace twoway::smpp;

namespace {
void append_header(std::string& out, std::uint32_t length, std::uint32_t id, std::uint32_t status,
                   std::uint32_t seq) {
  char h[16];
  store_be32(h, length);
  store_be32(h + 4, id);
  store_be32(h + 8, status);
  store_be32(h + 12, seq);
  out.append(h, 16);
}
}  // namespace

Conn::Conn(std::shared_ptr<Simulator::State> st, tcp::socket socket)
    : st_(std::move(st)),
      rbuf_(64 * 1024),
      bucket_(st_->cfg.rate, std::max(1.0, st_->cfg.rate / 10.0), Clock::now()) {
  id_ = ++st_->next_conn_id;
  if (st_->ssl) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket), *st_->ssl);
  } else {
    sock_ = std::make_unique<tcp::socket>(std::move(socket));
  }
  boost::system::error_code ignored;
  (tls_ ? tls_->next_layer() : *sock_).set_option(tcp::no_delay(true), ignored);
  const FaultConfig& f = st_->faults;
  if (f.mix) {
    std::uniform_int_distribution<std::uint32_t> n(f.mix_min, std::max(f.mix_min, f.mix_max));
    std::uniform_int_distribution<int> pick(0, 5);  // every connection meets one fault
    const int kind = f.mix_cycle ? static_cast<int>(st_->next_mix_fault++ % 6) : pick(st_->rng);
    switch (kind) {
      case 0:
        plan_.drop_after = n(st_->rng);
        break;
      case 1:
        plan_.garbage_after = n(st_->rng);
        break;
      case 2:
        plan_.oversized_after = n(st_->rng);
        break;
      case 3:
        plan_.unbind_after = n(st_->rng);
        break;
      case 4:
        plan_.silent_after = n(st_->rng);
        break;
      default:  // slow answers, then a drop
        plan_.delay = std::chrono::milliseconds(50 + n(st_->rng) % 400);
        plan_.drop_after = n(st_->rng);
        st_->count_fault("slow");
        break;
    }
  } else {
    plan_.silent_after = f.silent_after;
    plan_.drop_after = f.drop_after;
    plan_.garbage_after = f.garbage_after;
    plan_.oversized_after = f.oversized_after;
    plan_.unbind_after = f.unbind_after;
    plan_.delay = f.response_delay;
  }
}

void Conn::start() {
  st_->n.connections.fetch_add(1, std::memory_order_relaxed);
  if (!tls_) return read();
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this()](boost::system::error_code ec) {
                          if (ec) return self->close();
                          self->read();
                        });
}

void Conn::read() {
  if (closed_) return;
  if (rstart_ == rend_) rstart_ = rend_ = 0;
  if (rbuf_.size() - rend_ < 4096) {
    std::memmove(rbuf_.data(), rbuf_.data() + rstart_, rend_ - rstart_);
    rend_ -= rstart_;
    rstart_ = 0;
    if (rbuf_.size() - rend_ < 4096) rbuf_.resize(rbuf_.size() * 2);
  }
  auto handler = [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->close();
    if (self->silent_) {
      self->rstart_ = self->rend_ = 0;  // half-open: swallow everything
      return self->read();
    }
    self->rend_ += n;
    self->process();
  };
  auto buf = asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_);
  if (tls_) {
    tls_->async_read_some(buf, std::move(handler));
  } else {
    sock_->async_read_some(buf, std::move(handler));
  }
}

void Conn::process() {
  batching_ = st_->faults.out_of_order_responses;
  while (!closed_ && !silent_ && !closing_) {
    const std::string_view buffered(rbuf_.data() + rstart_, rend_ - rstart_);
    const FrameCheck fc = check_frame(buffered, st_->cfg.max_command_length);
    if (fc.kind == FrameCheck::Kind::need_more) {
      // Grow only (read() compacts): room for the whole frame that is arriving.
      if (fc.length + 4096 > rbuf_.size()) rbuf_.resize(fc.length + 4096);
      break;
    }
    if (fc.kind == FrameCheck::Kind::invalid) {
      std::string nack;
      append_header(nack, 16, cmd::generic_nack, status::invcmdlen, fc.sequence_number);
      write_raw(nack);
      close_after_flush();
      break;
    }
    const std::string_view frame = buffered.substr(0, fc.length);
    rstart_ += fc.length;
    handle(frame);
    if (!closed_) apply_faults();
  }
  if (batching_) {
    batching_ = false;
    for (auto it = batch_.rbegin(); it != batch_.rend(); ++it) write_raw(*it);
    batch_.clear();
  }
  flush();
  pump();
  if (!closed_) read();
}

void Conn::apply_faults() {
  ++pdus_in_;
  const auto hit = [&](std::uint32_t n) { return n != 0 && pdus_in_ >= n; };
  if (hit(plan_.drop_after)) {
    st_->count_fault("drop");
    return close();
  }
  if (hit(plan_.silent_after) && !silent_) {
    st_->count_fault("silent");
    silent_ = true;
    return;
  }
  if (hit(plan_.garbage_after) && !garbage_done_) {
    garbage_done_ = true;
    st_->count_fault("garbage");
    std::string junk(48, '\0');
    for (auto& c : junk) c = static_cast<char>(st_->rng() & 0xFF);
    junk[0] = '\x7F';  // make sure the first length is invalid, whatever follows
    write_raw(junk);
  }
  if (hit(plan_.oversized_after) && !oversized_done_) {
    oversized_done_ = true;
    st_->count_fault("oversized");
    std::string big;
    append_header(big, 0x00FFFFF0u, cmd::deliver_sm, 0, 1);
    write_raw(big);
  }
  if (hit(plan_.unbind_after) && !unbind_sent_ && bound_) {
    st_->count_fault("unbind");
    send_unbind();
  }
}

void Conn::handle(std::string_view frame) {
  Pdu pdu;
  const DecodeError err = decode(frame, pdu);
  const Header& h = pdu.header;
  st_->n.pdus_in.fetch_add(1, std::memory_order_relaxed);
  if (is_response(h.command_id)) return handle_response(pdu);
  switch (h.command_id) {
    case cmd::bind_receiver:
    case cmd::bind_transmitter:
    case cmd::bind_transceiver:
      if (err)
        return respond(response_id(h.command_id), command_status_for(err.code), h.sequence_number,
                       {}, false);
      return handle_bind(pdu);
    case cmd::enquire_link:
      st_->n.enquire_links.fetch_add(1, std::memory_order_relaxed);
      if (st_->faults.ignore_enquire_link) return;
      return respond(cmd::enquire_link_resp, status::ok, h.sequence_number, {}, false);
    case cmd::unbind:
      st_->n.unbinds_received.fetch_add(1, std::memory_order_relaxed);
      respond(cmd::unbind_resp, status::ok, h.sequence_number, {}, false);
      return close_after_flush();
    case cmd::submit_sm:
    case cmd::data_sm:
    case cmd::submit_multi:
      return handle_mt(pdu, err);
    default:
      break;
  }
  if (!is_known_command(h.command_id)) {
    return respond(cmd::generic_nack, status::invcmdid, h.sequence_number, {}, false);
  }
  if (!bound_)
    return respond(response_id(h.command_id), status::invbndsts, h.sequence_number, {}, false);
  switch (h.command_id) {
    case cmd::query_sm: {
      std::string body;
      if (auto* q = pdu.as<QuerySm>()) body.assign(q->message_id);
      body.push_back('\0');
      body.push_back('\0');    // final_date
      body.push_back('\x02');  // DELIVERED
      body.push_back('\0');
      return respond(cmd::query_sm_resp, status::ok, h.sequence_number, body, true);
    }
    case cmd::broadcast_sm:
      return respond(cmd::broadcast_sm_resp, status::ok, h.sequence_number,
                     st_->make_message_id() + std::string(1, '\0'), true);
    case cmd::cancel_sm:
    case cmd::replace_sm:
    case cmd::cancel_broadcast_sm:
      return respond(response_id(h.command_id), status::ok, h.sequence_number, {}, false);
    case cmd::query_broadcast_sm: {
      std::string body;
      if (auto* q = pdu.as<QueryBroadcastSm>()) body.assign(q->message_id);
      body.push_back('\0');
      return respond(cmd::query_broadcast_sm_resp, status::ok, h.sequence_number, body, true);
    }
    default:
      // deliver_sm, alert_notification, outbind: not something an ESME sends.
      if (h.command_id == cmd::alert_notification || h.command_id == cmd::outbind) return;
      return respond(response_id(h.command_id), status::invcmdid, h.sequence_number, {}, false);
  }
}

void Conn::handle_bind(const Pdu& pdu) {
  const auto& b = std::get<BindRequest>(pdu.body);
  const std::uint32_t resp = response_id(pdu.header.command_id);
  if (bound_) return respond(resp, status::alybnd, pdu.header.sequence_number, {}, false);
  ++st_->binds_seen;
  bool refuse = st_->faults.refuse_all_binds || st_->binds_seen <= st_->faults.refuse_binds;
  if (st_->faults.mix && std::uniform_int_distribution<int>(0, 19)(st_->rng) == 0) refuse = true;
  if (!st_->cfg.system_id.empty() && b.system_id != st_->cfg.system_id) refuse = true;
  if (!st_->cfg.password.empty() && b.password != st_->cfg.password) refuse = true;
  if (refuse) {
    st_->n.binds_refused.fetch_add(1, std::memory_order_relaxed);
    st_->count_status(command_name(resp), status::bindfail);
    return respond(resp, status::bindfail, pdu.header.sequence_number, {}, false);
  }
  bound_ = true;
  can_rx_ = pdu.header.command_id != cmd::bind_transmitter;
  can_tx_ = pdu.header.command_id != cmd::bind_receiver;
  system_id_.assign(b.system_id);
  sys_ = &st_->system(system_id_);
  std::int64_t unset = -1;
  st_->n.first_bind_us.compare_exchange_strong(unset, st_->now_us());
  // The MO to send are counted before the bind is: done() (read on another thread) must not
  // see a bind with nothing generated yet as all work answered.
  if (can_rx_) st_->generate(*sys_);
  st_->n.binds_ok.fetch_add(1, std::memory_order_release);
  st_->n.bound_now.fetch_add(1, std::memory_order_relaxed);
  std::string body = "twoway-sim";
  body.push_back('\0');
  body += std::string("\x02\x10\x00\x01", 4);
  body.push_back(static_cast<char>(b.interface_version >= 0x50 ? 0x50 : 0x34));
  st_->count_status(command_name(resp), status::ok);
  respond(resp, status::ok, pdu.header.sequence_number, body, true);
}

void Conn::handle_mt(const Pdu& pdu, const DecodeError& err) {
  const Header& h = pdu.header;
  const std::uint32_t resp = response_id(h.command_id);
  const std::string_view name = command_name(resp);
  if (!bound_ || !can_tx_) {
    st_->count_status(name, status::invbndsts);
    return respond(resp, status::invbndsts, h.sequence_number, {}, false);
  }
  if (err) {
    const auto st = command_status_for(err.code);
    st_->count_status(name, st);
    st_->on_mt(system_id_, pdu, {}, st);
    return respond(resp, st, h.sequence_number, {}, false);
  }
  if (const auto* sm = pdu.as<ShortMessage>(); sm != nullptr && sm->destination_addr.empty()) {
    st_->count_status(name, status::invdstadr);
    return respond(resp, status::invdstadr, h.sequence_number, {}, false);
  }
  const std::uint64_t k = ++st_->submits_seen;
  const FaultConfig& f = st_->faults;
  std::uint32_t refuse = 0;
  if (f.throttle_every != 0 && k % f.throttle_every == 0) refuse = status::throttled;
  if (f.msgqful_every != 0 && k % f.msgqful_every == 0) refuse = status::msgqful;
  if (f.syserr_every != 0 && k % f.syserr_every == 0) refuse = status::syserr;
  if (f.mix && k % 97 == 0) refuse = status::throttled;
  if (refuse != 0) {
    st_->n.mt_throttled.fetch_add(1, std::memory_order_relaxed);
    st_->count_status(name, refuse);
    return respond(resp, refuse, h.sequence_number, {}, false);
  }
  std::string id = st_->make_message_id();
  st_->on_mt(system_id_, pdu, id, status::ok);
  st_->count_status(name, status::ok);
  id.push_back('\0');
  if (h.command_id == cmd::submit_multi) id.push_back('\0');  // no_unsuccess = 0
  respond(resp, status::ok, h.sequence_number, id, true);
}

void Conn::handle_response(const Pdu& pdu) {
  const Header& h = pdu.header;
  if (h.command_id == cmd::unbind_resp && unbind_sent_ && h.sequence_number == unbind_seq_) {
    return close();
  }
  if (h.command_id == cmd::generic_nack) {
    st_->n.generic_nacks_received.fetch_add(1, std::memory_order_relaxed);
  }
  auto it = window_.find(h.sequence_number);
  if (it == window_.end()) return;  // unknown or late response: ignore
  const Sent s = it->second;
  window_.erase(it);
  st_->count_status(h.command_id == cmd::generic_nack ? "generic_nack" : command_name(h.command_id),
                    h.command_status);
  st_->record_ack_latency(s.item, s.at);
  st_->on_mo_answer(*sys_, s.item, h.command_status, h.command_id == cmd::generic_nack);
}

void Conn::respond(std::uint32_t command_id, std::uint32_t status, std::uint32_t seq,
                   std::string_view body, bool with_body) {
  std::string out;
  const std::size_t len = 16 + (with_body ? body.size() : 0);
  out.reserve(len);
  append_header(out, static_cast<std::uint32_t>(len), command_id, status, seq);
  if (with_body) out.append(body);
  const bool bind_resp = command_id == cmd::bind_receiver_resp ||
                         command_id == cmd::bind_transmitter_resp ||
                         command_id == cmd::bind_transceiver_resp;
  if (plan_.delay.count() > 0 && !bind_resp) {  // never deliver before the bind is answered
    delayed_.emplace_back(Clock::now() + plan_.delay, std::move(out));
    return;
  }
  if (batching_) {
    batch_.push_back(std::move(out));
    return;
  }
  write_raw(out);
}

void Conn::write_raw(std::string_view bytes) {
  if (closed_) return;
  wpending_.append(bytes);
  st_->n.pdus_out.fetch_add(1, std::memory_order_relaxed);
}

void Conn::flush() {
  if (closed_ || writing_ || wpending_.empty()) return;
  wactive_.swap(wpending_);
  wpending_.clear();
  writing_ = true;
  auto handler = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    self->writing_ = false;
    self->wactive_.clear();
    if (self->closed_) return;
    if (ec) return self->close();
    if (!self->wpending_.empty()) return self->flush();
    if (self->closing_) self->close();
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(wactive_), std::move(handler));
  } else {
    asio::async_write(*sock_, asio::buffer(wactive_), std::move(handler));
  }
}

void Conn::close_after_flush() {
  closing_ = true;
  flush();
  if (!writing_ && wpending_.empty()) close();
}

void Conn::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  auto& s = tls_ ? tls_->next_layer() : *sock_;
  s.shutdown(tcp::socket::shutdown_both, ignored);
  s.close(ignored);
  if (bound_) st_->n.bound_now.fetch_sub(1, std::memory_order_relaxed);
  // Whatever the ESME did not answer is delivered again later, as a real SMSC does.
  if (sys_ != nullptr) {
    for (auto& [seq, sent] : window_) {
      st_->n.mo_redelivered.fetch_add(1, std::memory_order_relaxed);
      if (sent.item.kind == ItemKind::mo) {
        auto& times = sys_->msg_redelivered[sent.item.index];
        if (times < UINT16_MAX) ++times;
      }
      st_->requeue(*sys_, sent.item, false);
    }
  }
  window_.clear();
  st_->conns.erase(shared_from_this());
  st_->pump_all();
}

void Conn::send_unbind() {
  if (closed_ || unbind_sent_) return;
  unbind_sent_ = true;
  seq_ = smpp::next_sequence_number(seq_);
  unbind_seq_ = seq_;
  std::string u;
  append_header(u, 16, cmd::unbind, 0, unbind_seq_);
  write_raw(u);
  st_->n.unbinds_sent.fetch_add(1, std::memory_order_relaxed);
  flush();
}

void Conn::pump() {
  if (closed_ || closing_ || silent_ || !bound_ || !can_rx_ || unbind_sent_) return;
  const auto now = Clock::now();
  while (window_.size() < st_->cfg.window) {
    if (!bucket_.try_take(now)) break;
    Item item;
    if (!st_->next_item(*sys_, item)) break;
    seq_ = smpp::next_sequence_number(seq_);
    st_->build_deliver_sm(*sys_, item, seq_, wpending_);
    st_->n.pdus_out.fetch_add(1, std::memory_order_relaxed);
    window_.emplace(seq_, Sent{item, now});
  }
  flush();
}

void Conn::on_tick(Clock::time_point now) {
  if (closed_) return;
  while (!delayed_.empty() && delayed_.front().first <= now) {
    write_raw(delayed_.front().second);
    delayed_.pop_front();
  }
  flush();
  pump();
}

}  // namespace twoway::sim
