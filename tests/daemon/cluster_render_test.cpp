// What `twowayctl cluster` and `twowayctl status` show of a cluster node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/twowayctl/render.hpp"

using nlohmann::json;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

namespace {

const json kCluster = {{"node", "gw-a"},
                       {"nodes", {"gw-a", "gw-b", "gw-c"}},
                       {"partitions", 8},
                       {"connected", true},
                       {"held", {1, 4, 6}},
                       {"published", 120},
                       {"publish_failed", 2},
                       {"publishes_waiting", 0},
                       {"applied", 118},
                       {"refused", 0},
                       {"unreadable", 1},
                       {"leases_acquired", 4},
                       {"leases_released", 1},
                       {"leases_lost", 0},
                       {"lag",
                        {{{"partition", 1}, {"applied_seq", 77}, {"unread", 0}},
                         {{"partition", 4}, {"applied_seq", 90}, {"unread", 12}},
                         {{"partition", 6}, {"applied_seq", 0}, {"unread", nullptr}}}}};

TEST(RenderCluster, ShowsTheNodesTheCountsAndEachPartitionsLag) {
  json reply = kCluster;
  reply["ok"] = true;
  const std::string out = twoway::ctl::render_cluster(reply);
  EXPECT_THAT(out, HasSubstr("cluster: node gw-a (connected), 3 nodes, holds 3 of 8 partitions"));
  EXPECT_THAT(out, HasSubstr("nodes: gw-a gw-b gw-c"));
  EXPECT_THAT(out, HasSubstr("published 120 (failed 2, waiting 0), applied 118 (refused 0, "
                             "unreadable 1)"));
  EXPECT_THAT(out, HasSubstr("leases: 4 taken, 1 handed over, 0 lost"));
  EXPECT_THAT(out, HasSubstr("PARTITION"));
  EXPECT_THAT(out, HasSubstr("12"));
  EXPECT_THAT(out, HasSubstr("?"));  // the server did not say
}

TEST(RenderCluster, StatusHasOneLineForTheCluster) {
  const json reply = {{"ok", true}, {"version", "1.0"}, {"cluster", kCluster}};
  EXPECT_THAT(twoway::ctl::render_status(reply),
              HasSubstr("cluster: node gw-a (connected), 3 nodes, holds 3 of 8 partitions\n"));
}

TEST(RenderCluster, EveryNodeWithItsBindsPartitionsAndUnreadAndTheSilentOnes) {
  json reply = kCluster;
  reply["ok"] = true;
  reply["members"] = json::array(
      {{{"node", "gw-a"},
        {"binds_up", 1},
        {"binds_configured", 2},
        {"held", {0, 1, 2}},
        {"lag", json::array({json::object({{"partition", 0}, {"unread", 4}}),
                             json::object({{"partition", 1}, {"unread", 3}})})}},
       {{"node", "gw-b"}, {"binds_up", 2}, {"binds_configured", 2}, {"held", {3}}, {"lag", {}}}});
  reply["unanswered"] = {"gw-c"};
  const std::string out = twoway::ctl::render_cluster(reply);
  EXPECT_THAT(out, HasSubstr("NODE"));
  EXPECT_THAT(out, ContainsRegex("gw-a +1 of 2 +3 +7"));
  EXPECT_THAT(out, ContainsRegex("gw-b +2 of 2 +1 +0"));
  EXPECT_THAT(out, HasSubstr("did not answer: gw-c"));
  const json status = {{"ok", true}, {"version", "1.0"}, {"cluster", reply}};
  EXPECT_THAT(twoway::ctl::render_status(status), ContainsRegex("gw-b +2 of 2 +1 +0"));
}

TEST(RenderCluster, ASingleNodesRefusalIsShownAsIs) {
  const json reply = {{"ok", false},
                      {"error",
                       {{"code", "not_clustered"},
                        {"message", "this node works alone (no cluster: in its configuration)"}}}};
  EXPECT_THAT(twoway::ctl::render_cluster(reply), HasSubstr("not_clustered"));
}

}  // namespace
