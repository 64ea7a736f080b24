// Email notifications of new free text, on a thread of their own. The engine's change feed
// hands over each inbound free text (keywords, opt-outs and HELP never); the notifier mails
// the first text of a quiet inbox at once and otherwise at most one digest per interval,
// listing every conversation that got new text since the last mail. Failed mails are retried
// with a growing delay; nothing here ever waits on the message path.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/smtp_client.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

/// Which conversations got new free text, and when the next mail may go: the notifier's
/// schedule as a value with time passed in, so it can be tested without waiting.
class DigestSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  struct Entry {
    std::string number;
    std::vector<std::uint64_t> seqs;  ///< the newest new texts' thread positions (a few)
    std::size_t count = 0;            ///< new texts since the last mail
    std::int64_t first_unix = 0;      ///< when the first of them arrived
  };

  /// At most this many conversations wait for a mail; texts from further ones are counted.
  static constexpr std::size_t kMaxPending = 1000;
  static constexpr std::size_t kSeqsKept = 3;

  /// A new free text from `number` (thread position `seq`, arrival `unix_time`).
  void add(const std::string& number, std::uint64_t seq, std::int64_t unix_time,
           Clock::time_point now);
  /// When the next mail is due: at once for the first text after a quiet spell, else one
  /// digest interval after the last mail, or at the retry time after a failure. nullopt when
  /// nothing waits.
  [[nodiscard]] std::optional<Clock::time_point> due(std::chrono::seconds digest) const;
  /// Takes everything waiting (oldest text first) for one mail.
  [[nodiscard]] std::vector<Entry> take();
  /// The mail went out at `now`.
  void sent(Clock::time_point now);
  /// The mail failed at `now`: its conversations wait again (with what came meanwhile) and the
  /// next attempt is after `retry_base` doubled per failure in a row, at most `retry_max`.
  void failed(std::vector<Entry> batch, Clock::time_point now, std::chrono::seconds retry_base,
              std::chrono::seconds retry_max);
  /// Forgets what waits (mail turned off) and any retry delay.
  void clear();
  /// Settings changed: a waiting retry may go at once.
  void reset_retry() {
    retry_at_.reset();
    failures_ = 0;
  }

  [[nodiscard]] std::size_t pending() const { return pending_.size(); }
  [[nodiscard]] std::uint64_t overflow() const { return overflow_; }
  [[nodiscard]] int failures_in_a_row() const { return failures_; }
  [[nodiscard]] std::optional<Clock::time_point> retry_at() const { return retry_at_; }

 private:
  std::map<std::string, Entry> pending_;
  std::optional<Clock::time_point> first_pending_;  // when the oldest waiting text came
  std::optional<Clock::time_point> last_mail_;
  std::optional<Clock::time_point> retry_at_;
  int failures_ = 0;
  std::uint64_t overflow_ = 0;  // texts from conversations beyond kMaxPending (not listed)
};

struct NotifierOptions {
  std::chrono::seconds retry_base{5};
  std::chrono::seconds retry_max{600};
  /// Sends one mail; smtp_send by default (tests may put a recorder here).
  std::function<SmtpResult(const SmtpRelay&, const std::string& from,
                           const std::vector<std::string>& to, const std::string& message,
                           const std::atomic<bool>* cancel)>
      send = smtp_send;
  /// Called with each `notification` event (the watch stream).
  std::function<void(const nlohmann::json&)> publish;
};

class Notifier {
 public:
  Notifier(engine::Engine& engine, NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// Starts the thread (reads the settings in force first).
  void start();
  /// Stops the thread; a mail being sent is abandoned at once (it is tried again next start
  /// only if its texts come again: the inbox keeps everything).
  void stop();

  /// The change feed's callback (writer thread): cheap, never blocks on the network.
  void on_event(const engine::Event& event);

  /// For `status`: enabled, pending conversations, sent and failed counts, last success and
  /// failure, last error, next attempt.
  [[nodiscard]] nlohmann::json status_json() const;
  /// Prometheus lines: twoway_notifications_{sent,failed}_total, twoway_notifications_pending.
  [[nodiscard]] std::string metrics_text() const;

 private:
  void run();
  /// Builds and sends one mail for `batch` (plus `overflow` texts from conversations the
  /// schedule could not keep, counted only); false with `error` set on failure. An empty
  /// outcome (every conversation gone or blocked) counts as sent with nothing to say.
  bool deliver(const std::vector<DigestSchedule::Entry>& batch, std::uint64_t overflow,
               const engine::EmailNotifications& email, std::string& error, std::size_t& listed);

  engine::Engine& engine_;
  NotifierOptions options_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool settings_changed_ = true;
  std::atomic<bool> cancel_{false};
  engine::EmailNotifications email_;  // the settings in force (under mu_)
  DigestSchedule schedule_;
  // Status (under mu_).
  std::uint64_t sent_ = 0, failed_ = 0;
  std::int64_t last_sent_unix_ = 0, last_failure_unix_ = 0;
  std::string last_error_;
};

}  // namespace twoway::daemon
