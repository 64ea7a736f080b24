// Reads one partition of the inbound log in order, from a given position on, and hands each
// entry to the owner (which applies it to the store; the store skips positions it applied
// before, engine/log_position.hpp). A JetStream ordered consumer: it recovers from gaps and
// server restarts by itself and resumes after the last entry it delivered.
//
// Threading: `apply` runs on a libnats delivery thread (a small pool shared by every
// subscription of the connection), one entry at a time, in log order; it may block (the
// engine's queue being full slows the reader down).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "cluster/log_entry.hpp"
#include "cluster/nats_client.hpp"

namespace twoway::cluster {

class PartitionReader {
 public:
  // `entry` is nullopt for an entry that could not be read (with `error`): the owner counts and
  // logs it; it is skipped.
  using Apply = std::function<void(std::uint64_t seq, std::optional<LogEntry> entry,
                                   const std::string& error)>;

  // Starts reading `partition` after stream sequence `after` (0: from the beginning).
  PartitionReader(Connection& connection, std::uint32_t partition, std::uint64_t after,
                  Apply apply);
  // Stops reading; once it returns, `apply` is not running and will not run again.
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  std::uint32_t partition() const noexcept { return partition_; }
  // The stream sequence of the last entry handed to `apply` (or `after`).
  std::uint64_t delivered() const noexcept { return state_->delivered.load(); }
  // Entries of the partition in the log not yet handed to `apply` (the consumer's count on
  // the server; a request to it). nullopt when the server did not answer.
  [[nodiscard]] std::optional<std::uint64_t> unread() const;

 private:
  // What the delivery thread uses. It outlives the reader until libnats says no callback is
  // left (on_complete); when that does not come in time (NATS gone at shutdown), it is left
  // to the process rather than freed under a callback.
  struct State {
    Apply apply;
    std::atomic<std::uint64_t> delivered{0};
    std::mutex apply_mu;  // held while `apply` runs
    bool stopped = false;
    std::mutex done_mu;
    std::condition_variable done_cv;
    bool done = false;
  };
  static void on_msg(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_complete(void* closure);

  std::uint32_t partition_;
  State* state_;
  natsSubscription* sub_ = nullptr;
};

}  // namespace twoway::cluster
