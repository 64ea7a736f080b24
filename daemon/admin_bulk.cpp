// The admin socket's bulk commands (see admin_bulk.hpp): uploads that read recipients or
// consent rows, queue them to the engine a group per transaction, and report progress and a
// summary with counts per outcome and the first numbers of each refusal.
#include "daemon/admin_bulk.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <unordered_set>

namespace twoway::daemon {
namespace {

using nlohmann::json;
using steady = std::chrono::steady_clock;

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A CSV field: trimmed, one pair of surrounding double quotes removed.
std::string_view field(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = trim(s.substr(1, s.size() - 2));
  return s;
}

// Counts per reason, with the first few numbers of each (file order within a group).
struct Reasons {
  struct Entry {
    std::uint64_t count = 0;
    std::vector<std::string> numbers;
    std::int64_t first_due = 0;
    std::int64_t last_due = 0;
  };
  std::map<std::string, Entry, std::less<>> by;

  Entry& add(std::string_view reason, std::string_view number) {
    auto it = by.find(reason);
    if (it == by.end()) it = by.emplace(std::string(reason), Entry{}).first;
    ++it->second.count;
    if (it->second.numbers.size() < kBulkSamples) it->second.numbers.emplace_back(number);
    return it->second;
  }
  [[nodiscard]] json to_json() const {
    json j = json::object();
    for (const auto& [reason, e] : by) {
      json r{{"count", e.count}, {"numbers", e.numbers}};
      if (e.first_due != 0) {
        r["first_due"] = iso_time(e.first_due);
        r["last_due"] = iso_time(e.last_due);
      }
      j[reason] = std::move(r);
    }
    return j;
  }
};

// Numbers seen in this upload: an E.164 number as an integer (with a leading 1 so that
// "+0..." forms stay apart), anything else as a string.
class SeenNumbers {
 public:
  // True when `number` (normalised) was not seen before.
  bool insert(const std::string& number) {
    std::uint64_t key = 1;
    bool digits = number.size() > 1 && number.size() <= 17 && number[0] == '+';
    for (std::size_t i = 1; digits && i < number.size(); ++i) {
      if (number[i] < '0' || number[i] > '9') {
        digits = false;
      } else {
        key = key * 10 + static_cast<std::uint64_t>(number[i] - '0');
      }
    }
    if (digits) return numeric_.insert(key).second;
    return other_.insert(number).second;
  }

 private:
  std::unordered_set<std::uint64_t> numeric_;
  std::unordered_set<std::string> other_;
};

// What both bulk commands share: lines in (Upload), comments and blank lines skipped, rows
// normalised and de-duplicated on the pool, groups of kBulkGroup handed to the engine with at
// most kBulkGroupsInFlight uncommitted, progress at most once a second, and the summary once
// the "." line came and every group committed.
class BulkUpload : public Upload, public std::enable_shared_from_this<BulkUpload> {
 public:
  BulkUpload(engine::Engine& engine, boost::asio::thread_pool& pool,
             std::shared_ptr<Stream> progress, std::string what, const Caller& caller,
             std::uint64_t max_rows)
      : engine_(engine),
        pool_(pool),
        progress_(std::move(progress)),
        what_(std::move(what)),
        uid_(caller.uid),
        user_(caller.user),
        max_rows_(max_rows) {}

  void lines(std::vector<std::string> lines, std::function<void()> more) override {
    boost::asio::post(pool_, [self = shared_from_this(), lines = std::move(lines),
                              more = std::move(more)]() mutable {
      try {
        self->take(lines);
      } catch (const std::exception& e) {
        SPDLOG_ERROR("admin {} failed uid={} error=\"{}\"", self->what_, self->uid_, e.what());
        self->fail_ = true;
      }
      self->after_take(std::move(more));
    });
  }

  void end(Completion done) override {
    boost::asio::post(pool_, [self = shared_from_this(), done = std::move(done)]() mutable {
      {
        std::lock_guard lock(self->mu_);
        self->done_ = std::move(done);
        self->ended_ = true;
      }
      try {
        if (!self->fail_) self->submit();
      } catch (const std::exception& e) {
        SPDLOG_ERROR("admin {} failed uid={} error=\"{}\"", self->what_, self->uid_, e.what());
        self->fail_ = true;
      }
      self->maybe_finish();
    });
  }

  void abort(std::string_view why) override {
    std::lock_guard lock(mu_);
    aborted_ = true;
    // Groups already handed to the engine still commit; the rows not yet handed on are dropped.
    SPDLOG_WARN(
        "admin {} aborted uid={} user={} reason=\"{}\" read={} committed_groups={} "
        "uncommitted_groups={} dropped_rows={}",
        what_, uid_, user_, why, read_, groups_done_, in_flight_, pending_rows());
  }

 protected:
  // Parses one line (trimmed, not a comment) into a pending row or a refusal (under mu_).
  virtual void parse(std::string_view line) = 0;
  [[nodiscard]] virtual std::size_t pending_rows() const = 0;
  // Hands the pending rows to the engine; the engine's completion calls group_done.
  virtual void submit_pending() = 0;
  // The counts for progress lines and the summary (under mu_).
  [[nodiscard]] virtual json counts() const = 0;
  [[nodiscard]] virtual json summary() const = 0;

  // The engine committed a group (or failed it): tally under mu_ with `tally`, then let the
  // client send more and finish when everything is in.
  template <class F>
  void group_done(F&& tally) {
    std::function<void()> more;
    {
      std::lock_guard lock(mu_);
      tally();
      --in_flight_;
      ++groups_done_;
      if (more_ && in_flight_ < kBulkGroupsInFlight) more = std::exchange(more_, nullptr);
      const auto now = steady::now();
      if (!aborted_ && now - last_progress_ >= std::chrono::seconds(1)) {
        last_progress_ = now;
        json c = counts();
        c["read"] = read_;
        progress_->push(json{{"progress", std::move(c)}});
      }
    }
    if (more) more();
    maybe_finish();
  }

  // Rows start on the pool; the refusal tallies are under mu_.
  [[nodiscard]] bool first_time(const std::string& number) { return seen_.insert(number); }

  engine::Engine& engine_;
  boost::asio::thread_pool& pool_;
  std::shared_ptr<Stream> progress_;
  std::string what_;
  uid_t uid_;
  std::string user_;
  mutable std::mutex mu_;
  std::uint64_t read_ = 0;  // rows read (not comments or blank lines)
  Reasons refused_;         // rows not taken, by reason
  std::uint64_t max_rows_;  // rows after this many are refused (upload_limit)
  std::size_t in_flight_ = 0;
  std::uint64_t groups_done_ = 0;
  bool aborted_ = false;
  steady::time_point started_ = steady::now();

 private:
  void take(const std::vector<std::string>& lines) {
    for (const std::string& raw : lines) {
      const std::string_view line = trim(raw);
      if (line.empty() || line.front() == '#') continue;
      if (fail_) return;
      {
        std::lock_guard lock(mu_);
        if (aborted_) return;  // the client left: nothing more is queued
        if (++read_ > max_rows_) {
          refused_.add("upload_limit", line.substr(0, line.find(',')));
          continue;
        }
        parse(line);
      }
      if (pending_rows() >= kBulkGroup) submit();
    }
  }

  void after_take(std::function<void()> more) {
    {
      std::lock_guard lock(mu_);
      if (in_flight_ >= kBulkGroupsInFlight && !fail_) {
        more_ = std::move(more);  // the next commit lets the client go on
        return;
      }
    }
    more();
  }

  void submit() {
    {
      std::lock_guard lock(mu_);
      if (pending_rows() == 0 || aborted_) return;
      ++in_flight_;
    }
    submit_pending();
  }

  void maybe_finish() {
    Completion done;
    json body;
    {
      std::lock_guard lock(mu_);
      if (!ended_ || in_flight_ > 0 || !done_) return;
      done = std::exchange(done_, nullptr);
      if (!fail_) {
        body = summary();
        body["read"] = read_;
        body["seconds"] = std::chrono::duration<double>(steady::now() - started_).count();
      }
      SPDLOG_INFO("admin {} done uid={} user={} read={} groups={} counts={}", what_, uid_, user_,
                  read_, groups_done_, counts().dump());
    }
    if (fail_) {
      done(AdminError{"internal",
                      "the upload failed; see the daemon's log (groups that "
                      "were committed stay)"});
    } else {
      done(std::move(body));
    }
  }

  SeenNumbers seen_;
  std::atomic<bool> fail_{false};
  bool ended_ = false;
  Completion done_;
  std::function<void()> more_;
  steady::time_point last_progress_ = steady::now();
};

// ---- send-bulk ----

class SendUpload : public BulkUpload {
 public:
  SendUpload(engine::Engine& engine, boost::asio::thread_pool& pool,
             std::shared_ptr<Stream> progress, const Caller& caller, engine::MessageKind kind,
             std::string text, bool no_shorten, std::uint64_t max_rows)
      : BulkUpload(engine, pool, std::move(progress), "send-bulk", caller, max_rows),
        kind_(kind),
        text_(std::move(text)),
        no_shorten_(no_shorten) {}

 protected:
  void parse(std::string_view line) override {
    // One number a line; a CSV row's first field is the number.
    const std::string_view raw = field(line.substr(0, line.find(',')));
    std::string number = engine_.normalize(raw);
    if (number.empty() || engine::PhoneNumbers::is_alphanumeric(number)) {
      refused_.add("invalid_number", raw);
      return;
    }
    if (!first_time(number)) {
      refused_.add("duplicate", number);
      return;
    }
    pending_.push_back(std::move(number));
  }

  std::size_t pending_rows() const override { return pending_.size(); }

  void submit_pending() override {
    engine::BulkSend req;
    {
      std::lock_guard lock(mu_);
      req.numbers = std::exchange(pending_, {});
    }
    req.text = text_;
    req.kind = kind_;
    req.source = user_;
    req.now = now_unix();
    req.no_shorten = no_shorten_;
    auto numbers = req.numbers;  // for the refusal lists
    auto self = std::static_pointer_cast<SendUpload>(shared_from_this());
    engine_.send_group(std::move(req), [self, numbers = std::move(numbers)](
                                           std::vector<engine::BulkOutcome> outcomes) {
      self->group_done([&] { self->tally(numbers, outcomes); });
    });
  }

  json counts() const override {
    return json{{"queued", queued_}, {"held", held_count()}, {"refused", refused_count()}};
  }

  json summary() const override {
    json j = counts();
    j["kind"] = engine::to_string(kind_);
    const auto c = smpp::count_segments(text_);
    j["segments"] = c.segments;
    j["held_by"] = held_.to_json();
    j["refused_by"] = refused_.to_json();
    return j;
  }

 private:
  void tally(const std::vector<std::string>& numbers,
             const std::vector<engine::BulkOutcome>& outcomes) {
    for (std::size_t i = 0; i < outcomes.size() && i < numbers.size(); ++i) {
      const auto& o = outcomes[i];
      if (o.error == engine::SendError::ok) {
        if (!o.held) {
          ++queued_;
          continue;
        }
        auto& e = held_.add(o.hold_reason.empty() ? "held" : o.hold_reason, numbers[i]);
        if (e.first_due == 0 || o.due < e.first_due) e.first_due = o.due;
        e.last_due = std::max(e.last_due, o.due);
        continue;
      }
      std::string_view reason = engine::to_string(o.error);
      if (o.error == engine::SendError::not_found) reason = "not_subscribed";  // never heard of
      if (o.error == engine::SendError::not_subscribed && o.unsubscribed) reason = "unsubscribed";
      refused_.add(reason, numbers[i]);
    }
  }
  std::uint64_t held_count() const {
    std::uint64_t n = 0;
    for (const auto& [r, e] : held_.by) n += e.count;
    return n;
  }
  std::uint64_t refused_count() const {
    std::uint64_t n = 0;
    for (const auto& [r, e] : refused_.by) n += e.count;
    return n;
  }

  engine::MessageKind kind_;
  std::string text_;
  bool no_shorten_;
  std::vector<std::string> pending_;
  std::uint64_t queued_ = 0;
  Reasons held_;
};

// ---- consent-import ----

class ConsentUpload : public BulkUpload {
 public:
  ConsentUpload(engine::Engine& engine, boost::asio::thread_pool& pool,
                std::shared_ptr<Stream> progress, const Caller& caller,
                engine::ConsentSource source, std::uint64_t max_rows)
      : BulkUpload(engine, pool, std::move(progress), "consent-import", caller, max_rows),
        source_(source) {}

 protected:
  void parse(std::string_view line) override {
    // NUMBER,STATE (a comma, semicolon or tab between); a header row is skipped.
    const auto sep = line.find_first_of(",;\t");
    const std::string_view raw = field(line.substr(0, sep));
    std::string_view state =
        sep == std::string_view::npos ? std::string_view{} : field(line.substr(sep + 1));
    if (const auto more = state.find_first_of(",;\t"); more != std::string_view::npos)
      state = field(state.substr(0, more));  // further columns are ignored
    if (read_ == 1 &&
        std::none_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      --read_;  // "number,state": a header, not a row
      return;
    }
    engine::Consent consent;
    std::string s(state);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "subscribed") {
      consent = engine::Consent::subscribed;
    } else if (s == "unsubscribed") {
      consent = engine::Consent::unsubscribed;
    } else {
      refused_.add("bad_state", raw);
      return;
    }
    std::string number = engine_.normalize(raw);
    if (number.empty() || engine::PhoneNumbers::is_alphanumeric(number)) {
      refused_.add("invalid_number", raw);
      return;
    }
    if (!first_time(number)) {
      refused_.add("duplicate", number);
      return;
    }
    pending_.push_back({std::move(number), consent});
  }

  std::size_t pending_rows() const override { return pending_.size(); }

  void submit_pending() override {
    engine::ConsentImport req;
    {
      std::lock_guard lock(mu_);
      req.rows = std::exchange(pending_, {});
    }
    req.source = source_;
    req.now = now_unix();
    req.actor = user_;
    std::vector<std::string> numbers;
    numbers.reserve(req.rows.size());
    for (const auto& r : req.rows) numbers.push_back(r.number);
    auto self = std::static_pointer_cast<ConsentUpload>(shared_from_this());
    engine_.import_consent_group(std::move(req),
                                 [self, numbers = std::move(numbers)](
                                     std::optional<std::vector<engine::ImportOutcome>> outcomes) {
                                   self->group_done([&] { self->tally(numbers, outcomes); });
                                 });
  }

  json counts() const override {
    std::uint64_t refused = 0;
    for (const auto& [r, e] : refused_.by) refused += e.count;
    return json{{"changed", changed_}, {"unchanged", unchanged_}, {"refused", refused}};
  }

  json summary() const override {
    json j = counts();
    j["source"] = engine::to_string(source_);
    j["refused_by"] = refused_.to_json();
    return j;
  }

 private:
  void tally(const std::vector<std::string>& numbers,
             const std::optional<std::vector<engine::ImportOutcome>>& outcomes) {
    if (!outcomes) {
      for (const auto& n : numbers) refused_.add("storage", n);
      return;
    }
    for (std::size_t i = 0; i < outcomes->size() && i < numbers.size(); ++i) {
      switch ((*outcomes)[i]) {
        case engine::ImportOutcome::changed:
          ++changed_;
          break;
        case engine::ImportOutcome::unchanged:
          ++unchanged_;
          break;
        case engine::ImportOutcome::consent_locked:
        case engine::ImportOutcome::invalid:
          refused_.add(engine::to_string((*outcomes)[i]), numbers[i]);
          break;
      }
    }
  }

  engine::ConsentSource source_;
  std::vector<engine::ConsentChangeRow> pending_;
  std::uint64_t changed_ = 0;
  std::uint64_t unchanged_ = 0;
};

}  // namespace

void register_bulk_commands(AdminServer& server, AdminContext& ctx,
                            boost::asio::thread_pool& pool) {
  engine::Engine& engine = ctx.engine;
  const std::uint64_t max_rows = ctx.max_upload_rows;
  server.add_command(
      {"send-bulk", std::string(kSendBulkUsage), Role::admin,
       UploadHandler([&engine, &pool, max_rows](const Args& args, const Caller& caller,
                                                std::shared_ptr<Stream> progress)
                         -> std::variant<std::shared_ptr<Upload>, AdminError> {
         const auto kind = args.value("kind").value_or("");
         engine::MessageKind k;
         if (kind == "campaign")
           k = engine::MessageKind::campaign;
         else if (kind == "flow")
           k = engine::MessageKind::flow;
         else
           return AdminError{"bad_request", "--kind is campaign or flow"};
         std::string text;
         for (const auto& word : args.positional) {
           if (!text.empty()) text += ' ';
           text += word;
         }
         if (text.empty()) return AdminError{"empty_text", "the text is empty"};
         SPDLOG_INFO("admin send-bulk started uid={} user={} kind={}", caller.uid, caller.user,
                     kind);
         return std::make_shared<SendUpload>(engine, pool, std::move(progress), caller, k,
                                             std::move(text), args.has("no-shorten"), max_rows);
       }),
       true,
       "one campaign or flow text to many subscribers: numbers follow, one a line, then '.'"});

  server.add_command(
      {"consent-import", "consent-import [--source SOURCE]", Role::admin,
       UploadHandler([&engine, &pool, max_rows](const Args& args, const Caller& caller,
                                                std::shared_ptr<Stream> progress)
                         -> std::variant<std::shared_ptr<Upload>, AdminError> {
         const auto source = args.value("source").value_or("import");
         engine::ConsentSource src;
         if (source == "import")
           src = engine::ConsentSource::import;
         else if (source == "admin")
           src = engine::ConsentSource::admin;
         else
           return AdminError{"bad_request", "SOURCE is import or admin"};
         SPDLOG_INFO("admin consent-import started uid={} user={} source={}", caller.uid,
                     caller.user, source);
         return std::make_shared<ConsentUpload>(engine, pool, std::move(progress), caller, src,
                                                max_rows);
       }),
       true, "many consent changes: NUMBER,STATE rows follow, one a line, then '.' (logged each)"});
}

}  // namespace twoway::daemon
