// Loads twowayd's YAML config against the key table (config_keys.cpp): every problem is
// collected with its file:line:column, nothing stops at the first one. Also the reload diff.
#include "daemon/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace twoway::daemon {
namespace {

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

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out.push_back('.');
  out.append(key);
  return out;
}

std::string to_pattern(std::string_view path) {
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
std::vector<std::string> child_names(std::string_view pattern) {
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string format_duration(Millis d) {
  const auto ms = d.count();
  if (ms % 86400000 == 0 && ms != 0) return std::to_string(ms / 86400000) + "d";
  if (ms % 3600000 == 0 && ms != 0) return std::to_string(ms / 3600000) + "h";
  if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

bool is_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (int i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  return h < 24 && m < 60;
}

bool is_region(std::string_view s) {
  return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1]));
}

bool is_name(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

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
      const YAML::Node& k = it->first;
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
      view.entries.push_back(Entry{key, k, it->second});
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

constexpr std::array<std::pair<std::string_view, BindMode>, 4> kBindModes{{
    {"transceiver", BindMode::transceiver},
    {"receiver", BindMode::receiver},
    {"transmitter", BindMode::transmitter},
    {"pair", BindMode::pair},
}};
constexpr std::array<std::pair<std::string_view, Alphabet>, 4> kAlphabets{{
    {"gsm7", Alphabet::gsm7},
    {"gsm7_packed", Alphabet::gsm7_packed},
    {"latin1", Alphabet::latin1},
    {"ascii", Alphabet::ascii},
}};
constexpr std::array<std::pair<std::string_view, Concatenation>, 4> kConcatenations{{
    {"udh8", Concatenation::udh8},
    {"udh16", Concatenation::udh16},
    {"sar", Concatenation::sar},
    {"payload", Concatenation::payload},
}};

std::string fingerprint(std::string_view secret) {
  // Only to notice a change on reload; never logged.
  return "#" + std::to_string(std::hash<std::string_view>{}(secret));
}

void read_smsc(Loader& L, const MapView& v, SmscConfig& s) {
  L.get(v, "name", s.name);
  if (!s.name.empty() && !is_name(s.name)) {
    L.error(v.mark, v.path + ".name", "use letters, digits, '_', '-' and '.' only");
  }
  L.get(v, "host", s.host);
  L.get(v, "port", s.port);
  L.get(v, "system_id", s.system_id);
  L.get(v, "password", s.password);
  L.get(v, "password_file", s.password_file);
  std::string text;
  if (L.get(v, "bind", text)) s.bind = pick(text, kBindModes, BindMode::transceiver);
  L.get(v, "binds", s.binds);
  L.get(v, "window", s.window);
  L.get(v, "rate", s.rate);
  L.get(v, "system_type", s.system_type);
  if (L.get(v, "interface_version", text)) s.interface_version = text == "5.0" ? 0x50 : 0x34;
  L.get(v, "addr_ton", s.addr_ton);
  L.get(v, "addr_npi", s.addr_npi);
  L.get(v, "address_range", s.address_range);
  L.get(v, "enquire_link_interval", s.enquire_link_interval);
  L.get(v, "enquire_link_timeout", s.enquire_link_timeout);
  L.get(v, "request_timeout", s.request_timeout);
  L.get(v, "reconnect_min", s.reconnect_min);
  L.get(v, "reconnect_max", s.reconnect_max);
  L.get(v, "reconnect_factor", s.reconnect_factor);
  L.get(v, "bind_failure_backoff", s.bind_failure_backoff);
  L.get(v, "max_unanswered_inbound", s.max_unanswered_inbound);
  L.get(v, "max_command_length", s.max_command_length);
  if (L.get(v, "default_alphabet", text))
    s.default_alphabet = pick(text, kAlphabets, Alphabet::gsm7);
  if (L.get(v, "concatenation", text))
    s.concatenation = pick(text, kConcatenations, Concatenation::udh8);
  const MapView tls = L.section(v, "tls");
  L.get(tls, "enabled", s.tls.enabled);
  L.get(tls, "ca_file", s.tls.ca_file);
  L.get(tls, "cert_file", s.tls.cert_file);
  L.get(tls, "key_file", s.tls.key_file);
  L.get(tls, "verify", s.tls.verify);

  auto mark_of_key = [&](const MapView& m, std::string_view key) {
    const Entry* e = m.find(key);
    return e ? e->key_node.Mark() : m.mark;
  };
  if (!s.password.empty() && !s.password_file.empty()) {
    L.error(mark_of_key(v, "password_file"), v.path + ".password_file",
            "set either password or password_file, not both");
  } else if (!s.password_file.empty()) {
    std::ifstream in(s.password_file);
    std::string line;
    if (!in || !std::getline(in, line)) {
      L.error(mark_of_key(v, "password_file"), v.path + ".password_file",
              "cannot read '" + s.password_file + "'");
    } else {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.size() > 8) {
        L.error(mark_of_key(v, "password_file"), v.path + ".password_file",
                "the password in it is longer than 8 characters");
      }
      s.password = std::move(line);
    }
  }
  L.effective()[v.path + ".password"] = fingerprint(s.password);
  if (s.reconnect_min > s.reconnect_max) {
    L.error(mark_of_key(v, "reconnect_min"), v.path + ".reconnect_min",
            "must not be larger than reconnect_max");
  }
  if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
    L.error(mark_of_key(tls, s.tls.cert_file.empty() ? "key_file" : "cert_file"),
            tls.path + (s.tls.cert_file.empty() ? ".cert_file" : ".key_file"),
            "cert_file and key_file go together");
  }
}

void check_number(Loader& L, const MapView& v, const NumberConfig& n,
                  const std::vector<SmscConfig>& smscs) {
  auto mark_of_key = [&](std::string_view key) {
    const Entry* e = v.find(key);
    return e ? e->value.Mark() : v.mark;
  };
  const std::string& num = n.number;
  if (!num.empty()) {
    const bool plus = num[0] == '+';
    const std::string_view digits = std::string_view(num).substr(plus ? 1 : 0);
    const bool all_digits =
        !digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    const bool has_letter = std::any_of(
        num.begin(), num.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
    if (has_letter) {
      L.error(mark_of_key("number"), v.path + ".number",
              "'" + num +
                  "' is an alphanumeric sender: conversations need a numeric number "
                  "(long code, short code or toll-free) that subscribers can text");
    } else if (!all_digits || (plus && (digits.size() < 8 || digits.size() > 15)) ||
               (!plus && (digits.size() < 3 || digits.size() > 15))) {
      L.error(mark_of_key("number"), v.path + ".number",
              "'" + num + "' is neither an E.164 number (+15551234567) nor a short code");
    }
  }
  if (!n.smsc.empty()) {
    std::vector<std::string> names;
    for (const auto& s : smscs) names.push_back(s.name);
    if (std::find(names.begin(), names.end(), n.smsc) == names.end()) {
      std::string problem = "no SMSC named '" + n.smsc + "' in smscs";
      if (auto hint = closest_match(n.smsc, names)) problem += "; did you mean '" + *hint + "'?";
      L.error(mark_of_key("smsc"), v.path + ".smsc", std::move(problem));
    }
  }
}

bool is_loopback_listen(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = s.substr(0, colon);
  std::string_view port = s.substr(colon + 1);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) return false;
  if (host == "[::1]" || host == "localhost") return true;
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

void read_all(Loader& L, const YAML::Node& root, Config& c) {
  const MapView top = L.open(root, "", YAML::Mark());
  if (!top.valid) return;

  const MapView org = L.section(top, "organization");
  L.get(org, "name", c.organization.name);
  L.get(org, "prefix", c.organization.prefix);
  L.get(org, "support_email", c.organization.support_email);
  L.get(org, "help_text", c.organization.help_text);

  std::map<std::string, int> smsc_lines;
  for (const MapView& v : L.list(top, "smscs")) {
    if (!v.valid) continue;
    SmscConfig s;
    read_smsc(L, v, s);
    if (!s.name.empty()) {
      auto [pos, inserted] = smsc_lines.emplace(s.name, v.mark.line + 1);
      if (!inserted) {
        const Entry* e = v.find("name");
        L.error(e ? e->value.Mark() : v.mark, v.path + ".name",
                "duplicate SMSC name '" + s.name + "' (first at line " +
                    std::to_string(pos->second) + ")");
      }
    }
    c.smscs.push_back(std::move(s));
  }

  std::map<std::string, int> number_lines;
  for (const MapView& v : L.list(top, "numbers")) {
    if (!v.valid) continue;
    NumberConfig n;
    L.get(v, "number", n.number);
    L.get(v, "smsc", n.smsc);
    check_number(L, v, n, c.smscs);
    if (!n.number.empty()) {
      auto [pos, inserted] = number_lines.emplace(n.number, v.mark.line + 1);
      if (!inserted) {
        L.error(v.mark, v.path + ".number",
                "duplicate number '" + n.number + "' (first at line " +
                    std::to_string(pos->second) + ")");
      }
    }
    c.numbers.push_back(std::move(n));
  }

  if (L.get(top, "default_region", c.default_region) && !is_region(c.default_region)) {
    const Entry* e = top.find("default_region");
    L.error(e ? e->value.Mark() : top.mark, "default_region",
            "not a region code (two capital letters, like \"US\")");
  }

  const MapView storage = L.section(top, "storage");
  L.get(storage, "path", c.storage.path);
  L.get(storage, "map_size", c.storage.map_size);
  std::string text;
  if (L.get(storage, "durability", text)) {
    c.storage.durability = text == "relaxed" ? Durability::relaxed : Durability::durable;
  }

  const MapView admin = L.section(top, "admin");
  if (L.get(admin, "socket", c.admin.socket) && c.admin.socket[0] != '/') {
    L.error(admin.find("socket")->value.Mark(), "admin.socket", "must be an absolute path");
  }
  if (L.get(admin, "mode", text)) {
    unsigned mode = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
    if (ec != std::errc() || end != text.data() + text.size() || mode > 0777) {
      const Entry* e = admin.find("mode");
      L.error(e ? e->value.Mark() : admin.mark, "admin.mode",
              "'" + text + "' is not an octal file mode (like \"0660\")");
    } else {
      c.admin.mode = mode;
    }
  }
  if (L.get(admin, "group", c.admin.group) && !c.admin.group.empty() && !is_name(c.admin.group)) {
    L.error(admin.find("group")->value.Mark(), "admin.group", "not a group name");
  }
  const MapView roles = L.section(admin, "roles");
  for (auto [key, list] :
       {std::pair{"owner", &c.admin.roles.owner}, std::pair{"admin", &c.admin.roles.admin},
        std::pair{"manager", &c.admin.roles.manager}}) {
    if (!L.get(roles, key, *list)) continue;
    for (const std::string& who : *list) {
      const std::string_view name = who[0] == '@' ? std::string_view(who).substr(1) : who;
      if (!is_name(name)) {
        L.error(roles.find(key)->value.Mark(), "admin.roles." + std::string(key),
                "'" + who + "' is not a user name or @group");
      }
    }
  }
  L.get(admin, "max_connections", c.admin.max_connections);
  L.get(admin, "max_line", c.admin.max_line);
  L.get(admin, "idle_timeout", c.admin.idle_timeout);

  const MapView logging = L.section(top, "logging");
  L.get(logging, "level", c.logging.level);
  L.get(logging, "format", c.logging.format);

  const MapView metrics = L.section(top, "metrics");
  if (L.get(metrics, "http_listen", c.metrics.http_listen) && !c.metrics.http_listen.empty() &&
      !is_loopback_listen(c.metrics.http_listen)) {
    L.error(metrics.find("http_listen")->value.Mark(), "metrics.http_listen",
            "must be a loopback address and port, like 127.0.0.1:9464");
  }

  const MapView reassembly = L.section(top, "reassembly");
  L.get(reassembly, "timeout", c.reassembly.timeout);
  L.get(reassembly, "max_partials_per_source", c.reassembly.max_partials_per_source);

  const MapView credits = L.section(top, "credits");
  L.get(credits, "default_rate", c.credits.default_rate);
  L.get(credits, "rates", c.credits.rates);

  auto& cv = c.conversations;
  const MapView conv = L.section(top, "conversations");
  const MapView ar = L.section(conv, "auto_responder");
  if (L.get(ar, "mode", text)) {
    cv.auto_responder.mode = text == "all"             ? AutoResponderMode::all
                             : text == "non_consented" ? AutoResponderMode::non_consented
                                                       : AutoResponderMode::off;
  }
  L.get(ar, "message", cv.auto_responder.message);
  L.get(ar, "period", cv.auto_responder.period);
  if (cv.auto_responder.mode != AutoResponderMode::off && cv.auto_responder.message.empty()) {
    L.error(ar.mark, "conversations.auto_responder.message", "needed when mode is not off");
  }

  const MapView kw = L.section(conv, "keywords");
  L.get(kw, "opt_out", cv.keywords.opt_out);
  L.get(kw, "opt_in", cv.keywords.opt_in);
  L.get(kw, "help", cv.keywords.help);
  L.get(kw, "opt_out_contains", cv.keywords.opt_out_contains);
  std::set<std::string> words;
  for (const MapView& v : L.list(kw, "custom")) {
    if (!v.valid) continue;
    CustomKeyword k;
    L.get(v, "word", k.word);
    L.get(v, "reply", k.reply);
    L.get(v, "action", k.action);
    const Entry* e = v.find("word");
    if (!k.word.empty() && k.word.find_first_of(" \t") != std::string::npos) {
      L.error(e ? e->value.Mark() : v.mark, v.path + ".word", "must be a single word");
    } else if (!k.word.empty() && !words.insert(lower(k.word)).second) {
      L.error(e ? e->value.Mark() : v.mark, v.path + ".word", "duplicate keyword '" + k.word + "'");
    }
    cv.keywords.custom.push_back(std::move(k));
  }

  const MapView replies = L.section(conv, "replies");
  L.get(replies, "opt_out", cv.replies.opt_out);
  L.get(replies, "opt_in", cv.replies.opt_in);
  L.get(replies, "help", cv.replies.help);

  auto check_time = [&](const MapView& v, std::string_view key, const std::string& value) {
    if (is_hhmm(value)) return;
    const Entry* e = v.find(key);
    L.error(e ? e->value.Mark() : v.mark, join(v.path, key),
            "'" + value + "' is not a time of day (HH:MM, 24-hour)");
  };
  const MapView qh = L.section(conv, "quiet_hours");
  L.get(qh, "enabled", cv.quiet_hours.enabled);
  if (L.get(qh, "start", cv.quiet_hours.start)) check_time(qh, "start", cv.quiet_hours.start);
  if (L.get(qh, "end", cv.quiet_hours.end)) check_time(qh, "end", cv.quiet_hours.end);
  for (const MapView& v : L.list(qh, "rules")) {
    if (!v.valid) continue;
    QuietHoursRule r;
    L.get(v, "name", r.name);
    L.get(v, "regions", r.regions);
    if (L.get(v, "start", r.start)) check_time(v, "start", r.start);
    if (L.get(v, "end", r.end)) check_time(v, "end", r.end);
    cv.quiet_hours.rules.push_back(std::move(r));
  }

  const MapView notes = L.section(conv, "notifications");
  L.get(notes, "enabled", cv.notifications.enabled);
  L.get(notes, "email", cv.notifications.email);

  const MapView links = L.section(conv, "link_shortening");
  L.get(links, "enabled", cv.link_shortening.enabled);
  L.get(links, "domain", cv.link_shortening.domain);
  if (cv.link_shortening.enabled && cv.link_shortening.domain.empty()) {
    L.error(links.mark, "conversations.link_shortening.domain", "needed when enabled");
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += problem;
  return out;
}

const SmscConfig* Config::find_smsc(std::string_view name) const {
  for (const auto& s : smscs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<Millis> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return std::nullopt;
  const std::string_view unit(end, text.data() + text.size() - end);
  long long scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1000;
  } else if (unit == "ms") {
    scale = 1;
  } else if (unit == "m") {
    scale = 60000;
  } else if (unit == "h") {
    scale = 3600000;
  } else if (unit == "d") {
    scale = 86400000;
  } else {
    return std::nullopt;
  }
  if (value > std::numeric_limits<long long>::max() / scale) return std::nullopt;
  return Millis(value * scale);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string> candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  const std::string w = lower(word);
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(w, lower(c));
    if (!best || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  // Plausible typo: at most a third of the word wrong (and at least one edit allowed).
  if (best && best_distance <= std::max<std::size_t>(1, (word.size() + 2) / 3) &&
      best_distance < word.size()) {
    return best;
  }
  return std::nullopt;
}

LoadResult load_config_text(std::string_view text, std::string_view name) {
  LoadResult result;
  Loader L{std::string(name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    L.error(e.mark, "", e.msg);
    result.errors = std::move(L.errors());
    return result;
  }
  Config c;
  c.file = std::string(name);
  try {
    read_all(L, root, c);
  } catch (const YAML::Exception& e) {
    L.error(e.mark, "", e.msg);
  }
  auto& errors = L.errors();
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  result.errors = std::move(errors);
  if (result.errors.empty()) {
    c.effective = std::move(L.effective());
    result.config = std::move(c);
  }
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back(
        ConfigError{path, 0, 0, "", std::string("cannot open: ") + std::strerror(errno)});
    return r;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return load_config_text(buf.str(), path);
}

ConfigDiff diff_configs(const Config& before, const Config& after) {
  ConfigDiff d;
  // SMSCs by name: added, removed, or any key under them changed.
  auto by_name = [](const Config& c) {
    std::map<std::string, std::map<std::string, std::string>> out;
    for (std::size_t i = 0; i < c.smscs.size(); ++i) {
      const std::string prefix = "smscs[" + std::to_string(i) + "].";
      auto& keys = out[c.smscs[i].name];
      for (auto it = c.effective.lower_bound(prefix);
           it != c.effective.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        keys[it->first.substr(prefix.size())] = it->second;
      }
    }
    return out;
  };
  const auto old_smscs = by_name(before);
  const auto new_smscs = by_name(after);
  for (const auto& [name, keys] : new_smscs) {
    auto it = old_smscs.find(name);
    if (it == old_smscs.end()) {
      d.smscs_added.push_back(name);
    } else if (it->second != keys) {
      d.smscs_changed.push_back(name);
    }
  }
  for (const auto& [name, keys] : old_smscs) {
    if (!new_smscs.count(name)) d.smscs_removed.push_back(name);
  }

  // Everything else: a changed key, or a changed list reported once by its pattern.
  std::set<std::string> changed;
  auto note = [&](const std::string& path) {
    if (path.rfind("smscs[", 0) == 0) return;
    std::string key = path;
    if (auto bracket = key.find('['); bracket != std::string::npos) key.resize(bracket);
    changed.insert(key);
  };
  for (const auto& [path, value] : after.effective) {
    auto it = before.effective.find(path);
    if (it == before.effective.end() || it->second != value) note(path);
  }
  for (const auto& [path, value] : before.effective) {
    if (!after.effective.count(path)) note(path);
  }
  for (const std::string& key : changed) {
    const KeySpec* spec = find_key(key);
    const Reload r = spec ? spec->reload : Reload::live;
    (r == Reload::restart ? d.restart_changed
     : r == Reload::seed  ? d.seed_changed
                          : d.live_changed)
        .push_back(key);
  }
  return d;
}

std::string_view to_string(BindMode m) {
  return kBindModes[static_cast<int>(m)].first;
}
std::string_view to_string(Alphabet a) {
  return kAlphabets[static_cast<int>(a)].first;
}
std::string_view to_string(Concatenation c) {
  return kConcatenations[static_cast<int>(c)].first;
}

}  // namespace twoway::daemon
