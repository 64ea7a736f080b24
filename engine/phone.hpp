// Phone numbers for the engine: sender normalisation to E.164, region, offline geocoding and
// the IANA time zones of a number (from a table generated at build time from phonenumbers).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::engine {

// Longest accepted input to normalize(); SMPP addresses are at most 21 octets, a little slack
// is kept for formatting characters. Longer input is refused ("").
inline constexpr std::size_t kMaxRawNumberLength = 64;

// One PhoneNumbers per process (or per default region) is the intended use: construction loads
// the geocoder. Every const method is safe to call from several threads at once. A moved-from
// object may only be destroyed or assigned to.
class PhoneNumbers {
 public:
  // default_region: ISO 3166 two-letter code used to read national formats ("US", "GB").
  // With `prefix_cache` (the default) place(), region_code() and zone_ids() remember their
  // answers: per exchange for North American numbers (+1 NPA NXX, whose region, place, zones
  // and validity never depend on the last four digits), per number elsewhere. A first contact
  // from a known exchange costs a table lookup, not libphonenumber's regular expressions. The
  // answers are the same either way.
  explicit PhoneNumbers(std::string default_region, bool prefix_cache = true);
  ~PhoneNumbers();
  PhoneNumbers(PhoneNumbers&&) noexcept;
  PhoneNumbers& operator=(PhoneNumbers&&) noexcept;
  PhoneNumbers(const PhoneNumbers&) = delete;
  PhoneNumbers& operator=(const PhoneNumbers&) = delete;

  // The sender as the SMSC gave it, turned into E.164 ("+15551234567").
  // ton/npi are the SMPP source_addr_ton/npi: TON 1 = international without '+', TON 2 =
  // national (read with default_region), TON 5 = alphanumeric, TON 6 = abbreviated (short
  // code); TON 0 (unknown) tries the national reading first, then the international one.
  // Short codes ("12345") and alphanumeric sender ids ("ACME") come back as they are (trimmed).
  // Returns "" for input that is none of these (empty, too long, stray characters, too few
  // digits).
  [[nodiscard]] std::string normalize(std::string_view raw, std::uint8_t ton = 0,
                                      std::uint8_t npi = 0) const;

  // True when the sender contains a letter: a branded sender id, never a conversation peer.
  [[nodiscard]] static bool is_alphanumeric(std::string_view sender);

  // True for 3 to 8 digits without '+' that are not a full number of default_region.
  [[nodiscard]] bool is_short_code(std::string_view number) const;

  // ISO region of an E.164 number ("US", "GB"); for numbers no region claims, the main region
  // of the country code; "" when the input is not an E.164 number of a known country code. A
  // number of a US state's area code is "US" without asking libphonenumber.
  [[nodiscard]] std::string region_code(std::string_view e164) const;

  // Offline geocoder description in English ("Mountain View, CA", "London"); the country name
  // when only that is known; "" when nothing is known or the number is invalid.
  [[nodiscard]] std::string location(std::string_view e164) const;

  // region_code() and location() together, from one parse (what a first contact needs).
  struct Place {
    std::string region;
    std::string location;
  };
  [[nodiscard]] Place place(std::string_view e164) const;

  // IANA zone names of the number (sorted), from the generated prefix table. Numbers whose
  // prefix is unknown or not geographic (mobiles in most countries, toll-free) get every zone
  // of their country. Empty for short codes, alphanumerics and garbage.
  [[nodiscard]] std::vector<std::string> time_zones(std::string_view e164) const;

  // Same as time_zones() without allocating: indices into the generated zone table (see
  // zone_name()). The span points into static data.
  [[nodiscard]] std::span<const std::uint16_t> zone_ids(std::string_view e164) const;

  // True for a NANP number that belongs to the United States (region "US").
  [[nodiscard]] bool is_us(std::string_view e164) const;

  [[nodiscard]] const std::string& default_region() const;

  // Two-letter US state ("FL", "DC") of a NANP number by its area code, from a table of NANPA
  // assignments; "" when the area code is not one of a state (toll-free, Canada, territories).
  [[nodiscard]] static std::string_view us_state(std::string_view e164);
  [[nodiscard]] static bool is_us_state(std::string_view state);  // "FL" -> true

  // The generated zone table: name of an index from zone_ids(), and the reverse lookup
  // (returns false when the name is not in the table).
  [[nodiscard]] static std::string_view zone_name(std::uint16_t zone_id);
  [[nodiscard]] static bool find_zone_id(std::string_view iana_zone, std::uint16_t& zone_id);
  [[nodiscard]] static std::size_t zone_count();

  // Bound of the prefix cache: past it, the cache starts over (a few MB at most).
  static constexpr std::size_t kPrefixCacheEntries = 1 << 15;
  // Entries in the prefix cache now (for tests and metrics).
  [[nodiscard]] std::size_t prefix_cache_entries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace twoway::engine
