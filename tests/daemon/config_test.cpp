// The config loader: a valid file, each kind of error at its exact line:column, defaults,
// durations, and the reload diff. Also checks that the shipped etc/twoway.yaml passes.
#include "daemon/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/app.hpp"

using namespace twoway::daemon;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::vector<std::string> error_lines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.to_string());
  return out;
}

constexpr const char* kValid = R"(organization:
  name: ACME
smscs:
  - name: main
    host: smsc.example.net
    port: 2776
    system_id: acme
    password: pw
    bind: pair
    binds: 2
    enquire_link_interval: 45
    reconnect_min: 250ms
    reconnect_max: 5m
  - name: backup
    host: 10.0.0.2
    system_id: acme2
numbers:
  - number: "+15551230000"
    smsc: main
  - number: "12345"
    smsc: backup
admin:
  mode: "0600"
  roles:
    manager: [alice, "@support"]
credits:
  rates: {"US": 1, "GB": 2.5}
conversations:
  auto_responder:
    mode: non_consented
    message: "We'll get back to you"
  quiet_hours:
    rules:
      - name: fl
        regions: ["+1305"]
        start: "09:00"
        end: "20:00"
)";

TEST(Config, ValidFileLoadsWithValuesAndDefaults) {
  auto r = load_config_text(kValid, "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  const Config& c = *r.config;
  EXPECT_EQ(c.organization.name, "ACME");
  ASSERT_EQ(c.smscs.size(), 2u);
  EXPECT_EQ(c.smscs[0].port, 2776);
  EXPECT_EQ(c.smscs[0].bind, BindMode::pair);
  EXPECT_EQ(c.smscs[0].binds, 2);
  EXPECT_EQ(c.smscs[0].enquire_link_interval, std::chrono::seconds(45));
  EXPECT_EQ(c.smscs[0].reconnect_min, std::chrono::milliseconds(250));
  EXPECT_EQ(c.smscs[0].reconnect_max, std::chrono::minutes(5));
  EXPECT_EQ(c.smscs[1].port, 2775);  // default
  EXPECT_EQ(c.smscs[1].window, 10);
  EXPECT_EQ(c.smscs[1].interface_version, 0x34);
  EXPECT_FALSE(c.smscs[1].tls.enabled);
  EXPECT_TRUE(c.smscs[1].tls.verify);
  ASSERT_EQ(c.numbers.size(), 2u);
  EXPECT_EQ(c.numbers[1].number, "12345");
  EXPECT_EQ(c.admin.mode, 0600u);
  EXPECT_EQ(c.admin.socket, "/run/twoway/admin.sock");
  EXPECT_THAT(c.admin.roles.manager, ElementsAre("alice", "@support"));
  EXPECT_DOUBLE_EQ(c.credits.rates.at("GB"), 2.5);
  EXPECT_EQ(c.conversations.auto_responder.mode, AutoResponderMode::non_consented);
  EXPECT_EQ(c.conversations.auto_responder.period, std::chrono::hours(24));
  // The lists add to the built-in keyword floor: nothing added unless the file says so.
  EXPECT_TRUE(c.conversations.keywords.opt_out.empty());
  EXPECT_THAT(c.conversations.keywords.opt_in, ElementsAre("YES", "SUBSCRIBE"));
  ASSERT_EQ(c.conversations.quiet_hours.rules.size(), 1u);
  EXPECT_EQ(c.conversations.quiet_hours.rules[0].start, "09:00");
  EXPECT_NE(c.find_smsc("backup"), nullptr);
}

TEST(Config, EmptyTextIsAllDefaults) {
  auto r = load_config_text("", "empty.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config->smscs.empty());
  EXPECT_EQ(r.config->storage.path, "/var/lib/twoway");
  EXPECT_EQ(r.config->admin.max_line, 65536u);
}

// A config file in its own temporary directory.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    std::ofstream(dir_ + "/twoway.yaml") << text;
    return dir_ + "/twoway.yaml";
  }
  std::string dir_;
};

TEST_F(ConfigFile, AnEmptyFileIsAnErrorNotAllDefaults) {
  for (const char* text : {"", "\n# nothing but comments\n"}) {
    const std::string path = write(text);
    auto r = load_config_file(path);
    EXPECT_FALSE(r.ok());
    EXPECT_THAT(error_lines(r),
                ElementsAre(path + ": the file has no settings (it is empty or only comments): "
                                   "start from the shipped twoway.yaml, or see `twowayd "
                                   "--describe-config` for every key; at least smscs and numbers "
                                   "are needed"));
  }
}

TEST_F(ConfigFile, ADirectoryIsNamedAsOne) {
  auto r = load_config_file(dir_);
  EXPECT_THAT(error_lines(r),
              ElementsAre(dir_ +
                          ": is a directory, not a config file: name the file itself "
                          "(--config " +
                          dir_ + "/twoway.yaml)"));
}

TEST_F(ConfigFile, AnAdminGroupThatDoesNotExistIsNamedWithTheFix) {
  const std::string path = write("admin:\n  group: twoway-test-no-such-group\n");
  auto r = load_config_file(path);
  EXPECT_THAT(error_lines(r),
              ElementsAre(path + ":2:10: admin.group: group 'twoway-test-no-such-group' does "
                                 "not exist: create it (groupadd --system "
                                 "twoway-test-no-such-group) and add the daemon's user to it, or "
                                 "set admin.group: \"\" to give the socket the daemon's own "
                                 "group"));
  // twowayctl reads only the socket path: the machine's groups are not its business.
  EXPECT_TRUE(load_config_file(path, FileChecks::off).ok());
  // A group that exists and this process may give the socket to: its own.
  const group* mine = getgrgid(getegid());
  ASSERT_NE(mine, nullptr);
  const std::string own = write("admin:\n  group: " + std::string(mine->gr_name) + "\n");
  auto ok = load_config_file(own);
  EXPECT_TRUE(ok.ok()) << ::testing::PrintToString(error_lines(ok));
}

TEST(Config, UnknownKeySuggestsTheClosestOne) {
  auto r = load_config_text("smscs:\n  - name: a\n    host: h\n    system_id: s\n    prot: 1\n",
                            "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:5:5: smscs[0].prot: unknown key; did you mean 'port'?"));
}

TEST(Config, UnknownKeyWithNothingCloseHasNoHint) {
  auto r = load_config_text("storage:\n  zzzzzzzzzz: 1\n", "t.yaml");
  EXPECT_THAT(error_lines(r), ElementsAre("t.yaml:2:3: storage.zzzzzzzzzz: unknown key"));
}

TEST(Config, DuplicateKeyIsAnError) {
  auto r = load_config_text("logging:\n  level: info\n  level: debug\n", "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:3:3: logging.level: duplicate key (first at line 2)"));
}

TEST(Config, EveryErrorIsReportedAtOnceInFileOrder) {
  const char* text = R"(smscs:
  - name: a
    host: h
    system_id: s
    port: 70000
    window: many
    bind: tranceiver
    enquire_link_interval: 3 weeks
    tls:
      enabled: maybe
logging:
  level: loud
admin:
  mode: "0999"
  socket: relative.sock
metrics:
  http_listen: "metrics.example:9464"
)";
  auto r = load_config_text(text, "t.yaml");
  EXPECT_THAT(
      error_lines(r),
      ElementsAre(
          "t.yaml:5:11: smscs[0].port: 70000 is out of range (1 to 65535)",
          "t.yaml:6:13: smscs[0].window: 'many' is not a whole number",
          "t.yaml:7:11: smscs[0].bind: 'tranceiver' is not one of transceiver, receiver, "
          "transmitter, pair; did you mean 'transceiver'?",
          "t.yaml:8:28: smscs[0].enquire_link_interval: '3 weeks' is not a duration (like "
          "250ms, 30s, 5m, 1h)",
          "t.yaml:10:16: smscs[0].tls.enabled: 'maybe' is not true or false",
          "t.yaml:12:10: logging.level: 'loud' is not one of trace, debug, info, warn, error, "
          "critical, off",
          "t.yaml:14:9: admin.mode: '0999' is not an octal file mode (like \"0660\")",
          "t.yaml:15:11: admin.socket: must be an absolute path",
          "t.yaml:17:16: metrics.http_listen: 'metrics.example:9464' is not an IP address and "
          "port, like 127.0.0.1:9464, [::1]:9464 or 0.0.0.0:9464"));
}

TEST(Config, MissingRequiredKeysPointAtTheirSection) {
  auto r = load_config_text("smscs:\n  - name: a\n    port: 1\n", "t.yaml");
  EXPECT_THAT(error_lines(r), ElementsAre("t.yaml:2:5: smscs[0].host: missing (required)",
                                          "t.yaml:2:5: smscs[0].system_id: missing (required)"));
}

TEST(Config, AlphanumericSenderIsRefused) {
  const char* text =
      "smscs:\n  - {name: a, host: h, system_id: s}\nnumbers:\n  - number: ACME\n    smsc: a\n";
  auto r = load_config_text(text, "t.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 4);
  EXPECT_EQ(r.errors[0].column, 13);
  EXPECT_EQ(r.errors[0].path, "numbers[0].number");
  EXPECT_THAT(r.errors[0].problem, HasSubstr("alphanumeric sender"));
}

TEST(Config, NumberMustBeE164OrShortCode) {
  const char* text =
      "smscs:\n  - {name: a, host: h, system_id: s}\nnumbers:\n  - {number: \"+12\", smsc: a}\n";
  auto r = load_config_text(text, "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:4:14: numbers[0].number: '+12' is neither an E.164 number "
                          "(+15551234567) nor a short code"));
}

TEST(Config, NumberOnAMissingSmscIsAnError) {
  const char* text =
      "smscs:\n  - {name: main, host: h, system_id: s}\nnumbers:\n"
      "  - number: \"+15551230000\"\n    smsc: mian\n";
  auto r = load_config_text(text, "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:5:11: numbers[0].smsc: no SMSC named 'mian' in smscs; did you "
                          "mean 'main'?"));
}

TEST(Config, DuplicateSmscNamesAndNumbers) {
  const char* text =
      "smscs:\n  - {name: a, host: h, system_id: s}\n  - {name: a, host: h, system_id: s}\n"
      "numbers:\n  - {number: \"12345\", smsc: a}\n  - {number: \"12345\", smsc: a}\n";
  auto r = load_config_text(text, "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:3:12: smscs[1].name: duplicate SMSC name 'a' (first at line 2)",
                          "t.yaml:6:5: numbers[1].number: duplicate number '12345' (first at "
                          "line 5)"));
}

TEST(Config, YamlSyntaxErrorHasItsPosition) {
  auto r = load_config_text("smscs: [a, b\nlogging: 1\n", "t.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_THAT(r.errors[0].to_string(), HasSubstr("t.yaml:2:"));
}

TEST(Config, WrongShapeIsReported) {
  auto r = load_config_text("storage: 5\nsmscs: {a: 1}\n", "t.yaml");
  EXPECT_THAT(error_lines(r), ElementsAre("t.yaml:1:10: storage: expected a mapping of keys",
                                          "t.yaml:2:8: smscs: expected a list"));
}

TEST(Config, CrossKeyChecks) {
  const char* text = R"(smscs:
  - name: a
    host: h
    system_id: s
    password: x
    password_file: /nonexistent
    reconnect_min: 2m
    reconnect_max: 1m
conversations:
  quiet_hours:
    start: "25:00"
  link_shortening:
    enabled: true
)";
  auto r = load_config_text(text, "t.yaml");
  EXPECT_THAT(
      error_lines(r),
      ElementsAre("t.yaml:6:5: smscs[0].password_file: set either password or password_file, "
                  "not both",
                  "t.yaml:7:5: smscs[0].reconnect_min: must not be larger than reconnect_max",
                  "t.yaml:11:12: conversations.quiet_hours.start: '25:00' is not a time of day "
                  "(HH:MM, 24-hour)",
                  "t.yaml:13:14: conversations.link_shortening.enabled: needs "
                  "conversations.link_shortening.domain (the short links' host name)"));
}

TEST(Config, ClusterSectionTurnsClusterModeOnAndIsCheckedAsAWhole) {
  auto alone = load_config_text("logging:\n  level: info\n", "t.yaml");
  ASSERT_TRUE(alone.ok());
  EXPECT_FALSE(alone.config->cluster.enabled);

  auto on = load_config_text(
      "cluster:\n  nats: [\"nats://10.0.0.1:4222\", \"tls://10.0.0.2:4222\"]\n  node: gw-a\n"
      "  partitions: 16\n  replicas: 1\n  lease_seconds: 2s\n",
      "t.yaml");
  ASSERT_TRUE(on.ok()) << ::testing::PrintToString(error_lines(on));
  const auto& c = on.config->cluster;
  EXPECT_TRUE(c.enabled);
  EXPECT_THAT(c.config.nats, ElementsAre("nats://10.0.0.1:4222", "tls://10.0.0.2:4222"));
  EXPECT_EQ(c.config.node, "gw-a");
  EXPECT_EQ(c.config.partitions, 16u);
  EXPECT_EQ(c.config.replicas, 1);
  EXPECT_EQ(c.config.lease_ttl, std::chrono::milliseconds(2000));

  auto bad = load_config_text("cluster:\n  nats: [\"http://x\"]\n  node: \"gw a\"\n", "t.yaml");
  EXPECT_THAT(error_lines(bad),
              ElementsAre("t.yaml:2:9: cluster.nats: 'http://x' is not a nats:// or tls:// URL",
                          "t.yaml:3:9: cluster.node: 'gw a' must be 1 to 64 letters, digits, "
                          "'-' or '_' (it is part of NATS keys)"));
  auto no_node = load_config_text("cluster:\n  nats: [\"nats://h:4222\"]\n", "t.yaml");
  EXPECT_THAT(error_lines(no_node),
              ElementsAre("t.yaml:1:1: cluster.node: a name unique in the cluster"));
}

TEST(Config, DurationBoundsAreInHumanUnits) {
  auto r = load_config_text("admin:\n  idle_timeout: 10ms\n", "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:2:17: admin.idle_timeout: must be between 1s and 1d"));
}

TEST(Config, PasswordFileIsCheckedAndOnlyItsFingerprintKept) {
  const std::string path = ::testing::TempDir() + "/twoway-pw-test";
  std::ofstream(path) << "s3cret\n";
  const std::string text =
      "smscs:\n  - {name: a, host: h, system_id: s, password_file: " + path + "}\n";
  auto r = load_config_text(text, "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  // The bind reads the file itself at each (re)bind; the config keeps no copy of it.
  EXPECT_EQ(r.config->smscs[0].password, "");
  EXPECT_EQ(r.config->smscs[0].password_file, path);
  const std::string seen = r.config->effective.at("smscs[0].password");
  EXPECT_EQ(seen.find("s3cret"), std::string::npos);
  // A new password in the same file is a changed SMSC at reload.
  std::ofstream(path) << "n3w\n";
  auto again = load_config_text(text, "t.yaml");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again.config->effective.at("smscs[0].password"), seen);
  EXPECT_THAT(diff_configs(*r.config, *again.config).smscs_changed, ElementsAre("a"));
}

TEST(Config, UnreadableOrEmptyPasswordFileIsAnError) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/twoway-pw-empty");
  std::ofstream(dir + "/twoway-pw-blank") << "\n";
  auto r = load_config_text(
      "smscs:\n"
      "  - name: a\n"
      "    host: h\n"
      "    system_id: s\n"
      "    password_file: " +
          dir +
          "/twoway-pw-missing\n"
          "  - name: b\n"
          "    host: h\n"
          "    system_id: s\n"
          "    password_file: " +
          dir +
          "/twoway-pw-empty\n"
          "  - {name: c, host: h, system_id: s, password_file: " +
          dir + "/twoway-pw-blank}\n",
      "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:5:5: smscs[0].password_file: cannot read '" + dir +
                              "/twoway-pw-missing': No such file or directory (smsc a)",
                          "t.yaml:9:5: smscs[1].password_file: cannot read '" + dir +
                              "/twoway-pw-empty': the file is empty (smsc b)",
                          "t.yaml:10:38: smscs[2].password_file: cannot read a password from '" +
                              dir + "/twoway-pw-blank': its first line is empty (smsc c)"));
  // A tool that only wants the socket's path does not need to read secrets.
  EXPECT_TRUE(load_config_text("smscs:\n  - {name: a, host: h, system_id: s, password_file: " +
                                   dir + "/twoway-pw-missing}\n",
                               "t.yaml", FileChecks::off)
                  .ok());
}

TEST(Config, TlsFilesAreCheckedWhenTlsIsOn) {
  const std::string certs = std::string(TWOWAY_SOURCE_DIR) + "/tests/integration/tls";
  const std::string junk = ::testing::TempDir() + "/twoway-not-pem";
  std::ofstream(junk) << "not a certificate\n";
  auto smsc = [&](const std::string& name, bool enabled, const std::string& ca,
                  const std::string& cert, const std::string& key) {
    std::string out = "  - name: " + name +
                      "\n    host: h\n    system_id: s\n    tls:\n      enabled: " +
                      (enabled ? "true" : "false") + "\n";
    if (!ca.empty()) out += "      ca_file: " + ca + "\n";
    if (!cert.empty()) out += "      cert_file: " + cert + "\n";
    if (!key.empty()) out += "      key_file: " + key + "\n";
    return out;
  };
  auto good = load_config_text("smscs:\n" + smsc("a", true, certs + "/smsc-cert.pem",
                                                 certs + "/smsc-cert.pem", certs + "/smsc-key.pem"),
                               "t.yaml");
  EXPECT_TRUE(good.ok()) << ::testing::PrintToString(error_lines(good));
  // Files of a TLS section that is off are not used, so not checked.
  EXPECT_TRUE(
      load_config_text("smscs:\n" + smsc("a", false, "/nonexistent/ca.pem", "", ""), "t.yaml")
          .ok());

  auto bad = load_config_text("smscs:\n" + smsc("a", true, "/nonexistent/ca.pem", "", "") +
                                  smsc("b", true, junk, junk, certs + "/smsc-key.pem"),
                              "t.yaml");
  EXPECT_THAT(error_lines(bad),
              ElementsAre("t.yaml:7:7: smscs[0].tls.ca_file: cannot read '/nonexistent/ca.pem': No "
                          "such file or directory (smsc a)",
                          HasSubstr("t.yaml:13:7: smscs[1].tls.ca_file: '" + junk +
                                    "' holds no usable PEM CA certificate ("),
                          HasSubstr("t.yaml:14:7: smscs[1].tls.cert_file: '" + junk +
                                    "' holds no usable PEM certificate (")));
}

TEST(Config, ParseDuration) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("2d"), std::chrono::hours(48));
  EXPECT_EQ(parse_duration("12"), std::chrono::seconds(12));
  EXPECT_EQ(parse_duration(""), std::nullopt);
  EXPECT_EQ(parse_duration("5 m"), std::nullopt);
  EXPECT_EQ(parse_duration("-1s"), std::nullopt);
  EXPECT_EQ(parse_duration("1y"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999999999d"), std::nullopt);
}

TEST(Config, EditDistanceAndClosestMatch) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  const std::vector<std::string> names{"window", "binds", "bind"};
  EXPECT_EQ(closest_match("windw", names), "window");
  EXPECT_EQ(closest_match("xyz", names), std::nullopt);
}

TEST(Config, ShippedDefaultConfigIsValid) {
  // As text: the group and files it names are the installation's (checked at start).
  auto r = load_config_file(std::string(TWOWAY_SOURCE_DIR) + "/etc/twoway.yaml", FileChecks::off);
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
}

// The shipped config keeps the SMSC password out of itself, in a file of its own that the
// package creates 0640 root:twoway; loaded with its files checked, that file is all it needs.
TEST(Config, ShippedDefaultConfigReadsThePasswordFromAFile) {
  std::ifstream in(std::string(TWOWAY_SOURCE_DIR) + "/etc/twoway.yaml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("password_file: /etc/twoway/smsc-password"));
  EXPECT_THAT(text.str(), Not(HasSubstr("\n    password: ")));  // none inline

  auto unchecked = load_config_text(text.str(), "twoway.yaml", FileChecks::off);
  ASSERT_TRUE(unchecked.ok());
  ASSERT_EQ(unchecked.config->smscs.size(), 1u);
  EXPECT_EQ(unchecked.config->smscs[0].password_file, "/etc/twoway/smsc-password");
  EXPECT_EQ(unchecked.config->smscs[0].password, "");

  // With the file in place (here: a temporary one), the config is valid as it stands.
  const std::string dir = ::testing::TempDir() + "shipped-config-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/smsc-password") << "s3cret\n"; }
  std::string local = text.str();
  local.replace(local.find("/etc/twoway/smsc-password"), 25, dir + "/smsc-password");
  // The admin group is the package's (sysusers creates it); a test machine has none.
  ASSERT_NE(local.find("group: twoway-admin"), std::string::npos);
  local.replace(local.find("group: twoway-admin"), 19, "group: \"\"");
  auto checked = load_config_text(local, "twoway.yaml");
  EXPECT_TRUE(checked.ok()) << ::testing::PrintToString(error_lines(checked));

  // Without it, the one problem names the key, the file and the SMSC.
  std::filesystem::remove(dir + "/smsc-password");
  auto missing = load_config_text(local, "twoway.yaml");
  ASSERT_EQ(missing.errors.size(), 1u) << ::testing::PrintToString(error_lines(missing));
  EXPECT_EQ(missing.errors[0].path, "smscs[0].password_file");
  EXPECT_THAT(missing.errors[0].problem, HasSubstr(dir + "/smsc-password"));
  EXPECT_THAT(missing.errors[0].problem, HasSubstr("(smsc sim)"));
  std::filesystem::remove_all(dir);
}

TEST(Config, ShippedConfigDocumentsEveryKey) {
  std::ifstream in(std::string(TWOWAY_SOURCE_DIR) + "/etc/twoway.yaml");
  std::stringstream text;
  text << in.rdbuf();
  for (const KeySpec& k : config_keys()) {
    std::string_view path = k.path;
    if (path.find('[') != std::string_view::npos && path.rfind("smscs[]", 0) != 0 &&
        path.rfind("numbers[]", 0) != 0)
      continue;  // example-only lists (custom keywords, rules) are shown in comments
    const std::string leaf(path.substr(path.find_last_of(".]") + 1));
    EXPECT_THAT(text.str(), HasSubstr(leaf + ":")) << k.path;
  }
}

TEST(Config, MissingFileIsOneError) {
  auto r = load_config_file("/nonexistent/twoway.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].to_string(), HasSubstr("/nonexistent/twoway.yaml: cannot open"));
}

TEST(Config, FrequencyCapsDefaultToTheStateCaps) {
  auto r = load_config_text("", "t.yaml");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config->conversations.frequency_caps.enabled);
  EXPECT_TRUE(r.config->conversations.frequency_caps.rules.empty());
  const twoway::engine::FrequencyCapsConfig caps =
      engine_config(*r.config).initial_settings.frequency_caps;
  EXPECT_TRUE(caps.enabled);
  ASSERT_EQ(caps.rules.size(), 2u);
  EXPECT_EQ(caps.rules[0].name, "florida");
  EXPECT_EQ(caps.rules[0].max_messages, 3u);
  EXPECT_EQ(caps.rules[0].period_seconds, 86400);
  EXPECT_EQ(caps.rules[1].name, "oklahoma");
}

TEST(Config, FrequencyCapRulesComeOnTopOfTheBuiltInOnes) {
  auto r = load_config_text(R"(conversations:
  frequency_caps:
    enabled: false
    rules:
      - name: georgia
        regions: ["US-GA", "+1404"]
        max: 2
        period: 12h
      - {name: florida, regions: ["US-FL"], max: 1}
      - {name: britain, regions: [GB], period: 7d}
)",
                            "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  const auto& rules = r.config->conversations.frequency_caps.rules;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].max, 2);
  EXPECT_EQ(rules[0].period, std::chrono::hours(12));
  EXPECT_EQ(rules[2].max, 3);  // default
  EXPECT_EQ(r.config->effective.at("conversations.frequency_caps.rules[0].period"), "12h");

  const twoway::engine::FrequencyCapsConfig caps =
      engine_config(*r.config).initial_settings.frequency_caps;
  EXPECT_FALSE(caps.enabled);
  ASSERT_EQ(caps.rules.size(), 4u);
  // The florida rule replaced the built-in one in its place; the others follow the built-ins.
  EXPECT_EQ(caps.rules[0].name, "florida");
  EXPECT_EQ(caps.rules[0].max_messages, 1u);
  EXPECT_EQ(caps.rules[0].period_seconds, 86400);
  EXPECT_EQ(caps.rules[1].name, "oklahoma");
  EXPECT_EQ(caps.rules[2].name, "georgia");
  EXPECT_THAT(caps.rules[2].regions, ElementsAre("US-GA", "+1404"));
  EXPECT_EQ(caps.rules[2].max_messages, 2u);
  EXPECT_EQ(caps.rules[2].period_seconds, 12 * 3600);
  EXPECT_EQ(caps.rules[3].name, "britain");
  EXPECT_EQ(caps.rules[3].period_seconds, 7 * 86400);
}

TEST(Config, FrequencyCapErrorsPointAtTheValue) {
  auto r = load_config_text(R"(conversations:
  frequency_caps:
    enabled: sometimes
    rules:
      - name: a
        regions: ["US-XX", "Florida"]
        max: 0
        period: 10s
      - name: a
        regions: []
        max: 40
      - regions: ["+1305"]
)",
                            "t.yaml");
  EXPECT_THAT(
      error_lines(r),
      ElementsAre(
          "t.yaml:3:14: conversations.frequency_caps.enabled: 'sometimes' is not true or false",
          "t.yaml:6:18: conversations.frequency_caps.rules[0].regions: state US-XX is not in the "
          "area code table",
          "t.yaml:6:18: conversations.frequency_caps.rules[0].regions: \"Florida\" is neither "
          "US-XX, a +prefix nor a two-letter region",
          "t.yaml:7:14: conversations.frequency_caps.rules[0].max: 0 is out of range (1 to 32)",
          "t.yaml:8:17: conversations.frequency_caps.rules[0].period: must be between 1m and 31d",
          "t.yaml:9:15: conversations.frequency_caps.rules[1].name: duplicate rule name 'a'",
          "t.yaml:10:18: conversations.frequency_caps.rules[1].regions: needs 1 to 1000 entries",
          "t.yaml:11:14: conversations.frequency_caps.rules[1].max: 40 is out of range (1 to 32)",
          "t.yaml:12:9: conversations.frequency_caps.rules[2].name: missing (required)"));
}

TEST(ConfigDiff, ReportsSmscChangesAndRestartKeys) {
  auto a = load_config_text(kValid, "a.yaml");
  std::string changed = kValid;
  changed.replace(changed.find("port: 2776"), 10, "port: 2777");             // main changed
  changed.replace(changed.find("  - name: backup"), 16, "  - name: spare");  // renamed
  changed.replace(changed.find("smsc: backup"), 12, "smsc: spare");
  changed += "storage:\n  path: /srv/twoway\nreassembly:\n  timeout: 10m\n";
  changed.replace(changed.find("\"GB\": 2.5"), 9, "\"GB\": 3");  // a new rate
  auto b = load_config_text(changed, "b.yaml");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << ::testing::PrintToString(error_lines(b));
  const ConfigDiff d = diff_configs(*a.config, *b.config);
  EXPECT_THAT(d.smscs_added, ElementsAre("spare"));
  EXPECT_THAT(d.smscs_removed, ElementsAre("backup"));
  EXPECT_THAT(d.smscs_changed, ElementsAre("main"));
  // The reassembler is built at start; the engine takes credit rates while running.
  EXPECT_THAT(d.restart_changed, ElementsAre("reassembly.timeout", "storage.path"));
  EXPECT_THAT(d.live_changed, ElementsAre("credits.rates.GB", "numbers"));
  EXPECT_TRUE(d.seed_changed.empty());
  EXPECT_TRUE(diff_configs(*a.config, *a.config).empty());
}

TEST(ConfigKeys, TableIsConsistent) {
  for (const KeySpec& k : config_keys()) {
    EXPECT_EQ(find_key(k.path), &k);
    EXPECT_FALSE(k.help.empty()) << k.path;
  }
  EXPECT_NE(find_key("smscs[3].tls.verify"), nullptr);
  EXPECT_THAT(describe_keys(), HasSubstr("smscs[].port (integer) default 2775"));
}

}  // namespace

namespace {

TEST(ConfigDiff, ConversationKeysAreFirstValuesOnly) {
  auto a = load_config_text("", "a.yaml");
  auto b = load_config_text(
      "conversations:\n  auto_responder:\n    mode: all\n    message: Hi\nadmin:\n  group: staff\n"
      "credits:\n  rates: {US: 2}\n",
      "b.yaml");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << ::testing::PrintToString(error_lines(b));
  const ConfigDiff d = diff_configs(*a.config, *b.config);
  EXPECT_THAT(d.seed_changed, ElementsAre("conversations.auto_responder.message",
                                          "conversations.auto_responder.mode"));
  EXPECT_THAT(d.restart_changed, ElementsAre("admin.group"));
  EXPECT_THAT(d.live_changed, ElementsAre("credits.rates.US"));
}

TEST(Config, RatesAndGroupAreChecked) {
  auto r = load_config_text("admin:\n  group: \"bad group\"\ncredits:\n  rates: {usa: 1, GB: -1}\n",
                            "t.yaml");
  EXPECT_THAT(error_lines(r),
              ElementsAre("t.yaml:2:10: admin.group: not a group name",
                          "t.yaml:4:11: credits.rates.usa: not a region code (two capital "
                          "letters, like \"US\")",
                          "t.yaml:4:23: credits.rates.GB: must be a number from 0 to 1000"));
}

TEST(Config, NullValueTakesTheDefault) {
  auto r = load_config_text("storage:\n  path:\nlogging:\n", "t.yaml");
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(error_lines(r));
  EXPECT_EQ(r.config->storage.path, "/var/lib/twoway");
}

}  // namespace
