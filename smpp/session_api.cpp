// The public face of smpp::Session (submit, stop, stats, InboundCompletion): thread-safe entry
// points that hand work to the session's strand through a mailbox.
#include <algorithm>
#include <stdexcept>

#include "smpp/session_detail.hpp"

namespace twoway::smpp {

namespace asio = boost::asio;

// --- InboundCompletion -----------------------------------------------------------------------

InboundCompletion::InboundCompletion(InboundCompletion&& o) noexcept
    : session_(std::move(o.session_)),
      link_(o.link_),
      generation_(o.generation_),
      command_id_(o.command_id_),
      sequence_number_(o.sequence_number_),
      done_(o.done_) {
  o.done_ = true;
}

InboundCompletion& InboundCompletion::operator=(InboundCompletion&& o) noexcept {
  if (this != &o) {
    if (!done_) respond(status::x_t_appn);
    session_ = std::move(o.session_);
    link_ = o.link_;
    generation_ = o.generation_;
    command_id_ = o.command_id_;
    sequence_number_ = o.sequence_number_;
    done_ = o.done_;
    o.done_ = true;
  }
  return *this;
}

InboundCompletion::~InboundCompletion() {
  if (!done_) respond(status::x_t_appn);
}

void InboundCompletion::respond(std::uint32_t command_status) {
  if (done_) return;
  done_ = true;
  if (auto s = session_.lock()) {
    s->post_inbound_response(link_, generation_, command_id_, sequence_number_, command_status);
  }
}

void InboundCompletion::respond_all(std::span<InboundCompletion* const> completions,
                                    std::uint32_t command_status) {
  // Usually all from one or a few sessions: a short list, searched linearly.
  std::vector<std::pair<std::shared_ptr<Session>, std::vector<detail::InboundResponse>>> by_session;
  for (InboundCompletion* c : completions) {
    if (c == nullptr || c->done_) continue;
    c->done_ = true;
    auto s = c->session_.lock();
    if (!s) continue;
    auto it = std::find_if(by_session.begin(), by_session.end(),
                           [&](const auto& g) { return g.first == s; });
    if (it == by_session.end()) {
      by_session.emplace_back(std::move(s), std::vector<detail::InboundResponse>{});
      it = std::prev(by_session.end());
    }
    it->second.push_back(detail::InboundResponse{c->generation_, c->command_id_,
                                                 c->sequence_number_, command_status, c->link_});
  }
  for (auto& [session, responses] : by_session) session->post_inbound_responses(responses);
}

// --- Session ---------------------------------------------------------------------------------

std::shared_ptr<Session> Session::create(asio::io_context& io, SessionConfig config) {
  if (config.window == 0) throw std::invalid_argument("session: window must be at least 1");
  if (config.host.empty()) throw std::invalid_argument("session: host is empty");
  if (config.max_unanswered_inbound == 0) {
    throw std::invalid_argument("session: max_unanswered_inbound must be at least 1");
  }
  if (config.max_command_length < 64) {
    throw std::invalid_argument("session: max_command_length below 64");
  }
  return std::shared_ptr<Session>(new Session(io, std::move(config)));
}

Session::Session(asio::io_context& io, SessionConfig config) : config_(std::move(config)) {
  impl_ = std::make_unique<Impl>(*this, io);
}

Session::~Session() = default;

void Session::on_inbound(InboundCallback cb) {
  impl_->on_inbound = std::move(cb);
}
void Session::on_state(StateCallback cb) {
  impl_->on_state = std::move(cb);
}
void Session::on_log(LogCallback cb) {
  impl_->on_log = std::move(cb);
}

void Session::start() {
  asio::post(impl_->strand, [self = shared_from_this()] { self->impl_->start(); });
}

void Session::stop(bool graceful, std::function<void()> on_stopped) {
  impl_->accepting.store(false);
  asio::post(impl_->strand,
             [self = shared_from_this(), graceful, cb = std::move(on_stopped)]() mutable {
               self->impl_->stop(graceful, std::move(cb));
             });
}

std::error_code Session::submit(const Pdu& request, SubmitCallback cb) {
  std::string frame;
  if (auto err = encode(request, frame)) return err.code;
  return submit(std::move(frame), std::move(cb));
}

std::error_code Session::submit(std::string frame, SubmitCallback cb) {
  if (frame.size() < header_size || load_be32(frame.data()) != frame.size()) {
    return make_error_code(errc::command_length_too_short);
  }
  const std::uint32_t id = load_be32(frame.data() + 4);
  switch (id) {
    case cmd::submit_sm:
    case cmd::data_sm:
    case cmd::query_sm:
    case cmd::cancel_sm:
    case cmd::replace_sm:
    case cmd::submit_multi:
    case cmd::broadcast_sm:
    case cmd::query_broadcast_sm:
    case cmd::cancel_broadcast_sm:
      break;
    default:
      return make_error_code(errc::unknown_command);
  }
  if (config_.bind_type == BindType::receiver) return make_error_code(errc::not_bound);
  auto& m = *impl_;
  if (!m.accepting.load(std::memory_order_relaxed)) return make_error_code(errc::shutting_down);
  if (m.queued.fetch_add(1, std::memory_order_relaxed) >= config_.max_queue) {
    m.queued.fetch_sub(1, std::memory_order_relaxed);
    return make_error_code(errc::window_full);
  }
  m.counters.submits_accepted.fetch_add(1, std::memory_order_relaxed);
  bool post = false;
  {
    std::lock_guard lock(m.mailbox_mu);
    m.mailbox_submits.push_back(detail::OutItem{std::move(frame), std::move(cb), id, 0});
    post = !m.mailbox_posted;
    m.mailbox_posted = true;
  }
  if (post) asio::post(m.strand, [self = shared_from_this()] { self->impl_->drain_mailbox(); });
  return {};
}

void Session::post_inbound_response(int link, std::uint64_t generation, std::uint32_t command_id,
                                    std::uint32_t sequence_number, std::uint32_t status) {
  auto& m = *impl_;
  bool post = false;
  {
    std::lock_guard lock(m.mailbox_mu);
    m.mailbox_responses.push_back(
        detail::InboundResponse{generation, command_id, sequence_number, status, link});
    post = !m.mailbox_posted;
    m.mailbox_posted = true;
  }
  if (post) asio::post(m.strand, [self = shared_from_this()] { self->impl_->drain_mailbox(); });
}

template <class Responses>
void Session::post_inbound_responses(Responses& responses) {
  auto& m = *impl_;
  bool post = false;
  {
    std::lock_guard lock(m.mailbox_mu);
    m.mailbox_responses.insert(m.mailbox_responses.end(), responses.begin(), responses.end());
    post = !m.mailbox_posted;
    m.mailbox_posted = true;
  }
  if (post) asio::post(m.strand, [self = shared_from_this()] { self->impl_->drain_mailbox(); });
}

SessionStats Session::stats() const {
  return impl_->snapshot();
}

// --- Impl: stats -----------------------------------------------------------------------------

void Session::Impl::count_in(std::uint32_t command_id) {
  counters.pdus_in[detail::command_slot(command_id)].fetch_add(1, std::memory_order_relaxed);
}
void Session::Impl::count_out(std::uint32_t command_id) {
  counters.pdus_out[detail::command_slot(command_id)].fetch_add(1, std::memory_order_relaxed);
}

void Session::Impl::update_window_gauge() {
  if (tx_link >= 0) {
    const std::uint32_t used = links[tx_link]->submits_in_flight;
    window_in_use.store(used, std::memory_order_relaxed);
    if (used > window_peak.load(std::memory_order_relaxed)) {
      window_peak.store(used, std::memory_order_relaxed);
    }
  }
}

void Session::Impl::note_error_status(std::uint32_t st) {
  std::lock_guard lock(stats_mu);
  ++errors_by_status[st];
}

void Session::Impl::set_last_error(std::string text) {
  std::lock_guard lock(stats_mu);
  last_error = std::move(text);
}

SessionStats Session::Impl::snapshot() const {
  SessionStats s;
  s.links = nlinks;
  LinkState agg = LinkState::bound;
  for (int i = 0; i < nlinks; ++i) {
    const auto st = static_cast<LinkState>(link_states[i].load(std::memory_order_relaxed));
    s.link_states[i] = st;
    if (st != LinkState::bound) agg = (agg == LinkState::bound) ? st : agg;
  }
  s.state = agg;
  s.window_size = cfg.window;
  s.window_in_use = window_in_use.load(std::memory_order_relaxed);
  s.window_peak = window_peak.load(std::memory_order_relaxed);
  s.queue_depth = queued.load(std::memory_order_relaxed);
  s.inbound_unanswered =
      static_cast<std::uint32_t>(counters.inbound_unanswered.load(std::memory_order_relaxed));
  const auto ld = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  s.submits_accepted = ld(counters.submits_accepted);
  s.submits_ok = ld(counters.submits_ok);
  s.submits_failed = ld(counters.submits_failed);
  s.submits_retryable = ld(counters.submits_retryable);
  s.timeouts = ld(counters.timeouts);
  s.throttles = ld(counters.throttles);
  s.connects = ld(counters.connects);
  s.reconnects = ld(counters.reconnects);
  s.binds_ok = ld(counters.binds_ok);
  s.bind_failures = ld(counters.bind_failures);
  s.link_drops = ld(counters.link_drops);
  s.enquire_links_sent = ld(counters.enquire_links_sent);
  s.inbound_received = ld(counters.inbound_received);
  s.inbound_acked = ld(counters.inbound_acked);
  s.inbound_nacked = ld(counters.inbound_nacked);
  s.inbound_discarded = ld(counters.inbound_discarded);
  s.unknown_responses = ld(counters.unknown_responses);
  s.generic_nacks_sent = ld(counters.generic_nacks_sent);
  s.bytes_in = ld(counters.bytes_in);
  s.bytes_out = ld(counters.bytes_out);
  s.writes = ld(counters.writes);
  for (std::size_t i = 0; i < detail::command_slots; ++i) {
    if (auto n = ld(counters.pdus_in[i])) s.pdus_in[detail::slot_command(i)] = n;
    if (auto n = ld(counters.pdus_out[i])) s.pdus_out[detail::slot_command(i)] = n;
  }
  std::lock_guard lock(stats_mu);
  s.errors_by_status = errors_by_status;
  s.last_error = last_error;
  return s;
}

}  // namespace twoway::smpp
