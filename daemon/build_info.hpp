// What was built: the project version and the git commit the build was configured from, for
// `--version`, the admin `status` and the twoway_build_info metric.
#pragma once

#include <string_view>

namespace twoway::daemon {

/// The project version ("0.1.0").
[[nodiscard]] std::string_view build_version();

/// The abbreviated git commit at configure time, or "unknown" (a build outside a git checkout).
[[nodiscard]] std::string_view build_commit();

/// "NAME VERSION (commit COMMIT)": the line `--version` prints.
[[nodiscard]] std::string version_line(std::string_view program);

}  // namespace twoway::daemon
