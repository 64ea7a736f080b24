// libFuzzer target for the config loader: arbitrary text through load_config_text(). It must
// answer with a config or with errors (each with a message, at a position in the text), never
// crash, hang or leak; a config that loads must load again the same, and differ from itself
// in nothing. Files the text names (password and TLS files) are not opened: arbitrary paths
// could name a FIFO or a device.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "daemon/config.hpp"

using namespace twoway::daemon;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const LoadResult r = load_config_text(text, "fuzz.yaml", FileChecks::off);
  check(r.config.has_value() != !r.errors.empty());
  for (const ConfigError& e : r.errors) {
    check(e.file == "fuzz.yaml");
    check(!e.problem.empty());
    check(e.to_string().find("fuzz.yaml") == 0);
  }
  if (r.config) {
    const LoadResult again = load_config_text(text, "fuzz.yaml", FileChecks::off);
    check(again.config.has_value() && again.config->effective == r.config->effective);
    const ConfigDiff d = diff_configs(*r.config, *again.config);
    check(d.empty());
  }
  return 0;
}
