// Which partition a customer belongs to, and which node a partition prefers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace twoway::cluster {

// The partition of a customer's number (the stored form: E.164 where it can be read). Stable
// across nodes, builds and restarts: FNV-1a over the bytes.
[[nodiscard]] std::uint32_t partition_of(std::string_view number, std::uint32_t partitions);

// The node a partition prefers among `nodes` (rendezvous hashing): every node computes the
// same answer from the same list, and a node joining or leaving moves only the partitions it
// wins or held. Empty when `nodes` is.
[[nodiscard]] std::string preferred_node(std::uint32_t partition,
                                         const std::vector<std::string>& nodes);

}  // namespace twoway::cluster
