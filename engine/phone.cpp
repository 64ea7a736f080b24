// PhoneNumbers: libphonenumber for parsing/validity/region, its offline geocoder for places, and
// the generated prefix -> IANA zone table (tools/gen_tzdata.py) for time zones.
#include "engine/phone.hpp"

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

#include <algorithm>
#include <array>

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

struct PhoneNumbers::Impl {
  std::string default_region;
  PhoneNumberOfflineGeocoder geocoder;  // loads its maps lazily under its own mutex
  icu::Locale english{"en", "US"};
};

PhoneNumbers::PhoneNumbers(std::string default_region) : impl_(std::make_unique<Impl>()) {
  for (char& c : default_region) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  impl_->default_region = std::move(default_region);
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

std::string PhoneNumbers::region_code(std::string_view e164) const {
  PhoneNumber parsed;
  if (!parse_e164(e164, parsed)) return {};
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

bool PhoneNumbers::is_us(std::string_view e164) const {
  if (e164.size() < 2 || e164[1] != '1') return false;  // NANP only
  return region_code(e164) == "US";
}

std::string PhoneNumbers::location(std::string_view e164) const {
  PhoneNumber parsed;
  if (!parse_e164(e164, parsed)) return {};
  return impl_->geocoder.GetDescriptionForNumber(parsed, impl_->english);
}

std::span<const std::uint16_t> PhoneNumbers::zone_ids(std::string_view e164) const {
  std::string_view digits = e164_digits(e164);
  if (digits.empty()) return {};
  // NANP fast path (no parsing): the table holds no prefix inside the non-geographic area
  // codes (toll-free, premium, personal), so the longest prefix is already what the general
  // path below would answer, down to the whole of NANP ("1").
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

}  // namespace twoway::engine
