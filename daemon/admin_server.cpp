// The admin socket server: accept, identify the peer (SO_PEERCRED -> role), read bounded
// lines with an idle timeout, run commands from the table, write JSON lines through a bounded
// queue. One strand per connection; a connection owns itself (shared_from_this).
#include "daemon/admin_server.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>

namespace twoway::daemon {

namespace asio = boost::asio;
using local_stream = asio::local::stream_protocol;

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

Role resolve_role(const Identity& who, const RolesConfig& roles) {
  if (who.uid == 0) return Role::owner;
  auto listed = [&](const std::vector<std::string>& list) {
    for (const std::string& entry : list) {
      if (entry.empty()) continue;
      if (entry[0] == '@') {
        const std::string_view group = std::string_view(entry).substr(1);
        if (std::find(who.groups.begin(), who.groups.end(), group) != who.groups.end()) return true;
      } else if (!who.user.empty() && entry == who.user) {
        return true;
      }
    }
    return false;
  };
  if (listed(roles.owner)) return Role::owner;
  if (listed(roles.admin)) return Role::admin;
  if (listed(roles.manager)) return Role::manager;
  return Role::none;
}

Identity lookup_identity(uid_t uid, gid_t gid) {
  Identity id;
  id.uid = uid;
  id.gid = gid;
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* pw_result = nullptr;
  while (getpwuid_r(uid, &pw, buf.data(), buf.size(), &pw_result) == ERANGE &&
         buf.size() < (1u << 20)) {
    buf.resize(buf.size() * 2);
  }
  std::vector<gid_t> gids{gid};
  if (pw_result) {
    id.user = pw.pw_name;
    int count = 64;
    std::vector<gid_t> list(count);
    while (getgrouplist(pw.pw_name, gid, list.data(), &count) < 0 && count <= 65536) {
      list.resize(static_cast<std::size_t>(count) + 1);
      count = static_cast<int>(list.size());
    }
    list.resize(static_cast<std::size_t>(std::max(count, 0)));
    gids = std::move(list);
  }
  std::vector<char> gbuf(16384);
  for (gid_t g : gids) {
    group gr{};
    group* gr_result = nullptr;
    int rc;
    while ((rc = getgrgid_r(g, &gr, gbuf.data(), gbuf.size(), &gr_result)) == ERANGE &&
           gbuf.size() < (1u << 20)) {
      gbuf.resize(gbuf.size() * 2);
    }
    if (rc == 0 && gr_result) id.groups.emplace_back(gr.gr_name);
  }
  return id;
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

namespace {
class Connection;
struct Entry {
  Command command;
  Usage usage;
};
}  // namespace

struct AdminServer::State {
  AdminServerOptions options;
  mutable std::mutex mutex;  // guards commands, roles, connections
  std::map<std::string, std::shared_ptr<const Entry>, std::less<>> commands;
  std::vector<std::weak_ptr<Connection>> connections;
  std::atomic<int> count{0};
  std::unique_ptr<local_stream::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> accept_retry;  // backs off after a failed accept (EMFILE)
  std::atomic<bool> listening{false};
  CommandRouter router;  // set before start(), read only after

  std::shared_ptr<const Entry> find(std::string_view name) const {
    std::lock_guard lock(mutex);
    auto it = commands.find(name);
    return it == commands.end() ? nullptr : it->second;
  }
};

namespace {

nlohmann::json describe(const Command& c) {
  return {
      {"name", c.name}, {"usage", c.usage}, {"role", to_string(c.least)}, {"summary", c.summary}};
}

class StreamImpl;

// Where a connection is, as the connection limit sees it. Only the connection's strand moves
// it, except for one step: an evicting newcomer may move it from `waiting` to `evicted`.
enum class Activity : int {
  starting,   // identifying the peer, not admitted yet
  waiting,    // admitted, no command line to handle: idle, may be evicted
  working,    // a command line is being handled (or an answer is still due)
  streaming,  // a watch stream
  evicted,    // closed to make room for a newcomer (the eviction line is on its way)
  closed,
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<AdminServer::State> state, local_stream::socket socket)
      : state_(std::move(state)),
        socket_(std::move(socket)),
        read_timer_(socket_.get_executor()),
        write_timer_(socket_.get_executor()) {}

  ~Connection() { release_slot(); }

  // Refuses the connection with one error line, then closes.
  void reject(const AdminError& e) {
    set_activity(Activity::closed);
    enqueue(error_line(e), false);
    close_after_flush_ = true;
  }

  void start();
  void close();
  void enqueue_event(std::string line);
  void fail_slow();
  void release_event_bytes(std::size_t n);
  auto executor() { return socket_.get_executor(); }

  // For the connection limit (under State::mutex, from any thread).
  [[nodiscard]] Role role() const { return role_; }
  [[nodiscard]] Activity activity() const { return activity_.load(); }
  [[nodiscard]] std::int64_t waiting_since() const { return waiting_since_.load(); }
  // Claims a waiting connection for eviction; false when it has just got a line to handle.
  [[nodiscard]] bool claim_for_eviction() {
    Activity expected = Activity::waiting;
    return activity_.compare_exchange_strong(expected, Activity::evicted);
  }
  // Gives the connection's slot back (once).
  void release_slot() {
    if (holds_slot_.exchange(false)) state_->count.fetch_sub(1);
  }
  // On the strand, after claim_for_eviction(): tells the peer why and closes.
  void evict(int max_connections);

 private:
  void read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void handle_line(std::string_view line);
  void run(const Entry& entry, const Args& args);
  void reply(const CommandResult& result);
  // A completion that answers on the connection's strand and reads on (once; later calls are
  // ignored). It keeps the connection alive while the command is in flight.
  Completion answer_later();
  void help(const Args& args);
  void enqueue(std::string line, bool event);
  void write_next();
  void arm_timer(asio::steady_timer& timer, bool read_timer);
  bool admit();
  // Upload commands: hands the data lines in the buffer to the upload (or skips them after a
  // refusal) up to the "." line.
  void feed_upload();
  void end_upload();
  void finish_upload(const CommandResult& result);
  void abort_upload(std::string_view why);
  // Moves to `to` unless the connection was evicted meanwhile (then false).
  bool set_activity(Activity to) {
    Activity current = activity_.load();
    while (current != Activity::evicted) {
      if (activity_.compare_exchange_weak(current, to)) return true;
    }
    return false;
  }

  struct Out {
    std::string line;
    bool event;
  };

  std::shared_ptr<AdminServer::State> state_;
  local_stream::socket socket_;
  asio::steady_timer read_timer_, write_timer_;
  std::string buffer_;
  Caller caller_;
  Role role_ = Role::none;  // caller_.role, written before the connection is listed
  std::deque<Out> out_;
  std::size_t reply_bytes_ = 0;  // queued answers (not events): reading pauses above the bound
  std::shared_ptr<StreamImpl> stream_;
  std::atomic<Activity> activity_{Activity::starting};
  std::atomic<std::int64_t> waiting_since_{0};  // steady clock, ns
  std::atomic<bool> holds_slot_{false};
  bool writing_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool streaming_ = false;
  bool read_paused_ = false;
  // Upload commands (send-bulk, consent-import): the running upload, its progress stream,
  // waiting for the upload's `more`, "." read (the answer is due), skipping a refused one's
  // lines.
  std::shared_ptr<Upload> upload_;
  std::shared_ptr<StreamImpl> upload_progress_;
  bool upload_waiting_ = false;
  bool upload_ended_ = false;
  bool upload_skipping_ = false;
};

class StreamImpl : public Stream {
 public:
  StreamImpl(std::weak_ptr<Connection> conn, std::size_t limit)
      : conn_(std::move(conn)), limit_(limit) {}

  bool push(const nlohmann::json& event) override {
    if (closed_.load()) return false;
    auto conn = conn_.lock();
    if (!conn) {
      closed_ = true;
      return false;
    }
    std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back('\n');
    const std::size_t total = pending_.fetch_add(line.size()) + line.size();
    if (total > limit_) {
      closed_ = true;
      asio::post(conn->executor(), [conn] { conn->fail_slow(); });
      return false;
    }
    asio::post(conn->executor(),
               [conn, line = std::move(line)]() mutable { conn->enqueue_event(std::move(line)); });
    return true;
  }

  bool closed() const override { return closed_.load(); }
  void mark_closed() { closed_ = true; }
  void release(std::size_t n) { pending_.fetch_sub(n); }

 private:
  std::weak_ptr<Connection> conn_;
  std::size_t limit_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> closed_{false};
};

void Connection::start() {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    SPDLOG_WARN("admin connection refused: no peer credentials errno={}", errno);
    close();
    return;
  }
  const Identity who = state_->options.identify ? state_->options.identify(cred.uid, cred.gid)
                                                : lookup_identity(cred.uid, cred.gid);
  caller_.uid = cred.uid;
  caller_.gid = cred.gid;
  caller_.user = who.user.empty() ? "uid:" + std::to_string(cred.uid) : who.user;
  {
    std::lock_guard lock(state_->mutex);
    caller_.role = resolve_role(who, state_->options.roles);
  }
  role_ = caller_.role;
  if (caller_.role == Role::none) {
    SPDLOG_WARN("admin connection refused uid={} gid={} pid={} user={} reason=no_role", cred.uid,
                cred.gid, cred.pid, caller_.user);
    reject({"forbidden", "user " + caller_.user + " has no role on this socket"});
    return;
  }
  if (!admit()) return;
  SPDLOG_INFO("admin connection uid={} gid={} pid={} user={} role={}", cred.uid, cred.gid, cred.pid,
              caller_.user, to_string(caller_.role));
  read();
}

// The connection limit (see AdminServerOptions::max_connections): a free slot; else the slot of
// the idle connection of the lowest role (never above ours), idle the longest; else, for an
// owner, the one slot kept for owners; else a refusal.
bool Connection::admit() {
  const int max = state_->options.max_connections;
  std::shared_ptr<Connection> victim;
  bool reserved = false;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->listening) {
      reject({"shutting_down", "the admin socket is closing"});
      return false;
    }
    auto& list = state_->connections;
    std::erase_if(list, [](const auto& w) { return w.expired(); });
    bool admitted = state_->count.load() < max;
    for (int tries = 0; !admitted && tries < 8; ++tries) {
      std::shared_ptr<Connection> best;
      for (const auto& w : list) {
        auto c = w.lock();
        if (!c || c.get() == this || c->activity() != Activity::waiting || c->role() > role_) {
          continue;
        }
        if (!best || c->role() < best->role() ||
            (c->role() == best->role() && c->waiting_since() < best->waiting_since())) {
          best = std::move(c);
        }
      }
      if (!best) break;
      if (best->claim_for_eviction()) {  // else it just got a line: look again
        best->release_slot();
        victim = std::move(best);
        admitted = true;
      }
    }
    if (!admitted && role_ == Role::owner && state_->count.load() < max + 1) {
      admitted = reserved = true;
    }
    if (!admitted) {
      SPDLOG_WARN(
          "admin connection refused uid={} user={} role={} reason=too_many_connections max={}",
          caller_.uid, caller_.user, to_string(role_), max);
      reject({"too_many_connections",
              "at most " + std::to_string(max) +
                  " admin connections, and none is idle (each runs a command or a watch stream, "
                  "or belongs to a higher role); try again later"});
      return false;
    }
    state_->count.fetch_add(1);
    holds_slot_ = true;
    list.push_back(weak_from_this());
  }
  if (victim) {
    const auto idle =
        std::chrono::steady_clock::now().time_since_epoch().count() - victim->waiting_since();
    SPDLOG_WARN(
        "admin connection evicted uid={} user={} role={} idle_ms={} reason=too_many_connections "
        "max={} for_uid={} for_user={}",
        victim->caller_.uid, victim->caller_.user, to_string(victim->role_),
        std::max<std::int64_t>(idle, 0) / 1000000, max, caller_.uid, caller_.user);
    asio::post(victim->executor(), [victim, max] { victim->evict(max); });
  }
  if (reserved) {
    SPDLOG_INFO("admin connection uid={} user={} took the owner's reserved slot max={}",
                caller_.uid, caller_.user, max);
  }
  return true;
}

void Connection::evict(int max_connections) {
  if (closed_) return;
  if (stream_) stream_->mark_closed();
  read_timer_.cancel();
  if (writing_) {
    // An answer is stuck on its way out: the peer is not reading, so nobody would see the line.
    close();
    return;
  }
  enqueue(error_line({"evicted", "closed to make room for a new connection: all " +
                                     std::to_string(max_connections) +
                                     " admin connections were open and this one was idle"}),
          false);
  close_after_flush_ = true;
}

void Connection::arm_timer(asio::steady_timer& timer, bool read_timer) {
  timer.expires_after(state_->options.idle_timeout);
  timer.async_wait([self = shared_from_this(), read_timer](boost::system::error_code ec) {
    if (ec || self->closed_ || self->activity_.load() == Activity::evicted) return;
    if (read_timer) {
      SPDLOG_INFO("admin connection idle uid={} user={}", self->caller_.uid, self->caller_.user);
      self->enqueue(error_line({"idle_timeout", "closing an idle connection"}), false);
      self->close_after_flush_ = true;
    } else {
      SPDLOG_WARN("admin connection stalled uid={} user={} reason=write_timeout", self->caller_.uid,
                  self->caller_.user);
      self->close();
    }
  });
}

void Connection::read() {
  if (closed_ || close_after_flush_) return;
  if (upload_ || upload_skipping_) {
    if (upload_waiting_ || upload_ended_) return;
    if (!set_activity(Activity::working)) return;
    if (buffer_.find('\n') != std::string::npos) {
      asio::post(executor(), [self = shared_from_this()] {
        if (!self->closed_) self->feed_upload();
      });
      return;
    }
    arm_timer(read_timer_, true);
  } else if (streaming_) {
    if (!set_activity(Activity::streaming)) return;
  } else {
    // Bounded answers: with a reply_bytes bound of answers still unsent, read nothing more
    // (the peer is not reading); writing resumes reading.
    const bool line_ready = buffer_.find('\n') != std::string::npos;
    if (writing_ && reply_bytes_ >= state_->options.max_queued_bytes) {
      read_paused_ = true;
    }
    if (!line_ready || read_paused_) {
      waiting_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
      if (!set_activity(Activity::waiting)) return;
    } else if (!set_activity(Activity::working)) {
      return;
    }
    if (read_paused_) return;
    arm_timer(read_timer_, true);
  }
  asio::async_read_until(socket_, asio::dynamic_buffer(buffer_, state_->options.max_line + 1), '\n',
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                           self->on_read(ec, n);
                         });
}

void Connection::on_read(boost::system::error_code ec, std::size_t n) {
  read_timer_.cancel();
  if (closed_) return;
  // Evicted while the line came in: evict() answers and closes.
  if (!streaming_ && !set_activity(Activity::working)) return;
  if (ec == asio::error::not_found) {
    SPDLOG_WARN("admin line too long uid={} user={} max_line={}", caller_.uid, caller_.user,
                state_->options.max_line);
    enqueue(error_line({"line_too_long", "a command line is at most " +
                                             std::to_string(state_->options.max_line) + " bytes"}),
            false);
    close_after_flush_ = true;
    if (!writing_) close();
    return;
  }
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
      SPDLOG_DEBUG("admin read failed uid={} error={}", caller_.uid, ec.message());
    }
    close();
    return;
  }
  if (upload_ || upload_skipping_) {
    feed_upload();
    return;
  }
  std::string line = buffer_.substr(0, n - 1);
  buffer_.erase(0, n);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (streaming_) {
    read();  // input while streaming is ignored; reading notices when the client leaves
    return;
  }
  handle_line(line);
}

void Connection::handle_line(std::string_view line) {
  // The command's name first: how the rest splits into words depends on its usage (a free
  // text takes the rest of the line as typed).
  static const Usage kNameFirst = parse_usage("command [REST...]");
  TokenizeResult t = split_command(line, kNameFirst);
  if (!t.ok()) {
    reply(AdminError{"bad_request", t.error});
    // When the first word names an upload command, its data lines follow anyway: skip them.
    const auto start = line.find_first_not_of(" \t");
    if (start != std::string_view::npos) {
      const auto word = line.substr(start, line.find_first_of(" \t", start) - start);
      if (auto entry = state_->find(word))
        upload_skipping_ = std::holds_alternative<UploadHandler>(entry->command.handler);
    }
    read();
    return;
  }
  if (t.tokens.empty()) {
    reply(AdminError{"bad_request", "empty line: send one command per line (try 'help')"});
    read();
    return;
  }
  const std::string name = t.tokens[0];
  if (name == "help") {
    t = tokenize(line);
    if (!t.ok()) {
      reply(AdminError{"bad_request", t.error});
      read();
      return;
    }
    auto parsed = parse_args(t.tokens, parse_usage("help [COMMAND]"), "help [COMMAND]");
    if (auto* e = std::get_if<AdminError>(&parsed)) {
      reply(*e);
    } else {
      help(std::get<Args>(parsed));
    }
    read();
    return;
  }
  auto entry = state_->find(name);
  if (!entry) {
    std::vector<std::string> names{"help"};
    {
      std::lock_guard lock(state_->mutex);
      for (const auto& [n, e] : state_->commands) {
        if (caller_.role >= e->command.least) names.push_back(n);
      }
    }
    std::string message = "unknown command '" + name + "'";
    if (auto hint = closest_match(name, names)) message += "; did you mean '" + *hint + "'?";
    reply(AdminError{"unknown_command", message + " (try 'help')"});
    read();
    return;
  }
  // A refused upload command's data lines follow anyway: skip them up to its "." line.
  const bool is_upload = std::holds_alternative<UploadHandler>(entry->command.handler);
  if (caller_.role < entry->command.least) {
    SPDLOG_INFO("admin forbidden uid={} user={} role={} command={}", caller_.uid, caller_.user,
                to_string(caller_.role), name);
    reply(AdminError{"forbidden", "'" + name + "' needs the " +
                                      std::string(to_string(entry->command.least)) + " role"});
    upload_skipping_ = is_upload;
    read();
    return;
  }
  t = split_command(line, entry->usage);
  if (!t.ok()) {
    reply(AdminError{"bad_request", t.error});
    upload_skipping_ = is_upload;
    read();
    return;
  }
  auto parsed = parse_args(t.tokens, entry->usage, entry->command.usage);
  if (auto* e = std::get_if<AdminError>(&parsed)) {
    reply(*e);
    upload_skipping_ = is_upload;
    read();
    return;
  }
  run(*entry, std::get<Args>(parsed));
}

Completion Connection::answer_later() {
  auto once = std::make_shared<std::atomic<bool>>(false);
  return [self = shared_from_this(), once](CommandResult result) {
    if (once->exchange(true)) return;
    asio::post(self->executor(), [self, result = std::move(result)] {
      self->reply(result);
      self->read();
    });
  };
}

void Connection::run(const Entry& entry, const Args& args) {
  if (entry.command.changes_state) {
    SPDLOG_INFO("admin command={} uid={} user={} role={}", entry.command.name, caller_.uid,
                caller_.user, to_string(caller_.role));
  } else {
    SPDLOG_DEBUG("admin command={} uid={} user={}", entry.command.name, caller_.uid, caller_.user);
  }
  auto internal = [&](const char* what) {
    SPDLOG_ERROR("admin command failed command={} uid={} error=\"{}\"", entry.command.name,
                 caller_.uid, what);
    return AdminError{"internal", "the command failed; see the daemon's log"};
  };
  if (state_->router && std::holds_alternative<UploadHandler>(entry.command.handler)) {
    // An upload the router takes is refused (answered at once); its data lines are skipped.
    std::optional<CommandResult> refused;
    bool taken = false;
    try {
      taken = state_->router(entry.command, args, caller_,
                             [&refused](CommandResult r) { refused = std::move(r); });
    } catch (const std::exception& e) {
      refused = internal(e.what());
      taken = true;
    }
    if (taken) {
      reply(refused ? *refused : CommandResult{internal("no answer")});
      upload_skipping_ = true;
      read();
      return;
    }
  }
  if (state_->router && (std::holds_alternative<SyncHandler>(entry.command.handler) ||
                         std::holds_alternative<AsyncHandler>(entry.command.handler))) {
    Completion done = answer_later();
    bool taken = false;
    try {
      taken = state_->router(entry.command, args, caller_, done);
    } catch (const std::exception& e) {
      reply(internal(e.what()));
      read();
      return;
    }
    if (taken) return;
  }
  if (auto* sync = std::get_if<SyncHandler>(&entry.command.handler)) {
    try {
      reply((*sync)(args, caller_));
    } catch (const std::exception& e) {
      reply(internal(e.what()));
    }
    read();
  } else if (auto* async = std::get_if<AsyncHandler>(&entry.command.handler)) {
    // The completion keeps the connection alive while the command is in flight (nothing else
    // is pending on it then: reading resumes after the answer).
    Completion done = answer_later();
    try {
      (*async)(args, caller_, done);
    } catch (const std::exception& e) {
      done(internal(e.what()));
    }
  } else if (auto* upload = std::get_if<UploadHandler>(&entry.command.handler)) {
    auto progress =
        std::make_shared<StreamImpl>(weak_from_this(), state_->options.max_queued_bytes);
    std::variant<std::shared_ptr<Upload>, AdminError> started;
    try {
      started = (*upload)(args, caller_, progress);
    } catch (const std::exception& e) {
      started = internal(e.what());
    }
    if (auto* e = std::get_if<AdminError>(&started)) {
      progress->mark_closed();
      reply(*e);
      upload_skipping_ = true;
    } else {
      upload_ = std::move(std::get<std::shared_ptr<Upload>>(started));
      upload_progress_ = std::move(progress);
      upload_ended_ = false;
      upload_waiting_ = false;
    }
    read();
  } else {
    const auto& handler = std::get<StreamHandler>(entry.command.handler);
    auto stream = std::make_shared<StreamImpl>(weak_from_this(), state_->options.max_queued_bytes);
    std::optional<AdminError> refused;
    try {
      refused = handler(args, caller_, stream);
    } catch (const std::exception& e) {
      refused = internal(e.what());
    }
    if (refused) {
      stream->mark_closed();
      reply(*refused);
    } else {
      streaming_ = true;
      stream_ = std::move(stream);
      read_timer_.cancel();
      enqueue(ok_line({{"stream", true}}), false);
    }
    read();
  }
}

void Connection::feed_upload() {
  std::vector<std::string> lines;
  bool ended = false;
  std::size_t pos = 0;
  for (;;) {
    const auto nl = buffer_.find('\n', pos);
    if (nl == std::string::npos) break;
    std::string_view line(buffer_.data() + pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == ".") {
      ended = true;
      break;
    }
    if (!upload_skipping_) lines.emplace_back(line);
  }
  buffer_.erase(0, pos);
  if (upload_skipping_) {
    if (ended) upload_skipping_ = false;
    read();
    return;
  }
  upload_ended_ = ended;
  if (lines.empty()) {
    if (ended) {
      end_upload();
    } else {
      read();
    }
    return;
  }
  upload_waiting_ = true;
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto more = [self = shared_from_this(), once] {
    if (once->exchange(true)) return;
    asio::post(self->executor(), [self] {
      if (self->closed_ || !self->upload_) return;
      self->upload_waiting_ = false;
      if (self->upload_ended_) {
        self->end_upload();
      } else {
        self->read();
      }
    });
  };
  auto upload = upload_;
  try {
    upload->lines(std::move(lines), std::move(more));
  } catch (const std::exception& e) {
    SPDLOG_ERROR("admin upload failed uid={} error=\"{}\"", caller_.uid, e.what());
    abort_upload("internal error");
    reply(AdminError{"internal", "the command failed; see the daemon's log"});
    upload_skipping_ = !ended;
    upload_waiting_ = false;
    upload_ended_ = false;
    read();
  }
}

void Connection::end_upload() {
  auto once = std::make_shared<std::atomic<bool>>(false);
  Completion done = [self = shared_from_this(), once](CommandResult result) {
    if (once->exchange(true)) return;
    asio::post(self->executor(),
               [self, result = std::move(result)] { self->finish_upload(result); });
  };
  auto upload = upload_;
  try {
    upload->end(std::move(done));
  } catch (const std::exception& e) {
    SPDLOG_ERROR("admin upload failed uid={} error=\"{}\"", caller_.uid, e.what());
    finish_upload(AdminError{"internal", "the command failed; see the daemon's log"});
  }
}

void Connection::finish_upload(const CommandResult& result) {
  if (closed_ || !upload_) return;
  upload_.reset();
  if (upload_progress_) upload_progress_->mark_closed();
  upload_progress_.reset();
  upload_ended_ = false;
  upload_waiting_ = false;
  reply(result);
  read();
}

void Connection::abort_upload(std::string_view why) {
  if (!upload_) return;
  auto upload = std::move(upload_);
  upload_.reset();
  if (upload_progress_) upload_progress_->mark_closed();
  upload_progress_.reset();
  upload_waiting_ = false;
  upload_ended_ = false;
  upload->abort(why);
}

void Connection::help(const Args& args) {
  if (!args.positional.empty()) {
    const std::string& name = args.positional[0];
    if (name == "help") {
      reply(nlohmann::json{
          {"command", describe(Command{"help", "help [COMMAND]", Role::manager, SyncHandler{},
                                       false, "List the commands you may run"})}});
      return;
    }
    auto entry = state_->find(name);
    if (!entry) {
      reply(AdminError{"unknown_command", "unknown command '" + name + "'"});
    } else if (caller_.role < entry->command.least) {
      reply(AdminError{"forbidden", "'" + name + "' needs the " +
                                        std::string(to_string(entry->command.least)) + " role"});
    } else {
      reply(nlohmann::json{{"command", describe(entry->command)}});
    }
    return;
  }
  nlohmann::json list = nlohmann::json::array();
  list.push_back(describe(Command{"help", "help [COMMAND]", Role::manager, SyncHandler{}, false,
                                  "List the commands you may run"}));
  std::lock_guard lock(state_->mutex);
  for (const auto& [name, entry] : state_->commands) {
    if (caller_.role >= entry->command.least) list.push_back(describe(entry->command));
  }
  reply(nlohmann::json{{"role", to_string(caller_.role)}, {"commands", std::move(list)}});
}

void Connection::reply(const CommandResult& result) {
  if (const auto* body = std::get_if<nlohmann::json>(&result)) {
    enqueue(ok_line(*body), false);
  } else {
    enqueue(error_line(std::get<AdminError>(result)), false);
  }
}

void Connection::enqueue(std::string line, bool event) {
  if (closed_) return;
  if (!event) reply_bytes_ += line.size();
  out_.push_back(Out{std::move(line), event});
  if (!writing_) write_next();
}

void Connection::enqueue_event(std::string line) {
  if (closed_ || close_after_flush_) {
    release_event_bytes(line.size());
    return;
  }
  enqueue(std::move(line), true);
}

void Connection::release_event_bytes(std::size_t n) {
  // Events are a watch stream's or an upload's progress lines (never both on one connection).
  if (stream_) {
    stream_->release(n);
  } else if (upload_progress_) {
    upload_progress_->release(n);
  }
}

void Connection::fail_slow() {
  if (closed_ || close_after_flush_) return;
  SPDLOG_WARN("admin stream dropped uid={} user={} reason=too_slow", caller_.uid, caller_.user);
  // Keep the line being written (it may be half sent); drop the rest.
  while (out_.size() > (writing_ ? 1u : 0u)) {
    if (out_.back().event) {
      release_event_bytes(out_.back().line.size());
    } else {
      reply_bytes_ -= out_.back().line.size();
    }
    out_.pop_back();
  }
  if (stream_) stream_->mark_closed();
  enqueue(error_line({"too_slow", "the client fell behind the event stream"}), false);
  close_after_flush_ = true;
  // No longer a stream being read: until the final line is out (or the write times out), a
  // newcomer may take its slot.
  waiting_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
  set_activity(Activity::waiting);
}

void Connection::write_next() {
  writing_ = true;
  arm_timer(write_timer_, false);
  asio::async_write(
      socket_, asio::buffer(out_.front().line),
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        self->write_timer_.cancel();
        if (self->closed_) return;
        if (self->out_.front().event) {
          self->release_event_bytes(self->out_.front().line.size());
        } else {
          self->reply_bytes_ -= self->out_.front().line.size();
        }
        self->out_.pop_front();
        if (ec) {
          self->close();
          return;
        }
        if (!self->out_.empty()) {
          self->write_next();
        } else {
          self->writing_ = false;
          if (self->close_after_flush_) {
            self->close();
            return;
          }
        }
        if (self->read_paused_ && self->reply_bytes_ < self->state_->options.max_queued_bytes) {
          self->read_paused_ = false;
          self->read();
        }
      });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  set_activity(Activity::closed);
  release_slot();
  if (stream_) stream_->mark_closed();
  // An upload without its "." line (or its answer unsent) ends here: the client left.
  if (upload_) abort_upload(upload_ended_ ? "client left before the answer" : "client left");
  read_timer_.cancel();
  write_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(local_stream::socket::shutdown_both, ignored);
  socket_.close(ignored);
  SPDLOG_DEBUG("admin disconnect uid={} user={}", caller_.uid, caller_.user);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

AdminServer::AdminServer(asio::io_context& io, AdminServerOptions options)
    : io_(io), state_(std::make_shared<State>()) {
  state_->options = std::move(options);
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::set_router(CommandRouter router) {
  state_->router = std::move(router);
}

void AdminServer::execute(const Args& args, const Caller& caller, Completion done) {
  const auto entry = state_->find(args.command);
  if (!entry || !(std::holds_alternative<SyncHandler>(entry->command.handler) ||
                  std::holds_alternative<AsyncHandler>(entry->command.handler))) {
    done(AdminError{"unknown_command", "'" + args.command + "' cannot be run for another node"});
    return;
  }
  if (caller.role < entry->command.least) {
    done(AdminError{"forbidden", "'" + args.command + "' needs the " +
                                     std::string(to_string(entry->command.least)) + " role"});
    return;
  }
  if (entry->command.changes_state) {
    SPDLOG_INFO("admin command={} user={} role={} forwarded=true", args.command, caller.user,
                to_string(caller.role));
  }
  const auto internal = [&](const char* what) {
    SPDLOG_ERROR("admin command failed command={} user={} forwarded=true error=\"{}\"",
                 args.command, caller.user, what);
    return AdminError{"internal", "the command failed; see the daemon's log"};
  };
  try {
    if (const auto* sync = std::get_if<SyncHandler>(&entry->command.handler)) {
      done((*sync)(args, caller));
    } else {
      std::get<AsyncHandler>(entry->command.handler)(args, caller, done);
    }
  } catch (const std::exception& e) {
    done(internal(e.what()));
  }
}

void AdminServer::add_command(Command command) {
  auto entry = std::make_shared<Entry>();
  entry->usage = parse_usage(command.usage);
  entry->command = std::move(command);
  std::lock_guard lock(state_->mutex);
  state_->commands[entry->command.name] = std::move(entry);
}

void AdminServer::set_roles(RolesConfig roles) {
  std::lock_guard lock(state_->mutex);
  state_->options.roles = std::move(roles);
}

std::size_t AdminServer::connection_count() const {
  return static_cast<std::size_t>(state_->count.load());
}

std::error_code AdminServer::start() {
  const std::string& path = state_->options.path;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return std::make_error_code(std::errc::filename_too_long);
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return std::make_error_code(std::errc::file_exists);
    // A socket file: live if someone accepts on it, stale otherwise.
    local_stream::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(local_stream::endpoint(path), ec);
    if (!ec) return std::make_error_code(std::errc::address_in_use);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return {errno, std::generic_category()};
    SPDLOG_INFO("admin removed stale socket path={}", path);
  }
  auto acceptor = std::make_unique<local_stream::acceptor>(io_);
  boost::system::error_code ec;
  acceptor->open(local_stream(), ec);
  if (!ec) acceptor->bind(local_stream::endpoint(path), ec);
  if (ec) return std::error_code(ec.value(), std::generic_category());
  if (chmod(path.c_str(), state_->options.mode) != 0) return {errno, std::generic_category()};
  if (!state_->options.group.empty()) {
    group gr{};
    group* result = nullptr;
    std::vector<char> buf(16384);
    if (getgrnam_r(state_->options.group.c_str(), &gr, buf.data(), buf.size(), &result) != 0 ||
        !result) {
      unlink(path.c_str());
      return std::make_error_code(std::errc::invalid_argument);
    }
    if (chown(path.c_str(), static_cast<uid_t>(-1), gr.gr_gid) != 0) {
      const int err = errno;
      unlink(path.c_str());
      return {err, std::generic_category()};
    }
  }
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    unlink(path.c_str());
    return std::error_code(ec.value(), std::generic_category());
  }
  state_->accept_retry = std::make_unique<asio::steady_timer>(acceptor->get_executor());
  state_->acceptor = std::move(acceptor);
  state_->listening = true;
  SPDLOG_INFO("admin listening path={} mode={:04o}", path, state_->options.mode);
  accept();
  return {};
}

namespace {

// Accepts one connection, hands it its own strand, and loops while the server listens. The
// connection limit applies once the peer is identified (Connection::admit). After a failed
// accept (out of file descriptors, say) it waits a little instead of spinning.
void accept_loop(const std::shared_ptr<AdminServer::State>& state) {
  std::weak_ptr<AdminServer::State> weak = state;
  state->acceptor->async_accept(
      asio::make_strand(state->acceptor->get_executor()),
      [weak](boost::system::error_code ec, local_stream::socket socket) {
        auto state = weak.lock();
        if (!state || !state->listening) return;
        if (ec) {
          SPDLOG_WARN("admin accept failed error={}", ec.message());
          state->accept_retry->expires_after(std::chrono::milliseconds(100));
          state->accept_retry->async_wait([weak](boost::system::error_code) {
            if (auto s = weak.lock(); s && s->listening) accept_loop(s);
          });
          return;
        }
        auto conn = std::make_shared<Connection>(state, std::move(socket));
        asio::post(conn->executor(), [conn] { conn->start(); });
        accept_loop(state);
      });
}

}  // namespace

void AdminServer::accept() {
  accept_loop(state_);
}

void AdminServer::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->listening) return;
    state_->listening = false;
    for (auto& w : state_->connections) {
      if (auto c = w.lock()) open.push_back(std::move(c));
    }
    state_->connections.clear();
  }
  boost::system::error_code ignored;
  if (state_->accept_retry) state_->accept_retry->cancel();
  if (state_->acceptor) state_->acceptor->close(ignored);
  unlink(state_->options.path.c_str());
  for (auto& c : open) {
    asio::post(c->executor(), [c] { c->close(); });
  }
  SPDLOG_INFO("admin stopped path={}", state_->options.path);
}

// ---------------------------------------------------------------------------------------------
// EventHub
// ---------------------------------------------------------------------------------------------

void EventHub::subscribe(std::shared_ptr<Stream> stream) {
  std::lock_guard lock(mutex_);
  streams_.push_back(std::move(stream));
}

std::size_t EventHub::publish(const nlohmann::json& event) {
  std::lock_guard lock(mutex_);
  std::size_t delivered = 0;
  auto it = streams_.begin();
  while (it != streams_.end()) {
    if ((*it)->push(event)) {
      ++delivered;
      ++it;
    } else {
      it = streams_.erase(it);
    }
  }
  return delivered;
}

std::size_t EventHub::subscribers() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

}  // namespace twoway::daemon
