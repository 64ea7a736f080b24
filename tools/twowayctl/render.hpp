// twowayctl's human output: turns the admin socket's JSON replies (inbox, thread, status,
// smscs, consent-log, help, watch events) into tables and transcripts. Pure functions, no socket.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace twoway::ctl {

struct RenderOptions {
  bool utc = false;  ///< show times in UTC instead of the viewer's local time zone
};

/// Renders a successful reply to `command` (the first word sent). Unknown commands and
/// unknown shapes fall back to "key: value" lines. Missing fields are left blank, never fatal.
[[nodiscard]] std::string render_reply(std::string_view command, const nlohmann::json& reply,
                                       const RenderOptions& options = {});

/// Renders an {"ok":false,"error":{...}} reply as one line: "error: message (code)".
[[nodiscard]] std::string render_error(const nlohmann::json& reply);

/// Renders one `watch` event as one line.
[[nodiscard]] std::string render_event(const nlohmann::json& event,
                                       const RenderOptions& options = {});

[[nodiscard]] std::string render_inbox(const nlohmann::json& reply, const RenderOptions& options);
/// waiting: conversations waiting for an answer longer than the threshold, oldest first (how
/// long, since when) and the cursor of the next page.
[[nodiscard]] std::string render_waiting(const nlohmann::json& reply, const RenderOptions& options);
[[nodiscard]] std::string render_thread(const nlohmann::json& reply, const RenderOptions& options);
/// consent-log: one row per change (time, number, from → to, source, keyword or actor, outcome
/// when not applied, text) and the cursor of the next page.
[[nodiscard]] std::string render_consent_log(const nlohmann::json& reply,
                                             const RenderOptions& options);
/// export: one row per message (id, time, ← in / → out, number, kind, state and attempts,
/// SMSC ids, text) and the cursor of the next page.
[[nodiscard]] std::string render_export(const nlohmann::json& reply, const RenderOptions& options);
[[nodiscard]] std::string render_status(const nlohmann::json& reply);
[[nodiscard]] std::string render_smscs(const nlohmann::json& reply);
/// `cluster`: this node, the live nodes, counts, and each held partition's lag.
[[nodiscard]] std::string render_cluster(const nlohmann::json& reply);
[[nodiscard]] std::string render_help(const nlohmann::json& reply);
[[nodiscard]] std::string render_generic(const nlohmann::json& reply);
/// send-bulk / consent-import: the totals in one line, then per held or refused reason its
/// count, the first numbers and (held) when they will go.
[[nodiscard]] std::string render_bulk(const nlohmann::json& reply, const RenderOptions& options);
/// One progress line of an upload ({"read":N,"queued":...}) without a line end.
[[nodiscard]] std::string render_progress(const nlohmann::json& progress);

/// "2026-11-27T10:00:00Z" -> "2026-11-27 10:00" (local or UTC); unparsable text is returned
/// as is (sanitised).
[[nodiscard]] std::string format_time(std::string_view iso, const RenderOptions& options);

/// Makes text from outside safe for a terminal: control characters (ESC and the like) become
/// U+FFFD; newlines become "⏎ " unless `keep_newlines`; invalid UTF-8 becomes U+FFFD.
[[nodiscard]] std::string sanitize(std::string_view text, bool keep_newlines = false);

/// Display width of UTF-8 text, in columns (one per code point; wide CJK and emoji count 2).
[[nodiscard]] std::size_t display_width(std::string_view text);

}  // namespace twoway::ctl
