// The SMPP side of twowayd: sessions per SMSC, inbound through reassembly into the engine with
// acknowledgement after commit, receipts, and the outbox pump. See gateway.hpp.
#include "daemon/gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "daemon/logging.hpp"
#include "daemon/smsc_files.hpp"
#include "smpp/receipt.hpp"
#include "smpp/udh.hpp"

namespace twoway::daemon {
namespace {

using Clock = std::chrono::system_clock;

// Completed concatenated messages remembered, so a part the SMSC sends again after its
// message was completed (a lost answer) is recognised instead of starting a new message. A
// repeated part is held and stored like any other unless its identity TLV proves it a retry:
// a reused reference is never taken for a duplicate (see smpp::Reassembler).
constexpr std::size_t kRecentCompletedSets = 10'000;

// When a bound link drops, deliver_sm_resp written to it in about this many seconds before
// may still have been in a buffer: the SMSC may redeliver those MO (see
// Engine::note_unconfirmed_answers). Received times are what the engine compares, and an
// answer follows its MO's receipt by the commit, so the window reaches a little further back.
constexpr std::int64_t kUnconfirmedAnswerSeconds = 15;

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

/// Digits of a number as it goes on the wire ("+15551234567" -> "15551234567").
std::string wire_number(std::string_view number) {
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  return std::string(number);
}

/// TON/NPI for a numeric address: international E.164 (TON 1, NPI 1) for long numbers,
/// network-specific (TON 3, NPI 0) for short codes.
std::pair<std::uint8_t, std::uint8_t> ton_npi(std::string_view number) {
  const bool international = !number.empty() && number.front() == '+';
  if (international || number.size() > 8) return {1, 1};
  return {3, 0};
}

engine::ReceiptState receipt_state(smpp::MessageState s) {
  using S = smpp::MessageState;
  switch (s) {
    case S::delivered:
      return engine::ReceiptState::delivered;
    case S::accepted:
    case S::enroute:
    case S::scheduled:
      return engine::ReceiptState::accepted;
    case S::expired:
      return engine::ReceiptState::expired;
    case S::rejected:
      return engine::ReceiptState::rejected;
    case S::deleted:
    case S::undeliverable:
    case S::skipped:
      return engine::ReceiptState::failed;
    case S::unknown:
      return engine::ReceiptState::unknown;
  }
  return engine::ReceiptState::unknown;
}

smpp::DefaultAlphabet default_alphabet(Alphabet a) {
  switch (a) {
    case Alphabet::gsm7:
      return smpp::DefaultAlphabet::gsm7_unpacked;
    case Alphabet::gsm7_packed:
      return smpp::DefaultAlphabet::gsm7_packed;
    case Alphabet::latin1:
      return smpp::DefaultAlphabet::latin1;
    case Alphabet::ascii:
      return smpp::DefaultAlphabet::ascii;
  }
  return smpp::DefaultAlphabet::gsm7_unpacked;
}

smpp::Concatenation concatenation(Concatenation c) {
  switch (c) {
    case Concatenation::udh8:
      return smpp::Concatenation::udh8;
    case Concatenation::udh16:
      return smpp::Concatenation::udh16;
    case Concatenation::sar:
      return smpp::Concatenation::sar;
    case Concatenation::payload:
      return smpp::Concatenation::payload;
  }
  return smpp::Concatenation::udh8;
}

/// What identifies one MO across an SMSC's redeliveries, as far as the PDU tells: the
/// concatenation reference of a part, and the ESME-visible references some SMSCs add.
std::string message_reference(const smpp::ShortMessage* sm, const smpp::DataSm* ds) {
  const smpp::TlvList& tlvs = sm != nullptr ? sm->tlvs : ds->tlvs;
  std::string ref;
  if (auto umr = smpp::tlv_uint(tlvs, smpp::tag::user_message_reference))
    ref += "umr:" + std::to_string(*umr) + ";";
  if (auto sar = smpp::tlv_uint(tlvs, smpp::tag::sar_msg_ref_num)) {
    ref += "sar:" + std::to_string(*sar) + "/" +
           std::to_string(smpp::tlv_uint(tlvs, smpp::tag::sar_total_segments).value_or(0)) + ";";
  }
  if (sm != nullptr && (sm->esm_class & smpp::esm::udhi)) {
    smpp::Udh udh;
    if (smpp::parse_udh(sm->short_message, udh) == smpp::UdhStatus::ok) {
      if (auto c = udh.concat())
        ref += "udh:" + std::to_string(c->ref) + "/" + std::to_string(c->total) + ";";
    }
  }
  return ref;
}

/// Whether a submit went wrong on the way (the link, the bind, a timeout: the SMSC decided
/// nothing, or said we are not bound) or the SMSC refused the message.
engine::SubmitFailure submit_failure(const smpp::SubmitResult& r) {
  using F = engine::SubmitFailure;
  if (!r.error) {
    if (r.status == smpp::status::invbndsts) return F::transport;  // it lost our bind
    return smpp::is_retryable_status(r.status) ? F::refused_retryable : F::refused;
  }
  if (r.error.category() != smpp::smpp_category()) return F::transport;  // socket, TLS
  switch (static_cast<smpp::errc>(r.error.value())) {
    case smpp::errc::timeout:
    case smpp::errc::connection_lost:
    case smpp::errc::shutting_down:
    case smpp::errc::not_bound:
    case smpp::errc::window_full:
    case smpp::errc::bind_failed:
    case smpp::errc::bind_refused:
    case smpp::errc::throttled:  // asked to slow down, not refused
      return F::transport;
    default:  // generic_nack, or a request we could not encode
      return r.retryable ? F::refused_retryable : F::refused;
  }
}

}  // namespace

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

Gateway::Gateway(boost::asio::io_context& io, engine::Engine& engine, const Config& config)
    : io_(io),
      engine_(engine),
      strand_(boost::asio::make_strand(io)),
      pump_timer_(io),
      expire_timer_(io),
      reassembler_(smpp::ReassemblyConfig{
          config.reassembly.timeout.count(),
          static_cast<std::size_t>(config.reassembly.max_partials_per_source), 100'000, 64u << 20,
          kRecentCompletedSets}) {
  (void)reload(config);  // records the SMSCs; nothing is built before start()
}

Gateway::~Gateway() {
  engine_calls_.join();
}

void Gateway::start() {
  // Parts acknowledged before a restart wait for their siblings again.
  std::vector<smpp::ReassembledMessage> restored;
  try {
    const auto parts = engine_.stored_partials();
    std::lock_guard lock(mu_);
    for (const auto& p : parts) {
      stored_[p.token] = p.now_ms;
      next_token_ = std::max(next_token_, p.token + 1);
    }
    restored = reassembler_.restore(parts);
    if (!parts.empty()) SPDLOG_INFO("reassembly: {} stored parts restored", parts.size());
  } catch (const std::exception& e) {
    SPDLOG_ERROR("reassembly: stored parts could not be read: {}", e.what());
  }
  for (auto& m : restored) deliver(std::move(m));
  {
    std::lock_guard lock(mu_);
    binds_started_ = true;
    for (auto& [name, smsc] : smscs_) start_smsc(smsc);
  }
  expire_partials();
  kick();
}

Gateway::Prepared Gateway::prepare_binds(const SmscConfig& sc) {
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

void Gateway::start_smsc(Smsc& smsc) {
  if (smsc.suspended || stopping_) return;
  Prepared prepared = prepare_binds(smsc.config);
  if (!prepared.problem.empty()) {
    smsc.bind_error = prepared.problem;
    SPDLOG_ERROR("bind refused: {}", prepared.problem);
    return;
  }
  start_binds(smsc, std::move(prepared.binds));
}

void Gateway::start_binds(Smsc& smsc, std::vector<Bind> binds) {
  smsc.bind_error.clear();
  if (smsc.suspended || stopping_) return;
  for (Bind& bind : binds) {
    const std::string name = smsc.config.name;
    bind.session->on_inbound([this, name](const smpp::Pdu& pdu, smpp::InboundCompletion c) {
      on_inbound(name, pdu, std::move(c));
    });
    auto was_bound = std::make_shared<std::atomic<bool>>(false);
    bind.session->on_state([this, id = bind.id, was_bound](const smpp::StateEvent& e) {
      if (e.state == smpp::LinkState::bound) {
        was_bound->store(true);
        SPDLOG_INFO("bind={} state=bound", id);
        kick();
        return;
      }
      const bool asked = e.error == smpp::make_error_code(smpp::errc::shutting_down);
      if (was_bound->exchange(false) && !asked) {
        // The link that carried our answers is gone: the last ones may never have left. (A
        // stop we asked for unbinds after the answers: the SMSC has them.)
        const std::int64_t at = now_unix();
        boost::asio::post(engine_calls_, [this, at] {
          try {
            engine_.note_unconfirmed_answers(at - kUnconfirmedAnswerSeconds, at + 1);
          } catch (const std::exception& ex) {
            SPDLOG_ERROR("could not record the answers a dropped link may have lost: {}",
                         ex.what());
          }
        });
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

void Gateway::stop_smsc(Smsc& smsc, bool graceful) {
  for (auto& bind : smsc.binds) bind.session->stop(graceful);
  smsc.binds.clear();
}

void Gateway::stop(bool graceful, std::function<void()> done) {
  std::vector<std::shared_ptr<smpp::Session>> sessions;
  std::unordered_map<std::uint64_t, HeldPart> held;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [name, smsc] : smscs_) {
      for (auto& bind : smsc.binds) sessions.push_back(bind.session);
      smsc.binds.clear();
    }
    held.swap(held_);
  }
  pump_timer_.cancel();
  expire_timer_.cancel();
  // Unanswered parts are refused now, while the links are still up: the SMSC redelivers.
  for (auto& [token, part] : held) part.completion->respond(smpp::status::x_t_appn);
  if (sessions.empty()) {
    if (done) boost::asio::post(io_, std::move(done));
    return;
  }
  auto remaining = std::make_shared<std::atomic<std::size_t>>(sessions.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& s : sessions) {
    s->stop(graceful, [remaining, finish] {
      if (remaining->fetch_sub(1) == 1 && *finish) (*finish)();
    });
  }
}

std::vector<std::string> Gateway::reload(const Config& config) {
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
    if (changes[i] == Change::none || !binds_started_) continue;
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
      if (binds_started_) start_binds(pos->second, take_binds());
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
      if (binds_started_) {
        // A bind waiting in backoff is replaced too: the new settings apply at once.
        SPDLOG_INFO("smsc={} config changed keys={}: rebinding", sc.name, which);
        stop_smsc(smsc, true);
        start_binds(smsc, take_binds());
      }
    } else if (changes[i] == Change::retry && binds_started_) {
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
  number_smsc_.clear();
  for (const auto& n : config.numbers) number_smsc_[wire_number(n.number)] = n.smsc;
  decode_options_.clear();
  segment_options_.clear();
  for (const auto& sc : config.smscs) {
    smpp::DecodeOptions d;
    d.default_alphabet = default_alphabet(sc.default_alphabet);
    decode_options_[sc.name] = d;
    smpp::SegmentOptions s;
    s.concatenation = concatenation(sc.concatenation);
    s.gsm7_packed = sc.default_alphabet == Alphabet::gsm7_packed;
    segment_options_[sc.name] = s;
  }
  return {};
}

void Gateway::kick() {
  schedule_pump(std::chrono::milliseconds(0));
}

void Gateway::note_event(const engine::Event& event) {
  if (event.type == engine::EventType::outbound && event.detail == "confirmation_expired") {
    counters_.confirmations_expired.fetch_add(1, std::memory_order_relaxed);
    SPDLOG_WARN(
        "opt-out confirmation dropped reason=confirmation_expired: it could not leave within "
        "five minutes of the opt-out (no SMSC took it); the opt-out itself stands");
    return;
  }
  if (event.type != engine::EventType::inbound) return;
  if (event.unrouted) {
    // Logged for the first few and then every thousandth: a routing mistake at the SMSC can
    // bring many, and each one is applied anyway (opt-outs included).
    const auto n = counters_.unrouted_messages.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n <= 10 || n % 1000 == 0)
      SPDLOG_WARN(
          "inbound to unrouted destination={} count={}: not a configured number (numbers[]); "
          "applied, and answered from that number",
          log_value(event.destination), n);
  }
  if (event.revocation_suspected)
    counters_.revocation_flags.fetch_add(1, std::memory_order_relaxed);
  if (event.kind == engine::MessageKind::keyword) {
    counters_.keyword_messages.fetch_add(1, std::memory_order_relaxed);
  } else if (event.kind == engine::MessageKind::inbound) {
    counters_.free_text_messages.fetch_add(1, std::memory_order_relaxed);
  }
}

bool Gateway::suspend(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = smscs_.find(name);
  if (it == smscs_.end()) return false;
  it->second.suspended = true;
  stop_smsc(it->second, true);
  return true;
}

bool Gateway::resume(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = smscs_.find(name);
  if (it == smscs_.end()) return false;
  if (it->second.suspended) {
    it->second.suspended = false;
    start_smsc(it->second);
  }
  return true;
}

bool Gateway::reconnect(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = smscs_.find(name);
  if (it == smscs_.end()) return false;
  stop_smsc(it->second, true);
  it->second.suspended = false;
  start_smsc(it->second);
  return true;
}

// ---- inbound -------------------------------------------------------------------------------

void Gateway::on_inbound(const std::string& smsc, const smpp::Pdu& pdu,
                         smpp::InboundCompletion completion) {
  const auto* sm = pdu.as<smpp::ShortMessage>();
  const auto* ds = pdu.as<smpp::DataSm>();
  if (sm == nullptr && ds == nullptr) {
    completion.respond(smpp::status::ok);  // nothing for the engine in it
    return;
  }
  auto shared = std::make_shared<smpp::InboundCompletion>(std::move(completion));
  const std::uint8_t esm_class = sm != nullptr ? sm->esm_class : ds->esm_class;
  if (smpp::is_receipt(esm_class)) {
    on_receipt(smsc, pdu, std::move(shared));
    return;
  }
  counters_.inbound_parts.fetch_add(1, std::memory_order_relaxed);
  // Parts reach the engine in the order the reassembler took them (sessions run on several
  // threads): a late duplicate's answer is queued behind the message it belongs to.
  std::lock_guard order(inbound_order_mu_);
  smpp::AddResult result;
  std::uint64_t held_token = 0;
  std::int64_t held_ms = 0;
  bool joins_write = false;
  {
    std::lock_guard lock(mu_);
    const std::uint64_t token = next_token_++;
    held_token = token;
    held_ms = now_ms();
    held_.emplace(token, HeldPart{shared, message_reference(sm, ds),
                                  sm != nullptr ? sm->source_addr_ton : ds->source_addr_ton,
                                  sm != nullptr ? sm->source_addr_npi : ds->source_addr_npi});
    const auto part = sm != nullptr ? smpp::inbound_part(smsc, *sm, held_ms, token)
                                    : smpp::inbound_part(smsc, *ds, held_ms, token);
    result = reassembler_.add(part);
    if (result.outcome == smpp::PartOutcome::duplicate) {
      // A resent copy of a part held but maybe not yet stored: answered with its write.
      auto w = partial_writes_.find(result.original_token);
      if (w != partial_writes_.end()) {
        w->second.push_back(token);
        joins_write = true;
      }
    }
  }
  for (auto& m : result.flushed) deliver(std::move(m));
  if (result.message) deliver(std::move(*result.message));
  if (joins_write) {
    // Answered when the held copy's write settles (store_partial).
  } else if (result.outcome == smpp::PartOutcome::held) {
    const auto part = sm != nullptr ? smpp::inbound_part(smsc, *sm, held_ms, held_token)
                                    : smpp::inbound_part(smsc, *ds, held_ms, held_token);
    store_partial(part);
  } else if (result.outcome == smpp::PartOutcome::duplicate) {
    // A resent copy of a part already stored durably.
    answer({held_token}, smpp::status::ok);
  } else if (result.outcome == smpp::PartOutcome::late_duplicate) {
    // A part resent after its message was completed (its answer was lost; its identity TLV or
    // the set now holding its number with other bytes says so): answered once the message,
    // handed to the engine earlier, is committed; it starts no message of its own.
    engine_.after_pending([this, held_token](bool committed) {
      answer({held_token}, committed ? smpp::status::ok : smpp::status::x_t_appn);
    });
  }
}

void Gateway::store_partial(const smpp::InboundPart& part) {
  const std::uint64_t token = part.token;
  {
    // Recorded before the write is queued: the message that completes this part removes the
    // stored copy in its own transaction, which the writer commits after this one.
    std::lock_guard lock(mu_);
    stored_[token] = part.now_ms;
    partial_writes_.emplace(token, std::vector<std::uint64_t>{});
  }
  auto stored = smpp::StoredPart::from(part);
  auto kept = std::make_shared<smpp::StoredPart>(stored);
  engine_.submit_partial(std::move(stored), [this, token, kept](bool committed) {
    std::vector<std::uint64_t> tokens{token};
    {
      std::lock_guard lock(mu_);
      if (auto w = partial_writes_.find(token); w != partial_writes_.end()) {
        tokens.insert(tokens.end(), w->second.begin(), w->second.end());
        partial_writes_.erase(w);
      }
      if (!committed && reassembler_.withdraw(kept->view())) {
        // Refused to the SMSC, which sends it again: held only in memory, it must not make
        // that copy look like a duplicate, nor complete a message without it being stored.
        stored_.erase(token);
      }
    }
    answer(tokens, committed ? smpp::status::ok : smpp::status::x_t_appn);
  });
}

void Gateway::on_receipt(const std::string& smsc, const smpp::Pdu& pdu,
                         std::shared_ptr<smpp::InboundCompletion> completion) {
  counters_.receipts.fetch_add(1, std::memory_order_relaxed);
  const auto* sm = pdu.as<smpp::ShortMessage>();
  const auto fields =
      sm != nullptr ? smpp::receipt_fields(*sm) : smpp::receipt_fields(*pdu.as<smpp::DataSm>());
  const auto info = smpp::parse_receipt(fields);
  if (!info) {
    SPDLOG_WARN("smsc={} receipt without a message id: acknowledged and ignored", smsc);
    completion->respond(smpp::status::ok);
    return;
  }
  engine::Receipt r;
  r.smsc = smsc;
  r.message_id = std::string(info->message_id);
  r.state = receipt_state(info->state);
  r.error = std::string(info->err);
  if (r.error.empty() && info->network_error)
    r.error = std::to_string(info->network_error->network_type) + ":" +
              std::to_string(info->network_error->error_code);
  r.received_unix = now_unix();
  r.time_unix = info->done_date ? info->done_date->unix_seconds() : r.received_unix;
  SPDLOG_DEBUG("receipt smsc={} message_id={} state={}", smsc, log_value(r.message_id),
               smpp::to_string(info->state));
  submit_receipt(std::move(r), std::move(completion));
}

void Gateway::submit_receipt(engine::Receipt receipt,
                             std::shared_ptr<smpp::InboundCompletion> completion) {
  engine_.submit_receipt(std::move(receipt), [completion](bool committed) {
    completion->respond(committed ? smpp::status::ok : smpp::status::x_t_appn);
  });
}

void Gateway::deliver(smpp::ReassembledMessage message) {
  engine::InboundMessage in;
  in.smsc = message.smsc;
  in.source = message.source;
  in.destination = message.destination;
  in.media_omitted = message.media_omitted;
  in.incomplete = message.incomplete;
  in.received_unix = message.first_received_ms / 1000;
  smpp::DecodeOptions options;
  {
    std::lock_guard lock(mu_);
    if (auto it = decode_options_.find(message.smsc); it != decode_options_.end())
      options = it->second;
    if (!message.tokens.empty()) {
      if (auto it = held_.find(message.tokens.front()); it != held_.end()) {
        in.message_reference = it->second.reference;
        in.source_ton = it->second.source_ton;
        in.source_npi = it->second.source_npi;
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    for (auto t : message.tokens) {
      if (auto it = stored_.find(t); it != stored_.end()) {
        in.stored_parts.push_back(engine::PartKey{it->second, t});
        stored_.erase(it);
      }
    }
  }
  if (message.late_duplicate) {
    // Every part it held repeated a message completed just before (the SMSC re-sent parts
    // whose answers it lost): nothing new to store. The stored copies go; the parts were
    // answered when they were stored, any still waiting are answered now.
    spdlog::debug("smsc={} reassembly: {} part(s) repeating a completed message answered",
                  message.smsc, message.tokens.size());
    boost::asio::post(engine_calls_, [this, keys = std::move(in.stored_parts),
                                      tokens = std::move(message.tokens)]() mutable {
      if (!keys.empty()) engine_.drop_partials(std::move(keys));
      engine_.after_pending([this, tokens = std::move(tokens)](bool committed) {
        answer(tokens, committed ? smpp::status::ok : smpp::status::x_t_appn);
      });
    });
    return;
  }
  (void)smpp::decode_message_text(message, in.text, options);
  if (message.incomplete) counters_.incomplete_messages.fetch_add(1, std::memory_order_relaxed);
  counters_.inbound_messages.fetch_add(1, std::memory_order_relaxed);
  engine_.submit_inbound(std::move(in), [this, tokens = std::move(message.tokens)](bool committed) {
    answer(tokens, committed ? smpp::status::ok : smpp::status::x_t_appn);
  });
}

void Gateway::answer(const std::vector<std::uint64_t>& tokens, std::uint32_t status) {
  std::vector<std::shared_ptr<smpp::InboundCompletion>> completions;
  {
    std::lock_guard lock(mu_);
    for (auto t : tokens) {
      auto it = held_.find(t);
      if (it == held_.end()) continue;
      completions.push_back(std::move(it->second.completion));
      held_.erase(it);
    }
  }
  if (status != smpp::status::ok)
    counters_.inbound_refused.fetch_add(completions.size(), std::memory_order_relaxed);
  for (auto& c : completions) c->respond(status);
}

void Gateway::expire_partials() {
  std::vector<smpp::ReassembledMessage> expired;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    expired = reassembler_.expire(now_ms());
  }
  for (auto& m : expired) deliver(std::move(m));
  expire_timer_.expires_after(std::chrono::seconds(1));
  expire_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) expire_partials();
  });
}

std::size_t Gateway::reassembly_pending() const {
  std::lock_guard lock(mu_);
  return reassembler_.pending();
}

// ---- outbound ------------------------------------------------------------------------------

void Gateway::schedule_pump(std::chrono::milliseconds after) {
  boost::asio::post(strand_, [this, after] {
    if (stopping_) return;
    if (after.count() == 0) {
      if (pump_scheduled_) pump_timer_.cancel();  // run now instead of later
      pump_scheduled_ = true;
      boost::asio::post(engine_calls_, [this] { pump(); });
      return;
    }
    if (pump_scheduled_) return;
    pump_scheduled_ = true;
    pump_timer_.expires_after(after);
    pump_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      boost::asio::post(engine_calls_, [this] { pump(); });
    });
  });
}

Gateway::Bind* Gateway::pick_bind(const std::string& sending_number) {
  auto n = number_smsc_.find(wire_number(sending_number));
  if (n == number_smsc_.end()) return nullptr;
  auto s = smscs_.find(n->second);
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
      return &bind;
    }
  }
  return nullptr;
}

void Gateway::pump() {
  std::size_t room = 0;
  {
    std::lock_guard lock(mu_);
    boost::asio::post(strand_, [this] { pump_scheduled_ = false; });
    if (stopping_) return;
    for (auto& [name, smsc] : smscs_) {
      if (smsc.config.bind == BindMode::receiver) continue;
      for (auto& bind : smsc.binds) {
        const auto stats = bind.session->stats();
        if (stats.state != smpp::LinkState::bound) continue;
        const std::size_t want = static_cast<std::size_t>(smsc.config.window) * 2;
        const std::size_t busy = stats.queue_depth + stats.window_in_use;
        if (busy < want) room += want - busy;
      }
    }
    constexpr std::size_t kMaxInFlight = 2000;
    room = std::min(room, in_flight_ < kMaxInFlight ? kMaxInFlight - in_flight_ : 0);
  }
  if (room == 0) {
    schedule_pump(std::chrono::milliseconds(200));
    return;
  }
  const auto now = now_unix();
  std::vector<engine::OutboundItem> items;
  try {
    items = engine_.claim_due(now, room);
  } catch (const std::exception& e) {
    SPDLOG_ERROR("outbox claim failed: {}", e.what());
  }
  for (const auto& item : items) submit_item(item, now);
  schedule_pump(items.size() >= room ? std::chrono::milliseconds(1)
                                     : std::chrono::milliseconds(250));
}

void Gateway::submit_item(const engine::OutboundItem& item, std::int64_t now) {
  struct Tracker {
    std::uint64_t id;
    std::atomic<std::size_t> remaining;
    std::atomic<bool> failed{false};
  };
  std::shared_ptr<smpp::Session> session;
  smpp::SegmentOptions options;
  {
    std::lock_guard lock(mu_);
    Bind* bind = pick_bind(item.from);
    if (bind != nullptr) {
      session = bind->session;
      auto smsc = number_smsc_.find(wire_number(item.from));
      options = segment_options_[smsc->second];
    }
    // Stable across attempts: a retry of some segments must carry the first attempt's reference.
    options.reference = static_cast<std::uint16_t>(item.id);
    ++in_flight_;
  }
  auto settle = [this] {
    {
      std::lock_guard lock(mu_);
      --in_flight_;
    }
    kick();
  };
  if (!session) {
    // Not the SMSC refusing it: it waits for a bind without using up an attempt.
    engine_.mark_failed(item.id, "no bound SMSC serves the sending number",
                        engine::SubmitFailure::transport, now);
    counters_.outbound_failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    --in_flight_;
    return;
  }
  const auto plan = smpp::plan_segments(item.text, options);
  if (!plan.fits) {
    engine_.mark_failed(item.id, "text does not fit 255 parts", false, now);
    counters_.outbound_failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    --in_flight_;
    return;
  }
  const auto [src_ton, src_npi] = ton_npi(item.from);
  const auto [dst_ton, dst_npi] = ton_npi(item.to);
  const std::string source = wire_number(item.from);
  const std::string destination = wire_number(item.to);
  const bool payload = options.concatenation == smpp::Concatenation::payload;
  const std::size_t count = payload ? 1 : plan.parts.size();
  // Segments the SMSC accepted in an earlier attempt do not go again (the handset has them);
  // when this bind would split the text differently, everything goes.
  const auto already = [&](std::size_t i) {
    return item.accepted.size() == count && item.accepted[i];
  };
  std::size_t to_send = 0;
  for (std::size_t i = 0; i < count; ++i) to_send += already(i) ? 0 : 1;
  if (to_send == 0) {
    settle();
    return;
  }
  auto tracker = std::make_shared<Tracker>();
  tracker->id = item.id;
  tracker->remaining = to_send;
  for (std::size_t i = 0; i < count; ++i) {
    if (already(i)) continue;
    smpp::Pdu pdu = smpp::make_pdu(smpp::cmd::submit_sm, 0);
    auto& sm = *pdu.as<smpp::ShortMessage>();
    sm.source_addr_ton = src_ton;
    sm.source_addr_npi = src_npi;
    sm.source_addr = source;
    sm.dest_addr_ton = dst_ton;
    sm.dest_addr_npi = dst_npi;
    sm.destination_addr = destination;
    sm.registered_delivery = 1;
    sm.data_coding = plan.data_coding;
    char sar[4];
    if (payload) {
      sm.tlvs.push_back(smpp::Tlv{smpp::tag::message_payload, plan.payload});
    } else {
      const auto& part = plan.parts[i];
      sm.esm_class = part.esm_class;
      sm.short_message = part.short_message;
      if (options.concatenation == smpp::Concatenation::sar && plan.parts.size() > 1) {
        smpp::store_be16(sar, part.sar_ref);
        sar[2] = static_cast<char>(part.sar_total);
        sar[3] = static_cast<char>(part.sar_seq);
        sm.tlvs.push_back(smpp::Tlv{smpp::tag::sar_msg_ref_num, std::string_view(sar, 2)});
        sm.tlvs.push_back(smpp::Tlv{smpp::tag::sar_total_segments, std::string_view(sar + 2, 1)});
        sm.tlvs.push_back(smpp::Tlv{smpp::tag::sar_segment_seqnum, std::string_view(sar + 3, 1)});
      }
    }
    const auto segment = static_cast<std::uint32_t>(i);
    // After the last segment's outcome is recorded: the item leaves the in-flight count.
    auto segment_done = [this, tracker, settle] {
      if (tracker->remaining.fetch_sub(1) == 1) {
        if (!tracker->failed) counters_.outbound_submitted.fetch_add(1, std::memory_order_relaxed);
        settle();
      }
    };
    auto on_result = [this, tracker, segment, segment_done](const smpp::SubmitResult& r) {
      const auto now = now_unix();
      // A refusal by the SMSC comes back with a status and no error code.
      if (!r.error && r.status == smpp::status::ok) {
        // Queued here, on the thread that read the response and before the link reads on: a
        // receipt read after this queues behind it and finds the id.
        engine_.submit_submitted(
            tracker->id, segment, r.message_id, now, [this, segment_done](bool) {
              counters_.segments_submitted.fetch_add(1, std::memory_order_relaxed);
              boost::asio::post(io_, segment_done);
            });
        return;
      }
      boost::asio::post(engine_calls_, [this, tracker, segment_done, r, now] {
        if (!tracker->failed.exchange(true)) {
          const auto name = smpp::status_name(r.status);
          const std::string why =
              r.error
                  ? r.error.message()
                  : "refused with " + (name.empty() ? std::to_string(r.status) : std::string(name));
          engine_.mark_failed(tracker->id, why, submit_failure(r), now);
          counters_.outbound_failed.fetch_add(1, std::memory_order_relaxed);
        }
        segment_done();
      });
    };
    if (auto ec = session->submit(pdu, on_result)) {
      smpp::SubmitResult r;
      r.error = ec;
      r.retryable = ec != smpp::errc::unknown_command;
      on_result(r);
    }
  }
}

// ---- observation ---------------------------------------------------------------------------

nlohmann::json Gateway::smsc_json() const {
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

std::pair<int, int> Gateway::binds_up() const {
  std::lock_guard lock(mu_);
  int up = 0, all = 0;
  for (const auto& [name, smsc] : smscs_) {
    all += smsc.config.binds;
    for (const auto& bind : smsc.binds)
      if (bind.session->stats().state == smpp::LinkState::bound) ++up;
  }
  return {up, all};
}

std::vector<std::pair<std::string, smpp::SessionStats>> Gateway::session_stats() const {
  std::vector<std::pair<std::string, smpp::SessionStats>> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, smsc] : smscs_)
    for (const auto& bind : smsc.binds) out.emplace_back(bind.id, bind.session->stats());
  return out;
}

}  // namespace twoway::daemon
