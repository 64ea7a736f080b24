// Inbound routing rules (see router.hpp).
#include "engine/router.hpp"

#include <algorithm>

#include "engine/consent.hpp"
#include "engine/consent_log.hpp"
#include "engine/log_position.hpp"
#include "engine/outbox.hpp"
#include "engine/partials.hpp"
#include "engine/profiles.hpp"
#include "engine/records.hpp"
#include "engine/redelivery.hpp"
#include "engine/settings.hpp"
#include "smpp/segment.hpp"

namespace twoway::engine {

namespace {

constexpr std::size_t kMaxInboundText = 64 * 1024;  // far above any reassembled SMS
constexpr std::size_t kMaxFingerprintField = 64;
// Redelivery fingerprints kept per sender. An SMSC redelivers what it sent just before a crash,
// so the newest few inbound of a number are enough; older ones leave the profile.
constexpr std::size_t kMaxRecentMo = 8;

// A 64-bit multiply-xorshift step (the hash is stored in profiles, so it must not change with
// the standard library: std::hash is not used).
std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v;
  h *= 0x9e3779b97f4a7c15ULL;
  return h ^ (h >> 29);
}

std::uint64_t load_le(const char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(p[i])) << (8 * i);
  return v;
}

// Each field with its length first, so "ab" + "c" and "a" + "bc" differ; eight bytes a step.
std::uint64_t add_field(std::uint64_t h, std::string_view f, std::size_t max) {
  f = f.substr(0, max);
  h = mix(h, f.size());
  std::size_t i = 0;
  for (; i + 8 <= f.size(); i += 8) h = mix(h, load_le(f.data() + i, 8));
  if (i < f.size()) h = mix(h, load_le(f.data() + i, f.size() - i));
  return h;
}

// Same SMSC, numbers, SMSC timestamp (unless `weak`) / reference and text: the identity of a
// redelivery, as a 64-bit hash (it is compared only among one sender's recent inbound).
// The strong one needs a timestamp or a reference: without, two identical texts ("Sure")
// cannot be told from a redelivery, so none is taken (0). The weak one (see redelivery.hpp)
// leaves the timestamp out, which most SMSCs renew on a redelivery; the handset's references
// (a long text's concatenation reference, a user_message_reference) come back unchanged.
std::uint64_t fingerprint(const InboundMessage& in, std::string_view number, bool weak = false) {
  if (!weak && in.smsc_timestamp.empty() && in.message_reference.empty()) return 0;
  std::uint64_t h = weak ? 0x13198a2e03707344ULL : 0x243f6a8885a308d3ULL;
  h = add_field(h, in.smsc, kMaxFingerprintField);
  h = add_field(h, number, kMaxFingerprintField);
  h = add_field(h, in.destination, kMaxFingerprintField);
  if (!weak) h = add_field(h, in.smsc_timestamp, kMaxFingerprintField);
  h = add_field(h, in.message_reference, kMaxFingerprintField);
  h = add_field(h, in.text, kMaxInboundText);  // all of it: long texts may share a beginning
  // Final avalanche (splitmix64) so nearby inputs spread over all 64 bits.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h == 0 ? 1 : h;
}

// True when the sender's profile holds this fingerprint from within the window; otherwise
// records it there (saved with the profile). Expired and surplus entries are dropped.
bool seen_before(const EngineConfig& config, Profile& p, std::uint64_t fp, std::int64_t now) {
  auto& recent = p.recent_mo;
  std::erase_if(recent,
                [&](const RecentMo& r) { return now - r.at > config.redelivery_window_seconds; });
  if (fp == 0) return false;
  for (const RecentMo& r : recent)
    if (r.fingerprint == fp) return true;
  if (recent.size() >= kMaxRecentMo) recent.erase(recent.begin());
  recent.push_back(RecentMo{fp, now});
  return false;
}

void emit_inbound(Context& ctx, const Message& m, std::string detail, const InboundMessage& in,
                  const InboundResult& result, const PreparedInbound& prep) {
  Event e;
  e.unrouted = result.unrouted;
  e.revocation_suspected = result.revocation_suspected;
  e.destination = in.destination.substr(0, 32);
  e.type = EventType::inbound;
  e.number = m.number;
  e.seq = m.seq;
  e.kind = m.kind;
  e.state = m.state;
  e.time = m.created;
  e.detail = std::move(detail);
  e.text = m.text;
  e.segments = prep.segments;
  e.encoding = prep.encoding;
  ctx.events.push_back(std::move(e));
}

void answer(Context& ctx, ProfileEdit& edit, std::string text, MessageKind kind,
            const char* purpose, std::string_view from, std::int64_t now) {
  if (from.empty() || text.empty()) return;  // no numeric number to answer from
  // A branded sender id cannot receive texts: never answer one.
  if (PhoneNumbers::is_alphanumeric(edit.p.number)) return;
  OutboundRequest req;
  req.kind = kind;
  req.text = std::move(text);
  req.from = std::string(from);
  req.now = now;
  req.due = now;  // the customer just texted: answers go at once, quiet hours or not
  req.purpose = purpose;
  enqueue_outbound(ctx, edit, req);
}

// A keyword settles whatever a flagged text left open: the customer said what they want.
void clear_revocation_flag(Profile& p) {
  p.revocation_flagged_at = 0;
  p.revocation_message_id = 0;
}

// A consent change the customer asked for with the keyword text `mo` (the stored inbound).
ConsentChange by_keyword(const Message& mo, Consent consent, std::int64_t now) {
  ConsentChange c;
  c.consent = consent;
  c.source = ConsentSource::keyword;
  c.now = now;
  c.keyword = mo.keyword;
  c.text = mo.text;
  c.sending_number = mo.sending_number;
  c.message_id = mo.id;
  return c;
}

// The opt-out: consent off at once (queued messages cancelled), exactly one confirmation, also
// to someone never subscribed; a repeated STOP from an unsubscribed number gets nothing more.
// `text` replaces the standard confirmation when not empty (a custom keyword's own reply).
void opt_out(Context& ctx, ProfileEdit& edit, const Message& mo, std::string text,
             std::string_view from, std::int64_t now) {
  Profile& p = edit.p;
  const bool was_unsubscribed = p.consent == Consent::unsubscribed;
  clear_revocation_flag(p);
  set_consent(ctx, edit, by_keyword(mo, Consent::unsubscribed, now));
  if (was_unsubscribed || p.blocked) return;
  if (text.empty()) text = opt_out_answer(*ctx.settings, ctx.config.organization, p);
  answer(ctx, edit, std::move(text), MessageKind::keyword_reply, "opt_out", from, now);
}

// The help answer, to anyone not opted out (`text` as for opt_out).
void help(Context& ctx, ProfileEdit& edit, std::string text, std::string_view from,
          std::int64_t now) {
  Profile& p = edit.p;
  if (p.blocked || p.consent == Consent::unsubscribed) return;
  if (text.empty()) text = help_answer(*ctx.settings, ctx.config.organization, p);
  answer(ctx, edit, std::move(text), MessageKind::keyword_reply, "help", from, now);
}

void apply_keyword(Context& ctx, ProfileEdit& edit, const KeywordMatch& km, const Message& mo,
                   std::string_view from, std::int64_t now) {
  Profile& p = edit.p;
  const Settings& s = *ctx.settings;
  const Organization& org = ctx.config.organization;
  switch (km.kind) {
    case KeywordKind::opt_out:
      opt_out(ctx, edit, mo, {}, from, now);
      break;
    case KeywordKind::opt_in:
      clear_revocation_flag(p);
      set_consent(ctx, edit, by_keyword(mo, Consent::subscribed, now));
      if (!p.blocked)
        answer(ctx, edit, opt_in_answer(s, org, p), MessageKind::keyword_reply, "opt_in", from,
               now);
      break;
    case KeywordKind::help:
      help(ctx, edit, {}, from, now);
      break;
    case KeywordKind::custom: {
      if (km.custom_index >= s.keywords.custom.size()) break;
      const CustomKeyword& ck = s.keywords.custom[km.custom_index];
      // A custom word that opts out or asks for help does everything STOP or HELP does, with
      // its own reply when it has one (ARRET answering in French).
      if (ck.action == "unsubscribe") {
        opt_out(ctx, edit, mo, render_template(ck.reply, org, p), from, now);
        break;
      }
      if (ck.action == "help") {
        help(ctx, edit, render_template(ck.reply, org, p), from, now);
        break;
      }
      if (ck.action == "subscribe") {
        clear_revocation_flag(p);
        set_consent(ctx, edit, by_keyword(mo, Consent::subscribed, now));
      } else if (ck.action.starts_with("tag:")) {
        const std::string tag = ck.action.substr(4);
        if (std::find(p.tags.begin(), p.tags.end(), tag) == p.tags.end() && p.tags.size() < 64)
          p.tags.push_back(tag);
      }
      if (!p.blocked && p.consent != Consent::unsubscribed && !ck.reply.empty())
        answer(ctx, edit, render_template(ck.reply, org, p), MessageKind::keyword_reply, "custom",
               from, now);
      break;
    }
    case KeywordKind::none:
      break;
  }
}

void maybe_auto_reply(Context& ctx, ProfileEdit& edit, std::string_view from, std::int64_t now) {
  Profile& p = edit.p;
  const AutoResponderSettings& ar = ctx.settings->auto_responder;
  if (ar.mode == AutoResponderMode::off || p.blocked) return;
  // A text that may have revoked consent gets the one clarification, nothing automatic.
  if (p.revocation_flagged_at != 0) return;
  // Never to an opted-out number: after STOP the confirmation is the last message they get.
  if (p.consent == Consent::unsubscribed) return;
  if (ar.mode == AutoResponderMode::non_consented && p.consent == Consent::subscribed) return;
  if (p.last_auto_reply != 0 && now - p.last_auto_reply < ar.period_seconds) return;
  if (from.empty()) return;
  p.last_auto_reply = now;
  answer(ctx, edit, render_template(ar.message, ctx.config.organization, p),
         MessageKind::auto_reply, "", from, now);
}

// Free text that may revoke consent: the conversation is flagged for staff, nothing marketing
// goes to the number until they decide (queued campaign and flow messages are cancelled), and
// the first such text gets the one clarification.
void flag_revocation(Context& ctx, ProfileEdit& edit, const Message& m, std::string_view from,
                     std::int64_t now) {
  Profile& p = edit.p;
  if (p.consent == Consent::unsubscribed) return;  // already out: nothing to clarify
  const bool first = p.revocation_flagged_at == 0;
  if (first) {
    p.revocation_flagged_at = now;
    p.revocation_message_id = m.id;
  }
  cancel_outbound_for(ctx, p.number, now, "revocation_pending", CancelScope::marketing);
  if (first && !p.blocked)
    answer(ctx, edit, clarification_text(ctx.config.organization), MessageKind::keyword_reply,
           "clarify", from, now);
}

std::string_view bounded_text(const InboundMessage& in) {
  std::string_view text = in.text;
  if (text.size() > kMaxInboundText) text = text.substr(0, kMaxInboundText);
  return text;
}

}  // namespace

void prepare_inbound(const PhoneNumbers& phones, std::shared_ptr<const KeywordTable> keywords,
                     const InboundMessage& in, PreparedInbound& out) {
  out.ready = true;
  out.number = phones.normalize(in.source, in.source_ton, in.source_npi);
  out.place = {};
  if (!out.number.empty() && out.number.front() == '+') out.place = phones.place(out.number);
  const std::string_view text = bounded_text(in);
  out.match = keywords ? keywords->match(text) : KeywordMatch{};
  out.keywords = std::move(keywords);
  out.fingerprint = out.number.empty() ? 0 : fingerprint(in, out.number);
  out.weak_fingerprint = out.number.empty() ? 0 : fingerprint(in, out.number, true);
  const smpp::SegmentCount count = smpp::count_segments(text);
  out.segments = static_cast<std::uint32_t>(count.segments);
  out.encoding = count.encoding == smpp::TextEncoding::ucs2     ? TextEncoding::ucs2
                 : count.encoding == smpp::TextEncoding::latin1 ? TextEncoding::latin1
                                                                : TextEncoding::gsm7;
}

std::string clarification_text(const Organization& org) {
  // A template like every text the engine sends on its own (engine/templates.hpp).
  static constexpr std::string_view kClarification =
      "{{organization.prefix}}: Reply STOP to opt out of texts.";
  return render_template(kClarification, org, Profile{});
}

ActionError resolve_revocation(Context& ctx, std::string_view number, bool opt_out_decision,
                               std::string_view actor, std::int64_t now) {
  ProfileEdit edit;
  if (!load_profile(ctx, number, edit)) return ActionError::not_found;
  Profile& p = edit.p;
  if (p.revocation_flagged_at == 0) return ActionError::invalid;  // nothing to decide
  const std::int64_t flagged_at = p.revocation_flagged_at;
  Message text;
  const bool have_text = read_message(ctx.txn, ctx.store, p.revocation_message_id, text);
  clear_revocation_flag(p);
  if (opt_out_decision) {
    const bool was_unsubscribed = p.consent == Consent::unsubscribed;
    ConsentChange change;
    change.consent = Consent::unsubscribed;
    change.source = ConsentSource::text;
    change.now = now;
    change.actor = actor;
    if (have_text) {
      change.text = text.text;
      change.sending_number = text.sending_number;
      change.message_id = text.id;
    }
    (void)set_consent(ctx, edit, change);
    // The confirmation belongs within five minutes of the customer's text; later it is not sent.
    if (!was_unsubscribed && !p.blocked && now - flagged_at <= kOptOutConfirmationWindowSeconds) {
      OutboundRequest req;
      req.kind = MessageKind::keyword_reply;
      req.text = opt_out_answer(*ctx.settings, ctx.config.organization, p);
      req.from = have_text && !text.sending_number.empty() ? text.sending_number : p.sending_number;
      req.now = now;
      req.due = now;
      req.purpose = "opt_out";
      if (!req.from.empty() && !PhoneNumbers::is_alphanumeric(req.from) &&
          !PhoneNumbers::is_alphanumeric(p.number))
        enqueue_outbound(ctx, edit, req);
    }
  } else {
    // Kept: consent stays as it was, and the trail says who read the text that way.
    ConsentLogEntry entry;
    entry.time = now;
    entry.number = p.number;
    entry.from = entry.to = p.consent;
    entry.source = ConsentSource::admin;
    entry.outcome = ConsentOutcome::unchanged;
    entry.keyword = "revocation? kept";
    entry.actor = bounded(actor, kConsentLogMaxField);
    if (have_text) {
      entry.text = bounded(text.text, kConsentLogMaxText);
      entry.sending_number = text.sending_number;
      entry.message_id = text.id;
    }
    append_consent_log(ctx, entry);
  }
  save_profile(ctx, edit);
  Event e;
  e.type = EventType::profile;
  e.number = p.number;
  e.consent = p.consent;
  e.time = now;
  e.detail = opt_out_decision ? "revocation_confirmed" : "revocation_dismissed";
  ctx.events.push_back(std::move(e));
  return ActionError::ok;
}

std::string sticky_sender(const EngineConfig& config, std::string_view destination,
                          bool* configured) {
  if (configured != nullptr) *configured = false;
  while (!destination.empty() && destination.front() == ' ') destination.remove_prefix(1);
  while (!destination.empty() && destination.back() == ' ') destination.remove_suffix(1);
  if (destination.empty() || PhoneNumbers::is_alphanumeric(destination)) return {};
  const auto digits = [](std::string_view s) {
    std::string d;
    for (char c : s)
      if (c >= '0' && c <= '9') d.push_back(c);
    return d;
  };
  const std::string want = digits(destination);
  if (want.empty()) return {};
  for (const auto& n : config.sending_numbers) {
    if (digits(n) == want) {
      if (configured != nullptr) *configured = true;
      return n;
    }
  }
  return std::string(destination);
}

InboundResult route_inbound(Context& ctx, const InboundMessage& in,
                            const PreparedInbound* prepared) {
  InboundResult result;
  // An entry of the cluster's inbound log applied before: nothing happens again.
  if (!take_log_position(ctx, in.log)) {
    result.outcome = InboundOutcome::duplicate;
    return result;
  }
  const ReplayingScope replaying(ctx, in.log.replay);
  const std::int64_t now = std::max<std::int64_t>(in.received_unix, 1);
  // The parts this message was joined from leave the store with it (also for a duplicate).
  for (const PartKey& k : in.stored_parts) drop_partial(ctx, k);
  // Work not done before the message was queued is done here (tools, tests, the waiting call).
  static thread_local PreparedInbound local;
  if (prepared == nullptr || !prepared->ready) {
    prepare_inbound(ctx.phones, nullptr, in, local);
    prepared = &local;
  }
  const PreparedInbound& prep = *prepared;
  const std::string& number = prep.number;
  if (number.empty()) {
    // Unreadable sender: nothing can be threaded or answered; acknowledged so the SMSC does
    // not redeliver it forever.
    result.outcome = InboundOutcome::rejected;
    return result;
  }
  result.number = number;

  // Reused from message to message (the writer is one thread): its strings keep their storage.
  static thread_local ProfileEdit edit;
  // The profile is read and written back through one cursor: one search instead of two.
  Cursor profile_cursor(ctx.txn, ctx.store.profiles);
  struct Release {
    ProfileEdit& e;
    ~Release() {
      e.cursor = nullptr;
      e.at_cursor = false;
    }
  } release{edit};
  edit.cursor = &profile_cursor;
  if (!load_profile(ctx, number, edit)) {
    // A first contact: the place worked out before the message was queued.
    edit.p.created = now;
    edit.p.region = prep.place.region;
    edit.p.location = prep.place.location;
  }
  Profile& p = edit.p;
  // A redelivery leaves no trace: the profile is not saved (nor created).
  if (seen_before(ctx.config, p, prep.fingerprint, now)) {
    result.outcome = InboundOutcome::duplicate;
    return result;
  }
  // Most SMSCs give a redelivered MO a new timestamp and reference: the same sender,
  // destination and text within minutes of an inbound whose answer may not have reached the
  // SMSC (the gateway says when: a link that dropped, an unclean stop) is one too.
  if (weak_redelivery(ctx, p, prep.weak_fingerprint, now)) {
    // Saved: the match it used is gone from the profile (one lost answer excuses one copy).
    save_profile(ctx, edit);
    result.outcome = InboundOutcome::duplicate;
    return result;
  }

  bool configured = false;
  const std::string from = sticky_sender(ctx.config, in.destination, &configured);
  // Texted to a number this gateway does not own (an SMSC routing mistake or a number not yet
  // configured): still applied — an opt-out is an opt-out wherever it was sent — and reported.
  result.unrouted = !configured;
  if (!from.empty()) p.sending_number = from;
  p.last_mo = now;

  const std::string_view text = bounded_text(in);
  // Classified before the message was queued, with the keyword table of that moment; when the
  // settings changed since (an earlier item of this batch or a commit in between), the table in
  // force decides: an opt-out word added meanwhile must win.
  KeywordMatch rematched;
  if (prep.keywords.get() != ctx.keywords) rematched = ctx.keywords->match(text);
  const KeywordMatch& km = prep.keywords.get() != ctx.keywords ? rematched : prep.match;

  Message m;
  m.direction = Direction::inbound;
  m.kind = km.kind == KeywordKind::none ? MessageKind::inbound : MessageKind::keyword;
  m.state = MessageState::received;
  m.text = std::string(text);
  m.media_omitted = in.media_omitted;
  m.incomplete = in.incomplete;
  m.keyword = km.keyword;
  m.sending_number = from.empty() ? in.destination.substr(0, 32) : from;
  m.created = now;
  m.state_at = now;
  m.smsc = in.smsc.substr(0, 64);
  append_message(ctx, p, m);
  result.seq = m.seq;

  if (km.kind != KeywordKind::none) {
    // Keywords are recorded but neither mark the conversation unread nor bring it to the inbox.
    result.outcome = InboundOutcome::keyword;
    apply_keyword(ctx, edit, km, m, from, now);
    emit_inbound(ctx, m, km.keyword, in, result, prep);
  } else {
    result.outcome = p.blocked ? InboundOutcome::blocked : InboundOutcome::free_text;
    p.in_inbox = true;
    p.archived = false;
    if (!p.blocked) ++p.unread;
    p.last_inbound = now;
    p.inbox_order = ctx.next_inbox_order();
    if (p.first_inbound == 0) p.first_inbound = now;
    if (p.awaiting_since == 0) p.awaiting_since = now;
    if (km.revocation_suspected) {
      result.revocation_suspected = true;
      flag_revocation(ctx, edit, m, from, now);
    }
    maybe_auto_reply(ctx, edit, from, now);
    emit_inbound(ctx, m, km.revocation_suspected ? "revocation?" : std::string(), in, result, prep);
  }
  if (p.blocked) result.outcome = InboundOutcome::blocked;
  save_profile(ctx, edit);
  return result;
}

}  // namespace twoway::engine
