// Small building blocks of the ESME session that need no socket: backoff, token bucket, the
// status table, state names.
#include <algorithm>
#include <cmath>

#include "smpp/session.hpp"

namespace twoway::smpp {

std::string_view link_state_name(LinkState s) noexcept {
  switch (s) {
    case LinkState::idle:
      return "idle";
    case LinkState::connecting:
      return "connecting";
    case LinkState::binding:
      return "binding";
    case LinkState::bound:
      return "bound";
    case LinkState::unbinding:
      return "unbinding";
    case LinkState::backoff:
      return "backoff";
    case LinkState::stopped:
      return "stopped";
  }
  return "unknown";
}

bool is_retryable_status(std::uint32_t command_status) noexcept {
  switch (command_status) {
    case status::invbndsts:  // the SMSC thinks we are not bound: retry after a rebind
    case status::syserr:
    case status::msgqful:
    case status::throttled:
    case status::x_t_appn:
    case status::unknownerr:
    case 0x000000FE:  // ESME_RDELIVERYFAILURE (data_sm): transient on most SMSCs
      return true;
    default:
      return false;
  }
}

Backoff::Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, double factor,
                 std::uint64_t seed)
    : min_(std::max(min, std::chrono::milliseconds{1})),
      max_(std::max(max, min_)),
      factor_(factor < 1.0 ? 1.0 : factor),
      rng_(seed) {}

std::chrono::milliseconds Backoff::next() {
  double base = static_cast<double>(min_.count()) * std::pow(factor_, attempt_);
  const double cap = static_cast<double>(max_.count());
  if (base >= cap) {
    base = cap;
  } else {
    ++attempt_;
  }
  // Equal jitter: at least half the base, so the exponential growth still shows.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  const auto ms = static_cast<std::int64_t>(base * jitter(rng_));
  return std::chrono::milliseconds{std::max<std::int64_t>(ms, 1)};
}

TokenBucket::TokenBucket(double rate, double burst, SessionClock::time_point now)
    : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(std::max(burst, 1.0)), last_(now) {}

void TokenBucket::refill(SessionClock::time_point now) noexcept {
  if (now <= last_) return;
  const double secs = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + secs * rate_);
  last_ = now;
}

bool TokenBucket::try_take(SessionClock::time_point now) noexcept {
  if (unlimited()) return true;
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

SessionClock::duration TokenBucket::wait_time(SessionClock::time_point now) noexcept {
  if (unlimited()) return SessionClock::duration::zero();
  refill(now);
  if (tokens_ >= 1.0) return SessionClock::duration::zero();
  const double secs = (1.0 - tokens_) / rate_;
  return std::chrono::duration_cast<SessionClock::duration>(std::chrono::duration<double>(secs)) +
         SessionClock::duration{1};
}

}  // namespace twoway::smpp
