// Prometheus text format from the registry, the HTTP listener serving it, and the process_*
// and build-info metrics.
#include "daemon/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <thread>

#include "daemon/metrics_http.hpp"
#include "daemon/process_metrics.hpp"

using namespace twoway::daemon;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

TEST(Metrics, TextFormat) {
  MetricsRegistry r;
  r.counter("pdus", "PDUs by command", {{"smsc", "sim"}, {"command", "deliver_sm"}}).inc(3);
  r.counter("pdus", "PDUs by command", {{"smsc", "sim"}, {"command", "submit_sm"}}).inc();
  r.gauge("outbox_depth", "Messages waiting").set(12);
  r.gauge("twoway_window_in_use", "Outstanding requests", {{"bind", "sim#1"}}).set(2.5);
  EXPECT_EQ(r.render(),
            "# HELP twoway_pdus_total PDUs by command\n"
            "# TYPE twoway_pdus_total counter\n"
            "twoway_pdus_total{smsc=\"sim\",command=\"deliver_sm\"} 3\n"
            "twoway_pdus_total{smsc=\"sim\",command=\"submit_sm\"} 1\n"
            "# HELP twoway_outbox_depth Messages waiting\n"
            "# TYPE twoway_outbox_depth gauge\n"
            "twoway_outbox_depth 12\n"
            "# HELP twoway_window_in_use Outstanding requests\n"
            "# TYPE twoway_window_in_use gauge\n"
            "twoway_window_in_use{bind=\"sim#1\"} 2.5\n");
}

TEST(Metrics, SameSeriesIsTheSameObject) {
  MetricsRegistry r;
  Counter& a = r.counter("x_total", "x", {{"k", "v"}});
  Counter& b = r.counter("x", "x", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  a.inc(2);
  b.inc(-5);  // counters never go down
  EXPECT_EQ(b.value(), 2);
}

TEST(Metrics, Histogram) {
  MetricsRegistry r;
  Histogram& h = r.histogram("commit_duration_seconds", "Commit time", {0.001, 0.01, 0.1});
  h.observe(0.0005);
  h.observe(0.001);  // on a bound: counted in that bucket (le = less or equal)
  h.observe(0.05);
  h.observe(3);
  EXPECT_EQ(r.render(),
            "# HELP twoway_commit_duration_seconds Commit time\n"
            "# TYPE twoway_commit_duration_seconds histogram\n"
            "twoway_commit_duration_seconds_bucket{le=\"0.001\"} 2\n"
            "twoway_commit_duration_seconds_bucket{le=\"0.01\"} 2\n"
            "twoway_commit_duration_seconds_bucket{le=\"0.1\"} 3\n"
            "twoway_commit_duration_seconds_bucket{le=\"+Inf\"} 4\n"
            "twoway_commit_duration_seconds_sum 3.0515\n"
            "twoway_commit_duration_seconds_count 4\n");
}

TEST(Metrics, HistogramWithLabels) {
  MetricsRegistry r;
  r.histogram("rtt_seconds", "RTT", {1}, {{"smsc", "a"}}).observe(0.5);
  EXPECT_THAT(r.render(), HasSubstr("twoway_rtt_seconds_bucket{smsc=\"a\",le=\"1\"} 1\n"
                                    "twoway_rtt_seconds_bucket{smsc=\"a\",le=\"+Inf\"} 1\n"
                                    "twoway_rtt_seconds_sum{smsc=\"a\"} 0.5\n"));
}

TEST(Metrics, LabelEscapingAndNoPhoneNumbers) {
  MetricsRegistry r;
  r.gauge("g", "help with \\ and\nnewline", {{"name", "a\"b\\c\nd"}}).set(1);
  r.gauge("g", "", {{"number", "+1 (555) 123-4567"}}).set(1);
  r.gauge("g", "", {{"number", "15551234567"}}).set(1);
  r.gauge("g", "", {{"short_code", "12345"}}).set(1);
  EXPECT_EQ(r.render(),
            "# HELP twoway_g help with \\\\ and\\nnewline\n"
            "# TYPE twoway_g gauge\n"
            "twoway_g{name=\"a\\\"b\\\\c\\nd\"} 1\n"
            "twoway_g{number=\"redacted\"} 1\n"  // both numbers: one redacted series
            "twoway_g{short_code=\"12345\"} 1\n");
  EXPECT_TRUE(looks_like_phone_number("+15551234567"));
  EXPECT_FALSE(looks_like_phone_number("sim#1"));
  EXPECT_FALSE(looks_like_phone_number("v1.2.3"));
}

TEST(Metrics, InvalidNamesAndTypeClashesAreProgrammingErrors) {
  MetricsRegistry r;
  EXPECT_THROW(r.gauge("bad-name", ""), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "", {{"bad label", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "", {{"__reserved", "v"}}), std::invalid_argument);
  r.gauge("dual", "");
  EXPECT_THROW(r.histogram("dual", "", {1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "", {2, 1}), std::invalid_argument);
}

class MetricsHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.counter("scrapes", "Scrapes").inc(7);
    make_server({});
  }
  void make_server(MetricsHttpLimits limits) {
    server_ = std::make_unique<MetricsHttpServer>(
        io_, [this] { return registry_.render(); }, limits);
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    if (runner_.joinable()) runner_.join();
  }
  void run() {
    runner_ = std::thread([this] { io_.run(); });
  }

  boost::asio::ip::tcp::socket connect(boost::asio::io_context& client_io) {
    boost::asio::ip::tcp::socket s(client_io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    return s;
  }

  // Sends `request` and returns everything the server sends back before closing.
  std::string exchange(const std::string& request) {
    boost::asio::io_context client_io;
    auto s = connect(client_io);
    boost::asio::write(s, boost::asio::buffer(request));
    std::string reply;
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::dynamic_buffer(reply), ec);
    return reply;
  }

  // Reads one response (head and Content-Length body) from a kept-alive connection.
  static std::string read_response(boost::asio::ip::tcp::socket& s, std::string& buffer,
                                   bool head_only = false) {
    boost::system::error_code ec;
    const std::size_t head_end =
        boost::asio::read_until(s, boost::asio::dynamic_buffer(buffer), "\r\n\r\n", ec);
    if (ec) return {};
    std::string head = buffer.substr(0, head_end);
    buffer.erase(0, head_end);
    std::size_t length = 0;
    if (auto p = head.find("Content-Length: "); p != std::string::npos)
      length = std::stoul(head.substr(p + 16));
    if (head_only) return head;
    if (buffer.size() < length)
      boost::asio::read(s, boost::asio::dynamic_buffer(buffer),
                        boost::asio::transfer_exactly(length - buffer.size()), ec);
    std::string body = buffer.substr(0, length);
    buffer.erase(0, length);
    return head + body;
  }

  MetricsRegistry registry_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread runner_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpTest, ServesMetrics) {
  ASSERT_FALSE(server_->start("127.0.0.1:0"));
  ASSERT_NE(server_->port(), 0);
  run();
  const std::string reply =
      exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(reply, HasSubstr("\r\n\r\n# HELP twoway_scrapes_total Scrapes\n"));
  EXPECT_THAT(reply, HasSubstr("twoway_scrapes_total 7\n"));
}

TEST_F(MetricsHttpTest, OtherPathsMethodsAndOversizedRequests) {
  ASSERT_FALSE(server_->start("localhost:0"));
  run();
  EXPECT_THAT(exchange("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
              StartsWith("HTTP/1.1 404 Not Found\r\n"));
  const std::string post = exchange("POST /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(post, HasSubstr("\r\nAllow: GET, HEAD\r\n"));
  EXPECT_THAT(exchange("GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n"),
              StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(exchange("nonsense\r\n\r\n"), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(MetricsHttpTest, BareLineFeedsAreAnswered) {
  ASSERT_FALSE(server_->start("127.0.0.1:0"));
  run();
  const std::string reply = exchange("GET /metrics HTTP/1.0\n\n");
  EXPECT_THAT(reply, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("twoway_scrapes_total 7\n"));
}

TEST_F(MetricsHttpTest, KeepAliveServesSeveralRequestsAndHeadHasNoBody) {
  ASSERT_FALSE(server_->start("127.0.0.1:0"));
  run();
  boost::asio::io_context client_io;
  auto s = connect(client_io);
  std::string buffer;
  for (int i = 0; i < 3; ++i) {
    boost::asio::write(
        s, boost::asio::buffer(std::string("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")));
    const std::string r = read_response(s, buffer);
    EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n")) << i;
    EXPECT_THAT(r, HasSubstr("twoway_scrapes_total 7\n")) << i;
  }
  // HEAD: the length GET would send, then the next response follows at once on the same line.
  boost::asio::write(s,
                     boost::asio::buffer(std::string("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                                                     "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")));
  const std::string head = read_response(s, buffer, true);
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head, HasSubstr("Content-Length: " + std::to_string(registry_.render().size())));
  EXPECT_THAT(read_response(s, buffer), StartsWith("HTTP/1.1 404 Not Found\r\n"));
}

TEST_F(MetricsHttpTest, IdleConnectionsBeyondTheLimitDoNotLockAScrapeOut) {
  MetricsHttpLimits limits;
  limits.max_connections = 4;
  make_server(limits);
  ASSERT_FALSE(server_->start("127.0.0.1:0"));
  run();
  boost::asio::io_context client_io;
  std::vector<boost::asio::ip::tcp::socket> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(connect(client_io));
  const std::string reply = exchange("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_LE(server_->connections(), limits.max_connections + 1);
}

TEST_F(MetricsHttpTest, ASilentConnectionIsClosedAfterTheRequestTimeout) {
  MetricsHttpLimits limits;
  limits.request_timeout = std::chrono::milliseconds(200);
  make_server(limits);
  ASSERT_FALSE(server_->start("127.0.0.1:0"));
  run();
  boost::asio::io_context client_io;
  auto s = connect(client_io);
  char c;
  boost::system::error_code ec;
  const std::size_t n = s.read_some(boost::asio::buffer(&c, 1), ec);  // blocks until closed
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
      << ec.message();
}

TEST(MetricsListen, AnyIpAddressAndPort) {
  EXPECT_TRUE(parse_listen_address("127.0.0.1:9464"));
  EXPECT_TRUE(parse_listen_address("0.0.0.0:9464"));
  EXPECT_TRUE(parse_listen_address("10.0.0.1:9464"));
  EXPECT_TRUE(parse_listen_address("[::]:9464"));
  EXPECT_TRUE(parse_listen_address("[::1]:0"));
  EXPECT_EQ(parse_listen_address("localhost:9464")->address().to_string(), "127.0.0.1");
  EXPECT_FALSE(parse_listen_address("127.0.0.1"));
  EXPECT_FALSE(parse_listen_address("127.0.0.1:99999"));
  EXPECT_FALSE(parse_listen_address("127.0.0.1:"));
  EXPECT_FALSE(parse_listen_address("::1:9464"));  // IPv6 needs brackets
  EXPECT_FALSE(parse_listen_address("metrics.example:9464"));
}

TEST_F(MetricsHttpTest, StartRefusesWhatDoesNotParse) {
  EXPECT_EQ(server_->start("127.0.0.1"), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(server_->start("host:9464"), std::make_error_code(std::errc::invalid_argument));
}

TEST(ProcessMetrics, ProcStatFieldsAfterACommandWithSpacesAndParentheses) {
  // Fields 3..24 of proc(5): starttime is 22, vsize 23, rss 24.
  const std::string line =
      "4242 (tw (o) way) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 123456789 321 25 26";
  const auto p = parse_proc_stat(line);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->start_ticks, 987654u);
  EXPECT_EQ(p->vsize, 123456789u);
  EXPECT_EQ(p->rss_pages, 321u);
  EXPECT_FALSE(parse_proc_stat("4242 (short) S 1 2"));
}

TEST(ProcessMetrics, ThisProcessHasPlausibleFigures) {
  const ProcessStats s = read_process_stats();
  EXPECT_GT(s.resident_bytes, 0u);
  EXPECT_GE(s.virtual_bytes, s.resident_bytes);
  ASSERT_TRUE(s.open_fds);
  EXPECT_GE(*s.open_fds, 3u);  // stdin, stdout, stderr at least
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(s.start_time_seconds, now);
  EXPECT_GT(s.start_time_seconds, now - 3600);  // this test started within the hour
  const std::string text = process_metrics_text(s);
  EXPECT_THAT(text,
              HasSubstr("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total "));
  EXPECT_THAT(text, HasSubstr("\nprocess_resident_memory_bytes " +
                              std::to_string(s.resident_bytes) + "\n"));
  EXPECT_THAT(text, HasSubstr("\nprocess_open_fds " + std::to_string(*s.open_fds) + "\n"));
}

TEST(ProcessMetrics, BuildInfoLabels) {
  EXPECT_EQ(build_info_metrics_text("0.1.0", "abc\"def"),
            "# HELP twoway_build_info Always 1; the labels give the version and the git commit "
            "twowayd was built from\n# TYPE twoway_build_info gauge\n"
            "twoway_build_info{version=\"0.1.0\",commit=\"abc\\\"def\"} 1\n");
}

}  // namespace
