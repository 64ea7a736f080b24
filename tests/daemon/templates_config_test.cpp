// The config file's texts are templates: an unknown placeholder is an error at its line,
// the earlier single-brace spelling still reads, and a reload names the `twowayctl settings`
// command for each first value it cannot apply.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/app.hpp"
#include "daemon/config.hpp"
#include "engine/templates.hpp"

using namespace twoway::daemon;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  auto r = load_config_text(yaml, "t.yaml");
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

constexpr const char* kHead = R"(organization:
  name: Acme Bikes
  prefix: ACME
  support_email: help@acme.example
smscs:
  - name: main
    host: 127.0.0.1
    system_id: acme
    password: pw
)";

TEST(ConfigTemplates, AnUnknownPlaceholderIsAnErrorNamingTheKeyAndLine) {
  const auto errors = errors_of(std::string(kHead) + R"(conversations:
  auto_responder:
    mode: all
    message: "Hi {{profile.nickname}}"
  keywords:
    custom:
      - { word: HOURS, reply: "Open {{hours|9-5}}" }
  replies:
    help: "{{organization.prefix}}: help at {{email}}. Msg frequency varies. Msg & data rates may apply. Reply STOP to cancel."
)");
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr("t.yaml:13:14: conversations.auto_responder.message: unknown "
                                   "placeholder {{profile.nickname}}"));
  EXPECT_THAT(errors[1], HasSubstr("conversations.keywords.custom[0].reply: unknown placeholder "
                                   "{{hours|9-5}}"));
}

TEST(ConfigTemplates, TheOldSpellingAndAliasesReadAndBecomeTheEnginesNames) {
  auto r = load_config_text(std::string(kHead) + R"(conversations:
  auto_responder:
    mode: all
    message: "Thanks {{profile.first_name|there}}! {organization} will answer; {{email}}"
  keywords:
    custom:
      - { word: HOURS, reply: "{organization}: open 9-5, mail {support_email}" }
  replies:
    opt_in: "{{Organization prefix}}: welcome"
)",
                            "t.yaml");
  ASSERT_TRUE(r.ok()) << r.errors.front().to_string();
  const auto e = engine_config(*r.config);
  EXPECT_EQ(e.initial_settings.auto_responder.message,
            "Thanks {{profile.first_name|there}}! {{organization.prefix}} will answer; {{email}}");
  ASSERT_EQ(e.initial_settings.keywords.custom.size(), 1u);
  EXPECT_EQ(e.initial_settings.keywords.custom[0].reply,
            "{{organization.prefix}}: open 9-5, mail {{organization.email}}");
  twoway::engine::Profile nobody;
  EXPECT_EQ(twoway::engine::render_template(e.initial_settings.auto_responder.message,
                                            e.organization, nobody),
            "Thanks there! ACME will answer; help@acme.example");
  EXPECT_EQ(twoway::engine::render_template("{{organization.name}}", e.organization, nobody),
            "Acme Bikes");
}

TEST(ConfigTemplates, ACustomKeywordTheFloorReadsIsNotedAsUnused) {
  auto r = load_config_text(std::string(kHead) + R"(conversations:
  keywords:
    custom:
      - { word: STPO, reply: "typo!" }
)",
                            "t.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(config_notes(*r.config),
              Contains(HasSubstr("conversations.keywords.custom: 'STPO' is read as the built-in "
                                 "opt-out word STOP (misspelt); the custom keyword is not used")));
}

TEST(ConfigTemplates, EachFirstValueNamesTheSettingsCommandThatChangesIt) {
  EXPECT_EQ(seed_setting_command("conversations.auto_responder.message"),
            "twowayctl settings auto_responder.message TEXT");
  EXPECT_EQ(seed_setting_command("conversations.replies.help"),
            "twowayctl settings answers.help TEXT");
  EXPECT_THAT(seed_setting_command("conversations.keywords.custom"),
              HasSubstr("keywords.custom.WORD.reply TEXT"));
  EXPECT_EQ(seed_setting_command("conversations.auto_responder.period"),
            "twowayctl settings auto_responder.period_seconds SECONDS");
  EXPECT_EQ(seed_setting_command("conversations.quiet_hours.rules"), "");
  EXPECT_EQ(seed_setting_command("conversations.link_shortening.domain"),
            "twowayctl settings link_shortening.domain VALUE");
  // Every first-value key of the table has an answer that is a real key or says there is none.
  for (const KeySpec& k : config_keys()) {
    if (k.reload != Reload::seed || k.type == KeyType::section) continue;
    const std::string command = seed_setting_command(k.path);
    if (!command.empty()) {
      EXPECT_THAT(command, HasSubstr("twowayctl settings ")) << k.path;
    }
  }
}

}  // namespace
