// The inbound path of the gateway: deliver_sm / data_sm from every bind through reassembly to
// the engine, and their answers. A part waiting for its siblings is held, stored durably and
// acknowledged once stored; a whole message is handed to the engine and acknowledged only
// after its durable commit (ESME_RX_T_APPN when it could not be stored, so the SMSC retries).
// Receipts are parsed and handed to the engine behind the submit_sm_resp read before them.
//
// Threading: on_inbound runs on the sessions' strands (any io thread); answers come from the
// engine's writer thread: the completions of a commit collect them (answers_mu_) and the
// engine's settled hook sends them, so everything one commit settled leaves in one mailbox
// append and one socket write per bind; the expiry timer belongs to this path's own strand. The
// reassembler and the held / stored / in-write parts sit under one mutex, held for that bookkeeping
// only. What goes to the engine is queued under that mutex, in the order the reassembler took the
// parts, and handed over outside it by one thread at a time (whoever finds the queue idle
// drains it): no lock is held while an engine call blocks on a full queue.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/gateway_counters.hpp"
#include "daemon/gateway_routes.hpp"
#include "engine/engine.hpp"
#include "smpp/inbound.hpp"
#include "smpp/reassembly.hpp"
#include "smpp/session.hpp"

namespace twoway::daemon {

/// Where whole messages and receipts go instead of the engine on a cluster node
/// (daemon/cluster_node.hpp): the cluster's shared inbound log. `done(true)` once the entry is
/// durably in the log (the deliver_sm is answered then), `done(false)` when it is not (the
/// deliver_sm is refused and the SMSC sends it again). `done` may run on any thread.
class InboundLogSink {
 public:
  virtual ~InboundLogSink() = default;
  virtual void publish(const engine::InboundMessage& message, std::function<void(bool)> done) = 0;
  /// `customer`: the receipt's source address (the handset the message went to).
  virtual void publish(const engine::Receipt& receipt, const std::string& customer,
                       std::function<void(bool)> done) = 0;
};

class InboundPath {
 public:
  /// Takes the engine's settled hook (Engine::on_settled) until destroyed.
  InboundPath(boost::asio::io_context& io, engine::Engine& engine, const NumberRoutes& routes,
              boost::asio::thread_pool& engine_calls, GatewayCounters& counters,
              const smpp::ReassemblyConfig& reassembly);
  ~InboundPath();
  InboundPath(const InboundPath&) = delete;
  InboundPath& operator=(const InboundPath&) = delete;

  /// A cluster node's log: whole messages and receipts go there instead of the engine (set
  /// before start(); the sink must outlive every publish, cluster_node.hpp). Parts waiting
  /// for their siblings are still kept in this node's store.
  void set_log(InboundLogSink* sink) { log_ = sink; }
  /// Takes back the parts stored before a restart (they wait for their siblings again) and
  /// hands over the messages they already complete; then starts the expiry timer.
  void start();
  /// One deliver_sm / data_sm from SMSC `smsc` (a session's inbound callback).
  void on_inbound(const std::string& smsc, const smpp::Pdu& pdu,
                  smpp::InboundCompletion completion);
  /// Refuses every unanswered part now (ESME_RX_T_APPN: the SMSC redelivers) while the links
  /// are up, and stops the expiry timer (on its strand).
  void stop();
  [[nodiscard]] std::size_t pending() const;

 private:
  struct HeldPart {
    std::shared_ptr<smpp::InboundCompletion> completion;
    std::string reference;
    std::uint8_t source_ton = 0;
    std::uint8_t source_npi = 0;
  };
  /// One thing for the engine, queued in reassembly order (see the header comment).
  struct Handover {
    enum class Kind : std::uint8_t {
      message,         // a whole message: `message`, `in`
      late_duplicate,  // parts repeating a committed message: drop `keys`, answer `tokens`
      partial,         // store `part`, answer it and its resent copies after the commit
      after_pending,   // answer `tokens` once what is queued before is committed
    } kind = Kind::message;
    smpp::ReassembledMessage message;
    engine::InboundMessage in;
    std::vector<engine::PartKey> keys;
    std::vector<std::uint64_t> tokens;
    std::shared_ptr<smpp::StoredPart> part;
    bool decoded = false;  // message: in.text holds the decoded text already
  };

  /// Answers the engine's completions collected since the last settled hook.
  struct Answers {
    std::vector<std::uint64_t> ok, refused;  // tokens of held_ parts
    std::vector<engine::PartKey> reopen;     // stored parts of refused messages
    std::vector<std::shared_ptr<smpp::InboundCompletion>> receipts_ok, receipts_refused;
  };

  void on_receipt(const std::string& smsc, smpp::InboundReceipt receipt,
                  const std::string& customer, smpp::InboundCompletion completion);
  /// Sends what publish acknowledgements collected (cluster mode), at most one run queued.
  void schedule_flush();
  // The *_locked functions run under mu_.
  /// Queues a whole message for the engine; `text` when it was decoded already.
  void deliver_locked(smpp::ReassembledMessage message,
                      std::optional<std::string> text = std::nullopt);
  void store_partial_locked(const smpp::InboundPart& part);
  /// Cluster mode: a whole message to the log instead of the engine.
  void publish_to_log(Handover& h);
  /// Hands the queued work to the engine unless another thread is doing so.
  void drain();
  void answer(const std::vector<std::uint64_t>& tokens, std::uint32_t status);
  /// From a completion (writer thread): answer `tokens` at the end of this settling.
  void collect(const std::vector<std::uint64_t>& tokens, bool committed);
  /// The engine's settled hook (writer thread): sends what the completions collected.
  void flush_answers();
  /// The store refused messages that completed with stored parts (`keys`): those parts wait
  /// for their siblings again, then `refused` is answered (ESME_RX_T_APPN, the SMSC sends the
  /// completing part again). On an engine_calls_ thread.
  void reopen_then_refuse(std::vector<engine::PartKey> keys, std::vector<std::uint64_t> refused);
  void expire();  // on strand_
  void arm_expiry();

  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  engine::Engine& engine_;
  const NumberRoutes& routes_;
  boost::asio::thread_pool& engine_calls_;
  GatewayCounters& counters_;
  Strand strand_;
  boost::asio::steady_timer expire_timer_;  // strand_ only
  std::atomic<bool> stopping_{false};
  InboundLogSink* log_ = nullptr;  // cluster mode; set before start()
  std::atomic<bool> flush_queued_{false};

  mutable std::mutex mu_;  // guards everything below
  smpp::Reassembler reassembler_;
  std::unordered_map<std::uint64_t, HeldPart> held_;  // token -> unanswered part
  // Parts stored durably (or being stored) while they wait for their siblings: token ->
  // receive ms, until the message they belong to is handed to the engine.
  std::unordered_map<std::uint64_t, std::int64_t> stored_;
  // Parts whose durable copy is being written: token -> the tokens of resent copies that
  // arrived meanwhile, answered with the write's outcome (acknowledged only once stored).
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> partial_writes_;
  std::uint64_t next_token_ = 1;
  std::deque<Handover> handover_;  // for the engine, in reassembly order
  bool draining_ = false;          // a thread is handing handover_ to the engine

  std::mutex answers_mu_;  // guards answers_; never held with mu_
  Answers answers_;
};

}  // namespace twoway::daemon
