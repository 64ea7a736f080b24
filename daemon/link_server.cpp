// The short-link redirect service (see link_server.hpp): one strand for the listener and the
// click timer, one per connection.
#include "daemon/link_server.hpp"

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/links.hpp"

namespace twoway::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A token bucket per client address. Bounded: when the table is full, clients whose bucket
/// has refilled are forgotten; a new client finds no room only while every tracked one is
/// active, and is then refused like one over its rate.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst, std::size_t max_clients)
      : rate_(rate), burst_(burst), max_(max_clients) {}

  bool take(const std::string& client) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    auto it = buckets_.find(client);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_) prune(now);
      if (buckets_.size() >= max_) return false;
      it = buckets_.emplace(client, Bucket{burst_, now}).first;
    }
    Bucket& b = it->second;
    b.tokens = std::min(burst_, b.tokens + seconds(now - b.at) * rate_);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  static double seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double>(d).count();
  }
  void prune(std::chrono::steady_clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (it->second.tokens + seconds(now - it->second.at) * rate_ >= burst_)
        it = buckets_.erase(it);
      else
        ++it;
    }
  }
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  double rate_, burst_;
  std::size_t max_;
};

/// "HOST:PORT" / "[v6]:PORT" → endpoint (literal addresses, or names resolved now).
std::optional<tcp::endpoint> parse_listen(asio::io_context& io, const std::string& address,
                                          std::error_code& ec) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || !engine::valid_listen_address(address)) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return std::nullopt;
  }
  std::string host = address.substr(0, colon);
  const auto port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code bec;
  const auto ip = asio::ip::make_address(host, bec);
  if (!bec) return tcp::endpoint(ip, port);
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), bec);
  if (bec || results.empty()) {
    ec = bec ? std::error_code(bec.value(), std::system_category())
             : std::make_error_code(std::errc::address_not_available);
    return std::nullopt;
  }
  return results.begin()->endpoint();
}

}  // namespace

struct LinkServer::State : std::enable_shared_from_this<LinkServer::State> {
  State(asio::io_context& io_, engine::Engine& engine_, LinkServerOptions options_)
      : io(io_),
        engine(engine_),
        options(std::move(options_)),
        strand(asio::make_strand(io_)),
        acceptor(strand),
        click_timer(strand),
        limiter(options.rate_per_second, options.burst, options.max_clients_tracked) {
    if (!options.now) options.now = unix_now;
  }

  asio::io_context& io;
  engine::Engine& engine;
  LinkServerOptions options;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer click_timer;
  RateLimiter limiter;
  LinkServerCounters counters;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopping{false};
  std::string listening;  // the address asked for (strand)
  mutable std::mutex address_mu;
  std::string local;  // the bound address, for local_address()
  bool timer_running = false;

  std::mutex clicks_mu;
  std::unordered_map<std::string, std::uint64_t> clicks;

  void count_click(const std::string& code) {
    std::lock_guard lock(clicks_mu);
    ++clicks[code];
  }

  void flush_clicks() {
    std::unordered_map<std::string, std::uint64_t> batch;
    {
      std::lock_guard lock(clicks_mu);
      batch.swap(clicks);
    }
    if (batch.empty()) return;
    std::vector<std::pair<std::string, std::uint64_t>> v(batch.begin(), batch.end());
    engine.count_clicks(std::move(v));
  }

  void arm_click_timer() {
    click_timer.expires_after(options.click_flush_interval);
    click_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      self->flush_clicks();
      if (!self->stopping) self->arm_click_timer();
    });
  }

  void accept();
};

namespace {

/// One client connection: requests read one at a time with a deadline, each answered before
/// the next is read (pipelined requests wait in the buffer).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<LinkServer::State> state, bool overloaded)
      : stream_(std::move(socket)), state_(std::move(state)), overloaded_(overloaded) {}

  ~Session() { state_->connections.fetch_sub(1); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->overloaded_) {
        ++self->state_->counters.bad_requests;
        self->respond_error(http::status::service_unavailable, "Too many connections\n", 11);
        return;
      }
      self->read();
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.header_limit));
    parser_->body_limit(0);
    buffer_.max_size(state_->options.header_limit + 1024);
    stream_.expires_after(state_->options.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      close();
      return;
    }
    if (ec) {
      ++state_->counters.bad_requests;
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        respond_error(http::status::request_header_fields_too_large, "Request header too large\n",
                      11);
      else if (ec == http::error::body_limit || ec == http::error::unexpected_body)
        respond_error(http::status::payload_too_large, "No request body is accepted\n", 11);
      else
        respond_error(http::status::bad_request, "Bad request\n", 11);
      return;
    }
    handle(parser_->get());
  }

  /// The client's address: the peer, or, from a proxy on this machine, the last address of
  /// X-Forwarded-For (the one the proxy itself saw).
  std::string client(const http::request<http::empty_body>& req) {
    beast::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (ec) return "?";
    const auto address = peer.address();
    if (address.is_loopback()) {
      const auto xff = req.find("X-Forwarded-For");
      if (xff != req.end()) {
        std::string_view v(xff->value().data(), xff->value().size());
        if (const auto comma = v.rfind(','); comma != std::string_view::npos)
          v.remove_prefix(comma + 1);
        while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
        while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
        boost::system::error_code bec;
        const auto forwarded = asio::ip::make_address(std::string(v), bec);
        if (!bec) return forwarded.to_string();
      }
    }
    return address.to_string();
  }

  void handle(const http::request<http::empty_body>& req) {
    const unsigned version = req.version();
    const bool head = req.method() == http::verb::head;
    if (!state_->limiter.take(client(req))) {
      ++state_->counters.rate_limited;
      auto res =
          text_response(http::status::too_many_requests, "Too many requests\n", version, head);
      res.set(http::field::retry_after, "1");
      send(std::move(res), false);
      return;
    }
    if (req.method() != http::verb::get && !head) {
      ++state_->counters.bad_requests;
      auto res =
          text_response(http::status::method_not_allowed, "Method not allowed\n", version, false);
      res.set(http::field::allow, "GET, HEAD");
      send(std::move(res), false);
      return;
    }
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find_first_of("?#"));
    std::optional<engine::ShortLink> link;
    if (target.size() > 1 && target.front() == '/')
      link = state_->engine.link(target.substr(1));  // malformed codes find nothing
    const bool keep = req.keep_alive() && ++served_ < state_->options.max_requests_per_connection &&
                      !state_->stopping;
    if (!link) {
      ++state_->counters.not_found;
      send(text_response(http::status::not_found, "Not found\n", version, head), keep);
      return;
    }
    if (state_->options.now() >= link->expires) {
      ++state_->counters.expired;
      send(text_response(http::status::gone, "This link has expired\n", version, head), keep);
      return;
    }
    ++state_->counters.redirects;
    if (!head) state_->count_click(link->code);
    auto res = text_response(http::status::found, "Found: " + link->url + "\n", version, head);
    res.set(http::field::location, link->url);
    send(std::move(res), keep);
  }

  static http::response<http::string_body> text_response(http::status status, std::string body,
                                                         unsigned version, bool head) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "twoway");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.set("Referrer-Policy", "no-referrer");
    const std::size_t length = body.size();
    if (!head) res.body() = std::move(body);
    res.prepare_payload();
    if (head) res.content_length(length);  // what a GET would carry; no body follows
    return res;
  }

  void respond_error(http::status status, const char* body, unsigned version) {
    send(text_response(status, body, version, false), false);
  }

  void send(http::response<http::string_body> res, bool keep_alive) {
    res.keep_alive(keep_alive);
    auto msg = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(state_->options.request_timeout);
    http::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            self->close();
            return;
          }
          self->read();
        });
  }

  /// A graceful close: the answer is complete, then what the client still sends (the rest of
  /// a refused request, pipelined requests) is read and dropped, at most 1 MiB or 2 s, so the
  /// kernel does not reset the connection before the client has read the answer.
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      stream_.close();
      return;
    }
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (std::size_t{1} << 20)) {
                                self->stream_.close();
                                return;
                              }
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<LinkServer::State> state_;
  bool overloaded_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  unsigned served_ = 0;
  std::array<char, 4096> scratch_;
  std::size_t drained_ = 0;
};

}  // namespace

void LinkServer::State::accept() {
  acceptor.async_accept(
      asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
        if (!ec) {
          const bool overloaded = self->connections.fetch_add(1) >= self->options.max_connections;
          std::make_shared<Session>(std::move(socket), self, overloaded)->start();
        } else {
          spdlog::warn("link redirects: accept failed: {}", ec.message());
        }
        self->accept();
      });
}

LinkServer::LinkServer(asio::io_context& io, engine::Engine& engine, LinkServerOptions options)
    : state_(std::make_shared<State>(io, engine, std::move(options))) {}

LinkServer::~LinkServer() {
  stop();
}

std::error_code LinkServer::listen(const std::string& address) {
  State& s = *state_;
  if (address == s.listening && (address.empty() || s.acceptor.is_open())) return {};
  boost::system::error_code ignored;
  if (s.acceptor.is_open()) s.acceptor.close(ignored);
  s.listening.clear();
  {
    std::lock_guard lock(s.address_mu);
    s.local.clear();
  }
  if (address.empty()) return {};
  std::error_code ec;
  const auto endpoint = parse_listen(s.io, address, ec);
  if (!endpoint) return ec;
  boost::system::error_code bec;
  s.acceptor.open(endpoint->protocol(), bec);
  if (!bec) s.acceptor.set_option(asio::socket_base::reuse_address(true), bec);
  if (!bec) s.acceptor.bind(*endpoint, bec);
  if (!bec) s.acceptor.listen(asio::socket_base::max_listen_connections, bec);
  if (bec) {
    s.acceptor.close(ignored);
    return {bec.value(), std::system_category()};
  }
  s.listening = address;
  const auto bound = s.acceptor.local_endpoint(bec);
  {
    std::lock_guard lock(s.address_mu);
    s.local = bound.address().is_v6()
                  ? "[" + bound.address().to_string() + "]:" + std::to_string(bound.port())
                  : bound.address().to_string() + ":" + std::to_string(bound.port());
  }
  s.stopping = false;
  if (!s.timer_running) {
    s.timer_running = true;
    s.arm_click_timer();
  }
  s.accept();
  spdlog::info("link redirects listening on {}", local_address());
  return {};
}

void LinkServer::apply(std::string address) {
  asio::post(state_->strand, [this, state = state_, address = std::move(address)] {
    if (state->stopping) return;
    if (auto ec = listen(address))
      spdlog::error("link redirects: cannot listen on {}: {} (link_shortening.listen)", address,
                    ec.message());
  });
}

std::string LinkServer::local_address() const {
  std::lock_guard lock(state_->address_mu);
  return state_->local;
}

void LinkServer::stop() {
  State& s = *state_;
  s.stopping = true;
  asio::dispatch(s.strand, [state = state_] {
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
    state->click_timer.cancel();
    state->timer_running = false;
  });
  s.flush_clicks();
}

void LinkServer::flush_clicks() {
  state_->flush_clicks();
}

std::string link_metrics_text(const LinkServerCounters& c) {
  std::string out =
      "# HELP twoway_link_redirects_total Short links answered with a redirect\n"
      "# TYPE twoway_link_redirects_total counter\n"
      "twoway_link_redirects_total " +
      std::to_string(c.redirects.load()) +
      "\n"
      "# HELP twoway_link_requests_refused_total Redirect requests answered otherwise, by "
      "reason\n"
      "# TYPE twoway_link_requests_refused_total counter\n";
  const std::pair<const char*, std::uint64_t> reasons[] = {{"not_found", c.not_found.load()},
                                                           {"expired", c.expired.load()},
                                                           {"rate_limited", c.rate_limited.load()},
                                                           {"bad_request", c.bad_requests.load()}};
  for (const auto& [reason, n] : reasons)
    out += std::string("twoway_link_requests_refused_total{reason=\"") + reason + "\"} " +
           std::to_string(n) + "\n";
  return out;
}

const LinkServerCounters& LinkServer::counters() const {
  return state_->counters;
}

}  // namespace twoway::daemon
