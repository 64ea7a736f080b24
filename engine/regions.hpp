// Which numbers a rule's list of regions names: the matching shared by quiet-hours rules and
// frequency caps. An entry is "US-XX" (a US state, by area code), "+1305" (an E.164 prefix,
// usually a NANP area code) or "GB" (a region as PhoneNumbers::region_code() returns it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/phone.hpp"

namespace twoway::engine {

// Matches one number against region entries; the number's state and region are looked up once,
// on first need, so testing many rules costs one lookup. Keeps references: short-lived.
class RegionMatcher {
 public:
  RegionMatcher(const PhoneNumbers& phones, std::string_view e164);
  // Whether the entry names the number (letters in any case). An unusable entry matches nothing.
  [[nodiscard]] bool matches(std::string_view entry);
  [[nodiscard]] bool matches_any(const std::vector<std::string>& entries);

 private:
  const PhoneNumbers& phones_;
  std::string_view e164_;
  std::string_view state_;
  std::string region_;
  bool region_done_ = false;
};

// The first rule whose regions (the member `regions` names) match the number; nullptr when none.
template <typename Rule, typename Regions>
[[nodiscard]] const Rule* first_matching_rule(const std::vector<Rule>& rules,
                                              Regions Rule::*regions, const PhoneNumbers& phones,
                                              std::string_view e164) {
  RegionMatcher matcher(phones, e164);
  for (const Rule& rule : rules) {
    if (matcher.matches_any(rule.*regions)) return &rule;
  }
  return nullptr;
}

// What is wrong with one entry ("state US-XX is not in the area code table"); "" when usable.
[[nodiscard]] std::string region_entry_problem(std::string_view entry);

// Problems in one rule's list of entries ("state US-XX is not in the area code table"), each
// prefixed with `where`; an empty list is one ("matches no number").
[[nodiscard]] std::vector<std::string> region_entry_errors(const std::string& where,
                                                           const std::vector<std::string>& entries);

}  // namespace twoway::engine
