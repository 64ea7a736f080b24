// The metrics HTTP listener on Boost.Beast: see metrics_http.hpp.
//
// Beast parses the request; this file only finds where the request head ends and turns bare LF
// line endings into CRLF first (RFC 9112 2.2 lets a server accept a lone LF; Beast does not),
// so a hand-typed `printf 'GET /metrics HTTP/1.0\n\n' | nc` is answered too.
#include "daemon/metrics_http.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace twoway::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The end of a request head: an empty line, after LF or CRLF line endings.
struct HeadEnd {
  template <class It>
  std::pair<It, bool> operator()(It begin, It end) const {
    for (It i = begin; i != end; ++i) {
      if (*i != '\n') continue;
      It j = i;
      if (++j == end) return {i, false};  // look again from this LF when more has arrived
      if (*j == '\n') return {++j, true};
      if (*j == '\r') {
        It k = j;
        if (++k == end) return {i, false};
        if (*k == '\n') return {++k, true};
      }
    }
    return {end, false};
  }
};

}  // namespace
}  // namespace twoway::daemon

template <>
struct boost::asio::is_match_condition<twoway::daemon::HeadEnd> : public std::true_type {};

namespace twoway::daemon {
namespace {

class HttpConnection;

// A request head with every line ending as CRLF, leading empty lines dropped.
std::string normalize_head(std::string_view head) {
  while (!head.empty() && (head.front() == '\r' || head.front() == '\n')) head.remove_prefix(1);
  std::string out;
  out.reserve(head.size() + 16);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) out.push_back('\r');
    out.push_back(head[i]);
  }
  return out;
}

std::int64_t steady_now() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

}  // namespace

struct MetricsHttpServer::State {
  std::function<std::string()> render;
  MetricsHttpLimits limits;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::atomic<bool> listening{false};
  std::mutex mutex;  // guards connections and next_id
  std::map<std::uint64_t, std::weak_ptr<HttpConnection>> connections;
  std::uint64_t next_id = 0;
};

namespace {

using State = MetricsHttpServer::State;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<State> state, tcp::socket socket, std::uint64_t id)
      : state_(std::move(state)), stream_(std::move(socket)), id_(id) {}

  ~HttpConnection() {
    std::lock_guard lock(state_->mutex);
    state_->connections.erase(id_);
  }

  void start() { read_request(state_->limits.request_timeout); }

  /// Closes the connection from another thread (eviction, stop).
  void close_soon() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

  /// True when waiting for a request (idle keep-alive or a slow client): it may be evicted.
  /// `since` is when it started waiting.
  bool waiting_since(std::int64_t& since) {
    if (!waiting_.load() || evicted_.load()) return false;
    since = waiting_since_.load();
    return true;
  }
  void mark_evicted() { evicted_.store(true); }

 private:
  void read_request(std::chrono::milliseconds limit) {
    waiting_since_.store(steady_now());
    waiting_.store(true);
    stream_.expires_after(limit);
    asio::async_read_until(stream_, asio::dynamic_buffer(in_, state_->limits.max_request_head),
                           HeadEnd{},
                           [self = shared_from_this()](boost::system::error_code ec,
                                                       std::size_t n) { self->on_head(ec, n); });
  }

  void on_head(boost::system::error_code ec, std::size_t n) {
    waiting_.store(false);
    if (evicted_.load()) return;
    if (ec == asio::error::not_found) {
      // The head does not fit the limit: answer, then close (the rest is not read).
      respond(http::status::request_header_fields_too_large, "request head too large\n", 11, false,
              false);
      return;
    }
    if (ec) return;  // closed, timed out or stopped: nothing to answer
    const std::string head = normalize_head(std::string_view(in_).substr(0, n));
    in_.erase(0, n);  // a pipelined next request stays in the buffer

    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(state_->limits.max_request_head * 2));
    boost::system::error_code parse_ec;
    parser.put(asio::buffer(head), parse_ec);
    if (parse_ec || !parser.is_header_done()) {
      respond(http::status::bad_request, "bad request\n", 11, false, false);
      return;
    }
    const auto& req = parser.get();
    // A request with a body (no GET we serve has one) is answered, then the connection closes
    // rather than reading a body it does not want.
    const bool keep_alive = req.keep_alive() && parser.is_done();
    const bool head_only = req.method() == http::verb::head;
    const unsigned version = req.version();
    if (req.method() != http::verb::get && !head_only) {
      respond(http::status::method_not_allowed, "only GET and HEAD: try GET /metrics\n", version,
              keep_alive, false);
      return;
    }
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    if (target != "/metrics") {
      respond(http::status::not_found, "not found: the metrics are at /metrics\n", version,
              keep_alive, head_only);
      return;
    }
    std::string body;
    try {
      body = state_->render();
    } catch (const std::exception& e) {
      SPDLOG_ERROR("metrics render failed error=\"{}\"", e.what());
      respond(http::status::internal_server_error, "metrics unavailable\n", version, false,
              head_only);
      return;
    }
    respond(http::status::ok, std::move(body), version, keep_alive, head_only);
  }

  void respond(http::status status, std::string body, unsigned version, bool keep_alive,
               bool head_only) {
    res_.emplace(status, version);
    res_->set(http::field::server, "twowayd");
    if (status == http::status::ok) {
      res_->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    } else {
      res_->set(http::field::content_type, "text/plain; charset=utf-8");
    }
    if (status == http::status::method_not_allowed) res_->set(http::field::allow, "GET, HEAD");
    res_->keep_alive(keep_alive);
    if (head_only) {
      res_->content_length(body.size());  // what GET would send; no body follows
    } else {
      res_->body() = std::move(body);
      res_->prepare_payload();
    }
    stream_.expires_after(state_->limits.write_timeout);
    http::async_write(
        stream_, *res_,
        [self = shared_from_this(), keep_alive](boost::system::error_code ec, std::size_t) {
          self->res_.reset();
          if (!ec && keep_alive && !self->evicted_.load()) {
            self->read_request(self->state_->limits.idle_timeout);
            return;
          }
          boost::system::error_code ignored;
          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
          self->stream_.close();
        });
  }

  std::shared_ptr<State> state_;
  beast::tcp_stream stream_;
  const std::uint64_t id_;
  std::string in_;
  std::optional<http::response<http::string_body>> res_;
  std::atomic<bool> waiting_{false}, evicted_{false};
  std::atomic<std::int64_t> waiting_since_{0};
};

// Takes a new connection in. At the limit, the connection that has waited longest for a request
// makes room; when every connection is busy answering, the new one is closed.
void admit(const std::shared_ptr<State>& state, tcp::socket socket) {
  std::shared_ptr<HttpConnection> victim, conn;
  // Connections looked at: released after the lock, since the last owner's destructor takes it.
  std::vector<std::shared_ptr<HttpConnection>> seen;
  {
    std::lock_guard lock(state->mutex);
    std::size_t live = 0;
    for (auto it = state->connections.begin(); it != state->connections.end();) {
      if (it->second.expired()) {
        it = state->connections.erase(it);
      } else {
        ++live;
        ++it;
      }
    }
    if (live >= state->limits.max_connections) {
      std::int64_t oldest = 0;
      for (auto& [id, weak] : state->connections) {
        auto c = weak.lock();
        if (!c) continue;
        seen.push_back(c);
        std::int64_t since = 0;
        if (c->waiting_since(since) && (!victim || since < oldest)) {
          victim = c;
          oldest = since;
        }
      }
      if (!victim) {
        boost::system::error_code ignored;
        socket.close(ignored);
        SPDLOG_DEBUG("metrics connection refused: {} connections busy", live);
        return;
      }
      victim->mark_evicted();
    }
    const std::uint64_t id = state->next_id++;
    conn = std::make_shared<HttpConnection>(state, std::move(socket), id);
    state->connections.emplace(id, conn);
  }
  if (victim) victim->close_soon();
  conn->start();
}

void accept_loop(const std::shared_ptr<State>& state) {
  std::weak_ptr<State> weak = state;
  state->acceptor->async_accept(asio::make_strand(state->acceptor->get_executor()),
                                [weak](boost::system::error_code ec, tcp::socket socket) {
                                  auto state = weak.lock();
                                  if (!state || !state->listening) return;
                                  if (!ec) {
                                    admit(state, std::move(socket));
                                  } else if (ec == asio::error::no_descriptors) {
                                    SPDLOG_WARN("metrics accept failed error=\"{}\"", ec.message());
                                  }
                                  accept_loop(state);
                                });
}

}  // namespace

MetricsHttpServer::MetricsHttpServer(asio::io_context& io, std::function<std::string()> render,
                                     MetricsHttpLimits limits)
    : io_(io), state_(std::make_shared<State>()) {
  state_->render = std::move(render);
  state_->limits = limits;
}

MetricsHttpServer::~MetricsHttpServer() {
  stop();
}

std::error_code MetricsHttpServer::start(std::string_view listen) {
  const auto endpoint = parse_listen_address(listen);
  if (!endpoint) return std::make_error_code(std::errc::invalid_argument);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  boost::system::error_code ec;
  acceptor->open(endpoint->protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(*endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::error_code(ec.value(), std::generic_category());
  state_->acceptor = std::move(acceptor);
  state_->listening = true;
  const std::string address = endpoint->address().to_string();
  SPDLOG_INFO("metrics listening address={} port={}", address, port());
  if (!endpoint->address().is_loopback()) {
    SPDLOG_WARN(
        "metrics listening on a non-loopback address={} port={}: whoever reaches it reads the "
        "metrics; fence it (a firewall, IPAddressAllow= in the systemd unit)",
        address, port());
  }
  accept_loop(state_);
  return {};
}

void MetricsHttpServer::stop() {
  if (!state_->listening.exchange(false)) return;
  boost::system::error_code ignored;
  state_->acceptor->close(ignored);
  std::vector<std::shared_ptr<HttpConnection>> open;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& [id, weak] : state_->connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  for (auto& c : open) {
    c->mark_evicted();
    c->close_soon();
  }
}

std::uint16_t MetricsHttpServer::port() const {
  if (!state_->acceptor) return 0;
  boost::system::error_code ec;
  const auto ep = state_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::size_t MetricsHttpServer::connections() const {
  std::lock_guard lock(state_->mutex);
  std::size_t n = 0;
  for (auto& [id, weak] : state_->connections) n += weak.expired() ? 0 : 1;
  return n;
}

}  // namespace twoway::daemon
