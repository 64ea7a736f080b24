// The admin socket's wire protocol: tokenizer, quoting, usage strings, argument matching and
// the JSON reply lines.
#include "daemon/admin_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace twoway::daemon {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_bare_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == '@' || c == '=' ||
         c == ',' || c == '%' || c == '#';
}

}  // namespace

std::string_view to_string(Role r) {
  switch (r) {
    case Role::none:
      return "none";
    case Role::manager:
      return "manager";
    case Role::admin:
      return "admin";
    case Role::owner:
      return "owner";
  }
  return "none";
}

std::optional<Role> role_from_string(std::string_view s) {
  if (s == "manager") return Role::manager;
  if (s == "admin") return Role::admin;
  if (s == "owner") return Role::owner;
  return std::nullopt;
}

namespace {

// Reads the word that starts at line[i] (not whitespace) into `word` and moves i past it, as
// tokenize() describes. Returns "" or the problem.
std::string read_word(std::string_view line, std::size_t& i, std::string& word) {
  const std::size_t n = line.size();
  while (i < n && !is_space(line[i])) {
    const char c = line[i];
    if (c == '\'') {
      const std::size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos)
        return "unterminated single quote at column " + std::to_string(i + 1);
      word.append(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      const std::size_t open = i++;
      bool closed = false;
      while (i < n) {
        const char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < n) {
          const char e = line[i + 1];
          switch (e) {
            case 'n':
              word.push_back('\n');
              break;
            case 't':
              word.push_back('\t');
              break;
            case '"':
              word.push_back('"');
              break;
            case '\\':
              word.push_back('\\');
              break;
            default:  // unknown escapes are kept as written
              word.push_back('\\');
              word.push_back(e);
          }
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) return "unterminated double quote at column " + std::to_string(open + 1);
    } else if (c == '\\') {
      if (i + 1 >= n) return "backslash at the end of the line";
      word.push_back(line[i + 1]);
      i += 2;
    } else {
      word.push_back(c);
      ++i;
    }
  }
  return {};
}

void skip_space(std::string_view line, std::size_t& i) {
  while (i < line.size() && is_space(line[i])) ++i;
}

// A free text as typed: the rest of the line without the whitespace around it; when that is
// one quoted string and nothing else ("..." or '...'), the string it quotes.
std::string free_text(std::string_view rest) {
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  if (rest.size() >= 2 && rest.front() == '\'') {
    if (rest.find('\'', 1) == rest.size() - 1) return std::string(rest.substr(1, rest.size() - 2));
  } else if (rest.size() >= 2 && rest.front() == '"') {
    std::size_t j = 1;
    while (j < rest.size() && rest[j] != '"') j += rest[j] == '\\' ? 2 : 1;
    if (j == rest.size() - 1) {
      std::string word;
      std::size_t i = 0;
      if (read_word(rest, i, word).empty() && i == rest.size()) return word;
    }
  }
  return std::string(rest);
}

}  // namespace

TokenizeResult tokenize(std::string_view line) {
  TokenizeResult r;
  // Anywhere: bare, quoted or escaped by a backslash.
  if (line.find('\0') != std::string_view::npos) {
    r.error = "NUL byte in the command line";
    return r;
  }
  std::size_t i = 0;
  for (skip_space(line, i); i < line.size(); skip_space(line, i)) {
    std::string word;
    if (r.error = read_word(line, i, word); !r.error.empty()) {
      r.tokens.clear();
      return r;
    }
    r.tokens.push_back(std::move(word));
  }
  return r;
}

TokenizeResult split_command(std::string_view line, const Usage& usage) {
  // Which positional is a free text: the last one, when it takes the rest ("TEXT...").
  std::optional<std::size_t> text_at;
  if (!usage.positionals.empty() && usage.positionals.back().variadic)
    text_at = usage.positionals.size() - 1;
  if (!text_at) return tokenize(line);
  TokenizeResult r;
  if (line.find('\0') != std::string_view::npos) {
    r.error = "NUL byte in the command line";
    return r;
  }
  auto option = [&](std::string_view word) -> const Usage::Option* {
    std::string_view name = word.substr(2);
    if (auto eq = name.find('='); eq != std::string_view::npos) name = name.substr(0, eq);
    for (const auto& o : usage.options)
      if (o.name == name) return &o;
    return nullptr;
  };
  std::size_t positionals = 0;
  bool options_done = false;
  std::size_t i = 0;
  for (skip_space(line, i); i < line.size(); skip_space(line, i)) {
    // The command word comes first; then options and positionals until the free text.
    const bool at_text = !r.tokens.empty() && positionals == *text_at;
    const std::size_t word_start = i;
    std::string word;
    std::string problem = read_word(line, i, word);
    if (at_text) {
      // Options may still come before the text ("--" ends them); anything else starts it.
      const bool is_option =
          !options_done && problem.empty() && word.size() > 2 && word.starts_with("--");
      if (!options_done && problem.empty() && word == "--") {
        options_done = true;
        r.tokens.push_back(std::move(word));
        continue;
      }
      if (!is_option) {
        r.tokens.push_back(free_text(line.substr(word_start)));
        return r;
      }
    }
    if (!problem.empty()) {
      r.error = std::move(problem);
      r.tokens.clear();
      return r;
    }
    if (r.tokens.empty()) {
      r.tokens.push_back(std::move(word));
      continue;
    }
    if (!options_done && word == "--") {
      options_done = true;
    } else if (!options_done && word.size() > 2 && word.starts_with("--")) {
      // An option's value is a word of its own (quoted as usual), even where the text begins.
      const Usage::Option* o = option(word);
      if (o != nullptr && o->takes_value && word.find('=') == std::string::npos) {
        r.tokens.push_back(std::move(word));
        skip_space(line, i);
        if (i >= line.size()) return r;  // parse_args says the value is missing
        std::string value;
        if (r.error = read_word(line, i, value); !r.error.empty()) {
          r.tokens.clear();
          return r;
        }
        r.tokens.push_back(std::move(value));
        continue;
      }
    } else {
      ++positionals;
    }
    r.tokens.push_back(std::move(word));
  }
  return r;
}

std::string quote_arg(std::string_view arg) {
  if (!arg.empty() && std::all_of(arg.begin(), arg.end(), is_bare_safe)) return std::string(arg);
  std::string out;
  out.reserve(arg.size() + 2);
  out.push_back('"');
  for (char c : arg) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string join_command(std::span<const std::string> words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out.push_back(' ');
    out += quote_arg(w);
  }
  return out;
}

std::string join_command(std::span<const std::string> words, const Usage& usage) {
  if (usage.positionals.empty() || !usage.positionals.back().variadic || words.empty())
    return join_command(words);
  const std::size_t text_at = usage.positionals.size() - 1;
  std::vector<std::string> out{words[0]};
  std::size_t positionals = 0;
  bool options_done = false;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    const bool option = !options_done && w.size() > 2 && w.starts_with("--");
    if (!options_done && w == "--") {
      options_done = true;
    } else if (option) {
      out.push_back(w);
      const auto name = std::string_view(w).substr(2);
      for (const auto& o : usage.options) {
        if (o.name == name && o.takes_value && i + 1 < words.size()) {
          out.push_back(words[++i]);
          break;
        }
      }
      continue;
    } else if (positionals == text_at) {
      // The text: every word left, as one word.
      std::string text;
      for (std::size_t j = i; j < words.size(); ++j) text += (j == i ? "" : " ") + words[j];
      out.push_back(std::move(text));
      break;
    } else {
      ++positionals;
    }
    out.push_back(w);
  }
  return join_command(out);
}

std::string_view free_text_usage(std::string_view command) {
  for (std::string_view u : {kReplyUsage, kSendUsage, kSettingsUsage, kSendBulkUsage})
    if (u.substr(0, u.find(' ')) == command) return u;
  return {};
}

Usage parse_usage(std::string_view usage) {
  Usage u;
  // Flatten "[--limit N]" / "[TEXT...]" into words with the bracket group each sits in
  // (0 = outside brackets).
  struct Word {
    std::string text;
    int group;
  };
  std::vector<Word> words;
  int depth = 0, groups = 0, group = 0;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(Word{std::move(word), depth > 0 ? group : 0});
    word.clear();
  };
  for (char c : usage) {
    if (c == '[') {
      flush();
      if (depth++ == 0) group = ++groups;
    } else if (c == ']') {
      flush();
      if (depth > 0) --depth;
    } else if (is_space(c) || c == '|') {
      flush();
    } else {
      word.push_back(c);
    }
  }
  flush();
  if (words.empty()) return u;
  u.command = words[0].text;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const Word& w = words[i];
    const bool optional = w.group != 0;
    if (w.text.rfind("--", 0) == 0) {
      Usage::Option opt{w.text.substr(2), false};
      if (auto eq = opt.name.find('='); eq != std::string::npos) {
        opt.name.resize(eq);
        opt.takes_value = true;
      } else if (i + 1 < words.size() && words[i + 1].group == w.group &&
                 words[i + 1].text.rfind("--", 0) != 0 &&
                 std::isupper(static_cast<unsigned char>(words[i + 1].text[0]))) {
        // "[--limit N]" or "--limit N": a capital word in the same group is the option's value.
        opt.takes_value = true;
        ++i;
      }
      u.options.push_back(std::move(opt));
    } else {
      Usage::Positional p{w.text, optional, false};
      if (p.name.size() > 3 && p.name.ends_with("...")) {
        p.name.resize(p.name.size() - 3);
        p.variadic = true;
      }
      u.positionals.push_back(std::move(p));
    }
  }
  return u;
}

std::optional<std::string_view> Args::value(std::string_view name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<long long> Args::integer(std::string_view name, long long fallback, long long min,
                                       long long max) const {
  auto v = value(name);
  if (!v) return fallback;
  long long n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < min || n > max) return std::nullopt;
  return n;
}

std::variant<Args, AdminError> parse_args(std::span<const std::string> words, const Usage& usage,
                                          std::string_view usage_text) {
  auto bad = [&](std::string problem) {
    return AdminError{"bad_request", std::move(problem) + "; usage: " + std::string(usage_text)};
  };
  Args a;
  if (words.empty()) return bad("empty command");
  a.command = words[0];
  bool options_done = false;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!options_done && w == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && w.size() > 2 && w.rfind("--", 0) == 0) {
      std::string name = w.substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      const Usage::Option* opt = nullptr;
      for (const auto& o : usage.options) {
        if (o.name == name) opt = &o;
      }
      if (!opt) return bad("unknown option --" + name);
      if (a.options.count(name)) return bad("--" + name + " given twice");
      if (opt->takes_value) {
        if (inline_value) {
          a.options.emplace(name, *inline_value);
        } else if (i + 1 < words.size()) {
          a.options.emplace(name, words[++i]);
        } else {
          return bad("--" + name + " needs a value");
        }
      } else {
        if (inline_value) return bad("--" + name + " takes no value");
        a.options.emplace(name, std::string());
      }
      continue;
    }
    a.positional.push_back(w);
  }
  std::size_t required = 0;
  bool variadic = false;
  for (const auto& p : usage.positionals) {
    if (!p.optional) ++required;
    if (p.variadic) variadic = true;
  }
  if (a.positional.size() < required) {
    return bad("missing " + usage.positionals[a.positional.size()].name);
  }
  if (!variadic && a.positional.size() > usage.positionals.size()) {
    return bad("unexpected argument '" + a.positional[usage.positionals.size()] + "'");
  }
  return a;
}

std::string ok_line(const nlohmann::json& body) {
  // "ok" first, so a human reading socat output sees it at once.
  std::string line = "{\"ok\":true";
  if (body.is_object()) {
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() == "ok") continue;
      line += ',';
      // Keys may come from the client's words too: invalid UTF-8 is replaced, never thrown.
      line +=
          nlohmann::json(it.key()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      line += ':';
      line += it.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  line += "}\n";
  return line;
}

std::string error_line(const AdminError& e) {
  nlohmann::json error = {{"code", e.code}, {"message", e.message}};
  return "{\"ok\":false,\"error\":" +
         error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}\n";
}

}  // namespace twoway::daemon
