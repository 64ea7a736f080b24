// End-to-end link shortening: the real twowayd with a short domain, the SMSC simulator, curl
// and raw sockets against the redirect listener. A reply's link reaches the simulator as a
// short link, which redirects to the address, counts its clicks in the thread, expires, and
// refuses what is not a plain GET or HEAD of a stored code.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <regex>
#include <string>

#include "harness.hpp"
#include "smpp/charset.hpp"
#include "tools/smsc_sim/mo_mix.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";
constexpr const char* kAnn = "16502530001";
constexpr const char* kDomain = "go.acme.example";

std::string config_yaml(const std::string& dir, std::uint16_t port) {
  TestConfig c;
  c.number = kOurNumber;
  c.smsc_lines = "    reconnect_min: 100ms\n    reconnect_max: 1s\n";
  c.rest =
      "conversations:\n  quiet_hours:\n    enabled: false\n"
      "  link_shortening:\n    domain: " +
      std::string(kDomain) + "\n    listen: 127.0.0.1:0\n    expiry: 90d\n";
  return c.yaml(dir, port);
}

/// Runs a shell command, returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

/// Sends `bytes` to 127.0.0.1:port and reads until the server closes (or 10 s pass).
std::string raw_http(std::uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

class LinksEndToEnd : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber, /*keep_mt_records=*/true));
    write_file(config_, config_yaml(dir_.path(), sim_->port()));
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    // The listener was asked for port 0; the log says which one it got.
    const std::regex listening("link redirects listening on 127\\.0\\.0\\.1:([0-9]+)");
    ASSERT_TRUE(wait_for([&] {
      std::smatch m;
      const std::string log = daemon_->log();
      if (!std::regex_search(log, m, listening)) return false;
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return true;
    })) << daemon_->log();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    // Ann texts in and is subscribed.
    ASSERT_EQ(call("consent +" + std::string(kAnn) + " subscribed")["ok"], true);
    sim_->sim().inject_mo("twoway", sim::text_template("hello", "text"), kAnn);
    ASSERT_TRUE(wait_for([&] {
      auto t = call("thread +" + std::string(kAnn));
      return t["ok"] == true && !t["messages"].empty();
    }));
  }

  /// The code of the first short link in `text`.
  static std::string code_in(const std::string& text) {
    std::smatch m;
    const std::regex short_link("https://go\\.acme\\.example/([0-9A-Za-z]{7,})");
    return std::regex_search(text, m, short_link) ? std::string(m[1]) : std::string();
  }

  /// "STATUS LOCATION" of a GET (curl does not follow).
  std::string curl_status(const std::string& path, const std::string& extra = "") {
    return run("curl -s -o /dev/null --max-time 10 " + extra +
               " -w '%{http_code} %{redirect_url}' '" + base_ + path + "'");
  }

  std::string base_;
  std::uint16_t port_ = 0;
};

TEST_F(LinksEndToEnd, AReplysLinkRedirectsAndItsClicksShowInTheThread) {
  const std::string url = "https://shop.example/orders/1234?utm_source=sms";
  const json r = call("reply +" + std::string(kAnn) + " \"Your order: " + url + ". Thanks!\"");
  ASSERT_EQ(r["ok"], true) << r.dump();
  const std::string sent = r["text"];
  const std::string code = code_in(sent);
  ASSERT_FALSE(code.empty()) << sent;
  EXPECT_EQ(sent, "Your order: https://go.acme.example/" + code + ". Thanks!");
  EXPECT_EQ(r["segments"], 1);

  // The SMSC receives the shortened text.
  ASSERT_TRUE(wait_for([&] { return !mt_texts(sim_->sim(), kAnn).empty(); })) << daemon_->log();
  EXPECT_EQ(mt_texts(sim_->sim(), kAnn).back(), sent);

  // A GET redirects to the stored address; HEAD answers the same without a body.
  EXPECT_EQ(curl_status("/" + code), "302 " + url);
  EXPECT_EQ(curl_status("/" + code), "302 " + url);
  const std::string head = run("curl -s -I --max-time 10 '" + base_ + "/" + code + "'");
  EXPECT_NE(head.find("HTTP/1.1 302"), std::string::npos) << head;
  EXPECT_NE(head.find("Location: " + url), std::string::npos) << head;
  // curl -L follows to the address (nothing listens there: the redirect is what counts).
  EXPECT_EQ(run("curl -s -o /dev/null --max-time 10 -w '%{url_effective}' --max-redirs 1 "
                "--connect-to shop.example:443:127.0.0.1:1 -L '" +
                base_ + "/" + code + "'"),
            url);

  // Clicks (GETs, written in batches) reach the thread.
  json link;
  ASSERT_TRUE(wait_for([&] {
    const json t = call("thread +" + std::string(kAnn));
    for (const auto& m : t["messages"])
      if (m.contains("links")) link = m["links"][0];
    return link.is_object() && link["clicks"] == 3;
  })) << link.dump();
  EXPECT_EQ(link["short"], "https://go.acme.example/" + code);
  EXPECT_EQ(link["url"], url);
  // twowayctl shows them under the message.
  const std::string shown =
      run(std::string(TWOWAYCTL_BIN) + " --socket " + socket_ + " thread +" + kAnn);
  EXPECT_NE(shown.find("link https://go.acme.example/" + code + " -> " + url + "  3 clicks"),
            std::string::npos)
      << shown;

  // Unknown and malformed codes, the root and other methods.
  EXPECT_EQ(curl_status("/ZZZZZZZZ"), "404 ");
  EXPECT_EQ(curl_status("/"), "404 ");
  EXPECT_EQ(curl_status("/../../etc/passwd"), "404 ");
  EXPECT_EQ(curl_status("/" + code + "/x"), "404 ");
  EXPECT_EQ(run("curl -s -o /dev/null --max-time 10 -w '%{http_code}' -X DELETE '" + base_ + "/" +
                code + "'"),
            "405");
  const std::string post =
      raw_http(port_, "POST /" + code + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;
}

TEST_F(LinksEndToEnd, NoShortenAndShortDomainLinksGoAsWritten) {
  const json plain =
      call("reply --no-shorten +" + std::string(kAnn) + " \"See https://shop.example/a\"");
  ASSERT_EQ(plain["ok"], true) << plain.dump();
  EXPECT_EQ(plain["text"], "See https://shop.example/a");
  // The same through twowayctl, and without the option the link is shortened.
  const json cli = json::parse(run(std::string(TWOWAYCTL_BIN) + " --json --socket " + socket_ +
                                   " reply --no-shorten +" + kAnn + " 'Go www.shop.example/b'"));
  EXPECT_EQ(cli["text"], "Go www.shop.example/b") << cli.dump();
  const json cli_short = json::parse(run(std::string(TWOWAYCTL_BIN) + " --json --socket " +
                                         socket_ + " reply +" + kAnn + " 'Go www.shop.example/b'"));
  EXPECT_FALSE(code_in(cli_short.value("text", "")).empty()) << cli_short.dump();
  const json already =
      call("reply +" + std::string(kAnn) + " \"Again: https://go.acme.example/AbCdEfGh\"");
  EXPECT_EQ(already["text"], "Again: https://go.acme.example/AbCdEfGh");
  // Never stored, so never redirected: no open redirect through the short domain.
  EXPECT_EQ(curl_status("/AbCdEfGh"), "404 ");
}

TEST_F(LinksEndToEnd, AnExpiredLinkIsGone) {
  const json set = call("settings link_shortening.expiry 1s");
  ASSERT_EQ(set["ok"], true) << set.dump();
  EXPECT_EQ(set["value"], "1s");
  const json r = call("reply +" + std::string(kAnn) + " \"Offer: www.shop.example/offer\"");
  const auto replied = std::chrono::system_clock::now();
  ASSERT_EQ(r["ok"], true) << r.dump();
  const std::string code = code_in(r["text"]);
  ASSERT_FALSE(code.empty());
  // The link's expiry is a time on the daemon's clock (this machine's): wait for it to pass
  // without asking (polling would run into the per-client rate limit), then ask once.
  ASSERT_TRUE(wait_for([&] {
    return std::chrono::system_clock::now() > replied + std::chrono::milliseconds(2100);
  }));
  EXPECT_EQ(curl_status("/" + code), "410 ");
  const std::string head = run("curl -s -I --max-time 10 '" + base_ + "/" + code + "'");
  EXPECT_EQ(head.rfind("HTTP/1.1 410", 0), 0u) << head;
}

TEST_F(LinksEndToEnd, MalformedOversizedAndTooFastRequestsAreRefused) {
  EXPECT_EQ(raw_http(port_, "NONSENSE\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  const std::string big =
      raw_http(port_, "GET /ZZZZZZZZ HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(10000, 'c') +
                          "\r\n\r\n");
  EXPECT_EQ(big.rfind("HTTP/1.1 431", 0), 0u) << big.substr(0, 200);
  const std::string body =
      raw_http(port_, "GET /ZZZZZZZZ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(body.rfind("HTTP/1.1 413", 0), 0u) << body;

  // One client (as a proxy on this machine names it) sending 60 requests at once: the bucket
  // of 20 empties, the next request gets 429 and the connection closes.
  std::string burst;
  for (int i = 0; i < 60; ++i)
    burst += "HEAD /ZZZZZZZZ HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n";
  const std::string answers = raw_http(port_, burst);
  EXPECT_GE(count_of(answers, "HTTP/1.1 404"), 20u) << answers.substr(0, 300);
  EXPECT_LT(count_of(answers, "HTTP/1.1 404"), 60u);
  EXPECT_EQ(count_of(answers, "HTTP/1.1 429"), 1u);
  EXPECT_NE(answers.find("Retry-After: 1"), std::string::npos);
  // Another client is served meanwhile.
  EXPECT_EQ(curl_status("/ZZZZZZZZ", "-H 'X-Forwarded-For: 198.51.100.7'"), "404 ");

  // The refusals are counted in the metrics.
  const std::string metrics = call("metrics")["metrics"];
  EXPECT_NE(metrics.find("twoway_link_requests_refused_total{reason=\"rate_limited\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("twoway_link_requests_refused_total{reason=\"bad_request\"} 3\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("twoway_link_redirects_total 0\n"), std::string::npos);
}

TEST_F(LinksEndToEnd, SettingsShowTheKeysAndRefuseEnabledWithoutADomain) {
  const json all = call("settings link_shortening");
  ASSERT_EQ(all["ok"], true) << all.dump();
  EXPECT_EQ(all["value"]["enabled"], true);
  EXPECT_EQ(all["value"]["domain"], kDomain);
  EXPECT_EQ(all["value"]["listen"], "127.0.0.1:0");
  EXPECT_EQ(all["value"]["expiry"], "90d");
  const json cleared = call("settings link_shortening.domain \"\"");
  EXPECT_EQ(cleared["ok"], false) << cleared.dump();
  EXPECT_NE(cleared.dump().find("needs link_shortening.domain"), std::string::npos);
  const json bad = call("settings link_shortening.domain https://go.acme.example/");
  EXPECT_EQ(bad["ok"], false);
  // The listener moves at once when `listen` changes.
  const std::uint16_t free_port = unused_port();
  ASSERT_NE(free_port, 0);
  const json moved = call("settings link_shortening.listen 127.0.0.1:" + std::to_string(free_port));
  ASSERT_EQ(moved["ok"], true) << moved.dump();
  const std::regex listening("link redirects listening on 127\\.0\\.0\\.1:([0-9]+)");
  std::uint16_t new_port = 0;
  ASSERT_TRUE(wait_for([&] {
    const std::string log = daemon_->log();
    std::uint16_t last = 0;
    int seen = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), listening), end; it != end; ++it, ++seen)
      last = static_cast<std::uint16_t>(std::stoi((*it)[1]));
    new_port = last;
    return seen >= 2;
  })) << daemon_->log();
  ASSERT_EQ(new_port, free_port);
  EXPECT_EQ(run("curl -s -o /dev/null --max-time 10 -w '%{http_code}' http://127.0.0.1:" +
                std::to_string(new_port) + "/ZZZZZZZZ"),
            "404");
  EXPECT_EQ(curl_status("/ZZZZZZZZ"), "000 ");  // the old port is closed
  const json bad_listen = call("settings link_shortening.listen 8080");
  EXPECT_EQ(bad_listen["ok"], false);

  // Off: links go out as written; the redirects keep working for links already sent.
  ASSERT_EQ(call("settings link_shortening.enabled false")["ok"], true);
  const json r = call("reply +" + std::string(kAnn) + " \"https://shop.example/b\"");
  EXPECT_EQ(r["text"], "https://shop.example/b");
}

}  // namespace
}  // namespace twoway::e2e
