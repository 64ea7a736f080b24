// The redirect listener in process, with an engine on a temporary store and an injected clock:
// the connection limit, the header deadline, expiry by the clock, and clicks written in one
// batch.
#include "daemon/link_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <thread>

#include "engine/links.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace twoway::daemon {
namespace {

constexpr std::int64_t kNow = 1781542800;  // 2026-06-15 17:00 UTC
constexpr const char* kAnn = "+16502530000";

using engine::testing::TempDir;

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Everything the server sends until it closes (or 10 s pass).
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

std::string request(std::uint16_t port, const std::string& bytes) {
  const int fd = connect_to(port);
  if (fd < 0) return "";
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out = read_all(fd);
  ::close(fd);
  return out;
}

class LinkServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineConfig c;
    c.path = dir_.path() + "/db";
    c.map_size = std::size_t{16} << 20;
    c.sending_numbers = {"+16505550100"};
    c.initial_settings.link_shortening.enabled = true;
    c.initial_settings.link_shortening.domain = "go.acme.example";
    c.initial_settings.link_shortening.expiry_seconds = 3600;
    engine_ = std::make_unique<engine::Engine>(c, engine::EngineMode::synchronous);
    // Ann is subscribed and texted: a reply to her carries a short link.
    ASSERT_EQ(engine_->import_consent(kAnn, engine::Consent::subscribed,
                                      engine::ConsentSource::import, kNow),
              engine::ActionError::ok);
    engine::InboundMessage m;
    m.smsc = "s";
    m.source = kAnn;
    m.source_ton = 1;
    m.source_npi = 1;
    m.destination = "+16505550100";
    m.text = "hi";
    m.received_unix = kNow;
    engine_->apply_inbound(m);
    const auto r = engine_->reply({kAnn, "See https://shop.example/a", "ann", false, kNow});
    ASSERT_TRUE(r.ok());
    const auto found = engine::find_links(r.text);
    ASSERT_EQ(found.size(), 1u);
    code_ = r.text.substr(found[0].pos + std::string("https://go.acme.example/").size(),
                          found[0].len - std::string("https://go.acme.example/").size());
  }

  void start(LinkServerOptions options) {
    options.now = [this] { return clock_.load(); };
    server_ = std::make_unique<LinkServer>(io_, *engine_, std::move(options));
    ASSERT_FALSE(server_->listen("127.0.0.1:0"));
    const std::string local = server_->local_address();
    port_ = static_cast<std::uint16_t>(std::stoi(local.substr(local.rfind(':') + 1)));
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (server_) server_->stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::string code_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<LinkServer> server_;
  std::uint16_t port_ = 0;
  std::atomic<std::int64_t> clock_{kNow};
};

TEST_F(LinkServerTest, ExpiryFollowsTheClock) {
  start({});
  const std::string get = "GET /" + code_ + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(request(port_, get).rfind("HTTP/1.1 302", 0), 0u);
  clock_ = kNow + 3599;
  EXPECT_EQ(request(port_, get).rfind("HTTP/1.1 302", 0), 0u);
  clock_ = kNow + 3600;
  const std::string gone = request(port_, get);
  EXPECT_EQ(gone.rfind("HTTP/1.1 410", 0), 0u) << gone;
  EXPECT_EQ(server_->counters().expired.load(), 1u);
}

TEST_F(LinkServerTest, ClicksAreWrittenInOneBatch) {
  LinkServerOptions o;
  o.click_flush_interval = std::chrono::hours(1);  // only the explicit flush writes
  start(o);
  const std::string get = "GET /" + code_ + " HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string five;
  for (int i = 0; i < 5; ++i) five += get;
  five += "HEAD /" + code_ + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string answers = request(port_, five);
  std::size_t redirects = 0;
  for (auto p = answers.find("HTTP/1.1 302"); p != std::string::npos;
       p = answers.find("HTTP/1.1 302", p + 1))
    ++redirects;
  EXPECT_EQ(redirects, 6u) << answers;
  EXPECT_EQ(engine_->link(code_)->clicks, 0u) << "nothing written before the batch";
  server_->flush_clicks();
  EXPECT_EQ(engine_->link(code_)->clicks, 5u) << "GETs count, HEAD does not";
}

TEST_F(LinkServerTest, ConnectionsBeyondTheLimitGet503) {
  LinkServerOptions o;
  o.max_connections = 2;
  start(o);
  const int a = connect_to(port_);
  const int b = connect_to(port_);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  // Both are being served (a request on each proves it), then a third is turned away.
  const std::string head = "HEAD /ZZZZZZZZ HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int fd : {a, b}) {
    (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    char buf[512];
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
  }
  const std::string third = request(port_, head);
  EXPECT_EQ(third.rfind("HTTP/1.1 503", 0), 0u) << third;
  ::close(a);
  ::close(b);
}

TEST_F(LinkServerTest, AClientThatNeverFinishesItsHeaderIsClosed) {
  LinkServerOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  start(o);
  const int fd = connect_to(port_);
  ASSERT_GE(fd, 0);
  const std::string partial = "GET /" + code_ + " HTTP/1.1\r\nHost: x\r\n";  // no blank line
  (void)::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
  // The server closes the connection without an answer: recv sees the end of the stream (0),
  // not an answer and not the client's own 10 s receive limit (-1).
  char c;
  EXPECT_EQ(::recv(fd, &c, 1, 0), 0);
  ::close(fd);
}

}  // namespace
}  // namespace twoway::daemon
