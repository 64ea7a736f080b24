// libFuzzer target for the admin socket's line grammar: arbitrary bytes through tokenize(),
// quote_arg()/join_command() (which must give the words back unchanged), parse_usage() and
// parse_args() against the real commands' usages and a fuzzed one, split_command() (a free text
// taken as typed) with twowayctl's join_command(words, usage) giving its words back, and the JSON
// reply lines (which must parse, whatever bytes the words hold).
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/admin_protocol.hpp"

using namespace twoway::daemon;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Usages as the daemon registers them (daemon/admin_commands.cpp), the grammar's real inputs.
constexpr std::string_view kUsages[] = {
    "inbox [--unread] [--archived] [--flagged] [--limit N] [--before CURSOR]",
    "thread NUMBER [--limit N] [--before CURSOR]",
    kReplyUsage,
    "consent NUMBER [subscribed|unsubscribed] [--source import|admin|text]",
    "consent-log [NUMBER] [--since DATE] [--until DATE] [--limit N] [--after CURSOR] [--csv]",
    kSendUsage,
    kSettingsUsage,
    "smsc list|suspend|resume|reconnect [NAME]",
    "watch [--events LIST]",
    "profile NUMBER [--name NAME]",
    "help [COMMAND]",
};

// The reply line must be one JSON object ending in '\n', with `ok` as given.
void check_line(const std::string& line, bool ok) {
  check(!line.empty() && line.back() == '\n');
  check(line.find('\n') == line.size() - 1);
  const auto j = nlohmann::json::parse(line, nullptr, false);
  check(j.is_object() && j.contains("ok") && j["ok"] == ok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks a usage (a real one, or the input's first line); the rest is the
  // command line.
  const std::size_t pick = data[0] % (std::size(kUsages) + 1);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string usage_text;
  if (pick < std::size(kUsages)) {
    usage_text = kUsages[pick];
  } else {
    const std::size_t nl = rest.find('\n');
    usage_text = std::string(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  const Usage usage = parse_usage(usage_text);

  const TokenizeResult t = tokenize(rest);
  if (!t.ok()) {
    check_line(error_line({"bad_request", t.error}), false);
    return 0;
  }
  for (const std::string& word : t.tokens) {
    check(word.find('\0') == std::string::npos);
    // Quoting gives the word back as one token.
    const TokenizeResult back = tokenize(quote_arg(word));
    check(back.ok() && back.tokens.size() == 1 && back.tokens[0] == word);
  }
  // So does joining them: twowayctl sends what join_command makes of its arguments.
  const TokenizeResult joined = tokenize(join_command(t.tokens));
  check(joined.ok() && joined.tokens == t.tokens);

  // The daemon splits by the command's usage: a free text is the rest of the line as typed.
  const TokenizeResult split = split_command(rest, usage);
  if (split.ok()) {
    for (const std::string& word : split.tokens) check(word.find('\0') == std::string::npos);
    // twowayctl's join by the usage gives the same words back.
    const TokenizeResult again = split_command(join_command(split.tokens, usage), usage);
    check(again.ok() && again.tokens == split.tokens);
    if (!split.tokens.empty()) {
      const auto p = parse_args(split.tokens, usage, usage_text);
      if (const auto* e = std::get_if<AdminError>(&p)) check(e->code == "bad_request");
    }
  } else {
    check(split.tokens.empty() && !split.error.empty());
  }

  if (t.tokens.empty()) return 0;
  const auto parsed = parse_args(t.tokens, usage, usage_text);
  if (const auto* e = std::get_if<AdminError>(&parsed)) {
    check(e->code == "bad_request" && !e->message.empty());
    check_line(error_line(*e), false);
    return 0;
  }
  const Args& args = std::get<Args>(parsed);
  check(args.command == t.tokens[0]);
  check(args.positional.size() + args.options.size() <= t.tokens.size() - 1);
  nlohmann::json body = nlohmann::json::object();
  for (const auto& [name, value] : args.options) {
    check(args.has(name));
    (void)args.integer(name, 0, -1000, 1000);
    (void)args.integer(name, 7, 1, std::numeric_limits<long long>::max());
    body[name] = value;  // bytes as the client sent them: the line must stay valid JSON
  }
  body["positional"] = args.positional;
  check_line(ok_line(body), true);
  return 0;
}
