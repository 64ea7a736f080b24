// systemd service notifications (sd_notify protocol) written straight to $NOTIFY_SOCKET, and
// the watchdog interval from $WATCHDOG_USEC / $WATCHDOG_PID. No libsystemd.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

namespace twoway::daemon {

class SystemdNotifier {
 public:
  /// A notifier that sends nothing (not started by systemd).
  SystemdNotifier() = default;

  /// Sends to `socket_path` ("/run/systemd/notify", or "@name" for an abstract socket);
  /// `watchdog` is the interval systemd expects pings within (0 = no watchdog).
  explicit SystemdNotifier(std::string socket_path,
                           std::chrono::microseconds watchdog = std::chrono::microseconds(0));

  /// From $NOTIFY_SOCKET and $WATCHDOG_USEC (ignored when $WATCHDOG_PID names another process).
  [[nodiscard]] static SystemdNotifier from_environment();

  [[nodiscard]] bool enabled() const { return !socket_path_.empty(); }

  /// Sends one datagram of newline-separated "KEY=VALUE" assignments. Success (and nothing sent)
  /// when disabled; an error when the socket cannot be reached.
  std::error_code notify(std::string_view state) const;

  std::error_code ready() const { return notify("READY=1"); }
  /// RELOADING=1 with MONOTONIC_USEC (as systemd 253+ wants for Type=notify-reload; older
  /// versions ignore it). Send ready() when the reload is done.
  std::error_code reloading() const;
  std::error_code stopping() const { return notify("STOPPING=1"); }
  std::error_code watchdog() const { return notify("WATCHDOG=1"); }
  /// STATUS=text (newlines in text are replaced by spaces).
  std::error_code status(std::string_view text) const;

  /// The watchdog timeout systemd enforces; ping at half of it. 0 when there is no watchdog.
  [[nodiscard]] std::chrono::microseconds watchdog_interval() const { return watchdog_; }

 private:
  std::string socket_path_;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace twoway::daemon
