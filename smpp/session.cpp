// The ESME session: connect (TCP or TLS), bind, window of outstanding requests, token bucket,
// throttling pause, enquire_link, reconnect with backoff, inbound completions, graceful unbind.
#include "smpp/session.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "smpp/session_detail.hpp"

namespace twoway::smpp {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using detail::Link;

// --- Impl: lifecycle -----------------------------------------------------------------------

Session::Impl::Impl(Session& o, asio::io_context& io)
    : owner(o),
      cfg(o.config_),
      strand(asio::make_strand(io)),
      tick_timer(strand),
      pump_timer(strand),
      bucket(cfg.rate_per_second, std::max(1.0, cfg.rate_per_second / 10.0), SessionClock::now()),
      throttle_backoff(cfg.throttle_backoff_min, cfg.throttle_backoff_max, 2.0,
                       std::random_device{}()) {
  if (cfg.tls.enabled) {
    try {
      ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      ssl_ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1);
      if (!cfg.tls.ca_file.empty()) {
        ssl_ctx->load_verify_file(cfg.tls.ca_file);
      } else {
        ssl_ctx->set_default_verify_paths();
      }
      if (!cfg.tls.cert_file.empty()) {
        ssl_ctx->use_certificate_chain_file(cfg.tls.cert_file);
        ssl_ctx->use_private_key_file(
            cfg.tls.key_file.empty() ? cfg.tls.cert_file : cfg.tls.key_file,
            asio::ssl::context::pem);
      }
    } catch (const std::exception& e) {
      throw std::invalid_argument(std::string("session: TLS setup: ") + e.what());
    }
  }
  const auto add_link = [&](std::uint32_t bind_command, bool tx, bool rx) {
    auto l = std::make_unique<Link>(strand, cfg);
    l->index = nlinks;
    l->bind_command = bind_command;
    l->can_tx = tx;
    l->can_rx = rx;
    links[nlinks++] = std::move(l);
  };
  switch (cfg.bind_type) {
    case BindType::transceiver:
      add_link(cmd::bind_transceiver, true, true);
      break;
    case BindType::receiver:
      add_link(cmd::bind_receiver, false, true);
      break;
    case BindType::transmitter:
      add_link(cmd::bind_transmitter, true, false);
      break;
    case BindType::receiver_transmitter:
      add_link(cmd::bind_receiver, false, true);
      add_link(cmd::bind_transmitter, true, false);
      break;
  }
  for (int i = 0; i < nlinks; ++i) {
    if (links[i]->can_tx) tx_link = i;
  }
  auto smallest = std::min({cfg.request_timeout, cfg.enquire_link_interval,
                            cfg.enquire_link_timeout, cfg.bind_timeout, cfg.connect_timeout});
  tick_interval =
      std::clamp(smallest / 4, std::chrono::milliseconds{5}, std::chrono::milliseconds{100});
}

std::shared_ptr<Session> Session::Impl::self() {
  return owner.shared_from_this();
}

void Session::Impl::log(LogLevel level, const std::string& text) {
  if (on_log) on_log(level, text);
}

void Session::Impl::start() {
  if (started || stopping) return;
  started = true;
  for (int i = 0; i < nlinks; ++i) connect(*links[i]);
  arm_tick();
}

void Session::Impl::arm_tick() {
  tick_timer.expires_after(tick_interval);
  tick_timer.async_wait([s = self()](boost::system::error_code ec) {
    if (ec) return;
    s->impl_->tick();
  });
}

void Session::Impl::stop(bool graceful, std::function<void()> cb) {
  accepting.store(false);
  if (stopping) {
    if (cb) {
      if (finished) {
        asio::post(strand, std::move(cb));
      } else {
        extra_stopped.push_back(std::move(cb));
      }
    }
    return;
  }
  stopping = true;
  on_stopped = std::move(cb);
  drain_mailbox();  // fails queued submits, sends pending inbound responses
  fail_queue();
  pump_timer.cancel();
  const auto now = SessionClock::now();
  for (int i = 0; i < nlinks; ++i) {
    Link& l = *links[i];
    l.backoff_timer.cancel();
    if (graceful && l.state == LinkState::bound) {
      l.stop_deadline = now + cfg.shutdown_timeout;
      set_state(l, LinkState::unbinding, {}, 0, {});
    } else if (l.state != LinkState::stopped) {
      link_down(l, make_error_code(errc::shutting_down), 0);
    }
  }
  if (!started) {
    for (int i = 0; i < nlinks; ++i) links[i]->state = LinkState::stopped;
  }
  check_stopped();
}

void Session::Impl::check_stopped() {
  if (!stopping || finished) return;
  for (int i = 0; i < nlinks; ++i) {
    if (links[i]->state != LinkState::stopped) return;
  }
  finished = true;
  tick_timer.cancel();
  pump_timer.cancel();
  if (on_stopped) asio::post(strand, std::move(on_stopped));
  for (auto& cb : extra_stopped) asio::post(strand, std::move(cb));
  extra_stopped.clear();
}

void Session::Impl::fail_queue() {
  while (!queue.empty()) {
    auto item = std::move(queue.front());
    queue.pop_front();
    queued.fetch_sub(1, std::memory_order_relaxed);
    complete(item.cb, make_error_code(errc::shutting_down), 0, {}, item.attempts);
  }
}

void Session::Impl::drain_mailbox() {
  FlushBatch batch(*this);  // the responses and the submits it releases: one write
  {
    std::lock_guard lock(mailbox_mu);
    mailbox_posted = false;
    scratch_submits.swap(mailbox_submits);
    scratch_responses.swap(mailbox_responses);
  }
  for (auto& item : scratch_submits) {
    if (stopping) {
      queued.fetch_sub(1, std::memory_order_relaxed);
      complete(item.cb, make_error_code(errc::shutting_down), 0, {}, 0);
    } else {
      queue.push_back(std::move(item));
    }
  }
  scratch_submits.clear();
  for (const auto& r : scratch_responses) send_inbound_response(r);
  scratch_responses.clear();
  pump();
}

void Session::Impl::complete(SubmitCallback& cb, std::error_code ec, std::uint32_t status,
                             std::string_view message_id, std::uint32_t attempts) {
  SubmitResult r;
  r.status = status;
  r.error = ec;
  r.attempts = attempts;
  r.message_id.assign(message_id);
  const bool ok = !ec && status == status::ok;
  if (ok) {
    counters.submits_ok.fetch_add(1, std::memory_order_relaxed);
  } else {
    r.retryable = ec ? ec != make_error_code(errc::generic_nack) || is_retryable_status(status)
                     : is_retryable_status(status);
    counters.submits_failed.fetch_add(1, std::memory_order_relaxed);
    if (r.retryable) counters.submits_retryable.fetch_add(1, std::memory_order_relaxed);
  }
  if (cb) cb(r);
}

// --- Impl: connecting and binding ----------------------------------------------------------

void Session::Impl::connect(Link& l) {
  if (stopping) return;
  const std::uint64_t gen = ++l.generation;
  counters.connects.fetch_add(1, std::memory_order_relaxed);
  if (l.ever_connected) counters.reconnects.fetch_add(1, std::memory_order_relaxed);
  l.ever_connected = true;
  l.reset_io(strand, ssl_ctx.get());
  if (l.tls) {
    const std::string& name = cfg.tls.server_name.empty() ? cfg.host : cfg.tls.server_name;
    SSL_set_tlsext_host_name(l.tls->native_handle(), name.c_str());
    if (cfg.tls.verify) {
      l.tls->set_verify_mode(asio::ssl::verify_peer);
      l.tls->set_verify_callback(asio::ssl::host_name_verification(name));
    } else {
      l.tls->set_verify_mode(asio::ssl::verify_none);
    }
  }
  l.state_deadline = SessionClock::now() + cfg.connect_timeout;
  set_state(l, LinkState::connecting, {}, 0, {});
  l.resolver.async_resolve(
      cfg.host, std::to_string(cfg.port),
      [s = self(), &l, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
        auto& m = *s->impl_;
        if (l.generation != gen) return;
        if (ec) return m.link_down(l, ec, 0);
        asio::async_connect(l.lowest(), results,
                            [s, &l, gen](boost::system::error_code ec, const tcp::endpoint&) {
                              s->impl_->on_connected(l, gen, ec);
                            });
      });
}

void Session::Impl::on_connected(Link& l, std::uint64_t gen, boost::system::error_code ec) {
  if (l.generation != gen) return;
  if (ec) return link_down(l, ec, 0);
  boost::system::error_code ignored;
  l.lowest().set_option(tcp::no_delay(true), ignored);
  if (!l.tls) return send_bind(l);
  l.tls->async_handshake(asio::ssl::stream_base::client,
                         [s = self(), &l, gen](boost::system::error_code ec) {
                           auto& m = *s->impl_;
                           if (l.generation != gen) return;
                           if (ec) {
                             m.log(LogLevel::warn, m.cfg.name + ": TLS handshake: " + ec.message());
                             return m.link_down(l, ec, 0);
                           }
                           m.send_bind(l);
                         });
}

void Session::Impl::send_bind(Link& l) {
  Pdu pdu = make_pdu(l.bind_command, l.next_seq());
  auto& b = std::get<BindRequest>(pdu.body);
  b.system_id = cfg.system_id;
  b.password = cfg.password;
  b.system_type = cfg.system_type;
  b.interface_version = cfg.interface_version;
  b.addr_ton = cfg.addr_ton;
  b.addr_npi = cfg.addr_npi;
  b.address_range = cfg.address_range;
  l.bind_seq = pdu.header.sequence_number;
  l.state_deadline = SessionClock::now() + cfg.bind_timeout;
  set_state(l, LinkState::binding, {}, 0, {});
  send_pdu(l, pdu);
  start_read(l);
}

void Session::Impl::on_bind_resp(Link& l, const Pdu& pdu) {
  const std::uint32_t st = pdu.header.command_status;
  if (st == status::ok && pdu.header.command_id != cmd::generic_nack) {
    counters.binds_ok.fetch_add(1, std::memory_order_relaxed);
    l.backoff.reset();
    l.last_rx = SessionClock::now();
    set_state(l, LinkState::bound, {}, 0, {});
    log(LogLevel::info, cfg.name + ": bound link=" + std::to_string(l.index));
    if (l.can_tx) pump();
    return;
  }
  counters.bind_failures.fetch_add(1, std::memory_order_relaxed);
  const std::string why =
      "bind refused status=" + std::to_string(st) + " " + std::string(status_name(st));
  link_down(l, make_error_code(errc::bind_refused), st, why);
}

void Session::Impl::link_down(Link& l, std::error_code ec, std::uint32_t bind_status,
                              std::string_view why) {
  if (l.state == LinkState::stopped) return;
  const bool was_bound = l.state == LinkState::bound || l.state == LinkState::unbinding;
  ++l.generation;  // every pending handler of this connection is now stale
  l.close_io();
  const auto lost = stopping && ec == make_error_code(errc::shutting_down)
                        ? ec
                        : make_error_code(errc::connection_lost);
  // Every request without an answer goes back to its caller: never dropped silently.
  auto inflight = std::move(l.inflight);
  l.inflight.clear();
  for (auto& [seq, f] : inflight) {
    if (f.kind == detail::RequestKind::user) complete(f.cb, lost, 0, {}, f.attempts);
  }
  l.timeouts.clear();
  l.submits_in_flight = 0;
  counters.inbound_unanswered.fetch_sub(l.unanswered, std::memory_order_relaxed);
  l.unanswered = 0;
  l.read_paused = false;
  l.enquire_pending = false;
  l.unbind_sent = false;
  l.down_after_flush = false;
  update_window_gauge();
  if (was_bound) counters.link_drops.fetch_add(1, std::memory_order_relaxed);
  if (ec && ec != make_error_code(errc::shutting_down)) {
    std::string text = why.empty() ? ec.message() : std::string(why);
    log(LogLevel::warn, cfg.name + ": link=" + std::to_string(l.index) + " down: " + text);
    set_last_error(std::move(text));
  }
  if (stopping) {
    set_state(l, LinkState::stopped, ec, bind_status, {});
    check_stopped();
    return;
  }
  auto delay = l.backoff.next();
  if (ec == make_error_code(errc::bind_refused)) delay = std::max(delay, cfg.bind_failure_backoff);
  set_state(l, LinkState::backoff, ec, bind_status, delay);
  const std::uint64_t gen = l.generation;
  l.backoff_timer.expires_after(delay);
  l.backoff_timer.async_wait([s = self(), &l, gen](boost::system::error_code e) {
    if (e || l.generation != gen) return;
    s->impl_->connect(l);
  });
}

void Session::Impl::drop_after_flush(Link& l, std::error_code ec, std::string why) {
  l.down_after_flush = true;
  l.down_error = ec;
  l.down_why = std::move(why);
  l.state_deadline = SessionClock::now() + std::chrono::seconds(1);
  if (!l.writing && l.wpending.empty()) link_down(l, ec, 0, l.down_why);
}

void Session::Impl::set_state(Link& l, LinkState st, std::error_code ec, std::uint32_t bind_status,
                              std::chrono::milliseconds backoff) {
  l.state = st;
  link_states[l.index].store(static_cast<std::uint8_t>(st), std::memory_order_relaxed);
  if (on_state) {
    StateEvent ev;
    ev.link = l.index;
    ev.state = st;
    ev.error = ec;
    ev.bind_status = bind_status;
    ev.backoff = backoff;
    on_state(ev);
  }
}

// --- Impl: timers ----------------------------------------------------------------------------

void Session::Impl::tick() {
  const auto now = SessionClock::now();
  for (int i = 0; i < nlinks; ++i) tick_link(*links[i], now);
  if (!finished) arm_tick();
}

void Session::Impl::tick_link(Link& l, SessionClock::time_point now) {
  switch (l.state) {
    case LinkState::connecting:
    case LinkState::binding:
      if (now >= l.state_deadline) link_down(l, make_error_code(errc::timeout), 0);
      return;
    case LinkState::bound:
    case LinkState::unbinding:
      break;
    default:
      return;
  }
  if (l.down_after_flush) {
    if (now >= l.state_deadline) link_down(l, l.down_error, 0, l.down_why);
    return;
  }
  const std::uint64_t gen = l.generation;
  while (!l.timeouts.empty() && l.timeouts.front().deadline <= now) {
    const auto t = l.timeouts.front();
    l.timeouts.pop_front();
    auto it = l.inflight.find(t.sequence_number);
    if (it == l.inflight.end() || it->second.serial != t.serial) continue;
    auto f = std::move(it->second);
    l.inflight.erase(it);
    switch (f.kind) {
      case detail::RequestKind::user:
        --l.submits_in_flight;
        counters.timeouts.fetch_add(1, std::memory_order_relaxed);
        update_window_gauge();
        complete(f.cb, make_error_code(errc::timeout), 0, {}, f.attempts);
        break;
      case detail::RequestKind::enquire_link:
      case detail::RequestKind::unbind:
        break;  // never queued here: they have their own deadlines below
    }
    if (l.generation != gen) return;
  }
  // enquire_link and unbind have shorter timeouts than submits: checked on their own, not
  // behind the submits in the (send-ordered) timeout list.
  if (l.enquire_pending && now >= l.enquire_deadline) {
    return link_down(l, make_error_code(errc::timeout), 0, "enquire_link unanswered: dead link");
  }
  if (l.unbind_sent && now >= l.unbind_deadline) {
    return link_down(l, make_error_code(errc::shutting_down), 0);
  }
  if (l.state == LinkState::bound) {
    if (!l.enquire_pending && now - l.last_rx >= cfg.enquire_link_interval) {
      l.enquire_pending = true;
      counters.enquire_links_sent.fetch_add(1, std::memory_order_relaxed);
      send_request(l, detail::RequestKind::enquire_link, cmd::enquire_link, {}, {}, 0,
                   cfg.enquire_link_timeout);
    }
    if (l.can_tx) pump();
    return;
  }
  // unbinding: wait (bounded) for outstanding answers both ways, then unbind.
  if (!l.unbind_sent &&
      ((l.submits_in_flight == 0 && l.unanswered == 0) || now >= l.stop_deadline)) {
    l.unbind_sent = true;
    send_request(l, detail::RequestKind::unbind, cmd::unbind, {}, {}, 0, cfg.unbind_timeout);
  }
}

// --- Impl: sending ---------------------------------------------------------------------------

void Session::Impl::pump() {
  if (tx_link < 0 || stopping) return;
  FlushBatch batch(*this);  // every submit_sm the window takes now: one write
  Link& l = *links[tx_link];
  if (l.state != LinkState::bound || l.down_after_flush || queue.empty()) return;
  const auto now = SessionClock::now();
  if (now < paused_until) return arm_pump(paused_until);
  while (!queue.empty() && l.submits_in_flight < cfg.window) {
    if (!bucket.try_take(now)) {
      arm_pump(now + bucket.wait_time(now));
      break;
    }
    auto item = std::move(queue.front());
    queue.pop_front();
    queued.fetch_sub(1, std::memory_order_relaxed);
    ++l.submits_in_flight;
    send_request(l, detail::RequestKind::user, item.command_id, std::move(item.frame),
                 std::move(item.cb), item.attempts, cfg.request_timeout);
  }
  update_window_gauge();
}

void Session::Impl::arm_pump(SessionClock::time_point at) {
  if (pump_armed && pump_at <= at) return;
  pump_armed = true;
  pump_at = at;
  pump_timer.expires_at(at);
  pump_timer.async_wait([s = self(), at](boost::system::error_code ec) {
    auto& m = *s->impl_;
    if (ec || m.pump_at != at) return;
    m.pump_armed = false;
    m.pump();
  });
}

void Session::Impl::send_request(Link& l, detail::RequestKind kind, std::uint32_t command_id,
                                 std::string frame, SubmitCallback cb, std::uint32_t attempts,
                                 std::chrono::milliseconds timeout) {
  const std::uint32_t seq = l.next_seq();
  if (frame.empty()) {
    frame.resize(header_size);
    store_be32(frame.data(), header_size);
    store_be32(frame.data() + 4, command_id);
    store_be32(frame.data() + 8, 0);
  }
  patch_sequence_number(frame, seq);
  send_frame(l, frame);
  const auto deadline = SessionClock::now() + timeout;
  const std::uint64_t serial = ++l.serial;
  detail::InFlight f;
  f.kind = kind;
  f.command_id = command_id;
  f.attempts = attempts + 1;
  f.serial = serial;
  f.cb = std::move(cb);
  if (kind == detail::RequestKind::user) f.frame = std::move(frame);
  l.inflight.insert_or_assign(seq, std::move(f));
  if (kind == detail::RequestKind::user) {
    l.timeouts.push_back(detail::TimeoutEntry{deadline, serial, seq});
  } else if (kind == detail::RequestKind::enquire_link) {
    l.enquire_deadline = deadline;
  } else {
    l.unbind_deadline = deadline;
  }
  flush(l);
}

void Session::Impl::trim_timeouts(Link& l) {
  const auto live = [&l](const detail::TimeoutEntry& t) {
    auto it = l.inflight.find(t.sequence_number);
    return it != l.inflight.end() && it->second.serial == t.serial;
  };
  // Answered requests leave their entry behind; drop them from the front at once, and compact
  // when a stuck request at the front holds many behind it, so memory follows the window and
  // not the request rate.
  while (!l.timeouts.empty() && !live(l.timeouts.front())) l.timeouts.pop_front();
  if (l.timeouts.size() > 4 * static_cast<std::size_t>(cfg.window) + 64) {
    std::erase_if(l.timeouts, [&](const detail::TimeoutEntry& t) { return !live(t); });
  }
}

void Session::Impl::send_frame(Link& l, std::string_view frame) {
  l.wpending.append(frame);
  count_out(load_be32(frame.data() + 4));
}

void Session::Impl::send_pdu(Link& l, const Pdu& pdu) {
  const std::size_t before = l.wpending.size();
  if (auto err = encode(pdu, l.wpending)) {
    l.wpending.resize(before);
    log(LogLevel::error, cfg.name + ": encode failed: " + err.code.message());
    return;
  }
  count_out(pdu.header.command_id);
  flush(l);
}

void Session::Impl::send_generic_nack(Link& l, std::uint32_t st, std::uint32_t seq) {
  char h[header_size];
  store_be32(h, header_size);
  store_be32(h + 4, cmd::generic_nack);
  store_be32(h + 8, st);
  store_be32(h + 12, seq);
  counters.generic_nacks_sent.fetch_add(1, std::memory_order_relaxed);
  send_frame(l, std::string_view(h, header_size));
  flush(l);
}

void Session::Impl::flush(Link& l) {
  if (flush_hold > 0 || l.writing || l.wpending.empty() || (!l.sock && !l.tls)) return;
  l.wactive.swap(l.wpending);
  l.wpending.clear();
  l.writing = true;
  counters.bytes_out.fetch_add(l.wactive.size(), std::memory_order_relaxed);
  counters.writes.fetch_add(1, std::memory_order_relaxed);
  const std::uint64_t gen = l.generation;
  auto handler = [s = self(), &l, gen](boost::system::error_code ec, std::size_t) {
    auto& m = *s->impl_;
    if (l.generation != gen) return;
    l.writing = false;
    l.wactive.clear();
    if (ec) return m.link_down(l, ec, 0);
    if (!l.wpending.empty()) return m.flush(l);
    if (l.down_after_flush) m.link_down(l, l.down_error, 0, l.down_why);
  };
  if (l.tls) {
    asio::async_write(*l.tls, asio::buffer(l.wactive), std::move(handler));
  } else {
    asio::async_write(*l.sock, asio::buffer(l.wactive), std::move(handler));
  }
}

void Session::Impl::send_inbound_response(const detail::InboundResponse& r) {
  if (r.link < 0 || r.link >= nlinks) return;
  Link& l = *links[r.link];
  if (l.generation != r.generation ||
      (l.state != LinkState::bound && l.state != LinkState::unbinding)) {
    counters.inbound_discarded.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Header h;
  h.command_id = r.command_id;
  h.sequence_number = r.sequence_number;
  send_pdu(l, make_response(h, r.status));
  (r.status == status::ok ? counters.inbound_acked : counters.inbound_nacked)
      .fetch_add(1, std::memory_order_relaxed);
  if (l.unanswered > 0) {
    --l.unanswered;
    counters.inbound_unanswered.fetch_sub(1, std::memory_order_relaxed);
  }
  if (l.read_paused && l.unanswered < cfg.max_unanswered_inbound) {
    l.read_paused = false;
    process_buffer(l);
  }
}

// --- Impl: receiving -------------------------------------------------------------------------

void Session::Impl::start_read(Link& l) {
  if (l.reading || l.read_paused || (!l.sock && !l.tls)) return;
  if (l.rstart == l.rend) l.rstart = l.rend = 0;
  if (l.rbuf.size() - l.rend < 4096 && l.rstart > 0) {
    std::memmove(l.rbuf.data(), l.rbuf.data() + l.rstart, l.rend - l.rstart);
    l.rend -= l.rstart;
    l.rstart = 0;
  }
  if (l.rbuf.size() - l.rend < 4096) l.rbuf.resize(l.rbuf.size() * 2);
  l.reading = true;
  const std::uint64_t gen = l.generation;
  auto handler = [s = self(), &l, gen](boost::system::error_code ec, std::size_t n) {
    auto& m = *s->impl_;
    if (l.generation != gen) return;
    l.reading = false;
    if (ec) return m.link_down(l, ec, 0);
    l.rend += n;
    m.counters.bytes_in.fetch_add(n, std::memory_order_relaxed);
    l.last_rx = SessionClock::now();
    m.process_buffer(l);
  };
  auto buf = asio::buffer(l.rbuf.data() + l.rend, l.rbuf.size() - l.rend);
  if (l.tls) {
    l.tls->async_read_some(buf, std::move(handler));
  } else {
    l.sock->async_read_some(buf, std::move(handler));
  }
}

void Session::Impl::process_buffer(Link& l) {
  FlushBatch batch(*this);  // the answers to everything this read brought: one write
  const std::uint64_t gen = l.generation;
  while (!l.down_after_flush) {
    if (l.unanswered >= cfg.max_unanswered_inbound) {
      l.read_paused = true;  // back-pressure: resumes when the application answers
      return;
    }
    const std::string_view buffered(l.rbuf.data() + l.rstart, l.rend - l.rstart);
    const FrameCheck fc = check_frame(buffered, cfg.max_command_length);
    if (fc.kind == FrameCheck::Kind::need_more) {
      // Make room for a whole frame whose length is known and already checked.
      if (fc.length > 0 && l.rbuf.size() - l.rstart < fc.length + 4096) {
        l.rbuf.resize(std::max<std::size_t>(l.rbuf.size(), fc.length + 8192));
      }
      break;
    }
    if (fc.kind == FrameCheck::Kind::invalid) {
      send_generic_nack(l, command_status_for(fc.error), fc.sequence_number);
      l.rstart = l.rend = 0;
      return drop_after_flush(l, fc.error, "invalid frame: " + fc.error.message());
    }
    const std::string_view frame = buffered.substr(0, fc.length);
    l.rstart += fc.length;
    handle_frame(l, frame);
    if (l.generation != gen) return;
  }
  if (!l.down_after_flush) start_read(l);
}

void Session::Impl::handle_frame(Link& l, std::string_view frame) {
  Pdu pdu;
  const DecodeError err = decode(frame, pdu);
  const Header& h = pdu.header;
  count_in(h.command_id);
  if (is_response(h.command_id)) return handle_response(l, pdu, err);
  switch (h.command_id) {
    case cmd::enquire_link:
      return send_pdu(l, make_response(h, status::ok));
    case cmd::deliver_sm:
    case cmd::data_sm:
      return handle_inbound(l, pdu, err);
    case cmd::unbind:
      send_pdu(l, make_response(h, status::ok));
      return drop_after_flush(l, make_error_code(errc::not_bound), "SMSC sent unbind");
    case cmd::alert_notification:
    case cmd::outbind:
      return;  // no response defined
    default:
      break;
  }
  if (!is_known_command(h.command_id)) {
    return send_generic_nack(l, status::invcmdid, h.sequence_number);
  }
  send_pdu(l, make_response(h, err ? command_status_for(err.code) : status::invcmdid));
}

void Session::Impl::handle_inbound(Link& l, const Pdu& pdu, const DecodeError& err) {
  const Header& h = pdu.header;
  if (err) return send_pdu(l, make_response(h, command_status_for(err.code)));
  if (!l.can_rx || (l.state != LinkState::bound && l.state != LinkState::unbinding)) {
    return send_pdu(l, make_response(h, status::invbndsts));
  }
  counters.inbound_received.fetch_add(1, std::memory_order_relaxed);
  if (stopping || !on_inbound) {
    // Late deliver_sm while unbinding (or nobody to take it): the SMSC retries it later.
    counters.inbound_nacked.fetch_add(1, std::memory_order_relaxed);
    return send_pdu(l, make_response(h, status::x_t_appn));
  }
  ++l.unanswered;
  counters.inbound_unanswered.fetch_add(1, std::memory_order_relaxed);
  on_inbound(pdu, Session::make_completion(owner.weak_from_this(), l.index, l.generation,
                                           h.command_id, h.sequence_number));
}

void Session::Impl::handle_response(Link& l, const Pdu& pdu, const DecodeError& err) {
  const Header& h = pdu.header;
  if (h.command_status != status::ok) note_error_status(h.command_status);
  if (l.state == LinkState::binding && h.sequence_number == l.bind_seq &&
      (h.command_id == response_id(l.bind_command) || h.command_id == cmd::generic_nack)) {
    return on_bind_resp(l, pdu);
  }
  auto it = l.inflight.find(h.sequence_number);
  if (it == l.inflight.end() ||
      (h.command_id != cmd::generic_nack && h.command_id != response_id(it->second.command_id))) {
    counters.unknown_responses.fetch_add(1, std::memory_order_relaxed);
    log(LogLevel::debug,
        cfg.name + ": unknown response dropped seq=" + std::to_string(h.sequence_number));
    return;  // never nack a response
  }
  auto f = std::move(it->second);
  l.inflight.erase(it);
  trim_timeouts(l);
  switch (f.kind) {
    case detail::RequestKind::enquire_link:
      l.enquire_pending = false;
      return;
    case detail::RequestKind::unbind:
      return link_down(l, make_error_code(errc::shutting_down), 0);
    case detail::RequestKind::user:
      break;
  }
  --l.submits_in_flight;
  const bool nack = h.command_id == cmd::generic_nack;
  const std::uint32_t st = h.command_status;
  if (!nack && (st == status::throttled || st == status::msgqful)) {
    // Back to the head of the queue; it gets a new sequence number when it goes out again.
    counters.throttles.fetch_add(1, std::memory_order_relaxed);
    const auto now = SessionClock::now();
    paused_until = std::max(paused_until, now + throttle_backoff.next());
    queued.fetch_add(1, std::memory_order_relaxed);
    queue.push_front(
        detail::OutItem{std::move(f.frame), std::move(f.cb), f.command_id, f.attempts});
    update_window_gauge();
    return arm_pump(paused_until);
  }
  if (st == status::ok && !nack) throttle_backoff.reset();
  std::string_view message_id;
  if (!err) {
    if (auto* r = pdu.as<MessageIdResp>()) message_id = r->message_id;
    if (auto* r = pdu.as<QuerySmResp>()) message_id = r->message_id;
    if (auto* r = pdu.as<SubmitMultiResp>()) message_id = r->message_id;
  }
  std::error_code ec;
  if (nack) {
    ec = make_error_code(errc::generic_nack);
  } else if (err && st == status::ok) {
    ec = err.code;  // undecodable success response: the caller cannot know the message_id
  }
  complete(f.cb, ec, st, message_id, f.attempts);
  update_window_gauge();
  pump();
}

}  // namespace twoway::smpp
