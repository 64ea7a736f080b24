// The admin socket's `export` command: the message log in the order it was written, a page per
// call, with what a checker needs to account for every message (who, what, when, state, the
// SMSC's ids) -- the soak and fault scripts compare it against the simulator's own records.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/admin_protocol.hpp"
#include "daemon/admin_server.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

inline constexpr const char* kExportUsage = "export --since DATE [--limit N] [--after CURSOR]";

/// One message as `export` shows it. Inbound: from (the customer), to (our number), text,
/// received, kind, keyword, smsc (the bind it came in on). Outbound: to, from, kind, state,
/// attempts (while queued), segments, per-segment states and SMSC message ids.
[[nodiscard]] nlohmann::json export_row(const engine::ExportRow& row);

/// `export`: messages created at or after --since, in id order, one page per call
/// ({"messages":[...],"next_cursor":"ID" or null}). Bad dates, limits and cursors are
/// bad_request errors.
[[nodiscard]] CommandResult export_command(const engine::Engine& engine, const Args& args);

/// Registers `export` (least role admin; a read transaction per page) on `server`.
void register_export_command(AdminServer& server, const engine::Engine& engine);

}  // namespace twoway::daemon
