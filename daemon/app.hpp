// twowayd as a whole: the engine, the SMPP gateway, the admin socket, metrics, signals
// (SIGTERM/SIGINT graceful stop, SIGHUP reload) and systemd notifications, for one config.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "engine/types.hpp"

namespace twoway::daemon {

/// The engine's settings from the config (storage, organization, numbers, credits, and the
/// first values of the run-time conversation settings).
[[nodiscard]] engine::EngineConfig engine_config(const Config& config);

/// Notes on the conversation settings the config seeds (a built-in keyword listed where it
/// cannot act, a HELP answer lacking what CTIA asks for...), each starting with its key
/// ("conversations.keywords.opt_in: ..."). Not errors: the config still loads.
[[nodiscard]] std::vector<std::string> config_notes(const Config& config);

struct AppOptions {
  std::string version = "0.0.0";
  std::chrono::milliseconds stop_timeout{10000};  ///< SIGTERM: unbind and drain within this
  int io_threads = 2;
};

/// Runs the daemon until SIGTERM/SIGINT; returns the process exit status. Start-up failures
/// (storage that cannot open, an admin socket path in use) are logged and give 1.
int run_daemon(Config config, const AppOptions& options);

}  // namespace twoway::daemon
