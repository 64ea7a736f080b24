// The `export` admin command against a real engine on a temporary store: what a checker sees
// of inbound and outbound messages, paging by cursor, the --since filter, and the errors.
#include "daemon/export_command.hpp"

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

class ExportCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-export-XXXXXX";
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

  CommandResult run(const std::string& line) {
    const auto tokens = tokenize(line);
    EXPECT_TRUE(tokens.ok()) << line;
    auto parsed = parse_args(tokens.tokens, parse_usage(kExportUsage), kExportUsage);
    if (auto* e = std::get_if<AdminError>(&parsed)) return *e;
    return export_command(*engine_, std::get<Args>(parsed));
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

TEST_F(ExportCommand, InboundAndTheQueuedAnswerAsACheckerSeesThem) {
  text(kAlice, "Is the shop open on Sunday?", kNoon);
  text(kBob, "STOP", kNoon + 5);
  const json r = ok("export --since 2026-06-15");
  EXPECT_TRUE(r["next_cursor"].is_null());
  const json& rows = r["messages"];
  ASSERT_EQ(rows.size(), 3u) << rows.dump();  // two inbound, Bob's opt-out confirmation

  const json& in = rows[0];
  EXPECT_EQ(in["direction"], "in");
  EXPECT_EQ(in["from"], kAlice);
  EXPECT_EQ(in["to"], "12345");
  EXPECT_EQ(in["text"], "Is the shop open on Sunday?");
  EXPECT_EQ(in["time"], "2026-06-15T17:00:00Z");
  EXPECT_EQ(in["time_unix"], kNoon);
  EXPECT_EQ(in["kind"], "inbound");
  EXPECT_EQ(in["smsc"], "smsc1");
  EXPECT_FALSE(in.contains("attempts"));

  const json& stop = rows[1];
  EXPECT_EQ(stop["from"], kBob);
  EXPECT_EQ(stop["kind"], "keyword");
  EXPECT_EQ(stop["keyword"], "STOP");
  EXPECT_GT(stop["id"].get<std::uint64_t>(), in["id"].get<std::uint64_t>());

  const json& answer = rows[2];
  EXPECT_EQ(answer["direction"], "out");
  EXPECT_EQ(answer["to"], kBob);
  EXPECT_EQ(answer["from"], "12345");
  EXPECT_EQ(answer["kind"], "keyword_reply");
  EXPECT_EQ(answer["state"], "queued");
  EXPECT_EQ(answer["in_outbox"], true);
  EXPECT_EQ(answer["attempts"], 0);
  ASSERT_EQ(answer["smsc_ids"].size(), answer["segments"].get<std::size_t>());
  for (const auto& id : answer["smsc_ids"]) EXPECT_EQ(id, "");  // none until submitted
}

TEST_F(ExportCommand, ASubmittedAnswerCarriesItsSmscIdAndLeavesTheOutbox) {
  text(kBob, "STOP", kNoon);
  const auto due = engine_->claim_due(kNoon + 1, 10);
  ASSERT_EQ(due.size(), 1u);
  for (std::uint32_t s = 0; s < due[0].segments; ++s)
    ASSERT_TRUE(engine_->mark_submitted(due[0].id, s, "SMSC-" + std::to_string(s), kNoon + 2));
  const json rows = ok("export --since 2026-06-15")["messages"];
  ASSERT_EQ(rows.size(), 2u);
  const json& answer = rows[1];
  EXPECT_EQ(answer["state"], "sent");
  EXPECT_EQ(answer["in_outbox"], false);
  EXPECT_TRUE(answer["attempts"].is_null());
  ASSERT_EQ(answer["smsc_ids"].size(), due[0].segments);
  EXPECT_EQ(answer["smsc_ids"][0], "smsc-0");  // as the receipt index keeps them
}

TEST_F(ExportCommand, PagesFollowTheCursorAndSinceLeavesOlderOut) {
  for (int i = 0; i < 5; ++i) text(kAlice, "message " + std::to_string(i), kNoon + i * 3600);
  std::vector<std::string> seen;
  std::string line = "export --since 2026-06-15 --limit 2";
  for (int pages = 0; pages < 10; ++pages) {
    const json r = ok(line);
    for (const auto& m : r["messages"]) seen.push_back(m["text"]);
    if (r["next_cursor"].is_null()) break;
    line = "export --since 2026-06-15 --limit 2 --after " + r["next_cursor"].get<std::string>();
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("message 0", "message 1", "message 2", "message 3",
                                           "message 4"));
  // 17:00 + 2 h onwards: messages 2..4.
  const json later = ok("export --since 2026-06-15T19:00:00Z");
  ASSERT_EQ(later["messages"].size(), 3u);
  EXPECT_EQ(later["messages"][0]["text"], "message 2");
  EXPECT_EQ(ok("export --since 2026-06-16")["messages"].size(), 0u);
}

TEST_F(ExportCommand, BadArgumentsAreRefusedWithTheReason) {
  EXPECT_THAT(fails("export").message, HasSubstr("--since"));
  EXPECT_THAT(fails("export --since yesterday").message, HasSubstr("--since"));
  EXPECT_THAT(fails("export --since 2026-06-15 --limit 0").message, HasSubstr("--limit"));
  EXPECT_THAT(fails("export --since 2026-06-15 --limit 999999").message, HasSubstr("--limit"));
  EXPECT_THAT(fails("export --since 2026-06-15 --after -3").message, HasSubstr("--after"));
  EXPECT_THAT(fails("export --since 2026-06-15 --after x12").message, HasSubstr("--after"));
  EXPECT_EQ(fails("export --since 2026-06-15 --bogus").code, "bad_request");
}

}  // namespace
