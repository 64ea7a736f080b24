// The admin socket across a cluster: any node answers for the whole cluster.
//
// - Commands about one number (thread, profile, reply, send, consent, read/unread,
//   archive/unarchive, block/unblock, revocation) run on the node that holds the number's
//   partition: sent there as a NATS request (twoway.admin.<node>) when that is another node.
//   The answer says which node gave it ("node").
// - send-bulk and consent-import are refused (not_in_cluster): an upload is not split among
//   the owners yet.
// - `inbox` merges the pages of every live node, each showing only the conversations of the
//   partitions it holds; its cursors work on every node.
// - `status` and `cluster` add every live node's binds and partitions ("members").
// A node that does not answer within the request timeout is named in "unanswered" (inbox,
// status, cluster) or, for a number's owner, gives an "unavailable" error to try again. While
// a number's partition moves (nobody holds it, or the node asked let it go: "moved", nothing
// done) the owner is looked up and asked again, for up to 2 s.
//
// Threading: the router runs on the admin connection's strand and hands requests to a pool of
// its own (blocking NATS requests never hold the admin pool, which runs the commands other
// nodes send here); requests from other nodes arrive on libnats's delivery threads and run on
// the admin pool.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "daemon/admin_server.hpp"
#include "daemon/cluster_node.hpp"

namespace twoway::daemon {

class ClusterAdmin {
 public:
  // Sets `server`'s router and serves the requests of the other nodes on `admin_pool`.
  ClusterAdmin(AdminServer& server, ClusterNode& node, boost::asio::thread_pool& admin_pool,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~ClusterAdmin();  // stop()
  ClusterAdmin(const ClusterAdmin&) = delete;
  ClusterAdmin& operator=(const ClusterAdmin&) = delete;

  // Stops serving other nodes and waits for the requests in flight (before the admin pool and
  // the engine go).
  void stop();

 private:
  bool route(const Command& command, const Args& args, const Caller& caller, Completion done);
  // `args` answered by the node holding the number's partition, asked again while it moves.
  CommandResult ask_owner(const Args& args, const Caller& caller, bool changes_state);
  // `args` answered by `node` (this one: run here); "unavailable" when it did not answer (for
  // a command that `changes_state`, the answer says the change may still be made).
  CommandResult ask(const std::string& node, const Args& args, const Caller& caller,
                    bool changes_state = false);
  CommandResult merged_inbox(const Args& args, const Caller& caller);

  AdminServer& server_;
  ClusterNode& node_;
  boost::asio::thread_pool& admin_pool_;
  const std::chrono::milliseconds timeout_;
  boost::asio::thread_pool requests_{2};
};

// The request another node sends for `args` as `caller`, and the answer to it (tested alone).
[[nodiscard]] std::string encode_admin_request(const Args& args, const Caller& caller);
[[nodiscard]] bool decode_admin_request(const std::string& bytes, Args& args, Caller& caller);
[[nodiscard]] std::string encode_admin_answer(const CommandResult& result);
[[nodiscard]] CommandResult decode_admin_answer(const std::string& bytes);

// A merged inbox page's cursor holds each node's place: "gw-a:KEY.gw-b:top.gw-c:end", where
// KEY is the node's own cursor (its last row shown), "top" its newest row and "end" that it
// has nothing older. Nodes are named by letters, digits, '-' and '_' (cluster.node).
using InboxPlaces = std::map<std::string, std::string>;
[[nodiscard]] std::optional<InboxPlaces> parse_inbox_cursor(std::string_view cursor);
[[nodiscard]] std::string format_inbox_cursor(const InboxPlaces& places);

// One node's inbox page ({"conversations":[... each with "cursor"], "next_cursor"}) and the
// place it was asked from.
struct InboxPart {
  std::string node;
  std::string asked;  // "top", a key, or "end" (not asked)
  nlohmann::json page = nlohmann::json::object();
  bool answered = true;
};
// The newest `limit` rows of all parts, and the cursor of what follows (null at the end).
[[nodiscard]] nlohmann::json merge_inbox_pages(const std::vector<InboxPart>& parts,
                                               std::size_t limit);

}  // namespace twoway::daemon
