// Internals of the SMSC simulator shared by sim.cpp (accounting, report) and sim_conn.cpp (one
// ESME connection). Not used outside tools/smsc_sim.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

#include "smpp/session.hpp"
#include "tools/smsc_sim/sim.hpp"

namespace twoway::sim {

using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

enum class ItemKind : std::uint8_t { mo, dlr, injected };

/// One deliver_sm to send (again): an MO part, a receipt or an injected MO part.
struct Item {
  ItemKind kind = ItemKind::mo;
  std::uint16_t part = 0;   ///< index into the template's parts
  std::uint32_t index = 0;  ///< message / receipt / injected index in its System
};

struct Receipt {
  std::string message_id;
  std::string source;       ///< the MT's destination
  std::string destination;  ///< the MT's source
  std::string text20;
  std::uint8_t stat = 0;   ///< index into cfg.dlr_stat_mix
  std::uint8_t state = 0;  ///< 0 pending, 1 acked, 2 failed
  std::time_t submitted = 0;
};

struct Injected {
  MoTemplate message;
  std::string source;
  std::uint16_t parts_acked = 0;
  std::uint8_t state = 0;
  std::uint16_t sent = 0;  ///< deliver_sm PDUs that carried one of its parts
};

/// What one system_id has to receive: generated MO, receipts, injected MO, redeliveries.
struct System {
  std::string system_id;
  bool generated = false;
  std::uint64_t count = 0;       ///< MO messages generated for it
  std::uint64_t cursor_msg = 0;  ///< next message not yet queued
  std::uint16_t cursor_part = 0;
  std::deque<Item> queue;                                ///< redeliveries first, then new items
  std::deque<std::pair<Clock::time_point, Item>> later;  ///< receipts and retries not yet due
  std::vector<std::uint16_t> parts_acked;                ///< per MO message
  std::vector<std::uint8_t> msg_state;  ///< bit 0 first sent, bit 1 acked, bit 2 failed
  /// Per MO message: parts that were outstanding on a connection when it closed (sent again).
  std::vector<std::uint16_t> msg_redelivered;
  /// Per MO message: deliver_sm PDUs that carried one of its parts (first sends, redeliveries
  /// after a disconnect and retries after a refusal alike).
  std::vector<std::uint16_t> msg_sent;
  std::vector<Receipt> receipts;
  std::vector<Injected> injected;
};

class Conn;

struct Simulator::State : std::enable_shared_from_this<Simulator::State> {
  State(asio::io_context& io, SimConfig cfg);
  ~State() {
    if (records != nullptr) std::fclose(records);
  }

  asio::io_context& io;
  SimConfig cfg;
  FaultConfig faults;
  tcp::acceptor acceptor;
  std::unique_ptr<asio::ssl::context> ssl;
  asio::steady_timer tick_timer;
  std::vector<MoTemplate> templates;
  std::vector<std::string> sources;
  std::map<std::string, System> systems;
  std::set<std::shared_ptr<Conn>> conns;
  std::unordered_map<std::string, std::deque<Clock::time_point>> awaiting_reply;
  std::mt19937_64 rng;
  std::uint64_t next_message_id = 0;
  std::uint64_t binds_seen = 0;
  std::uint64_t submits_seen = 0;
  std::uint64_t next_conn_id = 0;
  std::uint64_t next_mix_fault = 0;  ///< with faults.mix_cycle
  bool stopped = false;
  std::atomic<std::uint16_t> port{0};
  Clock::time_point started_at = Clock::now();

  struct Atomics {
    std::atomic<std::uint64_t> connections{0}, binds_ok{0}, binds_refused{0}, bound_now{0},
        mo_messages{0}, mo_messages_acked{0}, mo_messages_failed{0}, mo_pdus_sent{0},
        mo_pdus_acked{0}, mo_pdus_nacked{0}, mo_redelivered{0}, mt_received{0}, mt_throttled{0},
        dlr_total{0}, dlr_sent{0}, dlr_acked{0}, dlr_failed{0}, enquire_links{0},
        unbinds_received{0}, unbinds_sent{0}, generic_nacks_received{0}, faults_injected{0},
        pdus_in{0}, pdus_out{0};
    std::atomic<std::int64_t> first_bind_us{-1}, first_mo_sent_us{-1}, last_mo_ack_us{-1},
        first_mt_us{-1}, last_mt_us{-1};
  } n;

  // Guarded by mu: what report() reads besides the atomics.
  mutable std::mutex mu;
  std::map<std::string, std::uint64_t> status_counts;  ///< "<command>:<status name>"
  std::map<std::string, std::uint64_t> fault_counts;   ///< fault kind -> times injected
  std::vector<double> latencies_ms;                    ///< MO sent -> first submit_sm to its sender
  std::vector<double> ack_latencies_ms;  ///< MO deliver_sm sent -> its deliver_sm_resp
  std::vector<MtRecord> mt_records;
  std::FILE* records = nullptr;  ///< cfg.records_file, line-buffered; io thread only

  /// Appends one line to `records` (when open).
  void write_record(const nlohmann::json& line);

  std::int64_t now_us() const;
  System& system(const std::string& system_id);
  void generate(System& sys);
  /// Next item to send for `sys`, or false when there is none due.
  bool next_item(System& sys, Item& out);
  void requeue(System& sys, const Item& item, bool delayed);
  /// Appends the deliver_sm for `item` (sequence number `seq`) to `out`.
  void build_deliver_sm(System& sys, const Item& item, std::uint32_t seq, std::string& out);
  /// Accounts the answer to a deliver_sm; `status` is its command_status.
  void on_mo_answer(System& sys, const Item& item, std::uint32_t status, bool generic_nack);
  /// Records how long an MO deliver_sm (not a receipt) waited for its response.
  void record_ack_latency(const Item& item, Clock::time_point sent_at);
  /// Writes the record of an MO message settled with `status` (see SimConfig::records_file).
  void record_mo(const System& sys, const Item& item, std::uint32_t status);
  void on_mt(const std::string& system_id, const smpp::Pdu& pdu, std::string_view message_id,
             std::uint32_t status);
  void count_status(std::string_view command, std::uint32_t status);
  /// Counts one injected fault of `kind` (drop, silent, garbage, oversized, unbind, slow).
  void count_fault(const char* kind);
  std::string make_message_id();
  void start_accept();
  void arm_tick();
  void tick();
  void pump_all();
};

}  // namespace twoway::sim
