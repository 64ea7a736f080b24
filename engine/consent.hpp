// Consent changes: one place that sets a profile's consent (with time and source), publishes
// the change, and on opt-out cancels everything queued for the number in the same transaction
// (invariant 5).
#pragma once

#include <cstdint>

#include "engine/context.hpp"
#include "engine/profiles.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// Sets consent; returns true when it changed. Unsubscribing cancels every queued or in-flight
// outbound for the number (the caller queues the one confirmation afterwards).
bool set_consent(Context& ctx, ProfileEdit& edit, Consent consent, ConsentSource source,
                 std::int64_t now);

// Which kinds need a subscribed recipient (agent replies, campaigns, flows).
[[nodiscard]] constexpr bool needs_subscription(MessageKind k) noexcept {
  return k == MessageKind::agent_reply || k == MessageKind::campaign || k == MessageKind::flow;
}

}  // namespace twoway::engine
