// The SMSC simulator core (library twoway_smsc_sim): accepts ESME binds, answers every request,
// issues message_ids and delivery receipts, pushes MO traffic, injects faults, and keeps the
// figures for a JSON report. Used by the twoway-smsc-sim binary and by the integration tests.
//
// Threading: all protocol work runs on the io_context given to the constructor (run it on one
// thread). counters(), report(), done() and the test hooks may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "tools/smsc_sim/mo_mix.hpp"

namespace twoway::sim {

struct FaultConfig {
  std::uint32_t throttle_every = 0;  ///< every Kth submit_sm answered ESME_RTHROTTLED (0 = off)
  std::uint32_t msgqful_every = 0;   ///< every Kth submit_sm answered ESME_RMSGQFUL (0 = off)
  std::uint32_t syserr_every = 0;    ///< every Kth submit_sm answered ESME_RSYSERR (0 = off)
  std::uint32_t refuse_binds = 0;    ///< refuse the first N binds with ESME_RBINDFAIL
  bool refuse_all_binds = false;
  std::chrono::milliseconds response_delay{0};  ///< delay every response the SMSC sends
  bool ignore_enquire_link = false;             ///< never answer enquire_link
  std::uint32_t silent_after = 0;       ///< after N PDUs received, answer nothing (half-open)
  std::uint32_t drop_after = 0;         ///< close the connection after N PDUs received
  std::uint32_t garbage_after = 0;      ///< send garbage bytes after N PDUs received
  std::uint32_t oversized_after = 0;    ///< send an oversized command_length after N PDUs
  std::uint32_t unbind_after = 0;       ///< send unbind after N PDUs received
  bool out_of_order_responses = false;  ///< answer requests in batches, last first
  /// Fault mix: every new connection draws one fault (or none) with N in [mix_min, mix_max].
  bool mix = false;
  bool mix_cycle = false;  ///< the mix's faults in turn (connection k meets fault k mod 6)
  std::uint32_t mix_min = 200;
  std::uint32_t mix_max = 5000;
};

struct SimConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;            ///< 0 = ephemeral
  std::string system_id;             ///< "" accepts any
  std::string password;              ///< "" accepts any
  std::uint64_t mo_per_bind = 0;     ///< MO messages per system_id, from its first rx bind
  std::uint32_t from_count = 10;     ///< distinct MO source numbers
  std::string from_prefix = "1555";  ///< MO sources are from_prefix + 7-digit index
  std::uint32_t from_offset = 0;     ///< first index (so runs can use disjoint numbers)
  std::string mo_destination = "12345";
  double rate = 0;                 ///< MO deliver_sm per second per connection (0 = window)
  std::uint32_t window = 10;       ///< MO deliver_sm outstanding per connection
  std::vector<std::string> texts;  ///< MO texts (UTF-8); empty = built-in mix
  bool dlr = true;                 ///< send receipts when registered_delivery asks
  std::chrono::milliseconds dlr_delay{0};
  std::vector<std::pair<std::string, std::uint32_t>> dlr_stat_mix{{"DELIVRD", 1}};
  std::chrono::milliseconds redeliver_delay{200};  ///< after ESME_RX_T_APPN or a disconnect
  bool keep_mt_records = false;
  /// When set, one JSON line per MO message settled (acknowledged or failed for good) and per
  /// MT accepted, written as it happens (line-buffered), so a checker can read it mid-run.
  std::string records_file;
  std::size_t max_mt_records = 1000000;
  std::uint32_t max_command_length = 64 * 1024;
  std::uint64_t seed = 1;
  std::string tls_cert_file;  ///< PEM; TLS on when set
  std::string tls_key_file;
  std::string tls_client_ca_file;  ///< when set, ESMEs must present a certificate it signed
  FaultConfig faults;
};

/// Figures a test can poll while the simulator runs.
struct SimCounters {
  std::uint64_t connections = 0, binds_ok = 0, binds_refused = 0, bound_now = 0;
  std::uint64_t mo_messages = 0, mo_messages_acked = 0, mo_messages_failed = 0;
  std::uint64_t mo_pdus_sent = 0, mo_pdus_acked = 0, mo_pdus_nacked = 0, mo_redelivered = 0;
  std::uint64_t mt_received = 0, mt_throttled = 0, dlr_sent = 0, dlr_acked = 0;
  std::uint64_t dlr_pending = 0;
  std::uint64_t enquire_links = 0, unbinds_received = 0, unbinds_sent = 0;
  std::uint64_t generic_nacks_received = 0, faults_injected = 0, pdus_in = 0, pdus_out = 0;
};

/// One submit_sm / data_sm / submit_multi as received.
struct MtRecord {
  std::string system_id;
  std::string command;
  std::string source_addr;
  std::string destination_addr;
  std::uint8_t esm_class = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t registered_delivery = 0;
  std::string short_message;  ///< raw octets (message_payload when present)
  std::string message_id;
  std::uint32_t status = 0;
  std::uint32_t sequence_number = 0;
};

class Simulator {
 public:
  Simulator(boost::asio::io_context& io, SimConfig config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  /// Opens the listening socket and starts accepting. Returns the error if it cannot listen
  /// or the TLS files cannot be loaded.
  [[nodiscard]] std::error_code listen();
  /// The port listened on (after listen()).
  [[nodiscard]] std::uint16_t port() const noexcept;
  /// Closes the listener and every connection (posted).
  void stop();

  [[nodiscard]] SimCounters counters() const;
  /// True when every generated MO message and every receipt is answered (acked or failed for
  /// good) and at least one bind succeeded.
  [[nodiscard]] bool done() const;
  /// The JSON report (see tools/smsc_sim/README or --help for the fields).
  [[nodiscard]] nlohmann::json report(bool include_mt_records) const;
  [[nodiscard]] std::vector<MtRecord> mt_records() const;

  // Test hooks (posted to the io_context).
  void unbind_all();                           ///< SMSC-initiated unbind on every bound connection
  void drop_all();                             ///< close every connection without a word
  void set_faults(const FaultConfig& faults);  ///< for connections accepted from now on
  /// Queues one extra MO deliver_sm to `system_id` (sent when a receiver of it is bound).
  void inject_mo(const std::string& system_id, MoTemplate message, std::string source);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

/// {count, p50, p90, p99, max} of latency samples in milliseconds (nearest-rank percentiles;
/// zeros when there are none).
[[nodiscard]] nlohmann::json latency_summary(std::vector<double> samples_ms);

/// Parses "DELIVRD:90,UNDELIV:5" into a stat mix. Returns false on a malformed spec.
[[nodiscard]] bool parse_stat_mix(const std::string& spec,
                                  std::vector<std::pair<std::string, std::uint32_t>>& out);

}  // namespace twoway::sim
