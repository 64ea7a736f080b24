// The `cluster:` section of the configuration: how a node finds the NATS servers and which
// share of the work is its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace twoway::cluster {

struct ClusterConfig {
  std::vector<std::string> nats;  // server URLs, e.g. nats://10.0.0.1:4222
  std::string node;               // this node's name, unique in the cluster
  std::uint32_t partitions = 64;  // fixed when the cluster is first created
  std::string credentials_file;   // NATS .creds; empty: none
  int replicas = 3;               // JetStream replicas of the streams and buckets
  // A partition's lease lapses this long after its owner stopped renewing it (renewed three
  // times per period); another node then takes the partition.
  std::chrono::milliseconds lease_ttl{5000};
};

inline constexpr std::uint32_t kMaxPartitions = 1024;

// Problems with `c` (empty: usable), each a sentence naming the key.
[[nodiscard]] std::vector<std::string> check(const ClusterConfig& c);

// Subjects and names in JetStream.
inline constexpr const char* kInboundStream = "TWOWAY_IN";
inline constexpr const char* kInboundSubjects = "twoway.in.*";
inline constexpr const char* kClusterBucket = "twoway_cluster";  // leases and node heartbeats
inline constexpr const char* kStateBucket = "twoway_state";      // the cluster's fixed facts
[[nodiscard]] std::string inbound_subject(std::uint32_t partition);

}  // namespace twoway::cluster
