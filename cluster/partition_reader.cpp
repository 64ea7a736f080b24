#include "cluster/partition_reader.hpp"

namespace twoway::cluster {

PartitionReader::PartitionReader(Connection& connection, std::uint32_t partition,
                                 std::uint64_t after, Apply apply)
    : partition_(partition), apply_(std::move(apply)), delivered_(after) {
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
  check_nats(js_Subscribe(&sub_, connection.jetstream(), subject.c_str(), &PartitionReader::on_msg,
                          this, nullptr, &so, &jerr),
             "reading partition " + std::to_string(partition), jerr);
  if (natsSubscription_SetOnCompleteCB(sub_, &PartitionReader::on_complete, this) != NATS_OK) {
    natsSubscription_Destroy(sub_);
    throw NatsError("reading partition " + std::to_string(partition), NATS_ERR);
  }
  // Bound what waits in memory: the consumer's flow control holds the rest on the server.
  (void)natsSubscription_SetPendingLimits(sub_, 65536, 64 * 1024 * 1024);
}

PartitionReader::~PartitionReader() {
  if (natsSubscription_Unsubscribe(sub_) == NATS_OK) {
    std::unique_lock lock(done_mu_);
    done_cv_.wait(lock, [this] { return done_; });
  }
  natsSubscription_Destroy(sub_);
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
  auto* self = static_cast<PartitionReader*>(closure);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
    natsMsg_Destroy(msg);  // not a stream message (a status the library did not consume)
    return;
  }
  const std::uint64_t seq = meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  if (seq <= self->delivered_.load()) {  // already handed over (a consumer reset)
    natsMsg_Destroy(msg);
    return;
  }
  std::string error;
  auto entry = decode_entry(
      std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))),
      &error);
  natsMsg_Destroy(msg);
  self->apply_(seq, std::move(entry), error);
  self->delivered_.store(seq);
}

void PartitionReader::on_complete(void* closure) {
  auto* self = static_cast<PartitionReader*>(closure);
  std::lock_guard lock(self->done_mu_);
  self->done_ = true;
  self->done_cv_.notify_all();
}

}  // namespace twoway::cluster
