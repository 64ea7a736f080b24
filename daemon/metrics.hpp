// A small Prometheus registry (counters, gauges, histograms; text format 0.0.4). The HTTP
// listener that serves it is in metrics_http.hpp.
// Names get the "twoway_" prefix and counters the "_total" suffix; label values that look like
// phone numbers are replaced by "redacted" (subscriber numbers never reach a metrics system).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace twoway::daemon {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  /// Adds `v` (must be >= 0; negative values are ignored: counters only go up).
  void inc(double v = 1) {
    if (v >= 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1) { value_.fetch_sub(v, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  /// `bounds`: upper bounds of the buckets, ascending (the +Inf bucket is implicit).
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative count of observations <= bounds()[i]; i == bounds().size() gives the total.
  [[nodiscard]] std::uint64_t cumulative(std::size_t i) const;
  [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative, +Inf last
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

/// Default buckets for latencies in seconds: 0.5 ms to 10 s.
[[nodiscard]] std::vector<double> latency_buckets();

/// True for text that looks like a phone number (7+ digits, only digits and + - ( ) . space).
[[nodiscard]] bool looks_like_phone_number(std::string_view value);

class MetricsRegistry {
 public:
  /// The series `name{labels}`; created on first use, the same object afterwards. Register at
  /// start-up and keep the reference: lookups take a lock, updates do not.
  /// Throws std::invalid_argument for an invalid name or label name, or a name already used by
  /// another metric type (programming errors).
  Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const MetricLabels& labels = {});

  /// Every metric in the Prometheus text exposition format 0.0.4.
  [[nodiscard]] std::string render() const;

  /// "requests" -> "twoway_requests"; "twoway_x" stays.
  [[nodiscard]] static std::string full_name(std::string_view name);

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    std::string labels;  // rendered: {a="b",c="d"} or ""
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string name, help;
    Type type;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series& series(std::string_view name, std::string_view help, Type type,
                 const MetricLabels& labels, std::vector<double>* bounds);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

}  // namespace twoway::daemon
