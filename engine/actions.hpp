// Admin actions inside a write transaction: agent replies (consent, first contact, branded
// sender, sticky sender, quiet hours), campaign/flow sends (quiet hours, frequency caps),
// read/unread, archive, block, name and consent imports. Each returns a typed outcome that says
// why it was refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <vector>

#include "engine/context.hpp"
#include "engine/types.hpp"
#include "smpp/segment.hpp"

namespace twoway::engine {

struct ReplyRequest {
  std::string number;
  std::string text;
  std::string agent;
  bool override_quiet_hours = false;
  std::int64_t now = 0;
  bool no_shorten = false;  // leave the links as written (link shortening)
};

// An agent reply: only to a subscribed, unblocked profile that texted first, from the numeric
// number it last texted; in its quiet hours only with override.
[[nodiscard]] SendResult agent_reply(Context& ctx, const ReplyRequest& req);

struct SendRequest {
  std::string number;
  std::string text;
  MessageKind kind = MessageKind::campaign;  // campaign or flow
  std::string source;                        // which system sent it (kept as the agent field)
  std::int64_t now = 0;
  bool no_shorten = false;  // leave the links as written (link shortening)
  // The segment count of `text` when the caller counted it already (a bulk send counts its one
  // text once); used when no link is shortened, else the text as sent is counted.
  const smpp::SegmentCount* counted = nullptr;
};

// A campaign or flow message: subscribed, unblocked profiles only; held until the number's
// frequency cap has room (counting what went within its period and what is queued or held)
// and its quiet hours end, whichever is later (SendResult::hold_reason says which held it).
// Sent from the sticky sender, else the first configured sending number.
[[nodiscard]] SendResult campaign_send(Context& ctx, const SendRequest& req);

[[nodiscard]] ActionError mark_read(Context& ctx, std::string_view number, bool read,
                                    std::int64_t now);
[[nodiscard]] ActionError set_archived(Context& ctx, std::string_view number, bool archived,
                                       std::int64_t now);
// Blocking cancels whatever is queued for the number.
[[nodiscard]] ActionError set_blocked(Context& ctx, std::string_view number, bool blocked,
                                      std::int64_t now);
[[nodiscard]] ActionError set_name(Context& ctx, std::string_view number, std::string_view name,
                                   std::int64_t now);
// Consent from an import or an admin (creates the profile if needed); source and actor (the
// admin's user name, or the import's name) go to the consent log. Refused with consent_locked
// when the customer opted out by their own text and this would subscribe them (the refusal is
// logged too); invalid for a keyword source (only the customer's text is one) and for a text
// source with anything but unsubscribed.
[[nodiscard]] ActionError import_consent(Context& ctx, std::string_view number, Consent consent,
                                         ConsentSource source, std::int64_t now,
                                         std::string_view actor = {});

// ---- bulk: many recipients in one transaction (admin send-bulk, consent-import) ----

// One text to many numbers (already normalised; "" where the input was not a number).
struct BulkSend {
  std::vector<std::string> numbers;
  std::string text;
  MessageKind kind = MessageKind::campaign;
  std::string source;
  std::int64_t now = 0;
  bool no_shorten = false;
};

// What became of one recipient of a bulk send: queued (error ok, not held), held until `due`
// (hold_reason "quiet_hours" or "frequency_cap"), or refused (error).
struct BulkOutcome {
  SendError error = SendError::ok;
  bool held = false;
  std::int64_t due = 0;
  std::string hold_reason;
  // not_subscribed because the number opted out (else it never subscribed).
  bool unsubscribed = false;
};

// Every number by campaign_send's rules, in the caller's transaction; the text's segments are
// counted once. An empty number is refused as invalid_number. One outcome per number, in order.
[[nodiscard]] std::vector<BulkOutcome> campaign_send_group(Context& ctx, const BulkSend& req);

// What a consent import did to one number.
enum class ImportOutcome : std::uint8_t {
  changed,         // consent set (logged as applied)
  unchanged,       // it already had that consent (logged as unchanged)
  consent_locked,  // opted out by their own text: refused (logged as refused)
  invalid,         // not a usable number, or a source/state the import may not use
};
[[nodiscard]] const char* to_string(ImportOutcome o) noexcept;

// One consent change as import_consent makes it, with what it did.
[[nodiscard]] ImportOutcome import_consent_outcome(Context& ctx, std::string_view number,
                                                   Consent consent, ConsentSource source,
                                                   std::int64_t now, std::string_view actor);

// Many consent changes from one import, each as import_consent_outcome.
struct ConsentChangeRow {
  std::string number;  // normalised; "" where the input was not a number
  Consent consent = Consent::subscribed;
};
struct ConsentImport {
  std::vector<ConsentChangeRow> rows;
  ConsentSource source = ConsentSource::import;
  std::int64_t now = 0;
  std::string actor;
};
[[nodiscard]] std::vector<ImportOutcome> import_consent_group(Context& ctx,
                                                              const ConsentImport& req);

}  // namespace twoway::engine
