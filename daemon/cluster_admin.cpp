#include "daemon/cluster_admin.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <future>
#include <set>
#include <thread>

namespace twoway::daemon {

using nlohmann::json;

namespace {

// Commands whose first positional is the customer's number: they read or change what the
// partition's owner keeps.
const std::set<std::string, std::less<>> kNumberCommands = {
    "thread", "profile", "reply",     "send",  "consent", "read",
    "unread", "archive", "unarchive", "block", "unblock", "revocation"};

// Uploads over many numbers: each number's consent lives with its partition's owner, and an
// upload is not split among them yet, so they are refused rather than applied to the wrong
// store.
const std::set<std::string, std::less<>> kRefusedUploads = {"send-bulk", "consent-import"};

// What a node answers when asked about a number whose partition it no longer holds: nothing
// was done; the asking node asks the new owner (at most kMovedRetries times, kMovedPause
// apart), and passes "unavailable" on if the partition is still moving.
constexpr std::string_view kMoved = "moved";
constexpr int kMovedRetries = 4;
constexpr auto kMovedPause = std::chrono::milliseconds(500);

bool moved(const CommandResult& r) {
  const auto* e = std::get_if<AdminError>(&r);
  return e != nullptr && e->code == kMoved;
}

// Commands that gather every node's answer.
const std::set<std::string, std::less<>> kGatherCommands = {"inbox", "status", "cluster"};

// Runs `args` here as `caller`, forwarded (never routed again), and waits for the answer.
CommandResult run_here(AdminServer& server, const Args& args, Caller caller) {
  caller.forwarded = true;
  auto answer = std::make_shared<std::promise<CommandResult>>();
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto result = answer->get_future();
  server.execute(args, caller, [answer, once](CommandResult r) {
    if (!once->exchange(true)) answer->set_value(std::move(r));
  });
  return result.get();
}

// One node's part of a `status` or `cluster` answer.
json member_of(const json& status) {
  json m{{"node", nullptr}};
  const json& c = status.contains("cluster") ? status["cluster"] : status;
  for (const char* key : {"node", "held", "lag", "connected"}) {
    if (c.contains(key)) m[key] = c[key];
  }
  for (const char* key : {"binds_up", "binds_configured", "healthy", "outbox_depth"}) {
    if (status.contains(key)) m[key] = status[key];
  }
  return m;
}

}  // namespace

std::string encode_admin_request(const Args& args, const Caller& caller) {
  json options = json::object();
  for (const auto& [k, v] : args.options) options[k] = v;
  return json{{"command", args.command},
              {"positional", args.positional},
              {"options", std::move(options)},
              {"user", caller.user},
              {"uid", static_cast<std::int64_t>(caller.uid)},
              {"role", std::string(to_string(caller.role))}}
      .dump();
}

bool decode_admin_request(const std::string& bytes, Args& args, Caller& caller) {
  const json j = json::parse(bytes, nullptr, false);
  if (!j.is_object()) return false;
  try {
    args = Args{};
    args.command = j.at("command").get<std::string>();
    args.positional = j.at("positional").get<std::vector<std::string>>();
    for (const auto& [k, v] : j.at("options").items()) args.options[k] = v.get<std::string>();
    caller = Caller{};
    caller.user = j.at("user").get<std::string>();
    caller.uid = static_cast<uid_t>(j.at("uid").get<std::int64_t>());
    const auto role = role_from_string(j.at("role").get<std::string>());
    if (!role) return false;
    caller.role = *role;
    caller.forwarded = true;
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

std::string encode_admin_answer(const CommandResult& result) {
  if (const auto* e = std::get_if<AdminError>(&result)) {
    return json{{"error", {{"code", e->code}, {"message", e->message}}}}.dump();
  }
  return json{{"result", std::get<json>(result)}}.dump();
}

CommandResult decode_admin_answer(const std::string& bytes) {
  const json j = json::parse(bytes, nullptr, false);
  if (j.is_object() && j.contains("result")) return j["result"];
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    return AdminError{j["error"].value("code", "internal"), j["error"].value("message", "")};
  }
  return AdminError{"internal", "another node answered something that is no answer"};
}

std::optional<InboxPlaces> parse_inbox_cursor(std::string_view cursor) {
  InboxPlaces places;
  while (!cursor.empty()) {
    const auto dot = cursor.find('.');
    const std::string_view part = cursor.substr(0, dot);
    cursor = dot == std::string_view::npos ? std::string_view{} : cursor.substr(dot + 1);
    const auto colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view place = part.substr(colon + 1);
    const bool key = place.size() == 32 && std::all_of(place.begin(), place.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!key && place != "top" && place != "end") return std::nullopt;
    places[std::string(part.substr(0, colon))] = std::string(place);
  }
  if (places.empty()) return std::nullopt;
  return places;
}

std::string format_inbox_cursor(const InboxPlaces& places) {
  std::string out;
  for (const auto& [node, place] : places) {
    if (!out.empty()) out += '.';
    out += node + ':' + place;
  }
  return out;
}

json merge_inbox_pages(const std::vector<InboxPart>& parts, std::size_t limit) {
  struct Row {
    const json* row;
    std::size_t part;
  };
  std::vector<Row> rows;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const json& page = parts[i].page;
    if (!parts[i].answered || !page.contains("conversations")) continue;
    for (const auto& row : page["conversations"]) rows.push_back({&row, i});
  }
  // Newest first: a cursor is the row's key in hex, in the same order on every node; the node
  // breaks ties (keys are only unique within one node's store).
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    const auto ka = a.row->value("cursor", ""), kb = b.row->value("cursor", "");
    if (ka != kb) return ka > kb;
    return parts[a.part].node < parts[b.part].node;
  });
  if (rows.size() > limit) rows.resize(limit);
  std::vector<std::size_t> taken(parts.size(), 0);
  std::vector<std::string> last(parts.size());
  json out = json::array();
  for (const auto& r : rows) {
    ++taken[r.part];
    last[r.part] = r.row->value("cursor", "");
    out.push_back(*r.row);
  }
  InboxPlaces places;
  bool more = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const InboxPart& p = parts[i];
    std::string place = p.asked;
    if (p.answered && p.asked != "end") {
      const std::size_t shown =
          p.page.contains("conversations") ? p.page["conversations"].size() : 0;
      const bool older = p.page.contains("next_cursor") && !p.page["next_cursor"].is_null();
      if (taken[i] == shown && !older) {
        place = "end";
      } else if (taken[i] > 0) {
        place = last[i];
      }
    }
    if (place != "end") more = true;
    places[p.node] = place;
  }
  return json{{"conversations", std::move(out)},
              {"next_cursor", more ? json(format_inbox_cursor(places)) : json(nullptr)}};
}

ClusterAdmin::ClusterAdmin(AdminServer& server, ClusterNode& node,
                           boost::asio::thread_pool& admin_pool, std::chrono::milliseconds timeout)
    : server_(server), node_(node), admin_pool_(admin_pool), timeout_(timeout) {
  server_.set_router([this](const Command& command, const Args& args, const Caller& caller,
                            Completion done) { return route(command, args, caller, done); });
  node_.serve([this](std::string request, std::function<void(std::string)> answer) {
    boost::asio::post(
        admin_pool_, [this, request = std::move(request), answer = std::move(answer)] {
          Args args;
          Caller caller;
          if (!decode_admin_request(request, args, caller)) {
            answer(encode_admin_answer(AdminError{"bad_request", "not an admin request"}));
            return;
          }
          // A number whose partition moved away meanwhile: nothing was done, and the sender
          // asks the new owner.
          if (kNumberCommands.count(args.command) != 0 && !args.positional.empty() &&
              !node_.holds(args.positional[0])) {
            answer(encode_admin_answer(
                AdminError{std::string(kMoved), "the conversation of " + args.positional[0] +
                                                    " is moving between nodes; try again"}));
            return;
          }
          auto once = std::make_shared<std::atomic<bool>>(false);
          server_.execute(args, caller, [answer, once](CommandResult r) {
            if (!once->exchange(true)) answer(encode_admin_answer(r));
          });
        });
  });
}

ClusterAdmin::~ClusterAdmin() {
  stop();
}

void ClusterAdmin::stop() {
  node_.stop_serving();
  requests_.join();
}

bool ClusterAdmin::route(const Command& command, const Args& args, const Caller& caller,
                         Completion done) {
  if (caller.forwarded) return false;
  if (kRefusedUploads.count(command.name) != 0) {
    done(AdminError{"not_in_cluster",
                    "'" + command.name +
                        "' is not available in cluster mode yet: each number's consent is kept "
                        "by its partition's owner; use 'send' and 'consent' per number (any node "
                        "passes them to the owner)"});
    return true;
  }
  if (kNumberCommands.count(command.name) != 0 && !args.positional.empty()) {
    const bool changes = command.changes_state;
    boost::asio::post(
        requests_, [this, args, caller, done, changes] { done(ask_owner(args, caller, changes)); });
    return true;
  }
  if (kGatherCommands.count(command.name) == 0) return false;
  if (command.name == "inbox") {
    boost::asio::post(requests_, [this, args, caller, done] { done(merged_inbox(args, caller)); });
    return true;
  }
  boost::asio::post(requests_, [this, args, caller, done] {
    // Every live node's answer, this one's first.
    CommandResult mine = run_here(server_, args, caller);
    if (std::holds_alternative<AdminError>(mine)) {
      done(std::move(mine));
      return;
    }
    json out = std::get<json>(mine);
    json members = json::array({member_of(out)});
    json unanswered = json::array();
    for (const auto& other : node_.nodes()) {
      if (other == node_.name()) continue;
      const CommandResult r = ask(other, args, caller);
      if (const auto* body = std::get_if<json>(&r)) {
        members.push_back(member_of(*body));
      } else {
        unanswered.push_back(other);
      }
    }
    if (args.command == "status") {
      out["cluster"]["members"] = std::move(members);
      out["cluster"]["unanswered"] = std::move(unanswered);
    } else {
      out["members"] = std::move(members);
      out["unanswered"] = std::move(unanswered);
    }
    done(std::move(out));
  });
  return true;
}

CommandResult ClusterAdmin::ask_owner(const Args& args, const Caller& caller, bool changes_state) {
  const std::string& number = args.positional[0];
  // While a partition moves it is briefly held by nobody, or by a node that lets it go before
  // it answers ("moved": nothing was done there): ask again once the leases moved on.
  for (int attempt = 0;; ++attempt) {
    const auto owner = node_.owner_of(number);
    CommandResult r =
        owner ? ask(*owner, args, caller, changes_state)
              : CommandResult{AdminError{std::string(kMoved),
                                         "no node holds the conversation of " + number +
                                             " right now (one is taking it over); try again in "
                                             "a few seconds"}};
    if (!moved(r)) {
      if (auto* body = std::get_if<json>(&r); body && body->is_object()) (*body)["node"] = *owner;
      return r;
    }
    if (attempt == kMovedRetries) {
      std::get<AdminError>(r).code = "unavailable";
      return r;
    }
    std::this_thread::sleep_for(kMovedPause);
  }
}

CommandResult ClusterAdmin::ask(const std::string& node, const Args& args, const Caller& caller,
                                bool changes_state) {
  if (node == node_.name()) return run_here(server_, args, caller);
  bool nobody = false;
  if (auto answer = node_.request(node, encode_admin_request(args, caller), timeout_, &nobody)) {
    return decode_admin_answer(*answer);
  }
  // The node stopped serving (it is leaving): the request reached nobody, nothing was done.
  if (nobody) return AdminError{std::string(kMoved), "node " + node + " is not serving requests"};
  return AdminError{"unavailable", "node " + node + " did not answer within " +
                                       std::to_string(timeout_.count()) + " ms" +
                                       (changes_state ? "; the change may still be made there: "
                                                        "check before trying again"
                                                      : "")};
}

CommandResult ClusterAdmin::merged_inbox(const Args& args, const Caller& caller) {
  const auto limit = args.integer("limit", 10, 1, 500);
  if (!limit) return AdminError{"bad_request", "--limit takes a number from 1 to 500"};
  // Where each node is: from a merged page's cursor, or one key for all (a node's own).
  InboxPlaces from;
  std::string everywhere = "top";
  if (const auto before = args.value("before")) {
    if (auto places = parse_inbox_cursor(*before)) {
      from = std::move(*places);
      everywhere.clear();
    } else {
      everywhere = std::string(*before);  // a node's own cursor; checked by the node
    }
  }
  std::vector<InboxPart> parts;
  std::vector<std::string> nodes = node_.nodes();
  if (std::find(nodes.begin(), nodes.end(), node_.name()) == nodes.end()) {
    nodes.push_back(node_.name());
  }
  json unanswered = json::array();
  for (const auto& n : nodes) {
    InboxPart part;
    part.node = n;
    if (!everywhere.empty()) {
      part.asked = everywhere;
    } else if (auto it = from.find(n); it != from.end()) {
      part.asked = it->second;
    } else {
      // A node that joined since the previous page: from the oldest place shown so far.
      part.asked = "top";
      for (const auto& [_, place] : from) {
        if (place.size() == 32 && (part.asked == "top" || place < part.asked)) part.asked = place;
      }
    }
    if (part.asked != "end") {
      Args mine = args;
      if (part.asked == "top") {
        mine.options.erase("before");
      } else {
        mine.options["before"] = part.asked;
      }
      CommandResult r = ask(n, mine, caller);
      if (auto* e = std::get_if<AdminError>(&r)) {
        if (e->code != "unavailable") return r;  // a bad cursor or limit: the same everywhere
        part.answered = false;
        unanswered.push_back(n);
      } else {
        part.page = std::move(std::get<json>(r));
      }
    }
    parts.push_back(std::move(part));
  }
  json out = merge_inbox_pages(parts, static_cast<std::size_t>(*limit));
  out["unanswered"] = std::move(unanswered);
  return out;
}

}  // namespace twoway::daemon
