// The inbound path: deliver_sm / data_sm through reassembly to the engine, acknowledged after
// the durable commit; receipts to the engine. See gateway_inbound.hpp.
#include "daemon/gateway_inbound.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "daemon/gateway_util.hpp"
#include "daemon/logging.hpp"
#include "smpp/inbound.hpp"

namespace twoway::daemon {
namespace {

using gateway_util::now_ms;
using gateway_util::now_unix;

engine::ReceiptState receipt_state(smpp::MessageState s) {
  using S = smpp::MessageState;
  switch (s) {
    case S::delivered:
      return engine::ReceiptState::delivered;
    case S::accepted:
    case S::enroute:
    case S::scheduled:
      return engine::ReceiptState::accepted;
    case S::expired:
      return engine::ReceiptState::expired;
    case S::rejected:
      return engine::ReceiptState::rejected;
    case S::deleted:
    case S::undeliverable:
    case S::skipped:
      return engine::ReceiptState::failed;
    case S::unknown:
      return engine::ReceiptState::unknown;
  }
  return engine::ReceiptState::unknown;
}

}  // namespace

InboundPath::InboundPath(boost::asio::io_context& io, engine::Engine& engine,
                         const NumberRoutes& routes, boost::asio::thread_pool& engine_calls,
                         GatewayCounters& counters, const smpp::ReassemblyConfig& reassembly)
    : engine_(engine),
      routes_(routes),
      engine_calls_(engine_calls),
      counters_(counters),
      strand_(boost::asio::make_strand(io)),
      expire_timer_(strand_),
      reassembler_(reassembly) {
  engine_.on_settled([this] { flush_answers(); });
}

InboundPath::~InboundPath() {
  engine_.on_settled(nullptr);
}

void InboundPath::start() {
  // Parts acknowledged before a restart wait for their siblings again.
  try {
    const auto parts = engine_.stored_partials();
    std::lock_guard lock(mu_);
    for (const auto& p : parts) {
      stored_[p.token] = p.now_ms;
      next_token_ = std::max(next_token_, p.token + 1);
    }
    for (auto& m : reassembler_.restore(parts)) deliver_locked(std::move(m));
    if (!parts.empty()) SPDLOG_INFO("reassembly: {} stored parts restored", parts.size());
  } catch (const std::exception& e) {
    SPDLOG_ERROR("reassembly: stored parts could not be read: {}", e.what());
  }
  drain();
  boost::asio::post(strand_, [this] { expire(); });
}

void InboundPath::stop() {
  stopping_.store(true);
  std::unordered_map<std::uint64_t, HeldPart> held;
  {
    std::lock_guard lock(mu_);
    held.swap(held_);
  }
  // The timer is the strand's: cancelled there, not from the stopping thread.
  boost::asio::post(strand_, [this] { expire_timer_.cancel(); });
  // Unanswered parts are refused now, while the links are still up: the SMSC redelivers.
  for (auto& [token, part] : held) part.completion->respond(smpp::status::x_t_appn);
}

std::size_t InboundPath::pending() const {
  std::lock_guard lock(mu_);
  return reassembler_.pending();
}

void InboundPath::on_inbound(const std::string& smsc, const smpp::Pdu& pdu,
                             smpp::InboundCompletion completion) {
  smpp::InboundValue value = smpp::classify_inbound(smsc, pdu, routes_.get()->decoding(smsc));
  if (std::holds_alternative<smpp::NotInbound>(value)) {
    completion.respond(smpp::status::ok);  // nothing for the engine in it
    return;
  }
  if (auto* receipt = std::get_if<smpp::InboundReceipt>(&value)) {
    // The receipt's source is the handset the reported message went to.
    std::string customer;
    if (const auto* sm = pdu.as<smpp::ShortMessage>()) customer = sm->source_addr;
    if (const auto* dm = pdu.as<smpp::DataSm>()) customer = dm->source_addr;
    on_receipt(smsc, std::move(*receipt), customer, std::move(completion));
    return;
  }
  counters_.inbound_parts.fetch_add(1, std::memory_order_relaxed);
  auto shared = std::make_shared<smpp::InboundCompletion>(std::move(completion));
  std::uint64_t token = 0;
  bool answer_now = false;
  {
    // Everything for the engine is queued here, in the order the reassembler takes the parts
    // (sessions run on several threads): a late duplicate's answer queues behind the message
    // it belongs to.
    std::lock_guard lock(mu_);
    token = next_token_++;
    const std::int64_t received_ms = now_ms();
    if (auto* whole = std::get_if<smpp::InboundWhole>(&value)) {
      held_.emplace(token, HeldPart{std::move(shared), std::move(whole->origin.reference),
                                    whole->origin.source_ton, whole->origin.source_npi});
      whole->message.tokens.assign(1, token);
      whole->message.first_received_ms = received_ms;
      deliver_locked(std::move(whole->message), std::move(whole->text));
    } else {
      auto& segment = std::get<smpp::InboundSegment>(value);
      held_.emplace(token, HeldPart{std::move(shared), std::move(segment.origin.reference),
                                    segment.origin.source_ton, segment.origin.source_npi});
      smpp::InboundPart& part = segment.part;
      part.token = token;
      part.now_ms = received_ms;
      smpp::AddResult result = reassembler_.add(part);
      for (auto& m : result.flushed) deliver_locked(std::move(m));
      if (result.message) deliver_locked(std::move(*result.message));
      switch (result.outcome) {
        case smpp::PartOutcome::held:
          store_partial_locked(part);
          break;
        case smpp::PartOutcome::duplicate:
          if (auto w = partial_writes_.find(result.original_token); w != partial_writes_.end()) {
            // A resent copy of a part held and not yet stored: answered with its write.
            w->second.push_back(token);
          } else {
            answer_now = true;  // a resent copy of a part already stored durably
          }
          break;
        case smpp::PartOutcome::late_duplicate: {
          // A part resent after its message was completed (its answer was lost; its identity
          // TLV or the set now holding its number with other bytes says so): answered once
          // the message, handed to the engine earlier, is committed; it starts no message of
          // its own.
          Handover h;
          h.kind = Handover::Kind::after_pending;
          h.tokens = {token};
          handover_.push_back(std::move(h));
          break;
        }
        case smpp::PartOutcome::standalone:
        case smpp::PartOutcome::completed:
          break;
      }
    }
  }
  if (answer_now) answer({token}, smpp::status::ok);
  drain();
}

void InboundPath::store_partial_locked(const smpp::InboundPart& part) {
  // Recorded before the write is queued: the message that completes this part removes the
  // stored copy in its own transaction, which the writer commits after this one.
  stored_[part.token] = part.now_ms;
  partial_writes_.emplace(part.token, std::vector<std::uint64_t>{});
  Handover h;
  h.kind = Handover::Kind::partial;
  h.part = std::make_shared<smpp::StoredPart>(smpp::StoredPart::from(part));
  handover_.push_back(std::move(h));
}

void InboundPath::deliver_locked(smpp::ReassembledMessage message,
                                 std::optional<std::string> text) {
  Handover h;
  engine::InboundMessage& in = h.in;
  in.smsc = message.smsc;
  in.source = message.source;
  in.destination = message.destination;
  in.media_omitted = message.media_omitted;
  in.incomplete = message.incomplete;
  in.received_unix = message.first_received_ms / 1000;
  if (!message.tokens.empty()) {
    if (auto it = held_.find(message.tokens.front()); it != held_.end()) {
      in.message_reference = it->second.reference;
      in.source_ton = it->second.source_ton;
      in.source_npi = it->second.source_npi;
    }
  }
  for (auto t : message.tokens) {
    if (auto it = stored_.find(t); it != stored_.end()) {
      in.stored_parts.push_back(engine::PartKey{it->second, t});
      stored_.erase(it);
    }
  }
  if (message.late_duplicate) {
    // Every part it held repeated a message completed just before (the SMSC re-sent parts
    // whose answers it lost): nothing new to store. The stored copies go; the parts were
    // answered when they were stored, any still waiting are answered now.
    spdlog::debug("smsc={} reassembly: {} part(s) repeating a completed message answered",
                  message.smsc, message.tokens.size());
    h.kind = Handover::Kind::late_duplicate;
    h.keys = std::move(in.stored_parts);
    h.tokens = std::move(message.tokens);
    handover_.push_back(std::move(h));
    return;
  }
  if (message.incomplete) counters_.incomplete_messages.fetch_add(1, std::memory_order_relaxed);
  counters_.inbound_messages.fetch_add(1, std::memory_order_relaxed);
  h.kind = Handover::Kind::message;
  h.decoded = text.has_value();
  if (text) in.text = std::move(*text);
  h.message = std::move(message);
  handover_.push_back(std::move(h));
}

void InboundPath::drain() {
  std::unique_lock lock(mu_);
  if (draining_) return;  // that thread takes what was just queued too
  draining_ = true;
  while (!handover_.empty()) {
    std::deque<Handover> batch;
    batch.swap(handover_);
    lock.unlock();
    std::vector<engine::Engine::Submission> messages;
    const auto routes = routes_.get();
    // Consecutive whole messages go to the engine together (one enqueue, one wake-up). Their
    // completions only collect the answers; the engine's settled hook sends them.
    auto flush_messages = [&] {
      if (!messages.empty()) engine_.submit_inbound(std::move(messages));
      messages.clear();
    };
    try {
      for (Handover& h : batch) {
        switch (h.kind) {
          case Handover::Kind::message: {
            if (!h.decoded)
              (void)smpp::decode_message_text(h.message, h.in.text,
                                              routes->decoding(h.message.smsc));
            if (log_ != nullptr) {
              publish_to_log(h);
              break;
            }
            // A message completed with stored parts: if the store refuses it, those parts
            // (still stored: the refused transaction did not remove them) wait again.
            std::vector<engine::PartKey> stored = h.in.stored_parts;
            messages.push_back(engine::Engine::Submission{
                std::move(h.in), [this, tokens = std::move(h.message.tokens),
                                  stored = std::move(stored)](bool committed) {
                  std::lock_guard lock(answers_mu_);
                  auto& to = committed ? answers_.ok : answers_.refused;
                  to.insert(to.end(), tokens.begin(), tokens.end());
                  if (!committed)
                    answers_.reopen.insert(answers_.reopen.end(), stored.begin(), stored.end());
                }});
            break;
          }
          case Handover::Kind::late_duplicate:
            flush_messages();
            boost::asio::post(engine_calls_, [this, keys = std::move(h.keys),
                                              tokens = std::move(h.tokens)]() mutable {
              if (!keys.empty()) engine_.drop_partials(std::move(keys));
              engine_.after_pending([this, tokens = std::move(tokens)](bool committed) {
                collect(tokens, committed);
              });
            });
            break;
          case Handover::Kind::after_pending:
            flush_messages();
            engine_.after_pending([this, tokens = std::move(h.tokens)](bool committed) {
              collect(tokens, committed);
            });
            break;
          case Handover::Kind::partial: {
            flush_messages();
            auto kept = std::move(h.part);
            const std::uint64_t token = kept->token;
            engine_.submit_partial(*kept, [this, token, kept](bool committed) {
              std::vector<std::uint64_t> tokens{token};
              {
                std::lock_guard lock(mu_);
                if (auto w = partial_writes_.find(token); w != partial_writes_.end()) {
                  tokens.insert(tokens.end(), w->second.begin(), w->second.end());
                  partial_writes_.erase(w);
                }
                if (!committed && reassembler_.withdraw(kept->view())) {
                  // Refused to the SMSC, which sends it again: held only in memory, it must
                  // not make that copy look like a duplicate, nor complete a message without
                  // it being stored.
                  stored_.erase(token);
                }
              }
              collect(tokens, committed);
            });
            break;
          }
        }
      }
      flush_messages();
    } catch (const std::exception& e) {
      // Not acknowledged: what was not handed over is refused when the link stops, or on the
      // SMSC's timeout; either way the SMSC sends it again.
      SPDLOG_ERROR("inbound hand-over to the engine failed: {}", e.what());
    }
    lock.lock();
  }
  draining_ = false;
}

void InboundPath::publish_to_log(Handover& h) {
  // Acknowledged once the log has it; the parts it was joined from leave this node's store
  // then (a crash in between brings them back and the message is published again: the
  // owner's redelivery check knows it by its SMSC timestamp and reference).
  std::vector<engine::PartKey> stored = std::move(h.in.stored_parts);
  h.in.stored_parts.clear();
  log_->publish(h.in, [this, tokens = std::move(h.message.tokens),
                       stored = std::move(stored)](bool logged) mutable {
    {
      std::lock_guard lock(answers_mu_);
      auto& to = logged ? answers_.ok : answers_.refused;
      to.insert(to.end(), tokens.begin(), tokens.end());
      if (!logged) answers_.reopen.insert(answers_.reopen.end(), stored.begin(), stored.end());
    }
    if (logged && !stored.empty()) {
      boost::asio::post(engine_calls_, [this, keys = std::move(stored)]() mutable {
        engine_.drop_partials(std::move(keys));
      });
    }
    schedule_flush();
  });
}

void InboundPath::schedule_flush() {
  if (flush_queued_.exchange(true)) return;
  boost::asio::post(engine_calls_, [this] {
    flush_queued_.store(false);
    flush_answers();
  });
}

void InboundPath::answer(const std::vector<std::uint64_t>& tokens, std::uint32_t status) {
  std::vector<std::shared_ptr<smpp::InboundCompletion>> completions;
  {
    std::lock_guard lock(mu_);
    for (auto t : tokens) {
      auto it = held_.find(t);
      if (it == held_.end()) continue;
      completions.push_back(std::move(it->second.completion));
      held_.erase(it);
    }
  }
  if (completions.empty()) return;
  if (status != smpp::status::ok)
    counters_.inbound_refused.fetch_add(completions.size(), std::memory_order_relaxed);
  std::vector<smpp::InboundCompletion*> all;
  all.reserve(completions.size());
  for (auto& c : completions) all.push_back(c.get());
  // One mailbox append and one socket write per session for the lot.
  smpp::InboundCompletion::respond_all(all, status);
}

void InboundPath::collect(const std::vector<std::uint64_t>& tokens, bool committed) {
  std::lock_guard lock(answers_mu_);
  auto& to = committed ? answers_.ok : answers_.refused;
  to.insert(to.end(), tokens.begin(), tokens.end());
}

void InboundPath::flush_answers() {
  Answers a;
  {
    std::lock_guard lock(answers_mu_);
    std::swap(a, answers_);
  }
  answer(a.ok, smpp::status::ok);
  // A failed store stops the daemon: its stored parts come back at the next start.
  if (a.reopen.empty() || !engine_.healthy()) {
    answer(a.refused, smpp::status::x_t_appn);
  } else {
    // The refusal goes out only once the parts wait again, so the part the SMSC sends again
    // finds them.
    boost::asio::post(engine_calls_,
                      [this, keys = std::move(a.reopen), refused = std::move(a.refused)] {
                        reopen_then_refuse(keys, refused);
                      });
  }
  const auto respond = [](std::vector<std::shared_ptr<smpp::InboundCompletion>>& all,
                          std::uint32_t status) {
    if (all.empty()) return;
    std::vector<smpp::InboundCompletion*> list;
    list.reserve(all.size());
    for (auto& c : all) list.push_back(c.get());
    smpp::InboundCompletion::respond_all(list, status);
  };
  respond(a.receipts_ok, smpp::status::ok);
  respond(a.receipts_refused, smpp::status::x_t_appn);
}

void InboundPath::reopen_then_refuse(std::vector<engine::PartKey> keys,
                                     std::vector<std::uint64_t> refused) {
  try {
    const auto parts = engine_.stored_partials(keys);
    {
      std::lock_guard lock(mu_);
      for (const auto& p : parts) stored_[p.token] = p.now_ms;
      for (auto& m : reassembler_.reopen(parts)) deliver_locked(std::move(m));
    }
    // Not a warning per message: the store being full is logged once by the daemon.
    SPDLOG_DEBUG(
        "reassembly: a message was refused by the store; its {} stored part(s) wait for "
        "the refused part again",
        parts.size());
    drain();
  } catch (const std::exception& e) {
    // The parts stay stored: the next start restores them.
    SPDLOG_ERROR("reassembly: stored parts of a refused message could not be read: {}", e.what());
  }
  answer(refused, smpp::status::x_t_appn);
}

void InboundPath::expire() {
  if (stopping_.load()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& m : reassembler_.expire(now_ms())) deliver_locked(std::move(m));
  }
  drain();
  arm_expiry();
}

void InboundPath::arm_expiry() {
  expire_timer_.expires_after(std::chrono::seconds(1));
  // The handler runs on strand_ (the timer's executor).
  expire_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) expire();
  });
}

void InboundPath::on_receipt(const std::string& smsc, smpp::InboundReceipt receipt,
                             const std::string& customer, smpp::InboundCompletion completion) {
  counters_.receipts.fetch_add(1, std::memory_order_relaxed);
  if (!receipt.has_id) {
    SPDLOG_WARN("smsc={} receipt without a message id: acknowledged and ignored", smsc);
    completion.respond(smpp::status::ok);
    return;
  }
  engine::Receipt r;
  r.smsc = smsc;
  r.message_id = std::move(receipt.message_id);
  r.state = receipt_state(receipt.state);
  r.error = std::move(receipt.error);
  r.received_unix = now_unix();
  r.time_unix = receipt.done_unix.value_or(r.received_unix);
  SPDLOG_DEBUG("receipt smsc={} message_id={} state={}", smsc, log_value(r.message_id),
               smpp::to_string(receipt.state));
  if (log_ != nullptr) {
    log_->publish(r, customer,
                  [this, completion = std::make_shared<smpp::InboundCompletion>(
                             std::move(completion))](bool logged) mutable {
                    {
                      std::lock_guard lock(answers_mu_);
                      (logged ? answers_.receipts_ok : answers_.receipts_refused)
                          .push_back(std::move(completion));
                    }
                    schedule_flush();
                  });
    return;
  }
  // Queued behind the recording of every submit_sm_resp read before it (the pump queues
  // those on the session's strand), so it finds its message id.
  engine_.submit_receipt(std::move(r), [this,
                                        completion = std::make_shared<smpp::InboundCompletion>(
                                            std::move(completion))](bool committed) mutable {
    std::lock_guard lock(answers_mu_);
    (committed ? answers_.receipts_ok : answers_.receipts_refused).push_back(std::move(completion));
  });
}

}  // namespace twoway::daemon
