// The one template language of every text twoway sends on its own (auto-responder, keyword
// answers, custom keyword answers), whether it comes from the config file or `settings`:
// {{organization.name}}, {{organization.prefix}}, {{organization.email}}, {{profile.name}},
// {{profile.first_name}}, {{profile.phone}}, {{profile.location}}, each with an optional
// fallback for an empty value ({{profile.first_name|there}}).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/types.hpp"

namespace twoway::engine {

// The placeholders, as they are written in the docs.
inline constexpr std::string_view kTemplateFields[] = {
    "organization.name",  "organization.prefix", "organization.email", "profile.name",
    "profile.first_name", "profile.phone",       "profile.location"};

// Accepted besides those, since users copy them from guides and older configs: case, spaces,
// '_', '-' and '.' do not matter ({{Organization prefix}}, {{ORGANIZATION_EMAIL}}), and short
// names stand for the full ones ({{email}}, {{support_email}}, {{first_name}}, {{name}},
// {{prefix}}, {{organization}}, {{company}}, {{phone}}, {{location}}). The config file's earlier
// single-brace {organization} (the prefix) and {support_email} are read too; any other single
// brace is text.

// The canonical field a placeholder names ("Organization prefix" -> "organization.prefix"), or
// "" when it names none.
[[nodiscard]] std::string_view template_field(std::string_view placeholder);

// What is wrong with a template, one message each naming the placeholder as written: an unknown
// placeholder ("unknown placeholder {{organisation.phone}}; use one of ..."), an unclosed
// "{{". Empty when every placeholder is known.
[[nodiscard]] std::vector<std::string> template_errors(std::string_view tmpl);

// The canonical fields a template uses, in order (unknown placeholders left out).
[[nodiscard]] std::vector<std::string_view> template_fields_used(std::string_view tmpl);

// Fills the placeholders: a field with an empty value gives its fallback (or nothing). An
// unknown placeholder (in a text stored before templates were checked) gives its fallback or
// nothing, never the placeholder itself: no customer sees "{{...}}".
[[nodiscard]] std::string render_template(std::string_view tmpl, const Organization& org,
                                          const Profile& profile);

// A template rendered for a profile with no name ("there"-style fallbacks show), with the
// encoding and the number of SMS segments it takes (smpp/segment.hpp): what `settings` shows.
struct TemplatePreview {
  std::string text;
  TextEncoding encoding = TextEncoding::gsm7;
  std::size_t segments = 1;
  std::size_t units = 0;  // GSM-7 septets or UTF-16 units
};
[[nodiscard]] TemplatePreview preview_template(std::string_view tmpl, const Organization& org,
                                               const Profile& sample);

}  // namespace twoway::engine
