// The admin socket's view of the consent audit trail: the `consent-log` command (dates, paging,
// rows as JSON and CSV) and the message an admin sees when the consent lock refuses a change.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/admin_protocol.hpp"
#include "daemon/admin_server.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

inline constexpr const char* kConsentLogUsage =
    "consent-log [NUMBER] [--since DATE] [--until DATE] [--limit N] [--after CURSOR] [--csv]";

/// An admin-given time in UTC: "2026-06-15" (midnight starting that day, or with `end_of_day`
/// midnight ending it, so `--until 2026-06-30` takes in all of June 30), or ISO 8601
/// "2026-06-15T17:00[:00][Z]". nullopt when it is neither.
[[nodiscard]] std::optional<std::int64_t> parse_admin_time(std::string_view text, bool end_of_day);

/// One consent log entry as the admin socket shows it.
[[nodiscard]] nlohmann::json consent_log_row(const engine::ConsentLogEntry& entry);

/// Rows (consent_log_row objects) as CSV (RFC 4180: CRLF line ends, fields with a comma, quote,
/// CR or LF quoted and their quotes doubled), with the header line first when `header`.
/// Free-text cells starting with = + - @ get a leading ' so a spreadsheet shows them instead
/// of evaluating them as formulas; the JSON rows keep the exact text.
[[nodiscard]] std::string consent_log_csv(const nlohmann::json& rows, bool header);

/// `consent-log`: a number's history or a time range of the whole log, oldest first, one page
/// per call ({"entries":[...],"next_cursor":...}, plus "csv" with --csv). Bad dates, limits and
/// cursors are bad_request errors.
[[nodiscard]] CommandResult consent_log_command(const engine::Engine& engine, const Args& args);

/// What an admin is told when the consent lock refused to subscribe `number`: who opted out,
/// by which word and when, and that only their own opt-in text can undo it.
[[nodiscard]] std::string consent_locked_message(const engine::Engine& engine,
                                                 std::string_view number);

}  // namespace twoway::daemon
