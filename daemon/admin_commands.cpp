// The admin socket's commands: see admin_commands.hpp.
#include "daemon/admin_commands.hpp"

#include <boost/asio/post.hpp>
#include <ctime>
#include <sstream>

#include "daemon/admin_bulk.hpp"
#include "daemon/config.hpp"
#include "daemon/consent_log.hpp"
#include "daemon/export_command.hpp"
#include "daemon/settings_texts.hpp"
#include "daemon/smsc_files.hpp"
#include "engine/notification_settings.hpp"
#include "engine/settings.hpp"

namespace twoway::daemon {
namespace {

using nlohmann::json;

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AdminError error(std::string code, std::string message) {
  return AdminError{std::move(code), std::move(message)};
}

/// The rest of the positionals from `from` on, joined by spaces (TEXT... arguments).
std::string rest(const Args& args, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < args.positional.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += args.positional[i];
  }
  return out;
}

std::string hhmm(int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

std::optional<int> parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(s[0]) || !digit(s[1]) || !digit(s[3]) || !digit(s[4])) return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s) {
    if (c == ',') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else if (!(item.empty() && c == ' ')) {
      item.push_back(c);
    }
  }
  while (!item.empty() && item.back() == ' ') item.pop_back();
  if (!item.empty()) out.push_back(item);
  return out;
}

json message_json(const engine::Message& m) {
  json j{{"seq", m.seq},
         {"direction", m.direction == engine::Direction::inbound ? "in" : "out"},
         {"kind", engine::to_string(m.kind)},
         {"text", m.text},
         {"time", iso_time(m.created)},
         {"status", engine::to_string(m.state)},
         {"segments", m.segments},
         {"encoding", engine::to_string(m.encoding)},
         {"media_omitted", m.media_omitted}};
  if (m.credits) j["credits"] = m.credits;
  if (m.incomplete) j["incomplete"] = true;
  if (!m.keyword.empty()) j["keyword"] = m.keyword;
  if (!m.agent.empty()) j["agent"] = m.agent;
  if (!m.error.empty()) j["error"] = m.error;
  if (!m.sending_number.empty()) j["sending_number"] = m.sending_number;
  return j;
}

std::optional<bool> parse_bool(std::string_view v) {
  if (v == "true" || v == "on" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "off" || v == "no" || v == "0") return false;
  return std::nullopt;
}

/// A whole number of seconds as the config writes durations: "5m", "90s", "2h", "1d".
std::string duration_text(std::int64_t seconds) {
  for (const auto& [unit, size] :
       {std::pair<const char*, std::int64_t>{"d", 86400}, {"h", 3600}, {"m", 60}})
    if (seconds != 0 && seconds % size == 0) return std::to_string(seconds / size) + unit;
  return std::to_string(seconds) + "s";
}

json email_settings_json(const engine::EmailNotifications& e) {
  return {{"enabled", e.enabled},
          {"to", e.to},
          {"from", e.from},
          {"digest", duration_text(e.digest_seconds)},
          {"smtp",
           {{"host", e.smtp_host},
            {"port", e.smtp_port},
            {"tls", engine::to_string(e.smtp_tls)},
            {"username", e.smtp_username},
            {"password_file", e.smtp_password_file}}}};
}

/// Applies `notifications.email.KEY = value`; returns a problem or "". The whole settings are
/// checked afterwards (engine::email_notification_errors).
std::string set_email_setting(engine::EmailNotifications& e, std::string_view key,
                              std::string_view value) {
  if (key == "enabled") {
    auto b = parse_bool(value);
    if (!b) return "expected true or false";
    e.enabled = *b;
    return "";
  }
  if (key == "to") return e.to = split_list(value), "";
  if (key == "from") return e.from = value, "";
  if (key == "digest") {
    const auto d = parse_duration(value);
    if (!d || d->count() % 1000 != 0) return "expected a duration like 5m, 90s or 1h";
    e.digest_seconds = d->count() / 1000;
    return "";
  }
  if (key == "smtp.host") return e.smtp_host = value, "";
  if (key == "smtp.port") {
    const std::string v(value);
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 1 || n > 65535) return "expected a port from 1 to 65535";
    e.smtp_port = static_cast<std::uint32_t>(n);
    return "";
  }
  if (key == "smtp.tls") {
    const auto tls = engine::parse_smtp_tls(value);
    if (!tls) return "expected none, starttls or implicit";
    e.smtp_tls = *tls;
    return "";
  }
  if (key == "smtp.username") return e.smtp_username = value, "";
  if (key == "smtp.password_file") return e.smtp_password_file = value, "";
  return "unknown setting";
}

/// The relay settings decide where mail goes and which file twowayd reads as a password, then
/// hands to that relay: the owner's to change.
std::optional<AdminError> email_setting_refusal(std::string_view key, const Caller& caller) {
  if (key.starts_with("notifications.email.smtp.") && caller.role < Role::owner)
    return error("forbidden",
                 "the mail relay settings (notifications.email.smtp.*) need the "
                 "owner role");
  return std::nullopt;
}

/// With a username, the password file must be one twowayd can read: checked when a mail
/// setting changes, as --check-config does for the file.
std::string email_password_problem(std::string_view key, const engine::EmailNotifications& e) {
  if (!key.starts_with("notifications.email.") || e.smtp_username.empty() ||
      e.smtp_password_file.empty())
    return "";
  auto read = read_password_file(e.smtp_password_file);
  return read.problem.empty() ? "" : "notifications.email.smtp.password_file: " + read.problem;
}

json link_shortening_json(const engine::LinkShortening& l) {
  return {{"enabled", l.enabled},
          {"domain", l.domain},
          {"listen", l.listen},
          {"expiry", duration_text(l.expiry_seconds)}};
}

/// link_shortening.KEY = value; a problem or "". Setting a domain where there was none turns
/// shortening on (it is on by default once a domain is set).
std::string set_link_setting(engine::LinkShortening& l, std::string_view key,
                             std::string_view value) {
  if (key == "link_shortening.enabled") {
    const auto b = parse_bool(value);
    if (!b) return "expected true or false";
    l.enabled = *b;
    return "";
  }
  if (key == "link_shortening.domain") {
    if (l.domain.empty() && !value.empty()) l.enabled = true;
    l.domain = value;
    return "";
  }
  if (key == "link_shortening.listen") return l.listen = value, "";
  if (key == "link_shortening.expiry") {
    const auto d = parse_duration(value);
    if (!d || d->count() % 1000 != 0) return "expected a duration like 90d, 12h, 30m or 45s";
    l.expiry_seconds = d->count() / 1000;
    return "";
  }
  return "unknown setting";
}

/// The fields an inbox row and a waiting row share.
json conversation_row_json(const engine::InboxRow& r) {
  return {{"number", r.number},
          {"name", r.name},
          {"preview", r.preview},
          {"last_inbound", iso_time(r.time)},
          {"unread", r.unread},
          {"consent", engine::to_string(r.consent)},
          {"archived", r.archived},
          {"flags", r.revocation_flagged ? json::array({"revocation?"}) : json::array()}};
}

/// A message's short links: where each leads, its short form, clicks and expiry.
json links_json(const std::vector<engine::ShortLink>& links) {
  json out = json::array();
  for (const auto& l : links)
    out.push_back({{"short", "https://" + l.domain + "/" + l.code},
                   {"url", l.url},
                   {"clicks", l.clicks},
                   {"expires", iso_time(l.expires)}});
  return out;
}

json settings_json(const engine::Settings& s) {
  const json custom = custom_keywords_json(s);
  json rules = json::array();
  for (const auto& r : s.quiet_hours.rules)
    rules.push_back({{"name", r.name},
                     {"regions", r.area_codes_or_regions},
                     {"start", hhmm(r.window.start_minute)},
                     {"end", hhmm(r.window.end_minute)}});
  json caps = json::array();
  for (const auto& r : s.frequency_caps.rules)
    caps.push_back({{"name", r.name},
                    {"regions", r.regions},
                    {"max", r.max_messages},
                    {"period_seconds", r.period_seconds}});
  return {
      {"auto_responder",
       {{"mode", engine::to_string(s.auto_responder.mode)},
        {"message", s.auto_responder.message},
        {"period_seconds", s.auto_responder.period_seconds}}},
      {"keywords",
       {{"opt_out", s.keywords.opt_out},
        {"opt_in", s.keywords.opt_in},
        {"help", s.keywords.help},
        {"opt_out_contains", s.keywords.opt_out_contains},
        {"revocation", s.keywords.revocation},
        {"custom", custom}}},
      {"answers",
       {{"opt_out", s.answers.opt_out}, {"opt_in", s.answers.opt_in}, {"help", s.answers.help}}},
      {"quiet_hours",
       {{"enabled", s.quiet_hours.enabled},
        {"start", hhmm(s.quiet_hours.default_window.start_minute)},
        {"end", hhmm(s.quiet_hours.default_window.end_minute)},
        {"rules", rules}}},
      {"frequency_caps", {{"enabled", s.frequency_caps.enabled}, {"rules", caps}}},
      {"notifications",
       {{"email", email_settings_json(s.notifications.email)},
        {"waiting_threshold_seconds", s.notifications.waiting_threshold_seconds}}},
      {"link_shortening", link_shortening_json(s.link_shortening)},
  };
}

/// Applies `key = value` to `s`; returns a problem or "".
std::string set_setting(engine::Settings& s, std::string_view key, std::string_view value) {
  auto boolean = [&](bool& field) -> std::string {
    auto b = parse_bool(value);
    if (!b) return "expected true or false";
    field = *b;
    return "";
  };
  auto seconds = [&](std::int64_t& field) -> std::string {
    char* end = nullptr;
    const std::string v(value);
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 0) return "expected a number of seconds";
    field = n;
    return "";
  };
  if (key == "auto_responder.mode") {
    if (value == "off")
      s.auto_responder.mode = engine::AutoResponderMode::off;
    else if (value == "non_consented")
      s.auto_responder.mode = engine::AutoResponderMode::non_consented;
    else if (value == "all")
      s.auto_responder.mode = engine::AutoResponderMode::all;
    else
      return "expected off, non_consented or all";
    return "";
  }
  if (key == "auto_responder.message") return s.auto_responder.message = value, "";
  if (key == "auto_responder.period_seconds") return seconds(s.auto_responder.period_seconds);
  if (key == "keywords.opt_out") return s.keywords.opt_out = split_list(value), "";
  if (key == "keywords.opt_in") return s.keywords.opt_in = split_list(value), "";
  if (key == "keywords.help") return s.keywords.help = split_list(value), "";
  if (key == "keywords.opt_out_contains") return boolean(s.keywords.opt_out_contains);
  if (key == "keywords.revocation") return s.keywords.revocation = split_list(value), "";
  if (key == "answers.opt_out") return s.answers.opt_out = value, "";
  if (key == "answers.opt_in") return s.answers.opt_in = value, "";
  if (key == "answers.help") return s.answers.help = value, "";
  if (key == "quiet_hours.enabled") return boolean(s.quiet_hours.enabled);
  if (key == "quiet_hours.start" || key == "quiet_hours.end") {
    auto m = parse_hhmm(value);
    if (!m) return "expected HH:MM";
    (key == "quiet_hours.start" ? s.quiet_hours.default_window.start_minute
                                : s.quiet_hours.default_window.end_minute) = *m;
    return "";
  }
  if (key == "frequency_caps.enabled") return boolean(s.frequency_caps.enabled);
  if (key.starts_with("notifications.email."))
    return set_email_setting(s.notifications.email, key.substr(20), value);
  if (key == "notifications.waiting_threshold_seconds")
    return seconds(s.notifications.waiting_threshold_seconds);
  if (key.starts_with("link_shortening.")) return set_link_setting(s.link_shortening, key, value);
  return "unknown setting";
}

/// Looks a dotted key up in the settings JSON.
const json* find_setting(const json& all, std::string_view key) {
  const json* node = &all;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto dot = key.find('.', start);
    const std::string part(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (!node->is_object() || !node->contains(part)) return nullptr;
    node = &(*node)[part];
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return node;
}

CommandResult send_result(const engine::SendResult& r, engine::Engine& engine,
                          std::string_view number) {
  if (!r.ok()) {
    std::string message;
    switch (r.error) {
      case engine::SendError::not_found:
        message = "no conversation with this number";
        break;
      case engine::SendError::not_subscribed:
        message = "the customer is not subscribed: replies go to subscribers only";
        break;
      case engine::SendError::no_inbound:
        message = "the customer has not texted: nobody is texted first";
        break;
      case engine::SendError::blocked:
        message = "the number is blocked";
        break;
      case engine::SendError::branded_sender:
        message = "no numeric sending number to reply from (branded sender IDs cannot converse)";
        break;
      case engine::SendError::quiet_hours:
        message = "it is " + r.quiet.local_time +
                  " for the customer, inside quiet hours; repeat with --override-quiet-hours "
                  "to send anyway";
        break;
      case engine::SendError::empty_text:
        message = "the text is empty";
        break;
      case engine::SendError::text_too_long:
        message = "the text is too long";
        break;
      case engine::SendError::invalid_number:
        message = "not a phone number";
        break;
      case engine::SendError::storage:
        message = "the message could not be stored";
        break;
      case engine::SendError::revocation_pending:
        message =
            "the customer's last text may have revoked consent (flagged revocation?): decide "
            "with `revocation NUMBER opt-out|keep` first";
        break;
      case engine::SendError::ok:
        break;
    }
    return error(engine::to_string(r.error), message);
  }
  json j{{"number", engine.normalize(number)},
         {"outbox_id", r.outbox_id},
         {"seq", r.seq},
         {"held", r.held},
         {"text", r.text},
         {"segments", r.segments},
         {"encoding", engine::to_string(r.encoding)},
         {"credits", r.credits}};
  if (r.held) {
    j["due"] = iso_time(r.due_unix);
    j["hold_reason"] = r.hold_reason;
  }
  j["quiet_hours"] = {
      {"allowed", r.quiet.allowed}, {"local_time", r.quiet.local_time}, {"rule", r.quiet.rule}};
  if (!r.frequency_cap.rule.empty()) {
    const auto& cap = r.frequency_cap;
    j["frequency_cap"] = {{"allowed", cap.allowed},
                          {"rule", cap.rule},
                          {"max", cap.max_messages},
                          {"period_seconds", cap.period_seconds},
                          {"counted", cap.counted}};
    if (!cap.allowed) j["frequency_cap"]["next_slot"] = iso_time(cap.next_slot_unix);
  }
  return j;
}

/// Runs `fn` on the pool and completes with its result: engine writes wait for their commit.
AsyncHandler on_pool(boost::asio::thread_pool& pool,
                     std::function<CommandResult(const Args&, const Caller&)> fn) {
  return [&pool, fn = std::move(fn)](const Args& args, const Caller& caller, Completion done) {
    boost::asio::post(pool, [fn, args, caller, done = std::move(done)] {
      try {
        done(fn(args, caller));
      } catch (const std::exception& e) {
        done(error("internal", e.what()));
      }
    });
  };
}

/// The outcome of a staff action as T; nullopt, with `why` the answer to give instead, when
/// this node has none (in a cluster: the log refused it, or its owner did not confirm it).
template <class T>
std::optional<T> staff_outcome(const StaffDesk& staff, engine::StaffAction action,
                               CommandResult& why) {
  StaffAnswer a = staff(std::move(action));
  if (a.unavailable.empty()) {
    if (const T* t = std::get_if<T>(&a.outcome)) return *t;
  }
  why = error(a.moved ? "moved" : "unavailable",
              a.unavailable.empty() ? "the change was not applied" : a.unavailable);
  return std::nullopt;
}

/// A reply or a campaign/flow message queued through `staff`: the answer `send_result` gives,
/// and the pump woken when it was queued.
CommandResult queue_message(const StaffDesk& staff, Gateway& gateway, engine::Engine& engine,
                            engine::StaffAction action, const std::string& number) {
  CommandResult why;
  const auto r = staff_outcome<engine::SendResult>(staff, std::move(action), why);
  if (!r) return why;
  if (r->ok()) gateway.kick();
  return send_result(*r, engine, number);
}

CommandResult action_result(engine::ActionError e, engine::Engine& engine,
                            std::string_view number) {
  if (e == engine::ActionError::not_found)
    return error("not_found", "no conversation with " + std::string(number));
  if (e == engine::ActionError::invalid) return error("bad_request", "invalid number or value");
  if (e == engine::ActionError::storage) return error("internal", "the change could not be stored");
  if (e == engine::ActionError::consent_locked)
    return error("consent_locked", consent_locked_message(engine, number));
  return json{{"number", engine.normalize(number)}};
}

}  // namespace

json iso_time(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return nullptr;
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json event_json(const engine::Event& e) {
  static constexpr const char* kTypes[] = {"inbound", "outbound", "consent",
                                           "receipt", "profile",  "settings"};
  json j{{"event", kTypes[static_cast<int>(e.type)]}, {"time", iso_time(e.time)}};
  if (!e.number.empty()) j["number"] = e.number;
  if (e.seq) j["seq"] = e.seq;
  switch (e.type) {
    case engine::EventType::inbound:
    case engine::EventType::outbound:
      j["kind"] = engine::to_string(e.kind);
      j["status"] = engine::to_string(e.state);
      // The message itself, so a live inbox needs no `thread` call per message.
      j["text"] = e.text;
      j["segments"] = e.segments;
      j["encoding"] = engine::to_string(e.encoding);
      break;
    case engine::EventType::receipt:
      j["kind"] = engine::to_string(e.kind);
      j["status"] = engine::to_string(e.state);
      break;
    case engine::EventType::consent:
      j["consent"] = engine::to_string(e.consent);
      break;
    default:
      break;
  }
  if (!e.detail.empty()) j["detail"] = e.detail;
  return j;
}

void register_admin_commands(AdminServer& server, AdminContext& ctx,
                             boost::asio::thread_pool& pool) {
  engine::Engine& engine = ctx.engine;
  Gateway& gateway = ctx.gateway;
  if (!ctx.staff) {
    ctx.staff = [&engine](engine::StaffAction action) {
      return StaffAnswer{engine.perform(std::move(action)), {}};
    };
  }
  const StaffDesk& staff = ctx.staff;

  server.add_command({"status", "status", Role::manager,
                      SyncHandler([&ctx](const Args&, const Caller&) -> CommandResult {
                        const auto stats = ctx.engine.stats(now_unix());
                        const auto [up, all] = ctx.gateway.binds_up();
                        const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - ctx.started);
                        json status{{"version", ctx.version},
                                    {"uptime_seconds", uptime.count()},
                                    {"healthy", ctx.engine.healthy()},
                                    {"binds_up", up},
                                    {"binds_configured", all},
                                    {"smscs", ctx.gateway.smsc_json()},
                                    {"outbox_depth", stats.outbox_due + stats.outbox_in_flight},
                                    {"reassembly_pending", ctx.gateway.reassembly_pending()},
                                    {"map_size_bytes", ctx.engine.map_size()},
                                    {"store_full", ctx.engine.store_full()}};
                        if (ctx.notifications_status)
                          status["notifications"] = ctx.notifications_status();
                        if (ctx.cluster_status) status["cluster"] = ctx.cluster_status();
                        return status;
                      }),
                      false, "daemon version, uptime, binds and outbox"});

  server.add_command({"cluster", "cluster", Role::manager,
                      SyncHandler([&ctx](const Args&, const Caller&) -> CommandResult {
                        if (!ctx.cluster_status)
                          return error("not_clustered",
                                       "this node works alone (no cluster: in its configuration)");
                        return ctx.cluster_status();
                      }),
                      false, "this node, the live nodes and the partitions it holds"});

  server.add_command(
      {"inbox", "inbox [--unread] [--archived] [--flagged] [--limit N] [--before CURSOR]",
       Role::manager,
       SyncHandler([&engine, &ctx](const Args& args, const Caller&) -> CommandResult {
         const auto limit = args.integer("limit", 10, 1, 500);
         if (!limit) return error("bad_request", "--limit takes a number from 1 to 500");
         if (args.has("unread") + args.has("archived") + args.has("flagged") > 1)
           return error("bad_request", "--unread, --archived and --flagged do not go together");
         const auto view = args.has("archived")  ? engine::InboxView::archived
                           : args.has("unread")  ? engine::InboxView::unread
                           : args.has("flagged") ? engine::InboxView::flagged
                                                 : engine::InboxView::inbox;
         const auto before = args.value("before");
         if (before && before->empty())
           return error("bad_request", "--before needs the next_cursor of a previous inbox page");
         const auto want = static_cast<std::size_t>(*limit);
         auto page = engine.inbox(view, before.value_or(""), want);
         if (page.bad_cursor)
           return error("bad_request", "--before '" + std::string(before->substr(0, 64)) +
                                           "' is not a cursor of the inbox; pass the "
                                           "next_cursor of a previous inbox page");
         // In a cluster, only the conversations of the partitions this node holds (one it
         // held before leaves a stale copy behind).
         const auto shown = [&](const engine::InboxRow& r) {
           return !ctx.keeps_number || ctx.keeps_number(r.number);
         };
         json rows = json::array();
         std::string next;
         for (;;) {
           std::size_t i = 0;
           for (; i < page.rows.size() && rows.size() < want; ++i) {
             const auto& r = page.rows[i];
             if (!shown(r)) continue;
             json row = conversation_row_json(r);
             row["blocked"] = r.blocked;
             row["cursor"] = r.cursor;
             rows.push_back(std::move(row));
           }
           const bool left = std::any_of(page.rows.begin() + static_cast<std::ptrdiff_t>(i),
                                         page.rows.end(), shown);
           if (rows.size() == want) {
             if (left || !page.next_cursor.empty()) next = rows.back()["cursor"];
             break;
           }
           if (page.next_cursor.empty()) break;
           page = engine.inbox(view, page.next_cursor, want);
         }
         return json{{"conversations", std::move(rows)},
                     {"next_cursor", next.empty() ? json(nullptr) : json(next)}};
       }),
       false, "conversations, newest inbound first"});

  server.add_command(
      {"waiting", "waiting [--limit N] [--after CURSOR]", Role::manager,
       SyncHandler([&engine](const Args& args, const Caller&) -> CommandResult {
         const auto limit = args.integer("limit", 10, 1, 500);
         if (!limit) return error("bad_request", "--limit takes a number from 1 to 500");
         const auto after = args.value("after");
         if (after && after->empty())
           return error("bad_request", "--after needs the next_cursor of a previous waiting page");
         const std::int64_t now = now_unix();
         const auto page =
             engine.waiting(after.value_or(""), static_cast<std::size_t>(*limit), now);
         if (page.bad_cursor)
           return error("bad_request", "--after '" + std::string(after->substr(0, 64)) +
                                           "' is not a cursor of the waiting list; pass the "
                                           "next_cursor of a previous waiting page");
         json rows = json::array();
         for (const auto& r : page.rows) {
           json row = conversation_row_json(r);
           row["waiting_since"] = iso_time(r.waiting_since);
           row["waiting_seconds"] = now - r.waiting_since;
           rows.push_back(std::move(row));
         }
         return json{
             {"conversations", std::move(rows)},
             {"threshold_seconds", engine.waiting_threshold()},
             {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}};
       }),
       false, "conversations waiting longer than the threshold for an answer, oldest first"});

  server.add_command(
      {"thread", "thread NUMBER [--limit N] [--before CURSOR]", Role::manager,
       SyncHandler([&engine](const Args& args, const Caller&) -> CommandResult {
         const auto limit = args.integer("limit", 50, 1, 1000);
         if (!limit) return error("bad_request", "--limit takes a number from 1 to 1000");
         const auto before = args.integer("before", 0, 1, std::numeric_limits<long long>::max());
         const auto bad_before = [&] {
           return error("bad_request", "--before '" +
                                           std::string(args.value("before")->substr(0, 64)) +
                                           "' is not a cursor of this conversation; pass the "
                                           "next_cursor of a previous thread page");
         };
         if (!before) return bad_before();
         const auto page = engine.thread(args.positional[0], static_cast<std::uint64_t>(*before),
                                         static_cast<std::size_t>(*limit), now_unix());
         if (!page.found) return error("not_found", "no conversation with " + args.positional[0]);
         if (page.bad_cursor) return bad_before();
         const auto& h = page.header;
         json header{{"number", h.number},
                     {"name", h.name},
                     {"consent", engine::to_string(h.consent)},
                     {"consent_since", iso_time(h.consent_since)},
                     {"consent_source", engine::to_string(h.consent_source)},
                     {"location", h.location},
                     {"local_time", h.local_time},
                     {"time_zone", h.time_zones.empty() ? "" : h.time_zones.front()},
                     {"sending_number", h.sending_number},
                     {"blocked", h.blocked},
                     {"archived", h.archived},
                     {"flags",
                      h.revocation_flagged_at != 0 ? json::array({"revocation?"}) : json::array()}};
         if (h.revocation_flagged_at != 0)
           header["revocation_flagged_since"] = iso_time(h.revocation_flagged_at);
         if (h.response_time_seconds >= 0)
           header["response_time_seconds"] = h.response_time_seconds;
         json messages = json::array();
         for (const auto& m : page.messages) {
           json j = message_json(m);
           if (auto l = page.links.find(m.id); l != page.links.end())
             j["links"] = links_json(l->second);
           messages.push_back(std::move(j));
         }
         return json{{"header", std::move(header)},
                     {"messages", std::move(messages)},
                     {"next_cursor", page.next_cursor ? json(page.next_cursor) : json(nullptr)}};
       }),
       false, "one conversation: header and messages"});

  server.add_command(
      {"reply", std::string(kReplyUsage), Role::manager,
       on_pool(
           pool,
           [&engine, &gateway, &staff](const Args& args, const Caller& caller) -> CommandResult {
             engine::ReplyRequest req;
             req.number = args.positional[0];
             req.text = rest(args, 1);
             req.agent = caller.user;
             req.override_quiet_hours = args.has("override-quiet-hours");
             req.no_shorten = args.has("no-shorten");
             req.now = now_unix();
             return queue_message(staff, gateway, engine, std::move(req), args.positional[0]);
           }),
       true, "reply to a subscriber who texted"});

  auto flag_action = [&](const char* name, const char* summary, engine::FlagChange::Flag flag,
                         bool on) {
    server.add_command(
        {name, std::string(name) + " NUMBER", Role::manager,
         on_pool(pool,
                 [&engine, &staff, flag, on](const Args& args, const Caller&) -> CommandResult {
                   const auto& number = args.positional[0];
                   CommandResult why;
                   const auto e = staff_outcome<engine::ActionError>(
                       staff, engine::FlagChange{number, flag, on, now_unix()}, why);
                   if (!e) return why;
                   return action_result(*e, engine, number);
                 }),
         true, summary});
  };
  using Flag = engine::FlagChange::Flag;
  flag_action("read", "mark a conversation read", Flag::read, true);
  flag_action("unread", "mark a conversation unread", Flag::read, false);
  flag_action("archive", "archive a conversation", Flag::archived, true);
  flag_action("unarchive", "bring a conversation back to the inbox", Flag::archived, false);
  flag_action("block", "block a number: stored, never shown, never answered", Flag::blocked, true);
  flag_action("unblock", "unblock a number", Flag::blocked, false);

  server.add_command(
      {"revocation", "revocation NUMBER DECISION", Role::manager,
       on_pool(pool,
               [&engine, &staff](const Args& args, const Caller& caller) -> CommandResult {
                 const auto& number = args.positional[0];
                 if (args.positional[1] != "opt-out" && args.positional[1] != "keep")
                   return error("bad_request",
                                "say `revocation NUMBER opt-out` (the text revoked consent) or "
                                "`revocation NUMBER keep` (it did not)");
                 const bool opt_out = args.positional[1] == "opt-out";
                 // Keeping someone subscribed is a consent decision: admins only. Opting out is
                 // always safe.
                 if (!opt_out && caller.role < Role::admin)
                   return error("forbidden",
                                "keeping a flagged number subscribed needs the admin role");
                 CommandResult why;
                 const auto e = staff_outcome<engine::ActionError>(
                     staff, engine::RevocationDecision{number, opt_out, caller.user, now_unix()},
                     why);
                 if (!e) return why;
                 if (*e == engine::ActionError::invalid)
                   return error("bad_request", number + " is not flagged revocation?");
                 if (*e != engine::ActionError::ok) return action_result(*e, engine, number);
                 auto p = engine.profile(number);
                 if (!p) return error("not_found", "no profile for " + number);
                 return json{{"number", p->number},
                             {"decision", opt_out ? "opt-out" : "keep"},
                             {"consent", engine::to_string(p->consent)},
                             {"consent_source", engine::to_string(p->consent_source)}};
               }),
       true, "decide a conversation flagged revocation?: DECISION is opt-out or keep"});

  server.add_command(
      {"profile", "profile NUMBER [--name NAME]", Role::manager,
       on_pool(pool,
               [&engine, &staff](const Args& args, const Caller& caller) -> CommandResult {
                 const auto& number = args.positional[0];
                 if (auto name = args.value("name")) {
                   if (caller.role < Role::admin)
                     return error("forbidden", "setting a profile name needs the admin role");
                   CommandResult why;
                   const auto e = staff_outcome<engine::ActionError>(
                       staff, engine::NameChange{number, std::string(*name), now_unix()}, why);
                   if (!e) return why;
                   if (*e != engine::ActionError::ok) return action_result(*e, engine, number);
                 }
                 auto p = engine.profile(number);
                 if (!p) return error("not_found", "no profile for " + number);
                 return json{{"number", p->number},
                             {"name", p->name},
                             {"consent", engine::to_string(p->consent)},
                             {"consent_source", engine::to_string(p->consent_source)},
                             {"consent_since", iso_time(p->consent_since)},
                             {"blocked", p->blocked},
                             {"archived", p->archived},
                             {"unread", p->unread},
                             {"location", p->location},
                             {"region", p->region},
                             {"sending_number", p->sending_number},
                             {"last_inbound", iso_time(p->last_inbound)},
                             {"last_outbound", iso_time(p->last_outbound)},
                             {"tags", p->tags}};
               }),
       true, "show a profile; --name sets its name (admin)"});

  server.add_command(
      {"consent", "consent NUMBER [STATE] [--source SOURCE]", Role::admin,
       on_pool(pool,
               [&engine, &staff](const Args& args, const Caller& caller) -> CommandResult {
                 const auto& number = args.positional[0];
                 if (args.positional.size() > 1) {
                   const auto& state = args.positional[1];
                   engine::Consent c;
                   if (state == "subscribed")
                     c = engine::Consent::subscribed;
                   else if (state == "unsubscribed")
                     c = engine::Consent::unsubscribed;
                   else
                     return error("bad_request", "STATE is subscribed or unsubscribed");
                   const auto source = args.value("source").value_or("import");
                   engine::ConsentSource src;
                   if (source == "import")
                     src = engine::ConsentSource::import;
                   else if (source == "admin")
                     src = engine::ConsentSource::admin;
                   else if (source == "text")  // an opt-out the customer wrote in free text
                     src = engine::ConsentSource::text;
                   else
                     return error("bad_request", "SOURCE is import, admin or text");
                   if (src == engine::ConsentSource::text && c != engine::Consent::unsubscribed)
                     return error("bad_request",
                                  "--source text records an opt-out the customer wrote: only "
                                  "with unsubscribed");
                   CommandResult why;
                   const auto e = staff_outcome<engine::ActionError>(
                       staff, engine::ConsentDecision{number, c, src, caller.user, now_unix()},
                       why);
                   if (!e) return why;
                   if (*e == engine::ActionError::consent_locked)
                     return error("consent_locked", consent_locked_message(engine, number));
                   if (*e != engine::ActionError::ok) return action_result(*e, engine, number);
                 }
                 auto p = engine.profile(number);
                 if (!p) return error("not_found", "no profile for " + number);
                 return json{{"number", p->number},
                             {"consent", engine::to_string(p->consent)},
                             {"consent_source", engine::to_string(p->consent_source)},
                             {"consent_since", iso_time(p->consent_since)}};
               }),
       true, "show or set consent (the consent log records source and who)"});

  server.add_command({"consent-log", kConsentLogUsage, Role::admin,
                      SyncHandler([&engine](const Args& args, const Caller&) -> CommandResult {
                        return consent_log_command(engine, args);
                      }),
                      false,
                      "consent changes and refused attempts, oldest first (--csv for an export)"});
  register_export_command(server, engine);

  server.add_command(
      {"send", std::string(kSendUsage), Role::admin,
       on_pool(
           pool,
           [&engine, &gateway, &staff](const Args& args, const Caller& caller) -> CommandResult {
             engine::SendRequest req;
             const auto kind = args.value("kind").value_or("");
             if (kind == "campaign")
               req.kind = engine::MessageKind::campaign;
             else if (kind == "flow")
               req.kind = engine::MessageKind::flow;
             else
               return error("bad_request", "--kind is campaign or flow");
             req.number = args.positional[0];
             req.text = rest(args, 1);
             req.source = caller.user;
             req.no_shorten = args.has("no-shorten");
             req.now = now_unix();
             return queue_message(staff, gateway, engine, std::move(req), args.positional[0]);
           }),
       true, "a campaign or flow message to a subscriber"});

  server.add_command(
      {"settings", std::string(kSettingsUsage), Role::admin,
       on_pool(pool,
               [&engine](const Args& args, const Caller& caller) -> CommandResult {
                 auto current = engine.settings();
                 if (args.positional.empty()) return json{{"settings", settings_json(current)}};
                 const auto& key = args.positional[0];
                 // One custom keyword: shown, added, changed or removed (settings_texts.hpp).
                 if (auto r = custom_keyword_setting(
                         engine, key,
                         args.positional.size() > 1 ? std::optional(rest(args, 1)) : std::nullopt))
                   return *r;
                 if (args.positional.size() == 1) {
                   const json all = settings_json(current);
                   const json* value = find_setting(all, key);
                   if (value == nullptr) return error("not_found", "no setting " + key);
                   json result{{"key", key}, {"value", *value}};
                   if (auto p = text_preview(current, engine.organization(), key))
                     result["preview"] = *p;
                   return result;
                 }
                 if (auto refusal = email_setting_refusal(key, caller)) return *refusal;
                 if (auto problem = set_setting(current, key, rest(args, 1)); !problem.empty())
                   return error("bad_request", key + ": " + problem);
                 if (auto problem = email_password_problem(key, current.notifications.email);
                     !problem.empty())
                   return error("bad_request", problem);
                 if (auto problems = engine.set_settings(current); !problems.empty()) {
                   std::string message;
                   for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
                   return error("bad_request", message);
                 }
                 const auto stored = engine.settings();
                 const json all = settings_json(stored);
                 json result{{"key", key}, {"value", *find_setting(all, key)}};
                 // A text: what a customer gets, its encoding and segments.
                 if (auto p = text_preview(stored, engine.organization(), key))
                   result["preview"] = *p;
                 // Stored, but short of what the floor or CTIA expect: say so.
                 if (auto notes = engine::settings_notes(stored, engine.organization());
                     !notes.empty())
                   result["notes"] = notes;
                 return result;
               }),
       true, "show all settings, one, or set one"});

  server.add_command({"stats", "stats", Role::manager,
                      SyncHandler([&engine](const Args&, const Caller&) -> CommandResult {
                        const auto s = engine.stats(now_unix());
                        // null until a conversation has been answered
                        const json average = s.average_response_seconds < 0
                                                 ? json(nullptr)
                                                 : json(s.average_response_seconds);
                        return json{{"credits_today", s.credits_today},
                                    {"credits_month", s.credits_month},
                                    {"conversations_answered", s.conversations_answered},
                                    {"average_response_seconds", average},
                                    {"waiting_over_threshold", s.waiting_over_threshold},
                                    {"outbox_due", s.outbox_due},
                                    {"outbox_in_flight", s.outbox_in_flight}};
                      }),
                      false, "credits, response times, waiting conversations"});

  server.add_command({"smsc", "smsc ACTION [NAME]", Role::admin,
                      SyncHandler([&gateway](const Args& args, const Caller&) -> CommandResult {
                        const auto& action = args.positional[0];
                        if (action == "list") return json{{"smscs", gateway.smsc_json()}};
                        if (args.positional.size() < 2)
                          return error("bad_request", "smsc " + action + " needs an SMSC name");
                        const auto& name = args.positional[1];
                        bool found;
                        if (action == "suspend")
                          found = gateway.suspend(name);
                        else if (action == "resume")
                          found = gateway.resume(name);
                        else if (action == "reconnect")
                          found = gateway.reconnect(name);
                        else
                          return error("bad_request",
                                       "ACTION is list, suspend, resume or reconnect");
                        if (!found) return error("not_found", "no SMSC named " + name);
                        return json{{"smsc", name}, {"action", action}};
                      }),
                      true, "list SMSC binds, or suspend / resume / reconnect one"});

  server.add_command({"metrics", "metrics", Role::manager,
                      SyncHandler([&ctx](const Args&, const Caller&) -> CommandResult {
                        return json{{"metrics", ctx.metrics_text ? ctx.metrics_text() : ""}};
                      }),
                      false, "Prometheus text of every metric"});

  server.add_command(
      {"reload", "reload", Role::admin,
       on_pool(pool,
               [&ctx](const Args&, const Caller&) -> CommandResult {
                 if (!ctx.reload) return error("internal", "reload is not available");
                 const ReloadResult result = ctx.reload();
                 const auto& problems = result.problems;
                 if (!problems.empty())
                   return error("bad_config",
                                problems.front() +
                                    (problems.size() > 1
                                         ? " (and " + std::to_string(problems.size() - 1) + " more)"
                                         : ""));
                 json answer{{"reloaded", true}};
                 // What the file changed that the daemon keeps: the store's settings win over
                 // first values, and restart keys wait for a restart.
                 for (auto it = result.report.begin(); it != result.report.end(); ++it)
                   answer[it.key()] = it.value();
                 return answer;
               }),
       true, "reload the config file (as SIGHUP does)"});

  server.add_command(
      {"watch", "watch [--events LIST]", Role::manager,
       StreamHandler([&ctx](const Args& args, const Caller&,
                            std::shared_ptr<Stream> stream) -> std::optional<AdminError> {
         if (auto filter = args.value("events")) {
           for (const auto& e : split_list(*filter)) {
             if (e != "inbound" && e != "outbound" && e != "consent" && e != "receipt" &&
                 e != "profile" && e != "settings" && e != "notification")
               return error("bad_request", "unknown event type " + e);
           }
           // Filtered streams get their own subscription that drops other types.
           struct Filtered : Stream {
             std::shared_ptr<Stream> inner;
             std::vector<std::string> types;
             bool push(const json& event) override {
               const auto type = event.value("event", "");
               if (std::find(types.begin(), types.end(), type) == types.end())
                 return !inner->closed();
               return inner->push(event);
             }
             bool closed() const override { return inner->closed(); }
           };
           auto f = std::make_shared<Filtered>();
           f->inner = stream;
           f->types = split_list(*filter);
           ctx.events.subscribe(f);
           return std::nullopt;
         }
         ctx.events.subscribe(stream);
         return std::nullopt;
       }),
       false, "stream events as JSON lines until you leave"});
  register_bulk_commands(server, ctx, pool);
}

}  // namespace twoway::daemon
