// What `twowayctl status` shows of the email notifier.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/twowayctl/render.hpp"

using nlohmann::json;
using ::testing::HasSubstr;

namespace {

TEST(RenderNotifications, StatusShowsCountsAndTheLastFailure) {
  const json reply = {{"ok", true},
                      {"version", "1.0"},
                      {"notifications",
                       {{"email_enabled", true},
                        {"sent", 12},
                        {"failed", 1},
                        {"pending_conversations", 3},
                        {"last_sent", "2026-12-07T01:30:00Z"},
                        {"last_failure", "2026-12-07T01:32:00Z"},
                        {"last_error", "Couldn't connect to server\x1b[2J"},
                        {"next_attempt", "2026-12-07T01:32:05Z"}}}};
  const std::string out = twoway::ctl::render_status(reply);
  EXPECT_THAT(out, HasSubstr("email notifications: on, 12 sent, 1 failed, 3 waiting"));
  EXPECT_THAT(out, HasSubstr("last failure 2026-12-07T01:32:00Z: Couldn't connect to server"));
  EXPECT_THAT(out, HasSubstr("next attempt 2026-12-07T01:32:05Z"));
  EXPECT_EQ(out.find('\x1b'), std::string::npos);  // control characters never reach the terminal
}

}  // namespace
