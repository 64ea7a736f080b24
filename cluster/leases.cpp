#include "cluster/leases.hpp"

#include <algorithm>

#include "cluster/partition.hpp"

namespace twoway::cluster {

namespace {

constexpr const char* kNodePrefix = "node.";
constexpr const char* kLeasePrefix = "lease.";
constexpr int kOrphanRounds = 3;

}  // namespace

Leases::Leases(Connection& connection, Callbacks callbacks)
    : connection_(connection),
      callbacks_(std::move(callbacks)),
      node_(connection.config().node),
      partitions_(connection.config().partitions),
      ttl_(connection.config().lease_ttl) {}

Leases::~Leases() {
  stop(true);
}

std::string Leases::lease_key(std::uint32_t partition) const {
  return kLeasePrefix + std::to_string(partition);
}

void Leases::start() {
  std::lock_guard lock(run_mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void Leases::stop(bool hand_over) {
  {
    std::lock_guard lock(run_mu_);
    running_ = false;
  }
  run_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard round(round_mu_);
  for (std::uint32_t p : owned()) give_up(p, hand_over);
  if (hand_over && connection_.connected()) {
    try {
      connection_.leases().erase(kNodePrefix + node_);
    } catch (const NatsError&) {
      // NATS is away: the key lapses by itself.
    }
  }
}

void Leases::loop() {
  const auto period = ttl_ / 3;
  std::unique_lock lock(run_mu_);
  while (running_) {
    lock.unlock();
    round();
    lock.lock();
    run_cv_.wait_for(lock, period, [this] { return !running_; });
  }
}

void Leases::give_up(std::uint32_t partition, bool erase) {
  {
    std::lock_guard lock(mu_);
    if (owned_.erase(partition) == 0) return;
    ++stats_.released;
  }
  if (callbacks_.released) callbacks_.released(partition);
  // With NATS away each request would wait its full timeout: the lease lapses by itself.
  if (erase && connection_.connected()) {
    try {
      connection_.leases().erase(lease_key(partition));
    } catch (const NatsError&) {
      // It lapses by itself.
    }
  }
}

void Leases::round() {
  std::lock_guard round(round_mu_);
  Bucket& bucket = connection_.leases();
  const auto now = std::chrono::steady_clock::now();
  try {
    bucket.put(kNodePrefix + node_, "");
    std::vector<std::string> nodes;
    std::set<std::uint32_t> leased;
    for (const auto& key : bucket.keys()) {
      if (key.rfind(kNodePrefix, 0) == 0) nodes.push_back(key.substr(5));
      if (key.rfind(kLeasePrefix, 0) == 0) {
        try {
          leased.insert(static_cast<std::uint32_t>(std::stoul(key.substr(6))));
        } catch (const std::exception&) {
          // not ours
        }
      }
    }
    if (std::find(nodes.begin(), nodes.end(), node_) == nodes.end()) nodes.push_back(node_);
    std::sort(nodes.begin(), nodes.end());
    std::map<std::uint32_t, std::string> holders;
    for (std::uint32_t p : leased) {
      if (p >= partitions_) continue;
      if (auto e = bucket.get(lease_key(p))) holders[p] = e->value;
    }

    std::map<std::uint32_t, std::uint64_t> mine;
    {
      std::lock_guard lock(mu_);
      mine = owned_;
    }
    bool renewed_all = true;
    for (std::uint32_t p = 0; p < partitions_; ++p) {
      const std::string preferred = preferred_node(p, nodes);
      const auto held = holders.find(p);
      if (auto it = mine.find(p); it != mine.end()) {
        // Ours: hand it to the node that prefers it once that node is alive, else renew.
        if (preferred != node_) {
          give_up(p, true);
          holders.erase(p);
          continue;
        }
        const auto rev = bucket.update(lease_key(p), node_, it->second);
        if (!rev) {
          {
            std::lock_guard lock(mu_);
            ++stats_.lost;
          }
          give_up(p, false);
          renewed_all = false;
          continue;
        }
        std::lock_guard lock(mu_);
        owned_[p] = *rev;
        continue;
      }
      if (held != holders.end()) {
        unheld_rounds_.erase(p);
        continue;
      }
      const int unheld = ++unheld_rounds_[p];
      if (preferred != node_ && unheld < kOrphanRounds) continue;
      if (const auto rev = bucket.create(lease_key(p), node_)) {
        unheld_rounds_.erase(p);
        holders[p] = node_;
        {
          std::lock_guard lock(mu_);
          owned_[p] = *rev;
          ++stats_.acquired;
        }
        if (callbacks_.acquired) callbacks_.acquired(p);
      }
    }
    std::lock_guard lock(mu_);
    nodes_ = std::move(nodes);
    holders_ = std::move(holders);
    if (renewed_all) last_renewed_ = now;
  } catch (const NatsError&) {
    // NATS is away. A lease not renewed for half its TTL is given up here before it lapses
    // there, so that the node that takes it next never applies alongside this one.
    bool overdue = false;
    {
      std::lock_guard lock(mu_);
      overdue = !owned_.empty() && now - last_renewed_ > ttl_ / 2;
      if (overdue) stats_.lost += owned_.size();
    }
    if (overdue) {
      for (std::uint32_t p : owned()) give_up(p, false);
    }
  }
}

std::vector<std::uint32_t> Leases::owned() const {
  std::lock_guard lock(mu_);
  std::vector<std::uint32_t> out;
  for (const auto& [p, rev] : owned_) out.push_back(p);
  return out;
}

std::vector<std::string> Leases::nodes() const {
  std::lock_guard lock(mu_);
  return nodes_;
}

std::map<std::uint32_t, std::string> Leases::holders() const {
  std::lock_guard lock(mu_);
  return holders_;
}

Leases::Stats Leases::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace twoway::cluster
