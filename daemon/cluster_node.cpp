#include "daemon/cluster_node.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cluster/log_entry.hpp"
#include "cluster/partition.hpp"

namespace twoway::daemon {

namespace {

// A publish without an answer for this long is refused (the SMSC sends the message again).
constexpr auto kPublishAnswerLimit = std::chrono::seconds(10);

}  // namespace

ClusterNode::ClusterNode(const cluster::ClusterConfig& config, engine::Engine& engine)
    : engine_(engine),
      config_(config),
      connection_(config),
      log_(connection_),
      leases_(connection_, {[this](std::uint32_t p) { acquired(p); },
                            [this](std::uint32_t p) { released(p); }}) {
  maintenance_ = std::thread([this] { maintain(); });
}

ClusterNode::~ClusterNode() {
  stop(true);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

void ClusterNode::start() {
  SPDLOG_INFO("cluster node={} partitions={} nats={}", config_.node, config_.partitions,
              fmt::join(config_.nats, ","));
  leases_.start();
}

void ClusterNode::stop(bool hand_over) {
  leases_.stop(hand_over);
}

void ClusterNode::publish(const engine::InboundMessage& message, std::function<void(bool)> done) {
  const std::string number =
      engine_.phones().normalize(message.source, message.source_ton, message.source_npi);
  const std::uint32_t p =
      cluster::partition_of(number.empty() ? message.source : number, config_.partitions);
  log_.publish(p, cluster::encode_entry(message),
               [this, done = std::move(done)](bool stored, std::uint64_t) {
                 (stored ? published_ : publish_failed_).fetch_add(1, std::memory_order_relaxed);
                 done(stored);
               });
}

void ClusterNode::publish(const engine::Receipt& receipt, const std::string& customer,
                          std::function<void(bool)> done) {
  // With the customer's partition, where the message it reports on was queued and sent.
  const std::string number = engine_.phones().normalize(customer);
  const std::uint32_t p =
      cluster::partition_of(number.empty() ? customer : number, config_.partitions);
  log_.publish(p, cluster::encode_entry(receipt),
               [this, done = std::move(done)](bool stored, std::uint64_t) {
                 (stored ? published_ : publish_failed_).fetch_add(1, std::memory_order_relaxed);
                 done(stored);
               });
}

void ClusterNode::open_reader(std::uint32_t p) {
  const std::uint64_t after = engine_.applied_log_seq(p);
  auto reader = std::make_unique<cluster::PartitionReader>(
      connection_, p, after,
      [this, p](std::uint64_t seq, std::optional<cluster::LogEntry> entry,
                const std::string& error) { apply(p, seq, std::move(entry), error); });
  std::lock_guard lock(mu_);
  readers_[p] = std::move(reader);
  SPDLOG_INFO("cluster partition={} applying after seq={}", p, after);
}

void ClusterNode::acquired(std::uint32_t p) {
  std::lock_guard ops(reader_ops_mu_);
  try {
    open_reader(p);
  } catch (const std::exception& e) {
    SPDLOG_ERROR("cluster partition={} cannot be read: {} (tried again shortly)", p, e.what());
    std::lock_guard lock(mu_);
    restart_.insert(p);
  }
}

void ClusterNode::released(std::uint32_t p) {
  std::lock_guard ops(reader_ops_mu_);
  std::unique_ptr<cluster::PartitionReader> reader;
  {
    std::lock_guard lock(mu_);
    restart_.erase(p);
    if (auto it = readers_.find(p); it != readers_.end()) {
      reader = std::move(it->second);
      readers_.erase(it);
    }
  }
  reader.reset();  // no entry is handed over after this
  // What was handed over is committed before the lease goes to another node.
  engine_.flush();
  SPDLOG_INFO("cluster partition={} released at seq={}", p, engine_.applied_log_seq(p));
}

void ClusterNode::apply(std::uint32_t p, std::uint64_t seq, std::optional<cluster::LogEntry> entry,
                        const std::string& error) {
  if (!entry) {
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    SPDLOG_ERROR("cluster partition={} seq={} is not an entry ({}): skipped", p, seq, error);
    return;
  }
  // Refused by the store (full, failing): the entry is not applied and its position not
  // written, so the partition's reader starts again after the last one applied.
  auto done = [this, p](bool committed) {
    if (committed) {
      applied_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    refused_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      restart_.insert(p);
    }
    cv_.notify_all();
  };
  if (auto* m = std::get_if<engine::InboundMessage>(&*entry)) {
    m->log = {p, seq};
    engine_.submit_inbound(std::move(*m), std::move(done));
  } else {
    auto& r = std::get<engine::Receipt>(*entry);
    r.log = {p, seq};
    engine_.submit_receipt(std::move(r), std::move(done));
  }
}

void ClusterNode::maintain() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::seconds(1));
    if (stop_) break;
    lock.unlock();
    if (const auto n = log_.expire(kPublishAnswerLimit))
      SPDLOG_WARN("cluster: {} publishes got no answer from JetStream in {} s: refused", n,
                  kPublishAnswerLimit.count());
    lock.lock();
    std::set<std::uint32_t> again;
    again.swap(restart_);
    lock.unlock();
    for (std::uint32_t p : again) {
      std::lock_guard ops(reader_ops_mu_);
      const auto owned = leases_.owned();
      if (std::find(owned.begin(), owned.end(), p) == owned.end()) continue;
      std::unique_ptr<cluster::PartitionReader> old;
      {
        std::lock_guard g(mu_);
        if (auto it = readers_.find(p); it != readers_.end()) {
          old = std::move(it->second);
          readers_.erase(it);
        }
      }
      old.reset();
      engine_.flush();
      try {
        open_reader(p);
      } catch (const std::exception& e) {
        SPDLOG_ERROR("cluster partition={} cannot be read: {} (tried again shortly)", p, e.what());
        std::lock_guard g(mu_);
        restart_.insert(p);
      }
    }
    lock.lock();
  }
}

nlohmann::json ClusterNode::status_json() const {
  nlohmann::json j;
  j["node"] = config_.node;
  j["nodes"] = leases_.nodes();
  j["partitions"] = config_.partitions;
  j["connected"] = connection_.connected();
  nlohmann::json held = nlohmann::json::array();
  for (std::uint32_t p : leases_.owned()) held.push_back(p);
  j["held"] = held;
  // Per partition held: the last log position applied to this store and the entries not
  // read yet (the lag).
  nlohmann::json lag = nlohmann::json::array();
  {
    // Readers are only closed under reader_ops_mu_; mu_ is not held across the requests (the
    // writer's completions take it).
    std::lock_guard ops(reader_ops_mu_);
    std::vector<std::pair<std::uint32_t, const cluster::PartitionReader*>> readers;
    {
      std::lock_guard lock(mu_);
      for (const auto& [p, reader] : readers_) readers.emplace_back(p, reader.get());
    }
    for (const auto& [p, reader] : readers) {
      nlohmann::json row{{"partition", p}, {"applied_seq", engine_.applied_log_seq(p)}};
      if (const auto unread = reader->unread()) {
        row["unread"] = *unread;
      } else {
        row["unread"] = nullptr;
      }
      lag.push_back(std::move(row));
    }
  }
  j["lag"] = lag;
  const auto st = leases_.stats();
  j["leases_acquired"] = st.acquired;
  j["leases_released"] = st.released;
  j["leases_lost"] = st.lost;
  const auto c = counts();
  j["published"] = c.published;
  j["publish_failed"] = c.publish_failed;
  j["applied"] = c.applied;
  j["refused"] = c.refused;
  j["unreadable"] = c.unreadable;
  j["publishes_waiting"] = log_.pending();
  return j;
}

ClusterNode::Counts ClusterNode::counts() const {
  return {published_.load(), publish_failed_.load(), applied_.load(), refused_.load(),
          unreadable_.load()};
}

}  // namespace twoway::daemon
