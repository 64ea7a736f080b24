// Weak redelivery fingerprints and the windows of unconfirmed answers (see redelivery.hpp).
#include "engine/redelivery.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/records.hpp"

namespace twoway::engine {

namespace {

constexpr std::string_view kWindowsKey = "unconfirmed_answers";
constexpr std::size_t kMaxWindows = 64;

std::vector<std::pair<std::int64_t, std::int64_t>> read_windows(Context& ctx) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  auto v = ctx.txn.get(ctx.store.meta, kWindowsKey);
  if (!v) return out;
  records::Reader r(*v);
  const std::uint64_t n = r.varint();
  for (std::uint64_t i = 0; i < n && r.more(); ++i) {
    const std::int64_t from = r.svarint();
    const std::int64_t to = r.svarint();
    out.emplace_back(from, to);
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> last_written_at(Context& ctx) {
  Cursor c(ctx.txn, ctx.store.messages);
  if (!c.last()) return std::nullopt;
  Message m;
  if (!records::decode(c.value(), m)) return std::nullopt;
  return m.created;
}

void note_unconfirmed_answers(Context& ctx, std::int64_t from, std::int64_t to) {
  auto windows = read_windows(ctx);
  std::erase_if(windows, [&](const auto& w) { return w.second < to - kWeakRedeliverySeconds; });
  windows.emplace_back(from, to);
  if (windows.size() > kMaxWindows) windows.erase(windows.begin());
  std::string value;
  records::Writer w(value);
  w.varint(windows.size());
  for (const auto& [f, t] : windows) {
    w.svarint(f);
    w.svarint(t);
  }
  w.finish();
  ctx.txn.put(ctx.store.meta, kWindowsKey, value);
}

bool weak_redelivery(Context& ctx, Profile& p, std::uint64_t fp, std::int64_t now) {
  auto& recent = p.recent_weak;
  std::erase_if(recent, [&](const RecentMo& r) { return now - r.at > kWeakRedeliverySeconds; });
  auto match = std::find_if(recent.begin(), recent.end(),
                            [&](const RecentMo& r) { return r.fingerprint == fp; });
  if (match != recent.end()) {
    // Only now is the store asked about windows: a repeated text is rare.
    const std::int64_t at = match->at;
    // One lost answer excuses one copy: the fingerprint goes either way, so the same words a
    // third time are a new message.
    recent.erase(match);
    for (const auto& [from, to] : read_windows(ctx)) {
      if (at >= from && at <= to) return true;
    }
    // The same words again on a healthy link: a new message, recorded below.
  }
  if (recent.size() >= kMaxRecentWeak) recent.erase(recent.begin());
  recent.push_back(RecentMo{fp, now});
  return false;
}

}  // namespace twoway::engine
