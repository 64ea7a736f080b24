// The settings a cluster shares: `settings` changed on any node changes them on every node.
// They live in the state bucket under `settings` (engine::encode_settings). The node where
// they changed writes them; every node reads the key each period and takes a newer revision.
// A node that starts takes the cluster's settings over its own first values; the first node of
// a new cluster seeds the key with its own.
//
// Threading: one thread of its own does every NATS request and engine call; the engine's change
// feed only marks the local settings changed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/nats_client.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

class SettingsShare {
 public:
  SettingsShare(cluster::Bucket& state, engine::Engine& engine,
                std::chrono::milliseconds period = std::chrono::seconds(1));
  ~SettingsShare();
  SettingsShare(const SettingsShare&) = delete;
  SettingsShare& operator=(const SettingsShare&) = delete;

  struct Counts {
    std::uint64_t shared = 0;   // local changes written for the cluster
    std::uint64_t taken = 0;    // the cluster's settings applied here
    std::uint64_t refused = 0;  // the cluster's settings were unusable here (logged)
  };
  [[nodiscard]] Counts counts() const;

 private:
  void run();
  // One round: write a local change, else take a newer revision (throws NatsError).
  void round();
  void take(const cluster::Bucket::Entry& entry, const std::string& local);

  cluster::Bucket& state_;
  engine::Engine& engine_;
  const std::chrono::milliseconds period_;
  std::uint64_t subscription_ = 0;
  std::atomic<bool> changed_{false};
  // Only the thread's: whether the first round ran, the revision and bytes last seen or written.
  bool started_ = false;
  std::uint64_t revision_ = 0;
  std::string known_;
  std::atomic<std::uint64_t> shared_{0}, taken_{0}, refused_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace twoway::daemon
