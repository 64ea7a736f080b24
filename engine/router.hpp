// Inbound routing: every MO text becomes the right action — redelivery check, sender
// normalisation, keyword (opt-out, opt-in, HELP, custom) or free text (thread, inbox, unread,
// auto-responder) — inside the caller's write transaction. Pure logic: time is an argument.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/context.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

struct InboundResult {
  InboundOutcome outcome = InboundOutcome::free_text;
  std::string number;                 // normalised sender
  std::uint64_t seq = 0;              // thread seq of the stored message (0 for duplicate/rejected)
  bool unrouted = false;              // texted to a number that is not a configured sending number
  bool revocation_suspected = false;  // free text that may revoke consent: flagged for staff
};

// What an inbound message needs that no transaction can change, worked out before it is queued
// (on the submitting thread, Engine::submit_inbound) so that the writer only reads and writes
// the store: the normalised sender, the place of a first contact, the keyword classification
// (with the table it came from), the redelivery fingerprints and the text's segments.
struct PreparedInbound {
  bool ready = false;         // false: route_inbound works everything out itself
  std::string number;         // normalised sender; "" unreadable (rejected)
  PhoneNumbers::Place place;  // region and place of `number`, for a new profile
  // The table `match` came from. The writer matches again when the table in force differs (a
  // settings change between prepare and apply): an opt-out word added meanwhile is never missed.
  std::shared_ptr<const KeywordTable> keywords;
  KeywordMatch match;
  std::uint64_t fingerprint = 0;       // strong redelivery fingerprint (0: none)
  std::uint64_t weak_fingerprint = 0;  // weak one (redelivery.hpp)
  std::uint32_t segments = 1;          // of the stored (bounded) text
  TextEncoding encoding = TextEncoding::gsm7;
};

// Fills `out` for `in` (any thread; `phones` and `keywords` are only read).
void prepare_inbound(const PhoneNumbers& phones, std::shared_ptr<const KeywordTable> keywords,
                     const InboundMessage& in, PreparedInbound& out);

// Applies one inbound message (the steps: docs/ARCHITECTURE.md §2.1; the contract: engine.hpp).
// `prepared` (when ready) saves the work prepare_inbound did; the result is the same.
InboundResult route_inbound(Context& ctx, const InboundMessage& in,
                            const PreparedInbound* prepared = nullptr);

// The number replies leave from for an inbound sent to `destination`: the configured sending
// number it matches (digits compared), else the destination as given; "" for an alphanumeric
// destination (conversations never run on branded sender ids). *configured tells whether it
// matched a configured sending number.
std::string sticky_sender(const EngineConfig& config, std::string_view destination,
                          bool* configured = nullptr);

// The one clarification sent when a text may have revoked consent (FCC: one message to
// clarify the scope of a revocation is allowed).
[[nodiscard]] std::string clarification_text(const Organization& org);

// Staff decide a flagged conversation: opt_out records the customer's text as their opt-out
// (consent source `text`, locked like a keyword STOP; the confirmation goes when the text is at
// most five minutes old), otherwise the flag is dismissed and consent stays as it is.
[[nodiscard]] ActionError resolve_revocation(Context& ctx, std::string_view number, bool opt_out,
                                             std::string_view actor, std::int64_t now);

}  // namespace twoway::engine
