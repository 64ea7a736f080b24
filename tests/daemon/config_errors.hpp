// For config tests: every error of a load, one per line, to print when a load fails.
#pragma once

#include <string>

#include "daemon/config.hpp"

namespace twoway::daemon {

inline std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.to_string() + "\n";
  return out;
}

}  // namespace twoway::daemon
