// The template language: placeholder names and aliases, checking and rendering (see
// templates.hpp).
#include "engine/templates.hpp"

#include <utility>

#include "smpp/segment.hpp"

namespace twoway::engine {
namespace {

// A placeholder's name without case and without ' ', '_', '-' and '.'.
std::string squeeze(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-' || c == '.' || c == '\t') continue;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
    {"organizationname", "organization.name"},
    {"organization", "organization.name"},
    {"orgname", "organization.name"},
    {"company", "organization.name"},
    {"companyname", "organization.name"},
    {"businessname", "organization.name"},
    {"organizationprefix", "organization.prefix"},
    {"prefix", "organization.prefix"},
    {"brand", "organization.prefix"},
    {"organizationemail", "organization.email"},
    {"email", "organization.email"},
    {"supportemail", "organization.email"},
    {"organizationsupportemail", "organization.email"},
    {"profilename", "profile.name"},
    {"name", "profile.name"},
    {"fullname", "profile.name"},
    {"profilefirstname", "profile.first_name"},
    {"firstname", "profile.first_name"},
    {"profilephone", "profile.phone"},
    {"profilenumber", "profile.phone"},
    {"phone", "profile.phone"},
    {"number", "profile.phone"},
    {"profilelocation", "profile.location"},
    {"location", "profile.location"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One piece of a template: text, or a placeholder with its name and fallback.
struct Piece {
  std::string_view text;  // literal text, or the placeholder as written ("{{...}}")
  bool placeholder = false;
  std::string_view name;      // trimmed, without the fallback
  std::string_view fallback;  // after '|', trimmed
  bool unclosed = false;      // "{{" with no "}}" after it
};

// The legacy single-brace placeholders of the config file.
std::string_view legacy_field(std::string_view inner) {
  if (inner == "organization") return "organization.prefix";
  if (inner == "support_email") return "organization.email";
  return {};
}

// Splits a template into pieces, calling fn for each in order.
template <typename Fn>
void scan(std::string_view t, Fn&& fn) {
  std::size_t i = 0;
  std::size_t text_from = 0;
  auto flush_text = [&](std::size_t to) {
    if (to > text_from) fn(Piece{t.substr(text_from, to - text_from)});
  };
  while (i < t.size()) {
    if (t[i] != '{') {
      ++i;
      continue;
    }
    if (i + 1 < t.size() && t[i + 1] == '{') {
      const std::size_t close = t.find("}}", i + 2);
      flush_text(i);
      if (close == std::string_view::npos) {
        fn(Piece{t.substr(i), true, {}, {}, true});
        return;
      }
      Piece p{t.substr(i, close + 2 - i), true};
      std::string_view inner = t.substr(i + 2, close - i - 2);
      if (auto bar = inner.find('|'); bar != std::string_view::npos) {
        p.fallback = trim(inner.substr(bar + 1));
        inner = inner.substr(0, bar);
      }
      p.name = trim(inner);
      fn(p);
      i = text_from = close + 2;
      continue;
    }
    // {organization} / {support_email}: the config file's earlier spelling.
    const std::size_t close = t.find('}', i + 1);
    if (close != std::string_view::npos && !legacy_field(t.substr(i + 1, close - i - 1)).empty()) {
      flush_text(i);
      fn(Piece{t.substr(i, close + 1 - i), true, t.substr(i + 1, close - i - 1)});
      i = text_from = close + 1;
      continue;
    }
    ++i;
  }
  flush_text(t.size());
}

std::string_view field_of(const Piece& p) {
  if (p.text.size() >= 2 && p.text[1] != '{') return legacy_field(p.name);
  return template_field(p.name);
}

std::string first_name(std::string_view name) {
  name = trim(name);
  return std::string(name.substr(0, name.find(' ')));
}

std::string value_of(std::string_view field, const Organization& org, const Profile& profile) {
  if (field == "organization.name") return org.name.empty() ? org.prefix : org.name;
  if (field == "organization.prefix") return org.prefix;
  if (field == "organization.email") return org.email;
  if (field == "profile.name") return std::string(trim(profile.name));
  if (field == "profile.first_name") return first_name(profile.name);
  if (field == "profile.phone") return profile.number;
  if (field == "profile.location") return profile.location;
  return {};
}

}  // namespace

std::string_view template_field(std::string_view placeholder) {
  const std::string key = squeeze(placeholder);
  if (key.empty()) return {};
  for (const auto& [alias, field] : kAliases)
    if (alias == key) return field;
  return {};
}

std::vector<std::string> template_errors(std::string_view tmpl) {
  std::vector<std::string> errors;
  scan(tmpl, [&](const Piece& p) {
    if (!p.placeholder) return;
    if (p.unclosed) {
      errors.push_back("\"{{\" without \"}}\": write placeholders as {{organization.name}}");
      return;
    }
    if (!field_of(p).empty()) return;
    std::string known;
    for (auto f : kTemplateFields) known += (known.empty() ? "" : ", ") + std::string(f);
    errors.push_back("unknown placeholder " + std::string(p.text) + "; use one of " + known +
                     " (a fallback after '|': {{profile.first_name|there}})");
  });
  return errors;
}

std::vector<std::string_view> template_fields_used(std::string_view tmpl) {
  std::vector<std::string_view> fields;
  scan(tmpl, [&](const Piece& p) {
    if (p.placeholder && !p.unclosed)
      if (auto f = field_of(p); !f.empty()) fields.push_back(f);
  });
  return fields;
}

std::string render_template(std::string_view tmpl, const Organization& org,
                            const Profile& profile) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  scan(tmpl, [&](const Piece& p) {
    if (!p.placeholder) {
      out.append(p.text);
      return;
    }
    const std::string_view field = p.unclosed ? std::string_view() : field_of(p);
    std::string value = field.empty() ? std::string() : value_of(field, org, profile);
    out += value.empty() ? std::string(p.fallback) : value;
  });
  return out;
}

TemplatePreview preview_template(std::string_view tmpl, const Organization& org,
                                 const Profile& sample) {
  TemplatePreview p;
  p.text = render_template(tmpl, org, sample);
  const smpp::SegmentCount count = smpp::count_segments(p.text);
  p.encoding = count.encoding == smpp::TextEncoding::gsm7   ? TextEncoding::gsm7
               : count.encoding == smpp::TextEncoding::ucs2 ? TextEncoding::ucs2
                                                            : TextEncoding::latin1;
  p.segments = count.segments;
  p.units = count.units;
  return p;
}

}  // namespace twoway::engine
