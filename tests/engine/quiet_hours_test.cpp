// Tests for engine quiet hours: local time per zone (ICU), the default window, US state rules,
// multi-zone intersection and the next opening, at fixed instants worked out by hand.
#include "engine/quiet_hours.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace twoway::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const PhoneNumbers& phones() {
  static const PhoneNumbers p("US");
  return p;
}

// Unix seconds of a UTC wall-clock instant.
std::int64_t utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  using namespace std::chrono;
  const sys_days date{year{y} / month{mo} / day{d}};
  return duration_cast<seconds>(date.time_since_epoch()).count() + h * 3600 + mi * 60;
}

constexpr const char* kNewYork = "+12125551234";   // America/New_York, no state rule
constexpr const char* kMiami = "+13055551234";     // America/New_York, Florida
constexpr const char* kHonolulu = "+18085551234";  // Pacific/Honolulu, no DST
constexpr const char* kIdaho = "+12089001234";     // America/Boise + America/Los_Angeles

TEST(QuietHoursClock, UtcHelperIsRight) {
  EXPECT_EQ(utc(2026, 1, 1, 0), 1767225600);  // 20454 days after the epoch
  EXPECT_EQ(utc(2026, 7, 1, 12), 1782907200);
}

TEST(QuietHoursClock, EveryTableZoneIsKnownToIcu) {
  preload_time_zones();
  // Every zone the phone table can hand out must give a clock, or quiet hours would skip it.
  for (std::size_t id = 0; id < PhoneNumbers::zone_count(); ++id) {
    const std::string_view zone = PhoneNumbers::zone_name(static_cast<std::uint16_t>(id));
    EXPECT_EQ(local_time_string(zone, utc(2026, 7, 1, 12)).size(), 5u) << zone;
  }
}

TEST(QuietHoursClock, LocalTimeString) {
  // 2026-07-01 12:00 UTC: New York on EDT (-4), Honolulu HST (-10), Kolkata IST (+5:30).
  const auto t = utc(2026, 7, 1, 12);
  EXPECT_EQ(local_time_string("America/New_York", t), "08:00");
  EXPECT_EQ(local_time_string("Pacific/Honolulu", t), "02:00");
  EXPECT_EQ(local_time_string("Asia/Kolkata", t), "17:30");
  EXPECT_EQ(local_time_string("Australia/Eucla", t), "20:45");  // +8:45
  EXPECT_EQ(local_time_string("Europe/London", t), "13:00");    // BST
  // Same clock in winter: EST (-5), GMT.
  const auto w = utc(2026, 1, 15, 12);
  EXPECT_EQ(local_time_string("America/New_York", w), "07:00");
  EXPECT_EQ(local_time_string("Europe/London", w), "12:00");
  // A zone ICU knows but the phone table does not have.
  EXPECT_EQ(local_time_string("UTC", w), "12:00");
  EXPECT_EQ(local_time_string("Mars/Olympus_Mons", w), "");
  EXPECT_EQ(local_time_string("", w), "");
}

TEST(QuietHours, OpensAtEightLocal) {
  const auto cfg = default_quiet_hours();
  // 12:00 UTC = 08:00 EDT: the window's first minute.
  auto v = check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 1, 12));
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 12));
  EXPECT_EQ(v.local_time, "08:00");
  EXPECT_EQ(v.rule, "default");
  EXPECT_THAT(v.zones, ElementsAre("America/New_York"));
  // One minute earlier is quiet; it opens at 12:00 UTC.
  v = check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 1, 11, 59));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 12));
  EXPECT_EQ(v.local_time, "07:59");
}

TEST(QuietHours, ClosesAtNineLocalAndReopensNextMorning) {
  const auto cfg = default_quiet_hours();
  // 00:59 UTC Jul 2 = 20:59 EDT Jul 1: still open. 01:00 UTC = 21:00 EDT: closed until
  // 08:00 EDT Jul 2 = 12:00 UTC Jul 2.
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 2, 0, 59)).allowed);
  const auto v = check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 2, 1, 0));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.local_time, "21:00");
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 2, 12));
}

TEST(QuietHours, WinterOffset) {
  const auto cfg = default_quiet_hours();
  // EST (-5): 08:00 local = 13:00 UTC.
  EXPECT_FALSE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 1, 15, 12, 59)).allowed);
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 1, 15, 13, 0)).allowed);
}

TEST(QuietHours, Honolulu) {
  const auto cfg = default_quiet_hours();
  // HST (-10) all year: 08:00 local = 18:00 UTC.
  auto v = check_quiet_hours(cfg, phones(), kHonolulu, utc(2026, 7, 1, 12));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.local_time, "02:00");
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 18));
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kHonolulu, utc(2026, 1, 15, 18)).allowed);
}

TEST(QuietHours, FloridaRuleIsStricterThanNewYork) {
  const auto cfg = default_quiet_hours();
  // 00:30 UTC Jul 2 = 20:30 EDT Jul 1 in both Miami and New York.
  const auto t = utc(2026, 7, 2, 0, 30);
  const auto fl = check_quiet_hours(cfg, phones(), kMiami, t);
  EXPECT_FALSE(fl.allowed);
  EXPECT_EQ(fl.rule, "FL");
  EXPECT_EQ(fl.local_time, "20:30");
  EXPECT_EQ(fl.next_open_unix, utc(2026, 7, 2, 12));  // 08:00 EDT Jul 2
  const auto ny = check_quiet_hours(cfg, phones(), kNewYork, t);
  EXPECT_TRUE(ny.allowed);
  EXPECT_EQ(ny.rule, "default");
  EXPECT_EQ(ny.next_open_unix, t);
}

TEST(QuietHours, ConnecticutOpensAtNine) {
  const auto cfg = default_quiet_hours();
  // 12:30 UTC = 08:30 EDT: open in New York, not yet in Connecticut (09:00).
  const auto t = utc(2026, 7, 1, 12, 30);
  const auto ct = check_quiet_hours(cfg, phones(), "+12035551234", t);
  EXPECT_FALSE(ct.allowed);
  EXPECT_EQ(ct.rule, "CT");
  EXPECT_EQ(ct.next_open_unix, utc(2026, 7, 1, 13));
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, t).allowed);
}

TEST(QuietHours, OklahomaInCentralTime) {
  const auto cfg = default_quiet_hours();
  // CDT (-5): 20:00 local = 01:00 UTC next day; 19:59 local open.
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), "+14055551234", utc(2026, 7, 2, 0, 59)).allowed);
  const auto v = check_quiet_hours(cfg, phones(), "+14055551234", utc(2026, 7, 2, 1, 0));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "OK");
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 2, 13));  // 08:00 CDT
}

TEST(QuietHours, MultiZonePrefixUsesTheIntersection) {
  const auto cfg = default_quiet_hours();
  // Boise MDT (-6) opens 14:00 UTC, closes 03:00 UTC; Los Angeles PDT (-7) opens 15:00 UTC,
  // closes 04:00 UTC. Allowed in both: 15:00-03:00 UTC.
  auto v = check_quiet_hours(cfg, phones(), kIdaho, utc(2026, 7, 1, 14, 30));
  EXPECT_FALSE(v.allowed);  // 08:30 in Boise, 07:30 in Los Angeles
  EXPECT_THAT(v.zones, ElementsAre("America/Boise", "America/Los_Angeles"));
  EXPECT_EQ(v.local_time, "08:30");  // first zone
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 15));
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kIdaho, utc(2026, 7, 1, 15)).allowed);
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kIdaho, utc(2026, 7, 2, 2, 59)).allowed);
  // 03:30 UTC: 21:30 in Boise (closed), 20:30 in Los Angeles (open): closed until 15:00 UTC.
  v = check_quiet_hours(cfg, phones(), kIdaho, utc(2026, 7, 2, 3, 30));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 2, 15));
}

TEST(QuietHours, ZonesThatNeverShareAMinuteFallBackToTheFirst) {
  QuietHoursConfig cfg;
  cfg.default_window = {12 * 60, 13 * 60};  // one hour: Boise 18-19 UTC, Los Angeles 19-20 UTC
  auto v = check_quiet_hours(cfg, phones(), kIdaho, utc(2026, 7, 1, 18, 30));
  EXPECT_TRUE(v.allowed);  // open in Boise, the first zone
  v = check_quiet_hours(cfg, phones(), kIdaho, utc(2026, 7, 1, 17));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 18));
}

TEST(QuietHours, WholeCountryIntersection) {
  const auto cfg = default_quiet_hours();
  // Australian mobile: all eight zones. In July (no DST down under) the latest to open is
  // Cocos (+6:30, 08:00 = 01:30 UTC) and the earliest to close is Lord Howe (+10:30,
  // 21:00 = 10:30 UTC). So 01:30-10:30 UTC.
  const char* au = "+61412345678";
  auto v = check_quiet_hours(cfg, phones(), au, utc(2026, 7, 1, 1, 0));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 1, 30));
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), au, utc(2026, 7, 1, 10, 29)).allowed);
  v = check_quiet_hours(cfg, phones(), au, utc(2026, 7, 1, 10, 30));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 2, 1, 30));
}

TEST(QuietHours, NextOpenAcrossTheSpringForward) {
  const auto cfg = default_quiet_hours();
  // 2026-03-08 03:00 UTC = 22:00 EST Mar 7. Clocks go forward at 02:00 Mar 8, so 08:00 EDT
  // Mar 8 is 12:00 UTC (not 13:00 as on the day before).
  const auto v = check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 3, 8, 3));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.local_time, "22:00");
  EXPECT_EQ(v.next_open_unix, utc(2026, 3, 8, 12));
}

TEST(QuietHours, RulesByAreaCodeAndRegion) {
  QuietHoursConfig cfg;
  cfg.rules = {{"Miami only", {"+1305", "+1786"}, {10 * 60, 18 * 60}},
               {"UK", {"GB"}, {9 * 60, 17 * 60}}};
  // 13:00 UTC = 09:00 EDT.
  const auto t = utc(2026, 7, 1, 13);
  auto v = check_quiet_hours(cfg, phones(), kMiami, t);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "Miami only");
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 14));
  EXPECT_EQ(check_quiet_hours(cfg, phones(), "+19545551234", t).rule, "default");
  // London at 17:00 BST (16:00 UTC) is closed under the UK rule, open under the default.
  v = check_quiet_hours(cfg, phones(), "+442079460000", utc(2026, 7, 1, 16));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "UK");
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 2, 8));
}

TEST(QuietHours, AnyStateCanBeNamed) {
  QuietHoursConfig cfg;
  cfg.rules = {{"TX", {"US-TX"}, {9 * 60, 21 * 60}}};
  // Dallas on CDT (-5): 13:30 UTC = 08:30, before the 09:00 opening at 14:00 UTC.
  const auto v = check_quiet_hours(cfg, phones(), "+12145551234", utc(2026, 7, 1, 13, 30));
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "TX");
  EXPECT_THAT(v.zones, ElementsAre("America/Chicago"));
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 1, 14));
}

TEST(QuietHours, FirstMatchingRuleWins) {
  QuietHoursConfig cfg;
  cfg.rules = {{"first", {"US-FL"}, {8 * 60, 20 * 60}}, {"second", {"+1305"}, {9 * 60, 17 * 60}}};
  EXPECT_EQ(check_quiet_hours(cfg, phones(), kMiami, utc(2026, 7, 1, 12)).rule, "first");
}

TEST(QuietHours, DisabledAlwaysAllows) {
  auto cfg = default_quiet_hours();
  cfg.enabled = false;
  const auto t = utc(2026, 7, 1, 6);  // 02:00 EDT
  const auto v = check_quiet_hours(cfg, phones(), kMiami, t);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.next_open_unix, t);
  EXPECT_EQ(v.rule, "");
  EXPECT_EQ(v.local_time, "02:00");  // still shown in the thread header
}

TEST(QuietHours, WrappingAndAlwaysOpenWindows) {
  QuietHoursConfig cfg;
  cfg.default_window = {22 * 60, 6 * 60};  // night shift: 22:00-06:00
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 2, 3)).allowed);  // 23:00
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 1, 9)).allowed);  // 05:00
  const auto v = check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 1, 10));       // 06:00
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.next_open_unix, utc(2026, 7, 2, 2));  // 22:00 EDT
  cfg.default_window = {0, 0};
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 1, 7)).allowed);
  cfg.default_window = {0, 24 * 60};
  EXPECT_TRUE(check_quiet_hours(cfg, phones(), kNewYork, utc(2026, 7, 1, 7)).allowed);
}

TEST(QuietHours, NumbersWithoutZoneAreNotHeld) {
  const auto cfg = default_quiet_hours();
  const auto t = utc(2026, 7, 1, 6);
  for (const char* n : {"12345", "ACME", "", "+9991234567"}) {
    const auto v = check_quiet_hours(cfg, phones(), n, t);
    EXPECT_TRUE(v.allowed) << n;
    EXPECT_EQ(v.next_open_unix, t) << n;
    EXPECT_THAT(v.zones, IsEmpty()) << n;
    EXPECT_EQ(v.local_time, "") << n;
  }
}

TEST(QuietHours, ClockErrorsDoNotOverflow) {
  const auto cfg = default_quiet_hours();
  for (std::int64_t t : {std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min(), std::int64_t{-1} << 40}) {
    const auto v = check_quiet_hours(cfg, phones(), kNewYork, t);
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.next_open_unix, t);
    EXPECT_EQ(local_time_string("America/New_York", t), "");
  }
  // The edges of the accepted range still work.
  EXPECT_EQ(local_time_string("UTC", 253402300799), "23:59");
  EXPECT_EQ(local_time_string("UTC", 0), "00:00");
}

TEST(QuietHoursStates, AreaCodeTable) {
  EXPECT_EQ(us_state_of("+13055551234"), "FL");
  EXPECT_EQ(us_state_of("+17865551234"), "FL");
  EXPECT_EQ(us_state_of("+14055551234"), "OK");
  EXPECT_EQ(us_state_of("+14105551234"), "MD");
  EXPECT_EQ(us_state_of("+16175551234"), "MA");
  EXPECT_EQ(us_state_of("+12015551234"), "NJ");
  EXPECT_EQ(us_state_of("+12065551234"), "WA");
  EXPECT_EQ(us_state_of("+18605551234"), "CT");
  EXPECT_EQ(us_state_of("+12125551234"), "NY");
  EXPECT_EQ(us_state_of("+12025551234"), "DC");
  EXPECT_EQ(us_state_of("+19075551234"), "AK");
  EXPECT_EQ(us_state_of("+18005551234"), "");  // toll-free: no state
  EXPECT_EQ(us_state_of("+14165550123"), "");  // Toronto
  EXPECT_EQ(us_state_of("+17875551234"), "");  // Puerto Rico is a region of its own
  EXPECT_EQ(us_state_of("+442079460000"), "");
  EXPECT_EQ(us_state_of("+1305"), "");
  EXPECT_EQ(us_state_of("13055551234"), "");
  EXPECT_EQ(us_state_of("+1305555123x"), "");
  EXPECT_EQ(us_state_of("+130555512345"), "");
}

// Every area code of the table must be one the geocoder places in that state (or one too new
// for the geocoder's data, which then says nothing more precise than the country).
TEST(QuietHoursStates, TableAgreesWithTheGeocoder) {
  const std::map<std::string, std::vector<std::string>> names = {
      {"AK", {"Alaska"}},
      {"AL", {"Alabama"}},
      {"AR", {"Arkansas"}},
      {"AZ", {"Arizona"}},
      {"CA", {"California"}},
      {"CO", {"Colorado"}},
      {"CT", {"Connecticut"}},
      {"DC", {"Washington D.C."}},
      {"DE", {"Delaware"}},
      {"FL", {"Florida"}},
      {"GA", {"Georgia"}},
      {"HI", {"Hawaii"}},
      {"IA", {"Iowa"}},
      {"ID", {"Idaho"}},
      {"IL", {"Illinois"}},
      {"IN", {"Indiana"}},
      {"KS", {"Kansas"}},
      {"KY", {"Kentucky"}},
      {"LA", {"Louisiana"}},
      {"MA", {"Massachusetts"}},
      {"MD", {"Maryland"}},
      {"ME", {"Maine"}},
      {"MI", {"Michigan"}},
      {"MN", {"Minnesota"}},
      {"MO", {"Missouri"}},
      {"MS", {"Mississippi"}},
      {"MT", {"Montana"}},
      {"NC", {"North Carolina"}},
      {"ND", {"North Dakota"}},
      {"NE", {"Nebraska"}},
      {"NH", {"New Hampshire"}},
      {"NJ", {"New Jersey"}},
      {"NM", {"New Mexico"}},
      {"NV", {"Nevada"}},
      {"NY", {"New York"}},
      {"OH", {"Ohio"}},
      {"OK", {"Oklahoma"}},
      {"OR", {"Oregon"}},
      {"PA", {"Pennsylvania", "Philadelphia"}},
      {"RI", {"Rhode Island"}},
      {"SC", {"South Carolina"}},
      {"SD", {"South Dakota"}},
      {"TN", {"Tennessee"}},
      {"TX", {"Texas"}},
      {"UT", {"Utah"}},
      {"VA", {"Virginia"}},
      {"VT", {"Vermont"}},
      {"WA", {"Washington State"}},
      {"WI", {"Wisconsin"}},
      {"WV", {"West Virginia"}},
      {"WY", {"Wyoming"}}};
  int in_table = 0;
  int checked = 0;
  for (int npa = 200; npa <= 999; ++npa) {
    const std::string number = "+1" + std::to_string(npa) + "5551234";
    const std::string state(us_state_of(number));
    if (state.empty()) continue;
    ++in_table;
    ASSERT_EQ(names.count(state), 1u) << state;
    const std::string place = phones().location(number);
    if (place.empty() || place == "United States") continue;  // newer than the data
    ++checked;
    bool ok = place.ends_with(", " + state);
    for (const std::string& name : names.at(state)) ok = ok || place == name;
    EXPECT_TRUE(ok) << number << " is in " << state << " by the table but " << place;
  }
  EXPECT_GT(in_table, 300);
  EXPECT_GT(checked, 300);
}

TEST(QuietHoursConfigCheck, DefaultsAreValidAndMistakesAreReported) {
  EXPECT_THAT(quiet_hours_config_errors(default_quiet_hours()), IsEmpty());
  QuietHoursConfig cfg;
  cfg.default_window = {-1, 2000};
  cfg.rules = {{"Guam", {"US-GU"}, {9 * 60, 21 * 60}},
               {"typo", {"florida"}, {8 * 60, 20 * 60}},
               {"empty", {}, {8 * 60, 20 * 60}},
               {"ok", {"+1305", "GB", "US-fl"}, {8 * 60, 20 * 60}}};
  const auto errors = quiet_hours_config_errors(cfg);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], "default: window minutes must be within 0..1440");
  EXPECT_EQ(errors[1], "rule Guam: state US-GU is not in the area code table");
  EXPECT_EQ(errors[2],
            "rule typo: \"florida\" is neither US-XX, a +prefix nor a two-letter region");
  EXPECT_EQ(errors[3], "rule empty: matches no number");
}

}  // namespace
}  // namespace twoway::engine
