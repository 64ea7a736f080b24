// Region entries of rules: US states by area code, E.164 prefixes and region codes.
#include "engine/regions.hpp"

#include <algorithm>

#include "engine/quiet_hours.hpp"

namespace twoway::engine {

namespace {

bool ascii_iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

bool is_prefix_entry(std::string_view entry) {
  return entry.size() >= 2 && entry.front() == '+' &&
         std::all_of(entry.begin() + 1, entry.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_state_entry(std::string_view entry) {
  return entry.size() == 5 && ascii_iequal(entry.substr(0, 3), "US-");
}

}  // namespace

RegionMatcher::RegionMatcher(const PhoneNumbers& phones, std::string_view e164)
    : phones_(phones), e164_(e164), state_(us_state_of(e164)) {}

bool RegionMatcher::matches(std::string_view entry) {
  if (is_state_entry(entry)) return !state_.empty() && ascii_iequal(entry.substr(3), state_);
  if (is_prefix_entry(entry)) return e164_.substr(0, entry.size()) == entry;
  if (entry.size() != 2) return false;
  if (!region_done_) {
    region_ = phones_.region_code(e164_);
    region_done_ = true;
  }
  return !region_.empty() && ascii_iequal(entry, region_);
}

bool RegionMatcher::matches_any(const std::vector<std::string>& entries) {
  return std::any_of(entries.begin(), entries.end(),
                     [this](const std::string& entry) { return matches(entry); });
}

std::string region_entry_problem(std::string_view entry) {
  if (is_state_entry(entry)) {
    std::string state(entry.substr(3));
    for (char& c : state) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    if (!PhoneNumbers::is_us_state(state))
      return "state " + std::string(entry) + " is not in the area code table";
  } else if (!is_prefix_entry(entry) && entry.size() != 2) {
    return "\"" + std::string(entry) + "\" is neither US-XX, a +prefix nor a two-letter region";
  }
  return {};
}

std::vector<std::string> region_entry_errors(const std::string& where,
                                             const std::vector<std::string>& entries) {
  std::vector<std::string> errors;
  if (entries.empty()) errors.push_back(where + ": matches no number");
  for (const std::string& entry : entries) {
    if (std::string problem = region_entry_problem(entry); !problem.empty())
      errors.push_back(where + ": " + problem);
  }
  return errors;
}

}  // namespace twoway::engine
