// Frequency caps: the rolling-window count, the combination with quiet hours and the bounded
// history of send times (see frequency_caps.hpp).
#include "engine/frequency_caps.hpp"

#include <algorithm>

#include "engine/regions.hpp"

namespace twoway::engine {

FrequencyCapsConfig default_frequency_caps() {
  FrequencyCapsConfig config;
  config.rules = {
      {"florida", {"US-FL"}, 3, 24 * 3600},
      {"oklahoma", {"US-OK"}, 3, 24 * 3600},
  };
  return config;
}

const FrequencyCapRule* frequency_cap_rule(const FrequencyCapsConfig& config,
                                           const PhoneNumbers& phones, std::string_view e164) {
  return first_matching_rule(config.rules, &FrequencyCapRule::regions, phones, e164);
}

std::int64_t longest_cap_period(const FrequencyCapsConfig& config) {
  std::int64_t longest = 0;
  for (const FrequencyCapRule& rule : config.rules)
    longest = std::max(longest, rule.period_seconds);
  return longest;
}

FrequencyCapVerdict check_frequency_cap(const FrequencyCapsConfig& config,
                                        const PhoneNumbers& phones, std::string_view e164,
                                        std::vector<std::int64_t> times, std::int64_t now_unix) {
  FrequencyCapVerdict verdict;
  verdict.next_slot_unix = now_unix;
  if (!config.enabled) return verdict;
  const FrequencyCapRule* rule = frequency_cap_rule(config, phones, e164);
  if (rule == nullptr) return verdict;
  verdict.rule = rule->name;
  verdict.max_messages = rule->max_messages;
  verdict.period_seconds = rule->period_seconds;

  // Only times inside the window before now, or after it, can share a window with the new one.
  const std::int64_t window_start = now_unix - rule->period_seconds;
  std::erase_if(times, [&](std::int64_t t) { return t <= window_start; });
  std::sort(times.begin(), times.end());
  verdict.counted = static_cast<std::uint32_t>(times.size());
  const std::size_t max = std::max<std::uint32_t>(rule->max_messages, 1);
  if (times.size() < max) return verdict;
  // Placed after every other time t, the new message shares a window only with those in
  // (t - period, t]: fewer than max once t - period reaches the max-th latest of them.
  const std::int64_t slot = times[times.size() - max] + rule->period_seconds;
  verdict.next_slot_unix = std::max(slot, std::max(now_unix, times.back()));
  verdict.allowed = verdict.next_slot_unix <= now_unix;
  return verdict;
}

CampaignHold campaign_hold(const QuietHoursConfig& quiet, const FrequencyCapsConfig& caps,
                           const PhoneNumbers& phones, std::string_view e164,
                           std::vector<std::int64_t> times, std::int64_t now_unix) {
  CampaignHold hold;
  hold.due = now_unix;
  hold.quiet.next_open_unix = now_unix;
  hold.cap = check_frequency_cap(caps, phones, e164, std::move(times), now_unix);
  if (!hold.cap.allowed && hold.cap.next_slot_unix > now_unix) {
    hold.due = hold.cap.next_slot_unix;
    hold.reason = "frequency_cap";
  }
  if (!quiet.enabled) return hold;
  hold.quiet = check_quiet_hours(quiet, phones, e164, now_unix);
  const QuietVerdict at_due =
      hold.due == now_unix ? hold.quiet : check_quiet_hours(quiet, phones, e164, hold.due);
  if (!at_due.allowed && at_due.next_open_unix > hold.due) {
    hold.due = at_due.next_open_unix;
    if (hold.reason.empty()) hold.reason = "quiet_hours";
  }
  return hold;
}

void record_capped_send(std::vector<std::int64_t>& history, std::int64_t at,
                        std::int64_t keep_seconds) {
  std::erase_if(history, [&](std::int64_t t) { return t <= at - keep_seconds; });
  // Oldest first: a send is usually the newest, but keep the order if a clock stepped back.
  history.insert(std::upper_bound(history.begin(), history.end(), at), at);
  if (history.size() > kMaxCapHistory)
    history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(kMaxCapHistory));
}

std::vector<std::string> frequency_caps_config_errors(const FrequencyCapsConfig& config) {
  std::vector<std::string> errors;
  for (const FrequencyCapRule& rule : config.rules) {
    const std::string where = "rule " + (rule.name.empty() ? std::string("(unnamed)") : rule.name);
    if (rule.name.empty()) errors.push_back(where + ": needs a name");
    if (rule.max_messages < 1 || rule.max_messages > kMaxCapHistory)
      errors.push_back(where + ": max must be 1.." + std::to_string(kMaxCapHistory));
    if (rule.period_seconds < kMinCapPeriodSeconds || rule.period_seconds > kMaxCapPeriodSeconds)
      errors.push_back(where + ": period must be 1m..31d");
    for (auto& e : region_entry_errors(where, rule.regions)) errors.push_back(std::move(e));
  }
  return errors;
}

}  // namespace twoway::engine
