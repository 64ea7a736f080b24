// LMDB environment, transactions and cursors for the engine (see store.hpp).
#include "engine/store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace twoway::engine {

namespace {

MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view from_val(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

[[noreturn]] void fail(const char* what, int rc) {
  if (rc == MDB_MAP_FULL) throw MapFull{};
  throw StorageError(std::string(what) + ": " + mdb_strerror(rc), rc);
}

// The store's layout version, in `meta` under kSchemaKey. A store from a newer build (a
// larger number) is not opened: this build would misread or overwrite what it does not know.
constexpr std::uint32_t kSchemaVersion = 1;
constexpr std::string_view kSchemaKey = "schema";

// A directory with files in it but no store is someone else's (a mistyped storage.path):
// LMDB would put its files among them. Returns the first such file's name, or "".
std::string foreign_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(path) / "data.mdb", ec)) return {};
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (name != "lock.mdb") return name;
  }
  return {};
}

// What went wrong opening the environment, in words that say what to do.
std::string open_failure(const std::string& path, int rc) {
  std::string what = "cannot open the store at " + path + ": ";
  if (rc == EACCES || rc == EPERM || rc == EROFS) {
    return what + mdb_strerror(rc) + " (twowayd writes its store there: give the user it runs " +
           "as, uid " + std::to_string(::geteuid()) + ", write access, or set storage.path)";
  }
  if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
    return what + path + "/data.mdb is not a twoway store (" + mdb_strerror(rc) +
           "); nothing was changed";
  }
  return what + mdb_strerror(rc);
}

}  // namespace

StorageError::StorageError(const std::string& what, int rc) : std::runtime_error(what), rc_(rc) {}

// ---- Txn ----

Txn::Txn(Store& store, bool read_only)
    : store_(store), lock_(store.map_lock()), read_only_(read_only) {
  const int rc = mdb_txn_begin(store.env(), nullptr, read_only ? MDB_RDONLY : 0, &txn_);
  if (rc != 0) {
    txn_ = nullptr;
    fail("mdb_txn_begin", rc);
  }
}

Txn::~Txn() {
  abort();
}

void Txn::abort() noexcept {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

std::uint64_t Txn::commit() {
  MDB_txn* t = txn_;
  txn_ = nullptr;  // commit frees the txn even when it fails
  const std::uint64_t id = mdb_txn_id(t);
  const int rc = mdb_txn_commit(t);
  if (rc != 0) fail("mdb_txn_commit", rc);
  if (read_only_) return 0;
  // A transaction without changes leaves the meta pages (and the last id) as they were.
  MDB_envinfo info;
  if (mdb_env_info(store_.env(), &info) != 0 || info.me_last_txnid != id) return 0;
  store_.committed(id);
  return id;
}

std::optional<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k = to_val(key);
  MDB_val v;
  const int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != 0) fail("mdb_get", rc);
  return from_val(v);
}

int Txn::put_with(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  return mdb_put(txn_, dbi, &k, &v, flags);
}

void Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  if (const int rc = put_with(dbi, key, value, 0); rc != 0) fail("mdb_put", rc);
}

void Txn::append(MDB_dbi dbi, std::string_view key, std::string_view value) {
  int rc = put_with(dbi, key, value, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = put_with(dbi, key, value, 0);  // not the greatest key
  if (rc != 0) fail("mdb_put", rc);
}

void Txn::insert_new(MDB_dbi dbi, std::string_view key, std::string_view value) {
  int rc = put_with(dbi, key, value, MDB_APPEND | MDB_NOOVERWRITE);
  if (rc == MDB_KEYEXIST) {  // not the greatest key, or taken: tell which
    rc = put_with(dbi, key, value, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) throw StorageError("a new record's key is already in use", rc);
  }
  if (rc != 0) fail("mdb_put", rc);
}

std::size_t Txn::entries(MDB_dbi dbi) const {
  MDB_stat st;
  const int rc = mdb_stat(txn_, dbi, &st);
  if (rc != 0) fail("mdb_stat", rc);
  return st.ms_entries;
}

bool Txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  const int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) fail("mdb_del", rc);
  return true;
}

// ---- Cursor ----

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) {
  const int rc = mdb_cursor_open(txn.get(), dbi, &cur_);
  if (rc != 0) fail("mdb_cursor_open", rc);
}

Cursor::~Cursor() {
  if (cur_ != nullptr) mdb_cursor_close(cur_);
}

bool Cursor::op(MDB_cursor_op o, std::string_view seek_key) {
  MDB_val k = to_val(seek_key);
  MDB_val v{0, nullptr};
  const int rc = mdb_cursor_get(cur_, &k, &v, o);
  if (rc == MDB_NOTFOUND) {
    key_ = value_ = {};
    return false;
  }
  if (rc != 0) fail("mdb_cursor_get", rc);
  key_ = from_val(k);
  value_ = from_val(v);
  return true;
}

bool Cursor::seek(std::string_view key) {
  return op(MDB_SET_RANGE, key);
}
bool Cursor::first() {
  return op(MDB_FIRST);
}
bool Cursor::last() {
  return op(MDB_LAST);
}
bool Cursor::next() {
  return op(MDB_NEXT);
}
bool Cursor::prev() {
  return op(MDB_PREV);
}

bool Cursor::find(std::string_view key) {
  return op(MDB_SET_KEY, key);
}

void Cursor::put_current(std::string_view key, std::string_view value) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  const int rc = mdb_cursor_put(cur_, &k, &v, MDB_CURRENT);
  if (rc != 0) fail("mdb_cursor_put", rc);
}

void Cursor::del() {
  const int rc = mdb_cursor_del(cur_, 0);
  if (rc != 0) fail("mdb_cursor_del", rc);
}

// ---- Store ----

void Store::check_schema(const std::string& path) {
  // Read only: a store this build must not open is left exactly as it was.
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    fail("mdb_txn_begin", rc);
  }
  std::string problem;
  MDB_dbi main = 0;
  MDB_dbi meta_dbi = 0;
  if (mdb_dbi_open(txn, "meta", 0, &meta_dbi) == 0) {
    MDB_val k = to_val(kSchemaKey);
    MDB_val v{};
    if (mdb_get(txn, meta_dbi, &k, &v) == 0) {
      const std::string_view text = from_val(v);
      std::uint32_t found = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), found);
      if (ec != std::errc{} || end != text.data() + text.size()) {
        problem = "its schema version '" + std::string(text) + "' is not a number";
      } else if (found > kSchemaVersion) {
        problem = "it was written by a newer twoway (schema " + std::to_string(found) +
                  "; this build reads up to " + std::to_string(kSchemaVersion) +
                  "): run that version, or restore a backup made for this one";
      }
    }
  } else if (mdb_dbi_open(txn, nullptr, 0, &main) == 0) {
    // No `meta`: new, or another program's LMDB environment (its named databases are keys of
    // the main database; ours would be added among them).
    MDB_cursor* cur = nullptr;
    if (mdb_cursor_open(txn, main, &cur) == 0) {
      MDB_val k{};
      MDB_val v{};
      if (mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0)
        problem = "it is another program's LMDB store (it holds '" +
                  std::string(from_val(k).substr(0, 64)) + "' and no twoway data)";
      mdb_cursor_close(cur);
    }
  }
  mdb_txn_abort(txn);
  if (!problem.empty()) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw StorageError("the store at " + path + " was not opened, nothing was changed: " + problem,
                       MDB_INCOMPATIBLE);
  }
}

Store::Store(const StoreOptions& options)
    : durable_(options.durable), max_map_size_(options.max_map_size) {
  if (::mkdir(options.path.c_str(), 0750) != 0 && errno != EEXIST) {
    const int err = errno;
    throw StorageError(
        "cannot create the store directory " + options.path + ": " + std::strerror(err), err);
  }
  if (const std::string other = foreign_file(options.path); !other.empty()) {
    throw StorageError("the store directory " + options.path + " holds other files ('" + other +
                           "') and no twoway store: not opened, nothing written (point "
                           "storage.path at an empty or new directory)",
                       EEXIST);
  }
  int rc = mdb_env_create(&env_);
  if (rc != 0) fail("mdb_env_create", rc);
  std::size_t first = std::max(options.map_size, std::size_t{1} << 20);
  if (max_map_size_ > 0) first = std::min(first, std::max(max_map_size_, std::size_t{1} << 20));
  map_size_ = first;
  if ((rc = mdb_env_set_mapsize(env_, first)) != 0 || (rc = mdb_env_set_maxdbs(env_, 32)) != 0 ||
      (rc = mdb_env_set_maxreaders(env_, 256)) != 0) {
    mdb_env_close(env_);
    fail("mdb_env_set", rc);
  }
  // MDB_NOTLS: read transactions are not tied to a thread (admin queries from any thread).
  unsigned flags = MDB_NOTLS;
  if (!durable_) flags |= MDB_NOSYNC;
  if (options.write_map) flags |= MDB_WRITEMAP;
  rc = mdb_env_open(env_, options.path.c_str(), flags, 0640);
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw StorageError(open_failure(options.path, rc), rc);
  }
  MDB_envinfo info;
  if (mdb_env_info(env_, &info) == 0 && info.me_mapsize > map_size_) map_size_ = info.me_mapsize;
  if (max_map_size_ > 0 && map_size_ > max_map_size_) {
    // A store that grew past the limit before it was set: its data size, where LMDB opened
    // it, is the limit now (nothing more is taken; freed pages are reused).
    max_map_size_ = map_size_;
  }
  reader_check();

  check_schema(options.path);

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) {
    mdb_env_close(env_);
    fail("mdb_txn_begin", rc);
  }
  const auto open_db = [&](const char* name, MDB_dbi& dbi) {
    const int r = mdb_dbi_open(txn, name, MDB_CREATE, &dbi);
    if (r != 0) {
      mdb_txn_abort(txn);
      mdb_env_close(env_);
      env_ = nullptr;
      fail("mdb_dbi_open", r);
    }
  };
  open_db("profiles", profiles);
  open_db("message_log", messages);
  open_db("messages", legacy_messages);
  // Redelivery fingerprints of the earlier layout now live in the profiles: free their pages.
  for (const char* gone : {"dedup", "dedup_time"}) {
    MDB_dbi dbi = 0;
    if (mdb_dbi_open(txn, gone, 0, &dbi) == 0) mdb_drop(txn, dbi, 1);
  }
  open_db("inbox_all", inbox_all);
  open_db("inbox_unread", inbox_unread);
  open_db("inbox_archived", inbox_archived);
  open_db("inbox", legacy_inbox);
  open_db("outbox", outbox);
  open_db("outbox_ids", outbox_ids);
  open_db("outbox_num", outbox_num);
  open_db("dlr_index", dlr_index);
  open_db("dlr_early", dlr_early);
  open_db("partials", partials);
  open_db("settings", settings);
  open_db("meta", meta);
  open_db("awaiting", awaiting);
  open_db("stats", stats);
  open_db("links", links);
  open_db("link_msg", link_msg);
  open_db("flagged", flagged);
  open_db("consent_log", consent_log);
  open_db("consent_num", consent_num);
  {
    const std::string version = std::to_string(kSchemaVersion);
    MDB_val k = to_val(kSchemaKey);
    MDB_val v = to_val(version);
    if ((rc = mdb_put(txn, meta, &k, &v, 0)) != 0) {
      mdb_txn_abort(txn);
      mdb_env_close(env_);
      env_ = nullptr;
      fail("mdb_put", rc);
    }
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    fail("mdb_txn_commit", rc);
  }
  if (mdb_env_info(env_, &info) == 0) last_commit_ = info.me_last_txnid;
  rc = mdb_env_sync(env_, 1);  // from here on, durable_through() counts from the opened state
  if (rc != 0) {
    mdb_env_close(env_);
    env_ = nullptr;
    fail("mdb_env_sync", rc);
  }
  durable_through_ = last_commit_.load();
}

Store::~Store() {
  if (env_ != nullptr) {
    mdb_env_sync(env_, 1);  // the last meta page (durable mode) or everything (relaxed)
    mdb_env_close(env_);
  }
}

bool Store::grow() {
  std::unique_lock lock(map_lock_);
  std::size_t next = map_size_ * 2;
  if (max_map_size_ > 0) next = std::min(next, max_map_size_);
  if (next <= map_size_) return false;
  const int rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) fail("mdb_env_set_mapsize", rc);
  map_size_ = next;
  return true;
}

std::size_t Store::room_bytes() {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(env_, &info) != 0 || mdb_env_stat(env_, &st) != 0) return 0;
  const std::size_t psize = st.ms_psize;
  const std::size_t limit = std::max<std::size_t>(max_map_size_, map_size_) / psize;
  std::size_t pages = limit > info.me_last_pgno + 1 ? limit - (info.me_last_pgno + 1) : 0;
  // The free list (database 0): each record is a count of page numbers and the numbers.
  Txn txn(*this, true);
  Cursor c(txn, 0);
  for (bool more = c.first(); more; more = c.next()) {
    if (c.value().size() >= sizeof(std::size_t)) {
      std::size_t count = 0;
      std::memcpy(&count, c.value().data(), sizeof count);
      pages += count;
    }
  }
  return pages * psize;
}

std::size_t Store::used_bytes() const noexcept {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(env_, &info) != 0 || mdb_env_stat(env_, &st) != 0) return 0;
  return (info.me_last_pgno + 1) * static_cast<std::size_t>(st.ms_psize);
}

int Store::reader_check() {
  int dead = 0;
  mdb_reader_check(env_, &dead);
  return dead;
}

void Store::sync() {
  const std::uint64_t through = last_commit_;
  const int rc = mdb_env_sync(env_, 1);
  if (rc != 0) fail("mdb_env_sync", rc);
  durable_through_ = through;
}

void Store::set_lazy_meta(bool lazy) {
  if (!durable_ || lazy == lazy_meta_) return;
  const int rc = mdb_env_set_flags(env_, MDB_NOMETASYNC, lazy ? 1 : 0);
  if (rc != 0) fail("mdb_env_set_flags", rc);
  lazy_meta_ = lazy;
}

void Store::committed(std::uint64_t txn_id) noexcept {
  if (durable_ && txn_id > 0) {
    // The commit's data flush also carried the meta pages written before it.
    const std::uint64_t through = lazy_meta_ ? txn_id - 1 : txn_id;
    if (through > durable_through_.load()) durable_through_ = through;
  }
  last_commit_ = txn_id;
}

}  // namespace twoway::engine
