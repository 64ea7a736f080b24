#include "cluster/partition_reader.hpp"

#include <chrono>

namespace twoway::cluster {

namespace {

// How long a stopping reader waits for libnats to confirm that no callback is left.
constexpr auto kCompleteWait = std::chrono::seconds(2);

}  // namespace

PartitionReader::PartitionReader(Connection& connection, std::uint32_t partition,
                                 std::uint64_t after, Apply apply)
    : partition_(partition), state_(new State) {
  state_->apply = std::move(apply);
  state_->delivered.store(after);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = kInboundStream;
  so.Ordered = true;
  if (after == 0) {
    so.Config.DeliverPolicy = js_DeliverAll;
  } else {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = after + 1;
  }
  const std::string subject = inbound_subject(partition);
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_Subscribe(&sub_, connection.jetstream(), subject.c_str(),
                                    &PartitionReader::on_msg, state_, nullptr, &so, &jerr);
  if (s != NATS_OK) {
    delete state_;
    throw NatsError("reading partition " + std::to_string(partition), s, jerr);
  }
  if (natsSubscription_SetOnCompleteCB(sub_, &PartitionReader::on_complete, state_) != NATS_OK) {
    {
      std::lock_guard lock(state_->apply_mu);
      state_->stopped = true;
    }
    (void)natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
    throw NatsError("reading partition " + std::to_string(partition), NATS_ERR);
  }
  // Bound what waits in memory: the consumer's flow control holds the rest on the server.
  (void)natsSubscription_SetPendingLimits(sub_, 65536, 64 * 1024 * 1024);
}

PartitionReader::~PartitionReader() {
  {
    // Waits for an entry being applied; none is applied after this.
    std::lock_guard lock(state_->apply_mu);
    state_->stopped = true;
  }
  (void)natsSubscription_Unsubscribe(sub_);
  bool completed = false;
  {
    std::unique_lock lock(state_->done_mu);
    completed = state_->done_cv.wait_for(lock, kCompleteWait, [this] { return state_->done; });
  }
  natsSubscription_Destroy(sub_);
  if (completed) delete state_;
}

std::optional<std::uint64_t> PartitionReader::unread() const {
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (natsSubscription_GetConsumerInfo(&ci, sub_, nullptr, &jerr) != NATS_OK) return std::nullopt;
  const std::uint64_t pending = ci->NumPending;
  jsConsumerInfo_Destroy(ci);
  return pending;
}

void PartitionReader::on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* state = static_cast<State*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
    natsMsg_Destroy(msg);  // not a stream message (a status the library did not consume)
    return;
  }
  const std::uint64_t seq = meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  std::string error;
  auto entry = decode_entry(
      std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))),
      &error);
  natsMsg_Destroy(msg);
  std::lock_guard lock(state->apply_mu);
  if (state->stopped || seq <= state->delivered.load()) return;  // stopping, or seen (a reset)
  state->apply(seq, std::move(entry), error);
  state->delivered.store(seq);
}

void PartitionReader::on_complete(void* closure) {
  auto* state = static_cast<State*>(closure);
  std::lock_guard lock(state->done_mu);
  state->done = true;
  state->done_cv.notify_all();
}

}  // namespace twoway::cluster
