// Reads each section of twowayd's config (organization, smscs, numbers, storage, admin,
// logging, metrics, reassembly, credits, conversations) and checks what spans several keys.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <vector>

#include "daemon/config_loader.hpp"
#include "daemon/listen_address.hpp"
#include "daemon/smsc_files.hpp"
#include "engine/links.hpp"
#include "engine/notification_settings.hpp"
#include "engine/regions.hpp"
#include "engine/templates.hpp"

namespace twoway::daemon::config_detail {
namespace {

std::string fingerprint(std::string_view secret) {
  // Only to notice a change on reload; never logged.
  return "#" + std::to_string(std::hash<std::string_view>{}(secret));
}

// The texts twowayd sends on its own are templates (engine/templates.hpp): an unknown
// placeholder is an error at the line of the text, never text sent to a customer.
void check_template(Loader& L, const MapView& v, std::string_view key, const std::string& text) {
  for (const std::string& problem : engine::template_errors(text)) {
    const Entry* e = v.find(key);
    L.error(e ? e->value.Mark() : v.mark, join(v.path, key), problem);
  }
}

// Why the daemon (this process) cannot give its admin socket to group `name`, with the fix;
// "" when it can: the group exists and the process is root or a member of it.
std::string admin_group_problem(const std::string& name) {
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  int rc = 0;
  while ((rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found)) == ERANGE &&
         buf.size() < (1u << 22)) {
    buf.resize(buf.size() * 2);
  }
  if (rc != 0 || found == nullptr) {
    return "group '" + name + "' does not exist: create it (groupadd --system " + name +
           ") and add the daemon's user to it, or set admin.group: \"\" to give the socket the "
           "daemon's own group";
  }
  if (geteuid() == 0 || getegid() == gr.gr_gid) return {};
  const int count = getgroups(0, nullptr);
  std::vector<gid_t> groups(count > 0 ? static_cast<std::size_t>(count) : 0);
  if (count > 0 && getgroups(count, groups.data()) == count) {
    for (gid_t g : groups) {
      if (g == gr.gr_gid) return {};
    }
  }
  std::string user = std::to_string(geteuid());
  passwd pw{};
  passwd* pw_found = nullptr;
  std::vector<char> pw_buf(16384);
  if (getpwuid_r(geteuid(), &pw, pw_buf.data(), pw_buf.size(), &pw_found) == 0 && pw_found)
    user = pw.pw_name;
  return "the daemon's user '" + user + "' is not in group '" + name +
         "', so it cannot give the admin socket to that group: add it (usermod -aG " + name + " " +
         user +
         "; the systemd unit's SupplementaryGroups= does this for the service) or set "
         "admin.group: \"\"";
}

void read_smsc(Loader& L, const MapView& v, SmscConfig& s) {
  L.get(v, "name", s.name);
  if (!s.name.empty() && !is_name(s.name)) {
    L.error(v.mark, v.path + ".name", "use letters, digits, '_', '-' and '.' only");
  }
  L.get(v, "host", s.host);
  L.get(v, "port", s.port);
  L.get(v, "system_id", s.system_id);
  L.get(v, "password", s.password);
  L.get(v, "password_file", s.password_file);
  std::string text;
  if (L.get(v, "bind", text)) s.bind = pick(text, kBindModes, BindMode::transceiver);
  L.get(v, "binds", s.binds);
  L.get(v, "window", s.window);
  L.get(v, "rate", s.rate);
  L.get(v, "system_type", s.system_type);
  if (L.get(v, "interface_version", text)) s.interface_version = text == "5.0" ? 0x50 : 0x34;
  L.get(v, "addr_ton", s.addr_ton);
  L.get(v, "addr_npi", s.addr_npi);
  L.get(v, "address_range", s.address_range);
  L.get(v, "enquire_link_interval", s.enquire_link_interval);
  L.get(v, "enquire_link_timeout", s.enquire_link_timeout);
  L.get(v, "request_timeout", s.request_timeout);
  L.get(v, "reconnect_min", s.reconnect_min);
  L.get(v, "reconnect_max", s.reconnect_max);
  L.get(v, "reconnect_factor", s.reconnect_factor);
  L.get(v, "bind_failure_backoff", s.bind_failure_backoff);
  L.get(v, "max_unanswered_inbound", s.max_unanswered_inbound);
  L.get(v, "max_command_length", s.max_command_length);
  if (L.get(v, "default_alphabet", text))
    s.default_alphabet = pick(text, kAlphabets, Alphabet::gsm7);
  if (L.get(v, "concatenation", text))
    s.concatenation = pick(text, kConcatenations, Concatenation::udh8);
  const MapView tls = L.section(v, "tls");
  L.get(tls, "enabled", s.tls.enabled);
  L.get(tls, "ca_file", s.tls.ca_file);
  L.get(tls, "cert_file", s.tls.cert_file);
  L.get(tls, "key_file", s.tls.key_file);
  L.get(tls, "verify", s.tls.verify);

  auto mark_of_key = [&](const MapView& m, std::string_view key) {
    const Entry* e = m.find(key);
    return e ? e->key_node.Mark() : m.mark;
  };
  // The password (or the password file's content) only as a fingerprint, so a reload notices a
  // changed one; the file itself is read again at each (re)bind (daemon/smsc_files.hpp).
  std::string password_seen = s.password;
  if (!s.password.empty() && !s.password_file.empty()) {
    L.error(mark_of_key(v, "password_file"), v.path + ".password_file",
            "set either password or password_file, not both");
  } else if (!s.password_file.empty() && L.check_files) {
    password_seen = read_password_file(s.password_file).password;
  }
  if (L.check_files) {
    SmscConfig files = s;
    if (!s.password.empty()) files.password_file.clear();  // reported above
    for (const SmscFileProblem& p : check_smsc_files(files)) {
      const bool in_tls = p.key.starts_with("tls.");
      const std::string key = in_tls ? p.key.substr(4) : p.key;
      L.error(mark_of_key(in_tls ? tls : v, key), v.path + "." + p.key,
              p.problem + (s.name.empty() ? "" : " (smsc " + s.name + ")"));
    }
  }
  L.effective()[v.path + ".password"] = fingerprint(password_seen);
  if (s.reconnect_min > s.reconnect_max) {
    L.error(mark_of_key(v, "reconnect_min"), v.path + ".reconnect_min",
            "must not be larger than reconnect_max");
  }
  if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
    L.error(mark_of_key(tls, s.tls.cert_file.empty() ? "key_file" : "cert_file"),
            tls.path + (s.tls.cert_file.empty() ? ".cert_file" : ".key_file"),
            "cert_file and key_file go together");
  }
}

void check_number(Loader& L, const MapView& v, const NumberConfig& n,
                  const std::vector<SmscConfig>& smscs) {
  auto mark_of_key = [&](std::string_view key) {
    const Entry* e = v.find(key);
    return e ? e->value.Mark() : v.mark;
  };
  const std::string& num = n.number;
  if (!num.empty()) {
    const bool plus = num[0] == '+';
    const std::string_view digits = std::string_view(num).substr(plus ? 1 : 0);
    const bool all_digits =
        !digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    const bool has_letter = std::any_of(
        num.begin(), num.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
    if (has_letter) {
      L.error(mark_of_key("number"), v.path + ".number",
              "'" + num +
                  "' is an alphanumeric sender: conversations need a numeric number "
                  "(long code, short code or toll-free) that subscribers can text");
    } else if (!all_digits || (plus && (digits.size() < 8 || digits.size() > 15)) ||
               (!plus && (digits.size() < 3 || digits.size() > 15))) {
      L.error(mark_of_key("number"), v.path + ".number",
              "'" + num + "' is neither an E.164 number (+15551234567) nor a short code");
    }
  }
  if (!n.smsc.empty()) {
    std::vector<std::string> names;
    for (const auto& s : smscs) names.push_back(s.name);
    if (std::find(names.begin(), names.end(), n.smsc) == names.end()) {
      std::string problem = "no SMSC named '" + n.smsc + "' in smscs";
      if (auto hint = closest_match(n.smsc, names)) problem += "; did you mean '" + *hint + "'?";
      L.error(mark_of_key("smsc"), v.path + ".smsc", std::move(problem));
    }
  }
}

// conversations.notifications: the email block, or the form of earlier builds (`enabled`, and
// `email` as a list of addresses), read as email.enabled and email.to. The settings are checked
// as `settings` checks them; a password file must be readable when a username is set.
void read_notifications(Loader& L, const MapView& conv, ConversationsConfig& cv) {
  const MapView notes = L.section(conv, "notifications");
  auto& e = cv.notifications.email;
  const Entry* email_entry = notes.find("email");
  MapView email;
  if (email_entry != nullptr && email_entry->value.IsSequence()) {
    cv.notifications.legacy_form = true;
    email.path = notes.path + ".email";
    email.mark = email_entry->value.Mark();
    for (const YAML::Node& item : email_entry->value) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        L.error(item.Mark(), email.path, "expected a non-empty address");
        continue;
      }
      e.to.push_back(item.Scalar());
    }
  } else {
    email = L.section(notes, "email");
    L.get(email, "enabled", e.enabled);
    L.get(email, "to", e.to);
    L.get(email, "from", e.from);
    L.get(email, "digest", e.digest);
    const MapView smtp = L.section(email, "smtp");
    L.get(smtp, "host", e.smtp_host);
    L.get(smtp, "port", e.smtp_port);
    L.get(smtp, "tls", e.smtp_tls);
    L.get(smtp, "username", e.smtp_username);
    L.get(smtp, "password_file", e.smtp_password_file);
  }
  if (notes.find("enabled") != nullptr) {
    bool old_enabled = false;
    if (L.get(notes, "enabled", old_enabled)) {
      cv.notifications.legacy_form = true;
      e.enabled = e.enabled || old_enabled;
    }
  }
  if (cv.notifications.legacy_form)
    L.effective()[email.path + ".to"] = [&] {
      std::string joined;
      for (const auto& a : e.to) joined += (joined.empty() ? "" : ",") + a;
      return joined;
    }();

  // The checks `settings` makes, each at the key it is about.
  engine::EmailNotifications check;
  check.enabled = e.enabled;
  check.to = e.to;
  check.from = e.from;
  check.digest_seconds = std::chrono::duration_cast<std::chrono::seconds>(e.digest).count();
  check.smtp_host = e.smtp_host;
  check.smtp_port = static_cast<std::uint32_t>(e.smtp_port);
  check.smtp_tls = engine::parse_smtp_tls(e.smtp_tls).value_or(engine::SmtpTls::none);
  check.smtp_username = e.smtp_username;
  check.smtp_password_file = e.smtp_password_file;
  const auto mark_at = [&](const std::string& key) {
    // "smtp.host" -> the smtp section's host entry; "to" -> the email section's entry.
    if (key.starts_with("smtp.")) {
      const Entry* s = email.find("smtp");
      if (s == nullptr) return email.mark;
      if (s->value.IsMap())
        if (const YAML::Node n = s->value[key.substr(5)]; n.IsDefined()) return n.Mark();
      return s->key_node.Mark();
    }
    const Entry* found = email.find(key);
    return found != nullptr ? found->value.Mark() : email.mark;
  };
  constexpr std::string_view kPrefix = "notifications.email.";
  for (const std::string& problem : engine::email_notification_errors(check)) {
    if (!problem.starts_with(kPrefix)) continue;
    const std::size_t colon = problem.find(": ");
    const std::string key = problem.substr(kPrefix.size(), colon - kPrefix.size());
    L.error(mark_at(key), email.path + "." + key, problem.substr(colon + 2));
  }
  if (L.check_files && !e.smtp_username.empty() && !e.smtp_password_file.empty()) {
    if (auto read = read_password_file(e.smtp_password_file); !read.problem.empty())
      L.error(mark_at("smtp.password_file"), email.path + ".smtp.password_file", read.problem);
  }
}
void load_link_shortening(Loader& L, const MapView& conv, ConversationsConfig& cv);
void load_cluster(Loader& L, const MapView& top, ClusterSection& out);

}  // namespace

void read_all(Loader& L, const YAML::Node& root, Config& c) {
  const MapView top = L.open(root, "", YAML::Mark());
  if (!top.valid) return;

  const MapView org = L.section(top, "organization");
  L.get(org, "name", c.organization.name);
  L.get(org, "prefix", c.organization.prefix);
  L.get(org, "support_email", c.organization.support_email);
  L.get(org, "help_text", c.organization.help_text);

  std::map<std::string, int> smsc_lines;
  for (const MapView& v : L.list(top, "smscs")) {
    if (!v.valid) continue;
    SmscConfig s;
    read_smsc(L, v, s);
    if (!s.name.empty()) {
      auto [pos, inserted] = smsc_lines.emplace(s.name, v.mark.line + 1);
      if (!inserted) {
        const Entry* e = v.find("name");
        L.error(e ? e->value.Mark() : v.mark, v.path + ".name",
                "duplicate SMSC name '" + s.name + "' (first at line " +
                    std::to_string(pos->second) + ")");
      }
    }
    c.smscs.push_back(std::move(s));
  }

  std::map<std::string, int> number_lines;
  for (const MapView& v : L.list(top, "numbers")) {
    if (!v.valid) continue;
    NumberConfig n;
    L.get(v, "number", n.number);
    L.get(v, "smsc", n.smsc);
    check_number(L, v, n, c.smscs);
    if (!n.number.empty()) {
      auto [pos, inserted] = number_lines.emplace(n.number, v.mark.line + 1);
      if (!inserted) {
        L.error(v.mark, v.path + ".number",
                "duplicate number '" + n.number + "' (first at line " +
                    std::to_string(pos->second) + ")");
      }
    }
    c.numbers.push_back(std::move(n));
  }

  if (L.get(top, "default_region", c.default_region) && !is_region(c.default_region)) {
    const Entry* e = top.find("default_region");
    L.error(e ? e->value.Mark() : top.mark, "default_region",
            "not a region code (two capital letters, like \"US\")");
  }

  const MapView storage = L.section(top, "storage");
  L.get(storage, "path", c.storage.path);
  L.get(storage, "map_size", c.storage.map_size);
  std::string text;
  if (L.get(storage, "durability", text)) {
    c.storage.durability = text == "relaxed" ? Durability::relaxed : Durability::durable;
  }

  const MapView admin = L.section(top, "admin");
  if (L.get(admin, "socket", c.admin.socket) && c.admin.socket[0] != '/') {
    L.error(admin.find("socket")->value.Mark(), "admin.socket", "must be an absolute path");
  }
  if (L.get(admin, "mode", text)) {
    unsigned mode = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
    if (ec != std::errc() || end != text.data() + text.size() || mode > 0777) {
      const Entry* e = admin.find("mode");
      L.error(e ? e->value.Mark() : admin.mark, "admin.mode",
              "'" + text + "' is not an octal file mode (like \"0660\")");
    } else {
      c.admin.mode = mode;
    }
  }
  if (L.get(admin, "group", c.admin.group) && !c.admin.group.empty()) {
    const YAML::Mark mark = admin.find("group")->value.Mark();
    if (!is_name(c.admin.group)) {
      L.error(mark, "admin.group", "not a group name");
    } else if (L.check_files) {
      // The socket is chowned to this group at start: say now, with the fix, when it cannot be.
      if (std::string problem = admin_group_problem(c.admin.group); !problem.empty())
        L.error(mark, "admin.group", std::move(problem));
    }
  }
  const MapView roles = L.section(admin, "roles");
  for (auto [key, list] :
       {std::pair{"owner", &c.admin.roles.owner}, std::pair{"admin", &c.admin.roles.admin},
        std::pair{"manager", &c.admin.roles.manager}}) {
    if (!L.get(roles, key, *list)) continue;
    for (const std::string& who : *list) {
      const std::string_view name = who[0] == '@' ? std::string_view(who).substr(1) : who;
      if (!is_name(name)) {
        L.error(roles.find(key)->value.Mark(), "admin.roles." + std::string(key),
                "'" + who + "' is not a user name or @group");
      }
    }
  }
  L.get(admin, "max_connections", c.admin.max_connections);
  L.get(admin, "max_line", c.admin.max_line);
  L.get(admin, "idle_timeout", c.admin.idle_timeout);

  const MapView logging = L.section(top, "logging");
  L.get(logging, "level", c.logging.level);
  L.get(logging, "format", c.logging.format);

  const MapView metrics = L.section(top, "metrics");
  if (L.get(metrics, "http_listen", c.metrics.http_listen) && !c.metrics.http_listen.empty() &&
      !parse_listen_address(c.metrics.http_listen)) {
    L.error(metrics.find("http_listen")->value.Mark(), "metrics.http_listen",
            "'" + c.metrics.http_listen +
                "' is not an IP address and port, like 127.0.0.1:9464, [::1]:9464 or "
                "0.0.0.0:9464");
  }

  load_cluster(L, top, c.cluster);

  const MapView reassembly = L.section(top, "reassembly");
  L.get(reassembly, "timeout", c.reassembly.timeout);
  L.get(reassembly, "max_partials_per_source", c.reassembly.max_partials_per_source);

  const MapView outbox = L.section(top, "outbox");
  L.get(outbox, "retry_base", c.outbox.retry_base);

  const MapView credits = L.section(top, "credits");
  L.get(credits, "default_rate", c.credits.default_rate);
  L.get(credits, "rates", c.credits.rates);

  auto& cv = c.conversations;
  const MapView conv = L.section(top, "conversations");
  const MapView ar = L.section(conv, "auto_responder");
  if (L.get(ar, "mode", text)) {
    cv.auto_responder.mode = text == "all"             ? AutoResponderMode::all
                             : text == "non_consented" ? AutoResponderMode::non_consented
                                                       : AutoResponderMode::off;
  }
  L.get(ar, "message", cv.auto_responder.message);
  L.get(ar, "period", cv.auto_responder.period);
  if (cv.auto_responder.mode != AutoResponderMode::off && cv.auto_responder.message.empty()) {
    L.error(ar.mark, "conversations.auto_responder.message", "needed when mode is not off");
  }

  const MapView kw = L.section(conv, "keywords");
  L.get(kw, "opt_out", cv.keywords.opt_out);
  L.get(kw, "opt_in", cv.keywords.opt_in);
  L.get(kw, "help", cv.keywords.help);
  L.get(kw, "opt_out_contains", cv.keywords.opt_out_contains);
  L.get(kw, "revocation", cv.keywords.revocation);
  std::set<std::string> words;
  for (const MapView& v : L.list(kw, "custom")) {
    if (!v.valid) continue;
    CustomKeyword k;
    L.get(v, "word", k.word);
    L.get(v, "reply", k.reply);
    check_template(L, v, "reply", k.reply);
    L.get(v, "action", k.action);
    const Entry* e = v.find("word");
    if (!k.word.empty() && k.word.find_first_of(" \t") != std::string::npos) {
      L.error(e ? e->value.Mark() : v.mark, v.path + ".word", "must be a single word");
    } else if (!k.word.empty() && !words.insert(lower(k.word)).second) {
      L.error(e ? e->value.Mark() : v.mark, v.path + ".word", "duplicate keyword '" + k.word + "'");
    }
    cv.keywords.custom.push_back(std::move(k));
  }

  const MapView replies = L.section(conv, "replies");
  L.get(replies, "opt_out", cv.replies.opt_out);
  L.get(replies, "opt_in", cv.replies.opt_in);
  L.get(replies, "help", cv.replies.help);
  check_template(L, ar, "message", cv.auto_responder.message);
  check_template(L, replies, "opt_out", cv.replies.opt_out);
  check_template(L, replies, "opt_in", cv.replies.opt_in);
  check_template(L, replies, "help", cv.replies.help);

  auto check_time = [&](const MapView& v, std::string_view key, const std::string& value) {
    if (is_hhmm(value)) return;
    const Entry* e = v.find(key);
    L.error(e ? e->value.Mark() : v.mark, join(v.path, key),
            "'" + value + "' is not a time of day (HH:MM, 24-hour)");
  };
  const MapView qh = L.section(conv, "quiet_hours");
  L.get(qh, "enabled", cv.quiet_hours.enabled);
  if (L.get(qh, "start", cv.quiet_hours.start)) check_time(qh, "start", cv.quiet_hours.start);
  if (L.get(qh, "end", cv.quiet_hours.end)) check_time(qh, "end", cv.quiet_hours.end);
  for (const MapView& v : L.list(qh, "rules")) {
    if (!v.valid) continue;
    QuietHoursRule r;
    L.get(v, "name", r.name);
    L.get(v, "regions", r.regions);
    if (L.get(v, "start", r.start)) check_time(v, "start", r.start);
    if (L.get(v, "end", r.end)) check_time(v, "end", r.end);
    cv.quiet_hours.rules.push_back(std::move(r));
  }

  const MapView caps = L.section(conv, "frequency_caps");
  L.get(caps, "enabled", cv.frequency_caps.enabled);
  std::set<std::string> cap_names;
  for (const MapView& v : L.list(caps, "rules")) {
    if (!v.valid) continue;
    FrequencyCapRule r;
    if (L.get(v, "name", r.name) && !cap_names.insert(r.name).second) {
      const Entry* e = v.find("name");
      L.error(e ? e->value.Mark() : v.mark, v.path + ".name",
              "duplicate rule name '" + r.name + "'");
    }
    if (L.get(v, "regions", r.regions)) {
      for (const std::string& entry : r.regions) {
        if (std::string problem = engine::region_entry_problem(entry); !problem.empty()) {
          const Entry* e = v.find("regions");
          L.error(e ? e->value.Mark() : v.mark, v.path + ".regions", std::move(problem));
        }
      }
    }
    L.get(v, "max", r.max);
    L.get(v, "period", r.period);
    cv.frequency_caps.rules.push_back(std::move(r));
  }

  read_notifications(L, conv, cv);

  load_link_shortening(L, conv, cv);
}

namespace {

// conversations.link_shortening: on by default once a domain is set; `enabled: true` written
// without a domain is an error, and so are a domain that is not a host name and a listener
// that is not HOST:PORT.
void load_link_shortening(Loader& L, const MapView& conv, ConversationsConfig& cv) {
  auto& ls = cv.link_shortening;
  const MapView links = L.section(conv, "link_shortening");
  L.get(links, "enabled", ls.enabled);  // the table's default when absent: true
  const Entry* enabled = links.find("enabled");
  ls.enabled_given = enabled != nullptr && !enabled->value.IsNull();
  L.get(links, "domain", ls.domain);
  L.get(links, "listen", ls.listen);
  L.get(links, "expiry", ls.expiry);
  const auto mark_of = [&](std::string_view key) {
    const Entry* e = links.find(key);
    return e ? e->value.Mark() : links.mark;
  };
  if (ls.enabled_given && ls.enabled && ls.domain.empty()) {
    L.error(mark_of("enabled"), "conversations.link_shortening.enabled",
            "needs conversations.link_shortening.domain (the short links' host name)");
  }
  if (!ls.domain.empty() && !engine::valid_link_domain(ls.domain)) {
    L.error(
        mark_of("domain"), "conversations.link_shortening.domain",
        "'" + ls.domain + "' is not a host name (like go.shop.example: no https://, port or path)");
  }
  if (ls.listen.empty() ? (ls.enabled && !ls.domain.empty())
                        : !engine::valid_listen_address(ls.listen)) {
    L.error(mark_of("listen"), "conversations.link_shortening.listen",
            "'" + ls.listen + "' is not HOST:PORT (like 127.0.0.1:8080)");
  }
}

// cluster: present = cluster mode; the values are checked as a whole by cluster::check.
void load_cluster(Loader& L, const MapView& top, ClusterSection& out) {
  const MapView cl = L.section(top, "cluster");
  const Entry* given = top.find("cluster");
  out.enabled = given != nullptr && !given->value.IsNull();
  auto& c = out.config;
  L.get(cl, "nats", c.nats);
  L.get(cl, "node", c.node);
  int partitions = static_cast<int>(c.partitions);
  if (L.get(cl, "partitions", partitions)) c.partitions = static_cast<std::uint32_t>(partitions);
  L.get(cl, "credentials_file", c.credentials_file);
  L.get(cl, "replicas", c.replicas);
  L.get(cl, "lease_seconds", c.lease_ttl);
  if (!out.enabled) return;
  for (const std::string& problem : cluster::check(c)) {
    const std::string key = problem.substr(0, problem.find(':'));
    const Entry* e = cl.find(key.substr(key.find('.') + 1));
    // A missing key is reported at `cluster:` itself.
    L.error(e ? e->value.Mark() : given->key_node.Mark(), key,
            problem.substr(problem.find(':') + 2));
  }
}

}  // namespace

}  // namespace twoway::daemon::config_detail
