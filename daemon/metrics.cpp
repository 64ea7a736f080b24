// Prometheus registry and text rendering, and the loopback HTTP listener for GET /metrics.
#include "daemon/metrics.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace twoway::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

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

// ---------------------------------------------------------------------------------------------
// HTTP listener
// ---------------------------------------------------------------------------------------------

struct MetricsHttpServer::State {
  std::function<std::string()> render;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::atomic<int> connections{0};
  std::atomic<bool> listening{false};
};

namespace {

constexpr std::size_t kMaxRequest = 8192;
constexpr int kMaxConnections = 16;
constexpr auto kRequestTimeout = std::chrono::seconds(5);

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<MetricsHttpServer::State> state, tcp::socket socket)
      : state_(std::move(state)), socket_(std::move(socket)), timer_(socket_.get_executor()) {}
  ~HttpConnection() { state_->connections.fetch_sub(1); }

  void start() {
    timer_.expires_after(kRequestTimeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        self->socket_.close(ignored);
      }
    });
    asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, kMaxRequest), "\r\n\r\n",
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             self->on_request(ec);
                           });
  }

 private:
  void on_request(boost::system::error_code ec) {
    if (ec == asio::error::not_found) {
      respond("431 Request Header Fields Too Large", "text/plain", "request too large\n", true);
      return;
    }
    if (ec) {
      timer_.cancel();
      return;
    }
    const std::string_view request(buffer_);
    const std::string_view line = request.substr(0, request.find("\r\n"));
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
      respond("400 Bad Request", "text/plain", "bad request\n", true);
      return;
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    if (method != "GET" && method != "HEAD") {
      respond("405 Method Not Allowed", "text/plain", "only GET\n", method != "HEAD");
      return;
    }
    if (target != "/metrics") {
      respond("404 Not Found", "text/plain", "try /metrics\n", method == "GET");
      return;
    }
    respond("200 OK", "text/plain; version=0.0.4; charset=utf-8", state_->render(),
            method == "GET");
  }

  void respond(std::string_view status, std::string_view type, std::string body, bool with_body) {
    out_ = "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(type) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (with_body) out_ += body;
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](boost::system::error_code, std::size_t) {
                        self->timer_.cancel();
                        boost::system::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
                        self->socket_.close(ignored);
                      });
  }

  std::shared_ptr<MetricsHttpServer::State> state_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string buffer_, out_;
};

void accept_http(const std::shared_ptr<MetricsHttpServer::State>& state) {
  std::weak_ptr<MetricsHttpServer::State> weak = state;
  state->acceptor->async_accept(asio::make_strand(state->acceptor->get_executor()),
                                [weak](boost::system::error_code ec, tcp::socket socket) {
                                  auto state = weak.lock();
                                  if (!state || !state->listening) return;
                                  if (!ec) {
                                    if (state->connections.fetch_add(1) >= kMaxConnections) {
                                      state->connections.fetch_sub(1);
                                      boost::system::error_code ignored;
                                      socket.close(ignored);
                                    } else {
                                      auto conn = std::make_shared<HttpConnection>(
                                          state, std::move(socket));
                                      conn->start();
                                    }
                                  }
                                  accept_http(state);
                                });
}

}  // namespace

MetricsHttpServer::MetricsHttpServer(asio::io_context& io, std::function<std::string()> render)
    : io_(io), state_(std::make_shared<State>()) {
  state_->render = std::move(render);
}

MetricsHttpServer::~MetricsHttpServer() {
  stop();
}

std::error_code MetricsHttpServer::start(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return std::make_error_code(std::errc::invalid_argument);
  std::string host(listen.substr(0, colon));
  const std::string_view port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (perr != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback()) return std::make_error_code(std::errc::invalid_argument);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(port));
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::error_code(ec.value(), std::generic_category());
  state_->acceptor = std::move(acceptor);
  state_->listening = true;
  spdlog::info("metrics listening address={}:{}", host, this->port());
  accept_http(state_);
  return {};
}

void MetricsHttpServer::stop() {
  if (!state_->listening.exchange(false)) return;
  boost::system::error_code ignored;
  state_->acceptor->close(ignored);
}

std::uint16_t MetricsHttpServer::port() const {
  if (!state_->acceptor) return 0;
  boost::system::error_code ec;
  const auto ep = state_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace twoway::daemon
