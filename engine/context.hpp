// What every rule of the engine works with inside one write transaction: the store, the
// configuration, the settings in force, the phone-number library and the events the
// transaction will publish once it commits. Internal to engine/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/keywords.hpp"
#include "engine/phone.hpp"
#include "engine/store.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// A message handed to the sending side in the transaction that queued it, with what
// confirm_handoff() re-checks once the transaction's other items have run.
struct HandedOver {
  OutboundItem item;
  std::string keyword;  // Message::keyword (an opt-out confirmation is checked differently)
  std::int64_t created = 0;
};

// Counters kept in the `meta` database; the batch runner loads them with the batch and
// writes them back before committing.
struct Counters {
  std::uint64_t next_outbox_id = 1;
  std::uint64_t next_inbox_order = 1;
  std::uint64_t next_message_id = 1;
  std::uint64_t next_consent_log_id = 1;
  bool dirty = false;
};

struct Context {
  Store& store;
  Txn& txn;
  const EngineConfig& config;
  const PhoneNumbers& phones;
  const Settings* settings;
  const KeywordTable* keywords;
  Counters& counters;
  std::vector<Event>& events;
  std::string scratch;  // reusable encode buffer
  // Messages queued due now and handed to the sending side in this transaction (no claim):
  // null when nothing takes them, else at most `handoff_room` more (Engine::on_handoff).
  std::vector<HandedOver>* handoff = nullptr;
  std::size_t handoff_room = 0;
  // The item being applied replays a cluster log entry another node answered
  // (LogPosition::replay): answers due at once are recorded as sent, not queued.
  bool replaying = false;

  std::uint64_t next_outbox_id() {
    counters.dirty = true;
    return counters.next_outbox_id++;
  }
  std::uint64_t next_inbox_order() {
    counters.dirty = true;
    return counters.next_inbox_order++;
  }
  std::uint64_t next_message_id() {
    counters.dirty = true;
    return counters.next_message_id++;
  }
  std::uint64_t next_consent_log_id() {
    counters.dirty = true;
    return counters.next_consent_log_id++;
  }
};

// Context::replaying set for one item's scope.
class ReplayingScope {
 public:
  ReplayingScope(Context& ctx, bool on) : ctx_(ctx) { ctx_.replaying = on; }
  ~ReplayingScope() { ctx_.replaying = false; }
  ReplayingScope(const ReplayingScope&) = delete;
  ReplayingScope& operator=(const ReplayingScope&) = delete;

 private:
  Context& ctx_;
};

// Loads the counters from `meta` (defaults when absent).
Counters load_counters(const Txn& txn, const Store& store);
// Writes the counters to `meta` if they changed.
void save_counters(Txn& txn, const Store& store, Counters& counters);

}  // namespace twoway::engine
