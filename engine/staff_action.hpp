// A change staff make to one customer through the admin socket, as one value: a reply, a
// campaign or flow message, a flag (read, archived, blocked), a name, a revocation decision or
// a consent change. A single node applies it at once (Engine::perform); a cluster node first
// publishes it to the customer's partition of the shared log, and the partition's owner applies
// it from there in order with what the customer sent (Engine::submit_staff), so that whichever
// node owns the customer next rebuilds it too.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "engine/actions.hpp"
#include "engine/context.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

struct FlagChange {
  enum class Flag : std::uint8_t { read = 0, archived = 1, blocked = 2 };
  std::string number;
  Flag flag = Flag::read;
  bool on = true;
  std::int64_t now = 0;
};

struct NameChange {
  std::string number;
  std::string name;
  std::int64_t now = 0;
};

// Staff decide a conversation flagged `revocation?`: opt out, or keep (router.hpp).
struct RevocationDecision {
  std::string number;
  bool opt_out = true;
  std::string actor;
  std::int64_t now = 0;
};

struct ConsentDecision {
  std::string number;
  Consent consent = Consent::unsubscribed;
  ConsentSource source = ConsentSource::admin;
  std::string actor;
  std::int64_t now = 0;
};

// SendRequest::counted is not carried: a staff send counts its own text.
using StaffAction = std::variant<ReplyRequest, SendRequest, FlagChange, NameChange,
                                 RevocationDecision, ConsentDecision>;

// What the action came to: SendResult for a reply or send, ActionError for the rest; monostate
// when its log position was applied before (nothing happened again).
using StaffOutcome = std::variant<std::monostate, SendResult, ActionError>;

[[nodiscard]] std::string& staff_number(StaffAction& action);
[[nodiscard]] const std::string& staff_number(const StaffAction& action);

// The outcome of an action whose transaction did not commit (storage).
[[nodiscard]] StaffOutcome failed_staff_outcome(const StaffAction& action);

// Applies `action` inside the transaction of `ctx`. With a log position (seq > 0) the position
// is taken in the same transaction: a position applied before does nothing and returns
// monostate; a replayed one (LogPosition::replay) records an answer due at once as sent.
[[nodiscard]] StaffOutcome apply_staff_action(Context& ctx, const StaffAction& action,
                                              const LogPosition& log = {});

}  // namespace twoway::engine
