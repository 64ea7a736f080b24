// Internals of the config loader shared by config.cpp (loading, diff) and config_sections.cpp
// (reading each section): mappings with their marks, typed getters that apply the key table's
// defaults and bounds, and the error list. Not for use outside the loader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/config.hpp"

namespace twoway::daemon::config_detail {

struct Entry {
  std::string key;
  YAML::Node key_node, value;
};

// A mapping being read: its concrete path, its key pattern and its entries (first of duplicates).
struct MapView {
  std::string path;  // "smscs[0].tls"
  YAML::Mark mark;   // where the mapping (or its key) starts
  std::vector<Entry> entries;
  bool valid = false;

  const Entry* find(std::string_view key) const {
    for (const Entry& e : entries) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
};

inline std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out.push_back('.');
  out.append(key);
  return out;
}

inline std::string to_pattern(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    out.push_back(path[i]);
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

// Names of the keys directly below a pattern ("" for the top level).
inline std::vector<std::string> child_names(std::string_view pattern) {
  std::vector<std::string> out;
  for (const KeySpec& k : config_keys()) {
    std::string_view p = k.path;
    std::string_view rest;
    if (pattern.empty()) {
      rest = p;
    } else if (p.size() > pattern.size() + 1 && p.substr(0, pattern.size()) == pattern &&
               p[pattern.size()] == '.') {
      rest = p.substr(pattern.size() + 1);
    } else {
      continue;
    }
    if (rest.find_first_of(".[") != std::string_view::npos) continue;
    out.emplace_back(rest);
  }
  return out;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string format_duration(Millis d) {
  const auto ms = d.count();
  if (ms % 86400000 == 0 && ms != 0) return std::to_string(ms / 86400000) + "d";
  if (ms % 3600000 == 0 && ms != 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

inline std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

inline bool is_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  return h < 24 && m < 60;
}

inline bool is_region(std::string_view s) {
  return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1]));
}

inline bool is_name(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  /// Check the files the config names (daemon/smsc_files.hpp).
  bool check_files = true;

  std::vector<ConfigError>& errors() { return errors_; }
  std::map<std::string, std::string>& effective() { return effective_; }

  void error(const YAML::Mark& mark, std::string path, std::string problem) {
    ConfigError e;
    e.file = file_;
    if (mark.line >= 0) {
      e.line = mark.line + 1;
      e.column = mark.column + 1;
    }
    e.path = std::move(path);
    e.problem = std::move(problem);
    errors_.push_back(std::move(e));
  }

  // Opens a mapping: reports a non-mapping, non-scalar keys, duplicates and unknown keys.
  MapView open(const YAML::Node& node, std::string path, const YAML::Mark& where) {
    MapView view;
    view.path = std::move(path);
    view.mark = where;
    if (!node.IsDefined() || node.IsNull()) {
      view.valid = true;  // an empty section: every key takes its default
      return view;
    }
    if (!node.IsMap()) {
      error(mark_of(node, where), view.path, "expected a mapping of keys");
      return view;
    }
    view.valid = true;
    view.mark = node.Mark();
    const std::string pattern = to_pattern(view.path);
    const std::vector<std::string> names = child_names(pattern);
    std::map<std::string, YAML::Mark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // A copy: the iterator's value is a temporary that the next ++it (or the end of this
      // statement) destroys.
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (!k.IsScalar()) {
        error(k.Mark(), view.path, "keys must be plain words");
        continue;
      }
      const std::string key = k.Scalar();
      const std::string key_path = join(view.path, key);
      if (auto [pos, inserted] = seen.emplace(key, k.Mark()); !inserted) {
        error(k.Mark(), key_path,
              "duplicate key (first at line " + std::to_string(pos->second.line + 1) + ")");
        continue;
      }
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        std::string problem = "unknown key";
        if (auto hint = closest_match(key, names)) problem += "; did you mean '" + *hint + "'?";
        error(k.Mark(), key_path, std::move(problem));
        continue;
      }
      view.entries.push_back(Entry{key, k, v});
    }
    return view;
  }

  // A section below `view` (absent = all defaults).
  MapView section(const MapView& view, std::string_view key) {
    const Entry* e = view.find(key);
    if (!e) return open(YAML::Node(), join(view.path, key), view.mark);
    return open(e->value, join(view.path, key), e->key_node.Mark());
  }

  // The elements of a list below `view`, each opened as a mapping.
  std::vector<MapView> list(const MapView& view, std::string_view key) {
    std::vector<MapView> out;
    const std::string path = join(view.path, key);
    const KeySpec* spec = find_key(path);
    const Entry* e = view.find(key);
    if (!e || e->value.IsNull()) return out;
    if (!e->value.IsSequence()) {
      error(mark_of(e->value, e->key_node.Mark()), path, "expected a list");
      return out;
    }
    if (spec && spec->max > 0 && e->value.size() > spec->max) {
      error(e->value.Mark(), path, "too many entries (at most " + format_number(spec->max) + ")");
      return out;
    }
    std::size_t i = 0;
    for (const YAML::Node& item : e->value) {
      out.push_back(open(item, path + "[" + std::to_string(i++) + "]", item.Mark()));
    }
    return out;
  }

  // Reads one leaf key into its canonical text, applying the default. nullopt = absent or bad.
  struct Leaf {
    const KeySpec* spec = nullptr;
    YAML::Node node;  // the value (or the parsed default)
    YAML::Mark mark;  // where to point an error
    std::string path;
    bool from_file = false;
  };

  std::optional<Leaf> leaf(const MapView& view, std::string_view key) {
    Leaf l;
    l.path = join(view.path, key);
    l.spec = find_key(l.path);
    if (!l.spec) {
      error(view.mark, l.path, "internal: key missing from the key table");
      return std::nullopt;
    }
    if (const Entry* e = view.find(key); e && !e->value.IsNull()) {
      l.node = e->value;
      l.mark = mark_of(e->value, e->key_node.Mark());
      l.from_file = true;
      return l;
    }
    if (l.spec->required) {
      if (view.valid) error(view.mark, l.path, "missing (required)");
      return std::nullopt;
    }
    l.mark = view.mark;
    std::string_view def = l.spec->def;
    if (l.spec->type == KeyType::string_list || l.spec->type == KeyType::rate_map) {
      l.node = YAML::Load(std::string(def));
    } else {
      if (def.size() >= 2 && def.front() == '"') def = def.substr(1, def.size() - 2);
      l.node = YAML::Node(std::string(def));
    }
    return l;
  }

  std::optional<std::string> scalar(const Leaf& l) {
    if (!l.node.IsScalar()) {
      error(l.mark, l.path, "expected a single value");
      return std::nullopt;
    }
    return l.node.Scalar();
  }

  bool get(const MapView& v, std::string_view key, std::string& out) {
    auto l = leaf(v, key);
    if (!l) return false;
    auto s = scalar(*l);
    if (!s) return false;
    const KeySpec& k = *l->spec;
    if (k.type == KeyType::choice) {
      std::vector<std::string> options;
      std::string_view rest = k.choices;
      while (!rest.empty()) {
        auto bar = rest.find('|');
        options.emplace_back(rest.substr(0, bar));
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
      }
      if (std::find(options.begin(), options.end(), *s) == options.end()) {
        std::string problem = "'" + *s + "' is not one of ";
        for (std::size_t i = 0; i < options.size(); ++i) {
          problem += (i ? ", " : "") + options[i];
        }
        if (auto hint = closest_match(*s, options)) problem += "; did you mean '" + *hint + "'?";
        error(l->mark, l->path, std::move(problem));
        return false;
      }
    } else if (k.max > 0 && (s->size() < k.min || s->size() > k.max)) {
      error(l->mark, l->path,
            k.min == k.max ? "must be " + format_number(k.max) + " characters long"
                           : "must be " + format_number(k.min) + " to " + format_number(k.max) +
                                 " characters long");
      return false;
    }
    out = *s;
    effective_[l->path] = out;
    return true;
  }

  template <typename Int>
  requires std::is_integral_v<Int>
  bool get(const MapView& v, std::string_view key, Int& out) {
    auto l = leaf(v, key);
    if (!l) return false;
    auto s = scalar(*l);
    if (!s) return false;
    long long value = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), value);
    if (ec != std::errc() || end != s->data() + s->size()) {
      error(l->mark, l->path, "'" + *s + "' is not a whole number");
      return false;
    }
    if (!in_bounds(*l, static_cast<double>(value), format_number(static_cast<double>(value))))
      return false;
    out = static_cast<Int>(value);
    effective_[l->path] = std::to_string(value);
    return true;
  }

  bool get(const MapView& v, std::string_view key, double& out) {
    auto l = leaf(v, key);
    if (!l) return false;
    auto s = scalar(*l);
    if (!s) return false;
    double value = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), value);
    if (ec != std::errc() || end != s->data() + s->size() || !std::isfinite(value)) {
      error(l->mark, l->path, "'" + *s + "' is not a number");
      return false;
    }
    if (!in_bounds(*l, value, *s)) return false;
    out = value;
    effective_[l->path] = format_number(value);
    return true;
  }

  bool get(const MapView& v, std::string_view key, bool& out) {
    auto l = leaf(v, key);
    if (!l) return false;
    auto s = scalar(*l);
    if (!s) return false;
    const std::string t = lower(*s);
    if (t == "true" || t == "yes" || t == "on") {
      out = true;
    } else if (t == "false" || t == "no" || t == "off") {
      out = false;
    } else {
      error(l->mark, l->path, "'" + *s + "' is not true or false");
      return false;
    }
    effective_[l->path] = out ? "true" : "false";
    return true;
  }

  bool get(const MapView& v, std::string_view key, Millis& out) {
    auto l = leaf(v, key);
    if (!l) return false;
    auto s = scalar(*l);
    if (!s) return false;
    auto d = parse_duration(*s);
    if (!d) {
      error(l->mark, l->path, "'" + *s + "' is not a duration (like 250ms, 30s, 5m, 1h)");
      return false;
    }
    const auto& k = *l->spec;
    if ((k.min > 0 || k.max > 0) && (d->count() < k.min || d->count() > k.max)) {
      error(l->mark, l->path,
            "must be between " + format_duration(Millis(static_cast<long long>(k.min))) + " and " +
                format_duration(Millis(static_cast<long long>(k.max))));
      return false;
    }
    out = *d;
    effective_[l->path] = format_duration(out);
    return true;
  }

  bool get(const MapView& v, std::string_view key, std::vector<std::string>& out) {
    auto l = leaf(v, key);
    if (!l) return false;
    if (!l->node.IsSequence()) {
      error(l->mark, l->path, "expected a list of words");
      return false;
    }
    std::vector<std::string> items;
    std::string canonical;
    for (const YAML::Node& item : l->node) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        error(l->from_file ? item.Mark() : l->mark, l->path, "expected a non-empty word");
        return false;
      }
      items.push_back(item.Scalar());
      canonical += (canonical.empty() ? "" : ",") + item.Scalar();
    }
    const auto& k = *l->spec;
    if (k.max > 0 && (items.size() < k.min || items.size() > k.max)) {
      error(l->mark, l->path,
            "needs " + format_number(k.min) + " to " + format_number(k.max) + " entries");
      return false;
    }
    out = std::move(items);
    effective_[l->path] = canonical;
    return true;
  }

  bool get(const MapView& v, std::string_view key, std::map<std::string, double>& out) {
    const MapView m = [&] {
      const Entry* e = v.find(key);
      MapView r;
      r.path = join(v.path, key);
      if (!e || e->value.IsNull()) return r;
      if (!e->value.IsMap()) {
        error(mark_of(e->value, e->key_node.Mark()), r.path, "expected a mapping of region: rate");
        return r;
      }
      std::set<std::string> seen;
      for (auto it = e->value.begin(); it != e->value.end(); ++it) {
        const std::string region = it->first.IsScalar() ? it->first.Scalar() : std::string();
        const std::string path = r.path + "." + region;
        if (!is_region(region)) {
          error(it->first.Mark(), path, "not a region code (two capital letters, like \"US\")");
          continue;
        }
        if (!seen.insert(region).second) {
          error(it->first.Mark(), path, "duplicate key");
          continue;
        }
        double rate = 0;
        const std::string text = it->second.IsScalar() ? it->second.Scalar() : std::string();
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rate);
        if (ec != std::errc() || end != text.data() + text.size() || rate < 0 || rate > 1000) {
          error(mark_of(it->second, it->first.Mark()), path, "must be a number from 0 to 1000");
          continue;
        }
        out[region] = rate;
        effective_[path] = format_number(rate);
      }
      return r;
    }();
    return true;
  }

 private:
  static YAML::Mark mark_of(const YAML::Node& node, const YAML::Mark& fallback) {
    if (!node.IsDefined()) return fallback;
    YAML::Mark m = node.Mark();
    return m.line >= 0 ? m : fallback;
  }

  bool in_bounds(const Leaf& l, double value, const std::string& text) {
    const auto& k = *l.spec;
    if ((k.min != 0 || k.max != 0) && (value < k.min || value > k.max)) {
      error(
          l.mark, l.path,
          text + " is out of range (" + format_number(k.min) + " to " + format_number(k.max) + ")");
      return false;
    }
    return true;
  }

  std::string file_;
  std::vector<ConfigError> errors_;
  std::map<std::string, std::string> effective_;
};

template <typename Enum, std::size_t N>
Enum pick(const std::string& text, const std::array<std::pair<std::string_view, Enum>, N>& table,
          Enum fallback) {
  for (const auto& [name, value] : table) {
    if (name == text) return value;
  }
  return fallback;
}

inline constexpr std::array<std::pair<std::string_view, BindMode>, 4> kBindModes{{
    {"transceiver", BindMode::transceiver},
    {"receiver", BindMode::receiver},
    {"transmitter", BindMode::transmitter},
    {"pair", BindMode::pair},
}};
inline constexpr std::array<std::pair<std::string_view, Alphabet>, 4> kAlphabets{{
    {"gsm7", Alphabet::gsm7},
    {"gsm7_packed", Alphabet::gsm7_packed},
    {"latin1", Alphabet::latin1},
    {"ascii", Alphabet::ascii},
}};
inline constexpr std::array<std::pair<std::string_view, Concatenation>, 4> kConcatenations{{
    {"udh8", Concatenation::udh8},
    {"udh16", Concatenation::udh16},
    {"sar", Concatenation::sar},
    {"payload", Concatenation::payload},
}};

/// Reads every section of a parsed document into `c`, reporting problems through `L`.
void read_all(Loader& L, const YAML::Node& root, Config& c);

}  // namespace twoway::daemon::config_detail
