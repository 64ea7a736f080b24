// spdlog set-up for twowayd: text lines with timestamps on a terminal, native journal entries
// with fields under systemd.
#include "daemon/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
// The call site fields come from spdlog (journal_fields), not from this file.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace twoway::daemon {
namespace {

// "%*" in a pattern: the "<N>" syslog priority journald reads from the start of a line.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char text[4] = {'<', static_cast<char>('0' + syslog_priority(msg.level)), '>', 0};
    dest.append(text, text + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

// The value of the key=value field `key` in a log message (quoted values unescaped), or nullopt.
std::optional<std::string> field_value(std::string_view text, std::string_view key) {
  for (std::size_t pos = text.find(key); pos != std::string_view::npos;
       pos = text.find(key, pos + 1)) {
    const std::size_t eq = pos + key.size();
    if ((pos > 0 && text[pos - 1] != ' ') || eq >= text.size() || text[eq] != '=') continue;
    std::size_t i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i]);
      }
    } else {
      while (i < text.size() && text[i] != ' ') value.push_back(text[i++]);
    }
    if (!value.empty()) return value;
  }
  return std::nullopt;
}

int send_to_journal(const std::vector<std::string>& fields) {
  std::vector<iovec> iov(fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    iov[i].iov_base = const_cast<char*>(fields[i].data());
    iov[i].iov_len = fields[i].size();
  }
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace

std::vector<std::string> journal_fields(const spdlog::details::log_msg& msg) {
  const std::string_view text(msg.payload.data(), msg.payload.size());
  std::vector<std::string> fields;
  fields.push_back("MESSAGE=" + std::string(text));
  fields.push_back("PRIORITY=" + std::to_string(syslog_priority(msg.level)));
  fields.push_back("SYSLOG_IDENTIFIER=twowayd");
  if (!msg.source.empty()) {
    // Relative to the source tree (-fmacro-prefix-map); a compiler cache may still hand us
    // the "../../" of a build directory, which tells a reader nothing.
    std::string_view file = msg.source.filename;
    while (file.starts_with("../") || file.starts_with("./"))
      file.remove_prefix(file.find('/') + 1);
    fields.push_back("CODE_FILE=" + std::string(file));
    fields.push_back("CODE_LINE=" + std::to_string(msg.source.line));
    if (msg.source.funcname != nullptr && *msg.source.funcname != '\0')
      fields.push_back(std::string("CODE_FUNC=") + msg.source.funcname);
  }
  auto smsc = field_value(text, "smsc");
  if (auto bind = field_value(text, "bind")) {
    if (!smsc && bind->find('#') != std::string::npos) smsc = bind->substr(0, bind->find('#'));
    fields.push_back("BIND=" + *bind);
  }
  if (smsc) fields.push_back("SMSC=" + *smsc);
  if (auto id = field_value(text, "message_id")) fields.push_back("MESSAGE_ID=" + *id);
  return fields;
}

JournalSink::JournalSink(Sender send) : send_(send ? std::move(send) : Sender(send_to_journal)) {}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (send_(journal_fields(msg)) >= 0) return;
  // journald refused (gone, or the socket is full): keep the line on stderr.
  const std::string line = "<" + std::to_string(syslog_priority(msg.level)) + ">" +
                           std::string(msg.payload.data(), msg.payload.size()) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  using spdlog::level::level_enum;
  if (name == "trace") return level_enum::trace;
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn" || name == "warning") return level_enum::warn;
  if (name == "error") return level_enum::err;
  if (name == "critical") return level_enum::critical;
  if (name == "off") return level_enum::off;
  return std::nullopt;
}

bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (!env) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

bool setup_logging(std::string_view level, std::string_view format) {
  const auto lvl = parse_log_level(level);
  if (!lvl) return false;
  bool journal = false;
  if (format == "auto") {
    journal = stderr_is_journal();
  } else if (format == "journal") {
    journal = true;
  } else if (format != "text") {
    return false;
  }
  spdlog::sink_ptr sink;
  if (format == "auto" && journal) {
    sink = std::make_shared<JournalSink>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (journal) {
      formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
    } else {
      formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
    }
    sink->set_formatter(std::move(formatter));
  }
  auto logger = std::make_shared<spdlog::logger>("twowayd", std::move(sink));
  logger->set_level(*lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return true;
}

bool set_log_level(std::string_view level) {
  const auto lvl = parse_log_level(level);
  if (!lvl) return false;
  spdlog::set_level(*lvl);
  return true;
}

std::string log_value(std::string_view value) {
  const bool plain = !value.empty() && value.find_first_of(" \"\\=") == std::string_view::npos &&
                     std::none_of(value.begin(), value.end(), [](char c) {
                       return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
                     });
  if (plain) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace twoway::daemon
