// On-disk encoding of the engine's records and keys. Records are a schema-version byte followed
// by fields in a fixed order (varints, length-prefixed strings, fixed 8-byte hashes); a reader
// stops at the end of the buffer (older records: later fields keep defaults) and ignores trailing
// bytes it does not know (newer records). Keys are big-endian so LMDB's byte order is the views'
// order.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/types.hpp"

namespace twoway::engine::records {

inline constexpr std::uint8_t kSchemaVersion = 1;

// Appends encoded fields to a string buffer. The buffer is grown ahead and written through a
// pointer (a record is a few dozen small fields; appending byte by byte cost more than the
// B-tree write): its contents are final only after finish() (the destructor calls it).
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out), p_(nullptr), end_(nullptr) { grow(64); }
  ~Writer() { finish(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  // Trims the buffer to what was written; later writes continue after it.
  void finish() {
    if (p_ == nullptr) return;
    out_.resize(static_cast<std::size_t>(p_ - out_.data()));
    p_ = end_ = nullptr;
  }
  void u8(std::uint8_t v) {
    room(1);
    *p_++ = static_cast<char>(v);
  }
  void varint(std::uint64_t v) {
    room(10);
    while (v >= 0x80) {
      *p_++ = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void fixed64(std::uint64_t v) {  // 8 bytes, little-endian (hashes: a varint would take 10)
    room(8);
    for (int i = 0; i < 8; ++i, v >>= 8) *p_++ = static_cast<char>(v & 0xff);
  }
  void svarint(std::int64_t v) {  // zig-zag
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void str(std::string_view s) {
    varint(s.size());
    room(s.size());
    if (!s.empty()) s.copy(p_, s.size());
    p_ += s.size();
  }
  void boolean(bool b) { u8(b ? 1 : 0); }

 private:
  void room(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) grow(n);
  }
  void grow(std::size_t n);  // makes room for n more bytes
  std::string& out_;
  char* p_;
  char* end_;
};

// Reads fields; once the buffer is exhausted or malformed every read returns the default and
// ok() turns false only for malformed (truncated mid-field) input.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool more() const noexcept { return pos_ < in_.size(); }
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  std::uint8_t u8(std::uint8_t def = 0) {
    if (pos_ >= in_.size()) return def;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint64_t varint(std::uint64_t def = 0) {
    if (pos_ < in_.size() && static_cast<std::uint8_t>(in_[pos_]) < 0x80)
      return static_cast<std::uint8_t>(in_[pos_++]);
    return varint_long(def);
  }
  std::uint64_t fixed64(std::uint64_t def = 0);
  std::int64_t svarint(std::int64_t def = 0);
  std::string str();
  std::string_view str_view();
  // Reads a string into `out`, reusing its storage.
  void str_into(std::string& out) {
    const std::string_view v = str_view();
    out.assign(v.data(), v.size());
  }
  bool boolean(bool def = false) { return u8(def ? 1 : 0) != 0; }

 private:
  std::uint64_t varint_long(std::uint64_t def);
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// ---- keys ----

void put_be64(std::string& out, std::uint64_t v);

// Page cursors: a key as lower-case hex, and back (false for anything that is not hex of at
// most 32 bytes).
[[nodiscard]] std::string to_hex(std::string_view bytes);
[[nodiscard]] bool from_hex(std::string_view hex, std::string& out);
[[nodiscard]] std::uint64_t get_be64(std::string_view in, std::size_t pos = 0);

// A key built on the stack: the hot path builds several per message and std::string would
// allocate for anything over 15 bytes. Numbers are at most kMaxRawNumberLength (64) bytes, so
// every key of the engine fits; a longer one throws std::length_error (never truncates).
class Key {
 public:
  static constexpr std::size_t kCapacity = 96;
  Key& byte(std::uint8_t v);
  Key& be64(std::uint64_t v);
  Key& bytes(std::string_view s);
  [[nodiscard]] std::string_view view() const noexcept { return {buf_, size_}; }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: keys pass as views
  [[nodiscard]] std::string str() const { return std::string(view()); }
  friend bool operator==(const Key& a, const Key& b) noexcept { return a.view() == b.view(); }
  friend auto operator<=>(const Key& a, const Key& b) noexcept { return a.view() <=> b.view(); }

 private:
  char buf_[kCapacity];
  std::size_t size_ = 0;
};

// messages: id(8), store-wide and increasing, so new messages append at the end
Key message_key(std::uint64_t id);
// the layout before ids (read once, to migrate): number \0 seq(8)
Key legacy_message_key(std::string_view number, std::uint64_t seq);
// Reads such a key back; false when `key` is not one.
[[nodiscard]] bool parse_legacy_message_key(std::string_view key, std::string& number,
                                            std::uint64_t& seq);
// inbox views: time(8) order(8), ascending (newest last); value = number
Key inbox_key(std::int64_t time, std::uint64_t order);
// the layout before (one database for all views): view(1) ~time(8) ~order(8)
Key legacy_inbox_key(InboxView view, std::int64_t time, std::uint64_t order);
// Reads such a key back; false when `key` is not one (or names no view).
[[nodiscard]] bool parse_legacy_inbox_key(std::string_view key, InboxView& view, std::int64_t& time,
                                          std::uint64_t& order);
// outbox: state(1: 0 due, 1 in flight) due(8) id(8)
Key outbox_key(bool in_flight, std::int64_t due, std::uint64_t id);
// outbox_ids: id(8); value = outbox key
Key outbox_id_key(std::uint64_t id);
// outbox_num: number \0 id(8)
Key outbox_num_key(std::string_view number, std::uint64_t id);
// awaiting: time(8) number
Key awaiting_key(std::int64_t since, std::string_view number);
// partials: received ms(8) token(8)
Key partial_key(std::int64_t now_ms, std::uint64_t token);
// consent_log: time(8) id(8), ascending (a time range is one scan)
Key consent_log_key(std::int64_t time, std::uint64_t id);
// consent_num: number \0 id(8); value = time(8), which with the id makes the consent_log key
Key consent_num_key(std::string_view number, std::uint64_t id);

// ---- records ----

// An outbox entry: where the message lives and when it is due.
struct OutboxRecord {
  std::uint64_t id = 0;
  std::string number;
  std::uint64_t seq = 0;
  std::uint64_t message_id = 0;  // 0 in records written before message ids
  std::int64_t due = 0;
  bool in_flight = false;
  std::uint32_t attempts = 0;  // hand-overs that did not go through, for any reason
  MessageKind kind = MessageKind::agent_reply;
  std::uint32_t refusals = 0;  // of those, refused by the SMSC (kMaxAttempts counts these)
};

// Where an SMSC message id points.
struct DlrTarget {
  std::string number;
  std::uint64_t seq = 0;
  std::uint32_t segment = 0;
  std::int64_t expires = 0;
  std::uint64_t message_id = 0;  // 0 in records written before message ids
};

// A receipt that came before the submit_sm_resp of its message, held until `until`.
struct HeldReceipt {
  Receipt receipt;
  std::int64_t until = 0;
};

// A profile record leaves its number out (it is the key): decode() gives an empty number and
// read_profile() fills it in.
void encode(const Profile& p, std::string& out);
[[nodiscard]] bool decode(std::string_view in, Profile& p);
void encode(const Message& m, std::string& out);
[[nodiscard]] bool decode(std::string_view in, Message& m);
void encode(const OutboxRecord& r, std::string& out);
[[nodiscard]] bool decode(std::string_view in, OutboxRecord& r);
void encode(const DlrTarget& d, std::string& out);
[[nodiscard]] bool decode(std::string_view in, DlrTarget& d);
void encode(const HeldReceipt& h, std::string& out);
[[nodiscard]] bool decode(std::string_view in, HeldReceipt& h);
void encode(const ConsentLogEntry& e, std::string& out);
// The id and time come from the key: decode() leaves them as they are.
[[nodiscard]] bool decode(std::string_view in, ConsentLogEntry& e);
void encode(const Settings& s, std::string& out);
[[nodiscard]] bool decode(std::string_view in, Settings& s);

}  // namespace twoway::engine::records
