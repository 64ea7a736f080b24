// The `consent-log` admin command against a real engine on a temporary store: dates, paging,
// the rows an admin sees, CSV an officer can open, the errors, and the consent lock's message.
#include "daemon/consent_log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

using namespace twoway;
using namespace twoway::daemon;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

constexpr std::int64_t kNoon = 1781542800;  // 2026-06-15T17:00:00Z
constexpr const char* kAlice = "+16502530000";
constexpr const char* kBob = "+16502530001";

// Splits RFC 4180 text into records of fields (quoted fields may hold separators and breaks).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    std::string& field = records.back().back();
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      if (i + 1 < text.size()) records.emplace_back(1);
    } else {
      field += c;
    }
  }
  return records;
}

class ConsentLogCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-consent-log-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    engine::EngineConfig c;
    c.path = dir_ + "/db";
    c.map_size = std::size_t{64} << 20;
    c.sending_numbers = {"12345"};
    engine_ = std::make_unique<engine::Engine>(c, engine::EngineMode::synchronous);
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  void text(const std::string& from, const std::string& body, std::int64_t at) {
    engine::InboundMessage m;
    m.smsc = "smsc1";
    m.source = from;
    m.source_ton = 1;
    m.source_npi = 1;
    m.destination = "12345";
    m.text = body;
    m.received_unix = at;
    engine_->apply_inbound(m);
  }

  // Runs a command line as the admin socket would parse it.
  CommandResult run(const std::string& line) {
    const auto tokens = tokenize(line);
    EXPECT_TRUE(tokens.ok()) << line;
    auto parsed = parse_args(tokens.tokens, parse_usage(kConsentLogUsage), kConsentLogUsage);
    if (auto* e = std::get_if<AdminError>(&parsed)) return *e;
    return consent_log_command(*engine_, std::get<Args>(parsed));
  }
  json ok(const std::string& line) {
    auto r = run(line);
    if (auto* e = std::get_if<AdminError>(&r)) {
      ADD_FAILURE() << line << ": " << e->code << " " << e->message;
      return json::object();
    }
    return std::get<json>(r);
  }
  AdminError fails(const std::string& line) {
    auto r = run(line);
    if (auto* e = std::get_if<AdminError>(&r)) return *e;
    ADD_FAILURE() << line << " succeeded: " << std::get<json>(r).dump();
    return {};
  }

  std::string dir_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST(ConsentLogDates, DatesAndIsoTimesInUtc) {
  EXPECT_EQ(parse_admin_time("2026-06-15", false), 1781481600);
  EXPECT_EQ(parse_admin_time("2026-06-15", true), 1781481600 + 86400);
  EXPECT_EQ(parse_admin_time("2026-06-15T17:00:00Z", false), kNoon);
  EXPECT_EQ(parse_admin_time("2026-06-15T17:00:00Z", true), kNoon);  // a time is exact
  EXPECT_EQ(parse_admin_time("2026-06-15T17:00", false), kNoon);
  EXPECT_EQ(parse_admin_time("2024-02-29", false), 1709164800);
  for (const char* bad :
       {"", "yesterday", "2026-6-15", "2026-13-01", "2026-02-29", "2026-06-31", "2026-06-15T24:00Z",
        "2026-06-15T17:00:00+02:00", "2026-06-15 17:00", "2026-06-15T17:00:00Zjunk", "1969-12-31"})
    EXPECT_FALSE(parse_admin_time(bad, false).has_value()) << bad;
}

TEST_F(ConsentLogCommand, ANumbersHistoryAsTheAdminSeesIt) {
  text(kAlice, "Stop", kNoon);
  ASSERT_EQ(engine_->import_consent(kAlice, engine::Consent::subscribed,
                                    engine::ConsentSource::import, kNoon + 60, "carla"),
            engine::ActionError::consent_locked);
  const json r = ok("consent-log +1-650-253-0000");
  ASSERT_EQ(r["entries"].size(), 2u);
  const json& stop = r["entries"][0];
  EXPECT_EQ(stop["time"], "2026-06-15T17:00:00Z");
  EXPECT_EQ(stop["number"], kAlice);
  EXPECT_EQ(stop["from"], "none");
  EXPECT_EQ(stop["to"], "unsubscribed");
  EXPECT_EQ(stop["source"], "keyword");
  EXPECT_EQ(stop["keyword"], "STOP");
  EXPECT_EQ(stop["text"], "Stop");
  EXPECT_EQ(stop["sending_number"], "12345");
  EXPECT_TRUE(stop["message_id"].is_number_unsigned());
  EXPECT_EQ(stop["outcome"], "applied");
  const json& refused = r["entries"][1];
  EXPECT_EQ(refused["outcome"], "refused");
  EXPECT_EQ(refused["source"], "import");
  EXPECT_EQ(refused["actor"], "carla");
  EXPECT_EQ(refused["to"], "subscribed");
  EXPECT_TRUE(refused["message_id"].is_null());
  EXPECT_TRUE(r["next_cursor"].is_null());
  EXPECT_FALSE(r.contains("csv"));
}

TEST_F(ConsentLogCommand, SinceUntilAndPagesThroughEveryNumber) {
  text(kAlice, "STOP", kNoon - 86400);  // 2026-06-14: before the range
  text(kAlice, "START", kNoon);
  text(kBob, "STOP", kNoon + 60);
  text(kBob, "START", kNoon + 86400);  // 2026-06-16: after it
  std::vector<std::string> seen;
  std::string line = "consent-log --since 2026-06-15 --until 2026-06-15 --limit 1";
  for (int i = 0; i < 5; ++i) {
    const json r = ok(line);
    for (const auto& e : r["entries"])
      seen.push_back(e["number"].get<std::string>() + " " + e["keyword"].get<std::string>());
    if (r["next_cursor"].is_null()) break;
    line = "consent-log --since 2026-06-15 --until 2026-06-15 --limit 1 --after " +
           r["next_cursor"].get<std::string>();
  }
  EXPECT_THAT(seen,
              ::testing::ElementsAre(std::string(kAlice) + " START", std::string(kBob) + " STOP"));
  EXPECT_EQ(ok("consent-log --since 2026-06-15T17:01:00Z")["entries"].size(), 2u);
  EXPECT_EQ(ok(std::string("consent-log ") + kBob + " --since 2026-06-16")["entries"].size(), 1u);
}

TEST_F(ConsentLogCommand, ErrorsSayWhatIsWrong) {
  text(kAlice, "STOP", kNoon);
  const auto expect_bad = [&](const std::string& line, const std::string& says) {
    const AdminError e = fails(line);
    EXPECT_EQ(e.code, "bad_request") << line;
    EXPECT_THAT(e.message, HasSubstr(says)) << line;
  };
  expect_bad("consent-log", "give a NUMBER, or --since DATE");
  expect_bad("consent-log --since 15/06/2026", "--since: expected YYYY-MM-DD");
  expect_bad("consent-log --since 2026-06-15 --until tomorrow", "--until: expected YYYY-MM-DD");
  expect_bad("consent-log --since 2026-06-15 --until 2026-06-01", "--until must come after");
  expect_bad("consent-log --since 2026-06-15 --limit 0", "--limit takes a number from 1 to 1000");
  expect_bad("consent-log --since 2026-06-15 --limit 5000", "--limit takes a number");
  expect_bad("consent-log --since 2026-06-15 --after nonsense", "--after: not a cursor");
  expect_bad("consent-log +1", "not a phone number");
  expect_bad("consent-log --since", "--since needs a value");
}

TEST_F(ConsentLogCommand, CsvQuotesTextsWithCommasQuotesAndNewlines) {
  engine::Settings s = engine_->settings();
  s.keywords.opt_out_contains = true;  // free text with STOP in it opts out
  ASSERT_TRUE(engine_->set_settings(s).empty());
  const std::string awkward = "stop, \"now\"\nplease";
  text(kAlice, awkward, kNoon);
  text(kBob, "=HYPERLINK(\"x\") stop", kNoon + 1);
  const json r = ok("consent-log --since 2026-06-15 --csv");
  ASSERT_TRUE(r["csv"].is_string());
  const std::string csv = r["csv"].get<std::string>();
  EXPECT_THAT(csv, HasSubstr(",\"stop, \"\"now\"\"\nplease\","));
  const auto records = parse_csv(csv);
  ASSERT_EQ(records.size(), 3u) << csv;
  EXPECT_EQ(records[0],
            (std::vector<std::string>{"time", "number", "from", "to", "source", "outcome", "actor",
                                      "keyword", "text", "sending_number", "message_id"}));
  ASSERT_EQ(records[1].size(), 11u);
  EXPECT_EQ(records[1][0], "2026-06-15T17:00:00Z");
  EXPECT_EQ(records[1][1], kAlice);
  EXPECT_EQ(records[1][4], "keyword");
  EXPECT_EQ(records[1][8], awkward);
  EXPECT_EQ(records[1][9], "12345");
  EXPECT_FALSE(records[1][10].empty());
  // A formula is shown, not run, by a spreadsheet; the JSON keeps the exact text.
  EXPECT_EQ(records[2][8], "'=HYPERLINK(\"x\") stop");
  EXPECT_EQ(r["entries"][1]["text"], "=HYPERLINK(\"x\") stop");
  EXPECT_EQ(consent_log_csv(r["entries"], false), csv.substr(csv.find("\r\n") + 2));
}

TEST_F(ConsentLogCommand, TheLockMessageNamesTheWordAndTheTime) {
  text(kAlice, "stop", kNoon);
  EXPECT_EQ(consent_locked_message(*engine_, "(650) 253-0000"),
            "+16502530000 opted out by their own text (STOP, 2026-06-15T17:00:00Z); only their "
            "own START can resubscribe them");
  ASSERT_EQ(engine_->import_consent(kBob, engine::Consent::unsubscribed,
                                    engine::ConsentSource::text, kNoon, "carla"),
            engine::ActionError::ok);
  EXPECT_THAT(consent_locked_message(*engine_, kBob),
              HasSubstr("(free text, confirmed by carla, 2026-06-15T17:00:00Z)"));
}

}  // namespace
