// The admin socket server: a Unix stream socket, callers mapped to roles from SO_PEERCRED, a
// command table (name, usage, least role, handler), one JSON line per reply, streaming (watch).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "daemon/admin_protocol.hpp"
#include "daemon/config.hpp"

namespace twoway::daemon {

/// Who is on the other end of a connection, as the system knows them.
struct Identity {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::string user;                 ///< "" when the uid has no passwd entry
  std::vector<std::string> groups;  ///< names of the primary and supplementary groups
};

/// The caller a handler sees.
struct Caller {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  std::string user;  ///< user name, or "uid:1234" without a passwd entry
  Role role = Role::none;
  /// Sent on by another node of the cluster (which checked the role): answered from this
  /// node's store alone, never sent on again.
  bool forwarded = false;
};

/// The role an identity has: root is owner; otherwise the highest role whose list names the
/// user or one of their groups ("@group"); Role::none when nothing matches.
[[nodiscard]] Role resolve_role(const Identity& who, const RolesConfig& roles);

/// Looks a uid/gid up in the system databases (getpwuid_r, getgrouplist, getgrgid_r).
[[nodiscard]] Identity lookup_identity(uid_t uid, gid_t gid);

using CommandResult = std::variant<nlohmann::json, AdminError>;

/// Completes an asynchronous command. Call exactly once, from any thread; later calls are
/// ignored, and a call after the client left is dropped.
using Completion = std::function<void(CommandResult)>;

/// The sending side of a streaming command (watch). Thread-safe.
class Stream {
 public:
  virtual ~Stream() = default;
  /// Queues one event line. False when the client is gone or fell too far behind (then the
  /// connection is closed with a final "too_slow" error line): stop pushing to it.
  virtual bool push(const nlohmann::json& event) = 0;
  /// True once the client left or was disconnected.
  [[nodiscard]] virtual bool closed() const = 0;
};

/// The receiving side of an upload command (send-bulk, consent-import). After its command line
/// the client sends data lines, one item each, and a line holding only "." to end them; the
/// answer is progress lines ({"progress":{...}}) and then one final line, ok or error. The
/// server calls these on the connection's strand, one at a time.
class Upload {
 public:
  virtual ~Upload() = default;
  /// Data lines that came (without their line ends). The server reads nothing more until
  /// `more` is called (once, from any thread): back-pressure on the client.
  virtual void lines(std::vector<std::string> lines, std::function<void()> more) = 0;
  /// The "." line came, after the `more` of every earlier group: finish, then answer once.
  virtual void end(Completion done) = 0;
  /// The client left, or the connection broke or timed out, before the "." line: nothing
  /// more comes and nobody reads an answer. Work already handed on stays done.
  virtual void abort(std::string_view why) = 0;
};

using SyncHandler = std::function<CommandResult(const Args&, const Caller&)>;
using AsyncHandler = std::function<void(const Args&, const Caller&, Completion)>;
/// Returns an error to refuse the stream (bad arguments); otherwise the server answers
/// {"ok":true,"stream":true} and the handler keeps `stream` to push events.
using StreamHandler =
    std::function<std::optional<AdminError>(const Args&, const Caller&, std::shared_ptr<Stream>)>;

/// Returns the upload, or an error to refuse it (bad arguments). `progress` pushes progress
/// lines. On any refusal of an upload command (this error, a missing role, bad arguments) the
/// server answers the error and skips the data lines up to the "." line, so that they are not
/// taken for commands.
using UploadHandler = std::function<std::variant<std::shared_ptr<Upload>, AdminError>(
    const Args&, const Caller&, std::shared_ptr<Stream> progress)>;

struct Command {
  std::string name;
  std::string
      usage;  ///< "inbox [--unread] [--limit N] [--before CURSOR]": also the argument grammar
  Role least = Role::owner;
  std::variant<SyncHandler, AsyncHandler, StreamHandler, UploadHandler> handler;
  bool changes_state = false;  ///< logged at info with the caller's uid when true
  std::string summary{};       ///< one line for `help`
};

/// Decides where a command runs (cluster mode): returns true when it took the command and will
/// call the completion (answered by another node), false to run it here. Called after the role
/// and arguments were checked, on the connection's strand: it must not block. For an upload
/// command it may only refuse: taking it means calling the completion with an error before
/// returning (its data lines are then skipped).
using CommandRouter =
    std::function<bool(const Command& command, const Args&, const Caller&, Completion)>;

struct AdminServerOptions {
  std::string path = "/run/twoway/admin.sock";
  unsigned mode = 0660;
  std::string group;  ///< group to own the socket file ("" = the process's group)
  /// Open connections at most. Idle connections cannot lock anyone out: when every slot is
  /// taken, a newcomer (once identified) evicts the idle connection - admitted, waiting for a
  /// command line, no command running, not a watch stream - of the lowest role, idle the
  /// longest, but never one of a higher role than its own; the evicted peer gets an "evicted"
  /// error line and the eviction is logged. When no connection can be evicted (all run
  /// commands or watch streams), one more slot is kept for an owner (root is owner), so an
  /// owner always gets a `status` answered; anyone else is refused with too_many_connections.
  /// Why both: eviction alone lets busy streams lock everyone out; a reserved slot alone is
  /// taken by the first idle owner connection.
  int max_connections = 32;
  std::size_t max_line = 65536;
  std::chrono::milliseconds idle_timeout{300000};
  /// Per connection: streamed events queued (beyond it the stream is dropped as too_slow), and
  /// answers queued for a peer that does not read them (beyond it reading pauses).
  std::size_t max_queued_bytes = 1 << 20;
  RolesConfig roles;
  /// How a peer's uid/gid becomes an identity; lookup_identity unless tests inject one.
  std::function<Identity(uid_t, gid_t)> identify;
};

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, AdminServerOptions options);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  /// Adds (or replaces) a command. Safe before and after start().
  void add_command(Command command);

  /// Binds the socket (removing a stale socket file; refusing when another process listens
  /// there or the path is not a socket), sets its mode and group, and starts accepting.
  [[nodiscard]] std::error_code start();

  /// Stops accepting, closes every connection and removes the socket file. Idempotent.
  void stop();

  /// Sets the router consulted before each sync or async command (before start()).
  void set_router(CommandRouter router);

  /// Runs a sync or async command as `caller` without a connection and without the router
  /// (a request from another node): the same role check and errors as on the socket.
  void execute(const Args& args, const Caller& caller, Completion done);

  /// Replaces the role lists (SIGHUP). Open connections keep the role they had.
  void set_roles(RolesConfig roles);

  [[nodiscard]] std::size_t connection_count() const;

  struct State;  // shared with connections

 private:
  void accept();

  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

/// Fans events out to every open stream (the `watch` command); drops closed streams.
class EventHub {
 public:
  void subscribe(std::shared_ptr<Stream> stream);
  /// Pushes to every subscriber; returns how many took it.
  std::size_t publish(const nlohmann::json& event);
  [[nodiscard]] std::size_t subscribers() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Stream>> streams_;
};

}  // namespace twoway::daemon
