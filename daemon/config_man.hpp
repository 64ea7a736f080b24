// twoway.yaml(5): the manual page of the configuration file, rendered as roff from the same
// table of keys that the loader, `--check-config` and `--describe-config` read, so the page
// cannot drift from what twowayd accepts.
#pragma once

#include <string>
#include <string_view>

namespace twoway::daemon {

/// The whole twoway.yaml(5) page as roff (man macros). `version` goes into the footer
/// ("twoway 0.1.0"), `date` ("2026-12-07") into the header; both are given by the build so the
/// page is reproducible.
[[nodiscard]] std::string config_manual_page(std::string_view version, std::string_view date);

/// Text made safe for a roff text line: backslashes become \e, a leading '.' or '\'' is
/// guarded with \&, and hyphens become \- when `literal` (key names and values that a reader
/// copies into a file).
[[nodiscard]] std::string roff_escape(std::string_view text, bool literal = false);

}  // namespace twoway::daemon
