// Loads twowayd's YAML config against the key table (config_keys.cpp): every problem is
// collected with its file:line:column, nothing stops at the first one. Also the reload diff.
#include "daemon/config.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include "daemon/config_loader.hpp"

namespace twoway::daemon {

using namespace config_detail;

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

LoadResult load_config_text(std::string_view text, std::string_view name, FileChecks files) {
  LoadResult result;
  Loader L{std::string(name)};
  L.check_files = files == FileChecks::on;
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

LoadResult load_config_file(const std::string& path, FileChecks files) {
  LoadResult r;
  auto fail = [&](std::string problem) {
    r.errors.push_back(ConfigError{path, 0, 0, "", std::move(problem)});
    return r;
  };
  // A directory opens and reads as nothing: it would load as an empty file.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return fail("is a directory, not a config file: name the file itself (--config " +
                (path.ends_with("/") ? path : path + "/") + "twoway.yaml)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return fail(std::string("cannot read: ") + std::strerror(errno));
  const std::string text = buf.str();
  // A file with no settings at all (empty, or only comments) is a mistake, not "all defaults":
  // the daemon would start with no SMSC and no number.
  bool has_content = false;
  try {
    const YAML::Node root = YAML::Load(text);
    has_content = !root.IsNull();
  } catch (const YAML::Exception&) {
    has_content = true;  // load_config_text reports the syntax error with its position
  }
  if (!has_content) {
    return fail(
        "the file has no settings (it is empty or only comments): start from the shipped "
        "twoway.yaml, or see `twowayd --describe-config` for every key; at least smscs and "
        "numbers are needed");
  }
  return load_config_text(text, path, files);
}

std::map<std::string, std::string> smsc_keys(const Config& config, std::size_t index) {
  std::map<std::string, std::string> keys;
  const std::string prefix = "smscs[" + std::to_string(index) + "].";
  for (auto it = config.effective.lower_bound(prefix);
       it != config.effective.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    keys[it->first.substr(prefix.size())] = it->second;
  }
  return keys;
}

ConfigDiff diff_configs(const Config& before, const Config& after) {
  ConfigDiff d;
  // SMSCs by name: added, removed, or any key under them changed.
  auto by_name = [](const Config& c) {
    std::map<std::string, std::map<std::string, std::string>> out;
    for (std::size_t i = 0; i < c.smscs.size(); ++i) out[c.smscs[i].name] = smsc_keys(c, i);
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