// Tests for engine::PhoneNumbers: sender normalisation, regions, geocoder places and the
// generated prefix -> time zone table.
#include "engine/phone.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace twoway::engine {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const PhoneNumbers& us() {
  static const PhoneNumbers phones("US");
  return phones;
}

TEST(PhoneNormalize, UsNationalFormats) {
  EXPECT_EQ(us().normalize("6502530000"), "+16502530000");
  EXPECT_EQ(us().normalize("16502530000"), "+16502530000");
  EXPECT_EQ(us().normalize("(650) 253-0000"), "+16502530000");
  EXPECT_EQ(us().normalize("650.253.0000"), "+16502530000");
  EXPECT_EQ(us().normalize("  +1 650 253 0000\r\n"), "+16502530000");
  EXPECT_EQ(us().normalize("6502530000", /*ton=*/2, /*npi=*/1), "+16502530000");
}

TEST(PhoneNormalize, InternationalForms) {
  EXPECT_EQ(us().normalize("+44 20 7946 0000"), "+442079460000");
  EXPECT_EQ(us().normalize("+447911123456"), "+447911123456");
  // TON 1: international number sent without the '+'.
  EXPECT_EQ(us().normalize("447911123456", /*ton=*/1, /*npi=*/1), "+447911123456");
  EXPECT_EQ(us().normalize("16502530000", /*ton=*/1, /*npi=*/1), "+16502530000");
  // TON unknown: not a US number, so read as international.
  EXPECT_EQ(us().normalize("447911123456"), "+447911123456");
  // The US international prefix and the "00" most other countries use.
  EXPECT_EQ(us().normalize("011 44 7911 123456"), "+447911123456");
  EXPECT_EQ(us().normalize("0044 7911 123456"), "+447911123456");
}

TEST(PhoneNormalize, OtherDefaultRegion) {
  const PhoneNumbers gb("gb");  // lower case accepted
  EXPECT_EQ(gb.default_region(), "GB");
  EXPECT_EQ(gb.normalize("07911 123456"), "+447911123456");
  EXPECT_EQ(gb.normalize("020 7946 0000"), "+442079460000");
  EXPECT_EQ(gb.normalize("+1 650 253 0000"), "+16502530000");
}

TEST(PhoneNormalize, ShortCodesKeptAsTheyAre) {
  EXPECT_EQ(us().normalize("12345"), "12345");
  EXPECT_EQ(us().normalize("123456"), "123456");
  EXPECT_EQ(us().normalize(" 22395 "), "22395");
  // TON 6 (abbreviated) says so explicitly.
  EXPECT_EQ(us().normalize("1234567", /*ton=*/6, /*npi=*/0), "1234567");
  EXPECT_TRUE(us().is_short_code("12345"));
  EXPECT_TRUE(us().is_short_code("888"));
  EXPECT_FALSE(us().is_short_code("12"));
  EXPECT_FALSE(us().is_short_code("6502530000"));
  EXPECT_FALSE(us().is_short_code("+12345"));
  EXPECT_FALSE(us().is_short_code("12a45"));
}

TEST(PhoneNormalize, AlphanumericKeptAsTheyAre) {
  EXPECT_EQ(us().normalize("ACME"), "ACME");
  EXPECT_EQ(us().normalize("  Acme Bank "), "Acme Bank");
  EXPECT_EQ(us().normalize("INFO", /*ton=*/5, /*npi=*/0), "INFO");
  EXPECT_EQ(us().normalize("12345", /*ton=*/5, /*npi=*/0), "12345");
  EXPECT_TRUE(PhoneNumbers::is_alphanumeric("ACME"));
  EXPECT_TRUE(PhoneNumbers::is_alphanumeric("Shop24"));
  EXPECT_TRUE(PhoneNumbers::is_alphanumeric("Caf\xC3\xA9"));
  EXPECT_FALSE(PhoneNumbers::is_alphanumeric("+16502530000"));
  EXPECT_FALSE(PhoneNumbers::is_alphanumeric("12345"));
  EXPECT_FALSE(PhoneNumbers::is_alphanumeric(""));
}

TEST(PhoneNormalize, GarbageGivesEmpty) {
  EXPECT_EQ(us().normalize(""), "");
  EXPECT_EQ(us().normalize("   "), "");
  EXPECT_EQ(us().normalize("+"), "");
  EXPECT_EQ(us().normalize("12"), "");
  EXPECT_EQ(us().normalize("650#253#0000"), "");
  EXPECT_EQ(us().normalize("65+02530000"), "");
  EXPECT_EQ(us().normalize("123456789"), "");   // neither short code nor a number
  EXPECT_EQ(us().normalize("+999123456"), "");  // no such country code
  EXPECT_EQ(us().normalize(std::string(70, '5')), "");
  EXPECT_EQ(us().normalize(std::string(20, '5')), "");
  EXPECT_EQ(us().normalize("ACME\x01"), "");
  EXPECT_EQ(us().normalize(std::string("650253\0"
                                       "0000",
                                       11)),
            "");
}

TEST(PhoneRegion, RegionCodes) {
  EXPECT_EQ(us().region_code("+16502530000"), "US");
  EXPECT_EQ(us().region_code("+14165550123"), "CA");
  EXPECT_EQ(us().region_code("+442079460000"), "GB");
  EXPECT_EQ(us().region_code("+4930123456"), "DE");
  // A fictional UK range no region claims: the country's main region.
  EXPECT_EQ(us().region_code("+447700900123"), "GB");
  EXPECT_EQ(us().region_code("16502530000"), "");  // not E.164
  EXPECT_EQ(us().region_code("ACME"), "");
  EXPECT_EQ(us().region_code(""), "");
  EXPECT_EQ(us().region_code("+999123456"), "");
}

TEST(PhoneRegion, IsUs) {
  EXPECT_TRUE(us().is_us("+16502530000"));
  EXPECT_TRUE(us().is_us("+13055551234"));
  EXPECT_FALSE(us().is_us("+14165550123"));  // Toronto
  EXPECT_FALSE(us().is_us("+18765551234"));  // Jamaica, also NANP
  EXPECT_FALSE(us().is_us("+442079460000"));
  EXPECT_FALSE(us().is_us("12345"));
  EXPECT_FALSE(us().is_us("+1305555123x"));
  EXPECT_TRUE(us().is_us("+18005551234"));  // toll-free: not in the state table, still US
  EXPECT_EQ(PhoneNumbers::us_state("+12125551234"), "NY");
  EXPECT_TRUE(PhoneNumbers::is_us_state("DC"));
  EXPECT_FALSE(PhoneNumbers::is_us_state("PR"));
  EXPECT_FALSE(us().is_us(""));
}

// The region as libphonenumber alone gives it: its own region for the number, else the main
// region of the country code.
std::string libphonenumber_region(const std::string& e164) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const auto* util = PhoneNumberUtil::GetInstance();
  PhoneNumber parsed;
  if (util->Parse(e164, "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) return {};
  std::string region;
  util->GetRegionCodeForNumber(parsed, &region);
  if (region.empty() || region == "ZZ") {
    region.clear();
    util->GetRegionCodeForCountryCode(parsed.country_code(), &region);
  }
  return region == "ZZ" || region == "001" ? std::string() : region;
}

TEST(PhoneRegion, EveryNanpAreaCodeAgreesWithLibphonenumber) {
  // region_code() answers a US state's area code from its own table: that table must never
  // disagree with libphonenumber.
  for (int npa = 200; npa <= 999; ++npa) {
    const std::string n = "+1" + std::to_string(npa) + "2530000";
    EXPECT_EQ(us().region_code(n), libphonenumber_region(n)) << n;
  }
}

TEST(PhoneLocation, PlaceIsRegionCodeAndLocationTogether) {
  // Every NANP area code (the US fast path included) and a few others.
  std::vector<std::string> numbers = {
      "+442079460000", "+4930123456", "+33612345678", "+15551234567", "+999123456", "12345", ""};
  for (int npa = 200; npa <= 999; ++npa) numbers.push_back("+1" + std::to_string(npa) + "2530000");
  for (const auto& n : numbers) {
    const auto p = us().place(n);
    EXPECT_EQ(p.region, us().region_code(n)) << n;
    EXPECT_EQ(p.location, us().location(n)) << n;
  }
}

TEST(PhoneLocation, OfflineGeocoderInEnglish) {
  EXPECT_EQ(us().location("+16502530000"), "Mountain View, CA");
  EXPECT_EQ(us().location("+12125551234"), "New York, NY");
  EXPECT_EQ(us().location("+442079460000"), "London");
  EXPECT_EQ(us().location("+4930123456"), "Berlin");
  EXPECT_EQ(us().location("+33612345678"), "France");  // mobile: only the country is known
}

TEST(PhoneLocation, NothingForInvalidInput) {
  EXPECT_EQ(us().location("+15551234567"), "");
  EXPECT_EQ(us().location("12345"), "");
  EXPECT_EQ(us().location("ACME"), "");
  EXPECT_EQ(us().location("+"), "");
}

TEST(PhoneZones, NanpAreaCodes) {
  EXPECT_THAT(us().time_zones("+12125551234"), ElementsAre("America/New_York"));
  EXPECT_THAT(us().time_zones("+18085551234"), ElementsAre("Pacific/Honolulu"));
  EXPECT_THAT(us().time_zones("+16502530000"), ElementsAre("America/Los_Angeles"));
  EXPECT_THAT(us().time_zones("+13055551234"), ElementsAre("America/New_York"));
  EXPECT_THAT(us().time_zones("+14055551234"), ElementsAre("America/Chicago"));
  EXPECT_THAT(us().time_zones("+14165550123"), ElementsAre("America/Toronto"));
  // A longer prefix inside 208 (Idaho) wins over the area code's two zones.
  EXPECT_THAT(us().time_zones("+12082345678"), ElementsAre("America/Denver"));
  EXPECT_THAT(us().time_zones("+12089001234"), ElementsAre("America/Boise", "America/Los_Angeles"));
}

TEST(PhoneZones, OtherCountries) {
  EXPECT_THAT(us().time_zones("+4930123456"), ElementsAre("Europe/Berlin"));
  EXPECT_THAT(us().time_zones("+81312345678"), ElementsAre("Asia/Tokyo"));
  EXPECT_THAT(us().time_zones("+442079460000"), ElementsAre("Europe/London"));
}

TEST(PhoneZones, CountryFallback) {
  // UK mobiles are not geographic: every zone of the country.
  EXPECT_THAT(us().time_zones("+447911123456"), ElementsAre("Europe/Guernsey", "Europe/Isle_of_Man",
                                                            "Europe/Jersey", "Europe/London"));
  // The fictional drama range (phonenumbers says Etc/Unknown) still lands in the UK's zones.
  const auto fictional = us().time_zones("+447700900123");
  EXPECT_THAT(fictional, Contains("Europe/London"));
  EXPECT_THAT(fictional, Each(StartsWith("Europe/")));
  // Toll-free: the whole NANP.
  const auto toll_free = us().time_zones("+18005551234");
  EXPECT_THAT(toll_free, AllOf(Contains("America/New_York"), Contains("Pacific/Honolulu"),
                               Contains("America/Toronto")));
  // Australian mobiles: every Australian zone, none of them unknown.
  const auto au = us().time_zones("+61412345678");
  EXPECT_THAT(au, AllOf(Contains("Australia/Sydney"), Contains("Australia/Perth")));
  EXPECT_THAT(au, Each(::testing::Ne("Etc/Unknown")));
}

TEST(PhoneZones, NoneForNonNumbers) {
  EXPECT_THAT(us().time_zones("12345"), IsEmpty());
  EXPECT_THAT(us().time_zones("ACME"), IsEmpty());
  EXPECT_THAT(us().time_zones(""), IsEmpty());
  EXPECT_THAT(us().time_zones("+"), IsEmpty());
  EXPECT_THAT(us().time_zones("+1212x551234"), IsEmpty());
  EXPECT_THAT(us().time_zones("+9991234567"), IsEmpty());
}

TEST(PhoneZones, IdsAndNamesAgree) {
  const auto ids = us().zone_ids("+12089001234");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(PhoneNumbers::zone_name(ids[0]), "America/Boise");
  std::uint16_t id = 0;
  ASSERT_TRUE(PhoneNumbers::find_zone_id("America/Los_Angeles", id));
  EXPECT_EQ(id, ids[1]);
  EXPECT_FALSE(PhoneNumbers::find_zone_id("Mars/Olympus_Mons", id));
  EXPECT_EQ(PhoneNumbers::zone_name(65535), "");
  EXPECT_GT(PhoneNumbers::zone_count(), 200u);  // the generated table is all there
}

TEST(PhoneThreads, ConstMethodsFromSeveralThreads) {
  const PhoneNumbers phones("US");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&phones, &failures, t] {
      for (int i = 0; i < 200; ++i) {
        if (phones.normalize("(650) 253-0000") != "+16502530000") ++failures[t];
        if (phones.location("+16502530000") != "Mountain View, CA") ++failures[t];
        if (phones.location("+442079460000") != "London") ++failures[t];
        if (phones.time_zones("+12125551234").size() != 1) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(failures, Each(0));
}

// ---- the prefix cache ----------------------------------------------------------------------

// E.164 numbers of every region libphonenumber knows, of every type it has an example of, each
// with variants (many for North America, whose numbers share keys by exchange): the last six
// digits drawn at random (so keys differ in their last digits and numbers of one key in their
// tails), and one digit changed anywhere.
std::vector<std::string> numbers_of_many_countries() {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
  const auto* util = PhoneNumberUtil::GetInstance();
  std::set<std::string> regions;
  util->GetSupportedRegions(&regions);
  const PhoneNumberUtil::PhoneNumberType types[] = {
      PhoneNumberUtil::FIXED_LINE,      PhoneNumberUtil::MOBILE,      PhoneNumberUtil::TOLL_FREE,
      PhoneNumberUtil::PREMIUM_RATE,    PhoneNumberUtil::SHARED_COST, PhoneNumberUtil::VOIP,
      PhoneNumberUtil::PERSONAL_NUMBER, PhoneNumberUtil::PAGER,       PhoneNumberUtil::UAN,
      PhoneNumberUtil::VOICEMAIL};
  std::uint64_t seed = 0x2545f4914f6cdd1dULL;
  const auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  std::vector<std::string> out;
  for (const std::string& region : regions) {
    for (const auto type : types) {
      PhoneNumber example;
      if (!util->GetExampleNumberForType(region, type, &example)) continue;
      std::string e164;
      util->Format(example, PhoneNumberUtil::E164, &e164);
      out.push_back(e164);
      for (int v = 0; v < (e164.rfind("+1", 0) == 0 ? 60 : 8); ++v) {
        std::string n = e164;
        for (std::size_t i = n.size() > 7 ? n.size() - 6 : 2; i < n.size(); ++i)
          n[i] = static_cast<char>('0' + next() % 10);
        out.push_back(n);
        std::string m = e164;
        m[2 + next() % (m.size() - 2)] = static_cast<char>('0' + next() % 10);
        out.push_back(m);
      }
    }
  }
  return out;
}

TEST(PhonePrefixCache, AnswersWhatLibphonenumberAnswers) {
  const PhoneNumbers cached("US", true);
  const PhoneNumbers uncached("US", false);
  const std::vector<std::string> numbers = numbers_of_many_countries();
  ASSERT_GT(numbers.size(), 10000u);
  std::size_t mismatches = 0;
  // Twice: the first pass fills the cache (and answers numbers that share a key from it), the
  // second answers everything from it.
  for (int pass = 0; pass < 2; ++pass) {
    for (const std::string& n : numbers) {
      const auto a = cached.place(n);
      const auto b = uncached.place(n);
      const auto za = cached.zone_ids(n);
      const auto zb = uncached.zone_ids(n);
      const bool same = a.region == b.region && a.location == b.location &&
                        std::equal(za.begin(), za.end(), zb.begin(), zb.end()) &&
                        cached.region_code(n) == uncached.region_code(n);
      if (!same && ++mismatches <= 20)
        ADD_FAILURE() << n << ": cached " << a.region << " '" << a.location << "' " << za.size()
                      << " zones, libphonenumber " << b.region << " '" << b.location << "' "
                      << zb.size() << " zones";
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(cached.prefix_cache_entries(), 0u);
  EXPECT_EQ(uncached.prefix_cache_entries(), 0u);
}

TEST(PhonePrefixCache, IsBounded) {
  const PhoneNumbers phones("GB");
  // More distinct prefixes than the cache holds: it never grows past its bound.
  for (std::size_t i = 0; i < PhoneNumbers::kPrefixCacheEntries + 5000; ++i) {
    const std::string n = "+44" + std::to_string(2000000000 + i);
    (void)phones.place(n);
    ASSERT_LE(phones.prefix_cache_entries(), PhoneNumbers::kPrefixCacheEntries);
  }
  EXPECT_GT(phones.prefix_cache_entries(), 0u);
}

}  // namespace
}  // namespace twoway::engine

namespace twoway::engine {
namespace {

// First contacts from many places at once, as the cluster's partition readers (and the bind
// strands) prepare them: the geocoder is reached from several threads, each place right.
TEST(PhonePlace, FirstContactsFromSeveralThreadsAtOnce) {
  const PhoneNumbers fresh("US");  // an empty prefix cache: every number misses it
  const std::vector<std::pair<std::string, std::string>> known = {
      {"+16502530000", "Mountain View, CA"},
      {"+12125550100", "New York, NY"},
      {"+13125550100", "Chicago, IL"},
      {"+442079460000", "London"}};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        // Numbers of many exchanges (cache misses), and the known ones among them.
        (void)fresh.place("+1650" + std::to_string(2000000 + t * 1000 + i));
        const auto& [number, where] = known[static_cast<std::size_t>(i + t) % known.size()];
        if (fresh.place(number).location != where) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace twoway::engine
