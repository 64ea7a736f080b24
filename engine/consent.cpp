// Consent changes, the consent lock and the opt-out cancellation of queued outbound (see
// consent.hpp).
#include "engine/consent.hpp"

#include "engine/consent_log.hpp"
#include "engine/outbox.hpp"

namespace twoway::engine {

namespace {

bool by_own_text(ConsentSource s) noexcept {
  return s == ConsentSource::keyword || s == ConsentSource::text;
}

}  // namespace

bool consent_locked(const Profile& p) noexcept {
  return p.consent == Consent::unsubscribed && by_own_text(p.consent_source);
}

ConsentOutcome set_consent(Context& ctx, ProfileEdit& edit, const ConsentChange& change) {
  Profile& p = edit.p;
  const Consent before = p.consent;
  ConsentOutcome outcome = ConsentOutcome::applied;
  if (change.consent == Consent::unsubscribed) {
    // Even when already unsubscribed: nothing queued may survive an opt-out.
    cancel_outbound_for(ctx, p.number, change.now, "opted_out");
  }
  if (consent_locked(p) && change.consent != Consent::unsubscribed &&
      change.source != ConsentSource::keyword) {
    outcome = ConsentOutcome::refused;
  } else if (p.consent == change.consent && !(change.consent == Consent::unsubscribed &&
                                              by_own_text(change.source) && !consent_locked(p))) {
    outcome = ConsentOutcome::unchanged;
  }
  ConsentLogEntry entry;
  entry.time = change.now;
  entry.number = p.number;
  entry.from = before;
  entry.to = change.consent;
  entry.source = change.source;
  entry.outcome = outcome;
  entry.keyword = bounded(change.keyword, kConsentLogMaxField);
  entry.text = bounded(change.text, kConsentLogMaxText);
  entry.actor = bounded(change.actor, kConsentLogMaxField);
  entry.sending_number = bounded(change.sending_number, kConsentLogMaxField);
  entry.message_id = change.message_id;
  append_consent_log(ctx, entry);
  if (outcome != ConsentOutcome::applied) return outcome;

  // Back in: a confirmation of the earlier opt-out that has not left yet would contradict it.
  if (change.consent == Consent::subscribed)
    cancel_outbound_for(ctx, p.number, change.now, "opted_in", CancelScope::opt_out_confirmation);
  // Whoever changed consent decided what a text flagged `revocation?` left open.
  p.revocation_flagged_at = 0;
  p.revocation_message_id = 0;
  p.consent = change.consent;
  p.consent_source = change.source;
  p.consent_since = change.now;
  Event e;
  e.type = EventType::consent;
  e.number = p.number;
  e.consent = change.consent;
  e.time = change.now;
  e.detail = to_string(change.source);
  ctx.events.push_back(std::move(e));
  return outcome;
}

}  // namespace twoway::engine
