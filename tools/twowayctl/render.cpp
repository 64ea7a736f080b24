// twowayctl's human output: tables for inbox, status, SMSCs and the consent log, a chat
// transcript for a thread, one line per watch event. Every string from the daemon is sanitised for
// the terminal.
#include "tools/twowayctl/render.hpp"

#include <ctime>
#include <optional>
#include <vector>

namespace twoway::ctl {
namespace {

using json = nlohmann::json;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Decodes one code point at s[i], advancing i; nullopt for invalid UTF-8 (i moves one byte).
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return std::nullopt;
  }
  if (i + len > s.size()) {
    ++i;
    return std::nullopt;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return std::nullopt;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return std::nullopt;
  }
  i += len;
  return cp;
}

int code_point_width(char32_t cp) {
  if (cp >= 0x300 && cp <= 0x36F) return 0;                      // combining marks
  if (cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F)) return 0;  // ZWJ, variation selectors
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

// Cuts text to at most `width` columns, ending in "…" when cut.
std::string truncate(const std::string& text, std::size_t width) {
  if (display_width(text) <= width) return text;
  std::string out;
  std::size_t used = 0, i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    auto cp = next_code_point(text, i);
    const int w = cp ? code_point_width(*cp) : 1;
    if (used + w + 1 > width) break;
    out.append(text, start, i - start);
    used += w;
  }
  return out + "…";
}

std::string pad(const std::string& text, std::size_t width) {
  std::string out = text;
  const std::size_t w = display_width(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

// A left-aligned table; the last column is not padded. `limits` caps column widths (0 = none).
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows,
                  const std::vector<std::size_t>& limits = {}) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back(header);
  for (const auto& r : rows) cells.push_back(r);
  std::vector<std::size_t> widths(header.size(), 0);
  for (auto& row : cells) {
    row.resize(header.size());
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c < limits.size() && limits[c] > 0) row[c] = truncate(row[c], limits[c]);
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += c + 1 == row.size() ? row[c] : pad(row[c], widths[c]) + "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

// A field as display text: strings sanitised, numbers and booleans printed, absent -> "".
std::string text_of(const json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (it->is_string()) return sanitize(it->get<std::string>());
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_number()) {
    std::string s = it->dump();
    return s;
  }
  return sanitize(it->dump());
}

long long int_of(const json& obj, std::string_view key, long long fallback = 0) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return fallback;
  return it->get<long long>();
}

bool bool_of(const json& obj, std::string_view key) {
  if (!obj.is_object()) return false;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

const json& array_of(const json& obj, std::string_view key) {
  static const json empty = json::array();
  if (!obj.is_object()) return empty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? *it : empty;
}

std::string duration_text(long long seconds) {
  if (seconds < 0) return "";
  const long long d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60,
                  s = seconds % 60;
  std::string out;
  if (d) out += std::to_string(d) + "d ";
  if (d || h) out += std::to_string(h) + "h ";
  if (d || h || m) out += std::to_string(m) + "m ";
  out += std::to_string(s) + "s";
  return out;
}

std::string cursor_hint(const json& reply, std::string_view command) {
  const std::string cursor = text_of(reply, "next_cursor");
  if (cursor.empty()) return {};
  return "(more: twowayctl " + std::string(command) + " ... --before " + cursor + ")\n";
}

}  // namespace

std::string sanitize(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    auto cp = next_code_point(text, i);
    if (!cp) {
      out += kReplacement;
    } else if (*cp == '\n') {
      out += keep_newlines ? "\n" : "⏎ ";
    } else if (*cp == '\t') {
      out += ' ';
    } else if (*cp < 0x20 || *cp == 0x7F || (*cp >= 0x80 && *cp < 0xA0) || *cp == 0x2028 ||
               *cp == 0x2029 || (*cp >= 0x202A && *cp <= 0x202E) ||
               (*cp >= 0x2066 && *cp <= 0x2069)) {
      out += kReplacement;  // terminal controls, C1 controls, bidi overrides
    } else {
      out.append(text, start, i - start);
    }
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0, i = 0;
  while (i < text.size()) {
    auto cp = next_code_point(text, i);
    width += cp ? static_cast<std::size_t>(code_point_width(*cp)) : 1;
  }
  return width;
}

std::string format_time(std::string_view iso, const RenderOptions& options) {
  std::tm tm{};
  int sec = 0;
  // "YYYY-MM-DDTHH:MM:SS" with an optional fraction and "Z".
  if (iso.size() < 19 ||
      std::sscanf(std::string(iso.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
                  &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &sec) != 6) {
    return sanitize(iso);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = sec;
  std::tm shown = tm;
  if (!options.utc) {
    const std::time_t t = timegm(&tm);
    localtime_r(&t, &shown);
  }
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &shown);
  return buf;
}

std::string render_inbox(const json& reply, const RenderOptions& options) {
  const json& list = array_of(reply, "conversations");
  if (list.empty()) return "No conversations.\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& c : list) {
    const long long unread = int_of(c, "unread");
    std::string flags;
    if (c.contains("flags") && c["flags"].is_array())
      for (const json& f : c["flags"])
        if (f.is_string()) flags += f.get<std::string>() + " ";
    if (bool_of(c, "blocked")) flags += "blocked ";
    if (bool_of(c, "archived")) flags += "archived ";
    if (!flags.empty()) flags.pop_back();
    rows.push_back({unread > 0 ? "●" : " ", text_of(c, "number"), text_of(c, "name"),
                    unread > 0 ? std::to_string(unread) : "",
                    format_time(text_of(c, "last_inbound"), options), text_of(c, "consent"), flags,
                    text_of(c, "preview")});
  }
  return table({"", "NUMBER", "NAME", "UNREAD", "LAST INBOUND", "CONSENT", "FLAGS", "PREVIEW"},
               rows, {0, 20, 24, 0, 0, 0, 0, 48}) +
         cursor_hint(reply, "inbox");
}

std::string render_waiting(const json& reply, const RenderOptions& options) {
  const json& list = array_of(reply, "conversations");
  const std::string threshold = duration_text(int_of(reply, "threshold_seconds", -1));
  if (list.empty())
    return "No conversation waits longer than " +
           (threshold.empty() ? "the threshold" : threshold) + ".\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& c : list) {
    std::string flags;
    if (c.contains("flags") && c["flags"].is_array())
      for (const json& f : c["flags"])
        if (f.is_string()) flags += f.get<std::string>() + " ";
    if (bool_of(c, "archived")) flags += "archived ";
    if (!flags.empty()) flags.pop_back();
    rows.push_back({text_of(c, "number"), text_of(c, "name"),
                    duration_text(int_of(c, "waiting_seconds", -1)),
                    format_time(text_of(c, "waiting_since"), options), text_of(c, "consent"), flags,
                    text_of(c, "preview")});
  }
  std::string out = table({"NUMBER", "NAME", "WAITING", "SINCE", "CONSENT", "FLAGS", "PREVIEW"},
                          rows, {20, 24, 0, 0, 0, 0, 48});
  if (auto cursor = text_of(reply, "next_cursor"); !cursor.empty())
    out += "(more: twowayctl waiting --after " + cursor + ")\n";
  return out;
}

std::string render_thread(const json& reply, const RenderOptions& options) {
  static const json no_header = json::object();
  const json& h = reply.is_object() && reply.contains("header") && reply["header"].is_object()
                      ? reply["header"]
                      : no_header;
  std::string out;
  const std::string name = text_of(h, "name");
  const std::string number = text_of(h, "number");
  out += name.empty() ? number : name + " <" + number + ">";
  if (bool_of(h, "blocked")) out += "  [blocked]";
  out += "\n";
  if (auto since = text_of(h, "revocation_flagged_since"); !since.empty())
    out += "flagged:    revocation? since " + format_time(since, options) +
           " (the last text may revoke consent: `revocation " + number + " opt-out|keep`)\n";
  std::string consent = text_of(h, "consent");
  if (!consent.empty()) {
    const std::string since = text_of(h, "consent_since");
    const std::string source = text_of(h, "consent_source");
    if (!since.empty()) consent += " since " + format_time(since, options);
    if (!source.empty()) consent += " (" + source + ")";
    out += "consent:    " + consent + "\n";
  }
  if (auto loc = text_of(h, "location"); !loc.empty()) out += "location:   " + loc + "\n";
  if (auto local = text_of(h, "local_time"); !local.empty()) {
    const std::string zone = text_of(h, "time_zone");
    out += "local time: " + local + (zone.empty() ? "" : " (" + zone + ")") + "\n";
  }
  if (auto via = text_of(h, "sending_number"); !via.empty()) out += "texts:      " + via + "\n";
  out += std::string(40, '-') + "\n";
  const json& messages = array_of(reply, "messages");
  if (messages.empty()) out += "(no messages)\n";
  for (const json& m : messages) {
    const bool inbound = text_of(m, "direction") == "in";
    const std::string kind = text_of(m, "kind");
    std::string who;
    if (inbound) {
      who = name.empty() ? number : name;
      if (kind == "keyword") who += " [keyword]";
    } else if (kind == "agent_reply" || kind == "agent" || kind.empty()) {
      who = text_of(m, "agent");
      if (who.empty()) who = "agent";
    } else {
      who = kind == "auto_reply" ? "auto-reply" : kind == "keyword_reply" ? "keyword reply" : kind;
    }
    std::string line =
        format_time(text_of(m, "time"), options) + (inbound ? "  < " : "  > ") + who + ": ";
    const std::string indent(display_width(line), ' ');
    const std::string body = m.contains("text") && m["text"].is_string()
                                 ? sanitize(m["text"].get<std::string>(), true)
                                 : std::string();
    std::size_t start = 0;
    bool first = true;
    while (true) {
      const std::size_t nl = body.find('\n', start);
      line += (first ? "" : indent) + body.substr(start, nl - start) + "\n";
      first = false;
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    if (bool_of(m, "media_omitted")) line.insert(line.size() - 1, " [media omitted]");
    if (!inbound) {
      std::vector<std::string> notes;
      if (auto status = text_of(m, "status"); !status.empty()) notes.push_back(status);
      if (const long long seg = int_of(m, "segments"); seg > 1) {
        notes.push_back(std::to_string(seg) + " segments");
      }
      if (auto enc = text_of(m, "encoding"); !enc.empty() && enc != "gsm7") notes.push_back(enc);
      if (!notes.empty()) {
        std::string joined;
        for (const auto& n : notes) joined += (joined.empty() ? "" : ", ") + n;
        line.insert(line.size() - 1, "  (" + joined + ")");
      }
      // Short links, each with where it leads and how often it was followed.
      if (m.contains("links") && m["links"].is_array()) {
        for (const json& l : m["links"]) {
          const long long clicks = int_of(l, "clicks");
          line += indent + "link " + sanitize(text_of(l, "short")) + " -> " +
                  sanitize(text_of(l, "url")) + "  " + std::to_string(clicks) +
                  (clicks == 1 ? " click" : " clicks") + "\n";
        }
      }
    }
    out += line;
  }
  return out + cursor_hint(reply, "thread " + number);
}

std::string render_consent_log(const json& reply, const RenderOptions& options) {
  const json& list = array_of(reply, "entries");
  if (list.empty()) return "No consent changes.\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& e : list) {
    // Who or what asked: the customer's keyword, or the admin / import by name.
    std::string by = text_of(e, "keyword");
    const std::string actor = text_of(e, "actor");
    if (by.empty()) by = actor;
    std::string outcome = text_of(e, "outcome");
    if (outcome == "applied") outcome.clear();  // the usual case stays quiet
    rows.push_back({format_time(text_of(e, "time"), options), text_of(e, "number"),
                    text_of(e, "from") + " → " + text_of(e, "to"), text_of(e, "source"), by,
                    outcome, text_of(e, "text")});
  }
  std::string out = table({"TIME", "NUMBER", "CHANGE", "SOURCE", "BY", "OUTCOME", "TEXT"}, rows,
                          {0, 20, 0, 0, 24, 0, 48});
  if (const std::string cursor = text_of(reply, "next_cursor"); !cursor.empty())
    out += "(more: twowayctl consent-log ... --after " + cursor + "; --csv fetches every page)\n";
  return out;
}

std::string render_export(const json& reply, const RenderOptions& options) {
  const json& list = array_of(reply, "messages");
  if (list.empty()) return "No messages.\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& m : list) {
    const bool in = text_of(m, "direction") == "in";
    // Outbound: the state, its attempts while queued, and the SMSC's ids once it took it.
    std::string state = in ? "" : text_of(m, "state");
    if (!in && m.is_object() && m.contains("attempts") && m["attempts"].is_number())
      state += " (" + text_of(m, "attempts") + " attempts)";
    std::string ids;
    for (const json& id : array_of(m, "smsc_ids")) {
      if (!id.is_string() || id.get<std::string>().empty()) continue;
      if (!ids.empty()) ids += ",";
      ids += sanitize(id.get<std::string>());
    }
    rows.push_back({text_of(m, "id"), format_time(text_of(m, "time"), options), in ? "←" : "→",
                    text_of(m, in ? "from" : "to"), text_of(m, "kind"), state, ids,
                    text_of(m, "text")});
  }
  std::string out = table({"ID", "TIME", "", "NUMBER", "KIND", "STATE", "SMSC IDS", "TEXT"}, rows,
                          {0, 0, 0, 20, 0, 0, 24, 48});
  if (const std::string cursor = text_of(reply, "next_cursor"); !cursor.empty())
    out += "(more: twowayctl export --since ... --after " + cursor + ")\n";
  return out;
}

std::string render_smscs(const json& reply) {
  std::vector<std::vector<std::string>> rows;
  for (const json& s : array_of(reply, "smscs")) {
    const json& binds = array_of(s, "binds");
    if (binds.empty()) rows.push_back({text_of(s, "name"), "", text_of(s, "state"), "", ""});
    for (const json& b : binds) {
      rows.push_back({text_of(s, "name"), text_of(b, "id"), text_of(b, "state"),
                      text_of(b, "window_in_use"), text_of(b, "queue")});
    }
  }
  if (rows.empty()) return "No SMSCs.\n";
  return table({"SMSC", "BIND", "STATE", "WINDOW", "QUEUE"}, rows);
}

/// "email notifications: on, 12 sent, 1 failed, 0 waiting; last failure ...: REASON".
std::string render_notifications(const json& n) {
  const bool on = n.value("email_enabled", false);
  std::string out = std::string("email notifications: ") + (on ? "on" : "off");
  out += ", " + text_of(n, "sent") + " sent, " + text_of(n, "failed") + " failed, " +
         text_of(n, "pending_conversations") + " waiting";
  if (auto last = text_of(n, "last_sent"); !last.empty()) out += "; last sent " + last;
  if (auto error = text_of(n, "last_error"); !error.empty())
    out += "; last failure " + text_of(n, "last_failure") + ": " + error;
  if (auto next = text_of(n, "next_attempt"); !next.empty()) out += "; next attempt " + next;
  return sanitize(out) + "\n";
}

/// "cluster: node gw-a (connected), 3 nodes, holds 21 of 64 partitions".
std::string render_cluster_line(const json& c) {
  std::string out = "cluster: node " + text_of(c, "node") +
                    (c.value("connected", false) ? " (connected)" : " (NATS unreachable)");
  out += ", " + std::to_string(array_of(c, "nodes").size()) + " nodes, holds " +
         std::to_string(array_of(c, "held").size()) + " of " + text_of(c, "partitions") +
         " partitions";
  return sanitize(out) + "\n";
}

/// Every node of the cluster (`members` of `cluster` and `status`): its binds, the partitions
/// it holds and the entries they have not applied yet; then the nodes that did not answer.
std::string render_members(const json& c) {
  std::vector<std::vector<std::string>> rows;
  for (const json& m : array_of(c, "members")) {
    std::uint64_t unread = 0;
    bool known = true;
    for (const json& r : array_of(m, "lag")) {
      if (r.is_object() && r.contains("unread") && r["unread"].is_number_integer() &&
          r["unread"].get<std::int64_t>() >= 0) {
        unread += r["unread"].get<std::uint64_t>();
      } else {
        known = false;
      }
    }
    const std::string binds = m.contains("binds_up")
                                  ? text_of(m, "binds_up") + " of " + text_of(m, "binds_configured")
                                  : "?";
    rows.push_back({text_of(m, "node"), binds, std::to_string(array_of(m, "held").size()),
                    known ? std::to_string(unread) : "?"});
  }
  std::string out;
  if (!rows.empty()) out = table({"NODE", "BINDS UP", "PARTITIONS", "UNREAD"}, rows);
  std::string silent;
  for (const json& n : array_of(c, "unanswered")) {
    if (!n.is_string()) continue;
    silent += (silent.empty() ? "" : " ") + n.get<std::string>();
  }
  if (!silent.empty()) out += sanitize("did not answer: " + silent) + "\n";
  return out;
}

std::string render_cluster(const json& reply) {
  if (!reply.is_object() || !reply.contains("node")) return render_generic(reply);
  std::string out = render_cluster_line(reply);
  std::string nodes;
  for (const json& n : array_of(reply, "nodes")) {
    if (!n.is_string()) continue;
    if (!nodes.empty()) nodes += " ";
    nodes += n.get<std::string>();
  }
  out += sanitize("nodes: " + nodes) + "\n";
  out += "published " + text_of(reply, "published") + " (failed " +
         text_of(reply, "publish_failed") + ", waiting " + text_of(reply, "publishes_waiting") +
         "), applied " + text_of(reply, "applied") + " (refused " + text_of(reply, "refused") +
         ", unreadable " + text_of(reply, "unreadable") + ")\n";
  out += "leases: " + text_of(reply, "leases_acquired") + " taken, " +
         text_of(reply, "leases_released") + " handed over, " + text_of(reply, "leases_lost") +
         " lost\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& r : array_of(reply, "lag")) {
    rows.push_back({text_of(r, "partition"), text_of(r, "applied_seq"),
                    r.contains("unread") && r["unread"].is_null() ? "?" : text_of(r, "unread")});
  }
  if (const auto members = render_members(reply); !members.empty()) out += "\n" + members;
  if (!rows.empty()) out += "\n" + table({"PARTITION", "APPLIED SEQ", "UNREAD"}, rows);
  return out;
}

std::string render_status(const json& reply) {
  std::string out = "twowayd";
  if (auto v = text_of(reply, "version"); !v.empty()) out += " " + v;
  if (reply.is_object() && reply.contains("uptime_seconds")) {
    out += ", up " + duration_text(int_of(reply, "uptime_seconds", -1));
  }
  if (reply.is_object() && reply.contains("outbox_depth")) {
    out += ", outbox " + text_of(reply, "outbox_depth");
  }
  out += "\n";
  if (reply.is_object() && reply.contains("notifications") && reply["notifications"].is_object())
    out += render_notifications(reply["notifications"]);
  if (reply.is_object() && reply.contains("cluster") && reply["cluster"].is_object()) {
    out += render_cluster_line(reply["cluster"]);
    out += render_members(reply["cluster"]);
  }
  if (reply.is_object() && reply.contains("smscs")) out += "\n" + render_smscs(reply);
  return out;
}

std::string render_help(const json& reply) {
  if (reply.is_object() && reply.contains("command")) {
    const json& c = reply["command"];
    std::string out = "usage: " + text_of(c, "usage") + "\n";
    if (auto s = text_of(c, "summary"); !s.empty()) out += s + "\n";
    out += "role: " + text_of(c, "role") + "\n";
    return out;
  }
  std::vector<std::vector<std::string>> rows;
  for (const json& c : array_of(reply, "commands")) {
    rows.push_back({text_of(c, "usage"), text_of(c, "summary")});
  }
  std::string out;
  if (auto role = text_of(reply, "role"); !role.empty()) {
    out += "Commands for role " + role + ":\n";
  }
  return out + table({"USAGE", "DESCRIPTION"}, rows);
}

std::string render_generic(const json& reply) {
  if (!reply.is_object()) return sanitize(reply.dump()) + "\n";
  std::string out;
  for (auto it = reply.begin(); it != reply.end(); ++it) {
    if (it.key() == "ok") continue;
    const json& v = it.value();
    std::string shown;
    if (v.is_string()) {
      shown = sanitize(v.get<std::string>());
    } else if (v.is_object() || v.is_array()) {
      shown = "\n" + sanitize(v.dump(2), true);
    } else if (v.is_null()) {
      shown = "none yet";  // e.g. stats' average_response_seconds before any answer
    } else {
      shown = v.dump();
    }
    out += sanitize(it.key()) + ": " + shown + "\n";
  }
  return out.empty() ? "ok\n" : out;
}

std::string render_error(const json& reply) {
  const json& e = reply.is_object() && reply.contains("error") ? reply["error"] : reply;
  std::string out = "error: " + text_of(e, "message");
  if (auto code = text_of(e, "code"); !code.empty()) out += " (" + code + ")";
  return out + "\n";
}

std::string render_event(const json& event, const RenderOptions& options) {
  std::string out;
  if (auto t = text_of(event, "time"); !t.empty()) out += format_time(t, options) + "  ";
  const std::string kind = text_of(event, "event");
  out += kind.empty() ? "event" : kind;
  if (auto n = text_of(event, "number"); !n.empty()) out += " " + n;
  if (auto name = text_of(event, "name"); !name.empty()) out += " (" + name + ")";
  if (kind == "inbound" || kind == "outbound") {
    out += ": " + text_of(event, "text");
  }
  if (event.is_object()) {
    for (auto it = event.begin(); it != event.end(); ++it) {
      const std::string& k = it.key();
      if (k == "event" || k == "time" || k == "number" || k == "name" || k == "text") continue;
      out += " " + sanitize(k) + "=" + text_of(event, k);
    }
  }
  return out + "\n";
}

namespace {

std::string count_of(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->dump() : "0";
}

// "12 changed, 3 unchanged, 1 refused" from the counts an upload reports.
std::string bulk_totals(const json& j) {
  if (j.contains("changed"))
    return count_of(j, "changed") + " changed, " + count_of(j, "unchanged") + " unchanged, " +
           count_of(j, "refused") + " refused";
  return count_of(j, "queued") + " queued, " + count_of(j, "held") + " held, " +
         count_of(j, "refused") + " refused";
}

void bulk_reasons(std::string& out, const json& by, const char* title,
                  const RenderOptions& options) {
  if (!by.is_object() || by.empty()) return;
  out += title;
  out += ":\n";
  for (auto it = by.begin(); it != by.end(); ++it) {
    const json& r = it.value();
    std::string line = "  " + sanitize(it.key());
    while (line.size() < 22) line.push_back(' ');
    std::string count = count_of(r, "count");
    while (count.size() < 8) count.insert(count.begin(), ' ');
    line += count;
    if (r.contains("first_due") && r["first_due"].is_string()) {
      line += "  go " + format_time(r["first_due"].get<std::string>(), options);
      if (r.value("last_due", json()) != r["first_due"] && r.contains("last_due") &&
          r["last_due"].is_string())
        line += " to " + format_time(r["last_due"].get<std::string>(), options);
    }
    if (r.contains("numbers") && r["numbers"].is_array() && !r["numbers"].empty()) {
      line += "  e.g.";
      for (const auto& n : r["numbers"])
        if (n.is_string()) line += " " + sanitize(n.get<std::string>());
    }
    out += line + "\n";
  }
}

}  // namespace

std::string render_progress(const json& progress) {
  return "read " + count_of(progress, "read") + ": " + bulk_totals(progress);
}

std::string render_bulk(const json& reply, const RenderOptions& options) {
  std::string out = "read " + count_of(reply, "read");
  if (const auto s = reply.find("seconds"); s != reply.end() && s->is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " in %.1f s", s->get<double>());
    out += buf;
  }
  out += ": " + bulk_totals(reply);
  if (reply.contains("segments") && reply["segments"].is_number())
    out += " (" + reply["segments"].dump() + " segment" + (reply["segments"] == 1 ? "" : "s") +
           " each)";
  out += "\n";
  bulk_reasons(out, reply.value("held_by", json::object()), "held", options);
  bulk_reasons(out, reply.value("refused_by", json::object()), "refused", options);
  return out;
}

std::string render_reply(std::string_view command, const json& reply,
                         const RenderOptions& options) {
  if (command == "send-bulk" || command == "consent-import") return render_bulk(reply, options);
  if (command == "inbox") return render_inbox(reply, options);
  if (command == "waiting") return render_waiting(reply, options);
  if (command == "thread") return render_thread(reply, options);
  if (command == "consent-log") return render_consent_log(reply, options);
  if (command == "export") return render_export(reply, options);
  if (command == "status") return render_status(reply);
  if (command == "cluster") return render_cluster(reply);
  if (command == "smscs" || command == "smsc") return render_smscs(reply);
  if (command == "help") return render_help(reply);
  // Prometheus text is meant to be read (or piped) as it is.
  if (command == "metrics" && reply.contains("metrics") && reply["metrics"].is_string())
    return sanitize(reply["metrics"].get<std::string>(), true);
  return render_generic(reply);
}

}  // namespace twoway::ctl
