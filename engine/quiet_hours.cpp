// Quiet hours: ICU time zones (cached once per process, read-only afterwards, so thread-safe),
// the intersection of allowed windows over a number's zones, and the US state rules.
#include "engine/quiet_hours.hpp"

#include <unicode/timezone.h>
#include <unicode/ucal.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <memory>

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

// --- US area codes per state and DC (NANPA assignments in service; overlays up to 2024 that
// the geocoder data of libphonenumber 8.12 does not know yet: 227 MD, 324/645 FL, 329/363 NY,
// 353 WI, 557 MO, 835 PA, 983 CO). Sorted by area code; the test checks every entry that the
// geocoder knows against its place name.
struct AreaCode {
  std::uint16_t npa;
  char state[3];
};

constexpr AreaCode kUsAreaCodes[] = {
    {201, "NJ"}, {202, "DC"}, {203, "CT"}, {205, "AL"}, {206, "WA"}, {207, "ME"}, {208, "ID"},
    {209, "CA"}, {210, "TX"}, {212, "NY"}, {213, "CA"}, {214, "TX"}, {215, "PA"}, {216, "OH"},
    {217, "IL"}, {218, "MN"}, {219, "IN"}, {220, "OH"}, {223, "PA"}, {224, "IL"}, {225, "LA"},
    {227, "MD"}, {228, "MS"}, {229, "GA"}, {231, "MI"}, {234, "OH"}, {239, "FL"}, {240, "MD"},
    {248, "MI"}, {251, "AL"}, {252, "NC"}, {253, "WA"}, {254, "TX"}, {256, "AL"}, {260, "IN"},
    {262, "WI"}, {267, "PA"}, {269, "MI"}, {270, "KY"}, {272, "PA"}, {276, "VA"}, {279, "CA"},
    {281, "TX"}, {283, "OH"}, {301, "MD"}, {302, "DE"}, {303, "CO"}, {304, "WV"}, {305, "FL"},
    {307, "WY"}, {308, "NE"}, {309, "IL"}, {310, "CA"}, {312, "IL"}, {313, "MI"}, {314, "MO"},
    {315, "NY"}, {316, "KS"}, {317, "IN"}, {318, "LA"}, {319, "IA"}, {320, "MN"}, {321, "FL"},
    {323, "CA"}, {324, "FL"}, {325, "TX"}, {326, "OH"}, {329, "NY"}, {330, "OH"}, {331, "IL"},
    {332, "NY"}, {334, "AL"}, {336, "NC"}, {337, "LA"}, {339, "MA"}, {341, "CA"}, {346, "TX"},
    {347, "NY"}, {351, "MA"}, {352, "FL"}, {353, "WI"}, {360, "WA"}, {361, "TX"}, {363, "NY"},
    {364, "KY"}, {380, "OH"}, {385, "UT"}, {386, "FL"}, {401, "RI"}, {402, "NE"}, {404, "GA"},
    {405, "OK"}, {406, "MT"}, {407, "FL"}, {408, "CA"}, {409, "TX"}, {410, "MD"}, {412, "PA"},
    {413, "MA"}, {414, "WI"}, {415, "CA"}, {417, "MO"}, {419, "OH"}, {423, "TN"}, {424, "CA"},
    {425, "WA"}, {430, "TX"}, {432, "TX"}, {434, "VA"}, {435, "UT"}, {440, "OH"}, {442, "CA"},
    {443, "MD"}, {445, "PA"}, {447, "IL"}, {448, "FL"}, {458, "OR"}, {463, "IN"}, {464, "IL"},
    {469, "TX"}, {470, "GA"}, {475, "CT"}, {478, "GA"}, {479, "AR"}, {480, "AZ"}, {484, "PA"},
    {501, "AR"}, {502, "KY"}, {503, "OR"}, {504, "LA"}, {505, "NM"}, {507, "MN"}, {508, "MA"},
    {509, "WA"}, {510, "CA"}, {512, "TX"}, {513, "OH"}, {515, "IA"}, {516, "NY"}, {517, "MI"},
    {518, "NY"}, {520, "AZ"}, {530, "CA"}, {531, "NE"}, {534, "WI"}, {539, "OK"}, {540, "VA"},
    {541, "OR"}, {551, "NJ"}, {557, "MO"}, {559, "CA"}, {561, "FL"}, {562, "CA"}, {563, "IA"},
    {564, "WA"}, {567, "OH"}, {570, "PA"}, {571, "VA"}, {572, "OK"}, {573, "MO"}, {574, "IN"},
    {575, "NM"}, {580, "OK"}, {582, "PA"}, {585, "NY"}, {586, "MI"}, {601, "MS"}, {602, "AZ"},
    {603, "NH"}, {605, "SD"}, {606, "KY"}, {607, "NY"}, {608, "WI"}, {609, "NJ"}, {610, "PA"},
    {612, "MN"}, {614, "OH"}, {615, "TN"}, {616, "MI"}, {617, "MA"}, {618, "IL"}, {619, "CA"},
    {620, "KS"}, {623, "AZ"}, {626, "CA"}, {628, "CA"}, {629, "TN"}, {630, "IL"}, {631, "NY"},
    {636, "MO"}, {640, "NJ"}, {641, "IA"}, {645, "FL"}, {646, "NY"}, {650, "CA"}, {651, "MN"},
    {656, "FL"}, {657, "CA"}, {659, "AL"}, {660, "MO"}, {661, "CA"}, {662, "MS"}, {667, "MD"},
    {669, "CA"}, {678, "GA"}, {680, "NY"}, {681, "WV"}, {682, "TX"}, {689, "FL"}, {701, "ND"},
    {702, "NV"}, {703, "VA"}, {704, "NC"}, {706, "GA"}, {707, "CA"}, {708, "IL"}, {712, "IA"},
    {713, "TX"}, {714, "CA"}, {715, "WI"}, {716, "NY"}, {717, "PA"}, {718, "NY"}, {719, "CO"},
    {720, "CO"}, {724, "PA"}, {725, "NV"}, {726, "TX"}, {727, "FL"}, {731, "TN"}, {732, "NJ"},
    {734, "MI"}, {737, "TX"}, {740, "OH"}, {743, "NC"}, {747, "CA"}, {754, "FL"}, {757, "VA"},
    {760, "CA"}, {762, "GA"}, {763, "MN"}, {765, "IN"}, {769, "MS"}, {770, "GA"}, {771, "DC"},
    {772, "FL"}, {773, "IL"}, {774, "MA"}, {775, "NV"}, {779, "IL"}, {781, "MA"}, {785, "KS"},
    {786, "FL"}, {801, "UT"}, {802, "VT"}, {803, "SC"}, {804, "VA"}, {805, "CA"}, {806, "TX"},
    {808, "HI"}, {810, "MI"}, {812, "IN"}, {813, "FL"}, {814, "PA"}, {815, "IL"}, {816, "MO"},
    {817, "TX"}, {818, "CA"}, {820, "CA"}, {826, "VA"}, {828, "NC"}, {830, "TX"}, {831, "CA"},
    {832, "TX"}, {835, "PA"}, {838, "NY"}, {839, "SC"}, {840, "CA"}, {843, "SC"}, {845, "NY"},
    {847, "IL"}, {848, "NJ"}, {850, "FL"}, {854, "SC"}, {856, "NJ"}, {857, "MA"}, {858, "CA"},
    {859, "KY"}, {860, "CT"}, {862, "NJ"}, {863, "FL"}, {864, "SC"}, {865, "TN"}, {870, "AR"},
    {872, "IL"}, {878, "PA"}, {901, "TN"}, {903, "TX"}, {904, "FL"}, {906, "MI"}, {907, "AK"},
    {908, "NJ"}, {909, "CA"}, {910, "NC"}, {912, "GA"}, {913, "KS"}, {914, "NY"}, {915, "TX"},
    {916, "CA"}, {917, "NY"}, {918, "OK"}, {919, "NC"}, {920, "WI"}, {925, "CA"}, {928, "AZ"},
    {929, "NY"}, {930, "IN"}, {931, "TN"}, {934, "NY"}, {936, "TX"}, {937, "OH"}, {938, "AL"},
    {940, "TX"}, {941, "FL"}, {943, "GA"}, {945, "TX"}, {947, "MI"}, {948, "VA"}, {949, "CA"},
    {951, "CA"}, {952, "MN"}, {954, "FL"}, {956, "TX"}, {959, "CT"}, {970, "CO"}, {971, "OR"},
    {972, "TX"}, {973, "NJ"}, {978, "MA"}, {979, "TX"}, {980, "NC"}, {983, "CO"}, {984, "NC"},
    {985, "LA"}, {986, "ID"}, {989, "MI"},
};

constexpr bool area_codes_sorted() {
  for (std::size_t i = 1; i < std::size(kUsAreaCodes); ++i) {
    if (kUsAreaCodes[i - 1].npa >= kUsAreaCodes[i].npa) return false;
  }
  return true;
}
static_assert(area_codes_sorted(), "kUsAreaCodes must be sorted and unique");

bool state_known(std::string_view state) {
  return std::any_of(std::begin(kUsAreaCodes), std::end(kUsAreaCodes),
                     [&](const AreaCode& a) { return state == a.state; });
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

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

bool is_prefix_entry(std::string_view entry) {
  return entry.size() >= 2 && entry.front() == '+' &&
         std::all_of(entry.begin() + 1, entry.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_state_entry(std::string_view entry) {
  return entry.size() == 5 && ascii_iequal(entry.substr(0, 3), "US-");
}

const QuietHoursRule* rule_for(const QuietHoursConfig& config, const PhoneNumbers& phones,
                               std::string_view e164) {
  const std::string_view state = us_state_of(e164);
  std::string region;
  bool region_done = false;
  for (const QuietHoursRule& rule : config.rules) {
    for (const std::string& entry : rule.area_codes_or_regions) {
      if (is_state_entry(entry)) {
        if (!state.empty() && ascii_iequal(std::string_view(entry).substr(3), state)) return &rule;
      } else if (is_prefix_entry(entry)) {
        if (e164.substr(0, entry.size()) == entry) return &rule;
      } else if (entry.size() == 2) {
        if (!region_done) {
          region = phones.region_code(e164);
          region_done = true;
        }
        if (!region.empty() && ascii_iequal(entry, region)) return &rule;
      }
    }
  }
  return nullptr;
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
  if (e164.size() != 12 || e164[0] != '+' || e164[1] != '1') return {};
  std::uint16_t npa = 0;
  for (std::size_t i = 2; i < 5; ++i) {
    if (e164[i] < '0' || e164[i] > '9') return {};
    npa = static_cast<std::uint16_t>(npa * 10 + (e164[i] - '0'));
  }
  const auto* end = std::end(kUsAreaCodes);
  const auto* it = std::lower_bound(std::begin(kUsAreaCodes), end, npa,
                                    [](const AreaCode& a, std::uint16_t v) { return a.npa < v; });
  if (it == end || it->npa != npa) return {};
  return it->state;
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
    if (rule.area_codes_or_regions.empty()) errors.push_back(where + ": matches no number");
    for (const std::string& entry : rule.area_codes_or_regions) {
      if (is_state_entry(entry)) {
        std::string state = entry.substr(3);
        for (char& c : state) {
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        if (!state_known(state)) {
          errors.push_back(where + ": state " + entry + " is not in the area code table");
        }
      } else if (!is_prefix_entry(entry) && entry.size() != 2) {
        errors.push_back(where + ": \"" + entry +
                         "\" is neither US-XX, a +prefix nor a two-letter region");
      }
    }
  }
  return errors;
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

  const QuietHoursRule* rule = rule_for(config, phones, e164);
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
