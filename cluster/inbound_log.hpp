// The publishing side of the cluster's inbound log: a node that received a message or a
// receipt publishes it to its partition's subject and learns, through a callback, when
// JetStream has stored it (then, and only then, the deliver_sm may be answered).
//
// Publishing is asynchronous and pipelined: up to `max_pending` entries wait for their
// acknowledgement at once, so a node's MO rate is not bound by one round trip.
//
// Threading: publish() from any thread; `done` runs on a libnats thread (or, for a publish
// that failed at once, on the caller's) and must be short.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cluster/nats_client.hpp"

namespace twoway::cluster {

class InboundLog {
 public:
  // `done(true, seq)`: stored by JetStream at stream sequence `seq`; `done(false, 0)`: not
  // stored (the caller refuses the deliver_sm, and the SMSC sends it again).
  using Done = std::function<void(bool stored, std::uint64_t seq)>;

  explicit InboundLog(Connection& connection, std::size_t max_pending = 4096);
  ~InboundLog();  // waits up to 2 s for outstanding acknowledgements, fails the rest
  InboundLog(const InboundLog&) = delete;
  InboundLog& operator=(const InboundLog&) = delete;

  // Publishes `entry` (log_entry.hpp) to `partition`. `msg_id`, when not empty, is the
  // entry's JetStream de-duplication id (a second publish with it within two minutes is
  // acknowledged without storing a copy).
  void publish(std::uint32_t partition, const std::string& entry, Done done,
               const std::string& msg_id = {});
  // Fails (done(false)) every publish waiting longer than `age` for its acknowledgement:
  // an answer that never comes (a server lost mid-flight) must not hold a deliver_sm for ever.
  std::size_t expire(std::chrono::steady_clock::duration age);
  [[nodiscard]] std::size_t pending() const;

 private:
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

  struct Waiting {
    Done done;
    std::chrono::steady_clock::time_point since;
  };

  Connection& connection_;
  jsCtx* js_ = nullptr;
  mutable std::mutex mu_;
  std::unordered_map<const natsMsg*, Waiting> waiting_;  // by the message libnats hands back
  // libnats (3.4) keeps its list of pending publishes from the first publish on, and reading
  // that list before it exists crashes: only read after a publish.
  std::atomic<bool> published_{false};
};

}  // namespace twoway::cluster
