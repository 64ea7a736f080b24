// Consent changes and the opt-out cancellation of queued outbound (see consent.hpp).
#include "engine/consent.hpp"

#include "engine/outbox.hpp"

namespace twoway::engine {

bool set_consent(Context& ctx, ProfileEdit& edit, Consent consent, ConsentSource source,
                 std::int64_t now) {
  Profile& p = edit.p;
  if (consent == Consent::unsubscribed) {
    // Even when already unsubscribed: nothing queued may survive an opt-out.
    cancel_outbound_for(ctx, p.number, now, "opted_out");
  }
  if (p.consent == consent) return false;
  p.consent = consent;
  p.consent_source = source;
  p.consent_since = now;
  Event e;
  e.type = EventType::consent;
  e.number = p.number;
  e.consent = consent;
  e.time = now;
  e.detail = to_string(source);
  ctx.events.push_back(std::move(e));
  return true;
}

}  // namespace twoway::engine
