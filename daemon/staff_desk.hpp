// Where the admin commands send a staff action (engine/staff_action.hpp): straight to the
// engine on a single node; in a cluster, to the customer's partition of the shared log, applied
// by the partition's owner in order with what the customer sent (ClusterNode::perform).
#pragma once

#include <functional>
#include <string>

#include "engine/staff_action.hpp"

namespace twoway::daemon {

// What became of a staff action: the engine's outcome, or why this node has none
// (`unavailable` non-empty: in a cluster, the log did not take it, or its owner did not confirm
// it in time).
struct StaffAnswer {
  engine::StaffOutcome outcome;
  std::string unavailable;
  // Nothing was done: this node no longer holds the customer's partition (the admin router
  // asks the new owner).
  bool moved = false;
};

using StaffDesk = std::function<StaffAnswer(engine::StaffAction)>;

}  // namespace twoway::daemon
