// The engine: one writer with group commit over the LMDB store, typed admin actions, views on
// read transactions and the change feed (see engine.hpp).
#include "engine/engine.hpp"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "engine/consent_log.hpp"
#include "engine/links.hpp"
#include "engine/log_position.hpp"
#include "engine/outbox.hpp"
#include "engine/profiles.hpp"
#include "engine/records.hpp"
#include "engine/redelivery.hpp"
#include "engine/settings.hpp"
#include "engine/views.hpp"

namespace twoway::engine {

namespace {

constexpr std::size_t kMaxQueue = 1 << 17;  // inbound waiting for the writer (back-pressure)
constexpr std::size_t kMaxBatch = 4096;     // items per transaction
constexpr int kMaxGrowRetries = 16;
constexpr std::size_t kSweepBudget = 10000;

}  // namespace

namespace {
// In `meta` while an engine has the store open; removed when it closes cleanly.
constexpr std::string_view kRunningKey = "running";
}  // namespace

Engine::Engine(EngineConfig config, EngineMode mode)
    : config_(std::move(config)), mode_(mode), phones_(config_.default_region) {
  store_ = std::make_unique<Store>(StoreOptions{config_.path, config_.map_size, config_.durable,
                                                config_.write_map, config_.max_map_size});

  // First run: the configured settings become the stored ones. Then in-flight back to due.
  Settings settings = config_.initial_settings;
  for (int attempt = 0;; ++attempt) {
    try {
      Txn txn(*store_, false);
      settings = read_settings(txn, *store_, config_.initial_settings);
      if (!has_stored_settings(txn, *store_)) write_settings(txn, *store_, settings);
      counters_ = load_counters(txn, *store_);
      const std::size_t moved = migrate_legacy_messages(txn, *store_, counters_);
      const std::size_t moved_inbox = migrate_legacy_inbox(txn, *store_);
      save_counters(txn, *store_, counters_);
      txn.commit();
      if (moved > 0)
        std::fprintf(stderr, "engine: moved %zu messages to the id-keyed message log\n", moved);
      if (moved_inbox > 0)
        std::fprintf(stderr, "engine: moved %zu inbox entries to per-view databases\n",
                     moved_inbox);
      break;
    } catch (const MapFull&) {
      if (attempt >= kMaxGrowRetries || !store_->grow())
        throw StorageError("the store is full (" + std::to_string(store_->map_size()) +
                               " bytes, its largest size): it cannot open",
                           MDB_MAP_FULL);
    }
  }
  settings_ = std::make_shared<const Settings>(settings);
  keywords_ = std::make_shared<const KeywordTable>(settings.keywords);
  live_config_ = std::make_shared<const EngineConfig>(config_);

  if (mode_ == EngineMode::threaded) writer_ = std::thread([this] { writer_loop(); });
  // Nothing lost across a crash: whatever was handed to a bind and not confirmed goes again.
  run<std::size_t>([](Context& ctx) { return requeue_in_flight(ctx); });
  // A store left open by the last run (SIGKILL, power loss): its last answers may not have
  // reached the SMSC, which will redeliver those MO, often with a new timestamp.
  const std::int64_t started = std::time(nullptr);
  run<bool>([started](Context& ctx) {
    const bool unclean = ctx.txn.get(ctx.store.meta, kRunningKey).has_value();
    if (unclean) {
      // The window ends at the last message written before the stop, not at this start: a
      // restart may come minutes later, and texts that arrived well before the stop were
      // answered.
      const std::int64_t last = engine::last_written_at(ctx).value_or(started);
      engine::note_unconfirmed_answers(ctx, last - kUncleanStopSeconds, last + 1);
    }
    ctx.txn.put(ctx.store.meta, kRunningKey, "1");
    return unclean;
  });
}

Engine::~Engine() {
  if (healthy_.load()) {
    try {
      run<bool>([](Context& ctx) { return ctx.txn.del(ctx.store.meta, kRunningKey); });
    } catch (const std::exception& e) {
      std::fprintf(stderr, "engine: could not mark the store closed: %s\n", e.what());
    }
  }
  if (writer_.joinable()) {
    {
      std::lock_guard lock(queue_mu_);
      stop_ = true;
    }
    queue_cv_.notify_all();
    writer_.join();
  }
}

// ---- the writer ----

void Engine::enqueue(Work&& work) {
  if (mode_ == EngineMode::synchronous) {
    Batch batch;
    batch.push_back(std::move(work));
    enqueue(batch);
    return;
  }
  {
    std::unique_lock lock(queue_mu_);
    space_cv_.wait(lock, [&] { return queue_.size() < kMaxQueue || stop_; });
    queue_.push_back(std::move(work));
  }
  queue_cv_.notify_one();
}

void Engine::enqueue(Batch& works) {
  if (mode_ == EngineMode::synchronous) {
    std::lock_guard lock(sync_mu_);
    run_batch(works);
    settle_all();
    return;
  }
  {
    std::unique_lock lock(queue_mu_);
    space_cv_.wait(lock, [&] { return queue_.size() < kMaxQueue || stop_; });
    if (queue_.empty())
      queue_.swap(works);
    else
      for (auto& w : works) queue_.push_back(std::move(w));
  }
  queue_cv_.notify_one();
}

// What a call returns when its transaction did not commit.
template <class R>
R failed_result() {
  return R{};
}
template <>
SendResult failed_result<SendResult>() {
  SendResult r;
  r.error = SendError::storage;
  return r;
}
template <>
ActionError failed_result<ActionError>() {
  return ActionError::storage;
}

namespace {
// Where a blocking call waits for its commit: on the caller's stack, no allocation. The
// completion sets `done` and notifies under the lock, so the waiter cannot return (and destroy
// it) before the writer has let go of it.
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  void notify() {
    std::lock_guard lock(mu);
    done = true;
    cv.notify_one();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [this] { return done; });
  }
};
}  // namespace

template <class R>
R Engine::run(std::function<R(Context&)> fn) {
  R result{};
  Waiter waiter;
  Work w;
  w.type = Work::Type::call;
  // Two references each: both fit std::function's inline storage.
  w.call = [&fn, &result](Context& ctx) { result = fn(ctx); };
  w.done = [&waiter, &result](bool committed) {
    if (!committed) result = failed_result<R>();
    waiter.notify();
  };
  enqueue(std::move(w));
  waiter.wait();
  return result;
}

void Engine::writer_loop() {
  using clock = std::chrono::steady_clock;
  auto last_sync = clock::now();
  auto last_upkeep = clock::now();
  const auto sync_every = std::chrono::milliseconds(std::max(config_.relaxed_sync_ms, 10));
  Batch batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_for(lock, std::min<clock::duration>(sync_every, std::chrono::seconds(1)),
                         [&] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) break;
      if (queue_.size() <= kMaxBatch) {
        batch.swap(queue_);
      } else {
        while (batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    space_cv_.notify_all();
    const std::uint64_t commits_before = store_->last_commit();
    if (!batch.empty()) run_batch(batch);
    batch.clear();
    // A commit made with work behind it is settled by the next one; when that work wrote
    // nothing, or nothing is waiting now, or writes stopped, flush rather than keep them.
    settle();
    if (!unsettled_.empty() &&
        (!healthy_ || store_->last_commit() == commits_before || !more_queued()))
      settle_all();

    const auto now = clock::now();
    if (!config_.durable && now - last_sync >= sync_every) {
      try {
        store_->sync();
      } catch (const StorageError& e) {
        std::fprintf(stderr, "engine: sync failed: %s\n", e.what());
        healthy_ = false;
      }
      last_sync = now;
    }
    if (now - last_upkeep >= std::chrono::seconds(60)) {
      last_upkeep = now;
      const std::int64_t t = latest_time_.load();
      if (t > 0) {
        Batch upkeep(1);
        upkeep[0].call = [this, t](Context& ctx) {
          dlr_sweep_resume_ = sweep_dlr_index(ctx, t, dlr_sweep_resume_, kSweepBudget);
          sweep_held_receipts(ctx, t, kSweepBudget);
        };
        run_batch(upkeep);
        settle_all();
      }
      store_->reader_check();
    }
  }
  settle_all();
  if (!config_.durable) store_->sync();
}

void Engine::apply(Work& work, Context& ctx) {
  switch (work.type) {
    case Work::Type::inbound:
      route_inbound(ctx, work.inbound, &work.prepared);
      break;
    case Work::Type::receipt:
      (void)engine::receive_receipt(ctx, work.receipt);
      break;
    case Work::Type::call:
      if (work.call) work.call(ctx);
      break;
  }
}

std::uint64_t Engine::try_batch(Batch& batch, std::vector<Event>& events,
                                std::vector<OutboundItem>& handed) {
  std::vector<HandedOver> handoff;
  for (int attempt = 0; attempt <= kMaxGrowRetries; ++attempt) {
    events.clear();
    handed.clear();
    handoff.clear();
    bool handing = false;
    std::size_t room = 0;
    {
      std::lock_guard lock(settled_mu_);
      if (handoff_room_ && handoff_take_) {
        handing = true;
        room = handoff_room_();
      }
    }
    Counters counters = counters_;
    {
      std::lock_guard lock(settings_mu_);
      batch_settings_ = settings_;
      batch_keywords_ = keywords_;
      batch_config_ = live_config_;
    }
    try {
      Txn txn(*store_, false);
      Context ctx{*store_,
                  txn,
                  *batch_config_,
                  phones_,
                  batch_settings_.get(),
                  batch_keywords_.get(),
                  counters,
                  events,
                  {},
                  handing && room > 0 ? &handoff : nullptr,
                  room};
      for (auto& w : batch) apply(w, ctx);
      if (!handoff.empty()) handed = confirm_handoff(ctx);
      save_counters(txn, *store_, counters);
      // With more work queued, the next commit's flush carries this one's meta page.
      store_->set_lazy_meta(more_queued());
      const std::uint64_t id = txn.commit();
      counters_ = counters;
      std::lock_guard lock(settings_mu_);
      settings_ = batch_settings_;
      keywords_ = batch_keywords_;
      return id;
    } catch (const MapFull&) {
      // The transaction is aborted (Txn destructor) before the map grows; apply it again. At
      // its largest size the batch is refused instead (retryable for the callers).
      if (!store_->grow()) throw StoreFull{};
    }
  }
  throw StorageError("map full after growing", MDB_MAP_FULL);
}

bool Engine::low_on_room() {
  const std::size_t max = store_->max_map_size();
  if (max == 0) return false;
  // What keeps the store writable at its limit: deleting needs pages too (copy on write), and
  // pages freed by a commit are reused only two commits later.
  const std::size_t reserve = std::clamp<std::size_t>(max / 8, 256 << 10, 64 << 20);
  if (max - std::min(max, store_->used_bytes()) >= reserve)
    return false;  // room past the highest page: no need to count the free list
  const auto now = std::chrono::steady_clock::now();
  if (now - room_checked_ >= std::chrono::milliseconds(200)) {
    room_checked_ = now;
    try {
      low_room_ = store_->room_bytes() < reserve;
    } catch (const std::exception&) {
      low_room_ = true;
    }
  }
  return low_room_;
}

void Engine::run_batch(Batch& batch) {
  std::vector<Event> events;
  std::vector<OutboundItem> handed;
  bool committed = false;
  std::uint64_t txn = 0;
  if (healthy_ && low_on_room()) {
    // The store is at its largest size: new inbound is refused (the SMSC retries it) and the
    // rest, which sends, settles and sweeps, goes on in the reserve and frees pages.
    Outcome& refused = unsettled_.emplace_back();
    Batch rest;
    for (auto& w : batch) {
      if (w.type == Work::Type::inbound) {
        if (w.done) refused.done.push_back(std::move(w.done));
        store_full_refusals_.fetch_add(1, std::memory_order_relaxed);
      } else {
        rest.push_back(std::move(w));
      }
    }
    if (!refused.done.empty() || !rest.empty()) store_full_ = true;
    if (rest.empty()) return;
    batch.swap(rest);
  } else if (healthy_) {
    store_full_ = false;
  }
  if (healthy_) {
    try {
      const auto started = std::chrono::steady_clock::now();
      txn = try_batch(batch, events, handed);
      committed = true;
      {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::lock_guard lock(commit_stats_mu_);
        auto& st = commit_stats_;
        std::size_t i = 0;
        while (i < CommitStats::duration_bounds.size() && seconds > CommitStats::duration_bounds[i])
          ++i;
        ++st.duration_buckets[i];
        std::size_t j = 0;
        const auto n = static_cast<double>(batch.size());
        while (j < CommitStats::batch_bounds.size() && n > CommitStats::batch_bounds[j]) ++j;
        ++st.batch_buckets[j];
        st.duration_sum += seconds;
        st.batch_sum += n;
        ++st.commits;
      }
    } catch (const StoreFull&) {
      // Refused, not failed: the engine stays healthy and the next batch tries again.
      store_full_ = true;
      low_room_ = true;
      store_full_refusals_.fetch_add(batch.size(), std::memory_order_relaxed);
    } catch (const StorageError& e) {
      std::fprintf(stderr, "engine: storage failure: %s\n", e.what());
      healthy_ = false;
    } catch (const std::exception& e) {
      // One item failed for its own reasons: isolate it by applying the items one by one.
      if (batch.size() > 1) {
        for (auto& w : batch) {
          Batch one;
          one.push_back(std::move(w));
          run_batch(one);
        }
        return;
      }
      std::fprintf(stderr, "engine: item refused: %s\n", e.what());
    }
  }
  Outcome& out = unsettled_.emplace_back();
  out.txn = txn;
  out.committed = committed;
  out.done.reserve(batch.size());
  for (auto& w : batch)
    if (w.done) out.done.push_back(std::move(w.done));
  if (committed) {
    out.events = std::move(events);
    out.handed = std::move(handed);
  }
}

bool Engine::more_queued() {
  if (mode_ == EngineMode::synchronous) return false;
  std::lock_guard lock(queue_mu_);
  return !queue_.empty();
}

void Engine::settle() {
  bool called = false;
  std::vector<OutboundItem> handed;
  while (!unsettled_.empty()) {
    Outcome& out = unsettled_.front();
    if (config_.durable && out.committed && out.txn > store_->durable_through()) break;
    for (auto& done : out.done) done(out.committed);
    called = called || !out.done.empty();
    if (out.committed) {
      if (handed.empty())
        handed = std::move(out.handed);
      else
        std::move(out.handed.begin(), out.handed.end(), std::back_inserter(handed));
    }
    publish(out.events);
    unsettled_.pop_front();
  }
  if (called || !handed.empty()) {
    std::lock_guard lock(settled_mu_);
    // Handed over before the settled hook sends the answers: the pump's submissions are
    // posted first.
    if (!handed.empty() && handoff_take_) handoff_take_(std::move(handed));
    if (called && settled_hook_) settled_hook_();
  }
}

void Engine::on_settled(std::function<void()> hook) {
  std::lock_guard lock(settled_mu_);
  settled_hook_ = std::move(hook);
}

void Engine::on_handoff(std::function<std::size_t()> room,
                        std::function<void(std::vector<OutboundItem>)> take) {
  std::lock_guard lock(settled_mu_);
  handoff_room_ = std::move(room);
  handoff_take_ = std::move(take);
}

void Engine::settle_all() {
  if (config_.durable && !unsettled_.empty() && store_->last_commit() > store_->durable_through()) {
    try {
      store_->sync();
    } catch (const StorageError& e) {
      // Committed but perhaps not on disk: report them as not stored (the SMSC sends again).
      std::fprintf(stderr, "engine: sync failed: %s\n", e.what());
      healthy_ = false;
      for (auto& out : unsettled_) {
        out.committed = false;
        out.events.clear();
        out.handed.clear();  // in flight in the store: requeued when it opens again
      }
    }
  }
  settle();
}

CommitStats Engine::commit_stats() const {
  std::lock_guard lock(commit_stats_mu_);
  return commit_stats_;
}

double Engine::writer_cpu_seconds() const {
  if (mode_ != EngineMode::threaded) return 0;
  clockid_t clock{};
  // The writer thread lives as long as the engine (joined in the destructor).
  if (pthread_getcpuclockid(const_cast<std::thread&>(writer_).native_handle(), &clock) != 0)
    return 0;
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void Engine::publish(const std::vector<Event>& events) {
  if (events.empty()) return;
  std::lock_guard lock(subs_mu_);
  for (const auto& e : events)
    for (auto& [id, cb] : subscribers_) cb(e);
}

// ---- the SMPP path ----

void Engine::note_time(std::int64_t received_unix) {
  std::int64_t t = latest_time_.load();
  while (received_unix > t && !latest_time_.compare_exchange_weak(t, received_unix)) {
  }
}

std::shared_ptr<const KeywordTable> Engine::keyword_table() const {
  std::lock_guard lock(settings_mu_);
  return keywords_;
}

void Engine::submit_inbound(InboundMessage message, Completion done) {
  note_time(message.received_unix);
  Work w;
  w.type = Work::Type::inbound;
  w.inbound = std::move(message);
  w.done = std::move(done);
  // Everything that needs no transaction is done here, on the caller's thread.
  prepare_inbound(phones_, keyword_table(), w.inbound, w.prepared);
  enqueue(std::move(w));
}

void Engine::submit_inbound(std::vector<Submission> messages) {
  if (messages.empty()) return;
  const std::shared_ptr<const KeywordTable> keywords = keyword_table();
  Batch works;
  for (auto& m : messages) {
    note_time(m.message.received_unix);
    Work& w = works.emplace_back();
    w.type = Work::Type::inbound;
    w.inbound = std::move(m.message);
    w.done = std::move(m.done);
    prepare_inbound(phones_, keywords, w.inbound, w.prepared);
  }
  enqueue(works);
}

void Engine::submit_receipt(Receipt receipt, Completion done) {
  note_time(receipt.received_unix);
  Work w;
  w.type = Work::Type::receipt;
  w.receipt = std::move(receipt);
  w.done = std::move(done);
  enqueue(std::move(w));
}

void Engine::submit_partial(smpp::StoredPart part, Completion done) {
  auto stored = std::make_shared<bool>(false);
  Work w;
  w.type = Work::Type::call;
  w.call = [p = std::move(part), stored](Context& ctx) { *stored = store_partial(ctx, p); };
  w.done = [stored, done = std::move(done)](bool committed) {
    if (done) done(committed && *stored);
  };
  enqueue(std::move(w));
}

void Engine::note_unconfirmed_answers(std::int64_t from, std::int64_t to) {
  run<bool>([from, to](Context& ctx) {
    engine::note_unconfirmed_answers(ctx, from, to);
    return true;
  });
}

void Engine::drop_partials(std::vector<PartKey> keys) {
  run<bool>([k = std::move(keys)](Context& ctx) {
    for (const auto& key : k) drop_partial(ctx, key);
    return true;
  });
}

std::vector<smpp::StoredPart> Engine::stored_partials(std::size_t limit) const {
  Txn txn(*store_, true);
  return read_partials(txn, *store_, limit);
}

std::vector<smpp::StoredPart> Engine::stored_partials(std::span<const PartKey> keys) const {
  Txn txn(*store_, true);
  return read_partials(txn, *store_, keys);
}

InboundResult Engine::apply_inbound(InboundMessage message) {
  std::int64_t t = latest_time_.load();
  while (message.received_unix > t &&
         !latest_time_.compare_exchange_weak(t, message.received_unix)) {
  }
  PreparedInbound prepared;
  prepare_inbound(phones_, keyword_table(), message, prepared);
  return run<InboundResult>(
      [&message, &prepared](Context& ctx) { return route_inbound(ctx, message, &prepared); });
}

Engine::OutboxSpan Engine::outbox_span() const {
  Txn txn(*store_, true);
  OutboxSpan span;
  span.next = load_counters(txn, *store_).next_outbox_id;
  Cursor c(txn, store_->outbox_ids);
  if (c.first() && c.key().size() == 8) span.oldest = records::get_be64(c.key());
  return span;
}

std::uint64_t Engine::applied_log_seq(std::uint32_t partition) const {
  Txn txn(*store_, true);
  return engine::applied_log_seq(txn, *store_, partition);
}

bool Engine::apply_receipt(Receipt receipt) {
  return run<bool>(
      [r = std::move(receipt)](Context& ctx) { return engine::receive_receipt(ctx, r); });
}

// ---- outbox ----

std::vector<OutboundItem> Engine::claim_due(std::int64_t now, std::size_t limit) {
  return run<std::vector<OutboundItem>>(
      [now, limit](Context& ctx) { return engine::claim_due(ctx, now, limit); });
}

bool Engine::mark_submitted(std::uint64_t id, std::uint32_t segment,
                            std::string_view smsc_message_id, std::int64_t now) {
  return run<bool>([id, segment, sid = std::string(smsc_message_id), now](Context& ctx) {
    return engine::mark_submitted(ctx, id, segment, sid, now);
  });
}

void Engine::submit_submitted(std::uint64_t id, std::uint32_t segment, std::string smsc_message_id,
                              std::int64_t now, Completion done) {
  auto recorded = std::make_shared<bool>(false);
  Work w;
  w.type = Work::Type::call;
  w.call = [id, segment, sid = std::move(smsc_message_id), now, recorded](Context& ctx) {
    *recorded = engine::mark_submitted(ctx, id, segment, sid, now);
  };
  w.done = [recorded, done = std::move(done)](bool committed) {
    if (done) done(committed && *recorded);
  };
  enqueue(std::move(w));
}

bool Engine::mark_failed(std::uint64_t id, std::string_view error, SubmitFailure failure,
                         std::int64_t now) {
  return run<bool>([id, err = std::string(error), failure, now](Context& ctx) {
    return engine::mark_failed(ctx, id, err, failure, now);
  });
}

// ---- admin actions ----

std::string Engine::normalize(std::string_view raw) const {
  return phones_.normalize(raw);
}

StaffOutcome Engine::perform(StaffAction action) {
  std::string& number = staff_number(action);
  number = normalize(number);
  StaffOutcome outcome = run<StaffOutcome>(
      [&action](Context& ctx) -> StaffOutcome { return apply_staff_action(ctx, action); });
  // Without a log position an action is always applied: monostate means no commit.
  if (std::holds_alternative<std::monostate>(outcome)) return failed_staff_outcome(action);
  return outcome;
}

void Engine::submit_staff(StaffAction action, LogPosition log,
                          std::function<void(bool, StaffOutcome)> done) {
  std::string& number = staff_number(action);
  number = normalize(number);
  struct State {
    StaffAction action;
    StaffOutcome outcome;
  };
  auto state = std::make_shared<State>(State{std::move(action), {}});
  Work w;
  w.type = Work::Type::call;
  w.call = [state, log](Context& ctx) {
    state->outcome = apply_staff_action(ctx, state->action, log);
  };
  w.done = [state, done = std::move(done)](bool committed) {
    done(committed, committed ? state->outcome : failed_staff_outcome(state->action));
  };
  enqueue(std::move(w));
}

SendResult Engine::reply(ReplyRequest request) {
  return std::get<SendResult>(perform(std::move(request)));
}

SendResult Engine::send(SendRequest request) {
  return std::get<SendResult>(perform(std::move(request)));
}

namespace {
ActionError action_error(const StaffOutcome& outcome) {
  return std::get<ActionError>(outcome);
}
}  // namespace

ActionError Engine::mark_read(std::string_view number, bool read, std::int64_t now) {
  return action_error(perform(FlagChange{std::string(number), FlagChange::Flag::read, read, now}));
}

ActionError Engine::set_archived(std::string_view number, bool archived, std::int64_t now) {
  return action_error(
      perform(FlagChange{std::string(number), FlagChange::Flag::archived, archived, now}));
}

ActionError Engine::set_blocked(std::string_view number, bool blocked, std::int64_t now) {
  return action_error(
      perform(FlagChange{std::string(number), FlagChange::Flag::blocked, blocked, now}));
}

ActionError Engine::resolve_revocation(std::string_view number, bool opt_out,
                                       std::string_view actor, std::int64_t now) {
  return action_error(
      perform(RevocationDecision{std::string(number), opt_out, std::string(actor), now}));
}

ActionError Engine::set_name(std::string_view number, std::string_view name, std::int64_t now) {
  return action_error(perform(NameChange{std::string(number), std::string(name), now}));
}

ActionError Engine::import_consent(std::string_view number, Consent consent, ConsentSource source,
                                   std::int64_t now, std::string_view actor) {
  return action_error(
      perform(ConsentDecision{std::string(number), consent, source, std::string(actor), now}));
}

std::vector<std::string> Engine::set_settings(Settings settings) {
  std::vector<std::string> errors = settings_errors(settings);
  if (!errors.empty()) return errors;
  auto s = std::make_shared<const Settings>(std::move(settings));
  auto k = std::make_shared<const KeywordTable>(s->keywords);
  const bool ok = run<bool>([this, s, k](Context& ctx) {
    write_settings(ctx.txn, ctx.store, *s);
    batch_settings_ = s;
    batch_keywords_ = k;
    ctx.settings = s.get();
    ctx.keywords = k.get();
    Event e;
    e.type = EventType::settings;
    ctx.events.push_back(std::move(e));
    return true;
  });
  if (!ok) errors.push_back("storage: not stored");
  return errors;
}

Organization Engine::organization() const {
  std::lock_guard lock(settings_mu_);
  return live_config_->organization;
}

void Engine::reconfigure(const EngineConfig& next) {
  auto config = std::make_shared<EngineConfig>(config_);
  config->organization = next.organization;
  config->sending_numbers = next.sending_numbers;
  config->credit_rates = next.credit_rates;
  config->default_credit_rate = next.default_credit_rate;
  std::lock_guard lock(settings_mu_);
  live_config_ = std::move(config);
}

std::optional<ShortLink> Engine::link(std::string_view code) const {
  Txn txn(*store_, true);
  return find_link(txn, *store_, code);
}

void Engine::count_clicks(std::vector<std::pair<std::string, std::uint64_t>> clicks,
                          Completion done) {
  Work w;
  w.type = Work::Type::call;
  w.call = [c = std::move(clicks)](Context& ctx) {
    for (const auto& [code, n] : c) (void)add_link_clicks(ctx.txn, ctx.store, code, n);
  };
  w.done = std::move(done);
  enqueue(std::move(w));
}

Settings Engine::settings() const {
  std::lock_guard lock(settings_mu_);
  return *settings_;
}

// ---- views ----

InboxPage Engine::inbox(InboxView view, std::string_view cursor, std::size_t limit) const {
  Txn txn(*store_, true);
  return inbox_page(txn, *store_, view, cursor, limit);
}

ThreadPage Engine::thread(std::string_view number, std::uint64_t before, std::size_t limit,
                          std::int64_t now) const {
  const std::string n = normalize(number);
  Txn txn(*store_, true);
  return thread_page(txn, *store_, phones_, n, before, limit, now);
}

std::optional<Profile> Engine::profile(std::string_view number) const {
  const std::string n = normalize(number);
  Txn txn(*store_, true);
  Profile p;
  if (!read_profile(txn, *store_, n, p)) return std::nullopt;
  return p;
}

ConsentLogPage Engine::consent_log(std::string_view number, std::int64_t since, std::int64_t until,
                                   std::string_view after, std::size_t limit) const {
  const std::string n = number.empty() ? std::string() : normalize(number);
  if (!number.empty() && n.empty()) return {};  // not a number: nothing was logged for it
  Txn txn(*store_, true);
  return consent_log_page(txn, *store_, n, since, until, after, limit);
}

ExportPage Engine::export_messages(std::int64_t since, std::uint64_t after,
                                   std::size_t limit) const {
  Txn txn(*store_, true);
  return export_page(txn, *store_, since, after, limit);
}

std::int64_t Engine::waiting_threshold() const {
  std::lock_guard lock(settings_mu_);
  return settings_->notifications.waiting_threshold_seconds;
}

InboxPage Engine::waiting(std::string_view cursor, std::size_t limit, std::int64_t now) const {
  const std::int64_t threshold = waiting_threshold();
  Txn txn(*store_, true);
  return waiting_page(txn, *store_, now, threshold, cursor, limit);
}

Stats Engine::stats(std::int64_t now) const {
  std::int64_t threshold;
  {
    std::lock_guard lock(settings_mu_);
    threshold = settings_->notifications.waiting_threshold_seconds;
  }
  Txn txn(*store_, true);
  return read_stats(txn, *store_, now, threshold);
}

// ---- change feed and upkeep ----

std::uint64_t Engine::subscribe(EventCallback callback) {
  std::lock_guard lock(subs_mu_);
  const std::uint64_t id = next_sub_++;
  subscribers_.emplace(id, std::move(callback));
  return id;
}

void Engine::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(subs_mu_);
  subscribers_.erase(id);
}

void Engine::housekeeping(std::int64_t now) {
  run<bool>([this, now](Context& ctx) {
    dlr_sweep_resume_ = sweep_dlr_index(ctx, now, dlr_sweep_resume_, kSweepBudget);
    sweep_held_receipts(ctx, now, kSweepBudget);
    return true;
  });
  store_->reader_check();
}

void Engine::after_pending(Completion done) {
  Work w;
  w.type = Work::Type::call;
  w.done = std::move(done);
  enqueue(std::move(w));
}

void Engine::flush() {
  run<bool>([](Context&) { return true; });
}

// ---- bulk sends and consent imports ----

void Engine::send_group(BulkSend request, std::function<void(std::vector<BulkOutcome>)> done) {
  auto result = std::make_shared<std::vector<BulkOutcome>>();
  const std::size_t n = request.numbers.size();
  Work w;
  w.type = Work::Type::call;
  w.call = [r = std::move(request), result](Context& ctx) {
    *result = campaign_send_group(ctx, r);
  };
  w.done = [result, n, done = std::move(done)](bool committed) {
    if (!committed) {
      result->assign(n, BulkOutcome{});
      for (auto& o : *result) o.error = SendError::storage;
    }
    if (done) done(std::move(*result));
  };
  enqueue(std::move(w));
}

void Engine::import_consent_group(
    ConsentImport request, std::function<void(std::optional<std::vector<ImportOutcome>>)> done) {
  auto result = std::make_shared<std::vector<ImportOutcome>>();
  Work w;
  w.type = Work::Type::call;
  w.call = [r = std::move(request), result](Context& ctx) {
    *result = engine::import_consent_group(ctx, r);
  };
  w.done = [result, done = std::move(done)](bool committed) {
    if (!done) return;
    if (committed)
      done(std::move(*result));
    else
      done(std::nullopt);
  };
  enqueue(std::move(w));
}

}  // namespace twoway::engine
