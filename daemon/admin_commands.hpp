// The admin socket's command set: each command's usage, least role and handler, mapping the
// engine's views and typed outcomes, the gateway's SMSC control and the change feed to JSON.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/admin_server.hpp"
#include "daemon/gateway.hpp"
#include "daemon/staff_desk.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

/// ISO 8601 UTC ("2026-11-27T10:00:00Z"); null for 0.
[[nodiscard]] nlohmann::json iso_time(std::int64_t unix_seconds);

/// JSON of one change-feed event, as `watch` streams it (inbound and outbound events carry the
/// message's text, segments and encoding).
[[nodiscard]] nlohmann::json event_json(const engine::Event& event);

/// What a reload did: why it was refused, or what of the file does not take effect now.
struct ReloadResult {
  std::vector<std::string> problems;  ///< empty = reloaded
  /// {"first_values_only":[{"key","change_with"}], "needs_restart":[KEY...]} for what the file
  /// changed but the daemon keeps (empty arrays when nothing).
  nlohmann::json report = nlohmann::json::object();
};

/// What the commands need from the rest of the daemon.
struct AdminContext {
  engine::Engine& engine;
  Gateway& gateway;
  EventHub& events;
  std::string version;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  /// Prometheus text of every metric (`metrics`).
  std::function<std::string()> metrics_text;
  /// The email notifier's state for `status` (absent when there is no notifier).
  std::function<nlohmann::json()> notifications_status;
  /// This node's part in the cluster for `status` and `cluster` (absent on a single node).
  std::function<nlohmann::json()> cluster_status;
  /// In a cluster: true when this node holds the partition of the number (`inbox` shows only
  /// those conversations; absent on a single node).
  std::function<bool(const std::string& number)> keeps_number;
  /// Where staff actions on one customer go (reply, send, flags, name, revocation, consent):
  /// absent, straight to the engine; in a cluster, through the partition's log
  /// (ClusterNode::perform).
  StaffDesk staff;
  /// Reloads the config file.
  std::function<ReloadResult()> reload;
  /// Rows one `send-bulk` or `consent-import` upload takes. The upload remembers every number
  /// it took (about 32 bytes each) to refuse repeats, so its memory is bounded by this; rows
  /// after it are refused as `upload_limit`, to be sent in another upload.
  std::uint64_t max_upload_rows = 2'000'000;
};

/// Registers every command on `server`. Engine writes run on `pool`, never on the socket's
/// I/O threads. `ctx` and `pool` must outlive the server.
void register_admin_commands(AdminServer& server, AdminContext& ctx,
                             boost::asio::thread_pool& pool);

}  // namespace twoway::daemon
