// Types shared by the conversation engine and its callers: configuration, inbound messages,
// profiles, thread messages, outbox items, views, events and the typed outcomes of actions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/frequency_caps.hpp"
#include "engine/keywords.hpp"
#include "engine/quiet_hours.hpp"

namespace twoway::engine {

// ---- enumerations (values are stored on disk: append only, never renumber) ----

enum class Consent : std::uint8_t { none = 0, subscribed = 1, unsubscribed = 2 };
// text: an opt-out staff confirmed from the customer's own free text ("please stop texting me").
enum class ConsentSource : std::uint8_t { none = 0, keyword = 1, import = 2, admin = 3, text = 4 };
// What became of a consent change (kept in the consent log): applied, refused by the consent
// lock (see consent.hpp), or asked for consent the number already had.
enum class ConsentOutcome : std::uint8_t { applied = 0, refused = 1, unchanged = 2 };

enum class Direction : std::uint8_t { inbound = 0, outbound = 1 };

// What a thread message is. Inbound: inbound (free text) or keyword. Outbound: the rest.
enum class MessageKind : std::uint8_t {
  inbound = 0,
  keyword = 1,
  agent_reply = 2,
  auto_reply = 3,
  keyword_reply = 4,  // opt-out / opt-in confirmations, HELP answer, custom keyword answers
  campaign = 5,
  flow = 6,
};

// Life of a message. Inbound messages are `received`.
enum class MessageState : std::uint8_t {
  received = 0,
  queued = 1,     // in the outbox, due now
  held = 2,       // in the outbox, due when quiet hours end or a frequency cap has room
  in_flight = 3,  // claimed by the sending side
  sent = 4,       // every segment accepted by the SMSC
  delivered = 5,
  failed = 6,
  cancelled = 7,  // withdrawn before submission (opt-out, block, consent lost)
};

enum class TextEncoding : std::uint8_t { gsm7 = 0, ucs2 = 1, latin1 = 2 };

enum class AutoResponderMode : std::uint8_t { off = 0, non_consented = 1, all = 2 };

// flagged: conversations whose text may revoke consent, waiting for staff to decide.
enum class InboxView : std::uint8_t { inbox = 0, unread = 1, archived = 2, flagged = 3 };

const char* to_string(Consent c) noexcept;
const char* to_string(ConsentSource s) noexcept;
const char* to_string(ConsentOutcome o) noexcept;
const char* to_string(MessageKind k) noexcept;
const char* to_string(MessageState s) noexcept;
const char* to_string(TextEncoding e) noexcept;
const char* to_string(AutoResponderMode m) noexcept;

// ---- settings an admin edits at run time (stored in LMDB; YAML gives first values) ----

struct AutoResponderSettings {
  AutoResponderMode mode = AutoResponderMode::off;
  // A template (engine/templates.hpp): {{organization.name}}, {{profile.first_name|there}}...
  std::string message =
      "{{organization.prefix}}: Thanks for your message. We will get back to you soon.";
  std::int64_t period_seconds = 24 * 3600;  // at most one auto-reply per number per period
};

struct KeywordAnswers {
  // Empty strings mean "the built-in text" (see router.cpp); placeholders as above.
  std::string opt_out;
  std::string opt_in;
  std::string help;
};

// How the mail relay is reached: plain SMTP, SMTP upgraded with STARTTLS (refused when the
// server does not offer it), or TLS from the first byte (SMTPS, usually port 465).
enum class SmtpTls : std::uint8_t { none = 0, starttls = 1, implicit = 2 };

// Email to staff when customers write (daemon/notifier.*): the first new free text of a quiet
// inbox at once, then at most one digest per `digest_seconds`.
struct EmailNotifications {
  bool enabled = false;
  std::vector<std::string> to;  // addr-spec each ("owner@shop.example")
  std::string from;
  std::int64_t digest_seconds = 300;
  std::string smtp_host = "127.0.0.1";
  std::uint32_t smtp_port = 25;
  SmtpTls smtp_tls = SmtpTls::none;
  std::string smtp_username;       // "" = no authentication
  std::string smtp_password_file;  // first line is the password, read at each mail
};

struct NotificationSettings {
  EmailNotifications email;
  std::int64_t waiting_threshold_seconds = 3600;
};

// Links in outbound texts become https://DOMAIN/CODE (engine/links.hpp); twowayd serves the
// redirects on `listen` (daemon/link_server.hpp).
struct LinkShortening {
  bool enabled = false;  // only with a domain (settings_errors)
  std::string domain;
  std::string listen = "127.0.0.1:8080";     // HOST:PORT of the redirect listener
  std::int64_t expiry_seconds = 90 * 86400;  // a link answers 410 Gone after this
};

struct Settings {
  AutoResponderSettings auto_responder;
  KeywordConfig keywords;
  KeywordAnswers answers;
  QuietHoursConfig quiet_hours = default_quiet_hours();
  NotificationSettings notifications;
  LinkShortening link_shortening;
  FrequencyCapsConfig frequency_caps = default_frequency_caps();
};

// ---- configuration fixed at start ----

struct Organization {
  std::string name;               // the business's name ({{organization.name}}; "" = the prefix)
  std::string prefix = "twoway";  // brand prefix at the start of every automatic answer
  std::string email;              // support contact
  std::string help_text;          // extra HELP text (e.g. what the programme is)
  std::string frequency = "Msg frequency varies.";
};

struct EngineConfig {
  std::string path;                             // LMDB environment directory (created if missing)
  std::size_t map_size = std::size_t{1} << 30;  // first map size; grown when full
  std::size_t max_map_size = 0;       // the map never grows past this; 0 = no limit but LMDB's
  bool durable = true;                // fsync per commit; false = MDB_NOSYNC + periodic sync
  int relaxed_sync_ms = 1000;         // sync interval in relaxed mode
  bool write_map = false;             // LMDB MDB_WRITEMAP (see StoreOptions)
  std::string default_region = "US";  // for national-format numbers
  Organization organization;
  std::vector<std::string> sending_numbers;  // numeric only (long codes, short codes, toll-free)
  std::map<std::string, std::uint32_t> credit_rates;  // region code -> credits per segment
  std::uint32_t default_credit_rate = 1;
  std::int64_t redelivery_window_seconds = 7 * 24 * 3600;
  std::int64_t dlr_expiry_seconds = 7 * 24 * 3600;
  std::int64_t retry_base_seconds = 30;  // first wait after a retryable refusal, then doubled
  std::size_t max_text_bytes = 4096;     // admin-supplied texts beyond this are refused
  Settings initial_settings;
};

// ---- inbound ----

// A reassembly part stored with Engine::submit_partial: its receive time (ms) and the caller's
// token (unique per part).
struct PartKey {
  std::int64_t now_ms = 0;
  std::uint64_t token = 0;
  friend bool operator==(const PartKey&, const PartKey&) = default;
};

// A position in the cluster's inbound log: a partition and the stream sequence of an entry.
struct LogPosition {
  std::uint32_t partition = 0;
  std::uint64_t seq = 0;  // 0: none
  // The entry was applied before by another node (the partition's previous owner), which
  // answered it: its effects are rebuilt here, and a message it queues (due now or held) is
  // recorded as sent instead of being sent again: the mark passed it once it had left.
  bool replay = false;
};

struct InboundMessage {
  std::string smsc;    // bind name
  std::string source;  // as received
  std::uint8_t source_ton = 0;
  std::uint8_t source_npi = 0;
  std::string destination;        // the number the subscriber texted
  std::string text;               // UTF-8
  bool media_omitted = false;     // MMS notification / binary part dropped, text kept
  bool incomplete = false;        // reassembly timed out; what arrived is kept
  std::string smsc_timestamp;     // for redelivery detection; may be empty
  std::string message_reference;  // e.g. receipted_message_id / SAR ref; may be empty
  std::int64_t received_unix = 0;
  // Parts stored earlier (submit_partial) that this message completes: removed in the same
  // transaction that stores the message.
  std::vector<PartKey> stored_parts;
  // Where the message came from when a cluster node applies it from the shared inbound log
  // (seq 0: not from a log). The engine keeps the last position applied per partition in the
  // same transaction as the message, and skips a position it applied before: each entry of
  // the log is applied once, across restarts and repeated reads.
  LogPosition log;
};

// What became of an inbound message (returned by the synchronous path, carried in events).
enum class InboundOutcome : std::uint8_t {
  free_text = 0,
  keyword = 1,
  duplicate = 2,  // redelivery recognised, not applied again
  blocked = 3,    // stored, not shown, not answered
  rejected = 4,   // unusable (no source)
};

// ---- delivery receipts ----

enum class ReceiptState : std::uint8_t { accepted, delivered, failed, expired, rejected, unknown };

struct Receipt {
  std::string smsc;
  std::string message_id;  // as the SMSC reported it; normalised by the engine
  ReceiptState state = ReceiptState::unknown;
  std::string error;  // network error code / text, kept as given
  std::int64_t time_unix = 0;
  std::int64_t received_unix = 0;  // when it arrived (0: time_unix)
  LogPosition log;                 // as InboundMessage::log
};

// ---- stored records, as views see them ----

// A recent inbound's redelivery fingerprint, kept in its sender's profile (see router.cpp).
struct RecentMo {
  std::uint64_t fingerprint = 0;
  std::int64_t at = 0;
  bool operator==(const RecentMo&) const = default;
};

struct Profile {
  std::string number;  // E.164, or short code / alphanumeric as received
  std::string name;
  Consent consent = Consent::none;
  ConsentSource consent_source = ConsentSource::none;
  std::int64_t consent_since = 0;
  bool blocked = false;
  bool archived = false;
  bool in_inbox = false;  // has free text that brought it to the inbox
  std::uint32_t unread = 0;
  std::int64_t last_inbound = 0;  // last free-text inbound (inbox order)
  std::int64_t last_outbound = 0;
  std::int64_t last_message_at = 0;
  std::string last_preview;
  std::string sending_number;     // sticky sender: the number the subscriber last texted
  std::string location;           // "Mountain View, CA"
  std::string region;             // "US"
  std::uint64_t next_seq = 1;     // next message sequence in the thread
  std::uint64_t inbox_order = 0;  // tie-breaker of the inbox key
  std::int64_t last_auto_reply = 0;
  std::int64_t first_inbound = 0;
  std::int64_t first_agent_reply = 0;
  std::int64_t awaiting_since = 0;  // free text not yet answered by an agent (0 = none)
  std::vector<std::string> tags;
  std::int64_t created = 0;
  std::int64_t last_mo = 0;  // last inbound of any kind (keyword or free text); 0 = never texted
  // Fingerprints of the latest inbound within the redelivery window, newest last (bounded).
  std::vector<RecentMo> recent_mo;
  // Weak fingerprints (sender, destination, text) of the newest inbound (see redelivery.hpp).
  std::vector<RecentMo> recent_weak;
  std::uint64_t last_message_id = 0;  // newest message of the thread (0 = none)
  // A text that may revoke consent ("I want to cancel my order", "wrong number") flags the
  // conversation until staff decide or the customer sends a keyword: when, and which message.
  std::int64_t revocation_flagged_at = 0;
  std::uint64_t revocation_message_id = 0;
  // When campaign/flow messages to a number a frequency cap names were handed to the SMSC,
  // oldest first: only the longest cap period back, at most kMaxCapHistory.
  std::vector<std::int64_t> campaign_sent_at;
};

struct Message {
  std::string number;
  std::uint64_t seq = 0;   // position in the thread (1, 2, ...)
  std::uint64_t id = 0;    // store-wide id, in the order messages were written
  std::uint64_t prev = 0;  // id of the thread's previous message (0 = the first)
  Direction direction = Direction::inbound;
  MessageKind kind = MessageKind::inbound;
  MessageState state = MessageState::received;
  std::string text;
  bool media_omitted = false;
  bool incomplete = false;
  std::string keyword;         // matched keyword for kind keyword
  std::string sending_number;  // our number (to for inbound, from for outbound)
  std::int64_t created = 0;
  std::int64_t state_at = 0;
  std::string error;
  TextEncoding encoding = TextEncoding::gsm7;
  std::uint32_t segments = 0;
  std::uint32_t credits = 0;
  std::vector<std::string> smsc_ids;         // per segment ("" until submitted)
  std::vector<std::uint8_t> segment_states;  // MessageState per segment
  std::string agent;                         // who sent an agent reply
  std::uint64_t outbox_id = 0;
  std::string smsc;  // bind it came in on / left by
};

// ---- outbox (the sending side's interface) ----

// Why a hand-over to the SMSC did not go through (Engine::mark_failed).
enum class SubmitFailure : std::uint8_t {
  refused,            // the SMSC refused it for good (invalid destination, ...): failed now
  refused_retryable,  // the SMSC refused it for now (system error, queue full): counts an attempt
  // No SMSC decided anything: the link was lost, the request timed out, no bind was up. Never
  // counts an attempt: the message waits and goes when a bind is back.
  transport,
};

struct OutboundItem {
  std::uint64_t id = 0;
  std::string to;
  std::string from;  // sending number
  std::string text;
  TextEncoding encoding = TextEncoding::gsm7;
  std::uint32_t segments = 0;
  MessageKind kind = MessageKind::agent_reply;
  std::uint32_t attempts = 0;
  // Per segment, whether the SMSC accepted it in an earlier attempt: a retry sends only the
  // others (with the same concatenation reference, so the handset joins them). Empty when no
  // segment was accepted yet.
  std::vector<bool> accepted;
};

// ---- views ----

struct InboxRow {
  std::string number;
  std::string name;
  std::string preview;
  std::int64_t time = 0;  // last inbound
  std::uint32_t unread = 0;
  Consent consent = Consent::none;
  bool blocked = false;
  bool archived = false;
  bool revocation_flagged = false;  // shown as "revocation?"
  std::int64_t waiting_since = 0;   // free text not yet answered since then (0 = none)
  std::string cursor;               // this row's place in the view: a `before` for what follows
};

struct InboxPage {
  std::vector<InboxRow> rows;
  std::string next_cursor;  // empty at the end
  bool bad_cursor = false;  // the cursor was not a next_cursor of an inbox page (no rows then)
};

struct ThreadHeader {
  std::string number;
  std::string name;
  Consent consent = Consent::none;
  ConsentSource consent_source = ConsentSource::none;
  std::int64_t consent_since = 0;
  std::string location;
  std::string local_time;  // recipient's current local time ("" when unknown)
  std::vector<std::string> time_zones;
  std::string sending_number;
  bool blocked = false;
  bool archived = false;
  std::int64_t revocation_flagged_at = 0;   // 0: not flagged
  std::int64_t response_time_seconds = -1;  // first inbound -> first agent reply, -1 if none
};

// A short link made for an outbound message (stored in `links`, see engine/links.hpp).
struct ShortLink {
  std::string code;
  std::string url;     // where it leads
  std::string domain;  // the short domain it was made for: https://DOMAIN/CODE
  std::uint64_t message_id = 0;
  std::int64_t created = 0;
  std::int64_t expires = 0;  // Unix time; the redirect answers 410 from then on
  std::uint64_t clicks = 0;
};

struct ThreadPage {
  bool found = false;
  ThreadHeader header;
  std::vector<Message> messages;  // oldest first
  // The short links of the page's outbound messages, by message id.
  std::map<std::uint64_t, std::vector<ShortLink>> links;
  std::uint64_t next_cursor = 0;  // pass as `before` to get older messages; 0 at the start
  bool bad_cursor = false;        // `before` was not a message of this thread (no messages then)
};

// Bounds of what a consent log entry keeps (longer values are cut, texts on a UTF-8 boundary).
inline constexpr std::size_t kConsentLogMaxText = 1600;  // ten concatenated GSM parts
inline constexpr std::size_t kConsentLogMaxField = 128;  // keyword, actor, sending number

// One entry of the consent log: a change of a number's consent, or an attempt the consent lock
// refused, with where it came from.
struct ConsentLogEntry {
  std::uint64_t id = 0;  // increasing across the store, in the order entries were written
  std::int64_t time = 0;
  std::string number;
  Consent from = Consent::none;
  Consent to = Consent::none;  // asked for (the profile keeps `from` when refused)
  ConsentSource source = ConsentSource::none;
  ConsentOutcome outcome = ConsentOutcome::applied;
  std::string keyword;           // the matched keyword (keyword source)
  std::string text;              // the customer's exact text (bounded, kConsentLogMaxText)
  std::string actor;             // the admin user, or the import's name
  std::string sending_number;    // our number involved
  std::uint64_t message_id = 0;  // the inbound message that caused it (0: none)
};

struct ConsentLogPage {
  std::vector<ConsentLogEntry> rows;  // oldest first
  std::string next_cursor;            // pass as `after` for the next page; empty at the end
  bool bad_cursor = false;            // `after` was not a cursor of this log (no rows then)
};

struct Stats {
  std::uint64_t credits_today = 0;
  std::uint64_t credits_month = 0;
  std::uint64_t conversations_answered = 0;
  std::int64_t average_response_seconds = -1;
  std::uint64_t waiting_over_threshold = 0;  // waiting for an answer longer than the threshold
  std::uint64_t outbox_due = 0;
  std::uint64_t outbox_in_flight = 0;
};

// ---- typed outcomes of actions ----

enum class SendError : std::uint8_t {
  ok = 0,
  not_found,  // no such profile
  not_subscribed,
  no_inbound,  // nobody is texted first
  blocked,
  branded_sender,  // no numeric number to reply from
  quiet_hours,     // recipient's quiet hours; needs an explicit override
  empty_text,
  text_too_long,
  invalid_number,
  storage,             // the store failed; nothing was queued
  revocation_pending,  // the customer's text may have revoked consent: staff decide first
};
const char* to_string(SendError e) noexcept;

struct SendResult {
  SendError error = SendError::ok;
  std::uint64_t outbox_id = 0;
  std::uint64_t seq = 0;
  bool held = false;  // waiting for quiet hours to end or a frequency cap to have room
  std::int64_t due_unix = 0;
  std::string hold_reason;                  // "" (not held), "frequency_cap" or "quiet_hours"
  QuietVerdict quiet{true, 0, {}, "", ""};  // the recipient's quiet-hours verdict
  FrequencyCapVerdict frequency_cap;        // the cap that applied (campaign and flow only)
  // The message as stored: the text that goes out (links shortened), its size and cost.
  std::string text;
  std::uint32_t segments = 0;
  std::uint32_t credits = 0;
  TextEncoding encoding = TextEncoding::gsm7;
  [[nodiscard]] bool ok() const noexcept { return error == SendError::ok; }
};

enum class ActionError : std::uint8_t {
  ok = 0,
  not_found,
  invalid,
  storage,
  // The customer opted out by their own text (keyword, or free text staff confirmed): only
  // their own opt-in text can subscribe them again.
  consent_locked,
};
const char* to_string(ActionError e) noexcept;

// ---- change feed ----

enum class EventType : std::uint8_t {
  inbound,   // a message arrived (free text or keyword)
  outbound,  // an outbound message was created or changed state
  consent,   // consent changed
  receipt,   // a delivery receipt updated a message
  profile,   // read/archive/block/name changed
  settings,  // settings edited
};

struct Event {
  EventType type = EventType::inbound;
  std::string number;
  std::uint64_t seq = 0;
  MessageKind kind = MessageKind::inbound;
  MessageState state = MessageState::received;
  Consent consent = Consent::none;
  std::int64_t time = 0;
  std::string detail;  // short, no message bodies (e.g. keyword, error code)
  // Inbound and outbound: the message's text, the SMS segments it takes and their encoding
  // (inbound: counted from the text as smpp::count_segments does).
  std::string text;
  std::uint32_t segments = 0;
  TextEncoding encoding = TextEncoding::gsm7;
  // Inbound: texted to a number that is not a configured sending number.
  bool unrouted = false;
  std::string destination;  // inbound: the number the customer texted
  // Inbound: the text may revoke consent; the conversation is flagged for staff.
  bool revocation_suspected = false;
};

using EventCallback = std::function<void(const Event&)>;
using Completion = std::function<void(bool committed)>;

}  // namespace twoway::engine
