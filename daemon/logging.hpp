// twowayd's logging: spdlog to stderr; under systemd (JOURNAL_STREAM names our stderr) each line
// starts with a "<N>" syslog priority and has no timestamp (journald adds its own).
// Messages use stable key=value fields: "admin connection uid=1000 user=alice role=manager".
#pragma once

#include <spdlog/common.h>

#include <optional>
#include <string>
#include <string_view>

namespace twoway::daemon {

/// "trace" | "debug" | "info" | "warn" (or "warning") | "error" | "critical" | "off".
[[nodiscard]] std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// True when $JOURNAL_STREAM ("dev:inode") matches stderr, i.e. systemd connected stderr to
/// the journal.
[[nodiscard]] bool stderr_is_journal();

/// The syslog priority for a level: trace/debug 7, info 6, warn 4, error 3, critical 2.
[[nodiscard]] int syslog_priority(spdlog::level::level_enum level);

/// Makes spdlog's default logger write to stderr in `format` ("auto": journal when
/// stderr_is_journal(), else "text"; "text": timestamped; "journal": "<N>" prefixes) at
/// `level`. Returns false (and leaves logging as it was) for an unknown level or format.
[[nodiscard]] bool setup_logging(std::string_view level, std::string_view format);

/// Changes the level of the default logger (SIGHUP). False for an unknown name.
[[nodiscard]] bool set_log_level(std::string_view level);

/// A value for a key=value field: as is when it is a plain word, else double-quoted with
/// quotes, backslashes and control characters escaped (so one field never spans lines).
[[nodiscard]] std::string log_value(std::string_view value);

}  // namespace twoway::daemon
