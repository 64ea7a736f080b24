// The binds of the gateway: per configured SMSC, its sessions (one per `binds`), built from
// the config (password file, TLS files), started, stopped, rebound at reload, suspended and
// resumed from the admin socket, and the choice of a bind to submit on.
//
// Threading: any thread (the admin server, the reload, the pump's engine calls, sessions'
// state callbacks). Its state sits under its own mutex, held only for map work and calls
// into sessions that post and return (start, stop, stats, submit); never while waiting on the
// engine. Session callbacks run on the sessions' strands and take no lock of this class.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "smpp/session.hpp"

namespace twoway::daemon {

/// The session settings one configured SMSC bind gets; `password` is the config's, or what
/// the password file held when this (re)bind read it.
[[nodiscard]] smpp::SessionConfig session_config(const SmscConfig& smsc, int bind_index,
                                                 const std::string& password);

/// What the binds tell the rest of the gateway; each runs on a session's strand.
struct BindHooks {
  /// A deliver_sm / data_sm from SMSC `smsc` (the name in the config).
  std::function<void(const std::string& smsc, const smpp::Pdu&, smpp::InboundCompletion)> inbound;
  /// A bind became bound (something may be submitted now).
  std::function<void()> bound;
  /// A bound link dropped without being asked to: answers written just before may be lost.
  std::function<void()> link_lost;
};

class SmscBinds {
 public:
  SmscBinds(boost::asio::io_context& io, BindHooks hooks);

  /// Records the SMSCs of `config`; before start() nothing is built. After it: removed SMSCs
  /// unbind, added ones bind, changed ones (any key under smscs[], the password file's content
  /// included) rebind with the new settings at once, untouched healthy ones stay up, refused
  /// ones try again. The binds of added and changed SMSCs are built first: if one cannot be,
  /// nothing changes and the problems are returned, each naming the SMSC, the key and the file.
  [[nodiscard]] std::vector<std::string> reload(const Config& config);
  /// Builds and starts every SMSC's binds (a refusal is logged and kept in bind_error).
  void start();
  /// No bind starts from now on; returns the sessions that were running (for the caller to
  /// stop and wait for).
  [[nodiscard]] std::vector<std::shared_ptr<smpp::Session>> take_for_stop();

  bool suspend(const std::string& name);
  bool resume(const std::string& name);
  bool reconnect(const std::string& name);

  /// Requests the bound transmitting binds could take now: per bind, twice its window less
  /// what is queued and in flight.
  [[nodiscard]] std::size_t submit_room() const;
  /// A bound bind of `smsc` that can send and has room in its queue, round robin; null when
  /// there is none.
  [[nodiscard]] std::shared_ptr<smpp::Session> pick(const std::string& smsc);

  [[nodiscard]] nlohmann::json smsc_json() const;
  [[nodiscard]] std::pair<int, int> binds_up() const;
  [[nodiscard]] std::vector<std::pair<std::string, smpp::SessionStats>> session_stats() const;

 private:
  struct Bind {
    std::string id;  // "name#1"
    std::shared_ptr<smpp::Session> session;
  };
  struct Smsc {
    SmscConfig config;
    std::map<std::string, std::string> keys;  // effective values, compared at reload
    std::vector<Bind> binds;
    bool suspended = false;
    std::size_t next = 0;    // round robin over binds
    std::string bind_error;  // why the last (re)bind was refused; "" when it was not
  };
  /// The sessions of every bind of an SMSC, built and not started (the password file read once
  /// for all of them), or why they cannot be.
  struct Prepared {
    std::vector<Bind> binds;
    std::string problem;
  };

  Prepared prepare_binds(const SmscConfig& config);
  void start_smsc(Smsc& smsc);
  void start_binds(Smsc& smsc, std::vector<Bind> binds);
  void stop_smsc(Smsc& smsc, bool graceful);

  boost::asio::io_context& io_;
  const BindHooks hooks_;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Smsc> smscs_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace twoway::daemon
