// The admin socket's wire protocol: tokenizer, quoting, usage strings, argument matching and
// the JSON reply lines.
#include "daemon/admin_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

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

TokenizeResult tokenize(std::string_view line) {
  TokenizeResult r;
  // Anywhere: bare, quoted or escaped by a backslash.
  if (line.find('\0') != std::string_view::npos) {
    r.error = "NUL byte in the command line";
    return r;
  }
  std::string word;
  bool in_word = false;
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    const char c = line[i];
    if (is_space(c)) {
      if (in_word) {
        r.tokens.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      ++i;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const std::size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        r.error = "unterminated single quote at column " + std::to_string(i + 1);
        return r;
      }
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
      if (!closed) {
        r.error = "unterminated double quote at column " + std::to_string(open + 1);
        return r;
      }
    } else if (c == '\\') {
      if (i + 1 >= n) {
        r.error = "backslash at the end of the line";
        return r;
      }
      word.push_back(line[i + 1]);
      i += 2;
    } else {
      word.push_back(c);
      ++i;
    }
  }
  if (in_word) r.tokens.push_back(std::move(word));
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
