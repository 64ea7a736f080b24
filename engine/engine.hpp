// The conversation engine's public face for the daemon: inbound messages and receipts in
// (group-committed by one writer; completions run after the durable commit), the outbox for the
// sending side, admin actions with typed results, views on read transactions from any thread,
// and an in-process change feed.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/actions.hpp"
#include "engine/context.hpp"
#include "engine/export.hpp"
#include "engine/keywords.hpp"
#include "engine/partials.hpp"
#include "engine/phone.hpp"
#include "engine/router.hpp"
#include "engine/staff_action.hpp"
#include "engine/store.hpp"
#include "engine/types.hpp"
#include "engine/views.hpp"

namespace twoway::engine {

enum class EngineMode {
  threaded,     // one writer thread drains the queue, one transaction per batch (group commit)
  synchronous,  // every call applies and commits on the caller's thread (tests, tools)
};

/// Group-commit figures for metrics: how long each write transaction took (apply + commit,
/// fsync included when durable) and how many items it carried. Cumulative histograms.
struct CommitStats {
  static constexpr std::array<double, 10> duration_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                          0.025,  0.05,  0.1,    0.25,  1.0};
  static constexpr std::array<double, 8> batch_bounds{1, 2, 4, 16, 64, 256, 1024, 4096};
  std::array<std::uint64_t, duration_bounds.size() + 1> duration_buckets{};  // last: +Inf
  std::array<std::uint64_t, batch_bounds.size() + 1> batch_buckets{};
  double duration_sum = 0;
  double batch_sum = 0;
  std::uint64_t commits = 0;
};

class Engine {
 public:
  // Opens the store (throws StorageError when it cannot), puts in-flight outbound back to due,
  // loads the settings (the configured initial ones the first time) and starts the writer.
  explicit Engine(EngineConfig config, EngineMode mode = EngineMode::threaded);
  // Applies everything still queued, then stops the writer.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- the SMPP path ----

  // Completions run on the writer thread: like event callbacks they must not call the engine's
  // writes. A receipt that comes before the mark_submitted() of its message is held for ten
  // minutes and applied when the id is recorded (receive_receipt in outbox.hpp).
  //
  // Queues an inbound message. `done(true)` runs on the writer thread after the transaction
  // holding the message and all its effects committed (answer deliver_sm then); `done(false)`
  // if it could not be stored (do not acknowledge). Blocks while the queue is full.
  void submit_inbound(InboundMessage message, Completion done);
  // Runs `hook` on the writer thread after the completions of one or more commits were called,
  // once for the lot: where a caller's completions only collect answers, the hook sends them
  // (one socket write per bind for everything a commit settled). Like a completion it must not
  // call the engine's writes. nullptr removes it; once this returns, the old hook is not
  // running and will not run again.
  void on_settled(std::function<void()> hook);
  // The sending side takes messages in the transaction that queues them, without a claim: a
  // reply or answer due at once, past the same checks claim_due() makes, is written in flight
  // and handed to `take` once its commit is durable (before the settled hook), on the writer
  // thread; like a completion, `take` must not call the engine's writes. `room` (asked once
  // per transaction, on the writer) bounds how many one transaction hands over; campaign and
  // flow messages always wait for claim_due(). A message that a later item of the same
  // transaction cancelled (STOP) is not handed over. Replaces the previous pair; nullptrs
  // remove them.
  void on_handoff(std::function<std::size_t()> room,
                  std::function<void(std::vector<OutboundItem>)> take);
  // Several at once (e.g. every deliver_sm of one socket read): queued together, so the writer
  // takes them into one transaction unless the queue holds more than a batch.
  struct Submission {
    InboundMessage message;
    Completion done;
  };
  void submit_inbound(std::vector<Submission> messages);
  // Same for a delivery receipt; `done(true)` also when no message has the id (yet).
  void submit_receipt(Receipt receipt, Completion done);
  // Stores a reassembly part that waits for its siblings; `done(true)` after the commit (then
  // acknowledge the part). Parts larger than kMaxPartialBytes get `done(false)`.
  void submit_partial(smpp::StoredPart part, Completion done);
  // Answers to inbound received in [from, to] (Unix seconds) may not have reached the SMSC
  // (written into a link that then dropped): a redelivery of one of them with a new timestamp
  // and reference is recognised by sender, destination and text for kWeakRedeliverySeconds
  // (redelivery.hpp). Waits for the commit. The engine notes the same itself at start-up after
  // an unclean stop, for the kUncleanStopSeconds before the last message written.
  void note_unconfirmed_answers(std::int64_t from, std::int64_t to);
  // Removes stored parts (their set timed out and was submitted or dropped).
  void drop_partials(std::vector<PartKey> keys);
  // Stored parts for Reassembler::restore at start-up, oldest first.
  std::vector<smpp::StoredPart> stored_partials(std::size_t limit = 100000) const;
  // The stored parts among `keys` (Reassembler::reopen after a refused message).
  std::vector<smpp::StoredPart> stored_partials(std::span<const PartKey> keys) const;
  // The outbox as a range of ids: the oldest message still queued, held or in flight (0: none
  // is) and the id the next queued message will get. Once `oldest` passes an earlier `next`,
  // everything queued before that moment has left (sent, failed or cancelled). A read
  // transaction.
  struct OutboxSpan {
    std::uint64_t oldest = 0;
    std::uint64_t next = 1;
  };
  OutboxSpan outbox_span() const;
  // The last sequence of the cluster's inbound log partition `partition` this store applied
  // (InboundMessage::log; 0: none). A read transaction.
  std::uint64_t applied_log_seq(std::uint32_t partition) const;
  // Waiting variants: apply, commit, return what happened.
  InboundResult apply_inbound(InboundMessage message);
  bool apply_receipt(Receipt receipt);

  // ---- the outbox (sending side) ----

  // Up to `limit` messages due at `now`, now in flight. Consent and blocking are re-checked in
  // the same transaction (opt-out wins races); campaign and flow messages wait for the quiet
  // hours to end and for room under the number's frequency cap.
  std::vector<OutboundItem> claim_due(std::int64_t now, std::size_t limit);
  // The SMSC accepted segment `segment` (0-based) with this message id.
  bool mark_submitted(std::uint64_t id, std::uint32_t segment, std::string_view smsc_message_id,
                      std::int64_t now);
  // The same without waiting: queued now, so a receipt submitted after this call finds the id;
  // `done(true)` on the writer thread after the commit that recorded it.
  void submit_submitted(std::uint64_t id, std::uint32_t segment, std::string smsc_message_id,
                        std::int64_t now, Completion done);
  // The SMSC refused it or the bind failed; retryable ones come back after a backoff, and
  // transport failures never use up an attempt (see outbox.hpp mark_failed).
  bool mark_failed(std::uint64_t id, std::string_view error, SubmitFailure failure,
                   std::int64_t now);
  // The same with `retryable` meaning an SMSC refusal for now (counts an attempt).
  bool mark_failed(std::uint64_t id, std::string_view error, bool retryable, std::int64_t now) {
    return mark_failed(id, error,
                       retryable ? SubmitFailure::refused_retryable : SubmitFailure::refused, now);
  }

  // ---- admin actions (numbers are normalised like inbound senders) ----

  // One staff action (engine/staff_action.hpp) in its own transaction; the call returns once
  // it is durable. The calls below are this for one kind of action.
  StaffOutcome perform(StaffAction action);
  // Queued behind what was submitted before and applied in the writer's order, at `log` (a
  // position of the cluster's log: applied once); `done(committed, outcome)` runs on the writer
  // once the commit is durable (outcome storage when it did not commit).
  void submit_staff(StaffAction action, LogPosition log,
                    std::function<void(bool, StaffOutcome)> done);

  SendResult reply(ReplyRequest request);
  SendResult send(SendRequest request);  // campaign / flow
  ActionError mark_read(std::string_view number, bool read, std::int64_t now);
  ActionError set_archived(std::string_view number, bool archived, std::int64_t now);
  ActionError set_blocked(std::string_view number, bool blocked, std::int64_t now);
  ActionError set_name(std::string_view number, std::string_view name, std::int64_t now);
  // Staff decide a conversation flagged `revocation?` (see router.hpp): opt_out, or keep.
  // not_found: no such profile; invalid: not flagged.
  ActionError resolve_revocation(std::string_view number, bool opt_out, std::string_view actor,
                                 std::int64_t now);
  // `actor`: the admin's user name, or the import's name (kept in the consent log).
  // consent_locked when the customer opted out by their own text (see consent.hpp).
  ActionError import_consent(std::string_view number, Consent consent, ConsentSource source,
                             std::int64_t now, std::string_view actor = {});
  // Stores new settings; returns the problems instead when they are unusable (nothing stored).
  std::vector<std::string> set_settings(Settings settings);
  Settings settings() const;

  // ---- short links (engine/links.hpp) ----

  // The stored link of a code (a read transaction; any thread); nullopt for an unknown or
  // malformed code.
  std::optional<ShortLink> link(std::string_view code) const;
  // Adds clicks to links (code, clicks), without waiting: one queued write for a whole batch
  // of clicks. Unknown codes are skipped. `done` runs on the writer thread after the commit.
  void count_clicks(std::vector<std::pair<std::string, std::uint64_t>> clicks,
                    Completion done = {});

  // ---- views (read transactions; any thread; never block the writer) ----

  InboxPage inbox(InboxView view, std::string_view cursor = {}, std::size_t limit = 0) const;
  ThreadPage thread(std::string_view number, std::uint64_t before, std::size_t limit,
                    std::int64_t now) const;
  std::optional<Profile> profile(std::string_view number) const;
  // The consent log, oldest first: entries with since <= time < until (until 0: no end) for
  // one number (normalised; "" = every number), a page of `limit` (0: 100, at most 1000) after
  // the cursor `after` (the previous page's next_cursor). An unusable cursor sets bad_cursor.
  ConsentLogPage consent_log(std::string_view number, std::int64_t since, std::int64_t until,
                             std::string_view after = {}, std::size_t limit = 0) const;
  // The message log in id order for checkers (see export.hpp): messages created at or after
  // `since`, after the id `after`, a page of `limit`.
  ExportPage export_messages(std::int64_t since, std::uint64_t after, std::size_t limit) const;
  Stats stats(std::int64_t now) const;
  // Conversations waiting for an answer longer than the settings' threshold
  // (notifications.waiting_threshold_seconds), oldest first (views.hpp waiting_page).
  InboxPage waiting(std::string_view cursor, std::size_t limit, std::int64_t now) const;
  std::int64_t waiting_threshold() const;
  // Location and zones for a thread header without a profile.
  const PhoneNumbers& phones() const noexcept { return phones_; }
  // The organization in force (changed by reconfigure).
  Organization organization() const;
  // What a reload may change while running: the organization, the sending numbers and the
  // credit rates. Work applied from the next batch on sees the new values; everything else in
  // `next` (store, region, limits) is ignored, since it is fixed at start.
  void reconfigure(const EngineConfig& next);
  // An admin-entered number in the stored form (E.164 when it can be read), "" if unusable.
  std::string normalize(std::string_view raw) const;

  // ---- change feed ----

  // The callback runs on the writer thread after each commit, in commit order; keep it short
  // (hand the event to a queue). It must not call the engine's writes, subscribe() or
  // unsubscribe() (they would wait for the writer that runs it). Returns an id for
  // unsubscribe().
  std::uint64_t subscribe(EventCallback callback);
  void unsubscribe(std::uint64_t id);

  // ---- upkeep ----

  // Purges expired receipt ids and held receipts, clears stale readers. The writer runs it
  // about once a minute on its own; tests call it with their clock.
  void housekeeping(std::int64_t now);
  // Returns once everything queued before the call is committed.
  void flush();
  // Calls done(committed) once everything queued before the call is committed (without
  // waiting): for answers that must follow an earlier message's commit.
  void after_pending(Completion done);
  std::size_t map_size() const noexcept { return store_->map_size(); }
  // The largest the map may grow (EngineConfig::max_map_size; 0 = no limit).
  std::size_t max_map_size() const noexcept { return store_->max_map_size(); }
  // Bytes of the map in use (Store::used_bytes).
  std::size_t store_used_bytes() const noexcept { return store_->used_bytes(); }
  // True while the store is at its largest size (EngineConfig::max_map_size) with less room
  // than its reserve (an eighth of it, 256 KiB to 64 MiB): new inbound is refused (its
  // callers see "not committed", retryable) while sending, receipts and sweeps go on in the
  // reserve, until deletions free pages. Not a failure: healthy() stays true.
  bool store_full() const noexcept { return store_full_.load(); }
  // Items refused because the store was full, since start.
  std::uint64_t store_full_refusals() const noexcept { return store_full_refusals_.load(); }
  // False once a storage failure made the engine refuse writes (the daemon should stop).
  bool healthy() const noexcept { return healthy_.load(); }
  // Transactions committed so far, with their durations and batch sizes.
  CommitStats commit_stats() const;
  // Ids of the newest committed transaction and of the newest one known to be on disk
  // (Store::durable_through); completions of a commit run once the second reaches it.
  std::uint64_t last_commit() const noexcept { return store_->last_commit(); }
  std::uint64_t durable_through() const noexcept { return store_->durable_through(); }
  // CPU time the writer thread has used (user + system, fsync included); 0 in synchronous mode.
  // Commits per writer CPU-second is the engine's cost independent of how busy the machine is.
  double writer_cpu_seconds() const;

  // ---- bulk sends and consent imports (admin send-bulk, consent-import) ----

  // A group of campaign/flow sends (campaign_send_group in actions.hpp): numbers normalised by
  // the caller (normalize(); "" for an unusable one). Queued without waiting; `done` runs on
  // the writer thread after the durable commit of the one transaction that holds them all,
  // with one outcome per number (every one SendError::storage when it did not commit).
  void send_group(BulkSend request, std::function<void(std::vector<BulkOutcome>)> done);
  // A group of consent changes (import_consent_group), likewise in one transaction; `done`
  // gets std::nullopt when it did not commit.
  void import_consent_group(ConsentImport request,
                            std::function<void(std::optional<std::vector<ImportOutcome>>)> done);

 private:
  struct Work {
    enum class Type : std::uint8_t { inbound, receipt, call } type = Type::call;
    InboundMessage inbound;
    PreparedInbound prepared;  // worked out on the submitting thread (router.hpp)
    Receipt receipt;
    std::function<void(Context&)> call;
    Completion done;
  };

  // A deque, so the writer takes a whole queue by swapping it instead of moving every item.
  using Batch = std::deque<Work>;

  template <class R>
  R run(std::function<R(Context&)> fn);
  void enqueue(Work&& work);
  // Queues several together (the writer takes them into one transaction when it can).
  void enqueue(Batch& works);
  void note_time(std::int64_t received_unix);
  // The keyword table in force, for preparing inbound before it is queued.
  std::shared_ptr<const KeywordTable> keyword_table() const;
  void writer_loop();
  void run_batch(Batch& batch);
  // True when the store is at its largest size with less room than its reserve (writer only).
  bool low_on_room();
  // The transaction id (0: nothing written) or throws.
  std::uint64_t try_batch(Batch& batch, std::vector<Event>& events,
                          std::vector<OutboundItem>& handed);
  // A transaction's completions and events, held until the commit is on disk.
  struct Outcome {
    std::uint64_t txn = 0;  // 0: nothing to wait for
    bool committed = false;
    std::vector<Completion> done;
    std::vector<Event> events;
    std::vector<OutboundItem> handed;  // for handoff_take_ once durable
  };
  bool more_queued();
  // Runs the outcomes whose commit is durable (all of them in relaxed mode).
  void settle();
  // Flushes to disk when something still waits for it, then settles everything.
  void settle_all();
  void apply(Work& work, Context& ctx);
  void publish(const std::vector<Event>& events);

  EngineConfig config_;
  EngineMode mode_;
  PhoneNumbers phones_;
  std::unique_ptr<Store> store_;
  Counters counters_;

  mutable std::mutex settings_mu_;
  std::shared_ptr<const Settings> settings_;
  std::shared_ptr<const KeywordTable> keywords_;
  // Within a batch: settings edited by an earlier item apply to later ones.
  std::shared_ptr<const Settings> batch_settings_;
  std::shared_ptr<const KeywordTable> batch_keywords_;
  // The configuration in force (config_ with what reconfigure changed), and the batch's copy.
  std::shared_ptr<const EngineConfig> live_config_;
  std::shared_ptr<const EngineConfig> batch_config_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::condition_variable space_cv_;
  std::deque<Work> queue_;
  bool stop_ = false;
  std::mutex sync_mu_;  // synchronous mode: one batch at a time

  std::mutex subs_mu_;
  std::mutex settled_mu_;  // held while settled_hook_ runs
  std::function<void()> settled_hook_;
  std::function<std::size_t()> handoff_room_;                    // under settled_mu_
  std::function<void(std::vector<OutboundItem>)> handoff_take_;  // under settled_mu_
  std::map<std::uint64_t, EventCallback> subscribers_;
  std::uint64_t next_sub_ = 1;

  std::atomic<std::int64_t> latest_time_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<bool> store_full_{false};
  std::atomic<std::uint64_t> store_full_refusals_{0};
  bool low_room_ = false;                               // writer only
  std::chrono::steady_clock::time_point room_checked_;  // writer only
  std::deque<Outcome> unsettled_;  // writer only (or under sync_mu_ in synchronous mode)
  mutable std::mutex commit_stats_mu_;
  CommitStats commit_stats_;
  std::string dlr_sweep_resume_;
  std::thread writer_;
};

}  // namespace twoway::engine
