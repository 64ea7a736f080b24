#include "cluster/inbound_log.hpp"

#include <vector>

namespace twoway::cluster {

InboundLog::InboundLog(Connection& connection, std::size_t max_pending) : connection_(connection) {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  jo.PublishAsync.MaxPending = static_cast<std::int64_t>(max_pending);
  jo.PublishAsync.AckHandler = &InboundLog::on_ack;
  jo.PublishAsync.AckHandlerClosure = this;
  jo.PublishAsync.StallWait = 1000;
  check_nats(natsConnection_JetStream(&js_, connection_.get(), &jo), "JetStream (inbound log)");
}

InboundLog::~InboundLog() {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 2000;
  (void)js_PublishAsyncComplete(js_, &po);
  // What is still unacknowledged is taken back from libnats (its handler will not run for
  // it) and failed.
  natsMsgList left{};
  if (published_.load() && js_PublishAsyncGetPendingList(&left, js_) == NATS_OK) {
    natsMsgList_Destroy(&left);
  }
  expire(std::chrono::steady_clock::duration::zero());
  jsCtx_Destroy(js_);
}

void InboundLog::publish(std::uint32_t partition, const std::string& entry, Done done,
                         const std::string& msg_id) {
  natsMsg* msg = nullptr;
  const std::string subject = inbound_subject(partition);
  if (natsMsg_Create(&msg, subject.c_str(), nullptr, entry.data(),
                     static_cast<int>(entry.size())) != NATS_OK) {
    done(false, 0);
    return;
  }
  if (!msg_id.empty()) (void)natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str());
  const natsMsg* key = msg;
  {
    std::lock_guard lock(mu_);
    waiting_.emplace(key, Waiting{std::move(done), std::chrono::steady_clock::now()});
  }
  published_.store(true);
  const natsStatus s = js_PublishMsgAsync(js_, &msg, nullptr);
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);  // still ours when the call failed
    Done failed;
    {
      std::lock_guard lock(mu_);
      auto it = waiting_.find(key);
      if (it != waiting_.end()) {
        failed = std::move(it->second.done);
        waiting_.erase(it);
      }
    }
    if (failed) failed(false, 0);
  }
}

void InboundLog::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<InboundLog*>(closure);
  Done done;
  {
    std::lock_guard lock(self->mu_);
    auto it = self->waiting_.find(msg);
    if (it != self->waiting_.end()) {
      done = std::move(it->second.done);
      self->waiting_.erase(it);
    }
  }
  natsMsg_Destroy(msg);
  if (!done) return;  // expired meanwhile: already failed
  if (pa != nullptr && pae == nullptr) {
    done(true, pa->Sequence);
  } else {
    done(false, 0);
  }
}

std::size_t InboundLog::expire(std::chrono::steady_clock::duration age) {
  std::vector<Done> failed;
  const auto cutoff = std::chrono::steady_clock::now() - age;
  {
    std::lock_guard lock(mu_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.since <= cutoff) {
        failed.push_back(std::move(it->second.done));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& d : failed) d(false, 0);
  return failed.size();
}

std::size_t InboundLog::pending() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

}  // namespace twoway::cluster
