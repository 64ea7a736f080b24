#include "cluster/partition.hpp"

namespace twoway::cluster {

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = kFnvOffset) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}

// A final mix so that nearby inputs spread over the whole range (splitmix64's finaliser).
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::uint32_t partition_of(std::string_view number, std::uint32_t partitions) {
  if (partitions == 0) return 0;
  return static_cast<std::uint32_t>(mix(fnv1a(number)) % partitions);
}

std::string preferred_node(std::uint32_t partition, const std::vector<std::string>& nodes) {
  std::string best;
  std::uint64_t best_score = 0;
  const std::string p = std::to_string(partition);
  for (const auto& node : nodes) {
    const std::uint64_t score = mix(fnv1a(p, fnv1a(node) ^ 0x5bd1e995ull));
    if (best.empty() || score > best_score || (score == best_score && node < best)) {
      best = node;
      best_score = score;
    }
  }
  return best;
}

}  // namespace twoway::cluster
