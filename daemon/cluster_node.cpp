#include "daemon/cluster_node.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "cluster/log_entry.hpp"
#include "cluster/partition.hpp"

namespace twoway::daemon {

namespace {

// A publish without an answer for this long is refused (the SMSC sends the message again).
constexpr auto kPublishAnswerLimit = std::chrono::seconds(10);
// How often the marks of applied entries are written (what a node that dies has answered in
// the last interval is answered again by the next owner: at most this much).
constexpr auto kMarkInterval = std::chrono::milliseconds(100);
// The lag (entries not read yet per partition held) is asked of JetStream every this many
// seconds for the metrics.
constexpr std::uint64_t kLagSampleRounds = 5;

std::string run_token() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

ClusterNode::ClusterNode(const cluster::ClusterConfig& config, engine::Engine& engine)
    : engine_(engine),
      config_(config),
      connection_(config),
      log_(connection_),
      staff_prefix_(config.node + "." + run_token() + "."),
      leases_(connection_, {[this](std::uint32_t p) { acquired(p); },
                            [this](std::uint32_t p) { released(p); }}) {
  maintenance_ = std::thread([this] { maintain(); });
  settings_ = std::make_unique<SettingsShare>(connection_.state(), engine_);
}

ClusterNode::~ClusterNode() {
  settings_.reset();
  stop_serving();
  stop(true);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

std::string ClusterNode::stored_number(const std::string& number) const {
  const std::string stored = engine_.phones().normalize(number);
  return stored.empty() ? number : stored;
}

std::optional<std::string> ClusterNode::owner_of(const std::string& number) const {
  const std::uint32_t p = cluster::partition_of(stored_number(number), config_.partitions);
  const auto mine = leases_.owned();
  if (std::find(mine.begin(), mine.end(), p) != mine.end()) return config_.node;
  const auto holders = leases_.holders();
  if (auto it = holders.find(p); it != holders.end() && it->second != config_.node) {
    return it->second;
  }
  return std::nullopt;
}

bool ClusterNode::holds(const std::string& number) const {
  const std::uint32_t p = cluster::partition_of(stored_number(number), config_.partitions);
  const auto mine = leases_.owned();
  return std::find(mine.begin(), mine.end(), p) != mine.end();
}

std::vector<std::string> ClusterNode::nodes() const {
  return leases_.nodes();
}

namespace {

std::string admin_subject(const std::string& node) {
  return "twoway.admin." + node;
}

}  // namespace

void ClusterNode::serve(Service service) {
  std::lock_guard lock(serve_mu_);
  service_ = std::make_shared<Service>(std::move(service));
  if (subscription_ != nullptr) return;
  cluster::check_nats(
      natsConnection_Subscribe(&subscription_, connection_.get(),
                               admin_subject(config_.node).c_str(), &ClusterNode::on_request, this),
      "subscribing to " + admin_subject(config_.node));
}

void ClusterNode::stop_serving() {
  natsSubscription* sub = nullptr;
  {
    std::lock_guard lock(serve_mu_);
    sub = subscription_;
    subscription_ = nullptr;
  }
  if (sub != nullptr) {
    // Requests already delivered to the subscription are served (drained) before it goes:
    // one that came later reaches no responder, and the asking node asks the new owner.
    if (natsSubscription_Drain(sub) == NATS_OK) {
      (void)natsSubscription_WaitForDrainCompletion(sub, 2000);
    } else {
      (void)natsSubscription_Unsubscribe(sub);
    }
    natsSubscription_Destroy(sub);
  }
  std::lock_guard lock(serve_mu_);
  service_.reset();
}

void ClusterNode::on_request(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<ClusterNode*>(closure);
  const char* reply = natsMsg_GetReply(msg);
  std::string request(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  std::string to = reply != nullptr ? reply : "";
  natsMsg_Destroy(msg);
  std::shared_ptr<Service> service;
  {
    std::lock_guard lock(self->serve_mu_);
    service = self->service_;
  }
  if (!service || to.empty()) return;
  (*service)(std::move(request), [nc, to](std::string answer) {
    (void)natsConnection_Publish(nc, to.c_str(), answer.data(), static_cast<int>(answer.size()));
  });
}

std::optional<std::string> ClusterNode::request(const std::string& node, const std::string& payload,
                                                std::chrono::milliseconds timeout,
                                                bool* nobody) const {
  natsMsg* reply = nullptr;
  const natsStatus s = natsConnection_Request(
      &reply, connection_.get(), admin_subject(node).c_str(), payload.data(),
      static_cast<int>(payload.size()), static_cast<std::int64_t>(timeout.count()));
  if (nobody != nullptr) *nobody = s == NATS_NO_RESPONDERS;
  if (s != NATS_OK) return std::nullopt;
  std::string out(natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  return out;
}

void ClusterNode::start() {
  SPDLOG_INFO("cluster node={} partitions={} nats={}", config_.node, config_.partitions,
              fmt::join(config_.nats, ","));
  leases_.start();
}

void ClusterNode::stop(bool hand_over) {
  leases_.stop(hand_over);
}

void ClusterNode::publish(const engine::InboundMessage& message, std::function<void(bool)> done) {
  const std::string number =
      engine_.phones().normalize(message.source, message.source_ton, message.source_npi);
  publish_entry(number.empty() ? message.source : number, cluster::encode_entry(message),
                std::move(done));
}

void ClusterNode::publish(const engine::Receipt& receipt, const std::string& customer,
                          std::function<void(bool)> done) {
  // With the customer's partition, where the message it reports on was queued and sent.
  const std::string number = engine_.phones().normalize(customer);
  publish_entry(number.empty() ? customer : number, cluster::encode_entry(receipt),
                std::move(done));
}

void ClusterNode::publish_entry(const std::string& customer, const std::string& entry,
                                std::function<void(bool)> done) {
  log_.publish(cluster::partition_of(customer, config_.partitions), entry,
               [this, done = std::move(done)](bool stored, std::uint64_t) {
                 (stored ? published_ : publish_failed_).fetch_add(1, std::memory_order_relaxed);
                 done(stored);
               });
}

namespace {

std::string mark_key(std::uint32_t p) {
  return "applied." + std::to_string(p);
}

}  // namespace

void ClusterNode::open_reader(std::uint32_t p) {
  const std::uint64_t after = engine_.applied_log_seq(p);
  // How far the partition's previous owners applied (and answered) it.
  std::uint64_t mark = 0;
  if (const auto kept = connection_.state().get(mark_key(p))) {
    try {
      mark = std::stoull(kept->value);
    } catch (const std::exception&) {
      mark = 0;
    }
  }
  {
    std::lock_guard lock(mu_);
    replay_through_[p] = mark;
    marks_[p] = std::max(mark, after);
    marks_written_[p] = mark;
  }
  auto reader = std::make_unique<cluster::PartitionReader>(
      connection_, p, after,
      [this, p](std::uint64_t seq, std::optional<cluster::LogEntry> entry,
                const std::string& error) { apply(p, seq, std::move(entry), error); });
  std::lock_guard lock(mu_);
  readers_[p] = std::move(reader);
  SPDLOG_INFO("cluster partition={} applying after seq={} (answered elsewhere through {})", p,
              after, mark);
}

void ClusterNode::acquired(std::uint32_t p) {
  std::lock_guard ops(reader_ops_mu_);
  try {
    open_reader(p);
  } catch (const std::exception& e) {
    SPDLOG_ERROR("cluster partition={} cannot be read: {} (tried again shortly)", p, e.what());
    std::lock_guard lock(mu_);
    restart_.insert(p);
  }
}

void ClusterNode::released(std::uint32_t p) {
  std::lock_guard ops(reader_ops_mu_);
  std::unique_ptr<cluster::PartitionReader> reader;
  {
    std::lock_guard lock(mu_);
    restart_.erase(p);
    if (auto it = readers_.find(p); it != readers_.end()) {
      reader = std::move(it->second);
      readers_.erase(it);
    }
  }
  reader.reset();  // no entry is handed over after this
  // What was handed over is committed, and the mark written, before the lease goes to
  // another node: it replays this node's entries without answering them again.
  engine_.flush();
  {
    // This node stays up and sends what its outbox still holds: the mark is what it applied.
    std::map<std::uint32_t, std::uint64_t> mark;
    {
      std::lock_guard lock(mu_);
      if (auto it = marks_.find(p); it != marks_.end()) mark[p] = it->second;
    }
    write_marks(mark);
  }
  {
    std::lock_guard lock(mu_);
    marks_.erase(p);
    marks_written_.erase(p);
    replay_through_.erase(p);
  }
  SPDLOG_INFO("cluster partition={} released at seq={}", p, engine_.applied_log_seq(p));
}

void ClusterNode::apply(std::uint32_t p, std::uint64_t seq, std::optional<cluster::LogEntry> entry,
                        const std::string& error) {
  if (!entry) {
    unreadable_.fetch_add(1, std::memory_order_relaxed);
    SPDLOG_ERROR("cluster partition={} seq={} is not an entry ({}): skipped", p, seq, error);
    return;
  }
  // Refused by the store (full, failing): the entry is not applied and its position not
  // written, so the partition's reader starts again after the last one applied.
  auto done = [this, p, seq](bool committed) {
    if (committed) {
      applied_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(mu_);
      if (auto it = marks_.find(p); it != marks_.end() && it->second < seq) it->second = seq;
      return;
    }
    refused_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      restart_.insert(p);
    }
    cv_.notify_all();
  };
  bool replay = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = replay_through_.find(p); it != replay_through_.end()) replay = seq <= it->second;
  }
  if (auto* m = std::get_if<engine::InboundMessage>(&*entry)) {
    m->log = {p, seq, replay};
    engine_.submit_inbound(std::move(*m), std::move(done));
  } else if (auto* r = std::get_if<engine::Receipt>(&*entry)) {
    r->log = {p, seq, replay};
    engine_.submit_receipt(std::move(*r), std::move(done));
  } else {
    auto& staff = std::get<cluster::StaffEntry>(*entry);
    engine_.submit_staff(std::move(staff.action), {p, seq, replay},
                         [this, done = std::move(done), id = std::move(staff.id)](
                             bool committed, const engine::StaffOutcome& outcome) {
                           done(committed);
                           // Not committed: the reader reads it again; the waiter waits on.
                           if (committed) staff_applied(id, outcome);
                         });
  }
}

struct ClusterNode::StaffWaiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  StaffAnswer answer;
  void finish(StaffAnswer a) {
    {
      std::lock_guard lock(mu);
      if (done) return;
      answer = std::move(a);
      done = true;
    }
    cv.notify_all();
  }
};

StaffAnswer ClusterNode::perform(engine::StaffAction action, std::chrono::milliseconds timeout) {
  const std::string number = stored_number(engine::staff_number(action));
  engine::staff_number(action) = number;
  if (!holds(number)) {
    return {{}, "this node no longer holds the partition of " + number + "; try again", true};
  }
  const std::string id = staff_prefix_ + std::to_string(next_staff_id_.fetch_add(1) + 1);
  auto waiter = std::make_shared<StaffWaiter>();
  {
    std::lock_guard lock(staff_mu_);
    staff_waiters_[id] = waiter;
  }
  const std::string entry = cluster::encode_entry(cluster::StaffEntry{id, std::move(action)});
  publish_entry(number, entry, [waiter](bool stored) {
    if (!stored) waiter->finish({{}, "the cluster's log did not take the change: nothing changed"});
  });
  StaffAnswer answer;
  {
    std::unique_lock lock(waiter->mu);
    if (!waiter->cv.wait_for(lock, timeout, [&] { return waiter->done; })) {
      answer.unavailable =
          "the change is in the cluster's log but its owner did not apply it within " +
          std::to_string(timeout.count()) +
          " ms; it will be applied in order: check the conversation before trying again";
    } else {
      answer = std::move(waiter->answer);
    }
  }
  std::lock_guard lock(staff_mu_);
  staff_waiters_.erase(id);
  return answer;
}

void ClusterNode::staff_applied(const std::string& id, const engine::StaffOutcome& outcome) {
  // Applied before (a reader that read it again): the first application answered.
  if (std::holds_alternative<std::monostate>(outcome)) return;
  std::shared_ptr<StaffWaiter> waiter;
  {
    std::lock_guard lock(staff_mu_);
    if (auto it = staff_waiters_.find(id); it != staff_waiters_.end()) waiter = it->second;
  }
  if (waiter) waiter->finish({outcome, {}});
}

void ClusterNode::write_marks(const std::map<std::uint32_t, std::uint64_t>& marks) {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> moved;
  {
    std::lock_guard lock(mu_);
    for (const auto& [p, mark] : marks) {
      const auto written = marks_written_.find(p);
      if (written != marks_written_.end() && mark > written->second) moved.emplace_back(p, mark);
    }
  }
  for (const auto& [p, mark] : moved) {
    if (!connection_.connected()) return;  // written once NATS is back (or by the next owner)
    try {
      connection_.state().put(mark_key(p), std::to_string(mark));
      std::lock_guard lock(mu_);
      if (auto it = marks_written_.find(p); it != marks_written_.end())
        it->second = std::max(it->second, mark);
    } catch (const cluster::NatsError& e) {
      SPDLOG_WARN("cluster partition={} mark {} not written: {}", p, mark, e.what());
      return;
    }
  }
}

void ClusterNode::advance_marks() {
  // A mark may only name entries whose answers have left this node: a node that dies with
  // answers still in its outbox leaves them to the next owner, which answers again from the
  // mark on (a customer may get an answer twice, never none).
  PendingMarks now;
  {
    std::lock_guard lock(mu_);
    now.marks = marks_;
  }
  const auto span = engine_.outbox_span();
  now.next = span.next;
  if (pending_marks_.size() < 10000) pending_marks_.push_back(std::move(now));
  std::map<std::uint32_t, std::uint64_t> ready;
  bool found = false;
  while (!pending_marks_.empty() &&
         (span.oldest == 0 || pending_marks_.front().next <= span.oldest)) {
    ready = std::move(pending_marks_.front().marks);
    found = true;
    pending_marks_.pop_front();
  }
  if (found) write_marks(ready);
}

void ClusterNode::maintain() {
  std::unique_lock lock(mu_);
  auto next_expiry = std::chrono::steady_clock::now();
  std::uint64_t expiry_rounds = 0;
  while (!stop_) {
    cv_.wait_for(lock, kMarkInterval);
    if (stop_) break;
    lock.unlock();
    advance_marks();
    if (std::chrono::steady_clock::now() < next_expiry) {
      lock.lock();
      continue;
    }
    next_expiry = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (++expiry_rounds % kLagSampleRounds == 0) sample_lag();
    if (const auto n = log_.expire(kPublishAnswerLimit))
      SPDLOG_WARN("cluster: {} publishes got no answer from JetStream in {} s: refused", n,
                  kPublishAnswerLimit.count());
    lock.lock();
    std::set<std::uint32_t> again;
    again.swap(restart_);
    lock.unlock();
    for (std::uint32_t p : again) {
      std::lock_guard ops(reader_ops_mu_);
      const auto owned = leases_.owned();
      if (std::find(owned.begin(), owned.end(), p) == owned.end()) continue;
      std::unique_ptr<cluster::PartitionReader> old;
      {
        std::lock_guard g(mu_);
        if (auto it = readers_.find(p); it != readers_.end()) {
          old = std::move(it->second);
          readers_.erase(it);
        }
      }
      old.reset();
      engine_.flush();
      try {
        open_reader(p);
      } catch (const std::exception& e) {
        SPDLOG_ERROR("cluster partition={} cannot be read: {} (tried again shortly)", p, e.what());
        std::lock_guard g(mu_);
        restart_.insert(p);
      }
    }
    lock.lock();
  }
}

nlohmann::json ClusterNode::status_json() const {
  nlohmann::json j;
  j["node"] = config_.node;
  j["nodes"] = leases_.nodes();
  j["partitions"] = config_.partitions;
  j["connected"] = connection_.connected();
  nlohmann::json held = nlohmann::json::array();
  for (std::uint32_t p : leases_.owned()) held.push_back(p);
  j["held"] = held;
  // Per partition held: the last log position applied to this store and the entries not
  // read yet (the lag).
  nlohmann::json lag = nlohmann::json::array();
  for (const auto& row : lag_rows()) {
    lag.push_back({{"partition", row.partition},
                   {"applied_seq", row.applied},
                   {"unread", row.unread ? nlohmann::json(*row.unread) : nlohmann::json(nullptr)}});
  }
  j["lag"] = lag;
  const auto st = leases_.stats();
  j["leases_acquired"] = st.acquired;
  j["leases_released"] = st.released;
  j["leases_lost"] = st.lost;
  const auto c = counts();
  j["published"] = c.published;
  j["publish_failed"] = c.publish_failed;
  j["applied"] = c.applied;
  j["refused"] = c.refused;
  j["unreadable"] = c.unreadable;
  j["publishes_waiting"] = log_.pending();
  {
    const auto sc = settings_->counts();
    j["settings_shared"] = sc.shared;
    j["settings_taken"] = sc.taken;
    j["settings_refused"] = sc.refused;
  }
  return j;
}

std::vector<ClusterNode::LagRow> ClusterNode::lag_rows() const {
  std::vector<LagRow> rows;
  // Readers are only closed under reader_ops_mu_; mu_ is not held across the requests (the
  // writer's completions take it).
  std::lock_guard ops(reader_ops_mu_);
  std::vector<std::pair<std::uint32_t, const cluster::PartitionReader*>> readers;
  {
    std::lock_guard lock(mu_);
    for (const auto& [p, reader] : readers_) readers.emplace_back(p, reader.get());
  }
  for (const auto& [p, reader] : readers) {
    rows.push_back({p, engine_.applied_log_seq(p), reader->unread()});
  }
  return rows;
}

void ClusterNode::sample_lag() {
  if (!connection_.connected()) return;
  std::uint64_t total = 0, most = 0;
  for (const auto& row : lag_rows()) {
    if (!row.unread) return;  // NATS did not say: keep the last sample
    total += *row.unread;
    most = std::max(most, *row.unread);
  }
  unread_total_.store(total);
  unread_max_.store(most);
  lag_sampled_.store(true);
}

std::string ClusterNode::metrics_text() const {
  const auto c = counts();
  const auto st = leases_.stats();
  std::string out;
  const auto add = [&out](const char* name, const char* type, const char* help, double v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(static_cast<std::uint64_t>(v)) + "\n";
  };
  add("twoway_cluster_published_total", "counter",
      "Inbound entries this node published to the cluster's log and JetStream stored", c.published);
  add("twoway_cluster_publish_failed_total", "counter",
      "Inbound entries JetStream did not store (refused to the SMSC, which sends them again)",
      c.publish_failed);
  add("twoway_cluster_applied_total", "counter",
      "Log entries of the partitions this node holds, applied to its store", c.applied);
  add("twoway_cluster_apply_refused_total", "counter",
      "Log entries the store refused (read again from the last applied)", c.refused);
  add("twoway_cluster_unreadable_total", "counter", "Log entries that were not entries (skipped)",
      c.unreadable);
  add("twoway_cluster_leases_acquired_total", "counter",
      "Partitions this node took (at start, from a node that left or died)", st.acquired);
  add("twoway_cluster_leases_released_total", "counter",
      "Partitions this node handed over or gave up", st.released);
  add("twoway_cluster_leases_lost_total", "counter",
      "Partitions this node lost (taken by another node, or not renewed in time)", st.lost);
  add("twoway_cluster_partitions_held", "gauge", "Partitions this node holds now",
      static_cast<double>(leases_.owned().size()));
  add("twoway_cluster_nodes", "gauge", "Live nodes this node saw in its last round",
      static_cast<double>(leases_.nodes().size()));
  add("twoway_cluster_publishes_waiting", "gauge",
      "Inbound entries published and not yet acknowledged by JetStream",
      static_cast<double>(log_.pending()));
  std::uint64_t behind = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [p, mark] : marks_) {
      const auto written = marks_written_.find(p);
      if (written != marks_written_.end() && mark > written->second) ++behind;
    }
  }
  add("twoway_cluster_marks_behind", "gauge",
      "Partitions whose applied entries still have answers in the outbox (their mark waits)",
      static_cast<double>(behind));
  if (lag_sampled_.load()) {
    add("twoway_cluster_unread_entries", "gauge",
        "Log entries of the partitions this node holds not read yet (the lag; sampled every 5 s)",
        static_cast<double>(unread_total_.load()));
    add("twoway_cluster_unread_entries_max", "gauge",
        "The most log entries not read yet in one partition this node holds (sampled every 5 s)",
        static_cast<double>(unread_max_.load()));
  }
  return out;
}

ClusterNode::Counts ClusterNode::counts() const {
  return {published_.load(), publish_failed_.load(), applied_.load(), refused_.load(),
          unreadable_.load()};
}

}  // namespace twoway::daemon
