// The `export` command (see export_command.hpp).
#include "daemon/export_command.hpp"

#include <charconv>
#include <limits>

#include "daemon/admin_commands.hpp"
#include "daemon/consent_log.hpp"

namespace twoway::daemon {
namespace {

using nlohmann::json;

AdminError bad_request(std::string message) {
  return AdminError{"bad_request", std::move(message)};
}

json string_list(const std::vector<std::string>& items) {
  json out = json::array();
  for (const auto& s : items) out.push_back(s);
  return out;
}

}  // namespace

json export_row(const engine::ExportRow& row) {
  const engine::Message& m = row.message;
  const bool inbound = m.direction == engine::Direction::inbound;
  json j{{"id", m.id},
         {"direction", inbound ? "in" : "out"},
         {"kind", engine::to_string(m.kind)},
         {"from", inbound ? m.number : m.sending_number},
         {"to", inbound ? m.sending_number : m.number},
         {"text", m.text},
         {"time", iso_time(m.created)},
         {"time_unix", m.created},
         {"state", engine::to_string(m.state)},
         {"smsc", m.smsc},
         {"smsc_ids", string_list(m.smsc_ids)}};
  if (inbound) {
    if (!m.keyword.empty()) j["keyword"] = m.keyword;
    if (m.media_omitted) j["media_omitted"] = true;
    if (m.incomplete) j["incomplete"] = true;
    return j;
  }
  json states = json::array();
  for (auto s : m.segment_states) states.push_back(engine::to_string(engine::MessageState(s)));
  j["segments"] = m.segments;
  j["segment_states"] = std::move(states);
  j["state_at"] = iso_time(m.state_at);
  j["in_outbox"] = row.in_outbox;
  j["attempts"] = row.in_outbox ? json(row.attempts) : json(nullptr);
  if (!m.error.empty()) j["error"] = m.error;
  return j;
}

CommandResult export_command(const engine::Engine& engine, const Args& args) {
  const auto since_text = args.value("since");
  if (!since_text) return bad_request("--since DATE is required (YYYY-MM-DD or ISO 8601 UTC)");
  const auto since = parse_admin_time(*since_text, false);
  if (!since)
    return bad_request("--since: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), got '" +
                       std::string(*since_text) + "'");
  const auto limit = args.integer("limit", static_cast<long long>(engine::kDefaultExportPage), 1,
                                  static_cast<long long>(engine::kMaxExportPage));
  if (!limit)
    return bad_request("--limit takes a number from 1 to " +
                       std::to_string(engine::kMaxExportPage));
  std::uint64_t after = 0;
  if (auto text = args.value("after")) {
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), after);
    if (ec != std::errc() || end != text->data() + text->size())
      return bad_request("--after: not a cursor of the export (pass next_cursor of a page)");
  }
  const auto page = engine.export_messages(*since, after, static_cast<std::size_t>(*limit));
  json rows = json::array();
  for (const auto& r : page.rows) rows.push_back(export_row(r));
  return json{{"messages", std::move(rows)},
              {"next_cursor",
               page.next_after == 0 ? json(nullptr) : json(std::to_string(page.next_after))}};
}

void register_export_command(AdminServer& server, const engine::Engine& engine) {
  server.add_command({"export", kExportUsage, Role::admin,
                      SyncHandler([&engine](const Args& args, const Caller&) -> CommandResult {
                        return export_command(engine, args);
                      }),
                      false, "the message log in written order, a page at a time (for checkers)"});
}

}  // namespace twoway::daemon
