// twowayd's entry point: options, config loading (--check-config), logging, then the service
// loop: admin socket, metrics listener, signals (SIGTERM/SIGINT stop, SIGHUP reload), systemd
// notifications and watchdog.
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options.hpp>

#include <chrono>
#include <iostream>
#include <memory>

#include "daemon/app.hpp"
#include "daemon/build_info.hpp"
#include "daemon/config.hpp"
#include "daemon/logging.hpp"
#ifndef TWOWAY_DEFAULT_CONFIG
#define TWOWAY_DEFAULT_CONFIG "/etc/twoway/twoway.yaml"
#endif

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace twoway::daemon;

namespace {

// Exit statuses (sysexits.h): the unit's RestartPreventExitStatus= can name the config one.
constexpr int kExitUsage = 64;   // EX_USAGE: bad command line
constexpr int kExitConfig = 78;  // EX_CONFIG: the config file has problems

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, log_level;
  po::options_description desc("usage: twowayd [options]");
  desc.add_options()("help,h", "show this help")("version", "print the version")(
      "config,c", po::value(&config_path)->default_value(TWOWAY_DEFAULT_CONFIG), "config file")(
      "check-config", "validate the config, print every problem, exit 0 (valid) or 78")(
      "foreground", "run in the foreground (always the case; for init systems and scripts)")(
      "describe-config", "print every config key with its type, default and meaning")(
      "log-level", po::value(&log_level),
      "trace|debug|info|warn|error|critical|off (overrides "
      "logging.level)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "twowayd: " << e.what() << "\n" << desc;
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (vm.count("version")) {
    std::cout << version_line("twowayd") << "\n";
    return 0;
  }
  if (vm.count("describe-config")) {
    std::cout << describe_keys();
    return 0;
  }
  if (!log_level.empty() && !parse_log_level(log_level)) {
    std::cerr << "twowayd: unknown --log-level '" << log_level << "'\n";
    return kExitUsage;
  }

  LoadResult loaded = load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    std::cerr << config_path << ": " << loaded.errors.size()
              << (loaded.errors.size() == 1 ? " problem\n" : " problems\n");
    return kExitConfig;
  }
  const std::vector<std::string> notes = config_notes(*loaded.config);
  if (vm.count("check-config")) {
    for (const auto& n : notes) std::cerr << config_path << ": note: " << n << "\n";
    std::cout << config_path << ": OK" << (notes.empty() ? "" : " (with notes)") << "\n";
    return 0;
  }

  Config config = std::move(*loaded.config);
  if (!log_level.empty()) config.logging.level = log_level;
  if (!setup_logging(config.logging.level, config.logging.format)) {
    std::cerr << "twowayd: cannot set up logging\n";
    return kExitConfig;
  }
  for (const auto& n : notes) SPDLOG_WARN("config note: {}", n);
  try {
    AppOptions app;
    app.version = std::string(build_version());
    return run_daemon(std::move(config), app);
  } catch (const std::exception& e) {
    SPDLOG_CRITICAL("twowayd failed error={}", log_value(e.what()));
    return 1;
  }
}
