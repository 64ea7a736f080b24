// Which partitions this node applies: nodes announce themselves in the cluster bucket (a key
// per node, renewed; it lapses with the bucket's TTL when the node dies) and each partition is
// held by one node through a lease key, created only if absent and renewed with its revision.
// Every node works out the same preferred owner per partition from the live nodes
// (partition.hpp), takes the free partitions it prefers, hands over those another live node
// prefers (rebalancing when a node joins) and, after three rounds, takes any partition nobody
// holds. A lease that cannot be renewed within half its TTL is given up locally before it
// lapses, so two nodes never apply a partition at the same time while the clocks agree.
//
// Threading: one thread of its own runs the rounds and calls `acquired` / `released` (which
// may block: `released` returns once the partition's reader has stopped). owned() and
// nodes() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/nats_client.hpp"

namespace twoway::cluster {

class Leases {
 public:
  struct Callbacks {
    std::function<void(std::uint32_t partition)> acquired;
    std::function<void(std::uint32_t partition)> released;
  };
  struct Stats {
    std::uint64_t acquired = 0;  // leases taken since start
    std::uint64_t released = 0;  // handed over or given up
    std::uint64_t lost = 0;      // found taken by another node, or not renewed in time
  };

  Leases(Connection& connection, Callbacks callbacks);
  ~Leases();  // stop(true)
  Leases(const Leases&) = delete;
  Leases& operator=(const Leases&) = delete;

  // Starts the rounds (the first at once).
  void start();
  // Stops the rounds; `hand_over`: releases every partition (callbacks) and deletes the
  // leases so that other nodes take them at once; otherwise the leases lapse (a node that dies).
  void stop(bool hand_over);
  // One round now, on the caller's thread (tests).
  void round();

  [[nodiscard]] std::vector<std::uint32_t> owned() const;
  [[nodiscard]] std::vector<std::string> nodes() const;
  // Partition -> holder, as the last round saw them.
  [[nodiscard]] std::map<std::uint32_t, std::string> holders() const;
  [[nodiscard]] Stats stats() const;

 private:
  void loop();
  void give_up(std::uint32_t partition, bool erase);
  std::string lease_key(std::uint32_t partition) const;

  Connection& connection_;
  Callbacks callbacks_;
  const std::string node_;
  const std::uint32_t partitions_;
  const std::chrono::milliseconds ttl_;

  std::mutex round_mu_;  // one round at a time
  mutable std::mutex mu_;
  std::map<std::uint32_t, std::uint64_t> owned_;  // partition -> lease revision
  std::vector<std::string> nodes_;
  std::map<std::uint32_t, std::string> holders_;
  std::map<std::uint32_t, int> unheld_rounds_;
  std::chrono::steady_clock::time_point last_renewed_{};
  Stats stats_;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace twoway::cluster
