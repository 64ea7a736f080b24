// The LMDB environment of the engine: named databases, RAII transactions (abort in the
// destructor), map growth on MDB_MAP_FULL and stale-reader clearing. Pure storage, no rules.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>

namespace twoway::engine {

// A storage failure that must stop the daemon (cannot open, disk error, corruption).
class StorageError : public std::runtime_error {
 public:
  StorageError(const std::string& what, int rc);
  int code() const noexcept { return rc_; }

 private:
  int rc_;
};

// Thrown inside a write transaction when the map is full; the batch runner aborts, grows the
// map and applies the batch again. Never escapes the engine.
struct MapFull {};

// The map is full and may not grow (StoreOptions::max_map_size): the batch is refused, not
// failed. Writes go on once deletions have freed pages. Never escapes the engine.
struct StoreFull {};

struct StoreOptions {
  std::string path;
  std::size_t map_size = std::size_t{1} << 30;  // first map size
  bool durable = true;
  // MDB_WRITEMAP: commits write into the map instead of copying pages with pwrite (faster for
  // big batches; a stray write through a bad pointer could then reach the file).
  bool write_map = false;
  // The map never grows past this (0 = no limit but LMDB's). A store whose data is already
  // larger opens at its data size and takes no new pages.
  std::size_t max_map_size = 0;
};

class Store;

// A transaction that aborts in its destructor unless committed. Holds the map lock shared so
// the map is never resized under it.
class Txn {
 public:
  Txn(Store& store, bool read_only);
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  MDB_txn* get() const noexcept { return txn_; }
  // Commits; throws MapFull or StorageError. Returns the transaction's id, or 0 when it wrote
  // nothing (LMDB then writes nothing either) or was read-only. See Store::durable_through().
  std::uint64_t commit();
  void abort() noexcept;

  // Returns the value or nullopt when the key is absent ("not found" is a normal result).
  [[nodiscard]] std::optional<std::string_view> get(MDB_dbi dbi, std::string_view key) const;
  // Throws MapFull when the map is full, StorageError on other failures.
  void put(MDB_dbi dbi, std::string_view key, std::string_view value);
  // put() for a key meant to be greater than every key in the database: LMDB goes straight to
  // the last page instead of searching. A key out of order is stored with a plain put().
  void append(MDB_dbi dbi, std::string_view key, std::string_view value);
  // Stores a record under a key that must be new (appended when it is the greatest). A key
  // already in use means the store is inconsistent: StorageError, never an overwrite.
  void insert_new(MDB_dbi dbi, std::string_view key, std::string_view value);
  // Returns false when the key was absent.
  bool del(MDB_dbi dbi, std::string_view key);
  // Records in the database.
  [[nodiscard]] std::size_t entries(MDB_dbi dbi) const;

 private:
  // mdb_put with `flags`; returns LMDB's code.
  int put_with(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags);

  Store& store_;
  std::shared_lock<std::shared_mutex> lock_;
  MDB_txn* txn_ = nullptr;
  bool read_only_ = false;
};

// A cursor over one database inside a transaction, closed in its destructor.
class Cursor {
 public:
  Cursor(const Txn& txn, MDB_dbi dbi);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // Positioning: each returns false when there is no such entry.
  bool seek(std::string_view key);  // first key >= key
  bool first();
  bool last();
  bool next();
  bool prev();
  std::string_view key() const noexcept { return key_; }
  std::string_view value() const noexcept { return value_; }
  // Positions on exactly `key`; false when it is absent.
  bool find(std::string_view key);
  // Replaces the value of the current entry, whose key is `key` (write transactions only; no
  // search). Throws MapFull / StorageError as Txn::put.
  void put_current(std::string_view key, std::string_view value);
  // Deletes the current entry (write transactions only).
  void del();

 private:
  bool op(MDB_cursor_op o, std::string_view seek_key = {});
  MDB_cursor* cur_ = nullptr;
  std::string_view key_, value_;
};

class Store {
 public:
  // Opens (creating if needed) the environment and its databases; clears stale readers.
  // Throws StorageError when it cannot.
  explicit Store(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  MDB_env* env() const noexcept { return env_; }
  bool durable() const noexcept { return durable_; }

  // Doubles the map size, up to max_map_size. Waits until no transaction of this process is
  // active. Returns false when the map is at its limit (it stays as it is).
  [[nodiscard]] bool grow();
  std::size_t map_size() const noexcept { return map_size_.load(); }
  // The largest the map may become; 0 = no limit.
  std::size_t max_map_size() const noexcept { return max_map_size_; }
  // Bytes of the map in use: up to the highest page ever written (freed pages below it are
  // reused before the map takes new ones).
  std::size_t used_bytes() const noexcept;
  // Bytes a write may still take: the map (at its largest size) past the highest page written
  // plus the pages on LMDB's free list. Opens a read transaction: call it outside a write
  // transaction.
  std::size_t room_bytes();
  // Clears reader slots of dead processes/threads; returns how many were cleared.
  int reader_check();
  // Flushes everything committed to disk.
  void sync();

  // Durable mode: a commit flushes its data pages, then writes its meta page (the page that
  // makes the transaction the current one) and waits for that write too. With a lazy meta
  // page (set_lazy_meta(true), for a commit with another one right behind it) it does not
  // wait (MDB_NOMETASYNC): the page reaches the disk with the data flush of the next commit
  // that writes, or with sync(). A commit is durable once durable_through() is at least its
  // id; until then a power failure may undo it, never tear it (the previous meta page still
  // points at an intact tree). Relaxed mode: only sync() makes commits durable.
  // Changed by the writer thread only.
  void set_lazy_meta(bool lazy);
  std::uint64_t durable_through() const noexcept { return durable_through_.load(); }
  std::uint64_t last_commit() const noexcept { return last_commit_.load(); }
  void committed(std::uint64_t txn_id) noexcept;

  std::shared_mutex& map_lock() noexcept { return map_lock_; }

 private:
  // Refuses (StorageError, the environment closed) a store written by a newer schema or
  // another program's LMDB environment, before anything is written to it.
  void check_schema(const std::string& path);

 public:
  // Named databases (what each holds: docs/ARCHITECTURE.md §3.2).
  MDB_dbi profiles = 0;
  MDB_dbi messages = 0;         // id -> message (named "message_log")
  MDB_dbi legacy_messages = 0;  // number \0 seq -> message, the layout before ids ("messages")
  // Inbox views, one database each, keyed time(8) order(8) ascending: the newest conversation
  // is the last key, so moving one to the top appends.
  MDB_dbi inbox_all = 0;
  MDB_dbi inbox_unread = 0;
  MDB_dbi inbox_archived = 0;
  MDB_dbi legacy_inbox = 0;  // view(1) ~time(8) ~order(8), the layout before ("inbox")
  MDB_dbi outbox = 0;
  MDB_dbi outbox_ids = 0;  // id -> outbox key
  MDB_dbi outbox_num = 0;  // number \0 id -> nothing (cancel on opt-out)
  MDB_dbi dlr_index = 0;
  MDB_dbi dlr_early = 0;  // receipt id key -> a receipt that came before its submit_sm_resp
  MDB_dbi partials = 0;
  MDB_dbi settings = 0;
  MDB_dbi meta = 0;      // counters, schema version
  MDB_dbi awaiting = 0;  // since + number: free text not yet answered
  MDB_dbi stats = 0;     // credits per day/month, response-time totals
  // The consent audit trail: time(8) id(8) -> entry (a range scan by time), and
  // number \0 id(8) -> time(8) (a number's history in the order it was written).
  MDB_dbi consent_log = 0;
  MDB_dbi consent_num = 0;
  MDB_dbi flagged = 0;  // time(8) message id(8) -> number: texts that may revoke consent
  // Short links (engine/links.hpp): code -> link record; message id(8) code -> nothing.
  MDB_dbi links = 0;
  MDB_dbi link_msg = 0;

 private:
  MDB_env* env_ = nullptr;
  bool durable_ = true;
  std::atomic<std::size_t> map_size_{0};
  std::size_t max_map_size_ = 0;
  std::atomic<std::uint64_t> last_commit_{0};
  std::atomic<std::uint64_t> durable_through_{0};
  bool lazy_meta_ = false;
  std::shared_mutex map_lock_;
};

}  // namespace twoway::engine
