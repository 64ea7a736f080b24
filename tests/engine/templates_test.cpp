// The template language: placeholders and their aliases, fallbacks, errors for unknown
// placeholders, and previews with encoding and segment count.
#include "engine/templates.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/keywords.hpp"
#include "engine/settings.hpp"

using namespace twoway::engine;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

namespace {

Organization shop() {
  Organization o;
  o.name = "Acme Bikes";
  o.prefix = "ACME";
  o.email = "help@acme.example";
  return o;
}

Profile customer(std::string name) {
  Profile p;
  p.number = "+15551234567";
  p.name = std::move(name);
  p.location = "Atlanta, GA";
  return p;
}

TEST(Templates, FillsEveryField) {
  EXPECT_EQ(render_template("{{organization.name}} / {{organization.prefix}} / "
                            "{{organization.email}} / {{profile.name}} / "
                            "{{profile.first_name}} / {{profile.phone}} / {{profile.location}}",
                            shop(), customer("Ada Lovelace")),
            "Acme Bikes / ACME / help@acme.example / Ada Lovelace / Ada / +15551234567 / "
            "Atlanta, GA");
}

TEST(Templates, AliasesFromGuidesAndTheOldConfigSyntax) {
  const Organization o = shop();
  const Profile p = customer("Ada Lovelace");
  EXPECT_EQ(render_template("Reach us at {{email}}", o, p), "Reach us at help@acme.example");
  EXPECT_EQ(render_template("{{Organization prefix}}: hi", o, p), "ACME: hi");
  EXPECT_EQ(render_template("{{ ORGANIZATION_EMAIL }}", o, p), "help@acme.example");
  EXPECT_EQ(render_template("Hi {{first_name}}, {{company}} here", o, p),
            "Hi Ada, Acme Bikes here");
  // The config file's earlier single-brace spelling.
  EXPECT_EQ(render_template("{organization}: mail {support_email}", o, p),
            "ACME: mail help@acme.example");
  // Any other single brace is text.
  EXPECT_EQ(render_template("Use code {SAVE10} {", o, p), "Use code {SAVE10} {");
  EXPECT_THAT(template_errors("Use code {SAVE10}"), IsEmpty());
  EXPECT_EQ(template_field("Organization prefix"), "organization.prefix");
  EXPECT_EQ(template_field("support_email"), "organization.email");
  EXPECT_EQ(template_field("organisation.phone"), "");
}

TEST(Templates, FallbackWhenTheValueIsEmpty) {
  const Organization o = shop();
  EXPECT_EQ(render_template("Hi {{profile.first_name|there}}!", o, customer("")), "Hi there!");
  EXPECT_EQ(render_template("Hi {{profile.first_name|there}}!", o, customer("Grace Hopper")),
            "Hi Grace!");
  EXPECT_EQ(render_template("Hi {{ profile.first_name | my friend }}!", o, customer("  ")),
            "Hi my friend!");
  EXPECT_EQ(render_template("Hi {{profile.first_name}}!", o, customer("")), "Hi !");
  Organization no_name = o;
  no_name.name.clear();
  EXPECT_EQ(render_template("{{organization.name}}", no_name, customer("")), "ACME");
}

TEST(Templates, UnknownPlaceholdersAreErrorsAndNeverSent) {
  auto errors = template_errors("Hi {{profile.nickname}}, see {{organization.url|our site}}");
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_THAT(errors[0], HasSubstr("unknown placeholder {{profile.nickname}}"));
  EXPECT_THAT(errors[0], HasSubstr("profile.first_name"));
  EXPECT_THAT(errors[1], HasSubstr("{{organization.url|our site}}"));
  EXPECT_THAT(template_errors("Hi {{profile.first_name"), ElementsAre(HasSubstr("without")));
  EXPECT_THAT(template_errors("{{}}"), SizeIs(1));
  EXPECT_THAT(template_errors("{{profile.first_name|there}} at {{email}}"), IsEmpty());
  // A text stored before templates were checked: the placeholder becomes its fallback or
  // nothing, never "{{...}}".
  EXPECT_EQ(render_template("Hi {{nick|you}} {{nope}}.", shop(), customer("")), "Hi you .");
  EXPECT_EQ(render_template("Hi {{profile.first_name", shop(), customer("Ada")), "Hi ");
}

TEST(Templates, FieldsUsedByAnySpelling) {
  EXPECT_THAT(template_fields_used("{{Organization prefix}} {email} {support_email} {{x}}"),
              ElementsAre("organization.prefix", "organization.email"));
}

TEST(Templates, PreviewCountsEncodingAndSegments) {
  const auto gsm = preview_template("Hi {{profile.first_name|there}}, {{organization.name}}",
                                    shop(), customer(""));
  EXPECT_EQ(gsm.text, "Hi there, Acme Bikes");
  EXPECT_EQ(gsm.encoding, TextEncoding::gsm7);
  EXPECT_EQ(gsm.segments, 1u);
  EXPECT_EQ(gsm.units, 20u);
  const auto ucs2 = preview_template("Merci 🙂 {{organization.prefix}}", shop(), customer(""));
  EXPECT_EQ(ucs2.encoding, TextEncoding::ucs2);
  EXPECT_EQ(ucs2.segments, 1u);
  // 161 GSM characters take two parts.
  const auto two =
      preview_template(std::string(157, 'a') + "{{organization.prefix}}", shop(), customer(""));
  EXPECT_EQ(two.segments, 2u);
}

TEST(Templates, SettingsRefuseUnknownPlaceholdersNamingTheKey) {
  Settings s;
  s.auto_responder.message = "Thanks! Reach us at {{email}}";
  EXPECT_THAT(settings_errors(s), IsEmpty());
  s.answers.help = "{{organization.prefix}}: {{support}}";
  s.keywords.custom.push_back({"HOURS", "Open {{hours}}", ""});
  const auto errors = settings_errors(s);
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_THAT(errors[0], HasSubstr("answers.help: unknown placeholder {{support}}"));
  EXPECT_THAT(errors[1], HasSubstr("keywords.custom.HOURS.answer: unknown placeholder {{hours}}"));
}

TEST(Templates, TheBuiltInAnswersRender) {
  Settings s;
  const auto text = opt_out_answer(s, shop(), customer(""));
  EXPECT_EQ(text.find("{{"), std::string::npos);
  EXPECT_THAT(text, HasSubstr("ACME: You have been unsubscribed"));
  // The default auto-responder message renders with no placeholder left.
  EXPECT_EQ(render_template(s.auto_responder.message, shop(), customer("")).find('{'),
            std::string::npos);
}

TEST(CustomKeywords, TheFloorKeepsItsWords) {
  EXPECT_THAT(floor_claim("STOP"), HasSubstr("opt-out word STOP"));
  EXPECT_THAT(floor_claim("stop please"), HasSubstr("filler"));
  EXPECT_THAT(floor_claim("STPO"), HasSubstr("misspelt"));
  EXPECT_THAT(floor_claim("Help"), HasSubstr("help word HELP"));
  EXPECT_THAT(floor_claim("unstop"), HasSubstr("opt-in word UNSTOP"));
  EXPECT_THAT(floor_claim("cancel order"), HasSubstr("revocation?"));
  EXPECT_THAT(floor_claim("!!!"), HasSubstr("no letters"));
  EXPECT_EQ(floor_claim("HOURS"), "");
  EXPECT_EQ(floor_claim("SHOP"), "");  // a word of its own, one edit from STOP
  // And the keyword table never lets such a configured word take the floor's meaning.
  KeywordConfig cfg;
  cfg.custom.push_back({"STOP PLEASE", "ok!", ""});
  cfg.custom.push_back({"STPO", "ok!", ""});
  cfg.custom.push_back({"HOURS", "9-5", ""});
  const KeywordTable table(cfg);
  EXPECT_EQ(table.match("stop please").kind, KeywordKind::opt_out);
  EXPECT_EQ(table.match("STPO").kind, KeywordKind::opt_out);
  EXPECT_EQ(table.match("hours").kind, KeywordKind::custom);
  EXPECT_EQ(table.match("hours").custom_index, 2u);
  EXPECT_THAT(keyword_floor_notes(cfg), Contains(HasSubstr("'STOP PLEASE' is read as")));
}

}  // namespace
