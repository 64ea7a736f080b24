// The durable outbox: every outbound is stored (with encoding, segments and credits) before it
// is handed to a bind; the sending side claims due messages (consent re-checked in the same
// transaction: opt-out wins races), reports SMSC ids per segment or failures; delivery receipts
// update the message by normalised SMSC id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/context.hpp"
#include "engine/profiles.hpp"
#include "engine/types.hpp"
#include "smpp/segment.hpp"

namespace twoway::engine {

struct OutboundRequest {
  MessageKind kind = MessageKind::agent_reply;
  std::string text;
  std::string from;  // sending number (numeric)
  std::int64_t now = 0;
  std::int64_t due = 0;  // > now: held until then (quiet hours)
  std::string agent;
  std::string purpose;      // "opt_out", "opt_in", "help", "custom", "" (kept in Message::keyword)
  bool no_shorten = false;  // leave the links as written (link shortening, links.hpp)
  // The segment count of `text` when known (bulk sends count their text once): used when no
  // link was shortened.
  const smpp::SegmentCount* counted = nullptr;
};

// Stores the message in the thread and the outbox. With link shortening on (and not
// req.no_shorten) the links in the text become short links first, stored in the same
// transaction, so the segments and credits are those of the text that is sent. The profile is
// updated (seq, preview) and must be saved by the caller. Returns the outbox id and thread seq;
// `stored` receives the message as stored.
std::uint64_t enqueue_outbound(Context& ctx, ProfileEdit& edit, const OutboundRequest& req,
                               std::uint64_t* seq_out = nullptr, Message* stored = nullptr);

// After a transaction's items ran and before it commits: each message its items handed over
// (ctx.handoff) is checked again as claim_due() would check it now, against what later items
// of the transaction did (a STOP after the text it answers). One cancelled meanwhile is
// dropped from the list; one that would no longer be sent goes back to queued, for
// claim_due() to cancel or hold. Returns what stays handed over.
std::vector<OutboundItem> confirm_handoff(Context& ctx);

// What cancel_outbound_for withdraws: everything queued but a waiting opt-out confirmation
// (opt-out, block), only campaign and flow messages (a text that may revoke consent, until
// staff decide), or only a waiting opt-out confirmation (the customer opted back in before it
// left: it would now tell them the opposite).
enum class CancelScope : std::uint8_t { all, marketing, opt_out_confirmation };

// Cancels queued or in-flight outbound for the number (see CancelScope). Returns how many.
std::size_t cancel_outbound_for(Context& ctx, std::string_view number, std::int64_t now,
                                const char* reason, CancelScope scope = CancelScope::all);

// An opt-out confirmation that cannot leave within this many seconds of the opt-out (the SMSC
// is down) is dropped rather than sent late (reason "confirmation_expired").
inline constexpr std::int64_t kOptOutConfirmationWindowSeconds = 300;

// When the number's campaign and flow messages not yet handed over are due (queued or held):
// what a new one is counted against besides the profile's history. Retries and messages in
// flight are left out; the history has them.
std::vector<std::int64_t> pending_campaign_dues(Context& ctx, std::string_view number);

// Claims up to `limit` messages due at `now`, re-checking consent, blocking and (for campaign
// and flow messages) quiet hours and frequency caps; claimed ones become in flight, and a
// campaign or flow message to a capped number is added to its profile's send history.
std::vector<OutboundItem> claim_due(Context& ctx, std::int64_t now, std::size_t limit);

// Records the SMSC id of one segment; when every segment has one the message is `sent` and
// leaves the outbox. False when the id is unknown (already finished or never claimed).
[[nodiscard]] bool mark_submitted(Context& ctx, std::uint64_t id, std::uint32_t segment,
                                  std::string_view smsc_message_id, std::int64_t now);

// A submission failed. A refusal for now goes back to due with a backoff, up to kMaxAttempts
// refusals; a refusal for good becomes `failed` with the error. A transport failure (see
// SubmitFailure) never uses up an attempt: the message goes back to due after a short wait
// (kTransportRetrySeconds, doubled up to kTransportRetryMaxSeconds) however often it happens,
// so a required answer (HELP, opt-in confirmation, clarification) is never dropped for it.
// An opt-out confirmation still obeys its five-minute window (claim_due drops it after).
// False when the id is unknown.
[[nodiscard]] bool mark_failed(Context& ctx, std::uint64_t id, std::string_view error,
                               SubmitFailure failure, std::int64_t now);
inline constexpr std::uint32_t kMaxAttempts = 5;
inline constexpr std::int64_t kTransportRetrySeconds = 5;
inline constexpr std::int64_t kTransportRetryMaxSeconds = 30;

// Applies a delivery receipt; false when no message has that SMSC id.
[[nodiscard]] bool record_receipt(Context& ctx, const Receipt& receipt);
// A receipt as it arrives: applied, or, when no message has its id yet (it overtook its
// submit_sm_resp, e.g. on another bind of the SMSC), held for kReceiptHoldSeconds and applied
// when mark_submitted records the id. True when applied at once.
bool receive_receipt(Context& ctx, const Receipt& receipt);
inline constexpr std::int64_t kReceiptHoldSeconds = 600;
inline constexpr std::size_t kMaxHeldReceipts = 100000;  // keys (a receipt takes one to three)

// At start-up: everything in flight goes back to due (nothing lost across a crash).
std::size_t requeue_in_flight(Context& ctx);

// Removes expired dlr_index entries, at most `budget` examined from `resume` on; returns the
// key to resume from next time ("" when the sweep wrapped around).
std::string sweep_dlr_index(Context& ctx, std::int64_t now, std::string resume, std::size_t budget);
// Drops held receipts whose time is up (at most `budget` keys a call).
void sweep_held_receipts(Context& ctx, std::int64_t now, std::size_t budget);

// Lower-case, trimmed, leading zeros removed.
std::string normalize_smsc_id(std::string_view id);

// "YYYYMMDD" and "YYYYMM" of a Unix time (UTC).
std::string day_key(std::int64_t unix_time);
std::string month_key(std::int64_t unix_time);

// Stats counters (8-byte big-endian values in `stats`).
void add_stat(Context& ctx, std::string_view key, std::uint64_t delta);
[[nodiscard]] std::uint64_t read_stat(const Txn& txn, const Store& store, std::string_view key);

}  // namespace twoway::engine
