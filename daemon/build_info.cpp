// Build identity: see build_info.hpp. TWOWAY_VERSION and TWOWAY_COMMIT are set on this file
// alone (daemon/CMakeLists.txt), so a new commit recompiles one file.
#include "daemon/build_info.hpp"

#include <string>

#ifndef TWOWAY_VERSION
#define TWOWAY_VERSION "0.0.0"
#endif
#ifndef TWOWAY_COMMIT
#define TWOWAY_COMMIT "unknown"
#endif

namespace twoway::daemon {

std::string_view build_version() {
  return TWOWAY_VERSION;
}

std::string_view build_commit() {
  return TWOWAY_COMMIT;
}

std::string version_line(std::string_view program) {
  return std::string(program) + " " + std::string(build_version()) + " (commit " +
         std::string(build_commit()) + ")";
}

}  // namespace twoway::daemon
