// twowayd's logging: spdlog to stderr; under systemd (JOURNAL_STREAM names our stderr) each
// entry goes to journald natively (sd_journal_send) with its priority and fields: SMSC=, BIND=,
// MESSAGE_ID= from the message, CODE_FILE=/CODE_LINE=/CODE_FUNC= from the call site.
// Messages use stable key=value fields: "admin connection uid=1000 user=alice role=manager".
#pragma once

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::daemon {

/// "trace" | "debug" | "info" | "warn" (or "warning") | "error" | "critical" | "off".
[[nodiscard]] std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// True when $JOURNAL_STREAM ("dev:inode") matches stderr, i.e. systemd connected stderr to
/// the journal.
[[nodiscard]] bool stderr_is_journal();

/// The syslog priority for a level: trace/debug 7, info 6, warn 4, error 3, critical 2.
[[nodiscard]] int syslog_priority(spdlog::level::level_enum level);

/// Makes spdlog's default logger log at `level` in `format`: "auto" sends to journald natively
/// (JournalSink) when stderr_is_journal(), else writes "text"; "text": timestamped lines on
/// stderr; "journal": "<N>"-prefixed lines on stderr (for a journal-like reader of stderr).
/// Returns false (and leaves logging as it was) for an unknown level or format.
[[nodiscard]] bool setup_logging(std::string_view level, std::string_view format);

/// Changes the level of the default logger (SIGHUP). False for an unknown name.
[[nodiscard]] bool set_log_level(std::string_view level);

/// A value for a key=value field: as is when it is a plain word, else double-quoted with
/// quotes, backslashes and control characters escaped (so one field never spans lines).
[[nodiscard]] std::string log_value(std::string_view value);

/// The fields of the journal entry for `msg`, each "NAME=value": MESSAGE, PRIORITY,
/// SYSLOG_IDENTIFIER=twowayd, CODE_FILE/CODE_LINE/CODE_FUNC when the call site is known
/// (the SPDLOG_* macros give it), and SMSC, BIND and MESSAGE_ID from the message's smsc=, bind=
/// and message_id= fields (SMSC also from a bind id "NAME#N").
[[nodiscard]] std::vector<std::string> journal_fields(const spdlog::details::log_msg& msg);

/// Sends each entry to journald natively through sd_journal_sendv. When journald refuses it, the
/// line goes to stderr with its "<N>" prefix instead, so nothing is lost.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Sends the fields of one entry; returns 0 or a negative errno. Tests record them instead.
  using Sender = std::function<int(const std::vector<std::string>& fields)>;
  /// With no sender, entries go to sd_journal_sendv.
  explicit JournalSink(Sender send = {});

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  Sender send_;
};

}  // namespace twoway::daemon
