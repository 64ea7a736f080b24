// An entry of the cluster's inbound log, in JSON: a whole inbound message or a delivery receipt,
// as the receiving node decoded it (with its bind and arrival time), or a staff action taken
// through the admin socket (engine/staff_action.hpp), so that every change to a customer's
// state is in its partition's log, in the order the owner applied it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/staff_action.hpp"
#include "engine/types.hpp"

namespace twoway::cluster {

// A staff action with the id its node gave it: the node that published it waits for the
// owner's outcome under that id (unique per node and run).
struct StaffEntry {
  std::string id;
  engine::StaffAction action;
};

using LogEntry = std::variant<engine::InboundMessage, engine::Receipt, StaffEntry>;

// Stored parts (InboundMessage::stored_parts) belong to the receiving node's store and are not
// written; the log position is the stream's, not part of the entry.
[[nodiscard]] std::string encode_entry(const engine::InboundMessage& m);
[[nodiscard]] std::string encode_entry(const engine::Receipt& r);
[[nodiscard]] std::string encode_entry(const StaffEntry& s);
// nullopt for bytes that are not an entry (with `error` saying why).
[[nodiscard]] std::optional<LogEntry> decode_entry(std::string_view bytes, std::string* error);

}  // namespace twoway::cluster
