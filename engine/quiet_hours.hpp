// Quiet hours: whether a message may be sent to a number now, in the recipient's local time
// (every zone the number may be in), with stricter windows per US state or area code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/phone.hpp"

namespace twoway::engine {

// The allowed sending window in local time, minutes after midnight, [start, end).
// start == end means always allowed; start > end wraps past midnight (e.g. 22:00-06:00).
struct QuietWindow {
  int start_minute = 8 * 60;
  int end_minute = 21 * 60;
};

// A stricter window for some numbers. Each entry of area_codes_or_regions (see regions.hpp) is:
// "US-XX" (a US state, by the area code table below), "+1305" (an E.164 prefix, usually a NANP
// area code), or "GB" (a region as region_code() returns it).
struct QuietHoursRule {
  std::string name;
  std::vector<std::string> area_codes_or_regions;
  QuietWindow window;
};

struct QuietHoursConfig {
  bool enabled = true;
  QuietWindow default_window;
  std::vector<QuietHoursRule> rules;  // the first rule that matches a number applies
};

// 08:00-21:00 by default, plus the stricter state laws as rules ("US-FL" etc.):
// CT 09:00-20:00; FL, MD, MA, NJ, OK, WA 08:00-20:00. States whose hours differ by weekday
// (TX, RI, AL, LA, MS, ...) are not expressible as one window and are left to the operator.
QuietHoursConfig default_quiet_hours();

struct QuietVerdict {
  bool allowed;                 // sending now is inside the allowed window in every zone
  std::int64_t next_open_unix;  // when it opens (== now if allowed)
  std::vector<std::string> zones;
  std::string local_time;  // recipient's local time "HH:MM" (first zone); "" if unknown
  std::string rule;        // "default", the rule name that applied, or "" when disabled
};

// The verdict for sending to e164 at now_unix. When several zones apply (a prefix spanning
// zones), only minutes allowed in all of them are allowed and next_open_unix is the earliest
// instant allowed in all. If the zones never share an allowed minute within two days, the first
// zone alone decides. A number with no known zone (short code, alphanumeric, garbage) is
// always allowed: its clock cannot be known. So is an instant outside years 1900..9999 (a clock
// error; the verdict then has no zones).
[[nodiscard]] QuietVerdict check_quiet_hours(const QuietHoursConfig&, const PhoneNumbers&,
                                             std::string_view e164, std::int64_t now_unix);

// Loads every zone of the phone table into ICU now (about 20 ms) instead of on the first
// check_quiet_hours() call; optional, for start-up. Thread-safe.
void preload_time_zones();

// "HH:MM" local time in an IANA zone at now_unix; "" for an unknown zone or insane instant.
[[nodiscard]] std::string local_time_string(std::string_view iana_zone, std::int64_t now_unix);

// Two-letter US state ("FL") of a NANP number by its area code, "" when not in the table.
// The table covers the 50 states and DC ("DC"); not the territories (PR, GU, VI, ...), which are
// regions of their own (match them with "PR" etc.).
[[nodiscard]] std::string_view us_state_of(std::string_view e164);

// Problems in a config, one message each ("rule FL: unknown state US-XX", bad minutes), so a
// loader can refuse it; empty when it is usable.
[[nodiscard]] std::vector<std::string> quiet_hours_config_errors(const QuietHoursConfig&);

}  // namespace twoway::engine
