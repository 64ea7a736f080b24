// Admin actions and their refusal rules (see actions.hpp).
#include "engine/actions.hpp"

#include "engine/consent.hpp"
#include "engine/frequency_caps.hpp"
#include "engine/outbox.hpp"
#include "engine/profiles.hpp"
#include "engine/quiet_hours.hpp"
#include "engine/router.hpp"

namespace twoway::engine {

namespace {

constexpr std::size_t kMaxName = 128;

SendError check_text(const Context& ctx, std::string_view text) {
  if (text.empty()) return SendError::empty_text;
  if (text.size() > ctx.config.max_text_bytes) return SendError::text_too_long;
  return SendError::ok;
}

void emit_profile(Context& ctx, const Profile& p, std::int64_t now, const char* what) {
  Event e;
  e.type = EventType::profile;
  e.number = p.number;
  e.consent = p.consent;
  e.time = now;
  e.detail = what;
  ctx.events.push_back(std::move(e));
}

// What the sender is told of the stored message: the text as it goes out (links shortened),
// its segments and credits.
void note_stored(SendResult& r, const Message& m) {
  r.text = m.text;
  r.segments = m.segments;
  r.credits = m.credits;
  r.encoding = m.encoding;
}

}  // namespace

SendResult agent_reply(Context& ctx, const ReplyRequest& req) {
  SendResult r;
  if ((r.error = check_text(ctx, req.text)) != SendError::ok) return r;
  if (req.number.empty()) {
    r.error = SendError::invalid_number;
    return r;
  }
  ProfileEdit edit;
  if (!load_profile(ctx, req.number, edit)) {
    r.error = SendError::not_found;
    return r;
  }
  Profile& p = edit.p;
  if (p.blocked) {
    r.error = SendError::blocked;
  } else if (p.consent != Consent::subscribed) {
    r.error = SendError::not_subscribed;
  } else if (p.last_mo == 0) {
    r.error = SendError::no_inbound;  // nobody is texted first
  } else if (p.sending_number.empty() || PhoneNumbers::is_alphanumeric(p.sending_number) ||
             PhoneNumbers::is_alphanumeric(p.number)) {
    r.error = SendError::branded_sender;  // only from the numeric number they texted
  }
  if (r.error != SendError::ok) return r;
  if (ctx.settings->quiet_hours.enabled) {
    r.quiet = check_quiet_hours(ctx.settings->quiet_hours, ctx.phones, p.number, req.now);
    if (!r.quiet.allowed && !req.override_quiet_hours) {
      r.error = SendError::quiet_hours;
      return r;
    }
  }
  OutboundRequest out;
  out.kind = MessageKind::agent_reply;
  out.text = req.text;
  out.from = p.sending_number;
  out.now = req.now;
  out.due = req.now;
  out.agent = req.agent.substr(0, kMaxName);
  out.no_shorten = req.no_shorten;
  Message stored;
  r.outbox_id = enqueue_outbound(ctx, edit, out, &r.seq, &stored);
  note_stored(r, stored);
  r.due_unix = req.now;
  if (p.first_agent_reply == 0 && p.first_inbound != 0) {
    p.first_agent_reply = req.now;
    add_stat(ctx, "resp_sum", static_cast<std::uint64_t>(req.now - p.first_inbound));
    add_stat(ctx, "resp_count", 1);
  }
  p.awaiting_since = 0;
  save_profile(ctx, edit);
  return r;
}

SendResult campaign_send(Context& ctx, const SendRequest& req) {
  SendResult r;
  if ((r.error = check_text(ctx, req.text)) != SendError::ok) return r;
  if (req.kind != MessageKind::campaign && req.kind != MessageKind::flow) {
    r.error = SendError::invalid_number;
    return r;
  }
  ProfileEdit edit;
  if (req.number.empty() || !load_profile(ctx, req.number, edit)) {
    r.error = SendError::not_found;
    return r;
  }
  Profile& p = edit.p;
  if (p.blocked) {
    r.error = SendError::blocked;
    return r;
  }
  if (p.consent != Consent::subscribed) {
    r.error = SendError::not_subscribed;
    return r;
  }
  if (p.revocation_flagged_at != 0) {
    r.error = SendError::revocation_pending;  // nothing marketing until staff decide
    return r;
  }
  std::string from = p.sending_number;
  if (from.empty() || PhoneNumbers::is_alphanumeric(from)) {
    from.clear();
    for (const auto& n : ctx.config.sending_numbers)
      if (!PhoneNumbers::is_alphanumeric(n)) {
        from = n;
        break;
      }
  }
  if (from.empty() || PhoneNumbers::is_alphanumeric(p.number)) {
    r.error = SendError::branded_sender;
    return r;
  }
  // Counted against the cap: what went within its period and what is still to go.
  std::vector<std::int64_t> times = pending_campaign_dues(ctx, p.number);
  times.insert(times.end(), p.campaign_sent_at.begin(), p.campaign_sent_at.end());
  CampaignHold hold = campaign_hold(ctx.settings->quiet_hours, ctx.settings->frequency_caps,
                                    ctx.phones, p.number, std::move(times), req.now);
  const std::int64_t due = hold.due;
  r.held = due > req.now;
  r.hold_reason = std::move(hold.reason);
  r.quiet = std::move(hold.quiet);
  r.frequency_cap = std::move(hold.cap);
  OutboundRequest out;
  out.kind = req.kind;
  out.text = req.text;
  out.from = from;
  out.now = req.now;
  out.due = due;
  out.agent = req.source.substr(0, kMaxName);
  out.no_shorten = req.no_shorten;
  out.counted = req.counted;
  Message stored;
  r.outbox_id = enqueue_outbound(ctx, edit, out, &r.seq, &stored);
  note_stored(r, stored);
  r.due_unix = due;
  save_profile(ctx, edit);
  return r;
}

ActionError mark_read(Context& ctx, std::string_view number, bool read, std::int64_t now) {
  ProfileEdit edit;
  if (!load_profile(ctx, number, edit)) return ActionError::not_found;
  if (read) {
    edit.p.unread = 0;
  } else if (edit.p.unread == 0) {
    edit.p.unread = 1;
  }
  save_profile(ctx, edit);
  emit_profile(ctx, edit.p, now, read ? "read" : "unread");
  return ActionError::ok;
}

ActionError set_archived(Context& ctx, std::string_view number, bool archived, std::int64_t now) {
  ProfileEdit edit;
  if (!load_profile(ctx, number, edit)) return ActionError::not_found;
  edit.p.archived = archived;
  save_profile(ctx, edit);
  emit_profile(ctx, edit.p, now, archived ? "archived" : "unarchived");
  return ActionError::ok;
}

ActionError set_blocked(Context& ctx, std::string_view number, bool blocked, std::int64_t now) {
  ProfileEdit edit;
  if (!load_profile(ctx, number, edit)) return ActionError::not_found;
  edit.p.blocked = blocked;
  if (blocked) cancel_outbound_for(ctx, number, now, "blocked");
  save_profile(ctx, edit);
  emit_profile(ctx, edit.p, now, blocked ? "blocked" : "unblocked");
  return ActionError::ok;
}

ActionError set_name(Context& ctx, std::string_view number, std::string_view name,
                     std::int64_t now) {
  if (name.size() > kMaxName) return ActionError::invalid;
  ProfileEdit edit;
  if (!load_profile(ctx, number, edit)) return ActionError::not_found;
  edit.p.name = std::string(name);
  save_profile(ctx, edit);
  emit_profile(ctx, edit.p, now, "name");
  return ActionError::ok;
}

ImportOutcome import_consent_outcome(Context& ctx, std::string_view number, Consent consent,
                                     ConsentSource source, std::int64_t now,
                                     std::string_view actor) {
  if (number.empty() || PhoneNumbers::is_alphanumeric(number)) return ImportOutcome::invalid;
  if (source == ConsentSource::keyword) return ImportOutcome::invalid;
  if (source == ConsentSource::text && consent != Consent::unsubscribed)
    return ImportOutcome::invalid;
  ProfileEdit edit;
  load_or_create_profile(ctx, number, now, edit);
  ConsentChange change;
  change.consent = consent;
  change.source = source;
  change.now = now;
  change.actor = actor;
  // A refusal leaves the profile as it was; its log entry commits with the transaction.
  switch (set_consent(ctx, edit, change)) {
    case ConsentOutcome::refused:
      return ImportOutcome::consent_locked;
    case ConsentOutcome::unchanged:
      save_profile(ctx, edit);
      return ImportOutcome::unchanged;
    case ConsentOutcome::applied:
      break;
  }
  save_profile(ctx, edit);
  return ImportOutcome::changed;
}

ActionError import_consent(Context& ctx, std::string_view number, Consent consent,
                           ConsentSource source, std::int64_t now, std::string_view actor) {
  switch (import_consent_outcome(ctx, number, consent, source, now, actor)) {
    case ImportOutcome::invalid:
      return ActionError::invalid;
    case ImportOutcome::consent_locked:
      return ActionError::consent_locked;
    case ImportOutcome::changed:
    case ImportOutcome::unchanged:
      break;
  }
  return ActionError::ok;
}

const char* to_string(ImportOutcome o) noexcept {
  switch (o) {
    case ImportOutcome::changed:
      return "changed";
    case ImportOutcome::unchanged:
      return "unchanged";
    case ImportOutcome::consent_locked:
      return "consent_locked";
    case ImportOutcome::invalid:
      return "invalid_number";
  }
  return "invalid_number";
}

std::vector<ImportOutcome> import_consent_group(Context& ctx, const ConsentImport& req) {
  std::vector<ImportOutcome> out;
  out.reserve(req.rows.size());
  for (const auto& row : req.rows)
    out.push_back(
        import_consent_outcome(ctx, row.number, row.consent, req.source, req.now, req.actor));
  return out;
}

std::vector<BulkOutcome> campaign_send_group(Context& ctx, const BulkSend& req) {
  std::vector<BulkOutcome> out;
  out.reserve(req.numbers.size());
  const smpp::SegmentCount counted = smpp::count_segments(req.text);
  SendRequest one;
  one.text = req.text;
  one.kind = req.kind;
  one.source = req.source;
  one.now = req.now;
  one.no_shorten = req.no_shorten;
  one.counted = &counted;
  for (const std::string& number : req.numbers) {
    BulkOutcome o;
    if (number.empty()) {
      o.error = SendError::invalid_number;
    } else {
      one.number = number;
      SendResult r = campaign_send(ctx, one);
      o.error = r.error;
      o.held = r.held;
      o.due = r.due_unix;
      o.hold_reason = std::move(r.hold_reason);
      if (r.error == SendError::not_subscribed) {
        ProfileEdit edit;
        o.unsubscribed = load_profile(ctx, number, edit) && edit.p.consent == Consent::unsubscribed;
      }
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace twoway::engine
