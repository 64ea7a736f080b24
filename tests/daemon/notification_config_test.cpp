// conversations.notifications.email in the config file: the block loads into the engine's
// first values; addresses, the TLS mode and the password file are checked at their line; the
// form of earlier builds still loads, with a note.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "daemon/app.hpp"
#include "daemon/config.hpp"
#include "tests/daemon/config_errors.hpp"

using namespace twoway::daemon;
using ::testing::HasSubstr;

namespace {

TEST(NotificationConfig, TheEmailBlockBecomesTheFirstSettings) {
  const auto r = load_config_text(R"(conversations:
  notifications:
    email:
      enabled: true
      to: [owner@shop.example, help@shop.example]
      from: twoway@shop.example
      digest: 2m
      smtp: {host: smtp.shop.example, port: 465, tls: implicit}
)",
                                  "t.yaml");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const auto e = engine_config(*r.config).initial_settings.notifications.email;
  EXPECT_TRUE(e.enabled);
  EXPECT_EQ(e.to, (std::vector<std::string>{"owner@shop.example", "help@shop.example"}));
  EXPECT_EQ(e.from, "twoway@shop.example");
  EXPECT_EQ(e.digest_seconds, 120);
  EXPECT_EQ(e.smtp_host, "smtp.shop.example");
  EXPECT_EQ(e.smtp_port, 465u);
  EXPECT_EQ(e.smtp_tls, twoway::engine::SmtpTls::implicit);
  for (const auto& note : config_notes(*r.config))
    EXPECT_THAT(note, ::testing::Not(HasSubstr("notifications"))) << note;
}

TEST(NotificationConfig, DefaultsAreOffWithADigestOfFiveMinutes) {
  const auto r = load_config_text("", "t.yaml");
  ASSERT_TRUE(r.ok());
  const auto e = engine_config(*r.config).initial_settings.notifications.email;
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(e.digest_seconds, 300);
  EXPECT_EQ(e.smtp_tls, twoway::engine::SmtpTls::none);
}

TEST(NotificationConfig, BadAddressesAndTlsModesAreErrorsAtTheirLine) {
  const auto r = load_config_text(R"(conversations:
  notifications:
    email:
      enabled: true
      to: [owner@shop.example, "Owner <boss@shop.example>"]
      from: twoway
      smtp:
        tls: ssl
)",
                                  "t.yaml");
  ASSERT_FALSE(r.ok());
  const std::string errors = all_errors(r);
  EXPECT_THAT(errors, HasSubstr("t.yaml:5:11: conversations.notifications.email.to: "));
  EXPECT_THAT(errors, HasSubstr("is not a plain address"));
  EXPECT_THAT(errors, HasSubstr("t.yaml:6:13: conversations.notifications.email.from: 'twoway' "
                                "has no '@'"));
  EXPECT_THAT(errors, HasSubstr("t.yaml:8:14: conversations.notifications.email.smtp.tls: 'ssl' "
                                "is not one of none, starttls, implicit"));
}

TEST(NotificationConfig, EnabledWithoutSenderOrRecipientIsRefused) {
  const auto r = load_config_text(
      "conversations:\n  notifications:\n    email:\n      enabled: true\n", "t.yaml");
  ASSERT_FALSE(r.ok());
  const std::string errors = all_errors(r);
  EXPECT_THAT(errors, HasSubstr("conversations.notifications.email.to: needed when enabled"));
  EXPECT_THAT(errors, HasSubstr("conversations.notifications.email.from: needed when enabled"));
}

TEST(NotificationConfig, AUsernameNeedsAReadablePasswordFile) {
  const std::string missing = "/nonexistent/twoway-smtp-password";
  const auto r = load_config_text(R"(conversations:
  notifications:
    email:
      smtp:
        host: 127.0.0.1
        username: twoway
        password_file: )" + missing + "\n",
                                  "t.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(all_errors(r),
              HasSubstr("t.yaml:7:24: conversations.notifications.email.smtp.password_file: "
                        "cannot read '" +
                        missing + "'"));
  // Without checking files (twowayctl reads the config for the socket only) it loads.
  EXPECT_TRUE(load_config_text(R"(conversations:
  notifications:
    email:
      smtp: {username: twoway, password_file: /nonexistent/x}
)",
                               "t.yaml", FileChecks::off)
                  .ok());

  char path[] = "/tmp/twoway-smtp-pw-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "s3cret\n";
  const auto good = load_config_text(std::string(R"(conversations:
  notifications:
    email:
      smtp: {host: 127.0.0.1, username: twoway, password_file: )") +
                                         path + "}\n",
                                     "t.yaml");
  EXPECT_TRUE(good.ok()) << all_errors(good);
  ::unlink(path);
}

TEST(NotificationConfig, APasswordIsNeverSentInClearToAnotherMachine) {
  const auto r = load_config_text(R"(conversations:
  notifications:
    email:
      smtp: {host: smtp.shop.example, username: twoway, password_file: /etc/hostname}
)",
                                  "t.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(all_errors(r), HasSubstr("conversations.notifications.email.smtp.tls: none would "
                                       "send the password in clear to smtp.shop.example"));
}

TEST(NotificationConfig, TheOldFormStillLoadsWithANote) {
  const auto r = load_config_text(R"(conversations:
  notifications:
    enabled: false
    email: [owner@shop.example]
)",
                                  "t.yaml");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const auto e = engine_config(*r.config).initial_settings.notifications.email;
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(e.to, std::vector<std::string>{"owner@shop.example"});
  EXPECT_THAT(config_notes(*r.config),
              ::testing::Contains(HasSubstr("conversations.notifications: the old form")));
  // A bad address in the old list is an error all the same.
  EXPECT_FALSE(
      load_config_text("conversations:\n  notifications:\n    email: [nobody]\n", "t.yaml").ok());
}

TEST(NotificationConfig, TheDigestIsBounded) {
  const auto r = load_config_text(
      "conversations:\n  notifications:\n    email:\n      digest: 1s\n", "t.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(all_errors(r),
              HasSubstr("conversations.notifications.email.digest: must be between"));
}

}  // namespace
