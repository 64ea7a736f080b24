// twowayd as a whole: see app.hpp.
#include "daemon/app.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cmath>
#include <csignal>
#include <future>
#include <thread>

#include "daemon/admin_commands.hpp"
#include "daemon/admin_server.hpp"
#include "daemon/cluster_admin.hpp"
#include "daemon/cluster_node.hpp"
#include "daemon/gateway.hpp"
#include "daemon/link_server.hpp"
#include "daemon/logging.hpp"
#include "daemon/metrics_http.hpp"
#include "daemon/metrics_text.hpp"
#include "daemon/notifier.hpp"
#include "daemon/systemd.hpp"
#include "engine/engine.hpp"
#include "engine/notification_settings.hpp"
#include "engine/settings.hpp"

namespace twoway::daemon {
namespace {

// The exit status after a storage failure stopped the daemon (systemd: Restart=on-failure).
constexpr int kExitStorageFailure = 1;

void log_diff(const ConfigDiff& d) {
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
  };
  if (d.empty()) {
    SPDLOG_INFO("reload config unchanged");
    return;
  }
  if (!d.smscs_added.empty()) SPDLOG_INFO("reload smscs_added={}", join(d.smscs_added));
  if (!d.smscs_removed.empty()) SPDLOG_INFO("reload smscs_removed={}", join(d.smscs_removed));
  if (!d.smscs_changed.empty()) SPDLOG_INFO("reload smscs_changed={}", join(d.smscs_changed));
  if (!d.live_changed.empty()) SPDLOG_INFO("reload applied keys={}", join(d.live_changed));
  if (!d.restart_changed.empty()) {
    SPDLOG_WARN("reload needs_restart keys={}", join(d.restart_changed));
  }
  if (!d.seed_changed.empty()) {
    SPDLOG_INFO("reload first_values_only keys={} (run-time settings live in the store)",
                join(d.seed_changed));
  }
  // Each first value the file changed: the store's value stays, and this is how to change it.
  for (const auto& key : d.seed_changed) {
    const std::string command = seed_setting_command(key);
    spdlog::warn("reload first_values_only key={} kept=store change_with=\"{}\"", key,
                 command.empty() ? "no run-time setting: the stored value stays" : command);
  }
}

// The reload's answer to the admin: the first values the file changed (with the command that
// changes each at run time) and the keys that need a restart.
nlohmann::json reload_report(const ConfigDiff& d) {
  nlohmann::json first = nlohmann::json::array();
  for (const auto& key : d.seed_changed) {
    const std::string command = seed_setting_command(key);
    first.push_back(
        {{"key", key},
         {"kept", "the store's value (run-time settings win over first values)"},
         {"change_with", command.empty() ? nlohmann::json(nullptr) : nlohmann::json(command)}});
  }
  return {{"first_values_only", std::move(first)}, {"needs_restart", d.restart_changed}};
}

int minutes_of(std::string_view hhmm, int fallback) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return fallback;
  return ((hhmm[0] - '0') * 10 + (hhmm[1] - '0')) * 60 + (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
}

// conversations.notifications.email in the engine's terms (checked by the loader).
void set_email_notifications(const ConversationsConfig& c, engine::EmailNotifications& e) {
  const auto& m = c.notifications.email;
  e.enabled = m.enabled;
  e.to = m.to;
  e.from = m.from;
  e.digest_seconds = std::chrono::duration_cast<std::chrono::seconds>(m.digest).count();
  e.smtp_host = m.smtp_host;
  e.smtp_port = static_cast<std::uint32_t>(m.smtp_port);
  e.smtp_tls = engine::parse_smtp_tls(m.smtp_tls).value_or(engine::SmtpTls::none);
  e.smtp_username = m.smtp_username;
  e.smtp_password_file = m.smtp_password_file;
}

}  // namespace

engine::EngineConfig engine_config(const Config& config) {
  engine::EngineConfig e;
  e.path = config.storage.path;
  // storage.map_size is the largest size: the map is set to it at once (LMDB's file grows
  // with the pages used, not with the map) and never grows past it.
  e.map_size = static_cast<std::size_t>(config.storage.map_size);
  e.max_map_size = e.map_size;
  e.durable = config.storage.durability == Durability::durable;
  e.default_region = config.default_region;
  if (!config.organization.prefix.empty())
    e.organization.prefix = config.organization.prefix;
  else if (!config.organization.name.empty())
    e.organization.prefix = config.organization.name;
  e.organization.name = config.organization.name;
  e.organization.email = config.organization.support_email;
  e.organization.help_text = config.organization.help_text;
  for (const auto& n : config.numbers) e.sending_numbers.push_back(n.number);
  e.retry_base_seconds = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(config.outbox.retry_base).count());
  e.default_credit_rate = static_cast<std::uint32_t>(std::lround(config.credits.default_rate));
  for (const auto& [region, rate] : config.credits.rates)
    e.credit_rates[region] = static_cast<std::uint32_t>(std::lround(rate));

  auto& s = e.initial_settings;
  const auto& c = config.conversations;
  switch (c.auto_responder.mode) {
    case AutoResponderMode::off:
      s.auto_responder.mode = engine::AutoResponderMode::off;
      break;
    case AutoResponderMode::non_consented:
      s.auto_responder.mode = engine::AutoResponderMode::non_consented;
      break;
    case AutoResponderMode::all:
      s.auto_responder.mode = engine::AutoResponderMode::all;
      break;
  }
  if (!c.auto_responder.message.empty()) s.auto_responder.message = c.auto_responder.message;
  s.auto_responder.period_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(c.auto_responder.period).count();
  // Additions to the floor every keyword table starts from (engine/keywords.hpp).
  s.keywords.opt_out = c.keywords.opt_out;
  s.keywords.opt_in = c.keywords.opt_in;
  s.keywords.help = c.keywords.help;
  s.keywords.revocation = c.keywords.revocation;
  s.keywords.opt_out_contains = c.keywords.opt_out_contains;
  // Templates as the engine keeps them: the config file's earlier {organization} and
  // {support_email} become {{organization.prefix}} and {{organization.email}} (both spellings
  // render the same; see engine/templates.hpp).
  auto engine_template = [](std::string text) {
    for (const auto& [from, to] :
         {std::pair<std::string, std::string>{"{organization}", "{{organization.prefix}}"},
          {"{support_email}", "{{organization.email}}"}}) {
      for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
        // Not inside a double-brace placeholder ("{{organization}}" stays as it is).
        if (pos > 0 && text[pos - 1] == '{') {
          pos += from.size();
          continue;
        }
        text.replace(pos, from.size(), to), pos += to.size();
      }
    }
    return text;
  };
  for (const auto& k : c.keywords.custom) {
    // The YAML's consent effects in the engine's words; "none" only answers.
    s.keywords.custom.push_back(engine::CustomKeyword{k.word, engine_template(k.reply),
                                                      k.action == "opt_in"    ? "subscribe"
                                                      : k.action == "opt_out" ? "unsubscribe"
                                                      : k.action == "help"    ? "help"
                                                                              : ""});
  }
  s.answers.opt_out = engine_template(c.replies.opt_out);
  s.answers.opt_in = engine_template(c.replies.opt_in);
  s.answers.help = engine_template(c.replies.help);
  s.auto_responder.message = engine_template(s.auto_responder.message);
  s.quiet_hours.enabled = c.quiet_hours.enabled;
  s.quiet_hours.default_window.start_minute = minutes_of(c.quiet_hours.start, 8 * 60);
  s.quiet_hours.default_window.end_minute = minutes_of(c.quiet_hours.end, 21 * 60);
  // Configured rules come on top of the built-in state rules.
  for (const auto& r : c.quiet_hours.rules) {
    s.quiet_hours.rules.push_back(engine::QuietHoursRule{
        r.name, r.regions,
        engine::QuietWindow{minutes_of(r.start, 8 * 60), minutes_of(r.end, 21 * 60)}});
  }
  s.frequency_caps.enabled = c.frequency_caps.enabled;
  // Configured caps come on top of the built-in state caps (the first that matches applies);
  // one named like a built-in rule (florida, oklahoma) replaces it in its place.
  for (const auto& r : c.frequency_caps.rules) {
    engine::FrequencyCapRule rule{
        r.name, r.regions, static_cast<std::uint32_t>(r.max),
        std::chrono::duration_cast<std::chrono::seconds>(r.period).count()};
    auto& rules = s.frequency_caps.rules;
    auto same = std::find_if(rules.begin(), rules.end(),
                             [&](const engine::FrequencyCapRule& b) { return b.name == r.name; });
    if (same != rules.end())
      *same = std::move(rule);
    else
      rules.push_back(std::move(rule));
  }
  set_email_notifications(c, s.notifications.email);
  // On by default once a domain is set.
  s.link_shortening.enabled = c.link_shortening.enabled && !c.link_shortening.domain.empty();
  s.link_shortening.domain = c.link_shortening.domain;
  s.link_shortening.listen = c.link_shortening.listen;
  s.link_shortening.expiry_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(c.link_shortening.expiry).count();
  return e;
}

std::vector<std::string> config_notes(const Config& config) {
  const engine::EngineConfig e = engine_config(config);
  std::vector<std::string> notes = engine::settings_notes(e.initial_settings, e.organization);
  for (auto& n : notes) {
    // The engine names its settings; the config file has them under `conversations`, with the
    // answers under `replies`.
    if (n.starts_with("answers.")) n.replace(0, 8, "replies.");
    n.insert(0, "conversations.");
  }
  if (config.conversations.notifications.legacy_form)
    notes.emplace_back(
        "conversations.notifications: the old form (enabled, email: [addresses]) is read as "
        "email.enabled and email.to; write `email: {enabled: true, to: [...], from: ..., smtp: "
        "{...}}` instead");
  return notes;
}

int run_daemon(Config config, const AppOptions& options) {
  std::unique_ptr<engine::Engine> engine;
  try {
    engine = std::make_unique<engine::Engine>(engine_config(config));
  } catch (const std::exception& e) {
    SPDLOG_CRITICAL("storage path={} cannot be opened: {}", config.storage.path, e.what());
    return 1;
  }

  boost::asio::io_context io;
  boost::asio::thread_pool admin_pool(2);
  Gateway gateway(io, *engine, config);
  // Cluster mode: connected before anything binds (a node that cannot reach NATS does not
  // take MO it could not log); destroyed before the gateway, whose answers its publishes wait for.
  std::unique_ptr<ClusterNode> cluster;
  if (config.cluster.enabled) {
    try {
      cluster = std::make_unique<ClusterNode>(config.cluster.config, *engine);
    } catch (const std::exception& e) {
      SPDLOG_CRITICAL("cluster: {}", e.what());
      return 1;
    }
    gateway.set_log(cluster.get());
  }
  EventHub events;
  LinkServer links(io, *engine);  // listens once the admin socket is up (below)

  AdminServerOptions admin_options;
  admin_options.path = config.admin.socket;
  admin_options.mode = config.admin.mode;
  admin_options.max_connections = config.admin.max_connections;
  admin_options.max_line = config.admin.max_line;
  admin_options.idle_timeout = config.admin.idle_timeout;
  admin_options.roles = config.admin.roles;
  admin_options.group = config.admin.group;
  AdminServer admin(io, admin_options);

  const SystemdNotifier notifier = SystemdNotifier::from_environment();
  std::mutex config_mu;
  // Loads the file and applies it, or returns why not (the running config then stays).
  auto apply_reload = [&]() -> ReloadResult {
    auto loaded = load_config_file(config.file);
    ReloadResult result;
    auto& problems = result.problems;
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) problems.push_back(e.to_string());
      return result;
    }
    std::lock_guard lock(config_mu);
    const auto diff = diff_configs(config, *loaded.config);
    Config next = *loaded.config;
    // What needs a restart keeps its running value.
    next.storage = config.storage;
    next.admin.socket = config.admin.socket;
    next.admin.mode = config.admin.mode;
    next.admin.group = config.admin.group;
    next.metrics = config.metrics;
    next.logging.format = config.logging.format;
    next.default_region = config.default_region;
    next.reassembly = config.reassembly;
    next.admin.max_connections = config.admin.max_connections;
    next.admin.max_line = config.admin.max_line;
    next.admin.idle_timeout = config.admin.idle_timeout;
    // The gateway builds every bind it must (re)start before it changes anything.
    problems = gateway.reload(next);
    if (!problems.empty()) return result;
    (void)set_log_level(next.logging.level);
    admin.set_roles(next.admin.roles);
    engine->reconfigure(engine_config(next));
    config = std::move(next);
    log_diff(diff);
    result.report = reload_report(diff);
    return result;
  };
  // SIGHUP and the admin `reload`: nothing escapes, a refusal leaves the old config running.
  auto reload = [&]() -> ReloadResult {
    (void)notifier.reloading();
    ReloadResult result;
    auto& problems = result.problems;
    try {
      result = apply_reload();
    } catch (const std::exception& e) {
      problems.push_back(std::string("reload failed: ") + e.what());
    } catch (...) {
      problems.push_back("reload failed");
    }
    for (const auto& p : problems) SPDLOG_ERROR("reload refused: {}", p);
    if (!problems.empty()) SPDLOG_WARN("reload refused: the running config stays in effect");
    (void)notifier.ready();
    return result;
  };

  // Email notifications on their own thread, fed by the change feed below.
  NotifierOptions notifier_options;
  notifier_options.publish = [&events](const nlohmann::json& event) {
    if (events.subscribers() > 0) events.publish(event);
  };
  Notifier mailer(*engine, std::move(notifier_options));

  AdminContext ctx{*engine, gateway, events, options.version};
  ctx.metrics_text = [&] {
    return metrics_text(*engine, gateway, admin) + mailer.metrics_text() +
           link_metrics_text(links.counters()) + (cluster ? cluster->metrics_text() : "");
  };
  ctx.notifications_status = [&] { return mailer.status_json(); };
  ctx.reload = reload;
  if (cluster) {
    ctx.cluster_status = [&] { return cluster->status_json(); };
    ctx.keeps_number = [&](const std::string& number) { return cluster->holds(number); };
    // Staff changes go through the customer's partition of the log.
    ctx.staff = [&](engine::StaffAction action) { return cluster->perform(std::move(action)); };
  }
  register_admin_commands(admin, ctx, admin_pool);
  // In a cluster the admin socket answers for every node (daemon/cluster_admin.hpp).
  std::unique_ptr<ClusterAdmin> cluster_admin;
  if (cluster) {
    try {
      cluster_admin = std::make_unique<ClusterAdmin>(admin, *cluster, admin_pool);
    } catch (const std::exception& e) {
      SPDLOG_CRITICAL("cluster: {}", e.what());
      return 1;
    }
  }

  std::function<void()> link_settings_changed;  // set once the redirect listener is open
  const auto subscription = engine->subscribe([&](const engine::Event& e) {
    gateway.note_event(e);
    if (e.type == engine::EventType::outbound && e.state == engine::MessageState::queued)
      gateway.kick();
    if (e.type == engine::EventType::settings && link_settings_changed) link_settings_changed();
    if (events.subscribers() > 0) events.publish(event_json(e));
    mailer.on_event(e);
  });
  mailer.start();

  if (auto ec = admin.start()) {
    // The loader checked admin.group; it can still vanish before the socket is made.
    const bool group_gone = ec == std::errc::invalid_argument && !config.admin.group.empty();
    SPDLOG_CRITICAL("admin socket path={} cannot be opened: {}", config.admin.socket,
                    group_gone ? "admin.group '" + config.admin.group +
                                     "' does not exist (create it, or set admin.group: \"\")"
                               : ec.message());
    engine->unsubscribe(subscription);
    mailer.stop();
    return 1;
  }
  // Optional Prometheus listener (the same text as the admin `metrics`).
  std::unique_ptr<MetricsHttpServer> metrics_http;
  if (!config.metrics.http_listen.empty()) {
    metrics_http = std::make_unique<MetricsHttpServer>(io, ctx.metrics_text);
    if (auto ec = metrics_http->start(config.metrics.http_listen)) {
      SPDLOG_CRITICAL("metrics listener listen={} cannot be opened: {}", config.metrics.http_listen,
                      ec.message());
      admin.stop();
      engine->unsubscribe(subscription);
      mailer.stop();
      return 1;
    }
  }
  // The short-link redirects: listening while a short domain is set (settings may change it).
  auto link_listen = [&] {
    const auto ls = engine->settings().link_shortening;
    return ls.domain.empty() ? std::string() : ls.listen;
  };
  if (auto ec = links.listen(link_listen())) {
    spdlog::error(
        "link redirects: cannot listen on {}: {}: short links do not redirect until "
        "link_shortening.listen is fixed",
        link_listen(), ec.message());
  }
  link_settings_changed = [&] { boost::asio::post(io, [&] { links.apply(link_listen()); }); };
  gateway.start();
  if (cluster) cluster->start();

  // Signals: TERM/INT stop gracefully within the bound; HUP reloads.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  bool stopping = false;
  bool storage_failed = false;
  boost::asio::steady_timer stop_deadline(io);
  std::function<void()> wait_signal;
  auto begin_stop = [&](const char* why) {
    if (stopping) return;
    stopping = true;
    SPDLOG_INFO("stopping: {}", why);
    (void)notifier.stopping();
    admin.stop();
    if (metrics_http) metrics_http->stop();
    links.stop();
    stop_deadline.expires_after(options.stop_timeout);
    stop_deadline.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      SPDLOG_WARN("stop bound of {} ms reached: closing what is left",
                  options.stop_timeout.count());
      io.stop();
    });
    gateway.stop(true, [&] {
      boost::asio::post(io, [&] {
        stop_deadline.cancel();
        signals.cancel();
        io.stop();
      });
    });
  };
  wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        boost::asio::post(admin_pool, [&] {
          try {
            (void)reload();
          } catch (...) {  // reload() logs its own failures; nothing may end the daemon here
          }
        });
      } else {
        begin_stop(signo == SIGTERM ? "SIGTERM" : "SIGINT");
      }
      wait_signal();
    });
  };
  wait_signal();

  // systemd: READY once listening, STATUS lines and the watchdog from the event loop.
  (void)notifier.ready();
  boost::asio::steady_timer status_timer(io);
  // storage.map_size is the largest the store may grow: say when it comes near, when it is
  // reached (inbound refused, retryable) and when writes go on again.
  bool store_near_full = false, store_full = false;
  auto watch_store_size = [&] {
    const std::size_t max = engine->max_map_size();
    if (max == 0) return;
    const std::size_t used = engine->store_used_bytes();
    if (!store_near_full && used >= max / 10 * 8) {
      store_near_full = true;
      SPDLOG_WARN(
          "storage near full: used_bytes={} map_size={} (storage.map_size): raise "
          "storage.map_size and restart before it fills",
          used, max);
    } else if (store_near_full && used < max / 10 * 7) {
      store_near_full = false;
    }
    const bool full = engine->store_full();
    if (full && !store_full) {
      SPDLOG_ERROR(
          "storage full: the store reached storage.map_size={} bytes; inbound messages are "
          "refused with a retryable status until room returns: raise storage.map_size and "
          "restart",
          max);
    } else if (!full && store_full) {
      SPDLOG_INFO("storage has room again: writes continue (refused so far: {})",
                  engine->store_full_refusals());
    }
    store_full = full;
  };
  std::uint64_t last_inbound = 0;
  const auto watchdog =
      std::chrono::duration_cast<std::chrono::milliseconds>(notifier.watchdog_interval());
  const auto tick = watchdog.count() > 0
                        ? std::min<std::chrono::milliseconds>(watchdog / 2, std::chrono::seconds(5))
                        : std::chrono::milliseconds(5000);
  std::function<void()> status_tick = [&] {
    status_timer.expires_after(tick);
    status_timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec || stopping) return;
      if (!engine->healthy()) {
        SPDLOG_CRITICAL("storage failed: stopping with exit status {} (systemd restarts it)",
                        kExitStorageFailure);
        storage_failed = true;
        begin_stop("storage failure");
        return;
      }
      watch_store_size();
      const auto [up, all] = gateway.binds_up();
      const auto inbound = gateway.counters().inbound_messages.load();
      const double per_second = static_cast<double>(inbound - last_inbound) /
                                std::max(0.001, std::chrono::duration<double>(tick).count());
      last_inbound = inbound;
      (void)notifier.status("binds up " + std::to_string(up) + "/" + std::to_string(all) +
                            ", inbound " + std::to_string(static_cast<long long>(per_second)) +
                            "/s");
      if (watchdog.count() > 0) (void)notifier.watchdog();
      status_tick();
    });
  };
  status_tick();

  SPDLOG_INFO("twowayd {} started: smscs={} numbers={} storage={} admin={}", options.version,
              config.smscs.size(), config.numbers.size(), config.storage.path, config.admin.socket);

  std::vector<std::thread> threads;
  for (int i = 1; i < options.io_threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();

  status_timer.cancel();
  admin.stop();
  engine->unsubscribe(subscription);
  mailer.stop();
  links.stop();  // the clicks counted last go to the engine before its final commit
  if (cluster_admin) cluster_admin->stop();  // no more requests from other nodes
  admin_pool.join();
  engine->flush();
  if (storage_failed) {
    // Non-zero, so systemd's Restart=on-failure brings the daemon back.
    SPDLOG_CRITICAL("stopped after a storage failure: exit status {}", kExitStorageFailure);
    return kExitStorageFailure;
  }
  SPDLOG_INFO("stopped: final commit done");
  return 0;
}

}  // namespace twoway::daemon
