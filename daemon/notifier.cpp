// Email notifications: see notifier.hpp.
#include "daemon/notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "daemon/admin_commands.hpp"
#include "daemon/mail_message.hpp"
#include "daemon/smsc_files.hpp"

namespace twoway::daemon {
namespace {

constexpr std::size_t kMaxListed = 50;       // conversations described one by one in a mail
constexpr std::size_t kPreviewBytes = 300;   // of each text shown
constexpr std::size_t kThreadLookBack = 50;  // messages read to find the new texts

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_hex(std::size_t bytes) {
  static thread_local std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned v = rd() & 0xff;
    out += kHex[v >> 4];
    out += kHex[v & 15];
  }
  return out;
}

std::string duration_text(std::int64_t seconds) {
  for (const auto& [unit, size] :
       {std::pair<const char*, std::int64_t>{"d", 86400}, {"h", 3600}, {"m", 60}})
    if (seconds != 0 && seconds % size == 0) return std::to_string(seconds / size) + unit;
  return std::to_string(seconds) + "s";
}

}  // namespace

// ---- DigestSchedule ----

void DigestSchedule::add(const std::string& number, std::uint64_t seq, std::int64_t unix_time,
                         Clock::time_point now) {
  auto it = pending_.find(number);
  if (it == pending_.end()) {
    if (pending_.size() >= kMaxPending) {
      ++overflow_;
      return;
    }
    it = pending_.emplace(number, Entry{number, {}, 0, unix_time}).first;
  }
  Entry& e = it->second;
  ++e.count;
  e.seqs.push_back(seq);
  if (e.seqs.size() > kSeqsKept) e.seqs.erase(e.seqs.begin());
  if (!first_pending_) first_pending_ = now;
}

std::optional<DigestSchedule::Clock::time_point> DigestSchedule::due(
    std::chrono::seconds digest) const {
  if (pending_.empty() && overflow_ == 0) return std::nullopt;
  if (retry_at_) return *retry_at_;
  const Clock::time_point first = first_pending_.value_or(Clock::time_point{});
  if (!last_mail_) return first;
  return std::max(first, *last_mail_ + digest);
}

std::vector<DigestSchedule::Entry> DigestSchedule::take() {
  std::vector<Entry> out;
  out.reserve(pending_.size());
  for (auto& [number, e] : pending_) out.push_back(std::move(e));
  pending_.clear();
  first_pending_.reset();
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return a.first_unix < b.first_unix; });
  return out;
}

void DigestSchedule::sent(Clock::time_point now) {
  last_mail_ = now;
  retry_at_.reset();
  failures_ = 0;
  overflow_ = 0;
}

void DigestSchedule::failed(std::vector<Entry> batch, Clock::time_point now,
                            std::chrono::seconds retry_base, std::chrono::seconds retry_max) {
  for (auto& e : batch) {
    auto it = pending_.find(e.number);
    if (it == pending_.end()) {
      if (pending_.size() >= kMaxPending) {
        overflow_ += e.count;
        continue;
      }
      pending_.emplace(e.number, std::move(e));
      continue;
    }
    // Texts that came while the mail was being sent are newer: keep them last.
    Entry& later = it->second;
    std::vector<std::uint64_t> seqs = std::move(e.seqs);
    seqs.insert(seqs.end(), later.seqs.begin(), later.seqs.end());
    if (seqs.size() > kSeqsKept) seqs.erase(seqs.begin(), seqs.end() - kSeqsKept);
    later.seqs = std::move(seqs);
    later.count += e.count;
    later.first_unix = std::min(later.first_unix, e.first_unix);
  }
  if (!first_pending_) first_pending_ = now;
  ++failures_;
  auto delay = retry_base;
  for (int i = 1; i < failures_ && delay < retry_max; ++i) delay *= 2;
  retry_at_ = now + std::min(delay, retry_max);
}

void DigestSchedule::clear() {
  pending_.clear();
  first_pending_.reset();
  retry_at_.reset();
  failures_ = 0;
  overflow_ = 0;
}

// ---- Notifier ----

Notifier::Notifier(engine::Engine& engine, NotifierOptions options)
    : engine_(engine), options_(std::move(options)) {}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  {
    std::lock_guard lock(mu_);
    email_ = engine_.settings().notifications.email;
    settings_changed_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void Notifier::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::on_event(const engine::Event& e) {
  if (e.type == engine::EventType::settings) {
    {
      std::lock_guard lock(mu_);
      settings_changed_ = true;
    }
    cv_.notify_all();
    return;
  }
  // Free text only: keywords (opt-outs, HELP, custom words) never make a mail.
  if (e.type != engine::EventType::inbound || e.kind != engine::MessageKind::inbound) return;
  {
    std::lock_guard lock(mu_);
    if (!email_.enabled) return;
    schedule_.add(e.number, e.seq, e.time, DigestSchedule::Clock::now());
  }
  cv_.notify_all();
}

void Notifier::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (settings_changed_) {
      settings_changed_ = false;
      lock.unlock();
      auto next = engine_.settings().notifications.email;
      lock.lock();
      const bool relay_changed =
          next.smtp_host != email_.smtp_host || next.smtp_port != email_.smtp_port ||
          next.smtp_tls != email_.smtp_tls || next.to != email_.to || next.from != email_.from ||
          next.smtp_username != email_.smtp_username ||
          next.smtp_password_file != email_.smtp_password_file;
      if (relay_changed) schedule_.reset_retry();  // a fixed setting is tried at once
      email_ = std::move(next);
      continue;
    }
    if (!email_.enabled) {
      schedule_.clear();
      cv_.wait(lock, [&] { return stop_ || settings_changed_; });
      continue;
    }
    const auto digest = std::chrono::seconds(email_.digest_seconds);
    const auto due = schedule_.due(digest);
    if (!due) {
      cv_.wait(lock, [&] { return stop_ || settings_changed_ || schedule_.pending() > 0; });
      continue;
    }
    if (DigestSchedule::Clock::now() < *due) {
      cv_.wait_until(lock, *due);  // woken early by a new text or a settings change: look again
      continue;
    }
    auto batch = schedule_.take();
    const std::uint64_t overflow = schedule_.overflow();
    const engine::EmailNotifications email = email_;
    lock.unlock();

    std::string error;
    std::size_t listed = 0;
    bool ok = false;
    try {
      ok = deliver(batch, overflow, email, error, listed);
    } catch (const std::exception& ex) {
      error = std::string("internal: ") + ex.what();
    }
    const auto finished = DigestSchedule::Clock::now();
    const std::int64_t when = now_unix();
    nlohmann::json event{{"event", "notification"}, {"time", iso_time(when)}, {"channel", "email"}};
    nlohmann::json numbers = nlohmann::json::array();
    for (const auto& e : batch) numbers.push_back(e.number);
    event["conversations"] = batch.size() + overflow;
    event["numbers"] = std::move(numbers);
    event["recipients"] = email.to.size();

    lock.lock();
    if (stop_ && !ok) break;  // abandoned by stop(): not a failure of the relay
    if (ok && listed == 0) {
      schedule_.reset_retry();  // nothing to say (every number gone or blocked): no mail
    } else if (ok) {
      schedule_.sent(finished);
      {
        ++sent_;
        last_sent_unix_ = when;
        spdlog::info("notification mailed conversations={} recipients={}", batch.size() + overflow,
                     email.to.size());
      }
      event["status"] = "sent";
    } else {
      schedule_.failed(std::move(batch), finished, options_.retry_base, options_.retry_max);
      ++failed_;
      last_failure_unix_ = when;
      last_error_ = error;
      const auto retry_in = std::chrono::duration_cast<std::chrono::seconds>(
          schedule_.retry_at().value_or(finished) - finished);
      spdlog::warn("notification mail failed: {}; retry_in={}s failures_in_a_row={}", error,
                   retry_in.count(), schedule_.failures_in_a_row());
      event["status"] = "failed";
      event["error"] = error;
      event["next_attempt"] = iso_time(when + retry_in.count());
    }
    const bool say = !ok || listed > 0;
    lock.unlock();
    if (say && options_.publish) options_.publish(event);
    lock.lock();
  }
}

bool Notifier::deliver(const std::vector<DigestSchedule::Entry>& batch, std::uint64_t overflow,
                       const engine::EmailNotifications& email, std::string& error,
                       std::size_t& listed) {
  const std::int64_t now = now_unix();
  MailDigest d;
  d.from = email.from;
  d.to = email.to;
  d.organization = engine_.organization().prefix;
  d.now_unix = now;
  d.digest_text = duration_text(email.digest_seconds);
  d.message_id_token = random_hex(12);
  d.boundary_token = random_hex(12);
  d.more_conversations = static_cast<std::size_t>(overflow);  // beyond what the schedule keeps
  for (const auto& entry : batch) {
    if (d.conversations.size() >= kMaxListed) {
      ++d.more_conversations;
      continue;
    }
    const auto page = engine_.thread(entry.number, 0, kThreadLookBack, now);
    if (!page.found || page.header.blocked) continue;  // blocked numbers are never shown
    MailConversation c;
    c.number = page.header.number;
    c.name = page.header.name;
    c.location = page.header.location;
    c.local_time = page.header.local_time;
    c.time_zone = page.header.time_zones.empty() ? "" : page.header.time_zones.front();
    c.revocation_flagged = page.header.revocation_flagged_at != 0;
    c.new_texts = entry.count;
    const std::set<std::uint64_t> wanted(entry.seqs.begin(), entry.seqs.end());
    for (const auto& m : page.messages)
      if (wanted.count(m.seq) != 0 && m.kind == engine::MessageKind::inbound)
        c.texts.push_back(preview_text(m.text, kPreviewBytes));
    if (const auto p = engine_.profile(entry.number))
      c.waiting_seconds =
          p->awaiting_since != 0 ? std::max<std::int64_t>(0, now - p->awaiting_since) : -1;
    d.conversations.push_back(std::move(c));
  }
  if (d.conversations.empty() && d.more_conversations == 0) {
    listed = 0;
    return true;
  }
  listed = d.conversations.size() + d.more_conversations;
  SmtpRelay relay;
  relay.host = email.smtp_host;
  relay.port = email.smtp_port;
  relay.tls = email.smtp_tls;
  if (!email.smtp_username.empty()) {
    auto read = read_password_file(email.smtp_password_file);
    if (!read.problem.empty()) {
      error = "notifications.email.smtp.password_file: " + read.problem;
      return false;
    }
    relay.username = email.smtp_username;
    relay.password = std::move(read.password);
  }
  const auto r = options_.send(relay, email.from, email.to, mail_message(d), &cancel_);
  if (!r.ok) error = r.error;
  return r.ok;
}

nlohmann::json Notifier::status_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json j{
      {"email_enabled", email_.enabled},
      {"pending_conversations", schedule_.pending()},
      {"sent", sent_},
      {"failed", failed_},
      {"last_sent", iso_time(last_sent_unix_)},
      {"last_failure", iso_time(last_failure_unix_)},
      {"last_error", last_error_.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error_)}};
  if (const auto retry = schedule_.retry_at()) {
    const auto in =
        std::chrono::duration_cast<std::chrono::seconds>(*retry - DigestSchedule::Clock::now());
    j["next_attempt"] = iso_time(now_unix() + std::max<std::int64_t>(0, in.count()));
  }
  return j;
}

std::string Notifier::metrics_text() const {
  std::lock_guard lock(mu_);
  std::string out;
  out +=
      "# HELP twoway_notifications_sent_total Notification mails the relay accepted.\n"
      "# TYPE twoway_notifications_sent_total counter\n"
      "twoway_notifications_sent_total " +
      std::to_string(sent_) +
      "\n"
      "# HELP twoway_notifications_failed_total Notification mail attempts that failed (each "
      "retry counts).\n"
      "# TYPE twoway_notifications_failed_total counter\n"
      "twoway_notifications_failed_total " +
      std::to_string(failed_) +
      "\n"
      "# HELP twoway_notifications_pending Conversations with new texts waiting for the next "
      "mail.\n"
      "# TYPE twoway_notifications_pending gauge\n"
      "twoway_notifications_pending " +
      std::to_string(schedule_.pending()) + "\n";
  return out;
}

}  // namespace twoway::daemon
