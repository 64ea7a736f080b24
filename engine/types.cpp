// Names of the engine's enumerations (for the admin socket and logs).
#include "engine/types.hpp"

namespace twoway::engine {

const char* to_string(Consent c) noexcept {
  switch (c) {
    case Consent::none:
      return "none";
    case Consent::subscribed:
      return "subscribed";
    case Consent::unsubscribed:
      return "unsubscribed";
  }
  return "unknown";
}

const char* to_string(ConsentSource s) noexcept {
  switch (s) {
    case ConsentSource::none:
      return "none";
    case ConsentSource::keyword:
      return "keyword";
    case ConsentSource::import:
      return "import";
    case ConsentSource::admin:
      return "admin";
    case ConsentSource::text:
      return "text";
  }
  return "unknown";
}

const char* to_string(ConsentOutcome o) noexcept {
  switch (o) {
    case ConsentOutcome::applied:
      return "applied";
    case ConsentOutcome::refused:
      return "refused";
    case ConsentOutcome::unchanged:
      return "unchanged";
  }
  return "unknown";
}

const char* to_string(MessageKind k) noexcept {
  switch (k) {
    case MessageKind::inbound:
      return "inbound";
    case MessageKind::keyword:
      return "keyword";
    case MessageKind::agent_reply:
      return "agent_reply";
    case MessageKind::auto_reply:
      return "auto_reply";
    case MessageKind::keyword_reply:
      return "keyword_reply";
    case MessageKind::campaign:
      return "campaign";
    case MessageKind::flow:
      return "flow";
  }
  return "unknown";
}

const char* to_string(MessageState s) noexcept {
  switch (s) {
    case MessageState::received:
      return "received";
    case MessageState::queued:
      return "queued";
    case MessageState::held:
      return "held";
    case MessageState::in_flight:
      return "in_flight";
    case MessageState::sent:
      return "sent";
    case MessageState::delivered:
      return "delivered";
    case MessageState::failed:
      return "failed";
    case MessageState::cancelled:
      return "cancelled";
  }
  return "unknown";
}

const char* to_string(TextEncoding e) noexcept {
  switch (e) {
    case TextEncoding::gsm7:
      return "gsm7";
    case TextEncoding::ucs2:
      return "ucs2";
    case TextEncoding::latin1:
      return "latin1";
  }
  return "unknown";
}

const char* to_string(AutoResponderMode m) noexcept {
  switch (m) {
    case AutoResponderMode::off:
      return "off";
    case AutoResponderMode::non_consented:
      return "non_consented";
    case AutoResponderMode::all:
      return "all";
  }
  return "unknown";
}

const char* to_string(SendError e) noexcept {
  switch (e) {
    case SendError::ok:
      return "ok";
    case SendError::not_found:
      return "not_found";
    case SendError::not_subscribed:
      return "not_subscribed";
    case SendError::no_inbound:
      return "no_inbound";
    case SendError::blocked:
      return "blocked";
    case SendError::branded_sender:
      return "branded_sender";
    case SendError::quiet_hours:
      return "quiet_hours";
    case SendError::empty_text:
      return "empty_text";
    case SendError::text_too_long:
      return "text_too_long";
    case SendError::invalid_number:
      return "invalid_number";
    case SendError::storage:
      return "storage";
    case SendError::revocation_pending:
      return "revocation_pending";
  }
  return "unknown";
}

const char* to_string(ActionError e) noexcept {
  switch (e) {
    case ActionError::ok:
      return "ok";
    case ActionError::not_found:
      return "not_found";
    case ActionError::invalid:
      return "invalid";
    case ActionError::storage:
      return "storage";
    case ActionError::consent_locked:
      return "consent_locked";
  }
  return "unknown";
}

}  // namespace twoway::engine
