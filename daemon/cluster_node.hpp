// This node's part in a cluster (`cluster:` in the configuration): what the binds receive goes
// to the shared inbound log, partitioned by the customer's number, and is acknowledged to the
// SMSC once JetStream stored it; the partitions this node holds a lease for are read from the
// log and applied to the local store, each entry once (its position is kept in the same
// transaction). Replies, answers and receipts of those customers are then handled by this
// node's engine and binds as on a single node.
//
// Threading: publish() from any thread (the inbound path's drain); the leases run on their
// own thread, and so do the readers' deliveries (libnats); a maintenance thread fails
// publishes that never got an answer and restarts a reader whose entry the store refused.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "cluster/inbound_log.hpp"
#include "cluster/leases.hpp"
#include "cluster/nats_client.hpp"
#include "cluster/partition_reader.hpp"
#include "daemon/cluster_settings.hpp"
#include "daemon/gateway_inbound.hpp"
#include "daemon/staff_desk.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

class ClusterNode final : public InboundLogSink {
 public:
  // Connects to NATS and makes sure the stream and buckets exist (throws cluster::NatsError,
  // e.g. when the cluster was created with another partition count).
  ClusterNode(const cluster::ClusterConfig& config, engine::Engine& engine);
  ~ClusterNode() override;
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Starts taking partitions. (The settings are shared with the other nodes from construction
  // on: a node takes the cluster's settings before its binds start.)
  void start();
  // Stops applying; `hand_over`: leases are released for the other nodes at once.
  void stop(bool hand_over);

  void publish(const engine::InboundMessage& message, std::function<void(bool)> done) override;
  void publish(const engine::Receipt& receipt, const std::string& customer,
               std::function<void(bool)> done) override;

  // Node, live nodes, partitions held, counts (for `status` and `cluster`).
  [[nodiscard]] nlohmann::json status_json() const;

  // The cluster's metrics in Prometheus text (cheap: no request to NATS).
  [[nodiscard]] std::string metrics_text() const;

  // ---- the admin socket across the cluster ----
  [[nodiscard]] const std::string& name() const noexcept { return config_.node; }
  // The number in its stored form (E.164), as the partitions are computed from it; the input
  // when it is no number.
  [[nodiscard]] std::string stored_number(const std::string& number) const;
  // The node holding the partition of `number` as the last lease round saw it (this node's own
  // leases are current); nullopt while nobody holds it.
  [[nodiscard]] std::optional<std::string> owner_of(const std::string& number) const;
  // True when this node holds the partition of `number` now.
  [[nodiscard]] bool holds(const std::string& number) const;
  // The live nodes, this one included, as the last round saw them.
  [[nodiscard]] std::vector<std::string> nodes() const;
  // Requests other nodes send to this one (core NATS request/reply on twoway.admin.<node>)
  // go to `service` until stop_serving(): the request's bytes and a function that answers it
  // (call once, from any thread).
  using Service = std::function<void(std::string request, std::function<void(std::string)> answer)>;
  void serve(Service service);
  void stop_serving();
  // One request to `node`; nullopt when no answer came within `timeout` (`nobody` set when
  // no node served the subject: the request reached nobody).
  [[nodiscard]] std::optional<std::string> request(const std::string& node,
                                                   const std::string& payload,
                                                   std::chrono::milliseconds timeout,
                                                   bool* nobody = nullptr) const;

  // A staff action on a customer of a partition this node holds: published to the partition's
  // log, and answered once this node applied it from there (in order with what the customer
  // sent, so the next owner rebuilds it too). Unavailable when this node does not hold the
  // partition, the log refused the action, or it was not applied within `timeout`.
  [[nodiscard]] StaffAnswer perform(engine::StaffAction action,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

  struct Counts {
    std::uint64_t published = 0, publish_failed = 0, applied = 0, refused = 0, unreadable = 0;
  };
  [[nodiscard]] Counts counts() const;

 private:
  void acquired(std::uint32_t partition);
  void released(std::uint32_t partition);
  void apply(std::uint32_t partition, std::uint64_t seq, std::optional<cluster::LogEntry> entry,
             const std::string& error);
  void maintain();
  void open_reader(std::uint32_t partition);
  // Publishes `entry` to the partition of `customer` (a number in the stored form), counted.
  void publish_entry(const std::string& customer, const std::string& entry,
                     std::function<void(bool)> done);
  // Per partition held: the position applied here and the entries not read yet (nullopt: NATS
  // did not say). One request to JetStream per partition.
  struct LagRow {
    std::uint32_t partition = 0;
    std::uint64_t applied = 0;
    std::optional<std::uint64_t> unread;
  };
  [[nodiscard]] std::vector<LagRow> lag_rows() const;
  // Keeps the lag's total and largest for the metrics (maintenance thread).
  void sample_lag();
  // Writes `marks` where they moved past what was written (best effort: NATS may be away).
  void write_marks(const std::map<std::uint32_t, std::uint64_t>& marks);
  // The marks whose answers have all left the outbox (maintenance thread).
  void advance_marks();

  engine::Engine& engine_;
  const cluster::ClusterConfig config_;
  cluster::Connection connection_;
  cluster::InboundLog log_;

  mutable std::mutex reader_ops_mu_;  // one reader opened, closed or restarted at a time
  mutable std::mutex mu_;             // guards readers_, restart_, stop_
  std::map<std::uint32_t, std::unique_ptr<cluster::PartitionReader>> readers_;
  std::set<std::uint32_t> restart_;  // partitions whose reader must start again
  // Per partition held: the last entry applied and durable here (or, if greater, the mark
  // found at takeover), and the mark last written to the state bucket (`applied.<p>`): the
  // next owner replays up to it without answering again.
  std::map<std::uint32_t, std::uint64_t> marks_, marks_written_;
  std::map<std::uint32_t, std::uint64_t> replay_through_;  // the mark found at takeover
  // Marks waiting for the answers queued before them to leave: `next` was the outbox's next
  // id when `marks` were taken (maintenance thread only).
  struct PendingMarks {
    std::uint64_t next = 0;
    std::map<std::uint32_t, std::uint64_t> marks;
  };
  std::deque<PendingMarks> pending_marks_;
  bool stop_ = false;
  std::condition_variable cv_;

  std::atomic<std::uint64_t> published_{0}, publish_failed_{0}, applied_{0}, refused_{0},
      unreadable_{0};
  std::atomic<std::uint64_t> unread_total_{0}, unread_max_{0};  // the last lag sample
  std::atomic<bool> lag_sampled_{false};
  // Staff actions published here and waiting for their outcome, by the id in their entry.
  struct StaffWaiter;
  void staff_applied(const std::string& id, const engine::StaffOutcome& outcome);
  const std::string staff_prefix_;  // node name and a random token: ids unique across runs
  std::atomic<std::uint64_t> next_staff_id_{0};
  std::mutex staff_mu_;
  std::map<std::string, std::shared_ptr<StaffWaiter>> staff_waiters_;
  std::mutex serve_mu_;  // guards service_ and subscription_
  std::shared_ptr<Service> service_;
  natsSubscription* subscription_ = nullptr;
  static void on_request(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  std::thread maintenance_;
  std::unique_ptr<SettingsShare> settings_;
  cluster::Leases leases_;  // last: its thread stops first
};

}  // namespace twoway::daemon
