// The outbound pump: due outbox messages to submit_sm on the binds. See gateway_pump.hpp.
#include "daemon/gateway_pump.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "daemon/gateway_util.hpp"
#include "smpp/segment.hpp"

namespace twoway::daemon {
namespace {

using gateway_util::now_unix;
using gateway_util::ton_npi;
using gateway_util::wire_number;

// Outbox items claimed and not yet settled, at most (across all binds).
constexpr std::size_t kMaxInFlight = 2000;

/// Whether a submit went wrong on the way (the link, the bind, a timeout: the SMSC decided
/// nothing, or said we are not bound) or the SMSC refused the message.
engine::SubmitFailure submit_failure(const smpp::SubmitResult& r) {
  using F = engine::SubmitFailure;
  if (!r.error) {
    if (r.status == smpp::status::invbndsts) return F::transport;  // it lost our bind
    return smpp::is_retryable_status(r.status) ? F::refused_retryable : F::refused;
  }
  if (r.error.category() != smpp::smpp_category()) return F::transport;  // socket, TLS
  switch (static_cast<smpp::errc>(r.error.value())) {
    case smpp::errc::timeout:
    case smpp::errc::connection_lost:
    case smpp::errc::shutting_down:
    case smpp::errc::not_bound:
    case smpp::errc::window_full:
    case smpp::errc::bind_failed:
    case smpp::errc::bind_refused:
    case smpp::errc::throttled:  // asked to slow down, not refused
      return F::transport;
    default:  // generic_nack, or a request we could not encode
      return r.retryable ? F::refused_retryable : F::refused;
  }
}

}  // namespace

OutboundPump::OutboundPump(boost::asio::io_context& io, engine::Engine& engine, SmscBinds& binds,
                           const NumberRoutes& routes, boost::asio::thread_pool& engine_calls,
                           GatewayCounters& counters)
    : io_(io),
      engine_(engine),
      binds_(binds),
      routes_(routes),
      engine_calls_(engine_calls),
      counters_(counters),
      strand_(boost::asio::make_strand(io)),
      timer_(strand_) {
  engine_.on_handoff([this] { return stopping_.load() ? std::size_t{0} : room(); },
                     [this](std::vector<engine::OutboundItem> items) { take(std::move(items)); });
}

OutboundPump::~OutboundPump() {
  engine_.on_handoff(nullptr, nullptr);
}

std::size_t OutboundPump::room() const {
  const std::size_t flying = in_flight_.load();
  return std::min(binds_.submit_room(), flying < kMaxInFlight ? kMaxInFlight - flying : 0);
}

void OutboundPump::take(std::vector<engine::OutboundItem> items) {
  counters_.outbound_handed_over.fetch_add(items.size(), std::memory_order_relaxed);
  // Each is in flight in the store: one not submitted (the pump stopping) goes again at the
  // next start, like a claimed one.
  boost::asio::post(engine_calls_, [this, items = std::move(items)] {
    if (stopping_.load()) return;
    const auto now = now_unix();
    for (const auto& item : items) submit_item(item, now);
  });
}

void OutboundPump::kick() {
  std::lock_guard lock(run_mu_);
  if (stopping_.load()) return;
  if (runs_queued_ > 0) return;  // a run that has not started yet will see it
  if (runs_going_ < kMaxRuns) {
    ++runs_queued_;
    boost::asio::post(engine_calls_, [this] { run(); });
  } else {
    again_ = true;  // one more when a run ends
  }
}

void OutboundPump::stop() {
  stopping_.store(true);
  engine_.on_handoff(nullptr, nullptr);
  // The timer is the strand's: cancelled there, not from the stopping thread.
  boost::asio::post(strand_, [this] { timer_.cancel(); });
}

void OutboundPump::schedule(std::chrono::milliseconds after) {
  boost::asio::post(strand_, [this, after] {
    if (stopping_.load() || timer_armed_) return;  // an earlier poll comes first
    timer_armed_ = true;
    timer_.expires_after(after);
    // The handler runs on the strand (the timer's executor).
    timer_.async_wait([this](const boost::system::error_code& ec) {
      timer_armed_ = false;
      if (!ec) kick();
    });
  });
}

void OutboundPump::finish_run() {
  std::lock_guard lock(run_mu_);
  --runs_going_;
  if (again_ && !stopping_.load() && runs_queued_ == 0) {
    again_ = false;
    ++runs_queued_;
    boost::asio::post(engine_calls_, [this] { run(); });
  }
}

void OutboundPump::run() {
  // However the run ends (an exception included), the next kick can start another.
  struct Finish {
    OutboundPump* pump;
    ~Finish() { pump->finish_run(); }
  } finish{this};
  {
    std::lock_guard lock(run_mu_);
    --runs_queued_;
    ++runs_going_;
  }
  if (stopping_.load()) return;
  counters_.pump_runs.fetch_add(1, std::memory_order_relaxed);
  const std::size_t room = this->room();
  if (room == 0) {
    // Every settled submit kicks the pump; the poll covers a bind that comes back.
    schedule(std::chrono::milliseconds(200));
    return;
  }
  const auto now = now_unix();
  std::vector<engine::OutboundItem> items;
  try {
    items = engine_.claim_due(now, room);
  } catch (const std::exception& e) {
    SPDLOG_ERROR("outbox claim failed: {}", e.what());
  }
  for (const auto& item : items) submit_item(item, now);
  if (items.size() >= room) {
    kick();  // more may be due: another run (alongside, or after this one)
  } else {
    schedule(std::chrono::milliseconds(250));  // retries and scheduled sends come due
  }
}

void OutboundPump::settle_one() {
  in_flight_.fetch_sub(1);
  kick();
}

void OutboundPump::submit_item(const engine::OutboundItem& item, std::int64_t now) {
  struct Tracker {
    std::uint64_t id;
    std::atomic<std::size_t> remaining;
    std::atomic<bool> failed{false};
  };
  std::shared_ptr<smpp::Session> session;
  smpp::SegmentOptions options;
  const auto routes = routes_.get();
  if (const std::string* smsc = routes->smsc_for(item.from)) {
    session = binds_.pick(*smsc);
    options = routes->segmenting(*smsc);
  }
  // Stable across attempts: a retry of some segments must carry the first attempt's reference.
  options.reference = static_cast<std::uint16_t>(item.id);
  in_flight_.fetch_add(1);
  auto settle = [this] { settle_one(); };
  if (!session) {
    // Not the SMSC refusing it: it waits for a bind without using up an attempt.
    engine_.mark_failed(item.id, "no bound SMSC serves the sending number",
                        engine::SubmitFailure::transport, now);
    counters_.outbound_failed.fetch_add(1, std::memory_order_relaxed);
    in_flight_.fetch_sub(1);
    return;
  }
  const auto plan = smpp::plan_segments(item.text, options);
  if (!plan.fits) {
    engine_.mark_failed(item.id, "text does not fit 255 parts", false, now);
    counters_.outbound_failed.fetch_add(1, std::memory_order_relaxed);
    in_flight_.fetch_sub(1);
    return;
  }
  const auto [src_ton, src_npi] = ton_npi(item.from);
  const auto [dst_ton, dst_npi] = ton_npi(item.to);
  const std::string source = wire_number(item.from);
  const std::string destination = wire_number(item.to);
  const bool payload = options.concatenation == smpp::Concatenation::payload;
  const std::size_t count = payload ? 1 : plan.parts.size();
  // Segments the SMSC accepted in an earlier attempt do not go again (the handset has them);
  // when this bind would split the text differently, everything goes.
  const auto already = [&](std::size_t i) {
    return item.accepted.size() == count && item.accepted[i];
  };
  std::size_t to_send = 0;
  for (std::size_t i = 0; i < count; ++i) to_send += already(i) ? 0 : 1;
  if (to_send == 0) {
    settle();
    return;
  }
  auto tracker = std::make_shared<Tracker>();
  tracker->id = item.id;
  tracker->remaining = to_send;
  for (std::size_t i = 0; i < count; ++i) {
    if (already(i)) continue;
    smpp::Pdu pdu = smpp::make_pdu(smpp::cmd::submit_sm, 0);
    auto& sm = *pdu.as<smpp::ShortMessage>();
    sm.source_addr_ton = src_ton;
    sm.source_addr_npi = src_npi;
    sm.source_addr = source;
    sm.dest_addr_ton = dst_ton;
    sm.dest_addr_npi = dst_npi;
    sm.destination_addr = destination;
    sm.registered_delivery = 1;
    sm.data_coding = plan.data_coding;
    char sar[4];
    if (payload) {
      sm.tlvs.push_back(smpp::Tlv{smpp::tag::message_payload, plan.payload});
    } else {
      const auto& part = plan.parts[i];
      sm.esm_class = part.esm_class;
      sm.short_message = part.short_message;
      if (options.concatenation == smpp::Concatenation::sar && plan.parts.size() > 1) {
        smpp::store_be16(sar, part.sar_ref);
        sar[2] = static_cast<char>(part.sar_total);
        sar[3] = static_cast<char>(part.sar_seq);
        sm.tlvs.push_back(smpp::Tlv{smpp::tag::sar_msg_ref_num, std::string_view(sar, 2)});
        sm.tlvs.push_back(smpp::Tlv{smpp::tag::sar_total_segments, std::string_view(sar + 2, 1)});
        sm.tlvs.push_back(smpp::Tlv{smpp::tag::sar_segment_seqnum, std::string_view(sar + 3, 1)});
      }
    }
    const auto segment = static_cast<std::uint32_t>(i);
    // After the last segment's outcome is recorded: the item leaves the in-flight count.
    auto segment_done = [this, tracker, settle] {
      if (tracker->remaining.fetch_sub(1) == 1) {
        if (!tracker->failed) counters_.outbound_submitted.fetch_add(1, std::memory_order_relaxed);
        settle();
      }
    };
    auto on_result = [this, tracker, segment, segment_done](const smpp::SubmitResult& r) {
      const auto now = now_unix();
      // A refusal by the SMSC comes back with a status and no error code.
      if (!r.error && r.status == smpp::status::ok) {
        // Queued here, on the thread that read the response and before the link reads on: a
        // receipt read after this queues behind it and finds the id.
        engine_.submit_submitted(
            tracker->id, segment, r.message_id, now, [this, segment_done](bool) {
              counters_.segments_submitted.fetch_add(1, std::memory_order_relaxed);
              boost::asio::post(io_, segment_done);
            });
        return;
      }
      boost::asio::post(engine_calls_, [this, tracker, segment_done, r, now] {
        if (!tracker->failed.exchange(true)) {
          const auto name = smpp::status_name(r.status);
          const std::string why =
              r.error
                  ? r.error.message()
                  : "refused with " + (name.empty() ? std::to_string(r.status) : std::string(name));
          engine_.mark_failed(tracker->id, why, submit_failure(r), now);
          counters_.outbound_failed.fetch_add(1, std::memory_order_relaxed);
        }
        segment_done();
      });
    };
    if (auto ec = session->submit(pdu, on_result)) {
      smpp::SubmitResult r;
      r.error = ec;
      r.retryable = ec != smpp::errc::unknown_command;
      on_result(r);
    }
  }
}

}  // namespace twoway::daemon
