#include "daemon/cluster_settings.hpp"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "engine/settings.hpp"

namespace twoway::daemon {

namespace {
constexpr const char* kKey = "settings";
}  // namespace

SettingsShare::SettingsShare(cluster::Bucket& state, engine::Engine& engine,
                             std::chrono::milliseconds period)
    : state_(state), engine_(engine), period_(period) {
  subscription_ = engine_.subscribe([this](const engine::Event& e) {
    if (e.type != engine::EventType::settings) return;
    changed_.store(true);
    cv_.notify_all();
  });
  // The first round before the node goes on (its binds start with the cluster's settings).
  try {
    round();
  } catch (const cluster::NatsError& e) {
    SPDLOG_WARN("cluster settings: {} (tried again every period)", e.what());
  }
  thread_ = std::thread([this] { run(); });
}

SettingsShare::~SettingsShare() {
  engine_.unsubscribe(subscription_);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SettingsShare::Counts SettingsShare::counts() const {
  return {shared_.load(), taken_.load(), refused_.load()};
}

void SettingsShare::run() {
  bool failing = false;
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    try {
      round();
      if (failing) SPDLOG_INFO("cluster settings: NATS answers again");
      failing = false;
    } catch (const cluster::NatsError& e) {
      if (!failing) SPDLOG_WARN("cluster settings: {} (tried again every period)", e.what());
      failing = true;
    }
    lock.lock();
    cv_.wait_for(lock, period_, [this] { return stop_ || changed_.load(); });
  }
}

void SettingsShare::round() {
  const std::string local = engine::encode_settings(engine_.settings());
  if (!started_) {
    // The cluster's settings win over this node's first values; a new cluster takes ours.
    if (auto entry = state_.get(kKey)) {
      take(*entry, local);
    } else if (auto rev = state_.create(kKey, local)) {
      revision_ = *rev;
      known_ = local;
    }
    changed_.store(false);
    started_ = true;
    return;
  }
  if (changed_.exchange(false) && local != known_) {
    revision_ = state_.put(kKey, local);
    known_ = local;
    shared_.fetch_add(1);
    SPDLOG_INFO("cluster settings: changed here, shared at revision {}", revision_);
    return;
  }
  if (auto entry = state_.get(kKey); entry && entry->revision != revision_) take(*entry, local);
}

void SettingsShare::take(const cluster::Bucket::Entry& entry, const std::string& local) {
  revision_ = entry.revision;
  known_ = entry.value;
  if (entry.value == local) return;
  engine::Settings next = engine_.settings();
  if (!engine::decode_settings(entry.value, next)) {
    refused_.fetch_add(1);
    SPDLOG_ERROR("cluster settings: revision {} is not settings this node can read: kept its own",
                 entry.revision);
    return;
  }
  if (const auto problems = engine_.set_settings(std::move(next)); !problems.empty()) {
    refused_.fetch_add(1);
    SPDLOG_ERROR("cluster settings: revision {} refused here: {}", entry.revision,
                 fmt::join(problems, "; "));
    return;
  }
  taken_.fetch_add(1);
  SPDLOG_INFO("cluster settings: took revision {} from the cluster", entry.revision);
}

}  // namespace twoway::daemon
