#include "engine/staff_action.hpp"

#include "engine/log_position.hpp"
#include "engine/router.hpp"

namespace twoway::engine {

std::string& staff_number(StaffAction& action) {
  return std::visit([](auto& a) -> std::string& { return a.number; }, action);
}

const std::string& staff_number(const StaffAction& action) {
  return std::visit([](const auto& a) -> const std::string& { return a.number; }, action);
}

StaffOutcome failed_staff_outcome(const StaffAction& action) {
  if (std::holds_alternative<ReplyRequest>(action) || std::holds_alternative<SendRequest>(action)) {
    SendResult r;
    r.error = SendError::storage;
    return r;
  }
  return ActionError::storage;
}

namespace {

struct Apply {
  Context& ctx;
  StaffOutcome operator()(const ReplyRequest& r) const { return agent_reply(ctx, r); }
  StaffOutcome operator()(const SendRequest& s) const { return campaign_send(ctx, s); }
  StaffOutcome operator()(const FlagChange& f) const {
    switch (f.flag) {
      case FlagChange::Flag::read:
        return mark_read(ctx, f.number, f.on, f.now);
      case FlagChange::Flag::archived:
        return set_archived(ctx, f.number, f.on, f.now);
      case FlagChange::Flag::blocked:
        return set_blocked(ctx, f.number, f.on, f.now);
    }
    return ActionError::invalid;
  }
  StaffOutcome operator()(const NameChange& n) const {
    return set_name(ctx, n.number, n.name, n.now);
  }
  StaffOutcome operator()(const RevocationDecision& d) const {
    return resolve_revocation(ctx, d.number, d.opt_out, d.actor, d.now);
  }
  StaffOutcome operator()(const ConsentDecision& c) const {
    if (c.number.empty()) return ActionError::invalid;
    return import_consent(ctx, c.number, c.consent, c.source, c.now, c.actor);
  }
};

}  // namespace

StaffOutcome apply_staff_action(Context& ctx, const StaffAction& action, const LogPosition& log) {
  if (!take_log_position(ctx, log)) return std::monostate{};
  const ReplayingScope replaying(ctx, log.replay);
  return std::visit(Apply{ctx}, action);
}

}  // namespace twoway::engine
