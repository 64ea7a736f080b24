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

#include "daemon/admin_server.hpp"
#include "daemon/config.hpp"
#include "daemon/logging.hpp"
#include "daemon/metrics.hpp"
#include "daemon/systemd.hpp"

#ifndef TWOWAY_VERSION
#define TWOWAY_VERSION "0.0.0"
#endif
#ifndef TWOWAY_DEFAULT_CONFIG
#define TWOWAY_DEFAULT_CONFIG "/etc/twoway/twoway.yaml"
#endif

namespace po = boost::program_options;
namespace asio = boost::asio;
using namespace twoway::daemon;

namespace {

AdminServerOptions admin_options(const Config& c) {
  AdminServerOptions o;
  o.path = c.admin.socket;
  o.mode = c.admin.mode;
  o.group = c.admin.group;
  o.max_connections = c.admin.max_connections;
  o.max_line = c.admin.max_line;
  o.idle_timeout = c.admin.idle_timeout;
  o.roles = c.admin.roles;
  return o;
}

void log_diff(const ConfigDiff& d) {
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
  };
  if (d.empty()) {
    spdlog::info("reload config unchanged");
    return;
  }
  if (!d.smscs_added.empty()) spdlog::info("reload smscs_added={}", join(d.smscs_added));
  if (!d.smscs_removed.empty()) spdlog::info("reload smscs_removed={}", join(d.smscs_removed));
  if (!d.smscs_changed.empty()) spdlog::info("reload smscs_changed={}", join(d.smscs_changed));
  if (!d.live_changed.empty()) spdlog::info("reload applied keys={}", join(d.live_changed));
  if (!d.restart_changed.empty()) {
    spdlog::warn("reload needs_restart keys={}", join(d.restart_changed));
  }
  if (!d.seed_changed.empty()) {
    spdlog::info("reload first_values_only keys={} (run-time settings live in the store)",
                 join(d.seed_changed));
  }
}

// The service until SIGTERM/SIGINT. The engine and the SMPP sessions are wired in elsewhere.
int run(Config config, const std::string& config_path) {
  asio::io_context io;
  const auto started = std::chrono::steady_clock::now();
  const SystemdNotifier notifier = SystemdNotifier::from_environment();

  AdminServer admin(io, admin_options(config));
  admin.add_command({"status", "status", Role::manager,
                     SyncHandler([&](const Args&, const Caller&) -> CommandResult {
                       nlohmann::json smscs = nlohmann::json::array();
                       for (const auto& s : config.smscs) {
                         smscs.push_back({{"name", s.name}, {"binds", nlohmann::json::array()}});
                       }
                       const auto up = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - started);
                       return nlohmann::json{{"version", TWOWAY_VERSION},
                                             {"uptime_seconds", up.count()},
                                             {"smscs", std::move(smscs)},
                                             {"outbox_depth", 0}};
                     }),
                     false, "Daemon version, uptime and SMSC binds"});
  if (auto ec = admin.start()) {
    spdlog::critical("admin socket failed path={} error={}", log_value(config.admin.socket),
                     log_value(ec.message()));
    return 1;
  }

  MetricsRegistry metrics;
  auto& reloads =
      metrics.counter("config_reloads", "SIGHUP reloads, by outcome", {{"outcome", "ok"}});
  auto& reload_failures =
      metrics.counter("config_reloads", "SIGHUP reloads, by outcome", {{"outcome", "error"}});
  auto& connections = metrics.gauge("admin_connections", "Open admin socket connections");
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (!config.metrics.http_listen.empty()) {
    metrics_http = std::make_unique<MetricsHttpServer>(io, [&] {
      connections.set(static_cast<double>(admin.connection_count()));
      return metrics.render();
    });
    if (auto ec = metrics_http->start(config.metrics.http_listen)) {
      spdlog::critical("metrics listener failed listen={} error={}", config.metrics.http_listen,
                       log_value(ec.message()));
      return 1;
    }
  }

  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  stop_signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("stopping signal={}", signo);
    (void)notifier.stopping();
    admin.stop();
    if (metrics_http) metrics_http->stop();
    io.stop();
  });

  asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      (void)notifier.reloading();
      auto loaded = load_config_file(config_path);
      if (!loaded.ok()) {
        for (const auto& e : loaded.errors) spdlog::error("reload {}", e.to_string());
        spdlog::error("reload refused errors={} (keeping the running config)",
                      loaded.errors.size());
        reload_failures.inc();
      } else {
        log_diff(diff_configs(config, *loaded.config));
        admin.set_roles(loaded.config->admin.roles);
        (void)set_log_level(loaded.config->logging.level);
        // Keys that need a restart keep their running values.
        Config next = std::move(*loaded.config);
        next.admin.socket = config.admin.socket;
        next.admin.mode = config.admin.mode;
        next.admin.group = config.admin.group;
        next.storage = config.storage;
        next.metrics = config.metrics;
        next.logging.format = config.logging.format;
        config = std::move(next);
        reloads.inc();
      }
      (void)notifier.ready();
      wait_hup();
    });
  };
  wait_hup();

  asio::steady_timer watchdog(io);
  std::function<void()> ping = [&] {
    (void)notifier.watchdog();
    watchdog.expires_after(notifier.watchdog_interval() / 2);
    watchdog.async_wait([&](boost::system::error_code ec) {
      if (!ec) ping();
    });
  };
  if (notifier.watchdog_interval().count() > 0) ping();

  (void)notifier.ready();
  (void)notifier.status("admin socket ready");
  spdlog::info("twowayd started version={} config={} smscs={} numbers={}", TWOWAY_VERSION,
               log_value(config_path), config.smscs.size(), config.numbers.size());
  io.run();
  spdlog::info("twowayd stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, log_level;
  po::options_description desc("usage: twowayd [options]");
  desc.add_options()("help,h", "show this help")("version", "print the version")(
      "config,c", po::value(&config_path)->default_value(TWOWAY_DEFAULT_CONFIG), "config file")(
      "check-config", "validate the config, print every problem, exit 0 (valid) or 1")(
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
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "twowayd " << TWOWAY_VERSION << "\n";
    return 0;
  }
  if (vm.count("describe-config")) {
    std::cout << describe_keys();
    return 0;
  }
  if (!log_level.empty() && !parse_log_level(log_level)) {
    std::cerr << "twowayd: unknown --log-level '" << log_level << "'\n";
    return 2;
  }

  LoadResult loaded = load_config_file(config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
    std::cerr << config_path << ": " << loaded.errors.size()
              << (loaded.errors.size() == 1 ? " problem\n" : " problems\n");
    return 1;
  }
  if (vm.count("check-config")) {
    std::cout << config_path << ": OK\n";
    return 0;
  }

  Config config = std::move(*loaded.config);
  if (!log_level.empty()) config.logging.level = log_level;
  if (!setup_logging(config.logging.level, config.logging.format)) {
    std::cerr << "twowayd: cannot set up logging\n";
    return 1;
  }
  try {
    return run(std::move(config), config_path);
  } catch (const std::exception& e) {
    spdlog::critical("twowayd failed error={}", log_value(e.what()));
    return 1;
  }
}
