// The SMPP side of twowayd: the facade over the binds, the routing, the inbound path and the
// outbound pump. See gateway.hpp.
#include "daemon/gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "daemon/gateway_util.hpp"
#include "daemon/logging.hpp"

namespace twoway::daemon {
namespace {

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

}  // namespace

Gateway::Gateway(boost::asio::io_context& io, engine::Engine& engine, const Config& config)
    : io_(io),
      engine_(engine),
      inbound_(io, engine, routes_, engine_calls_, counters_,
               smpp::ReassemblyConfig{
                   config.reassembly.timeout.count(),
                   static_cast<std::size_t>(config.reassembly.max_partials_per_source), 100'000,
                   64u << 20, kRecentCompletedSets}),
      binds_(io,
             BindHooks{
                 [this](const std::string& smsc, const smpp::Pdu& pdu, smpp::InboundCompletion c) {
                   inbound_.on_inbound(smsc, pdu, std::move(c));
                 },
                 [this] { pump_.kick(); },
                 [this] {
                   // The link that carried our answers is gone: the last ones may never
                   // have left.
                   const std::int64_t at = gateway_util::now_unix();
                   boost::asio::post(engine_calls_, [this, at] {
                     try {
                       engine_.note_unconfirmed_answers(at - kUnconfirmedAnswerSeconds, at + 1);
                     } catch (const std::exception& ex) {
                       SPDLOG_ERROR("could not record the answers a dropped link may have lost: {}",
                                    ex.what());
                     }
                   });
                 }}),
      pump_(io, engine, binds_, routes_, engine_calls_, counters_) {
  (void)reload(config);  // records the SMSCs; nothing is built before start()
}

Gateway::~Gateway() {
  engine_calls_.join();
}

void Gateway::start() {
  inbound_.start();
  binds_.start();
  pump_.kick();
}

void Gateway::stop(bool graceful, std::function<void()> done) {
  auto sessions = binds_.take_for_stop();
  pump_.stop();
  inbound_.stop();
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
  auto problems = binds_.reload(config);
  if (problems.empty()) routes_.set(config);
  return problems;
}

void Gateway::kick() {
  pump_.kick();
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
  return binds_.suspend(name);
}
bool Gateway::resume(const std::string& name) {
  return binds_.resume(name);
}
bool Gateway::reconnect(const std::string& name) {
  return binds_.reconnect(name);
}

nlohmann::json Gateway::smsc_json() const {
  return binds_.smsc_json();
}
std::pair<int, int> Gateway::binds_up() const {
  return binds_.binds_up();
}
std::vector<std::pair<std::string, smpp::SessionStats>> Gateway::session_stats() const {
  return binds_.session_stats();
}
std::size_t Gateway::reassembly_pending() const {
  return inbound_.pending();
}

}  // namespace twoway::daemon
