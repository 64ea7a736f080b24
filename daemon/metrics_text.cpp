// twowayd's metrics text: see metrics_text.hpp.
#include "daemon/metrics_text.hpp"

#include <chrono>
#include <sstream>

#include "daemon/build_info.hpp"
#include "daemon/process_metrics.hpp"

namespace twoway::daemon {
namespace {

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  template <class T>
  void sample(std::string_view name, std::string_view labels, T value) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << value << '\n';
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string metrics_text(const engine::Engine& engine, const Gateway& gateway,
                         const AdminServer& admin) {
  Writer w;
  const auto binds = gateway.session_stats();
  static constexpr smpp::LinkState kStates[] = {
      smpp::LinkState::idle,   smpp::LinkState::connecting, smpp::LinkState::binding,
      smpp::LinkState::bound,  smpp::LinkState::unbinding,  smpp::LinkState::backoff,
      smpp::LinkState::stopped};

  w.family("twoway_bind_state", "gauge", "1 for the state each bind is in");
  for (const auto& [id, s] : binds)
    for (auto st : kStates)
      w.sample("twoway_bind_state",
               "bind=\"" + escape_label(id) + "\",state=\"" +
                   std::string(smpp::link_state_name(st)) + "\"",
               s.state == st ? 1 : 0);
  w.family("twoway_bind_window_in_use", "gauge", "Requests outstanding on the bind");
  for (const auto& [id, s] : binds)
    w.sample("twoway_bind_window_in_use", "bind=\"" + escape_label(id) + "\"", s.window_in_use);
  w.family("twoway_bind_window_size", "gauge", "Configured request window of the bind");
  for (const auto& [id, s] : binds)
    w.sample("twoway_bind_window_size", "bind=\"" + escape_label(id) + "\"", s.window_size);
  w.family("twoway_bind_queue_depth", "gauge", "Requests queued on the bind, not yet sent");
  for (const auto& [id, s] : binds)
    w.sample("twoway_bind_queue_depth", "bind=\"" + escape_label(id) + "\"", s.queue_depth);
  w.family("twoway_bind_inbound_unanswered", "gauge", "Inbound PDUs waiting for their commit");
  for (const auto& [id, s] : binds)
    w.sample("twoway_bind_inbound_unanswered", "bind=\"" + escape_label(id) + "\"",
             s.inbound_unanswered);

  auto counter = [&](std::string_view name, std::string_view help, auto field) {
    w.family(name, "counter", help);
    for (const auto& [id, s] : binds) w.sample(name, "bind=\"" + escape_label(id) + "\"", field(s));
  };
  counter("twoway_bind_reconnects_total", "Connect attempts after the first",
          [](const smpp::SessionStats& s) { return s.reconnects; });
  counter("twoway_bind_throttles_total", "ESME_RTHROTTLED / ESME_RMSGQFUL received",
          [](const smpp::SessionStats& s) { return s.throttles; });
  counter("twoway_bind_link_drops_total", "Bound links lost",
          [](const smpp::SessionStats& s) { return s.link_drops; });
  counter("twoway_bind_request_timeouts_total", "Requests without a response in time",
          [](const smpp::SessionStats& s) { return s.timeouts; });
  counter("twoway_bind_bind_failures_total", "Binds refused or failed",
          [](const smpp::SessionStats& s) { return s.bind_failures; });
  counter("twoway_bind_bytes_received_total", "Octets read from the SMSC",
          [](const smpp::SessionStats& s) { return s.bytes_in; });
  counter("twoway_bind_bytes_sent_total", "Octets written to the SMSC",
          [](const smpp::SessionStats& s) { return s.bytes_out; });

  w.family("twoway_smpp_pdus_received_total", "counter", "PDUs received, by command");
  for (const auto& [id, s] : binds)
    for (const auto& [cmd, n] : s.pdus_in)
      w.sample("twoway_smpp_pdus_received_total",
               "bind=\"" + escape_label(id) + "\",command=\"" +
                   std::string(smpp::command_name(cmd)) + "\"",
               n);
  w.family("twoway_smpp_pdus_sent_total", "counter", "PDUs sent, by command");
  for (const auto& [id, s] : binds)
    for (const auto& [cmd, n] : s.pdus_out)
      w.sample("twoway_smpp_pdus_sent_total",
               "bind=\"" + escape_label(id) + "\",command=\"" +
                   std::string(smpp::command_name(cmd)) + "\"",
               n);
  w.family("twoway_smpp_errors_total", "counter", "Non-zero command_status received, by status");
  for (const auto& [id, s] : binds)
    for (const auto& [status, n] : s.errors_by_status) {
      auto name = smpp::status_name(status);
      w.sample("twoway_smpp_errors_total",
               "bind=\"" + escape_label(id) + "\",status=\"" +
                   (name.empty() ? std::to_string(status) : std::string(name)) + "\"",
               n);
    }

  const auto& c = gateway.counters();
  auto total = [&](std::string_view name, std::string_view help, std::uint64_t v) {
    w.family(name, "counter", help);
    w.sample(name, "", v);
  };
  total("twoway_inbound_messages_total", "Whole inbound messages handed to the engine",
        c.inbound_messages.load());
  total("twoway_inbound_parts_total", "deliver_sm / data_sm carrying a message (parts)",
        c.inbound_parts.load());
  total("twoway_inbound_incomplete_total", "Concatenated messages delivered incomplete",
        c.incomplete_messages.load());
  total("twoway_inbound_refused_total", "Inbound PDUs answered ESME_RX_T_APPN",
        c.inbound_refused.load());
  total("twoway_inbound_keywords_total", "Inbound messages that matched a keyword",
        c.keyword_messages.load());
  total("twoway_inbound_free_text_total", "Inbound messages filed as conversation text",
        c.free_text_messages.load());
  total("twoway_inbound_unrouted_total",
        "Inbound messages to a number that is not a configured sending number",
        c.unrouted_messages.load());
  total("twoway_inbound_revocation_flagged_total",
        "Free-text messages flagged as a possible revocation of consent",
        c.revocation_flags.load());
  total("twoway_optout_confirmations_expired_total",
        "Opt-out confirmations dropped because they could not leave within five minutes",
        c.confirmations_expired.load());
  total("twoway_receipts_total", "Delivery receipts received", c.receipts.load());
  total("twoway_outbound_submitted_total", "Outbound messages accepted by the SMSC",
        c.outbound_submitted.load());
  total("twoway_outbound_segments_total", "Outbound segments accepted by the SMSC",
        c.segments_submitted.load());
  total("twoway_outbound_failed_total", "Outbound submissions that failed",
        c.outbound_failed.load());
  total("twoway_outbound_pump_runs_total",
        "Runs of the outbound pump (a claim of due messages when the binds have room)",
        c.pump_runs.load());
  total("twoway_outbound_handed_over_total",
        "Outbound messages handed to the pump in the transaction that queued them (no claim)",
        c.outbound_handed_over.load());

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto stats = engine.stats(now);
  auto gauge = [&](std::string_view name, std::string_view help, auto v) {
    w.family(name, "gauge", help);
    w.sample(name, "", v);
  };
  gauge("twoway_outbox_due", "Outbound messages due for submission", stats.outbox_due);
  gauge("twoway_outbox_in_flight", "Outbound messages being submitted", stats.outbox_in_flight);
  gauge("twoway_credits_today", "Credits used today (UTC)", stats.credits_today);
  gauge("twoway_credits_month", "Credits used this month (UTC)", stats.credits_month);
  gauge("twoway_conversations_waiting", "Conversations waiting for an answer past the threshold",
        stats.waiting_over_threshold);
  gauge("twoway_reassembly_pending", "Concatenated messages waiting for parts",
        gateway.reassembly_pending());
  gauge("twoway_storage_map_size_bytes", "LMDB map size", engine.map_size());
  gauge("twoway_admin_connections", "Open admin socket connections", admin.connection_count());

  w.family("twoway_engine_writer_cpu_seconds_total", "counter",
           "CPU time of the engine's writer thread (applying and committing)");
  w.sample("twoway_engine_writer_cpu_seconds_total", "", engine.writer_cpu_seconds());

  // Group commit: transaction durations and batch sizes, as cumulative histograms.
  const auto commits = engine.commit_stats();
  auto histogram = [&](std::string_view name, std::string_view help, const auto& bounds,
                       const auto& buckets, double sum) {
    w.family(name, "histogram", help);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      cumulative += buckets[i];
      std::ostringstream le;
      le << bounds[i];
      w.sample(std::string(name) + "_bucket", "le=\"" + le.str() + "\"", cumulative);
    }
    cumulative += buckets[bounds.size()];
    w.sample(std::string(name) + "_bucket", "le=\"+Inf\"", cumulative);
    w.sample(std::string(name) + "_sum", "", sum);
    w.sample(std::string(name) + "_count", "", commits.commits);
  };
  histogram("twoway_commit_duration_seconds", "Write transactions: apply and durable commit",
            engine::CommitStats::duration_bounds, commits.duration_buckets, commits.duration_sum);
  histogram("twoway_commit_batch_size", "Items (inbound, receipts, actions) per write transaction",
            engine::CommitStats::batch_bounds, commits.batch_buckets, commits.batch_sum);
  return w.str() + build_info_metrics_text(build_version(), build_commit()) +
         process_metrics_text(read_process_stats());
}

}  // namespace twoway::daemon
