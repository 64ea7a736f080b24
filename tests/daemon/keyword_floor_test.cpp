// The keyword floor as an operator gets it: the shipped etc/twoway.yaml and a config that lists
// only [STOP] both opt out on every word the FCC names, and --check-config's notes say when a
// config tries to take a floor word away or a HELP answer lacks what CTIA asks for.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/app.hpp"
#include "daemon/config.hpp"
#include "engine/keywords.hpp"

namespace twoway::daemon {
namespace {

using engine::KeywordKind;

struct Case {
  const char* text;
  KeywordKind kind;
};

// What every config must do, whatever it lists.
const Case kFloor[] = {
    {"STOP", KeywordKind::opt_out},
    {"stop", KeywordKind::opt_out},
    {"Quit", KeywordKind::opt_out},
    {"END", KeywordKind::opt_out},
    {"REVOKE", KeywordKind::opt_out},
    {"revoke", KeywordKind::opt_out},
    {"opt out", KeywordKind::opt_out},
    {"Opt-Out", KeywordKind::opt_out},
    {"OPTOUT", KeywordKind::opt_out},
    {"cancel", KeywordKind::opt_out},
    {"Unsubscribe", KeywordKind::opt_out},
    {"STOPALL", KeywordKind::opt_out},
    {"Stop all", KeywordKind::opt_out},
    {"\xF0\x9F\x9B\x91", KeywordKind::opt_out},  // 🛑
    {"STOP please", KeywordKind::opt_out},
    {"pls stop texting me", KeywordKind::opt_out},
    {"Opt me out", KeywordKind::opt_out},
    {"unsubscribe me now", KeywordKind::opt_out},
    {"STOP!!!", KeywordKind::opt_out},
    {"STPO", KeywordKind::opt_out},
    {"SOTP", KeywordKind::opt_out},
    {"STOPP", KeywordKind::opt_out},
    {"UNSUSCRIBE", KeywordKind::opt_out},
    {"HELP", KeywordKind::help},
    {"info", KeywordKind::help},
    {"START", KeywordKind::opt_in},
    {"unstop", KeywordKind::opt_in},
    {"Stopping by later?", KeywordKind::none},
    {"nonstop", KeywordKind::none},
    {"backend", KeywordKind::none},
    {"I want to cancel my order", KeywordKind::none},  // flagged, not opted out
};

engine::KeywordTable table_of(const Config& c) {
  return engine::KeywordTable{engine_config(c).initial_settings.keywords};
}

void expect_floor(const engine::KeywordTable& table, const std::string& config_name) {
  for (const Case& c : kFloor) {
    EXPECT_EQ(table.match(c.text).kind, c.kind) << config_name << ": " << c.text;
  }
}

TEST(KeywordFloor, ShippedConfig) {
  // Its SMSC password file (/etc/twoway/smsc-password) exists only where the package is installed.
  auto r = load_config_file(std::string(TWOWAY_SOURCE_DIR) + "/etc/twoway.yaml", FileChecks::off);
  ASSERT_TRUE(r.ok());
  expect_floor(table_of(*r.config), "etc/twoway.yaml");
  EXPECT_EQ(table_of(*r.config).match("yes").kind, KeywordKind::opt_in);
  // The shipped config lists additions only: nothing to note.
  EXPECT_TRUE(config_notes(*r.config).empty());
}

TEST(KeywordFloor, AConfigListingOnlyStop) {
  auto r = load_config_text(
      "organization: { support_email: help@acme.example }\n"
      "conversations:\n"
      "  keywords:\n"
      "    opt_out: [STOP]\n"
      "    opt_in: [START]\n"
      "    help: [HELP]\n",
      "only-stop.yaml");
  ASSERT_TRUE(r.ok());
  expect_floor(table_of(*r.config), "only-stop.yaml");
  const auto notes = config_notes(*r.config);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("conversations.keywords.opt_out: the list adds to the opt-out words "
                          "that always apply"),
            std::string::npos)
      << notes[0];
}

TEST(KeywordFloor, ConfigsThatTryToTakeAFloorWordAwayAreToldSo) {
  auto r = load_config_text(
      "organization: { support_email: help@acme.example }\n"
      "conversations:\n"
      "  keywords:\n"
      "    opt_out: [ARRET, BAJA]\n"
      "    opt_in: [YES, END]\n"
      "    custom:\n"
      "      - { word: CANCEL, reply: \"Your order is cancelled\", action: none }\n",
      "narrow.yaml");
  ASSERT_TRUE(r.ok());
  const auto table = table_of(*r.config);
  expect_floor(table, "narrow.yaml");
  EXPECT_EQ(table.match("baja").kind, KeywordKind::opt_out);
  const auto notes = config_notes(*r.config);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0],
            "conversations.keywords.opt_in: 'END' is a built-in opt_out word that no setting can "
            "remove; it stays opt_out");
  EXPECT_NE(notes[1].find("conversations.keywords.custom: 'CANCEL'"), std::string::npos);
}

TEST(KeywordFloor, HelpAnswersAreCheckedForWhatCtiaAsks) {
  auto r = load_config_text(
      "conversations:\n"
      "  replies:\n"
      "    help: \"Call us!\"\n"
      "    opt_out: \"Bye! See our deals at https://shop.example\"\n",
      "help.yaml");
  ASSERT_TRUE(r.ok());
  auto notes = config_notes(*r.config);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("conversations.replies.help: lacks what CTIA asks"), std::string::npos);
  for (const char* missing :
       {"the brand", "a contact", "the message frequency", "Msg & data rates", "how to stop"})
    EXPECT_NE(notes[0].find(missing), std::string::npos) << missing << " in " << notes[0];
  EXPECT_NE(notes[1].find("conversations.replies.opt_out"), std::string::npos) << notes[1];

  r = load_config_text(
      "organization: { name: Acme, support_email: help@acme.example }\n"
      "conversations:\n"
      "  replies:\n"
      "    help: \"{organization}: order updates. Help: {support_email}. Msg frequency varies. "
      "Msg & data rates may apply. Reply STOP to cancel.\"\n",
      "help-ok.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(config_notes(*r.config).empty());

  // The built-in answer needs a contact to name.
  r = load_config_text("organization: { name: Acme }\n", "no-contact.yaml");
  ASSERT_TRUE(r.ok());
  notes = config_notes(*r.config);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("conversations.replies.help: the built-in HELP answer names no contact"),
            std::string::npos)
      << notes[0];
}

}  // namespace
}  // namespace twoway::daemon
