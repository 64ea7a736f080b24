#include "cluster/nats_client.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace twoway::cluster {

namespace {

std::string describe(const std::string& what, natsStatus s, jsErrCode js) {
  std::string text = what + ": " + natsStatus_GetText(s);
  if (js != 0) text += " (JetStream error " + std::to_string(static_cast<int>(js)) + ")";
  return text;
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

}  // namespace

NatsError::NatsError(const std::string& what, natsStatus status, jsErrCode js)
    : std::runtime_error(describe(what, status, js)), status_(status), js_(js) {}

void check_nats(natsStatus s, const std::string& what, jsErrCode js) {
  if (s != NATS_OK) throw NatsError(what, s, js);
}

// ---- Bucket ----

Bucket::~Bucket() {
  kvStore_Destroy(kv_);
}

std::optional<Bucket::Entry> Bucket::get(const std::string& key) const {
  kvEntry* e = nullptr;
  const natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  check_nats(s, "reading key " + key);
  Entry out;
  const void* data = kvEntry_Value(e);
  const int len = kvEntry_ValueLen(e);
  if (data != nullptr && len > 0) out.value.assign(static_cast<const char*>(data), len);
  out.revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  return out;
}

std::optional<std::uint64_t> Bucket::create(const std::string& key, const std::string& value) {
  std::uint64_t rev = 0;
  const natsStatus s =
      kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) {
    // The key exists ("wrong last sequence"); anything else is a real failure.
    if (get(key)) return std::nullopt;
  }
  check_nats(s, "creating key " + key);
  return rev;
}

std::optional<std::uint64_t> Bucket::update(const std::string& key, const std::string& value,
                                            std::uint64_t revision) {
  std::uint64_t rev = 0;
  const natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), value.data(),
                                      static_cast<int>(value.size()), revision);
  if (s != NATS_OK) {
    const auto now = get(key);
    if (!now || now->revision != revision) return std::nullopt;
  }
  check_nats(s, "updating key " + key);
  return rev;
}

std::uint64_t Bucket::put(const std::string& key, const std::string& value) {
  std::uint64_t rev = 0;
  check_nats(kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size())),
             "writing key " + key);
  return rev;
}

void Bucket::erase(const std::string& key) {
  check_nats(kvStore_Delete(kv_, key.c_str()), "deleting key " + key);
}

std::vector<std::string> Bucket::keys() const {
  kvKeysList list{};
  const natsStatus s = kvStore_Keys(&list, kv_, nullptr);
  std::vector<std::string> out;
  if (s == NATS_NOT_FOUND) return out;  // an empty bucket
  check_nats(s, "listing keys");
  for (int i = 0; i < list.Count; ++i) out.emplace_back(list.Keys[i]);
  kvKeysList_Destroy(&list);
  return out;
}

// ---- Connection ----

Connection::Connection(const ClusterConfig& config, int connect_timeout_ms) : config_(config) {
  natsOptions* raw = nullptr;
  check_nats(natsOptions_Create(&raw), "NATS options");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  std::vector<const char*> urls;
  for (const auto& u : config_.nats) urls.push_back(u.c_str());
  check_nats(natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())),
             "cluster.nats");
  check_nats(natsOptions_SetName(opts.get(), ("twowayd " + config_.node).c_str()), "NATS name");
  if (!config_.credentials_file.empty()) {
    check_nats(natsOptions_SetUserCredentialsFromFiles(opts.get(), config_.credentials_file.c_str(),
                                                       nullptr),
               "cluster.credentials_file " + config_.credentials_file);
  }
  // Reconnect for ever: a node keeps its binds while NATS is away and refuses MO meanwhile.
  check_nats(natsOptions_SetMaxReconnect(opts.get(), -1), "NATS reconnect");
  check_nats(natsOptions_SetReconnectWait(opts.get(), 250), "NATS reconnect wait");
  check_nats(natsOptions_SetTimeout(opts.get(), 2000), "NATS timeout");
  // The partition readers' callbacks run on a small shared pool, not a thread per partition.
  check_nats(natsOptions_UseGlobalMessageDelivery(opts.get(), true), "NATS delivery pool");
  static const bool pool_sized = [] { return nats_SetMessageDeliveryPoolSize(4) == NATS_OK; }();
  (void)pool_sized;

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(connect_timeout_ms);
  natsStatus s = NATS_OK;
  for (;;) {
    s = natsConnection_Connect(&nc_, opts.get());
    if (s == NATS_OK || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  check_nats(s, "connecting to NATS");
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  check_nats(natsConnection_JetStream(&js_, nc_, &jo), "JetStream");
  // A JetStream cluster answers only once its servers elected a leader, some seconds after
  // they start together: wait for it as for the connection, but not for a refusal.
  const auto ready_deadline = std::max(
      deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(connect_timeout_ms));
  for (;;) {
    try {
      ensure_objects();
      break;
    } catch (const NatsError& e) {
      const bool refused = e.status() == NATS_INVALID_ARG;
      if (refused || std::chrono::steady_clock::now() >= ready_deadline) {
        close_all();
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    } catch (...) {
      close_all();
      throw;
    }
  }
}

void Connection::close_all() noexcept {
  leases_.reset();
  state_.reset();
  jsCtx_Destroy(js_);
  js_ = nullptr;
  natsConnection_Destroy(nc_);
  nc_ = nullptr;
}

Connection::~Connection() {
  leases_.reset();
  state_.reset();
  jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Flush(nc_);
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

void Connection::ensure_objects() {
  // The inbound stream: every partition's subject, on disk, replicated.
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, kInboundStream, nullptr, &jerr);
  if (s == NATS_NOT_FOUND) {
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    sc.Name = kInboundStream;
    const char* subjects[] = {kInboundSubjects};
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Replicas = config_.replicas;
    sc.Duplicates = 120LL * 1000 * 1000 * 1000;  // Nats-Msg-Id window: 2 minutes
    jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
    // Another node may have created it meanwhile.
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
      jerr = static_cast<jsErrCode>(0);
      s = js_GetStreamInfo(&si, js_, kInboundStream, nullptr, &jerr);
    }
  }
  check_nats(s, std::string("the inbound stream ") + kInboundStream, jerr);
  jsStreamInfo_Destroy(si);

  auto bucket = [this](const char* name, std::int64_t ttl_ms) {
    kvStore* kv = nullptr;
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name;
    kc.History = 1;
    kc.TTL = ttl_ms * 1000 * 1000;  // nanoseconds
    kc.StorageType = js_FileStorage;
    kc.Replicas = config_.replicas;
    natsStatus st = js_CreateKeyValue(&kv, js_, &kc);
    if (st != NATS_OK) {
      const std::string why = nats_GetLastError(nullptr) ? nats_GetLastError(nullptr) : "";
      st = js_KeyValue(&kv, js_, name);  // it exists (another node)
      if (st != NATS_OK) throw NatsError(std::string("the bucket ") + name + " (" + why + ")", st);
    }
    return std::make_unique<Bucket>(kv);
  };
  leases_ = bucket(kClusterBucket, config_.lease_ttl.count());
  state_ = bucket(kStateBucket, 0);

  // The partition count is the cluster's: the first node writes it, the others must agree.
  const std::string mine = std::to_string(config_.partitions);
  if (!state_->create("partitions", mine)) {
    const auto kept = state_->get("partitions");
    if (kept && kept->value != mine) {
      throw NatsError("cluster.partitions is " + mine + " but the cluster was created with " +
                          kept->value + " (it cannot change)",
                      NATS_INVALID_ARG);
    }
  }
}

std::uint64_t Connection::inbound_last_seq() const {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  check_nats(js_GetStreamInfo(&si, js_, kInboundStream, nullptr, &jerr), "inbound stream info",
             jerr);
  const std::uint64_t last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  return last;
}

bool Connection::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

}  // namespace twoway::cluster
