// An entry of the cluster's inbound log: a whole inbound message or a delivery receipt, as the
// receiving node decoded it (with its bind and arrival time), in JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/types.hpp"

namespace twoway::cluster {

using LogEntry = std::variant<engine::InboundMessage, engine::Receipt>;

// Stored parts (InboundMessage::stored_parts) belong to the receiving node's store and are not
// written; the log position is the stream's, not part of the entry.
[[nodiscard]] std::string encode_entry(const engine::InboundMessage& m);
[[nodiscard]] std::string encode_entry(const engine::Receipt& r);
// nullopt for bytes that are not an entry (with `error` saying why).
[[nodiscard]] std::optional<LogEntry> decode_entry(std::string_view bytes, std::string* error);

}  // namespace twoway::cluster
