// Frequency caps: at most N campaign or flow messages to one recipient per rolling period, per
// US state, area code or region (Florida and Oklahoma allow 3 marketing texts per 24 hours).
// Direct answers (keyword replies, auto-replies, agent replies) are never capped or counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/phone.hpp"
#include "engine/quiet_hours.hpp"

namespace twoway::engine {

// Send times a profile keeps (Profile::campaign_sent_at): the largest allowed max_messages.
inline constexpr std::size_t kMaxCapHistory = 32;
inline constexpr std::int64_t kMinCapPeriodSeconds = 60;
inline constexpr std::int64_t kMaxCapPeriodSeconds = 31 * 24 * 3600;

// At most max_messages campaign/flow messages in any period_seconds to a number that one of
// `regions` names (entries as in regions.hpp: "US-FL", "+1305", "GB").
struct FrequencyCapRule {
  std::string name;
  std::vector<std::string> regions;
  std::uint32_t max_messages = 3;
  std::int64_t period_seconds = 24 * 3600;
};

struct FrequencyCapsConfig {
  bool enabled = true;
  std::vector<FrequencyCapRule> rules;  // the first rule that matches a number applies
};

// The state laws: florida (US-FL) and oklahoma (US-OK), 3 per 24 hours each.
[[nodiscard]] FrequencyCapsConfig default_frequency_caps();

// The rule that applies to the number, enabled or not (sends are recorded while caps are off,
// so turning them on counts what went before); nullptr when none matches.
[[nodiscard]] const FrequencyCapRule* frequency_cap_rule(const FrequencyCapsConfig&,
                                                         const PhoneNumbers&,
                                                         std::string_view e164);

// The largest period of any rule (0 without rules): how long send times are worth keeping.
[[nodiscard]] std::int64_t longest_cap_period(const FrequencyCapsConfig&);

struct FrequencyCapVerdict {
  bool allowed = true;              // another message may go at now
  std::int64_t next_slot_unix = 0;  // when one may (== now if allowed)
  std::string rule;                 // the rule that applied; "" when none or caps are off
  std::uint32_t max_messages = 0;
  std::int64_t period_seconds = 0;
  std::uint32_t counted = 0;  // messages counted against it: in the window or still to go
};

// The verdict for one more message to e164 at now_unix. `times` are when the number's other
// campaign/flow messages went or are due to go (handed to the SMSC, or queued or held), in any
// order. A slot opens when fewer than max_messages of them fall in the period before it, and
// the new message goes after those still to go; times before the window are ignored.
[[nodiscard]] FrequencyCapVerdict check_frequency_cap(const FrequencyCapsConfig&,
                                                      const PhoneNumbers&, std::string_view e164,
                                                      std::vector<std::int64_t> times,
                                                      std::int64_t now_unix);

// When a campaign or flow message may go: the frequency cap first, then quiet hours at that
// time (a slot that opens in quiet hours moves on to when they end), so the later hold wins.
struct CampaignHold {
  std::int64_t due = 0;                     // == now when it may go at once
  std::string reason;                       // "" (not held), "frequency_cap" or "quiet_hours"
  QuietVerdict quiet{true, 0, {}, "", ""};  // at now (its local time is the recipient's now)
  FrequencyCapVerdict cap;
};
[[nodiscard]] CampaignHold campaign_hold(const QuietHoursConfig&, const FrequencyCapsConfig&,
                                         const PhoneNumbers&, std::string_view e164,
                                         std::vector<std::int64_t> times, std::int64_t now_unix);

// Adds a send time to a profile's history, oldest first, keeping only what falls within
// keep_seconds before `at` and at most kMaxCapHistory entries.
void record_capped_send(std::vector<std::int64_t>& history, std::int64_t at,
                        std::int64_t keep_seconds);

// Problems in a config, one message each ("rule florida: max must be 1..32"); empty when usable.
[[nodiscard]] std::vector<std::string> frequency_caps_config_errors(const FrequencyCapsConfig&);

}  // namespace twoway::engine
