// Prometheus registry and text rendering.
#include "daemon/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace twoway::daemon {

namespace {

bool valid_name(std::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

std::string render_labels(const MetricLabels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!valid_name(labels[i].first, false) || labels[i].first.rfind("__", 0) == 0) {
      throw std::invalid_argument("invalid metric label name '" + labels[i].first + "'");
    }
    if (i) out.push_back(',');
    out += labels[i].first;
    out += "=\"";
    const std::string& value = labels[i].second;
    append_escaped(out, looks_like_phone_number(value) ? "redacted" : value, true);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// {a="b"} + le="0.5" -> {a="b",le="0.5"}
std::string with_le(const std::string& labels, const std::string& le) {
  if (labels.empty()) return "{le=\"" + le + "\"}";
  return labels.substr(0, labels.size() - 1) + ",le=\"" + le + "\"}";
}

}  // namespace

bool looks_like_phone_number(std::string_view value) {
  std::size_t digits = 0;
  for (char c : value) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c != '+' && c != '-' && c != ' ' && c != '(' && c != ')' && c != '.') {
      return false;
    }
  }
  return digits >= 7;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::invalid_argument("histogram bounds must be strictly ascending");
  }
  buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Histogram::cumulative(std::size_t i) const {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k <= i && k <= bounds_.size(); ++k) {
    total += buckets_[k].load(std::memory_order_relaxed);
  }
  return total;
}

std::string MetricsRegistry::full_name(std::string_view name) {
  if (name.rfind("twoway_", 0) == 0) return std::string(name);
  return "twoway_" + std::string(name);
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view raw, std::string_view help,
                                                 Type type, const MetricLabels& labels,
                                                 std::vector<double>* bounds) {
  std::string name = full_name(raw);
  if (type == Type::counter && !name.ends_with("_total")) name += "_total";
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name '" + name + "'");
  const std::string rendered = render_labels(labels);
  std::lock_guard lock(mutex_);
  Family* family = nullptr;
  for (auto& f : families_) {
    if (f->name == name) family = f.get();
  }
  if (!family) {
    families_.push_back(std::make_unique<Family>(Family{name, std::string(help), type, {}}));
    family = families_.back().get();
  } else if (family->type != type) {
    throw std::invalid_argument("metric '" + name + "' registered with another type");
  }
  for (auto& s : family->series) {
    if (s->labels == rendered) return *s;
  }
  auto s = std::make_unique<Series>();
  s->labels = rendered;
  if (type == Type::counter) s->counter = std::make_unique<Counter>();
  if (type == Type::gauge) s->gauge = std::make_unique<Gauge>();
  if (type == Type::histogram) s->histogram = std::make_unique<Histogram>(std::move(*bounds));
  family->series.push_back(std::move(s));
  return *family->series.back();
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const MetricLabels& labels) {
  return *series(name, help, Type::counter, labels, nullptr).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              const MetricLabels& labels) {
  return *series(name, help, Type::gauge, labels, nullptr).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::vector<double> bounds, const MetricLabels& labels) {
  return *series(name, help, Type::histogram, labels, &bounds).histogram;
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    out += "# HELP " + f->name + " ";
    append_escaped(out, f->help, false);
    out += "\n# TYPE " + f->name + " ";
    out += f->type == Type::counter ? "counter" : f->type == Type::gauge ? "gauge" : "histogram";
    out += "\n";
    for (const auto& s : f->series) {
      if (s->counter) {
        out += f->name + s->labels + " " + format_value(s->counter->value()) + "\n";
      } else if (s->gauge) {
        out += f->name + s->labels + " " + format_value(s->gauge->value()) + "\n";
      } else {
        const Histogram& h = *s->histogram;
        for (std::size_t i = 0; i < h.bounds().size(); ++i) {
          out += f->name + "_bucket" + with_le(s->labels, format_value(h.bounds()[i])) + " " +
                 std::to_string(h.cumulative(i)) + "\n";
        }
        out += f->name + "_bucket" + with_le(s->labels, "+Inf") + " " +
               std::to_string(h.cumulative(h.bounds().size())) + "\n";
        out += f->name + "_sum" + s->labels + " " + format_value(h.sum()) + "\n";
        out += f->name + "_count" + s->labels + " " + std::to_string(h.count()) + "\n";
      }
    }
  }
  return out;
}

}  // namespace twoway::daemon
