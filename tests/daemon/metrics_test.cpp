// Prometheus text format from the registry, and the loopback HTTP listener serving it.
#include "daemon/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

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
    server_ = std::make_unique<MetricsHttpServer>(io_, [this] { return registry_.render(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    work_.reset();
    if (runner_.joinable()) runner_.join();
  }
  void run() {
    runner_ = std::thread([this] { io_.run(); });
  }

  // Sends `request` and returns everything the server sends back before closing.
  std::string exchange(const std::string& request) {
    boost::asio::io_context client_io;
    boost::asio::ip::tcp::socket s(client_io);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(s, boost::asio::buffer(request));
    std::string reply;
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::dynamic_buffer(reply), ec);
    return reply;
  }

  MetricsRegistry registry_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread runner_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpTest, ServesMetricsOnLoopback) {
  ASSERT_FALSE(server_->start("127.0.0.1:0"));
  ASSERT_NE(server_->port(), 0);
  run();
  const std::string reply = exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(reply, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(reply, HasSubstr("\r\n\r\n# HELP twoway_scrapes_total Scrapes\n"));
  EXPECT_THAT(reply, HasSubstr("twoway_scrapes_total 7\n"));
}

TEST_F(MetricsHttpTest, OtherPathsMethodsAndOversizedRequests) {
  ASSERT_FALSE(server_->start("localhost:0"));
  run();
  EXPECT_THAT(exchange("GET / HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(exchange("POST /metrics HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(exchange("GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a') + "\r\n\r\n"),
              StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(exchange("nonsense\r\n\r\n"), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(MetricsHttpTest, RefusesNonLoopbackAddresses) {
  EXPECT_EQ(server_->start("0.0.0.0:0"), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(server_->start("10.0.0.1:9464"), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(server_->start("127.0.0.1"), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(server_->start("127.0.0.1:99999"), std::make_error_code(std::errc::invalid_argument));
}

}  // namespace
