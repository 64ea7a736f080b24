// What an operator meets around the real twowayd: config mistakes named with their fix (exit
// 78), the metrics listener scraped by real HTTP clients (curl, promtool) with idle connections
// open, the Grafana dashboard's metric names, `--version`, `stats` before any answer, and a
// clean stop that logs no warning.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kOurNumber = "15550001111";

struct Outcome {
  int status = -1;
  std::string out;  // stdout and stderr together
};

/// Runs a shell command line to its end; its output and exit status.
Outcome shell(const std::string& command) {
  Outcome r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool have(const std::string& program) {
  return shell("command -v " + program + " >/dev/null").status == 0;
}

// `extra`: lines after the admin socket's.
std::string config_yaml(const std::string& dir, std::uint16_t port, const std::string& extra) {
  TestConfig c;
  c.number = kOurNumber;
  c.smsc_lines =
      "    reconnect_min: 100ms\n"
      "    reconnect_max: 1s\n";
  c.after_numbers = "default_region: US\n";
  c.admin_lines = extra;
  return c.yaml(dir, port);
}

// --- config mistakes --------------------------------------------------------------------------

class ConfigMistakes : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string config_ = dir_.path() + "/twoway.yaml";

  Outcome check() { return shell(daemon_binary() + " --check-config --config " + config_); }
  // Bounded: a daemon that wrongly starts is stopped by timeout(1) (status 124).
  Outcome start() {
    return shell("timeout 20 " + daemon_binary() + " --foreground --config " + config_);
  }
};

TEST_F(ConfigMistakes, AMissingAdminGroupIsNamedWithTheFix) {
  // The shipped config names twoway-admin; a machine not installed from the package lacks it.
  write_file(config_, config_yaml(dir_.path(), 2775, "  group: twoway-no-such-group\n"));
  for (const Outcome& r : {check(), start()}) {
    EXPECT_EQ(r.status, 78) << r.out;
    EXPECT_THAT(r.out, HasSubstr(config_ + ":22:10: admin.group: group 'twoway-no-such-group' "
                                           "does not exist: create it (groupadd --system "
                                           "twoway-no-such-group)"))
        << r.out;
    EXPECT_THAT(r.out, HasSubstr("or set admin.group: \"\""));
    EXPECT_THAT(r.out, ::testing::Not(HasSubstr("Invalid argument")));
  }
  // The group exists (root's own): accepted.
  write_file(config_, config_yaml(dir_.path(), 2775, "  group: root\n"));
  const Outcome ok = check();
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr(config_ + ": OK"));
}

TEST_F(ConfigMistakes, AnEmptyFileIsRefused) {
  for (const std::string text : {"", "# only a comment\n\n"}) {
    write_file(config_, text);
    for (const Outcome& r : {check(), start()}) {
      EXPECT_EQ(r.status, 78) << r.out;
      EXPECT_THAT(r.out, HasSubstr(config_ + ": the file has no settings (it is empty or only "
                                             "comments)"));
    }
  }
}

TEST_F(ConfigMistakes, ADirectoryIsRefused) {
  config_ = dir_.path();
  for (const Outcome& r : {check(), start()}) {
    EXPECT_EQ(r.status, 78) << r.out;
    EXPECT_THAT(r.out, HasSubstr(dir_.path() +
                                 ": is a directory, not a config file: name the "
                                 "file itself (--config " +
                                 dir_.path() + "/twoway.yaml)"));
  }
}

TEST_F(ConfigMistakes, AnUnreadablePasswordFileIsStillNamed) {
  write_file(config_, std::string(config_yaml(dir_.path(), 2775, ""))
                          .replace(config_yaml(dir_.path(), 2775, "").find("password: secret"), 16,
                                   "password_file: " + dir_.path() + "/missing.pw"));
  const Outcome r = check();
  EXPECT_EQ(r.status, 78) << r.out;
  EXPECT_THAT(r.out, HasSubstr("smscs[0].password_file: "));
  EXPECT_THAT(r.out, HasSubstr(dir_.path() + "/missing.pw"));
}

TEST_F(ConfigMistakes, UsageErrorsExit64) {
  EXPECT_EQ(shell(daemon_binary() + " --no-such-option").status, 64);
  EXPECT_EQ(shell(daemon_binary() + " --log-level loud --check-config").status, 64);
}

TEST(Version, BothProgramsNameTheVersionAndCommit) {
  const std::regex line(
      R"((twowayd|twowayctl) [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{7,40}|unknown)\)
)");
  const Outcome d = shell(daemon_binary() + " --version");
  EXPECT_EQ(d.status, 0);
  EXPECT_TRUE(std::regex_match(d.out, line)) << d.out;
  const Outcome c = shell(std::string(TWOWAYCTL_BIN) + " --version");
  EXPECT_EQ(c.status, 0);
  EXPECT_TRUE(std::regex_match(c.out, line)) << c.out;
  EXPECT_EQ(d.out.substr(d.out.find(' ')), c.out.substr(c.out.find(' ')));
}

// --- a running daemon -------------------------------------------------------------------------

class Operator : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber));
    // Port 0: the system picks a free one; the log says which.
    write_file(config_, config_yaml(dir_.path(), sim_->port(),
                                    "metrics:\n  http_listen: \"127.0.0.1:0\"\n"));
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    std::smatch m;
    const std::string log = daemon_->log();
    ASSERT_TRUE(std::regex_search(log, m,
                                  std::regex("metrics listening address=127\\.0\\.0\\.1 "
                                             "port=([0-9]+)")))
        << log;
    url_ = "http://127.0.0.1:" + m[1].str() + "/metrics";
    port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  }

  // A TCP connection to the metrics port that sends nothing.
  int idle_connection() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  // Sends raw bytes, returns what comes back until the server closes (bounded by SO_RCVTIMEO).
  std::string raw(const std::string& bytes) const {
    const int fd = idle_connection();
    if (fd < 0) return {};
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)!::write(fd, bytes.data(), bytes.size());
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
  }

  std::string url_;
  std::uint16_t port_ = 0;
};

TEST_F(Operator, CurlScrapesWhileManyIdleConnectionsAreOpen) {
  ASSERT_TRUE(have("curl")) << "curl is installed by scripts/install-deps.sh";
  std::vector<int> idle;
  for (int i = 0; i < 100; ++i) {
    const int fd = idle_connection();
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  // Two scrapes on one kept-alive connection, each answered in full.
  const Outcome r = shell(
      "curl -sS --fail --max-time 5 -o /dev/null -o /dev/null -w '%{http_code} "
      "%{num_connects}\\n' " +
      url_ + " " + url_);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "200 1\n200 0\n");  // the second request reused the connection
  for (int fd : idle) ::close(fd);
}

TEST_F(Operator, BareLineFeedHeadAndMethodsAsHttpSays) {
  const std::string bare = raw("GET /metrics HTTP/1.0\n\n");
  EXPECT_THAT(bare, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(bare, HasSubstr("\ntwoway_build_info{"));

  ASSERT_TRUE(have("curl"));
  const Outcome post = shell("curl -sS -i -X POST --max-time 5 " + url_);
  EXPECT_THAT(post.out, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(post.out, HasSubstr("\r\nAllow: GET, HEAD\r\n"));

  const Outcome head = shell("curl -sS -I --max-time 5 " + url_);
  EXPECT_THAT(head.out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(head.out, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(head.out, HasSubstr("Content-Length: "));

  const Outcome other =
      shell("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:" +
            std::to_string(port_) + "/");
  EXPECT_EQ(other.out, "404");
}

TEST_F(Operator, ScrapeHasProcessAndBuildInfoAndPassesPromtool) {
  ASSERT_TRUE(have("curl"));
  const std::string file = dir_.path() + "/scrape.txt";
  ASSERT_EQ(shell("curl -sS --fail --max-time 5 -o " + file + " " + url_).status, 0);
  const std::string text = read_file(file);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_THAT(text, HasSubstr("\n" + std::string(name) + " ")) << name;
  }
  const Outcome version = shell(daemon_binary() + " --version");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(version.out, m, std::regex("twowayd (\\S+) \\(commit (\\S+)\\)")));
  EXPECT_THAT(text, HasSubstr("\ntwoway_build_info{version=\"" + m[1].str() + "\",commit=\"" +
                              m[2].str() + "\"} 1\n"));
  if (!have("promtool")) GTEST_SKIP() << "promtool (Debian package prometheus) not installed";
  const Outcome lint = shell("promtool check metrics < " + file);
  EXPECT_EQ(lint.status, 0) << lint.out;
}

TEST_F(Operator, GrafanaDashboardNamesOnlyMetricsTwowaydExports) {
  ASSERT_TRUE(have("curl"));
  const Outcome scrape = shell("curl -sS --fail --max-time 5 " + url_);
  ASSERT_EQ(scrape.status, 0);
  std::map<std::string, std::string> families;  // name -> type
  const std::regex type_line("# TYPE (\\S+) (\\S+)");
  for (std::sregex_iterator it(scrape.out.begin(), scrape.out.end(), type_line), end; it != end;
       ++it) {
    families[(*it)[1].str()] = (*it)[2].str();
  }
  std::ifstream in(std::string(TWOWAY_SOURCE_DIR) + "/contrib/grafana/twoway.json");
  ASSERT_TRUE(in) << "contrib/grafana/twoway.json";
  const json dashboard = json::parse(in);
  std::set<std::string> named;
  const std::regex metric("\\b((twoway|process)_[a-z0-9_]+)");
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_object()) {
      for (const auto& [key, value] : j.items()) {
        if ((key == "expr" || key == "definition") && value.is_string()) {
          const std::string e = value.get<std::string>();
          for (std::sregex_iterator it(e.begin(), e.end(), metric), end; it != end; ++it)
            named.insert((*it)[1].str());
        }
        walk(value);
      }
    } else if (j.is_array()) {
      for (const auto& v : j) walk(v);
    }
  };
  walk(dashboard);
  ASSERT_GT(named.size(), 20u);
  for (const std::string& name : named) {
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (name.ends_with(s) && families.count(name.substr(0, name.size() - s.size())) &&
          families[name.substr(0, name.size() - s.size())] == "histogram") {
        family = name.substr(0, name.size() - s.size());
      }
    }
    EXPECT_TRUE(families.count(family))
        << "the dashboard names " << name << ", which twowayd does not export";
  }
}

TEST_F(Operator, StatsBeforeAnyAnswerSayNoneYet) {
  const auto stats = admin_call(socket_, "stats");
  ASSERT_TRUE(stats) << daemon_->log();
  EXPECT_TRUE((*stats)["average_response_seconds"].is_null()) << stats->dump();
  const Outcome shown = shell(std::string(TWOWAYCTL_BIN) + " --socket " + socket_ + " stats");
  EXPECT_EQ(shown.status, 0) << shown.out;
  EXPECT_THAT(shown.out, HasSubstr("average_response_seconds: none yet\n"));
  EXPECT_THAT(shown.out, ::testing::Not(HasSubstr("-1")));
}

TEST_F(Operator, ACleanStopLogsNoWarning) {
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  const std::string log = daemon_->log();
  EXPECT_THAT(log, HasSubstr("stopped: final commit done"));
  EXPECT_THAT(log, HasSubstr("state=stopped"));  // the bind's stop is still told, at info
  std::size_t start = log.find("stopping: SIGTERM");
  ASSERT_NE(start, std::string::npos) << log;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    EXPECT_THAT(line, ::testing::Not(::testing::AnyOf(HasSubstr(" warning "), HasSubstr(" error "),
                                                      HasSubstr(" critical "))));
    start = end + 1;
  }
}

}  // namespace
}  // namespace twoway::e2e
