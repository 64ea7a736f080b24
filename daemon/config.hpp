// twowayd's configuration: the typed model, the table of keys (default, bounds, reloadable,
// help), the YAML loader that reports every problem at once, and the diff used by SIGHUP.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_config.hpp"

namespace twoway::daemon {

using Millis = std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// The table of keys
// ---------------------------------------------------------------------------------------------

enum class KeyType {
  section,  ///< a mapping of further keys
  list,     ///< a sequence of sections (pattern "name[]")
  string,
  integer,
  number,  ///< a floating point value
  boolean,
  duration,     ///< "250ms", "30s", "5m", "1h", "1d" or an integer number of seconds
  choice,       ///< one of `choices` ("a|b|c")
  string_list,  ///< a sequence of strings
  rate_map,     ///< a mapping of ISO region ("US") to a non-negative number
};

/// What a changed value needs at SIGHUP.
enum class Reload {
  live,     ///< applied by a reload
  restart,  ///< needs a restart (the reload logs a warning and keeps the old value)
  seed,     ///< first value of a run-time setting kept in the store; later edits live there
};

struct KeySpec {
  std::string_view path;  ///< "smscs[].port": [] stands for any list index
  KeyType type;
  std::string_view def;  ///< default as written in YAML ("" = empty/none)
  double min = 0;        ///< bounds (integer, number; duration in milliseconds; string length)
  double max = 0;        ///< 0 with min 0 = unbounded
  Reload reload = Reload::live;
  bool required = false;
  std::string_view choices;  ///< for KeyType::choice: "transceiver|receiver|transmitter|pair"
  std::string_view help;
};

/// Every key twowayd knows, in the order etc/twoway.yaml documents them.
[[nodiscard]] std::span<const KeySpec> config_keys();

/// The spec for a key pattern ("smscs[].port") or for a concrete path ("smscs[2].port");
/// nullptr when no such key exists.
[[nodiscard]] const KeySpec* find_key(std::string_view path);

/// How `--describe-config` and twoway.yaml(5) name a type: "integer", "list of strings"...
[[nodiscard]] std::string_view key_type_name(KeyType type);

/// For a first-value key (Reload::seed, "conversations.replies.help"): the `twowayctl settings`
/// command that changes the value in force ("twowayctl settings answers.help TEXT"), or "" when
/// no command changes it at run time (the quiet-hours and frequency-cap rules).
[[nodiscard]] std::string seed_setting_command(std::string_view key);

/// The help text of the table, one key per line: path, type, default, reload class and help.
[[nodiscard]] std::string describe_keys();

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

struct TlsConfig {
  bool enabled = false;
  std::string ca_file, cert_file, key_file;
  bool verify = true;
  bool operator==(const TlsConfig&) const = default;
};

enum class BindMode { transceiver, receiver, transmitter, pair };
enum class Alphabet { gsm7, gsm7_packed, latin1, ascii };
enum class Concatenation { udh8, udh16, sar, payload };

struct SmscConfig {
  std::string name, host;
  std::uint16_t port = 2775;
  /// `password` is the one written in the config; a `password_file` is read at each (re)bind.
  std::string system_id, password, password_file;
  BindMode bind = BindMode::transceiver;
  int binds = 1;
  int window = 10;
  double rate = 0;  ///< submits per second per bind; 0 = unthrottled
  std::string system_type;
  std::uint8_t interface_version = 0x34;
  std::uint8_t addr_ton = 0, addr_npi = 0;
  std::string address_range;
  Millis enquire_link_interval{30000}, enquire_link_timeout{10000}, request_timeout{30000};
  Millis reconnect_min{1000}, reconnect_max{60000};
  double reconnect_factor = 2.0;
  Millis bind_failure_backoff{60000};
  int max_unanswered_inbound = 1000;
  std::uint32_t max_command_length = 65536;
  Alphabet default_alphabet = Alphabet::gsm7;
  Concatenation concatenation = Concatenation::udh8;
  TlsConfig tls;
  bool operator==(const SmscConfig&) const = default;
};

struct NumberConfig {
  std::string number;  ///< "+15551234567" or a short code "12345"
  std::string smsc;
};

struct OrganizationConfig {
  std::string name, prefix, support_email, help_text;
};

enum class Durability { durable, relaxed };

struct StorageConfig {
  std::string path = "/var/lib/twoway";
  std::uint64_t map_size = 1ull << 30;
  Durability durability = Durability::durable;
};

struct OutboxConfig {
  Millis retry_base{30000};  ///< first wait after a retryable refusal; doubles up to 64x
};

struct RolesConfig {
  std::vector<std::string> owner, admin, manager;  ///< user names and "@group" names
};

struct AdminConfig {
  std::string socket = "/run/twoway/admin.sock";
  unsigned mode = 0660;
  std::string group;  ///< group owning the socket file; empty = the daemon's group
  RolesConfig roles;
  int max_connections = 32;
  std::size_t max_line = 65536;
  Millis idle_timeout{300000};
};

struct LoggingConfig {
  std::string level = "info";
  std::string format = "auto";  ///< auto | text | journal
};

struct MetricsConfig {
  std::string http_listen;  ///< "127.0.0.1:9464"; empty = no listener
};

/// `cluster:` (cluster/cluster_config.hpp holds the values); absent: one node alone.
struct ClusterSection {
  bool enabled = false;
  cluster::ClusterConfig config;
};

struct ReassemblyConfig {
  Millis timeout{300000};
  int max_partials_per_source = 16;
};

struct CreditsConfig {
  double default_rate = 1;
  std::map<std::string, double> rates;  ///< "US" -> credits per segment
};

enum class AutoResponderMode { off, non_consented, all };

struct CustomKeyword {
  std::string word, reply;
  std::string action;  ///< none | opt_out | opt_in | help
};

struct QuietHoursRule {
  std::string name;
  std::vector<std::string> regions;  ///< "US", "CA" or area codes "+1415"
  std::string start, end;            ///< "HH:MM" local time of the recipient
};

struct FrequencyCapRule {
  std::string name;
  std::vector<std::string> regions;  ///< "US-FL", area codes "+1305" or regions "GB"
  int max = 3;                       ///< campaign/flow messages per period
  Millis period{86400000};           ///< the rolling period
};

struct ConversationsConfig {
  struct {
    AutoResponderMode mode = AutoResponderMode::off;
    std::string message;
    Millis period{86400000};
  } auto_responder;
  struct {
    std::vector<std::string> opt_out;  ///< added to the built-in floor (engine/keywords.hpp)
    std::vector<std::string> opt_in = {"YES", "SUBSCRIBE"};
    std::vector<std::string> help;
    bool opt_out_contains = false;
    std::vector<CustomKeyword> custom;
    std::vector<std::string> revocation;
  } keywords;
  struct {
    std::string opt_out, opt_in, help;
  } replies;
  struct {
    bool enabled = false;
    std::string start = "08:00", end = "21:00";
    std::vector<QuietHoursRule> rules;
  } quiet_hours;
  struct {
    bool enabled = true;
    std::vector<FrequencyCapRule> rules;  ///< on top of the built-in florida and oklahoma
  } frequency_caps;
  struct {
    struct {
      bool enabled = false;
      std::vector<std::string> to;
      std::string from;
      Millis digest{300000};  ///< at most one mail per interval; the first at once
      std::string smtp_host = "127.0.0.1";
      int smtp_port = 25;
      std::string smtp_tls = "none";  ///< none | starttls | implicit
      std::string smtp_username;
      std::string smtp_password_file;
    } email;
    /// The file used the form of earlier builds (`enabled`, `email` as a list of addresses).
    bool legacy_form = false;
  } notifications;
  struct {
    bool enabled = true;         ///< takes effect once a domain is set
    bool enabled_given = false;  ///< `enabled` was written in the file
    std::string domain;
    std::string listen = "127.0.0.1:8080";
    Millis expiry{90LL * 86400000};
  } link_shortening;
};

struct Config {
  std::string file;  ///< where it was loaded from
  OrganizationConfig organization;
  std::vector<SmscConfig> smscs;
  std::vector<NumberConfig> numbers;
  std::string default_region = "US";
  StorageConfig storage;
  AdminConfig admin;
  LoggingConfig logging;
  MetricsConfig metrics;
  ClusterSection cluster;
  ReassemblyConfig reassembly;
  OutboxConfig outbox;
  CreditsConfig credits;
  ConversationsConfig conversations;
  /// Every key's effective value as canonical text, by concrete path ("smscs[0].port"),
  /// defaults included. Used by the reload diff.
  std::map<std::string, std::string> effective;

  [[nodiscard]] const SmscConfig* find_smsc(std::string_view name) const;
};

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

struct ConfigError {
  std::string file;
  int line = 0;      ///< 1-based; 0 when the problem has no position (cannot read the file)
  int column = 0;    ///< 1-based
  std::string path;  ///< "smscs[0].port"; may be empty
  std::string problem;

  /// "file:line:column: path: problem"
  [[nodiscard]] std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;     ///< set when there is no error
  std::vector<ConfigError> errors;  ///< every problem found, in file order
  [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// Whether loading also checks the files the config names (an SMSC's password file, its TLS CA
/// bundle, certificate and key: readable, and PEM that loads). twowayd always checks; a tool
/// that only wants the admin socket's path (twowayctl) need not be able to read secrets.
enum class FileChecks { on, off };

/// Reads and validates a YAML config file. Never throws for a bad file: every problem is in
/// `errors`, in file order.
[[nodiscard]] LoadResult load_config_file(const std::string& path,
                                          FileChecks files = FileChecks::on);

/// As load_config_file, from text; `name` is used in error messages.
[[nodiscard]] LoadResult load_config_text(std::string_view text, std::string_view name,
                                          FileChecks files = FileChecks::on);

/// Parses a duration: "250ms", "30s", "5m", "1h", "1d" or a bare integer (seconds).
[[nodiscard]] std::optional<Millis> parse_duration(std::string_view text);

/// Levenshtein distance, for "did you mean" hints.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

/// The closest of `candidates` to `word` when it is close enough to be a plausible typo.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string> candidates);

// ---------------------------------------------------------------------------------------------
// Reload
// ---------------------------------------------------------------------------------------------

struct ConfigDiff {
  std::vector<std::string> smscs_added, smscs_removed, smscs_changed;  ///< by name
  std::vector<std::string> live_changed;     ///< other changed keys a reload applies
  std::vector<std::string> restart_changed;  ///< changed keys that need a restart
  std::vector<std::string> seed_changed;     ///< changed first values of run-time settings
  [[nodiscard]] bool empty() const {
    return smscs_added.empty() && smscs_removed.empty() && smscs_changed.empty() &&
           live_changed.empty() && restart_changed.empty() && seed_changed.empty();
  }
};

/// The effective values of the SMSC at `index` (every key the key table knows under smscs[]),
/// by the key below it ("port", "tls.ca_file", "password" as a fingerprint).
[[nodiscard]] std::map<std::string, std::string> smsc_keys(const Config& config, std::size_t index);

/// What differs between the running config and a newly loaded one.
[[nodiscard]] ConfigDiff diff_configs(const Config& before, const Config& after);

[[nodiscard]] std::string_view to_string(BindMode m);
[[nodiscard]] std::string_view to_string(Alphabet a);
[[nodiscard]] std::string_view to_string(Concatenation c);

}  // namespace twoway::daemon
