// A connection to the NATS servers of the cluster and the JetStream objects every node needs:
// the inbound stream and the buckets, created by whichever node comes first and checked by
// the others.
//
// Threading: a Connection may be used from any thread (libnats locks internally); its
// callbacks run on libnats's own threads.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cluster/cluster_config.hpp"

namespace twoway::cluster {

class NatsError : public std::runtime_error {
 public:
  NatsError(const std::string& what, natsStatus status, jsErrCode js = static_cast<jsErrCode>(0));
  natsStatus status() const noexcept { return status_; }
  jsErrCode js_error() const noexcept { return js_; }

 private:
  natsStatus status_;
  jsErrCode js_;
};

// Throws NatsError naming `what` unless `s` is NATS_OK.
void check_nats(natsStatus s, const std::string& what, jsErrCode js = static_cast<jsErrCode>(0));

// A key-value bucket (a JetStream stream underneath).
class Bucket {
 public:
  explicit Bucket(kvStore* kv) : kv_(kv) {}
  ~Bucket();
  Bucket(const Bucket&) = delete;
  Bucket& operator=(const Bucket&) = delete;

  struct Entry {
    std::string value;
    std::uint64_t revision = 0;
  };
  // nullopt when the key is absent, deleted or expired.
  [[nodiscard]] std::optional<Entry> get(const std::string& key) const;
  // Creates the key; nullopt when it exists (someone else holds it).
  [[nodiscard]] std::optional<std::uint64_t> create(const std::string& key,
                                                    const std::string& value);
  // Writes the key if its revision is still `revision`; nullopt when it moved on.
  [[nodiscard]] std::optional<std::uint64_t> update(const std::string& key,
                                                    const std::string& value,
                                                    std::uint64_t revision);
  std::uint64_t put(const std::string& key, const std::string& value);
  void erase(const std::string& key);
  // Every live key.
  [[nodiscard]] std::vector<std::string> keys() const;

 private:
  kvStore* kv_;
};

class Connection {
 public:
  // Connects (retrying for up to `connect_timeout_ms`), then makes sure the inbound stream and
  // the buckets exist with this configuration, waiting as long again for JetStream to answer
  // (a cluster of servers started together elects its leader first). A cluster created with
  // another partition count is refused at once (NatsError).
  explicit Connection(const ClusterConfig& config, int connect_timeout_ms = 10000);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* get() const noexcept { return nc_; }
  jsCtx* jetstream() const noexcept { return js_; }
  const ClusterConfig& config() const noexcept { return config_; }
  Bucket& leases() { return *leases_; }
  Bucket& state() { return *state_; }
  // The last sequence of the inbound stream (0: empty).
  [[nodiscard]] std::uint64_t inbound_last_seq() const;
  // True while connected to a server.
  [[nodiscard]] bool connected() const;

 private:
  void ensure_objects();
  void close_all() noexcept;

  ClusterConfig config_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::unique_ptr<Bucket> leases_;
  std::unique_ptr<Bucket> state_;
};

}  // namespace twoway::cluster
