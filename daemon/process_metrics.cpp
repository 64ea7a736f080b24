// process_* and build-info metrics: see process_metrics.hpp.
#include "daemon/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

namespace twoway::daemon {
namespace {

void family(std::ostringstream& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

double seconds_of(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  // "pid (comm) state ppid ...": fields are counted from the last ')'.
  const auto paren = line.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::istringstream in{std::string(line.substr(paren + 1))};
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string f; in >> f;) fields.push_back(std::move(f));
  // starttime is field 22, vsize 23, rss 24.
  if (fields.size() < 22) return std::nullopt;
  try {
    ProcStat s;
    s.start_ticks = std::stoull(fields[19]);
    s.vsize = std::stoull(fields[20]);
    const long long rss = std::stoll(fields[21]);
    s.rss_pages = rss > 0 ? static_cast<std::uint64_t>(rss) : 0;
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ProcessStats read_process_stats() {
  ProcessStats s;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    s.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  std::ifstream stat_file("/proc/self/stat");
  std::string line;
  if (std::getline(stat_file, line)) {
    if (auto p = parse_proc_stat(line)) {
      const long page = sysconf(_SC_PAGESIZE);
      s.resident_bytes = p->rss_pages * static_cast<std::uint64_t>(page > 0 ? page : 4096);
      s.virtual_bytes = p->vsize;
      // The start time in ticks since boot, against CLOCK_BOOTTIME (the same base): no need to
      // read /proc/stat's btime, which ProcSubset=pid hides.
      const long ticks = sysconf(_SC_CLK_TCK);
      timespec boot{}, real{};
      if (ticks > 0 && clock_gettime(CLOCK_BOOTTIME, &boot) == 0 &&
          clock_gettime(CLOCK_REALTIME, &real) == 0) {
        const double started_after_boot =
            static_cast<double>(p->start_ticks) / static_cast<double>(ticks);
        s.start_time_seconds = seconds_of(real) - (seconds_of(boot) - started_after_boot);
      }
    }
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    std::uint64_t n = 0;
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
    s.open_fds = n > 0 ? n - 1 : 0;  // not counting the descriptor that lists the directory
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    s.max_fds = static_cast<std::uint64_t>(lim.rlim_cur);
  }
  return s;
}

std::string process_metrics_text(const ProcessStats& s) {
  std::ostringstream out;
  out.precision(15);
  family(out, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.");
  out << "process_cpu_seconds_total " << s.cpu_seconds << '\n';
  family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out << "process_resident_memory_bytes " << s.resident_bytes << '\n';
  family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  out << "process_virtual_memory_bytes " << s.virtual_bytes << '\n';
  family(out, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.");
  out << "process_start_time_seconds " << std::fixed;
  out.precision(2);
  out << s.start_time_seconds << '\n';
  out.unsetf(std::ios::floatfield);
  if (s.open_fds) {
    family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    out << "process_open_fds " << *s.open_fds << '\n';
  }
  if (s.max_fds) {
    family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    out << "process_max_fds " << *s.max_fds << '\n';
  }
  return out.str();
}

std::string build_info_metrics_text(std::string_view version, std::string_view commit) {
  std::ostringstream out;
  family(out, "twoway_build_info", "gauge",
         "Always 1; the labels give the version and the git commit twowayd was built from");
  out << "twoway_build_info{version=\"" << escape_label(version) << "\",commit=\""
      << escape_label(commit) << "\"} 1\n";
  return out.str();
}

}  // namespace twoway::daemon
