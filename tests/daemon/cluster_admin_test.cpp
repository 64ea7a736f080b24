// The admin socket across a cluster, the parts that need no NATS: requests and answers between
// nodes, and the merged inbox with its cursor of per-node places.
#include "daemon/cluster_admin.hpp"

#include <gtest/gtest.h>

namespace twoway::daemon {
namespace {

using nlohmann::json;

TEST(ClusterAdmin, ARequestCarriesTheCommandAndTheCallersRole) {
  Args args;
  args.command = "reply";
  args.positional = {"+16502531000", "See", "you"};
  args.options = {{"override-quiet-hours", ""}};
  Caller caller;
  caller.user = "dana";
  caller.uid = 1001;
  caller.role = Role::manager;
  Args got;
  Caller who;
  ASSERT_TRUE(decode_admin_request(encode_admin_request(args, caller), got, who));
  EXPECT_EQ(got.command, "reply");
  EXPECT_EQ(got.positional, args.positional);
  EXPECT_TRUE(got.has("override-quiet-hours"));
  EXPECT_EQ(who.user, "dana");
  EXPECT_EQ(who.uid, 1001u);
  EXPECT_EQ(who.role, Role::manager);
  EXPECT_TRUE(who.forwarded);  // never sent on again

  EXPECT_FALSE(decode_admin_request("not json", got, who));
  EXPECT_FALSE(decode_admin_request(R"({"command":"status"})", got, who));
  EXPECT_FALSE(decode_admin_request(
      R"({"command":"x","positional":[],"options":{},"user":"u","uid":1,"role":"emperor"})", got,
      who));
}

TEST(ClusterAdmin, AnAnswerIsTheResultOrTheError) {
  const auto ok = decode_admin_answer(encode_admin_answer(json{{"name", "Dana"}}));
  ASSERT_TRUE(std::holds_alternative<json>(ok));
  EXPECT_EQ(std::get<json>(ok)["name"], "Dana");
  const auto refused =
      decode_admin_answer(encode_admin_answer(AdminError{"not_found", "no conversation"}));
  ASSERT_TRUE(std::holds_alternative<AdminError>(refused));
  EXPECT_EQ(std::get<AdminError>(refused).code, "not_found");
  EXPECT_EQ(std::get<AdminError>(refused).message, "no conversation");
  const auto garbage = decode_admin_answer("[1,2]");
  ASSERT_TRUE(std::holds_alternative<AdminError>(garbage));
  EXPECT_EQ(std::get<AdminError>(garbage).code, "internal");
}

TEST(ClusterAdmin, AnInboxCursorNamesEachNodesPlace) {
  const std::string key(32, 'a');
  const InboxPlaces places{{"gw-a", key}, {"gw-b", "top"}, {"gw_c", "end"}};
  const auto text = format_inbox_cursor(places);
  EXPECT_EQ(text, "gw-a:" + key + ".gw-b:top.gw_c:end");
  EXPECT_EQ(parse_inbox_cursor(text), places);
  EXPECT_FALSE(parse_inbox_cursor(key));             // a node's own cursor
  EXPECT_FALSE(parse_inbox_cursor("gw-a:nowhere"));  // neither key, top nor end
  EXPECT_FALSE(parse_inbox_cursor(":top"));
  EXPECT_FALSE(parse_inbox_cursor(""));
}

// A node's page of `rows` (cursors as given), and whether it has older rows.
json page(std::vector<std::string> cursors, bool older) {
  json rows = json::array();
  for (const auto& c : cursors) rows.push_back(json{{"number", "+1" + c}, {"cursor", c}});
  return json{{"conversations", rows}, {"next_cursor", older ? json(cursors.back()) : json()}};
}

std::string k(char c) {
  return std::string(31, '0') + c;
}

TEST(ClusterAdmin, MergedInboxPagesAreNewestFirstAndEachNodeGoesOnFromItsOwnPlace) {
  // gw-a has 9, 7, 5 (and older); gw-b has 8, 5 and nothing older; gw-c nothing at all.
  std::vector<InboxPart> parts{{"gw-a", "top", page({k('9'), k('7'), k('5')}, true)},
                               {"gw-b", "top", page({k('8'), k('5')}, false)},
                               {"gw-c", "top", page({}, false)}};
  const json merged = merge_inbox_pages(parts, 3);
  ASSERT_EQ(merged["conversations"].size(), 3u);
  EXPECT_EQ(merged["conversations"][0]["cursor"], k('9'));
  EXPECT_EQ(merged["conversations"][1]["cursor"], k('8'));
  EXPECT_EQ(merged["conversations"][2]["cursor"], k('7'));
  // gw-a goes on after 7, gw-b after 8 (its 5 was not shown), gw-c is done.
  EXPECT_EQ(merged["next_cursor"], "gw-a:" + k('7') + ".gw-b:" + k('8') + ".gw-c:end");

  // The same key on two nodes (keys are per store): both rows are shown, neither skipped.
  std::vector<InboxPart> tied{{"gw-a", k('7'), page({k('5'), k('3')}, false)},
                              {"gw-b", k('8'), page({k('5')}, false)},
                              {"gw-c", "end", json::object()}};
  const json next = merge_inbox_pages(tied, 2);
  ASSERT_EQ(next["conversations"].size(), 2u);
  EXPECT_EQ(next["conversations"][0]["number"], "+1" + k('5'));
  EXPECT_EQ(next["conversations"][1]["number"], "+1" + k('5'));
  EXPECT_EQ(next["next_cursor"], "gw-a:" + k('5') + ".gw-b:end.gw-c:end");

  // Everything shown: no next page.
  const json last = merge_inbox_pages({{"gw-a", k('5'), page({k('3')}, false)}}, 10);
  EXPECT_EQ(last["conversations"].size(), 1u);
  EXPECT_TRUE(last["next_cursor"].is_null());

  // A node that did not answer keeps its place, so the next page asks it again.
  InboxPart silent{"gw-b", k('8'), json::object(), false};
  const json partial = merge_inbox_pages({{"gw-a", "top", page({k('9')}, false)}, silent}, 10);
  EXPECT_EQ(partial["next_cursor"], "gw-a:end.gw-b:" + k('8'));
}

}  // namespace
}  // namespace twoway::daemon
