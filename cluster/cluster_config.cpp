#include "cluster/cluster_config.hpp"

#include <algorithm>

namespace twoway::cluster {

std::vector<std::string> check(const ClusterConfig& c) {
  std::vector<std::string> problems;
  if (c.nats.empty()) problems.emplace_back("cluster.nats: at least one NATS server URL");
  for (const auto& url : c.nats) {
    if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0)
      problems.push_back("cluster.nats: '" + url + "' is not a nats:// or tls:// URL");
  }
  if (c.node.empty()) {
    problems.emplace_back("cluster.node: a name unique in the cluster");
  } else if (c.node.size() > 64 || !std::all_of(c.node.begin(), c.node.end(), [](char ch) {
               return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
             })) {
    problems.push_back("cluster.node: '" + c.node +
                       "' must be 1 to 64 letters, digits, '-' or '_' (it is part of NATS keys)");
  }
  if (c.partitions == 0 || c.partitions > kMaxPartitions)
    problems.push_back("cluster.partitions: 1 to " + std::to_string(kMaxPartitions));
  if (c.replicas < 1 || c.replicas > 5) problems.emplace_back("cluster.replicas: 1 to 5");
  if (c.lease_ttl < std::chrono::milliseconds(1000) ||
      c.lease_ttl > std::chrono::milliseconds(60000))
    problems.emplace_back("cluster.lease_seconds: 1 to 60");
  return problems;
}

std::string inbound_subject(std::uint32_t partition) {
  return "twoway.in." + std::to_string(partition);
}

}  // namespace twoway::cluster
