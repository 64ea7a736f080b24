// The admin socket's wire protocol, shared by twowayd and twowayctl: one command line in
// (shell-like quoting), one JSON object per line out. No sockets here.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace twoway::daemon {

/// Who may do what on the admin socket, least to most.
enum class Role { none = 0, manager = 1, admin = 2, owner = 3 };

[[nodiscard]] std::string_view to_string(Role r);
[[nodiscard]] std::optional<Role> role_from_string(std::string_view s);

/// A typed failure sent back as {"ok":false,"error":{"code":...,"message":...}}.
/// Codes in use: bad_request, unknown_command, forbidden, line_too_long, too_many_connections,
/// evicted, idle_timeout, too_slow, not_found, internal, shutting_down (handlers add their own).
struct AdminError {
  std::string code;
  std::string message;
};

struct TokenizeResult {
  std::vector<std::string> tokens;
  std::string error;  ///< empty when the line was well formed
  [[nodiscard]] bool ok() const { return error.empty(); }
};

/// Splits a command line into words. Whitespace separates words; "double quotes" allow the
/// escapes \" \\ \n \t; 'single quotes' are literal; outside quotes a backslash takes the next
/// character as is. Unterminated quotes, a trailing backslash and NUL bytes are errors.
[[nodiscard]] TokenizeResult tokenize(std::string_view line);

/// Quotes one argument so that tokenize() gives it back unchanged (bare when it is safe).
[[nodiscard]] std::string quote_arg(std::string_view arg);

/// Joins words into one command line, quoting each as needed (no trailing newline).
[[nodiscard]] std::string join_command(std::span<const std::string> words);

/// What a usage string declares: "inbox [--unread] [--limit N] NUMBER [TEXT...]".
struct Usage {
  struct Option {
    std::string name;  ///< without the leading "--"
    bool takes_value = false;
  };
  struct Positional {
    std::string name;
    bool optional = false;
    bool variadic = false;  ///< "TEXT..." takes the rest
  };
  std::string command;
  std::vector<Option> options;
  std::vector<Positional> positionals;
};

/// Reads a usage string; words in capitals are positionals, "[...]" marks optional parts.
[[nodiscard]] Usage parse_usage(std::string_view usage);

/// Splits a command line into words for a command of this usage. As tokenize(), except where
/// the usage ends in a free text ("reply NUMBER TEXT..."): from where that text begins (after
/// the other positionals, and options before it), the rest of the line is one word as typed,
/// quotes, apostrophes and backslashes included (reply +1555 Don't worry, it's on its way);
/// a rest that is one quoted string and nothing else is that string (reply +1555 "Hi \"you\"").
/// Options there ("--name") are still options, and "--" ends them.
[[nodiscard]] TokenizeResult split_command(std::string_view line, const Usage& usage);

/// As join_command, but the words from where the usage's free text begins are joined by spaces
/// into one quoted word, so split_command gives the text back exactly (twowayctl sends this).
[[nodiscard]] std::string join_command(std::span<const std::string> words, const Usage& usage);

/// The usages of the commands whose last argument is a free text: the daemon registers these
/// commands with them, and twowayctl joins their words by them.
inline constexpr std::string_view kReplyUsage =
    "reply [--override-quiet-hours] [--no-shorten] NUMBER TEXT...";
inline constexpr std::string_view kSendUsage = "send --kind KIND [--no-shorten] NUMBER TEXT...";
inline constexpr std::string_view kSettingsUsage = "settings [KEY] [VALUE...]";
/// An upload (admin_server.hpp Upload): the recipients follow, one a line, then ".".
inline constexpr std::string_view kSendBulkUsage = "send-bulk --kind KIND [--no-shorten] TEXT...";

/// The usage above of `command`, or "" when its arguments hold no free text.
[[nodiscard]] std::string_view free_text_usage(std::string_view command);

/// A parsed command line.
struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>>
      options;  ///< name without "--" -> value ("" for flags)

  [[nodiscard]] bool has(std::string_view name) const {
    return options.find(name) != options.end();
  }
  /// The value of "--name VALUE", or nullopt.
  [[nodiscard]] std::optional<std::string_view> value(std::string_view name) const;
  /// The value of "--name N" as an integer within [min, max], `fallback` when absent, nullopt
  /// when present but not such a number.
  [[nodiscard]] std::optional<long long> integer(std::string_view name, long long fallback,
                                                 long long min, long long max) const;
};

/// Matches words (command first) against a usage: "--flag", "--key value", "--key=value";
/// "--" ends options. Unknown options, a missing value, or the wrong number of positionals
/// give a bad_request error that quotes the usage.
[[nodiscard]] std::variant<Args, AdminError> parse_args(std::span<const std::string> words,
                                                        const Usage& usage,
                                                        std::string_view usage_text);

/// {"ok":true, ...body} as one line with '\n'. `body` must be an object (or null).
[[nodiscard]] std::string ok_line(const nlohmann::json& body);

/// {"ok":false,"error":{"code":...,"message":...}} as one line with '\n'.
[[nodiscard]] std::string error_line(const AdminError& e);

}  // namespace twoway::daemon
