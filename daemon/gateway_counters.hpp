// The gateway's own counters (the sessions keep theirs), shared by its parts.
#pragma once

#include <atomic>
#include <cstdint>

namespace twoway::daemon {

/// Counters of the gateway itself (the sessions keep their own).
struct GatewayCounters {
  std::atomic<std::uint64_t> inbound_messages{0};  ///< whole messages handed to the engine
  std::atomic<std::uint64_t> inbound_parts{0};     ///< deliver_sm / data_sm received
  std::atomic<std::uint64_t> receipts{0};
  std::atomic<std::uint64_t> inbound_refused{0};  ///< answered ESME_RX_T_APPN
  std::atomic<std::uint64_t> outbound_submitted{0};
  std::atomic<std::uint64_t> outbound_failed{0};
  std::atomic<std::uint64_t> segments_submitted{0};
  /// Runs of the outbound pump (each a claim of due messages when the binds have room).
  std::atomic<std::uint64_t> pump_runs{0};
  /// Outbound handed to the pump in the transaction that queued it (never claimed).
  std::atomic<std::uint64_t> outbound_handed_over{0};
  std::atomic<std::uint64_t> incomplete_messages{0};
  std::atomic<std::uint64_t> keyword_messages{0};    ///< inbound that matched a keyword
  std::atomic<std::uint64_t> free_text_messages{0};  ///< inbound filed as conversation text
  std::atomic<std::uint64_t> unrouted_messages{0};   ///< texted to a number not configured
  std::atomic<std::uint64_t> revocation_flags{0};    ///< free text that may revoke consent
  /// Opt-out confirmations dropped because they could not leave within five minutes.
  std::atomic<std::uint64_t> confirmations_expired{0};
};

}  // namespace twoway::daemon
