// The store and the record format: versioned, forward-compatible records, key order, map
// growth instead of MDB_MAP_FULL, and the threaded writer's group commit and durability.
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/profiles.hpp"
#include "engine/records.hpp"
#include "engine/store.hpp"
#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

TEST(Records, ProfileRoundTrip) {
  Profile p;
  p.number = "+16502530000";
  p.name = "Alice";
  p.consent = Consent::subscribed;
  p.consent_source = ConsentSource::import;
  p.consent_since = -5;
  p.unread = 3;
  p.tags = {"vip", "beta"};
  p.last_mo = 1781542800;
  p.recent_mo = {{0xfedcba9876543210ULL, 1781542800}, {7, -1}};
  std::string buf;
  records::encode(p, buf);
  Profile q;
  ASSERT_TRUE(records::decode(buf, q));
  EXPECT_EQ(q.name, "Alice");
  EXPECT_EQ(q.consent, Consent::subscribed);
  EXPECT_EQ(q.consent_source, ConsentSource::import);
  EXPECT_EQ(q.consent_since, -5);
  EXPECT_EQ(q.unread, 3u);
  EXPECT_EQ(q.tags, p.tags);
  EXPECT_EQ(q.last_mo, p.last_mo);
  EXPECT_EQ(q.recent_mo, p.recent_mo);
}

TEST(Records, UnknownTrailingFieldsAreIgnored) {
  Message m;
  m.text = "hello";
  m.kind = MessageKind::campaign;
  m.smsc_ids = {"a", "b"};
  std::string buf;
  records::encode(m, buf);
  buf += std::string("\x05future", 7);  // a later release appended a field
  Message back;
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_EQ(back.text, "hello");
  EXPECT_EQ(back.kind, MessageKind::campaign);
  EXPECT_EQ(back.smsc_ids, m.smsc_ids);
}

TEST(Records, WriterGrowsPastItsFirstRoomAndContinuesAfterFinish) {
  std::string buf = "prefix";
  {
    records::Writer w(buf);
    for (int i = 0; i < 300; ++i) w.varint(std::uint64_t{1} << (i % 64));
    w.str(std::string(5000, 'x'));
    w.fixed64(0x0123456789abcdefULL);
    w.finish();
    EXPECT_EQ(buf.substr(0, 6), "prefix");
    w.svarint(-3);  // continues after what finish() kept
  }
  records::Reader r(std::string_view(buf).substr(6));
  for (int i = 0; i < 300; ++i) ASSERT_EQ(r.varint(), std::uint64_t{1} << (i % 64)) << i;
  EXPECT_EQ(r.str(), std::string(5000, 'x'));
  EXPECT_EQ(r.fixed64(), 0x0123456789abcdefULL);
  EXPECT_EQ(r.svarint(), -3);
  EXPECT_FALSE(r.more());
  EXPECT_TRUE(r.ok());
}

TEST(Records, OlderRecordsKeepDefaultsForMissingFields) {
  // A version-1 writer that stopped after the consent fields.
  std::string buf;
  records::Writer w(buf);
  w.u8(1);
  w.str("+16502530000");
  w.str("Old");
  w.u8(static_cast<std::uint8_t>(Consent::unsubscribed));
  w.finish();
  Profile p;
  ASSERT_TRUE(records::decode(buf, p));
  EXPECT_EQ(p.name, "Old");
  EXPECT_EQ(p.consent, Consent::unsubscribed);
  EXPECT_EQ(p.next_seq, 1u);
  EXPECT_TRUE(p.tags.empty());
}

TEST(Records, TruncatedFieldIsReportedNotOverread) {  // invariant 6 on our own disk
  Message m;
  m.text = std::string(100, 'x');
  std::string buf;
  records::encode(m, buf);
  Message back;
  EXPECT_FALSE(records::decode(std::string_view(buf).substr(0, 20), back));
  EXPECT_FALSE(records::decode("", back));
}

TEST(Records, SettingsRoundTripKeepsDefaultsOfMissingSections) {
  Settings s;
  s.auto_responder.mode = AutoResponderMode::all;
  s.keywords.custom.push_back({"JOIN", "hi", "subscribe"});
  s.quiet_hours.rules.push_back({"late", {"GB"}, {600, 1200}});
  std::string buf;
  records::encode(s, buf);
  Settings back;
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_EQ(back.auto_responder.mode, AutoResponderMode::all);
  ASSERT_EQ(back.keywords.custom.size(), 1u);
  EXPECT_EQ(back.keywords.custom[0].action, "subscribe");
  ASSERT_FALSE(back.quiet_hours.rules.empty());
  EXPECT_EQ(back.quiet_hours.rules.back().window.start_minute, 600);
}

TEST(Records, KeysSortLikeTheViews) {
  EXPECT_LT(records::message_key(2), records::message_key(10));
  EXPECT_LT(records::message_key(255), records::message_key(256));
  EXPECT_LT(records::legacy_message_key("+1650", 999), records::legacy_message_key("+16500", 1));
  // Inbox: newer first, then the later order first.
  EXPECT_LT(records::inbox_key(100, 5), records::inbox_key(200, 1));
  EXPECT_LT(records::inbox_key(100, 5), records::inbox_key(100, 6));
  EXPECT_LT(records::legacy_inbox_key(InboxView::inbox, 200, 1),
            records::legacy_inbox_key(InboxView::inbox, 100, 5));
  EXPECT_LT(records::outbox_key(false, 5, 9), records::outbox_key(false, 6, 1));
  EXPECT_LT(records::outbox_key(false, 1LL << 40, 9), records::outbox_key(true, 0, 1));
}

TEST_F(EngineTest, MapGrowsInsteadOfFailingWhenFull) {
  config.map_size = 1 << 20;
  config.durable = false;
  reopen();
  const std::size_t first = engine->map_size();
  subscribe_number(kAlice);
  for (int i = 0; i < 3000; ++i) text(kAlice, std::string(400, 'a' + i % 26));
  EXPECT_GT(engine->map_size(), first);
  EXPECT_EQ(profile_of(kAlice).unread, 3000u);
  EXPECT_EQ(engine->thread(kAlice, 0, 1, now).messages.at(0).text,
            std::string(400, 'a' + 2999 % 26));
}

TEST_F(EngineTest, MapStopsAtItsLargestSizeAndRefusesInsteadOfFailing) {
  config.map_size = 1 << 20;
  config.max_map_size = 2 << 20;
  config.durable = false;
  reopen();
  int stored = 0;
  bool refused = false;
  for (int i = 0; i < 20000 && !refused; ++i) {
    bool committed = false;
    engine->submit_inbound(message(kAlice, std::string(400, 'a' + i % 26)),
                           [&](bool ok) { committed = ok; });
    if (committed)
      ++stored;
    else
      refused = true;
  }
  ASSERT_TRUE(refused) << "the store took " << stored << " texts without reaching its limit";
  EXPECT_GT(stored, 100);
  EXPECT_EQ(engine->map_size(), std::size_t{2} << 20);
  EXPECT_EQ(engine->max_map_size(), std::size_t{2} << 20);
  EXPECT_GT(engine->store_used_bytes(), (std::size_t{2} << 20) / 10 * 9);
  // Full is a refusal the SMSC retries, not a failure that stops the daemon.
  EXPECT_TRUE(engine->healthy());
  EXPECT_TRUE(engine->store_full());
  EXPECT_GE(engine->store_full_refusals(), 1u);
  EXPECT_EQ(profile_of(kAlice).unread, static_cast<std::uint32_t>(stored));

  // The operator raises the limit and restarts: writes go on.
  config.max_map_size = 8 << 20;
  reopen();
  bool committed = false;
  engine->submit_inbound(message(kAlice, "after the restart"), [&](bool ok) { committed = ok; });
  EXPECT_TRUE(committed);
  EXPECT_FALSE(engine->store_full());
  EXPECT_EQ(profile_of(kAlice).last_preview, "after the restart");
}

TEST(StoreLimit, RoomIsCountedAndComesBackAfterDeletions) {
  TempDir dir;
  Store store(StoreOptions{dir.path() + "/db", 1 << 20, false, false, 1 << 20});
  const std::string value(2000, 'v');
  auto key = [](int i) { return "k" + std::to_string(100000 + i); };
  const std::size_t reserve = 256 << 10;  // what the engine keeps at this size
  const std::size_t empty_room = store.room_bytes();
  EXPECT_GT(empty_room, std::size_t{900} << 10);
  // Filled as the engine does: new records only while the room is above the reserve.
  int written = 0;
  while (store.room_bytes() >= reserve && written < 10000) {
    Txn txn(store, false);
    for (int i = 0; i < 10; ++i) txn.put(store.settings, key(written + i), value);
    txn.commit();
    written += 10;
  }
  ASSERT_LT(store.room_bytes(), reserve);
  EXPECT_FALSE(store.grow()) << "the map grew past its largest size";
  EXPECT_EQ(store.map_size(), std::size_t{1} << 20);
  // Deleting takes pages too (copy on write): the reserve is what lets it commit.
  for (int i = 0; i < written / 2; i += 10) {
    Txn txn(store, false);
    for (int j = i; j < i + 10 && j < written / 2; ++j)
      EXPECT_TRUE(txn.del(store.settings, key(j)));
    ASSERT_NO_THROW(txn.commit()) << "deleting at " << i;
  }
  // The freed pages are room again, taken without the map growing.
  EXPECT_GE(store.room_bytes(), reserve + (std::size_t{200} << 10));
  for (int i = 0; i < 20; i += 10) {
    Txn txn(store, false);
    for (int j = i; j < i + 10; ++j) txn.put(store.settings, key(j), value);
    ASSERT_NO_THROW(txn.commit());
  }
  EXPECT_EQ(store.map_size(), std::size_t{1} << 20);
}

// ---- stores this build must not open or write ----------------------------------------------

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string open_error(const std::string& path) {
  try {
    Store store(StoreOptions{path, 1 << 20, false, false});
  } catch (const StorageError& e) {
    return e.what();
  }
  return {};
}

TEST(StoreRefuses, AStoreWrittenByANewerSchemaAndChangesNothing) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    Store store(StoreOptions{path, 1 << 20, false, false});
    Txn txn(store, false);
    txn.put(store.meta, "schema", "7");
    txn.commit();
  }
  const std::string before = file_bytes(path + "/data.mdb");
  const std::string error = open_error(path);
  EXPECT_THAT(error, ::testing::HasSubstr("written by a newer twoway (schema 7"));
  EXPECT_THAT(error, ::testing::HasSubstr("nothing was changed"));
  EXPECT_EQ(file_bytes(path + "/data.mdb"), before);
}

TEST(StoreRefuses, ADirectoryHoldingOtherFilesAndWritesNothingThere) {
  TempDir dir;
  const std::string path = dir.path() + "/home";
  std::filesystem::create_directory(path);
  std::ofstream(path + "/notes.txt") << "someone's file\n";
  const std::string error = open_error(path);
  EXPECT_THAT(error, ::testing::HasSubstr("holds other files ('notes.txt')"));
  EXPECT_THAT(error, ::testing::HasSubstr("storage.path"));
  EXPECT_FALSE(std::filesystem::exists(path + "/data.mdb"));
  EXPECT_FALSE(std::filesystem::exists(path + "/lock.mdb"));
}

TEST(StoreRefuses, AnotherProgramsLmdbEnvironment) {
  TempDir dir;
  const std::string path = dir.path() + "/other";
  std::filesystem::create_directory(path);
  {
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 4), 0);
    ASSERT_EQ(mdb_env_open(env, path.c_str(), 0, 0640), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_dbi_open(txn, "sessions", MDB_CREATE, &dbi), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  const std::string before = file_bytes(path + "/data.mdb");
  EXPECT_THAT(open_error(path), ::testing::HasSubstr("another program's LMDB store"));
  EXPECT_EQ(file_bytes(path + "/data.mdb"), before);
}

TEST(StoreRefuses, AFileThatIsNotLmdb) {
  TempDir dir;
  const std::string path = dir.path() + "/broken";
  std::filesystem::create_directory(path);
  const std::string garbage(8192, '\x5a');
  std::ofstream(path + "/data.mdb", std::ios::binary) << garbage;
  EXPECT_THAT(open_error(path), ::testing::HasSubstr("is not a twoway store"));
  EXPECT_EQ(file_bytes(path + "/data.mdb"), garbage);
}

TEST(StoreRefuses, AReadOnlyDirectoryWithAMessageNamingTheUser) {
  TempDir dir;
  const std::string path = dir.path() + "/ro";
  std::filesystem::create_directory(path);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0555), 0);
  // Root writes anywhere: the check runs as an unprivileged user in a child then.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    const std::string error = open_error(path);
    const auto n = ::write(pipe_fds[1], error.data(), error.size());
    ::_exit(n == static_cast<ssize_t>(error.size()) ? 0 : 4);
  }
  ::close(pipe_fds[1]);
  std::string error;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) error.append(buf, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_THAT(error, ::testing::HasSubstr("Permission denied"));
  EXPECT_THAT(error, ::testing::HasSubstr("give the user it runs as"));
  EXPECT_FALSE(std::filesystem::exists(path + "/data.mdb"));
}

TEST(StoreSchema, ANewStoreIsMarkedWithThisBuildsSchema) {
  TempDir dir;
  Store store(StoreOptions{dir.path() + "/db", 1 << 20, false, false});
  Txn txn(store, true);
  EXPECT_EQ(txn.get(store.meta, "schema"), std::optional<std::string_view>("1"));
}

// Turns the store back into the earlier layout: messages keyed number \0 seq with records that
// end before the number / seq / prev fields, no ids in profiles, the outbox or the receipt
// index, and all inbox views in one database, newest first.
void downgrade_to_legacy_layout(const std::string& path) {
  Store store(StoreOptions{path, std::size_t{64} << 20, true, false});
  Txn txn(store, false);
  std::vector<std::pair<std::string, std::string>> moved;
  std::string buf;
  {
    Cursor c(txn, store.messages);
    for (bool ok = c.first(); ok; ok = c.next()) {
      Message m;
      ASSERT_TRUE(records::decode(c.value(), m));
      const std::string key = records::legacy_message_key(m.number, m.seq).str();
      m.number.clear();
      m.seq = 0;
      m.prev = 0;
      records::encode(m, buf);
      buf.resize(buf.size() - 3);  // "", 0, 0: the three fields the old layout did not have
      moved.emplace_back(key, buf);
    }
  }
  ASSERT_FALSE(moved.empty());
  ASSERT_EQ(mdb_drop(txn.get(), store.messages, 0), 0);
  for (const auto& [k, v] : moved) txn.put(store.legacy_messages, k, v);
  const auto rewrite = [&](MDB_dbi dbi, auto record) {
    std::vector<std::pair<std::string, std::string>> out;
    Cursor c(txn, dbi);
    for (bool ok = c.first(); ok; ok = c.next()) {
      auto r = record;
      if (!records::decode(c.value(), r)) continue;
      if constexpr (std::is_same_v<decltype(r), Profile>)
        r.last_message_id = 0;
      else
        r.message_id = 0;
      records::encode(r, buf);
      out.emplace_back(std::string(c.key()), buf);
    }
    for (const auto& [k, v] : out) txn.put(dbi, k, v);
  };
  for (InboxView view : {InboxView::inbox, InboxView::unread, InboxView::archived}) {
    std::vector<std::pair<std::string, std::string>> entries;
    {
      Cursor c(txn, inbox_db(store, view));
      for (bool ok = c.first(); ok; ok = c.next()) {
        const auto time = static_cast<std::int64_t>(records::get_be64(c.key(), 0));
        const std::uint64_t order = records::get_be64(c.key(), 8);
        entries.emplace_back(records::legacy_inbox_key(view, time, order).str(), c.value());
      }
    }
    ASSERT_EQ(mdb_drop(txn.get(), inbox_db(store, view), 0), 0);
    for (const auto& [k, v] : entries) txn.put(store.legacy_inbox, k, v);
  }
  rewrite(store.profiles, Profile{});
  rewrite(store.outbox, records::OutboxRecord{});
  rewrite(store.dlr_index, records::DlrTarget{});
  txn.commit();
}

TEST_F(EngineTest, AStoreInTheEarlierLayoutIsMovedOverWithThreadsInboxAndReferences) {
  subscribe_number(kAlice);
  text(kAlice, "first");
  text(kBob, "hello from bob");
  text(kAlice, "second");
  ASSERT_TRUE(engine->reply({kAlice, "sent reply", "ann", false, now}).ok());
  ASSERT_EQ(drain().size(), 1u);  // submitted: its receipt is indexed
  ASSERT_TRUE(engine->reply({kAlice, "queued reply", "ann", false, now}).ok());
  ASSERT_EQ(engine->mark_read(kBob, true, now), ActionError::ok);
  const auto before = thread_of(kAlice);
  ASSERT_EQ(before.size(), 4u);
  const auto rows = [&](InboxView view) {
    std::vector<std::string> numbers;
    for (const auto& row : engine->inbox(view, "", 10).rows) numbers.push_back(row.number);
    return numbers;
  };
  const auto inbox_before = rows(InboxView::inbox);
  const auto unread_before = rows(InboxView::unread);
  ASSERT_EQ(inbox_before, (std::vector<std::string>{kAlice, kBob}));
  ASSERT_EQ(unread_before, (std::vector<std::string>{kAlice}));
  engine.reset();
  downgrade_to_legacy_layout(config.path);

  open();
  EXPECT_EQ(rows(InboxView::inbox), inbox_before);
  EXPECT_EQ(rows(InboxView::unread), unread_before);
  text(kBob, "back again");
  EXPECT_EQ(rows(InboxView::inbox), (std::vector<std::string>{kBob, kAlice}));
  EXPECT_EQ(rows(InboxView::unread), (std::vector<std::string>{kBob, kAlice}));
  const auto after = thread_of(kAlice);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].text, before[i].text);
    EXPECT_EQ(after[i].seq, before[i].seq);
    EXPECT_EQ(after[i].state, before[i].state);
  }
  EXPECT_EQ(thread_of(kBob).size(), 2u);  // the migrated text and "back again"
  // Paging still walks the whole thread.
  auto page = engine->thread(kAlice, 0, 3, now);
  ASSERT_EQ(page.messages.size(), 3u);
  EXPECT_EQ(page.messages.front().text, "second");
  EXPECT_EQ(engine->thread(kAlice, page.next_cursor, 3, now).messages.at(0).text, "first");
  // The receipt index and the outbox still find their messages.
  ASSERT_TRUE(engine->apply_receipt(
      {"smsc1", before[2].smsc_ids.at(0), ReceiptState::delivered, "", now + 5}));
  EXPECT_EQ(thread_of(kAlice)[2].state, MessageState::delivered);
  const auto sent = drain();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].text, "queued reply");
  EXPECT_EQ(thread_of(kAlice)[3].state, MessageState::sent);
  // New messages continue the migrated threads; a second start moves nothing again.
  text(kAlice, "third");
  open();
  const auto last = thread_of(kAlice);
  ASSERT_EQ(last.size(), 5u);
  EXPECT_EQ(last.back().text, "third");
  EXPECT_EQ(last.back().seq, 5u);
}

TEST_F(EngineTest, MessageIdsContinueAfterTheGreatestEvenWhenTheCounterIsBehind) {
  text(kAlice, "one");
  text(kBob, "two");
  engine.reset();
  {
    // The counters as a build without message ids wrote them: the id counter is missing.
    Store store(StoreOptions{config.path, std::size_t{64} << 20, true, false});
    Txn txn(store, false);
    std::string buf;
    records::Writer w(buf);
    w.u8(records::kSchemaVersion);
    w.varint(1);
    w.varint(3);
    w.finish();
    txn.put(store.meta, "counters", buf);
    txn.commit();
  }
  open();
  text(kAlice, "three");
  text(kBob, "four");
  const auto alice = thread_of(kAlice);
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_EQ(alice[0].text, "one");
  EXPECT_EQ(alice[1].text, "three");
  const auto bob = thread_of(kBob);
  ASSERT_EQ(bob.size(), 2u);
  EXPECT_EQ(bob[0].text, "two");
  EXPECT_EQ(bob[1].text, "four");
}

// One write transaction on the meta database; returns what commit() returned.
std::uint64_t write_one(Store& store, const std::string& key, bool lazy) {
  Txn txn(store, false);
  txn.put(store.meta, key, "v");
  store.set_lazy_meta(lazy);
  return txn.commit();
}

TEST(Store, ALazyMetaPageIsOnDiskOnlyAfterTheNextCommitOrASync) {
  TempDir dir;
  Store store(StoreOptions{dir.path() + "/db"});
  const std::uint64_t opened = store.last_commit();
  EXPECT_EQ(store.durable_through(), opened);

  const std::uint64_t a = write_one(store, "a", true);
  EXPECT_EQ(a, opened + 1);
  EXPECT_EQ(store.last_commit(), a);
  EXPECT_EQ(store.durable_through(), a - 1);  // its meta page is not flushed yet

  const std::uint64_t b = write_one(store, "b", true);
  EXPECT_EQ(store.durable_through(), b - 1);  // b's data flush carried a's meta page
  EXPECT_GE(store.durable_through(), a);

  const std::uint64_t c = write_one(store, "c", false);
  EXPECT_EQ(store.durable_through(), c);  // waited for its own meta page

  const std::uint64_t d = write_one(store, "d", true);
  store.sync();
  EXPECT_EQ(store.durable_through(), d);

  {
    Txn empty(store, false);  // writes nothing: LMDB writes nothing, no id is used
    EXPECT_EQ(empty.commit(), 0u);
  }
  EXPECT_EQ(store.last_commit(), d);

  // Ending a read transaction says nothing about the disk.
  const std::uint64_t e = write_one(store, "e", true);
  store.set_lazy_meta(false);
  {
    Txn reader(store, true);
    EXPECT_EQ(reader.commit(), 0u);
  }
  EXPECT_EQ(store.durable_through(), e - 1);
}

TEST(Store, RelaxedCommitsAreOnDiskOnlyAfterASync) {
  TempDir dir;
  Store store(StoreOptions{dir.path() + "/db", std::size_t{1} << 20, false});
  const std::uint64_t opened = store.durable_through();
  const std::uint64_t a = write_one(store, "a", false);
  const std::uint64_t b = write_one(store, "b", false);
  EXPECT_EQ(store.durable_through(), opened);
  EXPECT_EQ(store.last_commit(), b);
  EXPECT_GT(b, a);
  store.sync();
  EXPECT_EQ(store.durable_through(), b);
}

class WriterTest : public EngineTest {
 protected:
  void SetUp() override { open(EngineMode::threaded); }
};

TEST_F(WriterTest, CompletionRunsAfterTheCommitThatHoldsTheMessage) {  // invariant 1
  constexpr int kCount = 500;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::atomic<int> visible{0};
  for (int i = 0; i < kCount; ++i) {
    InboundMessage m = message("+1650253" + std::to_string(1000 + i), "hello " + std::to_string(i));
    const std::string number = m.source;
    engine->submit_inbound(std::move(m), [&, number](bool committed) {
      // deliver_sm_resp would be sent here: the message must already be readable.
      if (committed && engine->profile(number).has_value()) ++visible;
      std::lock_guard lock(mu);
      ++done;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done == kCount; });
  EXPECT_EQ(visible.load(), kCount);
}

TEST_F(WriterTest, UnderLoadACompletionWaitsUntilItsCommitIsOnDisk) {  // invariant 1
  // More than the writer takes in one transaction (4,096), handed over at once: each commit
  // has work behind it, so its meta page is left to the next commit's flush.
  constexpr int kCount = 3 * 4096;
  engine->flush();
  const std::uint64_t before = engine->last_commit();
  const std::uint64_t commits_before = engine->commit_stats().commits;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int early = 0;  // completions that ran before their commit could be on disk
  std::vector<Engine::Submission> batch(kCount);
  for (int i = 0; i < kCount; ++i) {
    batch[i].message =
        message("+1650253" + std::to_string(1000 + i % 2000), "load " + std::to_string(i));
    // Message i is in the (1 + i / 4096)th transaction after `before` or a later one.
    const std::uint64_t lowest = before + 1 + static_cast<std::uint64_t>(i / 4096);
    batch[i].done = [&, lowest](bool committed) {
      std::lock_guard lock(mu);
      if (!committed || engine->durable_through() < lowest) ++early;
      ++done;
      cv.notify_all();
    };
  }
  engine->submit_inbound(std::move(batch));
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == kCount; });
  }
  EXPECT_EQ(early, 0);
  EXPECT_GE(engine->commit_stats().commits - commits_before, 3u);
  // With nothing behind it, the last commit did not leave its completions waiting.
  EXPECT_EQ(engine->durable_through(), engine->last_commit());
  open(EngineMode::threaded);
  EXPECT_EQ(engine->thread("+16502531000", 0, 100, now).messages.size(),
            static_cast<std::size_t>(kCount / 2000 + 1));
}

TEST_F(WriterTest, MessagesHandedOverTogetherShareOneTransaction) {
  for (EngineMode mode : {EngineMode::threaded, EngineMode::synchronous}) {
    open(mode);
    engine->flush();
    const std::uint64_t commits = engine->commit_stats().commits;
    std::atomic<int> acked{0};
    std::vector<Engine::Submission> batch(10);
    for (int i = 0; i < 10; ++i) {
      batch[i].message = message(kAlice, "together " + std::to_string(i));
      batch[i].message.received_unix = now + i;
      batch[i].done = [&](bool ok) { acked += ok ? 1 : 0; };
    }
    engine->submit_inbound(std::move(batch));
    for (int wait = 0; wait < 5000 && acked.load() < 10; ++wait)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(acked.load(), 10);
    EXPECT_EQ(engine->commit_stats().commits - commits, 1u);
    EXPECT_EQ(engine->thread(kAlice, 0, 1, now).messages.at(0).text, "together 9");
  }
}

TEST_F(WriterTest, TheSettledHookRunsOnceAfterTheCompletionsItFollows) {
  // What the inbound path relies on to answer a commit's deliver_sm in one write: every
  // completion of the settled commits has run when the hook runs, and the hook runs once for
  // them, not once per completion.
  std::mutex mu;
  std::condition_variable cv;
  int completed = 0, hooks = 0, seen_by_hook = 0;
  engine->on_settled([&] {
    std::lock_guard lock(mu);
    ++hooks;
    seen_by_hook = completed;
    cv.notify_all();
  });
  std::vector<Engine::Submission> batch(50);
  for (int i = 0; i < 50; ++i) {
    batch[i].message = message(kAlice, "settled " + std::to_string(i));
    batch[i].done = [&](bool committed) {
      std::lock_guard lock(mu);
      completed += committed ? 1 : 0;
    };
  }
  engine->submit_inbound(std::move(batch));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return seen_by_hook == 50; }));
    EXPECT_EQ(completed, 50);
    EXPECT_LE(hooks, 2);  // one transaction, settled at once or after the next flush
  }
  // Removed: it does not run again.
  engine->on_settled(nullptr);
  const int before = hooks;
  engine->flush();
  std::lock_guard lock(mu);
  EXPECT_EQ(hooks, before);
}

TEST_F(WriterTest, CommittedInboundSurvivesARestart) {  // invariant 1
  std::atomic<int> acked{0};
  for (int i = 0; i < 50; ++i) {
    InboundMessage m = message(kAlice, "n" + std::to_string(i));
    m.received_unix = now + i;
    engine->submit_inbound(std::move(m), [&](bool ok) { acked += ok ? 1 : 0; });
  }
  engine->flush();
  EXPECT_EQ(acked.load(), 50);
  open(EngineMode::threaded);
  EXPECT_EQ(profile_of(kAlice).unread, 50u);
  EXPECT_EQ(engine->thread(kAlice, 0, 100, now).messages.size(), 50u);
}

TEST_F(WriterTest, ReceiptsGoThroughTheWriterToo) {
  const OutboundItem item = claimed_reply();
  ASSERT_TRUE(engine->mark_submitted(item.id, 0, "9f", now));
  std::atomic<bool> committed{false};
  engine->submit_receipt({"smsc1", "9F", ReceiptState::delivered, "", now},
                         [&](bool ok) { committed = ok; });
  engine->flush();
  EXPECT_TRUE(committed.load());
  EXPECT_EQ(engine->thread(kAlice, 0, 1, now).messages.at(0).state, MessageState::delivered);
}

TEST_F(WriterTest, WriterCpuTimeIsCountedOnlyForTheWriterThread) {
  const double before = engine->writer_cpu_seconds();
  for (int i = 0; i < 200; ++i) text(kAlice, "n" + std::to_string(i));
  const double after = engine->writer_cpu_seconds();
  EXPECT_GT(after, before);
  // This thread only waited: the writer's clock is not the process's.
  timespec self{};
  ASSERT_EQ(::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &self), 0);
  EXPECT_LE(after, static_cast<double>(self.tv_sec) + static_cast<double>(self.tv_nsec) / 1e9);
  open(EngineMode::synchronous);
  EXPECT_EQ(engine->writer_cpu_seconds(), 0.0);
}

TEST_F(WriterTest, RelaxedModeStillCommitsAndSurvivesACleanRestart) {
  config.durable = false;
  config.relaxed_sync_ms = 10;
  open(EngineMode::threaded);
  text(kAlice, "relaxed");
  open(EngineMode::threaded);
  EXPECT_EQ(profile_of(kAlice).last_preview, "relaxed");
}

}  // namespace
}  // namespace twoway::engine::testing

namespace twoway::engine::testing {
namespace {

smpp::StoredPart part(std::uint64_t token, std::uint8_t seq) {
  smpp::StoredPart p;
  p.smsc = "smsc1";
  p.source_addr = "16502530000";
  p.destination_addr = kShortCode;
  p.short_message = "part " + std::to_string(seq);
  p.sar_msg_ref_num = 7;
  p.sar_total_segments = 2;
  p.sar_segment_seqnum = seq;
  p.now_ms = kNoon * 1000 + seq;
  p.token = token;
  return p;
}

TEST_F(EngineTest, HeldReassemblyPartsSurviveARestartAndLeaveWithTheirMessage) {
  bool stored = false;
  engine->submit_partial(part(11, 1), [&](bool ok) { stored = ok; });
  EXPECT_TRUE(stored);
  reopen();
  auto parts = engine->stored_partials();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].short_message, "part 1");
  EXPECT_EQ(parts[0].sar_segment_seqnum, std::optional<std::uint8_t>(1));
  EXPECT_FALSE(parts[0].message_payload.has_value());
  EXPECT_FALSE(parts[0].destination_port.has_value());

  InboundMessage m = message(kAlice, "part 1part 2");
  m.stored_parts = {{parts[0].now_ms, parts[0].token}};
  engine->apply_inbound(m);
  EXPECT_TRUE(engine->stored_partials().empty());
}

TEST_F(EngineTest, OversizedPartIsRefused) {  // invariant 6
  smpp::StoredPart big = part(12, 1);
  big.short_message.assign(kMaxPartialBytes + 1, 'x');
  bool stored = true;
  engine->submit_partial(big, [&](bool ok) { stored = ok; });
  EXPECT_FALSE(stored);
  EXPECT_TRUE(engine->stored_partials().empty());
}

}  // namespace
}  // namespace twoway::engine::testing

namespace twoway::engine::testing {
namespace {

TEST_F(EngineTest, WriteMapModeStoresAndReopens) {
  config.write_map = true;
  reopen();
  text(kAlice, "through the map");
  reopen();
  EXPECT_EQ(profile_of(kAlice).last_preview, "through the map");
}

}  // namespace
}  // namespace twoway::engine::testing
