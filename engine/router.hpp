// Inbound routing: every MO text becomes the right action — redelivery check, sender
// normalisation, keyword (opt-out, opt-in, HELP, custom) or free text (thread, inbox, unread,
// auto-responder) — inside the caller's write transaction. Pure logic: time is an argument.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/context.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

struct InboundResult {
  InboundOutcome outcome = InboundOutcome::free_text;
  std::string number;     // normalised sender
  std::uint64_t seq = 0;  // thread seq of the stored message (0 for duplicate/rejected)
};

// Applies one inbound message (see the rules in DESIGN.md and engine.hpp).
InboundResult route_inbound(Context& ctx, const InboundMessage& in);

// The number replies leave from for an inbound sent to `destination`: the configured sending
// number it matches (digits compared), else the destination as given; "" for an alphanumeric
// destination (conversations never run on branded sender ids).
std::string sticky_sender(const EngineConfig& config, std::string_view destination);

}  // namespace twoway::engine
