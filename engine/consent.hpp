// Consent changes: one place that sets a profile's consent (with time and source), enforces the
// consent lock, records every change and refused attempt in the consent log, publishes the
// change, and on opt-out cancels everything queued for the number in the same transaction
// (invariant 5).
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/context.hpp"
#include "engine/profiles.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// One consent change as asked for, with where it came from (all of it goes to the log).
struct ConsentChange {
  Consent consent = Consent::none;
  ConsentSource source = ConsentSource::none;
  std::int64_t now = 0;
  std::string_view keyword;         // matched keyword (keyword source)
  std::string_view text;            // the customer's exact text (cut to kConsentLogMaxText)
  std::string_view actor;           // admin user, or the import's name
  std::string_view sending_number;  // our number involved
  std::uint64_t message_id = 0;     // the inbound message that caused it (0: none)
};

// The consent lock: a number that opted out by its own text (unsubscribed with source keyword,
// or text staff confirmed) can only be subscribed again by its own opt-in keyword.
[[nodiscard]] bool consent_locked(const Profile& p) noexcept;

// Sets consent and records the attempt in the consent log. Returns
// - refused when the consent lock forbids it (anything but unsubscribed, from any source but
//   a keyword, on a locked profile): the profile is left as it was;
// - unchanged when the profile already had that consent;
// - applied otherwise (also when an opt-out by the customer's own text confirms an
//   unsubscribed profile whose opt-out came from elsewhere: it is locked from then on).
// Unsubscribing cancels every queued or in-flight outbound for the number, whatever the
// outcome (the caller queues the one confirmation afterwards). The caller saves the profile.
ConsentOutcome set_consent(Context& ctx, ProfileEdit& edit, const ConsentChange& change);

// Which kinds need a subscribed recipient (agent replies, campaigns, flows).
[[nodiscard]] constexpr bool needs_subscription(MessageKind k) noexcept {
  return k == MessageKind::agent_reply || k == MessageKind::campaign || k == MessageKind::flow;
}

}  // namespace twoway::engine
