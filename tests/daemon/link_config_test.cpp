// conversations.link_shortening in the config file: on once a domain is set, `enabled: true`
// without one refused with its position, bad domains and listeners refused, and the values
// that reach the engine's first settings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/app.hpp"
#include "daemon/config.hpp"
#include "tests/daemon/config_errors.hpp"

using namespace twoway::daemon;
using ::testing::HasSubstr;

namespace {

TEST(LinkConfig, OnOnceADomainIsSet) {
  auto r = load_config_text("conversations:\n  link_shortening:\n    domain: go.shop.example\n",
                            "t.yaml");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const auto e = engine_config(*r.config);
  const auto& l = e.initial_settings.link_shortening;
  EXPECT_TRUE(l.enabled);
  EXPECT_EQ(l.domain, "go.shop.example");
  EXPECT_EQ(l.listen, "127.0.0.1:8080");
  EXPECT_EQ(l.expiry_seconds, 90 * 86400);
}

TEST(LinkConfig, OffWithoutADomainAndWhenSaidSo) {
  auto none = load_config_text("organization:\n  name: A\n", "t.yaml");
  ASSERT_TRUE(none.ok()) << all_errors(none);
  EXPECT_FALSE(engine_config(*none.config).initial_settings.link_shortening.enabled);
  auto off = load_config_text(
      "conversations:\n  link_shortening:\n    enabled: false\n    domain: go.shop.example\n",
      "t.yaml");
  ASSERT_TRUE(off.ok()) << all_errors(off);
  EXPECT_FALSE(engine_config(*off.config).initial_settings.link_shortening.enabled);
}

TEST(LinkConfig, EnabledWithoutADomainIsAnErrorAtItsLine) {
  auto r = load_config_text("conversations:\n  link_shortening:\n    enabled: true\n", "t.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(all_errors(r), HasSubstr("t.yaml:3:14: conversations.link_shortening.enabled: "
                                       "needs conversations.link_shortening.domain"));
}

TEST(LinkConfig, DomainListenAndExpiryAreChecked) {
  auto r = load_config_text(
      "conversations:\n  link_shortening:\n    domain: https://go.shop.example/\n"
      "    listen: 8080\n    expiry: 0s\n",
      "t.yaml");
  ASSERT_FALSE(r.ok());
  const std::string errors = all_errors(r);
  EXPECT_THAT(errors, HasSubstr("conversations.link_shortening.domain: 'https://go.shop.example/' "
                                "is not a host name"));
  EXPECT_THAT(errors, HasSubstr("conversations.link_shortening.listen: '8080' is not HOST:PORT"));
  EXPECT_THAT(errors, HasSubstr("conversations.link_shortening.expiry: must be between"));
}

TEST(LinkConfig, ListenAndExpiryReachTheSettings) {
  auto r = load_config_text(
      "conversations:\n  link_shortening:\n    domain: go.shop.example\n"
      "    listen: \"[::1]:9090\"\n    expiry: 30d\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const auto& l = engine_config(*r.config).initial_settings.link_shortening;
  EXPECT_EQ(l.listen, "[::1]:9090");
  EXPECT_EQ(l.expiry_seconds, 30 * 86400);
}

}  // namespace
