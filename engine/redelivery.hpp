// Redeliveries the SMSC gives a new timestamp and reference: a weaker fingerprint (sender,
// destination, text) of recent inbound, and the windows in which the gateway's answers may not
// have reached the SMSC (a link that dropped, an unclean stop). Internal to engine/.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/context.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// How long a weak fingerprint is kept, and so how late a redelivery is still recognised by it:
// an SMSC redelivers within seconds to a few minutes of losing the answer.
inline constexpr std::int64_t kWeakRedeliverySeconds = 600;
// Weak fingerprints kept per sender (the newest).
inline constexpr std::size_t kMaxRecentWeak = 8;

// After an unclean stop (the store was not closed), answers to what was received this many
// seconds before the last message written may not have reached the SMSC: an answer leaves as
// soon as its commit is on disk, so only the last moments' answers can have been cut off.
inline constexpr std::int64_t kUncleanStopSeconds = 10;

// When the newest message in the log was written (nullopt: none, or unreadable).
[[nodiscard]] std::optional<std::int64_t> last_written_at(Context& ctx);

// Records that answers to inbound received in [from, to] (Unix seconds) may not have reached
// the SMSC. Windows older than kWeakRedeliverySeconds are forgotten.
void note_unconfirmed_answers(Context& ctx, std::int64_t from, std::int64_t to);

// True when `fingerprint` (the router's weak fingerprint of an inbound: sender, destination,
// the handset's references and text, no SMSC timestamp) is that of an inbound of this sender
// received less than kWeakRedeliverySeconds ago whose answer may not have reached the SMSC
// (received inside a window noted above): a redelivery, and the match is used up. Otherwise
// records the fingerprint in the profile (saved with it) and returns false, so two identical
// texts sent on a healthy link ("Yes", "Yes") are both kept.
[[nodiscard]] bool weak_redelivery(Context& ctx, Profile& p, std::uint64_t fingerprint,
                                   std::int64_t now);

}  // namespace twoway::engine
