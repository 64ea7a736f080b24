// The `consent-log` command and the consent lock's message (see consent_log.hpp).
#include "daemon/consent_log.hpp"

#include <ctime>

#include "daemon/admin_commands.hpp"

namespace twoway::daemon {
namespace {

using nlohmann::json;

constexpr long long kDefaultPage = 100;
constexpr long long kMaxPage = 1000;  // kMaxPage

AdminError bad_request(std::string message) {
  return AdminError{"bad_request", std::move(message)};
}

// Reads `n` digits at s[pos]; false when they are not all digits.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

bool by_own_text(engine::ConsentSource s) {
  return s == engine::ConsentSource::keyword || s == engine::ConsentSource::text;
}

const std::string& string_of(const json& row, const char* key) {
  static const std::string empty;
  auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get_ref<const std::string&>() : empty;
}

// One CSV field: quoted when it holds a separator, quote or line break (quotes doubled).
void csv_field(std::string& out, std::string_view value, bool free_text) {
  std::string guarded;
  if (free_text && !value.empty() &&
      (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@')) {
    guarded = "'" + std::string(value);
    value = guarded;
  }
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::optional<std::int64_t> parse_admin_time(std::string_view s, bool end_of_day) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day))
    return std::nullopt;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
    return std::nullopt;
  bool date_only = s.size() == 10;
  if (!date_only) {
    std::size_t pos = 10;
    if (s[pos] != 'T' || !digits(s, 11, 2, hour) || s.size() < 16 || s[13] != ':' ||
        !digits(s, 14, 2, minute))
      return std::nullopt;
    pos = 16;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, 17, 2, second)) return std::nullopt;
      pos = 19;
    }
    if (pos < s.size() && s[pos] == 'Z') ++pos;
    if (pos != s.size() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::int64_t t = timegm(&tm);
  if (date_only && end_of_day) t += 86400;
  return t;
}

json consent_log_row(const engine::ConsentLogEntry& e) {
  return json{{"id", e.id},
              {"time", iso_time(e.time)},
              {"number", e.number},
              {"from", engine::to_string(e.from)},
              {"to", engine::to_string(e.to)},
              {"source", engine::to_string(e.source)},
              {"outcome", engine::to_string(e.outcome)},
              {"actor", e.actor},
              {"keyword", e.keyword},
              {"text", e.text},
              {"sending_number", e.sending_number},
              {"message_id", e.message_id == 0 ? json(nullptr) : json(e.message_id)}};
}

std::string consent_log_csv(const json& rows, bool header) {
  std::string out;
  if (header)
    out += "time,number,from,to,source,outcome,actor,keyword,text,sending_number,message_id\r\n";
  if (!rows.is_array()) return out;
  for (const json& row : rows) {
    if (!row.is_object()) continue;
    csv_field(out, string_of(row, "time"), false);
    for (const char* key : {"number", "from", "to", "source", "outcome"}) {
      out += ',';
      csv_field(out, string_of(row, key), false);
    }
    for (const char* key : {"actor", "keyword", "text"}) {
      out += ',';
      csv_field(out, string_of(row, key), true);
    }
    out += ',';
    csv_field(out, string_of(row, "sending_number"), false);
    out += ',';
    if (auto it = row.find("message_id"); it != row.end() && it->is_number_unsigned())
      out += std::to_string(it->get<std::uint64_t>());
    out += "\r\n";
  }
  return out;
}

CommandResult consent_log_command(const engine::Engine& engine, const Args& args) {
  std::string number;
  if (!args.positional.empty()) {
    number = engine.normalize(args.positional[0]);
    if (number.empty()) return bad_request("not a phone number: " + args.positional[0]);
  }
  const auto since_text = args.value("since");
  if (number.empty() && !since_text)
    return bad_request("give a NUMBER, or --since DATE for every number");
  std::int64_t since = 0, until = 0;
  if (since_text) {
    auto t = parse_admin_time(*since_text, false);
    if (!t)
      return bad_request("--since: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), got '" +
                         std::string(*since_text) + "'");
    since = *t;
  }
  if (auto until_text = args.value("until")) {
    auto t = parse_admin_time(*until_text, true);
    if (!t)
      return bad_request("--until: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), got '" +
                         std::string(*until_text) + "'");
    until = *t;
    if (until <= since) return bad_request("--until must come after --since");
  }
  const auto limit = args.integer("limit", kDefaultPage, 1, kMaxPage);
  if (!limit) return bad_request("--limit takes a number from 1 to " + std::to_string(kMaxPage));
  const auto page = engine.consent_log(number, since, until, args.value("after").value_or(""),
                                       static_cast<std::size_t>(*limit));
  if (page.bad_cursor)
    return bad_request("--after: not a cursor of the consent log (pass next_cursor of a page)");
  json rows = json::array();
  for (const auto& e : page.rows) rows.push_back(consent_log_row(e));
  json reply{{"entries", rows},
             {"next_cursor", page.next_cursor.empty() ? json(nullptr) : json(page.next_cursor)}};
  if (args.has("csv")) reply["csv"] = consent_log_csv(rows, true);
  return reply;
}

std::string consent_locked_message(const engine::Engine& engine, std::string_view number) {
  const std::string n = engine.normalize(number);
  // The opt-out that set the lock: the newest applied one by the customer's own text.
  std::optional<engine::ConsentLogEntry> cause;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = engine.consent_log(n, 0, 0, cursor, kMaxPage);
    for (auto& e : page.rows)
      if (e.outcome == engine::ConsentOutcome::applied && e.to == engine::Consent::unsubscribed &&
          by_own_text(e.source))
        cause = std::move(e);
    if (page.next_cursor.empty()) break;
    cursor = page.next_cursor;
  }
  std::string how;
  std::int64_t when = 0;
  if (cause) {
    when = cause->time;
    if (cause->source == engine::ConsentSource::text)
      how = cause->actor.empty() ? "free text" : "free text, confirmed by " + cause->actor;
    else
      how = cause->keyword.empty() ? "keyword" : cause->keyword;
  } else if (auto p = engine.profile(n)) {  // opted out before the trail was kept
    when = p->consent_since;
    how = engine::to_string(p->consent_source);
  }
  const json at = iso_time(when);
  if (at.is_string()) how += ", " + at.get<std::string>();
  // START is in the keyword floor: it opts in whatever the configured lists say.
  return n + " opted out by their own text (" + how + "); only their own " +
         std::string(engine::kFloorOptIn[0]) + " can resubscribe them";
}

}  // namespace twoway::daemon
