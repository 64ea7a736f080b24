// PhoneNumbers: libphonenumber for parsing/validity/region, its offline geocoder for places, the
// generated prefix -> IANA zone table (tools/gen_tzdata.py) for time zones, US area code states.
#include "engine/phone.hpp"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

#include "tzdata_generated.hpp"

namespace twoway::engine {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberOfflineGeocoder;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMinDigits = 3;
constexpr std::size_t kMaxShortCodeDigits = 8;
constexpr std::size_t kMaxE164Digits = 15;
constexpr std::size_t kMaxInputDigits = 17;  // E.164 plus an international prefix like "00"
constexpr std::uint8_t kTonInternational = 1;
constexpr std::uint8_t kTonNational = 2;
constexpr std::uint8_t kTonNetworkSpecific = 3;
constexpr std::uint8_t kTonAlphanumeric = 5;
constexpr std::uint8_t kTonAbbreviated = 6;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

// Digits of "+<digits>" (the E.164 form this class hands out), or "" when it is not that form.
std::string_view e164_digits(std::string_view e164) {
  if (e164.size() < 2 || e164.front() != '+') return {};
  std::string_view digits = e164.substr(1);
  if (digits.size() > kMaxE164Digits || !all_digits(digits)) return {};
  return digits;
}

bool parse_e164(std::string_view e164, PhoneNumber& out) {
  if (e164_digits(e164).empty()) return false;
  return PhoneNumberUtil::GetInstance()->Parse(std::string(e164), "ZZ", &out) ==
         PhoneNumberUtil::NO_PARSING_ERROR;
}

std::string format_e164(const PhoneNumber& number) {
  std::string out;
  PhoneNumberUtil::GetInstance()->Format(number, PhoneNumberUtil::E164, &out);
  return out;
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

// --- the generated zone table ---------------------------------------------------------------

// Rows of one prefix length form a contiguous range sorted by value.
struct PrefixIndex {
  std::array<std::pair<std::size_t, std::size_t>, tzdata::kMaxPrefixDigits + 1> by_length{};

  PrefixIndex() {
    const tzdata::Prefix* begin = tzdata::prefixes;
    const tzdata::Prefix* end = tzdata::prefixes + tzdata::prefix_count;
    for (std::size_t len = 1; len <= tzdata::kMaxPrefixDigits; ++len) {
      auto range = std::equal_range(
          begin, end, tzdata::Prefix{0, static_cast<std::uint8_t>(len)},
          [](const tzdata::Prefix& a, const tzdata::Prefix& b) { return a.length < b.length; });
      by_length[len] = {static_cast<std::size_t>(range.first - begin),
                        static_cast<std::size_t>(range.second - begin)};
    }
  }

  [[nodiscard]] const tzdata::Prefix* find(std::uint32_t value, std::size_t len) const {
    const auto [first, last] = by_length[len];
    const tzdata::Prefix* b = tzdata::prefixes + first;
    const tzdata::Prefix* e = tzdata::prefixes + last;
    const tzdata::Prefix* it = std::lower_bound(
        b, e, value, [](const tzdata::Prefix& p, std::uint32_t v) { return p.value < v; });
    return (it != e && it->value == value) ? it : nullptr;
  }
};

const PrefixIndex& prefix_index() {
  static const PrefixIndex index;
  return index;
}

std::span<const std::uint16_t> zones_of(const tzdata::Prefix* row) {
  if (row == nullptr) return {};
  return {tzdata::zone_lists + row->zone_first, row->zone_count};
}

// Longest table prefix of the digits that is longer than min_length digits.
const tzdata::Prefix* longest_prefix(std::string_view digits, std::size_t min_length) {
  const PrefixIndex& index = prefix_index();
  const std::size_t max_len = std::min(digits.size(), tzdata::kMaxPrefixDigits);
  std::array<std::uint32_t, tzdata::kMaxPrefixDigits + 1> values{};
  for (std::size_t i = 0; i < max_len; ++i) {
    values[i + 1] = values[i] * 10 + static_cast<std::uint32_t>(digits[i] - '0');
  }
  for (std::size_t len = max_len; len > min_length; --len) {
    if (const tzdata::Prefix* row = index.find(values[len], len)) return row;
  }
  return nullptr;
}

std::size_t digit_count(int value) {
  std::size_t n = 1;
  while (value >= 10) {
    value /= 10;
    ++n;
  }
  return n;
}

}  // namespace

namespace {

// The cache's key. A North American number (+1 and ten digits) is keyed by its first seven
// digits, country code, area code and exchange: the geocoder's NANP prefixes stop there and
// NANP number patterns end in \d{4}, so the region, place, zones and validity of a number are
// those of its exchange. Elsewhere geocoder prefixes and number patterns reach into the last
// digits (Australia, Cameroon, the short numbers of small countries), so a number is its own
// key and only repeats are saved. tests/engine/phone_test.cpp compares cached and uncached
// answers over numbers of every region.
constexpr std::size_t kNanpKeyDigits = 7;

struct CacheEntry {
  bool has_place = false;
  bool has_zones = false;
  PhoneNumbers::Place place;
  std::span<const std::uint16_t> zones;
};

// "" when the number is not cached; the key fits std::string's inline buffer.
std::string cache_key(std::string_view digits) {
  if (digits.size() < 3) return {};
  if (digits.size() == 11 && digits[0] == '1') {
    std::string key(digits.substr(0, kNanpKeyDigits));
    key.push_back('n');  // never the whole of another number
    return key;
  }
  return std::string(digits);
}

}  // namespace

struct PhoneNumbers::Impl {
  std::string default_region;
  // libphonenumber's geocoder loads its prefix maps lazily and, as Debian builds it, without
  // a lock of its own (ThreadSanitizer showed two first contacts racing in it): every call
  // goes through describe(), under geocoder_mu. Only cache misses get here.
  PhoneNumberOfflineGeocoder geocoder;
  mutable std::mutex geocoder_mu;
  std::string describe(const PhoneNumber& parsed) const {
    std::lock_guard lock(geocoder_mu);
    return geocoder.GetDescriptionForNumber(parsed, english);
  }
  icu::Locale english{"en", "US"};
  bool nanp_region = false;  // default_region dials with country code 1
  bool use_cache = true;
  std::mutex cache_mu;
  std::unordered_map<std::string, CacheEntry> cache;  // guarded by cache_mu

  Place place_uncached(std::string_view e164) const;
  std::span<const std::uint16_t> zones_uncached(std::string_view e164) const;

  // Runs `read` on the entry of `key` under the lock when `has` says it holds the answer.
  template <class Has, class Read>
  bool cached(const std::string& key, Has has, Read read) {
    std::lock_guard lock(cache_mu);
    const auto it = cache.find(key);
    if (it == cache.end() || !has(it->second)) return false;
    read(it->second);
    return true;
  }
  template <class Write>
  void remember(std::string key, Write write) {
    std::lock_guard lock(cache_mu);
    auto it = cache.find(key);
    if (it == cache.end()) {
      // Bounded: a full cache starts over (cheaper than tracking use; refilled in a few
      // thousand first contacts).
      if (cache.size() >= kPrefixCacheEntries) cache.clear();
      it = cache.emplace(std::move(key), CacheEntry{}).first;
    }
    write(it->second);
  }
};

PhoneNumbers::PhoneNumbers(std::string default_region, bool prefix_cache)
    : impl_(std::make_unique<Impl>()) {
  impl_->use_cache = prefix_cache;
  for (char& c : default_region) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  impl_->default_region = std::move(default_region);
  impl_->nanp_region =
      PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion(impl_->default_region) == 1;
  (void)prefix_index();  // build the length index now, not on a hot path
}

PhoneNumbers::~PhoneNumbers() = default;
PhoneNumbers::PhoneNumbers(PhoneNumbers&&) noexcept = default;
PhoneNumbers& PhoneNumbers::operator=(PhoneNumbers&&) noexcept = default;

const std::string& PhoneNumbers::default_region() const {
  return impl_->default_region;
}

bool PhoneNumbers::is_alphanumeric(std::string_view sender) {
  return std::any_of(sender.begin(), sender.end(), [](char c) {
    return is_ascii_letter(c) || static_cast<unsigned char>(c) >= 0x80;
  });
}

bool PhoneNumbers::is_short_code(std::string_view number) const {
  if (number.size() < kMinDigits || number.size() > kMaxShortCodeDigits || !all_digits(number)) {
    return false;
  }
  PhoneNumber parsed;
  const auto* util = PhoneNumberUtil::GetInstance();
  if (util->Parse(std::string(number), impl_->default_region, &parsed) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return true;
  }
  return !util->IsValidNumber(parsed);
}

std::string PhoneNumbers::normalize(std::string_view raw, std::uint8_t ton,
                                    std::uint8_t /*npi*/) const {
  // NPI does not change the reading: ISDN (1), unknown (0) and the rest all carry digits.
  const std::string_view s = trim(raw);
  if (s.empty() || s.size() > kMaxRawNumberLength) return {};
  if (std::any_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return {};
  }
  if (ton == kTonAlphanumeric || is_alphanumeric(s)) return std::string(s);

  bool plus = false;
  std::string digits;
  digits.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c == '+' && i == 0) {
      plus = true;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/') {
      continue;  // formatting
    } else {
      return {};
    }
  }
  if (digits.size() < kMinDigits || digits.size() > kMaxInputDigits) return {};

  const bool international = plus || ton == kTonInternational;
  // NANP in international form: libphonenumber would only confirm the length (always possible).
  if (international && digits.size() == 11 && digits[0] == '1') return "+" + digits;
  if (!international) {
    if ((ton == kTonAbbreviated || ton == kTonNetworkSpecific) &&
        digits.size() <= kMaxShortCodeDigits) {
      return digits;
    }
    if (is_short_code(digits)) return digits;
    // "1" + 10 digits in a NANP region: national and international readings agree.
    if (impl_->nanp_region && digits.size() == 11 && digits[0] == '1') return "+" + digits;
  }

  // TON unknown: the digits may also be international, with or without the "00" prefix
  // most of the world dials (libphonenumber only knows the default region's own prefix).
  std::string_view intl_digits = digits;
  if (!international && intl_digits.size() > 2 && intl_digits.substr(0, 2) == "00") {
    intl_digits.remove_prefix(2);
  }
  const auto* util = PhoneNumberUtil::GetInstance();
  PhoneNumber as_international;
  const bool intl_ok = (international || ton != kTonNational) &&
                       intl_digits.size() <= kMaxE164Digits &&
                       util->Parse("+" + std::string(intl_digits), "ZZ", &as_international) ==
                           PhoneNumberUtil::NO_PARSING_ERROR;
  if (international) {
    return intl_ok && util->IsPossibleNumber(as_international) ? format_e164(as_international)
                                                               : std::string();
  }

  PhoneNumber as_national;
  const bool national_ok =
      util->Parse(digits, impl_->default_region, &as_national) == PhoneNumberUtil::NO_PARSING_ERROR;
  // Prefer a valid reading; with TON unknown the national one wins a tie (the SMSC's country).
  if (national_ok && util->IsValidNumber(as_national)) return format_e164(as_national);
  if (intl_ok && util->IsValidNumber(as_international)) return format_e164(as_international);
  if (national_ok && util->IsPossibleNumber(as_national)) return format_e164(as_national);
  if (intl_ok && util->IsPossibleNumber(as_international)) return format_e164(as_international);
  return {};
}

namespace {

// libphonenumber finds a +1 number's region by trying every NANP region's patterns in turn; a
// US state's area code (the table above) is the US without that.
bool us_state_area_code(std::string_view e164) {
  return !PhoneNumbers::us_state(e164).empty();
}

std::string region_of(const PhoneNumber& parsed) {
  const auto* util = PhoneNumberUtil::GetInstance();
  std::string region;
  util->GetRegionCodeForNumber(parsed, &region);
  if (region.empty() || region == "ZZ") {
    region.clear();
    util->GetRegionCodeForCountryCode(parsed.country_code(), &region);
  }
  if (region == "ZZ" || region == "001") return {};
  return region;
}

}  // namespace

std::string PhoneNumbers::region_code(std::string_view e164) const {
  if (us_state_area_code(e164)) return "US";
  // The region is part of the place, which the prefix cache keeps.
  if (impl_->use_cache && !cache_key(e164_digits(e164)).empty()) return place(e164).region;
  PhoneNumber parsed;
  if (!parse_e164(e164, parsed)) return {};
  return region_of(parsed);
}

PhoneNumbers::Place PhoneNumbers::place(std::string_view e164) const {
  const std::string key = impl_->use_cache ? cache_key(e164_digits(e164)) : std::string();
  if (key.empty()) return impl_->place_uncached(e164);
  Place out;
  if (impl_->cached(
          key, [](const CacheEntry& e) { return e.has_place; },
          [&](const CacheEntry& e) { out = e.place; }))
    return out;
  out = impl_->place_uncached(e164);
  impl_->remember(key, [&](CacheEntry& e) {
    e.place = out;
    e.has_place = true;
  });
  return out;
}

std::size_t PhoneNumbers::prefix_cache_entries() const {
  std::lock_guard lock(impl_->cache_mu);
  return impl_->cache.size();
}

PhoneNumbers::Place PhoneNumbers::Impl::place_uncached(std::string_view e164) const {
  Place out;
  PhoneNumber parsed;
  if (!parse_e164(e164, parsed)) return out;
  out.region = us_state_area_code(e164) ? std::string("US") : region_of(parsed);
  out.location = describe(parsed);
  return out;
}

bool PhoneNumbers::is_us(std::string_view e164) const {
  if (e164.size() < 2 || e164[1] != '1') return false;  // NANP only
  return region_code(e164) == "US";
}

std::string PhoneNumbers::location(std::string_view e164) const {
  PhoneNumber parsed;
  if (!parse_e164(e164, parsed)) return {};
  return impl_->describe(parsed);
}

std::span<const std::uint16_t> PhoneNumbers::zone_ids(std::string_view e164) const {
  const std::string_view digits = e164_digits(e164);
  if (digits.empty()) return {};
  // NANP fast path (no parsing): the table holds no prefix inside the non-geographic area
  // codes (toll-free, premium, personal), so the longest prefix is already what the general
  // path below would answer, down to the whole of NANP ("1").
  if (digits.size() == 11 && digits[0] == '1') return zones_of(longest_prefix(digits, 0));
  const std::string key = impl_->use_cache ? cache_key(digits) : std::string();
  if (key.empty()) return impl_->zones_uncached(e164);
  std::span<const std::uint16_t> out;
  if (impl_->cached(
          key, [](const CacheEntry& e) { return e.has_zones; },
          [&](const CacheEntry& e) { out = e.zones; }))
    return out;
  out = impl_->zones_uncached(e164);
  impl_->remember(key, [&](CacheEntry& e) {
    e.zones = out;
    e.has_zones = true;
  });
  return out;
}

std::span<const std::uint16_t> PhoneNumbers::Impl::zones_uncached(std::string_view e164) const {
  std::string_view digits = e164_digits(e164);
  if (digits.empty()) return {};
  if (digits.size() == 11 && digits[0] == '1') return zones_of(longest_prefix(digits, 0));
  PhoneNumber parsed;
  if (!parse_e164(e164, parsed)) return zones_of(longest_prefix(digits, 0));
  // Look up the canonical form: parsing may drop a national prefix kept in the input.
  const std::string canonical = format_e164(parsed);
  const std::string_view canonical_digits = e164_digits(canonical);
  if (!canonical_digits.empty()) digits = canonical_digits;
  const std::size_t cc_len = digit_count(parsed.country_code());
  const tzdata::Prefix* country = longest_prefix(digits.substr(0, cc_len), cc_len - 1);
  const auto* util = PhoneNumberUtil::GetInstance();
  // As phonenumbers does: a valid number of a non-geographic type (most mobiles, toll-free)
  // only tells the country. Invalid numbers (fictional ranges) still get their area's zones.
  if (util->IsValidNumber(parsed) && !util->IsNumberGeographical(parsed)) {
    return zones_of(country);
  }
  if (const tzdata::Prefix* row = longest_prefix(digits, cc_len)) return zones_of(row);
  return zones_of(country);
}

std::vector<std::string> PhoneNumbers::time_zones(std::string_view e164) const {
  std::vector<std::string> out;
  for (std::uint16_t id : zone_ids(e164)) out.emplace_back(zone_name(id));
  return out;
}

std::string_view PhoneNumbers::zone_name(std::uint16_t zone_id) {
  return zone_id < tzdata::zone_name_count ? tzdata::zone_names[zone_id] : std::string_view();
}

bool PhoneNumbers::find_zone_id(std::string_view iana_zone, std::uint16_t& zone_id) {
  const std::string_view* begin = tzdata::zone_names;
  const std::string_view* end = tzdata::zone_names + tzdata::zone_name_count;
  const std::string_view* it = std::lower_bound(begin, end, iana_zone);
  if (it == end || *it != iana_zone) return false;
  zone_id = static_cast<std::uint16_t>(it - begin);
  return true;
}

std::size_t PhoneNumbers::zone_count() {
  return tzdata::zone_name_count;
}

std::string_view PhoneNumbers::us_state(std::string_view e164) {
  if (e164.size() != 12 || e164[0] != '+' || e164[1] != '1' || !all_digits(e164.substr(1))) {
    return {};
  }
  const auto npa =
      static_cast<std::uint16_t>((e164[2] - '0') * 100 + (e164[3] - '0') * 10 + (e164[4] - '0'));
  const auto* end = std::end(kUsAreaCodes);
  const auto* it = std::lower_bound(std::begin(kUsAreaCodes), end, npa,
                                    [](const AreaCode& a, std::uint16_t v) { return a.npa < v; });
  if (it == end || it->npa != npa) return {};
  return it->state;
}

bool PhoneNumbers::is_us_state(std::string_view state) {
  return std::any_of(std::begin(kUsAreaCodes), std::end(kUsAreaCodes),
                     [&](const AreaCode& a) { return state == a.state; });
}

}  // namespace twoway::engine
