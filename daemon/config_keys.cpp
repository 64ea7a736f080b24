// The one table of twowayd's configuration keys: type, default, bounds, reload class, help.
// The loader, `--check-config`, the reload diff and `twowayd --describe-config` all read it.
#include <string>

#include "daemon/config.hpp"

namespace twoway::daemon {
namespace {

using T = KeyType;
using R = Reload;

constexpr double kSec = 1000;  // durations are bounded in milliseconds
constexpr double kMin = 60 * kSec;
constexpr double kHour = 60 * kMin;
constexpr double kDay = 24 * kHour;

// clang-format off
constexpr KeySpec kKeys[] = {
  {"organization", T::section, "", 0, 0, R::live, false, "", "Who sends the messages"},
  {"organization.name", T::string, "", 0, 100, R::live, false, "", "Business name ({{organization.name}} in texts)"},
  {"organization.prefix", T::string, "", 0, 40, R::live, false, "", "The brand before automatic replies ({{organization.prefix}}), e.g. \"ACME\"; empty = the name"},
  {"organization.support_email", T::string, "", 0, 254, R::live, false, "", "Support address ({{organization.email}}), named by the built-in HELP reply"},
  {"organization.help_text", T::string, "", 0, 640, R::live, false, "", "Extra text appended to the HELP reply"},

  {"smscs", T::list, "[]", 0, 256, R::live, false, "", "SMSC connections (ESME binds)"},
  {"smscs[]", T::section, "", 0, 0, R::live, false, "", "One SMSC"},
  {"smscs[].name", T::string, "", 1, 32, R::live, true, "", "Unique name, used in logs, metrics and numbers[].smsc"},
  {"smscs[].host", T::string, "", 1, 253, R::live, true, "", "Host name or address of the SMSC"},
  {"smscs[].port", T::integer, "2775", 1, 65535, R::live, false, "", "TCP port"},
  {"smscs[].system_id", T::string, "", 1, 15, R::live, true, "", "ESME system_id for bind"},
  {"smscs[].password", T::string, "", 0, 8, R::live, false, "", "Bind password (or use password_file)"},
  {"smscs[].password_file", T::string, "", 0, 4096, R::live, false, "", "File holding the bind password (first line), read at each (re)bind; unreadable or empty is an error"},
  {"smscs[].bind", T::choice, "transceiver", 0, 0, R::live, false, "transceiver|receiver|transmitter|pair", "Bind type; pair = one receiver + one transmitter"},
  {"smscs[].binds", T::integer, "1", 1, 64, R::live, false, "", "Number of parallel binds (pairs for bind: pair)"},
  {"smscs[].window", T::integer, "10", 1, 1000, R::live, false, "", "Outstanding requests per bind"},
  {"smscs[].rate", T::number, "0", 0, 100000, R::live, false, "", "Submits per second per bind; 0 = no limit"},
  {"smscs[].system_type", T::string, "", 0, 12, R::live, false, "", "ESME system_type for bind"},
  {"smscs[].interface_version", T::choice, "\"3.4\"", 0, 0, R::live, false, "3.4|5.0", "SMPP version to bind with"},
  {"smscs[].addr_ton", T::integer, "0", 0, 6, R::live, false, "", "Bind addr_ton"},
  {"smscs[].addr_npi", T::integer, "0", 0, 18, R::live, false, "", "Bind addr_npi"},
  {"smscs[].address_range", T::string, "", 0, 40, R::live, false, "", "Bind address_range (regular expression for the SMSC)"},
  {"smscs[].enquire_link_interval", T::duration, "30s", 1 * kSec, kHour, R::live, false, "", "Idle time before an enquire_link"},
  {"smscs[].enquire_link_timeout", T::duration, "10s", 100, 10 * kMin, R::live, false, "", "Wait for enquire_link_resp before reconnecting"},
  {"smscs[].request_timeout", T::duration, "30s", 100, 10 * kMin, R::live, false, "", "Wait for any response before giving up on a request"},
  {"smscs[].reconnect_min", T::duration, "1s", 100, 10 * kMin, R::live, false, "", "First reconnect delay (jittered)"},
  {"smscs[].reconnect_max", T::duration, "60s", 1 * kSec, kHour, R::live, false, "", "Largest reconnect delay"},
  {"smscs[].reconnect_factor", T::number, "2", 1, 10, R::live, false, "", "Backoff multiplier per failed attempt"},
  {"smscs[].bind_failure_backoff", T::duration, "60s", 100, kDay, R::live, false, "", "Delay after a refused bind (bad credentials)"},
  {"smscs[].max_unanswered_inbound", T::integer, "1000", 1, 100000, R::live, false, "", "Inbound requests not yet answered before reading pauses"},
  {"smscs[].max_command_length", T::integer, "65536", 1024, 1048576, R::live, false, "", "Largest PDU accepted, in bytes"},
  {"smscs[].default_alphabet", T::choice, "gsm7", 0, 0, R::live, false, "gsm7|gsm7_packed|latin1|ascii", "What data_coding 0 means on this SMSC"},
  {"smscs[].concatenation", T::choice, "udh8", 0, 0, R::live, false, "udh8|udh16|sar|payload", "How long outbound messages are split"},
  {"smscs[].tls", T::section, "", 0, 0, R::live, false, "", "TLS for this SMSC"},
  {"smscs[].tls.enabled", T::boolean, "false", 0, 0, R::live, false, "", "Connect with TLS"},
  {"smscs[].tls.ca_file", T::string, "", 0, 4096, R::live, false, "", "CA bundle, PEM (empty = system store); checked at start and reload"},
  {"smscs[].tls.cert_file", T::string, "", 0, 4096, R::live, false, "", "Client certificate (PEM); checked at start and reload"},
  {"smscs[].tls.key_file", T::string, "", 0, 4096, R::live, false, "", "Client key (PEM), matching cert_file; checked at start and reload"},
  {"smscs[].tls.verify", T::boolean, "true", 0, 0, R::live, false, "", "Verify the SMSC's certificate and host name"},

  {"numbers", T::list, "[]", 0, 100000, R::live, false, "", "Numeric sending numbers that carry conversations"},
  {"numbers[]", T::section, "", 0, 0, R::live, false, "", "One sending number"},
  {"numbers[].number", T::string, "", 1, 16, R::live, true, "", "E.164 (+15551234567) or short code (12345); never alphanumeric"},
  {"numbers[].smsc", T::string, "", 1, 32, R::live, true, "", "Name of the SMSC that carries this number"},

  {"default_region", T::string, "US", 2, 2, R::restart, false, "", "ISO 3166 region for numbers written without a country code"},

  {"storage", T::section, "", 0, 0, R::restart, false, "", "The LMDB store"},
  {"storage.path", T::string, "/var/lib/twoway", 1, 4096, R::restart, false, "", "Directory of the LMDB environment"},
  {"storage.map_size", T::integer, "1073741824", 1048576, 1099511627776.0, R::restart, false, "", "Largest size of the store in bytes; when full, inbound is refused with a retryable status and logged until room returns"},
  {"storage.durability", T::choice, "durable", 0, 0, R::restart, false, "durable|relaxed", "durable = fsync every commit; relaxed = may lose the last commits on power loss"},

  {"admin", T::section, "", 0, 0, R::live, false, "", "The admin socket"},
  {"admin.socket", T::string, "/run/twoway/admin.sock", 1, 107, R::restart, false, "", "Unix socket path"},
  {"admin.mode", T::string, "\"0660\"", 3, 4, R::restart, false, "", "Socket file mode, octal"},
  {"admin.group", T::string, "", 0, 32, R::restart, false, "", "Group that owns the socket file (the daemon must be in it); empty = the daemon's group"},
  {"admin.roles", T::section, "", 0, 0, R::live, false, "", "Who may use the socket: user names and @group names per role"},
  {"admin.roles.owner", T::string_list, "[]", 0, 1000, R::live, false, "", "Everything (root is always owner)"},
  {"admin.roles.admin", T::string_list, "[]", 0, 1000, R::live, false, "", "Settings, SMSC control, plus what managers do"},
  {"admin.roles.manager", T::string_list, "[]", 0, 1000, R::live, false, "", "Read the inbox and threads, reply, archive, block"},
  {"admin.max_connections", T::integer, "32", 1, 1024, R::restart, false, "", "Concurrent admin connections"},
  {"admin.max_line", T::integer, "65536", 1024, 16777216, R::restart, false, "", "Longest request line in bytes"},
  {"admin.idle_timeout", T::duration, "5m", 1 * kSec, kDay, R::restart, false, "", "Close a connection idle this long (not while watching)"},

  {"logging", T::section, "", 0, 0, R::live, false, "", "Logs (stderr; journald under systemd)"},
  {"logging.level", T::choice, "info", 0, 0, R::live, false, "trace|debug|info|warn|error|critical|off", "Least level logged (--log-level overrides)"},
  {"logging.format", T::choice, "auto", 0, 0, R::restart, false, "auto|text|journal", "auto = native journal entries with fields when JOURNAL_STREAM names stderr, else text; journal = \"<N>\"-prefixed lines on stderr"},

  {"metrics", T::section, "", 0, 0, R::restart, false, "", "Prometheus metrics"},
  {"metrics.http_listen", T::string, "", 0, 64, R::restart, false, "", "IP address:port for Prometheus (GET /metrics), e.g. 127.0.0.1:9464, [::1]:9464 or 0.0.0.0:9464 (a warning is logged when not loopback); empty = off"},

  {"cluster", T::section, "", 0, 0, R::restart, false, "", "Several twowayd nodes sharing one business over NATS JetStream (absent: this node works alone)"},
  {"cluster.nats", T::string_list, "[]", 0, 32, R::restart, false, "", "NATS server URLs, nats://HOST:PORT or tls://HOST:PORT"},
  {"cluster.node", T::string, "", 0, 64, R::restart, false, "", "This node's name, unique in the cluster (letters, digits, - and _)"},
  {"cluster.partitions", T::integer, "64", 1, 1024, R::restart, false, "", "Partitions the customers are spread over; fixed when the cluster is first created"},
  {"cluster.credentials_file", T::string, "", 0, 4096, R::restart, false, "", "NATS credentials (.creds) file; empty = none"},
  {"cluster.replicas", T::integer, "3", 1, 5, R::restart, false, "", "JetStream replicas of the inbound stream and the buckets"},
  {"cluster.lease_seconds", T::duration, "5s", 1 * kSec, 60 * kSec, R::restart, false, "", "A partition is taken over this long after its node stopped renewing its lease"},

  {"reassembly", T::section, "", 0, 0, R::live, false, "", "Joining concatenated inbound messages"},
  {"reassembly.timeout", T::duration, "5m", 1 * kSec, kDay, R::restart, false, "", "Give up on a partial message after this long (its text is kept)"},
  {"reassembly.max_partials_per_source", T::integer, "16", 1, 1000, R::restart, false, "", "Incomplete messages held per sender"},

  {"outbox", T::section, "", 0, 0, R::restart, false, "", "Outbound messages the SMSC refused for now"},
  {"outbox.retry_base", T::duration, "30s", 1 * kSec, kDay, R::restart, false, "", "Wait before the first retry; each further retry waits twice as long (at most 64 times)"},

  {"credits", T::section, "", 0, 0, R::live, false, "", "Credits charged per outbound segment"},
  {"credits.default_rate", T::number, "1", 0, 1000, R::live, false, "", "Credits per segment where no country rate applies"},
  {"credits.rates", T::rate_map, "{}", 0, 1000, R::live, false, "", "Per-country rates: \"US\": 1"},

  {"conversations", T::section, "", 0, 0, R::seed, false, "", "First values of the conversation settings (later edits live in the store)"},
  {"conversations.auto_responder", T::section, "", 0, 0, R::seed, false, "", "Automatic answer to free text"},
  {"conversations.auto_responder.mode", T::choice, "off", 0, 0, R::seed, false, "off|non_consented|all", "Who gets it"},
  {"conversations.auto_responder.message", T::string, "", 0, 1600, R::seed, false, "", "The answer (a template: {{organization.prefix}}, {{profile.first_name|there}}...)"},
  {"conversations.auto_responder.period", T::duration, "24h", kMin, 30 * kDay, R::seed, false, "", "At most one per sender per period"},
  {"conversations.keywords", T::section, "", 0, 0, R::seed, false, "", "Keywords (whole message, case-insensitive), added to the built-in ones no setting removes"},
  {"conversations.keywords.opt_out", T::string_list, "[]", 0, 100, R::seed, false, "", "Opt-out words added to STOP, QUIT, END, REVOKE, OPT OUT, OPTOUT, CANCEL, UNSUBSCRIBE, STOPALL, STOP ALL and the stop-sign emoji (e.g. ARRET, BAJA, ALTO)"},
  {"conversations.keywords.opt_in", T::string_list, "[YES, SUBSCRIBE]", 0, 100, R::seed, false, "", "Opt-in words added to START and UNSTOP"},
  {"conversations.keywords.help", T::string_list, "[]", 0, 100, R::seed, false, "", "Help words added to HELP and INFO"},
  {"conversations.keywords.opt_out_contains", T::boolean, "false", 0, 0, R::seed, false, "", "Opt out when an opt-out word is one word of a longer message (otherwise such a text is flagged for staff)"},
  {"conversations.keywords.revocation", T::string_list, "[]", 0, 100, R::seed, false, "", "Wordings that may revoke consent, added to the built-in ones (\"remove me\", \"wrong number\"...): the conversation is flagged for staff"},
  {"conversations.keywords.custom", T::list, "[]", 0, 1000, R::seed, false, "", "Custom keywords"},
  {"conversations.keywords.custom[]", T::section, "", 0, 0, R::seed, false, "", "One custom keyword"},
  {"conversations.keywords.custom[].word", T::string, "", 1, 40, R::seed, true, "", "The word"},
  {"conversations.keywords.custom[].reply", T::string, "", 0, 1600, R::seed, false, "", "Reply text (a template)"},
  {"conversations.keywords.custom[].action", T::choice, "none", 0, 0, R::seed, false, "none|opt_out|opt_in|help", "Consent effect: opt_out and help act as STOP and HELP (the reply, if any, replaces their answer)"},
  {"conversations.replies", T::section, "", 0, 0, R::seed, false, "", "Keyword replies (templates: {{organization.name}}, {{profile.first_name|there}}...); empty = the built-in text"},
  {"conversations.replies.opt_out", T::string, "", 0, 1600, R::seed, false, "", "Opt-out confirmation"},
  {"conversations.replies.opt_in", T::string, "", 0, 1600, R::seed, false, "", "Opt-in confirmation"},
  {"conversations.replies.help", T::string, "", 0, 1600, R::seed, false, "", "HELP answer"},
  {"conversations.quiet_hours", T::section, "", 0, 0, R::seed, false, "", "Sending window for messages that are not direct answers"},
  {"conversations.quiet_hours.enabled", T::boolean, "true", 0, 0, R::seed, false, "", "Hold non-answers outside the window"},
  {"conversations.quiet_hours.start", T::string, "\"08:00\"", 5, 5, R::seed, false, "", "Window start, recipient's local time (HH:MM)"},
  {"conversations.quiet_hours.end", T::string, "\"21:00\"", 5, 5, R::seed, false, "", "Window end, recipient's local time (HH:MM)"},
  {"conversations.quiet_hours.rules", T::list, "[]", 0, 1000, R::seed, false, "", "Windows for some regions or area codes"},
  {"conversations.quiet_hours.rules[]", T::section, "", 0, 0, R::seed, false, "", "One rule"},
  {"conversations.quiet_hours.rules[].name", T::string, "", 1, 64, R::seed, true, "", "Rule name"},
  {"conversations.quiet_hours.rules[].regions", T::string_list, "[]", 1, 1000, R::seed, true, "", "Regions (\"US\") or number prefixes (\"+1415\")"},
  {"conversations.quiet_hours.rules[].start", T::string, "\"08:00\"", 5, 5, R::seed, false, "", "Window start (HH:MM)"},
  {"conversations.quiet_hours.rules[].end", T::string, "\"21:00\"", 5, 5, R::seed, false, "", "Window end (HH:MM)"},
  {"conversations.frequency_caps", T::section, "", 0, 0, R::seed, false, "", "At most so many campaign and flow messages to one recipient per rolling period (direct answers are never capped)"},
  {"conversations.frequency_caps.enabled", T::boolean, "true", 0, 0, R::seed, false, "", "Hold campaign and flow messages over a cap until a slot opens"},
  {"conversations.frequency_caps.rules", T::list, "[]", 0, 1000, R::seed, false, "", "Caps for some states, area codes or regions, on top of the built-in florida (US-FL) and oklahoma (US-OK), 3 per 24h each; the first that matches applies"},
  {"conversations.frequency_caps.rules[]", T::section, "", 0, 0, R::seed, false, "", "One rule"},
  {"conversations.frequency_caps.rules[].name", T::string, "", 1, 64, R::seed, true, "", "Rule name (reported with what it holds)"},
  {"conversations.frequency_caps.rules[].regions", T::string_list, "[]", 1, 1000, R::seed, true, "", "US states (\"US-FL\"), number prefixes (\"+1305\") or regions (\"GB\")"},
  {"conversations.frequency_caps.rules[].max", T::integer, "3", 1, 32, R::seed, false, "", "Messages allowed per period"},
  {"conversations.frequency_caps.rules[].period", T::duration, "24h", kMin, 31 * kDay, R::seed, false, "", "The rolling period"},
  {"conversations.notifications", T::section, "", 0, 0, R::seed, false, "", "Notices to staff about new texts"},
  {"conversations.notifications.enabled", T::boolean, "false", 0, 0, R::seed, false, "", "Old form of notifications.email.enabled (read as it)"},
  {"conversations.notifications.email", T::section, "", 0, 0, R::seed, false, "", "Email to staff when customers write (the old form, a list of addresses, is read as email.to)"},
  {"conversations.notifications.email.enabled", T::boolean, "false", 0, 0, R::seed, false, "", "Send the mails"},
  {"conversations.notifications.email.to", T::string_list, "[]", 0, 20, R::seed, false, "", "Recipients (plain addresses, like owner@shop.example)"},
  {"conversations.notifications.email.from", T::string, "", 0, 254, R::seed, false, "", "Sender address (needed when enabled)"},
  {"conversations.notifications.email.digest", T::duration, "5m", 10 * kSec, kDay, R::seed, false, "", "At most one mail per interval, listing every conversation with new free text; a quiet inbox's first text is mailed at once"},
  {"conversations.notifications.email.smtp", T::section, "", 0, 0, R::seed, false, "", "The mail relay"},
  {"conversations.notifications.email.smtp.host", T::string, "\"127.0.0.1\"", 0, 253, R::seed, false, "", "Relay host name or address"},
  {"conversations.notifications.email.smtp.port", T::integer, "25", 1, 65535, R::seed, false, "", "Relay port (587 for submission with starttls, 465 for implicit TLS)"},
  {"conversations.notifications.email.smtp.tls", T::choice, "none", 0, 0, R::seed, false, "none|starttls|implicit", "Plain SMTP, STARTTLS (refused if the relay does not offer it) or TLS from the start; certificates are verified against the system's CAs"},
  {"conversations.notifications.email.smtp.username", T::string, "", 0, 256, R::seed, false, "", "Login at the relay (\"\" = none)"},
  {"conversations.notifications.email.smtp.password_file", T::string, "", 0, 4096, R::seed, false, "", "File whose first line is the relay password (read at each mail; needed with a username)"},
  {"conversations.link_shortening", T::section, "", 0, 0, R::seed, false, "", "Shorten links in outbound messages"},
  {"conversations.link_shortening.enabled", T::boolean, "true", 0, 0, R::seed, false, "", "Shorten links in outbound texts once a domain is set (true without a domain is an error)"},
  {"conversations.link_shortening.domain", T::string, "", 0, 253, R::seed, false, "", "Host name of the short links: https://DOMAIN/CODE (empty: links go out as written)"},
  {"conversations.link_shortening.listen", T::string, "\"127.0.0.1:8080\"", 0, 64, R::seed, false, "", "HOST:PORT where twowayd serves the redirects (behind your TLS proxy for DOMAIN)"},
  {"conversations.link_shortening.expiry", T::duration, "90d", kSec, 3650 * kDay, R::seed, false, "", "A short link answers 410 Gone this long after its message"},
};
// clang-format on

// "smscs[12].tls.enabled" -> "smscs[].tls.enabled"
std::string to_pattern(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    out.push_back(path[i]);
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

}  // namespace

std::string_view key_type_name(KeyType t) {
  switch (t) {
    case T::section:
      return "section";
    case T::list:
      return "list";
    case T::string:
      return "string";
    case T::integer:
      return "integer";
    case T::number:
      return "number";
    case T::boolean:
      return "boolean";
    case T::duration:
      return "duration";
    case T::choice:
      return "choice";
    case T::string_list:
      return "list of strings";
    case T::rate_map:
      return "map";
  }
  return "?";
}

std::span<const KeySpec> config_keys() {
  return kKeys;
}

const KeySpec* find_key(std::string_view path) {
  const std::string pattern = to_pattern(path);
  for (const KeySpec& k : kKeys) {
    if (k.path == pattern) return &k;
  }
  return nullptr;
}

std::string seed_setting_command(std::string_view key) {
  // Where the setting's name or value differs from the config key's; any other
  // conversations.X is `settings X VALUE`.
  static constexpr std::pair<std::string_view, std::string_view> kCommands[] = {
      {"conversations.auto_responder.mode", "auto_responder.mode off|non_consented|all"},
      {"conversations.auto_responder.message", "auto_responder.message TEXT"},
      {"conversations.auto_responder.period", "auto_responder.period_seconds SECONDS"},
      {"conversations.keywords.opt_out", "keywords.opt_out WORD,WORD..."},
      {"conversations.keywords.opt_in", "keywords.opt_in WORD,WORD..."},
      {"conversations.keywords.help", "keywords.help WORD,WORD..."},
      {"conversations.keywords.revocation", "keywords.revocation WORDING,WORDING..."},
      {"conversations.keywords.opt_out_contains", "keywords.opt_out_contains true|false"},
      {"conversations.keywords.custom",
       "keywords.custom.WORD.reply TEXT, keywords.custom.WORD.action none|opt_in|opt_out|help "
       "or keywords.custom.remove WORD"},
      {"conversations.replies.opt_out", "answers.opt_out TEXT"},
      {"conversations.replies.opt_in", "answers.opt_in TEXT"},
      {"conversations.replies.help", "answers.help TEXT"},
      {"conversations.quiet_hours.enabled", "quiet_hours.enabled true|false"},
      {"conversations.quiet_hours.start", "quiet_hours.start HH:MM"},
      {"conversations.quiet_hours.end", "quiet_hours.end HH:MM"},
      {"conversations.quiet_hours.rules", ""},
      {"conversations.frequency_caps.enabled", "frequency_caps.enabled true|false"},
      {"conversations.frequency_caps.rules", ""},
  };
  std::string_view k = key.substr(0, key.find('['));
  for (const auto& [path, command] : kCommands)
    if (path == k)
      return command.empty() ? std::string() : "twowayctl settings " + std::string(command);
  constexpr std::string_view kPrefix = "conversations.";
  if (!k.starts_with(kPrefix) || k.size() == kPrefix.size()) return {};
  return "twowayctl settings " + std::string(k.substr(kPrefix.size())) + " VALUE";
}

std::string describe_keys() {
  std::string out;
  for (const KeySpec& k : kKeys) {
    if (k.type == T::section) continue;
    out.append(k.path).append(" (").append(key_type_name(k.type));
    if (k.type == T::choice) out.append(": ").append(k.choices);
    out.append(")");
    if (k.required) {
      out.append(" required");
    } else if (!k.def.empty()) {
      out.append(" default ").append(k.def);
    }
    if (k.reload == R::restart) out.append(" [restart]");
    if (k.reload == R::seed) out.append(" [first value]");
    out.append(": ").append(k.help).append("\n");
  }
  return out;
}

}  // namespace twoway::daemon
