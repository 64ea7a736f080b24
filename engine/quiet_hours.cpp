// Quiet hours: ICU time zones (cached once per process, read-only afterwards, so thread-safe),
// the intersection of allowed windows over a number's zones, and the US state rules.
#include "engine/quiet_hours.hpp"

#include <unicode/timezone.h>
#include <unicode/ucal.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <memory>

#include "engine/regions.hpp"

namespace twoway::engine {

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kHorizon = 2 * kDay;  // how far ahead next_open is searched
constexpr int kMaxSteps = 64;
// Instants outside years 1900..9999 are clock errors: no zone arithmetic on them.
constexpr std::int64_t kMinUnix = -2208988800;
constexpr std::int64_t kMaxUnix = 253402300799;

bool sane_instant(std::int64_t t) {
  return t >= kMinUnix && t <= kMaxUnix;
}

// --- ICU zones ----------------------------------------------------------------------------------

bool is_unknown(const icu::TimeZone& tz) {
  icu::UnicodeString id;
  tz.getID(id);
  return id == icu::UnicodeString(UCAL_UNKNOWN_ZONE_ID);
}

std::unique_ptr<icu::TimeZone> make_zone(std::string_view name) {
  std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(
      icu::StringPiece(name.data(), static_cast<int32_t>(name.size())))));
  if (tz == nullptr || is_unknown(*tz)) return nullptr;
  return tz;
}

// One ICU TimeZone per zone of the generated table, created on first use and never changed
// afterwards; ICU's const getOffset() may then be called from several threads.
class ZoneCache {
 public:
  ZoneCache() : zones_(PhoneNumbers::zone_count()) {
    for (std::size_t id = 0; id < zones_.size(); ++id) {
      zones_[id] = make_zone(PhoneNumbers::zone_name(static_cast<std::uint16_t>(id)));
    }
  }
  [[nodiscard]] const icu::TimeZone* get(std::uint16_t id) const {
    return id < zones_.size() ? zones_[id].get() : nullptr;
  }

 private:
  std::vector<std::unique_ptr<icu::TimeZone>> zones_;
};

const ZoneCache& zone_cache() {
  static const ZoneCache cache;
  return cache;
}

// UTC offset in seconds of the zone at the instant.
std::int64_t offset_at(const icu::TimeZone& tz, std::int64_t unix_seconds) {
  std::int32_t raw = 0;
  std::int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  tz.getOffset(static_cast<UDate>(unix_seconds) * 1000.0, false, raw, dst, status);
  if (U_FAILURE(status)) return 0;
  return (static_cast<std::int64_t>(raw) + dst) / 1000;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t m = a % b;
  return m < 0 ? m + b : m;
}

std::string hh_mm(std::int64_t local_seconds) {
  const std::int64_t sod = floor_mod(local_seconds, kDay);
  const int h = static_cast<int>(sod / 3600);
  const int m = static_cast<int>(sod % 3600 / 60);
  std::string out(5, ':');
  out[0] = static_cast<char>('0' + h / 10);
  out[1] = static_cast<char>('0' + h % 10);
  out[3] = static_cast<char>('0' + m / 10);
  out[4] = static_cast<char>('0' + m % 10);
  return out;
}

bool always_open(const QuietWindow& w) {
  return w.start_minute == w.end_minute;
}

bool window_allows(const QuietWindow& w, std::int64_t second_of_day) {
  if (always_open(w)) return true;
  const std::int64_t s = std::int64_t{w.start_minute} * 60;
  const std::int64_t e = std::int64_t{w.end_minute} * 60;
  if (s < e) return second_of_day >= s && second_of_day < e;
  return second_of_day >= s || second_of_day < e;  // wraps past midnight
}

// Is the window open in this zone at t? If not, *next is the next local start_minute after t.
bool open_in_zone(const icu::TimeZone& tz, const QuietWindow& w, std::int64_t t,
                  std::int64_t* next) {
  const std::int64_t off = offset_at(tz, t);
  const std::int64_t sod = floor_mod(t + off, kDay);
  if (window_allows(w, sod)) return true;
  std::int64_t delta = floor_mod(std::int64_t{w.start_minute} * 60 - sod, kDay);
  if (delta == 0) delta = kDay;
  std::int64_t candidate = t + delta;
  // A DST change in between moves the wall clock: correct by the change in offset.
  const std::int64_t off2 = offset_at(tz, candidate);
  if (off2 != off && candidate - (off2 - off) > t) candidate -= off2 - off;
  *next = candidate;
  return false;
}

}  // namespace

QuietHoursConfig default_quiet_hours() {
  QuietHoursConfig config;
  const QuietWindow eight_to_eight{8 * 60, 20 * 60};
  config.rules = {
      {"CT", {"US-CT"}, QuietWindow{9 * 60, 20 * 60}},
      {"FL", {"US-FL"}, eight_to_eight},
      {"MA", {"US-MA"}, eight_to_eight},
      {"MD", {"US-MD"}, eight_to_eight},
      {"NJ", {"US-NJ"}, eight_to_eight},
      {"OK", {"US-OK"}, eight_to_eight},
      {"WA", {"US-WA"}, eight_to_eight},
  };
  return config;
}

std::string_view us_state_of(std::string_view e164) {
  return PhoneNumbers::us_state(e164);
}

std::vector<std::string> quiet_hours_config_errors(const QuietHoursConfig& config) {
  std::vector<std::string> errors;
  auto check_window = [&](const std::string& where, const QuietWindow& w) {
    if (w.start_minute < 0 || w.start_minute > 24 * 60 || w.end_minute < 0 ||
        w.end_minute > 24 * 60) {
      errors.push_back(where + ": window minutes must be within 0..1440");
    }
  };
  check_window("default", config.default_window);
  for (const QuietHoursRule& rule : config.rules) {
    const std::string where = "rule " + (rule.name.empty() ? std::string("(unnamed)") : rule.name);
    check_window(where, rule.window);
    for (auto& e : region_entry_errors(where, rule.area_codes_or_regions))
      errors.push_back(std::move(e));
  }
  return errors;
}

void preload_time_zones() {
  (void)zone_cache();
}

std::string local_time_string(std::string_view iana_zone, std::int64_t now_unix) {
  if (!sane_instant(now_unix)) return {};
  std::uint16_t id = 0;
  if (PhoneNumbers::find_zone_id(iana_zone, id)) {
    if (const icu::TimeZone* tz = zone_cache().get(id)) {
      return hh_mm(now_unix + offset_at(*tz, now_unix));
    }
    return {};
  }
  // Not a zone of the phone table: slow path, made per call.
  const std::unique_ptr<icu::TimeZone> tz = make_zone(iana_zone);
  if (tz == nullptr) return {};
  return hh_mm(now_unix + offset_at(*tz, now_unix));
}

QuietVerdict check_quiet_hours(const QuietHoursConfig& config, const PhoneNumbers& phones,
                               std::string_view e164, std::int64_t now_unix) {
  QuietVerdict verdict{true, now_unix, {}, "", ""};
  if (!sane_instant(now_unix)) return verdict;
  const ZoneCache& cache = zone_cache();

  std::array<const icu::TimeZone*, 64> zones{};  // bounded: no prefix has more zones
  std::size_t zone_count = 0;
  for (std::uint16_t id : phones.zone_ids(e164)) {
    verdict.zones.emplace_back(PhoneNumbers::zone_name(id));
    const icu::TimeZone* tz = cache.get(id);
    if (tz != nullptr && zone_count < zones.size()) zones[zone_count++] = tz;
  }
  if (zone_count > 0) {
    verdict.local_time = hh_mm(now_unix + offset_at(*zones[0], now_unix));
  }
  if (!config.enabled) return verdict;

  const QuietHoursRule* rule =
      first_matching_rule(config.rules, &QuietHoursRule::area_codes_or_regions, phones, e164);
  const QuietWindow& window = rule != nullptr ? rule->window : config.default_window;
  verdict.rule = rule != nullptr ? rule->name : "default";
  if (zone_count == 0 || always_open(window)) return verdict;

  // Advance t to the latest next opening among the closed zones until all are open at once:
  // no instant before that latest opening can be open in that zone, so none is skipped.
  std::int64_t t = now_unix;
  for (int step = 0; step < kMaxSteps && t - now_unix <= kHorizon; ++step) {
    bool all_open = true;
    std::int64_t latest = t;
    for (std::size_t i = 0; i < zone_count; ++i) {
      std::int64_t next = t;
      if (!open_in_zone(*zones[i], window, t, &next)) {
        all_open = false;
        latest = std::max(latest, next);
      }
    }
    if (all_open) {
      verdict.allowed = t == now_unix;
      verdict.next_open_unix = t;
      return verdict;
    }
    t = latest;
  }

  // The zones never share an open minute (a country spanning the globe): the first decides.
  std::int64_t next = now_unix;
  if (open_in_zone(*zones[0], window, now_unix, &next)) return verdict;
  verdict.allowed = false;
  verdict.next_open_unix = next;
  return verdict;
}

}  // namespace twoway::engine
