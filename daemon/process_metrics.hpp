// The standard process_* metrics Prometheus client libraries export (CPU, memory, file
// descriptors, start time) and twoway_build_info, read from the kernel at each scrape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace twoway::daemon {

struct ProcessStats {
  double cpu_seconds = 0;                 ///< user + system CPU time
  double start_time_seconds = 0;          ///< since the Unix epoch
  std::uint64_t resident_bytes = 0;       ///< resident set size
  std::uint64_t virtual_bytes = 0;        ///< virtual memory size
  std::optional<std::uint64_t> open_fds;  ///< nullopt when /proc/self/fd cannot be listed
  std::optional<std::uint64_t> max_fds;   ///< soft RLIMIT_NOFILE; nullopt when unlimited
};

/// Reads this process's figures (getrusage, /proc/self/stat, /proc/self/fd, getrlimit). Works
/// under systemd's ProcSubset=pid: nothing outside /proc/self is read.
[[nodiscard]] ProcessStats read_process_stats();

/// The fields of a /proc/PID/stat line after the command name (which may hold spaces and
/// parentheses): {starttime in clock ticks since boot, vsize in bytes, rss in pages}.
struct ProcStat {
  std::uint64_t start_ticks = 0, vsize = 0, rss_pages = 0;
};
[[nodiscard]] std::optional<ProcStat> parse_proc_stat(std::string_view line);

/// A label value in the text exposition format: backslash, double quote and newline escaped.
[[nodiscard]] std::string escape_label(std::string_view v);

/// process_* families in the text exposition format.
[[nodiscard]] std::string process_metrics_text(const ProcessStats& stats);

/// twoway_build_info{version="...",commit="..."} 1, with its HELP and TYPE lines.
[[nodiscard]] std::string build_info_metrics_text(std::string_view version,
                                                  std::string_view commit);

}  // namespace twoway::daemon
