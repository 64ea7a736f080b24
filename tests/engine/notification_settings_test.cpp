// Email notification settings: what is refused, what is stored, and how a store written before
// they existed reads.
#include "engine/notification_settings.hpp"

#include <gtest/gtest.h>

#include "engine/records.hpp"
#include "engine/settings.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

bool any_contains(const std::vector<std::string>& v, std::string_view needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

EmailNotifications working() {
  EmailNotifications e;
  e.enabled = true;
  e.to = {"owner@shop.example", "help@shop.example"};
  e.from = "twoway@shop.example";
  return e;
}

TEST(EmailAddress, PlainAddressesPassAndOthersSayWhy) {
  EXPECT_EQ(email_address_problem("owner@shop.example"), "");
  EXPECT_EQ(email_address_problem("first.last+tag@mail.shop-1.example"), "");
  EXPECT_EQ(email_address_problem("root@localhost"), "");
  EXPECT_NE(email_address_problem(""), "");
  EXPECT_NE(email_address_problem("owner.shop.example").find("no '@'"), std::string::npos);
  EXPECT_NE(email_address_problem("@shop.example").find("nothing before"), std::string::npos);
  EXPECT_NE(email_address_problem("owner@").find("no domain"), std::string::npos);
  EXPECT_NE(email_address_problem("Owner <owner@shop.example>").find("plain address"),
            std::string::npos);
  EXPECT_NE(email_address_problem("own er@shop.example"), "");
  EXPECT_NE(email_address_problem("owner@shop..example").find("empty label"), std::string::npos);
  EXPECT_NE(email_address_problem("owner@-shop.example"), "");
  EXPECT_NE(email_address_problem("owner@shop.example\r\nRCPT TO:<x@y>"), "");
  EXPECT_NE(email_address_problem(".owner@shop.example"), "");
  EXPECT_NE(email_address_problem(std::string(65, 'a') + "@shop.example"), "");
}

TEST(EmailNotificationSettings, EnabledNeedsSenderRecipientAndRelay) {
  EXPECT_TRUE(email_notification_errors(working()).empty());
  EmailNotifications e = working();
  e.to.clear();
  e.from.clear();
  e.smtp_host.clear();
  const auto errors = email_notification_errors(e);
  EXPECT_TRUE(any_contains(errors, "notifications.email.to: needed when enabled"));
  EXPECT_TRUE(any_contains(errors, "notifications.email.from: needed when enabled"));
  EXPECT_TRUE(any_contains(errors, "notifications.email.smtp.host: needed when enabled"));
  // Switched off, an incomplete block can be stored (filled in step by step with `settings`).
  e.enabled = false;
  EXPECT_TRUE(email_notification_errors(e).empty());
}

TEST(EmailNotificationSettings, BadValuesAreNamedByKey) {
  EmailNotifications e = working();
  e.to.push_back("not-an-address");
  e.from = "twoway at shop";
  e.digest_seconds = 2;
  e.smtp_port = 0;
  e.smtp_host = "smtp://relay";
  const auto errors = email_notification_errors(e);
  EXPECT_TRUE(any_contains(errors, "notifications.email.to: 'not-an-address'"));
  EXPECT_TRUE(any_contains(errors, "notifications.email.from:"));
  EXPECT_TRUE(any_contains(errors, "notifications.email.digest: must be between 10s and 1d"));
  EXPECT_TRUE(any_contains(errors, "notifications.email.smtp.port"));
  EXPECT_TRUE(any_contains(errors, "notifications.email.smtp.host"));
}

TEST(EmailNotificationSettings, APasswordNeverGoesInClearToAnotherMachine) {
  EmailNotifications e = working();
  e.smtp_username = "twoway";
  EXPECT_TRUE(
      any_contains(email_notification_errors(e), "smtp.password_file: needed with smtp.username"));
  e.smtp_password_file = "/etc/twoway/smtp-password";
  e.smtp_host = "smtp.shop.example";
  EXPECT_TRUE(any_contains(email_notification_errors(e), "smtp.tls: none would send the password"));
  e.smtp_tls = SmtpTls::starttls;
  EXPECT_TRUE(email_notification_errors(e).empty());
  e.smtp_tls = SmtpTls::none;
  e.smtp_host = "127.0.0.1";  // a relay on this machine
  EXPECT_TRUE(email_notification_errors(e).empty());
}

TEST(EmailNotificationSettings, TlsNamesRoundTrip) {
  for (auto t : {SmtpTls::none, SmtpTls::starttls, SmtpTls::implicit})
    EXPECT_EQ(parse_smtp_tls(to_string(t)), t);
  EXPECT_FALSE(parse_smtp_tls("ssl").has_value());
}

TEST(EmailNotificationSettings, TheConversationRecordKeepsTheFirstAddressWhereOldBuildsReadIt) {
  // An earlier build wrote one address in the conversation record and nothing else: reading
  // such a record makes that address the recipient, with mail still off.
  Settings s;
  s.notifications.email = working();
  std::string buf;
  records::encode(s, buf);
  Settings back;
  ASSERT_TRUE(records::decode(buf, back));
  ASSERT_EQ(back.notifications.email.to.size(), 1u);
  EXPECT_EQ(back.notifications.email.to[0], "owner@shop.example");
  EXPECT_FALSE(back.notifications.email.enabled);
  EXPECT_EQ(back.notifications.email.from, "");
}

TEST(SharedSettings, EverySettingGoesToAnotherNodeAndComesBackTheSame) {
  // What one cluster node writes for the others, email included; read on a node whose own
  // settings differ, and written again unchanged (so nodes do not trade it back and forth).
  Settings s;
  s.notifications.email = working();
  s.notifications.email.smtp_host = "smtp.shop.example";
  s.auto_responder.mode = AutoResponderMode::all;
  s.auto_responder.message = "Back soon";
  s.keywords.opt_out.push_back("BASTA");
  s.answers.help = "Shop: call 555-0100";
  s.link_shortening.domain = "go.shop.example";
  const std::string bytes = encode_settings(s);
  Settings other;
  other.auto_responder.message = "something else";
  ASSERT_TRUE(decode_settings(bytes, other));
  EXPECT_EQ(other.auto_responder.mode, AutoResponderMode::all);
  EXPECT_EQ(other.auto_responder.message, "Back soon");
  EXPECT_EQ(other.keywords.opt_out, s.keywords.opt_out);
  EXPECT_EQ(other.answers.help, "Shop: call 555-0100");
  EXPECT_EQ(other.link_shortening.domain, "go.shop.example");
  EXPECT_EQ(other.notifications.email.to, s.notifications.email.to);
  EXPECT_EQ(other.notifications.email.smtp_host, "smtp.shop.example");
  EXPECT_EQ(encode_settings(other), bytes);
  // Bytes that are not settings change nothing.
  Settings untouched;
  untouched.answers.help = "mine";
  EXPECT_FALSE(decode_settings("not settings", untouched));
  EXPECT_FALSE(decode_settings(bytes.substr(0, bytes.size() / 2), untouched));
  EXPECT_EQ(untouched.answers.help, "mine");
}

class EmailSettingsStore : public EngineTest {};

TEST_F(EmailSettingsStore, EverySettingSurvivesARestart) {
  Settings s = engine->settings();
  EmailNotifications& e = s.notifications.email;
  e = working();
  e.digest_seconds = 120;
  e.smtp_host = "smtp.shop.example";
  e.smtp_port = 587;
  e.smtp_tls = SmtpTls::starttls;
  e.smtp_username = "twoway";
  e.smtp_password_file = "/etc/twoway/smtp-password";
  ASSERT_TRUE(engine->set_settings(s).empty());
  reopen();
  const EmailNotifications got = engine->settings().notifications.email;
  EXPECT_TRUE(got.enabled);
  EXPECT_EQ(got.to, (std::vector<std::string>{"owner@shop.example", "help@shop.example"}));
  EXPECT_EQ(got.from, "twoway@shop.example");
  EXPECT_EQ(got.digest_seconds, 120);
  EXPECT_EQ(got.smtp_host, "smtp.shop.example");
  EXPECT_EQ(got.smtp_port, 587u);
  EXPECT_EQ(got.smtp_tls, SmtpTls::starttls);
  EXPECT_EQ(got.smtp_username, "twoway");
  EXPECT_EQ(got.smtp_password_file, "/etc/twoway/smtp-password");
}

TEST_F(EmailSettingsStore, UnusableSettingsAreRefusedAndNothingChanges) {
  Settings s = engine->settings();
  s.notifications.email = working();
  s.notifications.email.to = {"owner"};
  const auto problems = engine->set_settings(s);
  EXPECT_TRUE(any_contains(problems, "notifications.email.to"));
  EXPECT_FALSE(engine->settings().notifications.email.enabled);
  EXPECT_TRUE(engine->settings().notifications.email.to.empty());
}

}  // namespace
}  // namespace twoway::engine::testing
