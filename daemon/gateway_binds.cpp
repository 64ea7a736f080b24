// The binds of the gateway: sessions per configured SMSC, built, started, rebound at reload,
// suspended and resumed. See gateway_binds.hpp.
#include "daemon/gateway_binds.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "daemon/smsc_files.hpp"

namespace twoway::daemon {

smpp::SessionConfig session_config(const SmscConfig& smsc, int bind_index,
                                   const std::string& password) {
  smpp::SessionConfig s;
  s.name = smsc.name + "#" + std::to_string(bind_index + 1);
  s.host = smsc.host;
  s.port = smsc.port;
  switch (smsc.bind) {
    case BindMode::transceiver:
      s.bind_type = smpp::BindType::transceiver;
      break;
    case BindMode::receiver:
      s.bind_type = smpp::BindType::receiver;
      break;
    case BindMode::transmitter:
      s.bind_type = smpp::BindType::transmitter;
      break;
    case BindMode::pair:
      s.bind_type = smpp::BindType::receiver_transmitter;
      break;
  }
  s.system_id = smsc.system_id;
  s.password = password;
  s.system_type = smsc.system_type;
  s.interface_version = smsc.interface_version;
  s.addr_ton = smsc.addr_ton;
  s.addr_npi = smsc.addr_npi;
  s.address_range = smsc.address_range;
  s.window = static_cast<std::uint32_t>(smsc.window);
  s.rate_per_second = smsc.rate;
  s.max_queue = static_cast<std::size_t>(smsc.window) * 8 + 64;
  s.max_unanswered_inbound = static_cast<std::uint32_t>(smsc.max_unanswered_inbound);
  s.max_command_length = smsc.max_command_length;
  s.request_timeout = smsc.request_timeout;
  s.enquire_link_interval = smsc.enquire_link_interval;
  s.enquire_link_timeout = smsc.enquire_link_timeout;
  s.reconnect_min = smsc.reconnect_min;
  s.reconnect_max = smsc.reconnect_max;
  s.reconnect_factor = smsc.reconnect_factor;
  s.bind_failure_backoff = smsc.bind_failure_backoff;
  s.tls.enabled = smsc.tls.enabled;
  s.tls.ca_file = smsc.tls.ca_file;
  s.tls.cert_file = smsc.tls.cert_file;
  s.tls.key_file = smsc.tls.key_file;
  s.tls.verify = smsc.tls.verify;
  s.default_alphabet = std::string(to_string(smsc.default_alphabet));
  return s;
}

SmscBinds::SmscBinds(boost::asio::io_context& io, BindHooks hooks)
    : io_(io), hooks_(std::move(hooks)) {}

void SmscBinds::start() {
  std::lock_guard lock(mu_);
  started_ = true;
  for (auto& [name, smsc] : smscs_) start_smsc(smsc);
}

std::vector<std::shared_ptr<smpp::Session>> SmscBinds::take_for_stop() {
  std::vector<std::shared_ptr<smpp::Session>> sessions;
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (auto& [name, smsc] : smscs_) {
    for (auto& bind : smsc.binds) sessions.push_back(bind.session);
    smsc.binds.clear();
  }
  return sessions;
}

SmscBinds::Prepared SmscBinds::prepare_binds(const SmscConfig& sc) {
  Prepared out;
  std::string password = sc.password;
  if (password.empty() && !sc.password_file.empty()) {
    // Read once for this (re)bind: every bind of the SMSC uses what it held now.
    PasswordRead read = read_password_file(sc.password_file);
    if (!read.problem.empty()) {
      out.problem = describe(sc, SmscFileProblem{"password_file", sc.password_file, read.problem});
      return out;
    }
    password = std::move(read.password);
  }
  if (sc.tls.enabled) {
    // The session would only say "load_verify_file: asio.ssl error": name the file first.
    SmscConfig tls_only = sc;
    tls_only.password_file.clear();
    if (const auto problems = check_smsc_files(tls_only); !problems.empty()) {
      out.problem = describe(sc, problems.front());
      return out;
    }
  }
  try {
    for (int i = 0; i < sc.binds; ++i) {
      auto config = session_config(sc, i, password);
      std::string id = config.name;
      out.binds.push_back(Bind{std::move(id), smpp::Session::create(io_, std::move(config))});
    }
  } catch (const std::exception& e) {
    out.binds.clear();
    out.problem = "smsc=" + sc.name + ": " + e.what();
  }
  return out;
}

void SmscBinds::start_smsc(Smsc& smsc) {
  if (smsc.suspended || stopping_) return;
  Prepared prepared = prepare_binds(smsc.config);
  if (!prepared.problem.empty()) {
    smsc.bind_error = prepared.problem;
    SPDLOG_ERROR("bind refused: {}", prepared.problem);
    return;
  }
  start_binds(smsc, std::move(prepared.binds));
}

void SmscBinds::start_binds(Smsc& smsc, std::vector<Bind> binds) {
  smsc.bind_error.clear();
  if (smsc.suspended || stopping_) return;
  for (Bind& bind : binds) {
    const std::string name = smsc.config.name;
    bind.session->on_inbound([this, name](const smpp::Pdu& pdu, smpp::InboundCompletion c) {
      hooks_.inbound(name, pdu, std::move(c));
    });
    auto was_bound = std::make_shared<std::atomic<bool>>(false);
    bind.session->on_state([this, id = bind.id, was_bound](const smpp::StateEvent& e) {
      if (e.state == smpp::LinkState::bound) {
        was_bound->store(true);
        SPDLOG_INFO("bind={} state=bound", id);
        hooks_.bound();
        return;
      }
      const bool asked = e.error == smpp::make_error_code(smpp::errc::shutting_down);
      if (was_bound->exchange(false) && !asked) {
        // The link that carried our answers is gone: the last ones may never have left. (A
        // stop we asked for unbinds after the answers: the SMSC has them.)
        hooks_.link_lost();
      }
      if (asked) {
        // A stop we asked for (daemon stop, reload, suspend): not a fault.
        SPDLOG_INFO("bind={} state={}", id, smpp::link_state_name(e.state));
      } else if (e.error) {
        SPDLOG_WARN("bind={} state={} error=\"{}\" bind_status={} backoff_ms={}", id,
                    smpp::link_state_name(e.state), e.error.message(), e.bind_status,
                    e.backoff.count());
      }
    });
    bind.session->on_log([id = bind.id](smpp::LogLevel level, std::string_view text) {
      switch (level) {
        case smpp::LogLevel::debug:
          SPDLOG_DEBUG("bind={} {}", id, text);
          break;
        case smpp::LogLevel::info:
          SPDLOG_INFO("bind={} {}", id, text);
          break;
        case smpp::LogLevel::warn:
          SPDLOG_WARN("bind={} {}", id, text);
          break;
        case smpp::LogLevel::error:
          SPDLOG_ERROR("bind={} {}", id, text);
          break;
      }
    });
    bind.session->start();
    smsc.binds.push_back(std::move(bind));
  }
}

void SmscBinds::stop_smsc(Smsc& smsc, bool graceful) {
  for (auto& bind : smsc.binds) bind.session->stop(graceful);
  smsc.binds.clear();
}

std::vector<std::string> SmscBinds::reload(const Config& config) {
  std::lock_guard lock(mu_);
  // First what can be refused: the binds of added and changed SMSCs are built (password file
  // read, TLS files loaded) before anything running is touched.
  enum class Change { none, added, changed, retry };
  std::vector<Change> changes(config.smscs.size(), Change::none);
  std::vector<std::map<std::string, std::string>> keys(config.smscs.size());
  std::map<std::string, Prepared> prepared;
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < config.smscs.size(); ++i) {
    const SmscConfig& sc = config.smscs[i];
    keys[i] = smsc_keys(config, i);
    auto it = smscs_.find(sc.name);
    if (it == smscs_.end()) {
      changes[i] = Change::added;
    } else if (it->second.keys != keys[i] || !(it->second.config == sc)) {
      changes[i] = Change::changed;
    } else if (it->second.binds.empty() && !it->second.bind_error.empty() &&
               !it->second.suspended) {
      changes[i] = Change::retry;  // its last bind was refused: try again
    }
    if (changes[i] == Change::none || !started_) continue;
    Prepared p = prepare_binds(sc);
    if (!p.problem.empty())
      problems.push_back(std::move(p.problem));
    else
      prepared.emplace(sc.name, std::move(p));
  }
  if (!problems.empty()) return problems;  // the unstarted sessions go with `prepared`

  std::set<std::string> names;
  for (std::size_t i = 0; i < config.smscs.size(); ++i) {
    const SmscConfig& sc = config.smscs[i];
    names.insert(sc.name);
    auto take_binds = [&] {
      auto p = prepared.find(sc.name);
      return p == prepared.end() ? std::vector<Bind>{} : std::move(p->second.binds);
    };
    if (changes[i] == Change::added) {
      Smsc smsc;
      smsc.config = sc;
      smsc.keys = keys[i];
      auto [pos, ok] = smscs_.emplace(sc.name, std::move(smsc));
      if (started_) start_binds(pos->second, take_binds());
      continue;
    }
    Smsc& smsc = smscs_.at(sc.name);
    if (changes[i] == Change::changed) {
      std::string which;
      for (const auto& [key, value] : keys[i]) {
        auto old = smsc.keys.find(key);
        if (old == smsc.keys.end() || old->second != value)
          which += (which.empty() ? "" : ",") + key;
      }
      for (const auto& [key, value] : smsc.keys)
        if (!keys[i].count(key)) which += (which.empty() ? "" : ",") + key;
      smsc.config = sc;
      smsc.keys = keys[i];
      if (started_) {
        // A bind waiting in backoff is replaced too: the new settings apply at once.
        SPDLOG_INFO("smsc={} config changed keys={}: rebinding", sc.name, which);
        stop_smsc(smsc, true);
        start_binds(smsc, take_binds());
      }
    } else if (changes[i] == Change::retry && started_) {
      SPDLOG_INFO("smsc={} binding again after its refused bind", sc.name);
      start_binds(smsc, take_binds());
    }
  }
  for (auto it = smscs_.begin(); it != smscs_.end();) {
    if (names.count(it->first) == 0) {
      SPDLOG_INFO("smsc={} removed from the config: unbinding", it->first);
      stop_smsc(it->second, true);
      it = smscs_.erase(it);
    } else {
      ++it;
    }
  }
  return {};
}

bool SmscBinds::suspend(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = smscs_.find(name);
  if (it == smscs_.end()) return false;
  it->second.suspended = true;
  stop_smsc(it->second, true);
  return true;
}

bool SmscBinds::resume(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = smscs_.find(name);
  if (it == smscs_.end()) return false;
  if (it->second.suspended) {
    it->second.suspended = false;
    start_smsc(it->second);
  }
  return true;
}

bool SmscBinds::reconnect(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = smscs_.find(name);
  if (it == smscs_.end()) return false;
  stop_smsc(it->second, true);
  it->second.suspended = false;
  start_smsc(it->second);
  return true;
}

nlohmann::json SmscBinds::smsc_json() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard lock(mu_);
  for (const auto& [name, smsc] : smscs_) {
    nlohmann::json binds = nlohmann::json::array();
    for (const auto& bind : smsc.binds) {
      const auto s = bind.session->stats();
      binds.push_back({{"id", bind.id},
                       {"state", smpp::link_state_name(s.state)},
                       {"window_in_use", s.window_in_use},
                       {"window", s.window_size},
                       {"queue", s.queue_depth},
                       {"inbound_unanswered", s.inbound_unanswered},
                       {"submits_ok", s.submits_ok},
                       {"submits_failed", s.submits_failed},
                       {"throttles", s.throttles},
                       {"reconnects", s.reconnects},
                       {"inbound_received", s.inbound_received},
                       {"pdus_out",
                        [&] {
                          std::uint64_t n = 0;
                          for (const auto& [id, count] : s.pdus_out) n += count;
                          return n;
                        }()},
                       {"writes", s.writes},
                       {"last_error", s.last_error}});
    }
    nlohmann::json entry = {{"name", name},
                            {"host", smsc.config.host},
                            {"port", smsc.config.port},
                            {"bind", to_string(smsc.config.bind)},
                            {"suspended", smsc.suspended},
                            {"binds", std::move(binds)}};
    if (!smsc.bind_error.empty()) entry["bind_error"] = smsc.bind_error;
    out.push_back(std::move(entry));
  }
  return out;
}

std::pair<int, int> SmscBinds::binds_up() const {
  std::lock_guard lock(mu_);
  int up = 0, all = 0;
  for (const auto& [name, smsc] : smscs_) {
    all += smsc.config.binds;
    for (const auto& bind : smsc.binds)
      if (bind.session->stats().state == smpp::LinkState::bound) ++up;
  }
  return {up, all};
}

std::vector<std::pair<std::string, smpp::SessionStats>> SmscBinds::session_stats() const {
  std::vector<std::pair<std::string, smpp::SessionStats>> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, smsc] : smscs_)
    for (const auto& bind : smsc.binds) out.emplace_back(bind.id, bind.session->stats());
  return out;
}

std::size_t SmscBinds::submit_room() const {
  std::size_t room = 0;
  std::lock_guard lock(mu_);
  for (const auto& [name, smsc] : smscs_) {
    if (smsc.config.bind == BindMode::receiver) continue;
    for (const auto& bind : smsc.binds) {
      const auto stats = bind.session->stats();
      if (stats.state != smpp::LinkState::bound) continue;
      const std::size_t want = static_cast<std::size_t>(smsc.config.window) * 2;
      const std::size_t busy = stats.queue_depth + stats.window_in_use;
      if (busy < want) room += want - busy;
    }
  }
  return room;
}

std::shared_ptr<smpp::Session> SmscBinds::pick(const std::string& name) {
  std::lock_guard lock(mu_);
  auto s = smscs_.find(name);
  if (s == smscs_.end() || s->second.binds.empty()) return nullptr;
  auto& smsc = s->second;
  for (std::size_t i = 0; i < smsc.binds.size(); ++i) {
    auto& bind = smsc.binds[(smsc.next + i) % smsc.binds.size()];
    const auto stats = bind.session->stats();
    const bool can_send = stats.state == smpp::LinkState::bound &&
                          smsc.config.bind != BindMode::receiver &&
                          stats.queue_depth < bind.session->config().max_queue;
    if (can_send) {
      smsc.next = (smsc.next + i + 1) % smsc.binds.size();
      return bind.session;
    }
  }
  return nullptr;
}

}  // namespace twoway::daemon
