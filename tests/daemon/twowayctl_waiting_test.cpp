// twowayctl's table for `waiting`: how long each conversation has waited, since when, oldest
// first as the daemon sends them, and the command for the next page.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/twowayctl/render.hpp"

using namespace twoway::ctl;
using nlohmann::json;

namespace {

TEST(RenderWaiting, OldestFirstWithHowLongAndTheNextPage) {
  const json reply = json::parse(R"({"ok":true,"threshold_seconds":3600,"conversations":[
    {"number":"+15551234567","name":"Ann","preview":"Where is my order?",
     "waiting_since":"2026-11-27T08:00:00Z","waiting_seconds":9000,"consent":"subscribed",
     "flags":[]},
    {"number":"+15557654321","preview":"hello","waiting_since":"2026-11-27T09:30:00Z",
     "waiting_seconds":3661,"consent":"none","archived":true,"flags":["revocation?"]}
  ],"next_cursor":"00ab"})");
  EXPECT_EQ(render_reply("waiting", reply, RenderOptions{true}),
            "NUMBER        NAME  WAITING    SINCE             CONSENT     FLAGS                 "
            "PREVIEW\n"
            "+15551234567  Ann   2h 30m 0s  2026-11-27 08:00  subscribed                        "
            "Where is my order?\n"
            "+15557654321        1h 1m 1s   2026-11-27 09:30  none        revocation? archived  "
            "hello\n"
            "(more: twowayctl waiting --after 00ab)\n");
  EXPECT_EQ(render_reply("waiting", json::parse(R"({"ok":true,"threshold_seconds":3600,
                                                   "conversations":[]})")),
            "No conversation waits longer than 1h 0m 0s.\n");
}

}  // namespace
