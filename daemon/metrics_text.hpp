// twowayd's metrics in the Prometheus text format: per-bind state, window, queue and PDU
// counters, gateway and engine totals, twoway_build_info and the process_* metrics. Names
// prefixed twoway_ (process_* as every Prometheus client names them), no phone numbers in labels.
#pragma once

#include <string>

#include "daemon/admin_server.hpp"
#include "daemon/gateway.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

[[nodiscard]] std::string metrics_text(const engine::Engine& engine, const Gateway& gateway,
                                       const AdminServer& admin);

}  // namespace twoway::daemon
