// Hands one message to an SMTP relay with libcurl: plain, STARTTLS (required, never silently
// skipped) or implicit TLS, optional login, bounded connect and transfer times, and a way to
// give up at once when the daemon stops. Blocking: run it off the message path.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "engine/types.hpp"

namespace twoway::daemon {

struct SmtpRelay {
  std::string host;
  std::uint32_t port = 25;
  engine::SmtpTls tls = engine::SmtpTls::none;
  std::string username;  ///< "" = no login
  std::string password;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{60};  ///< the whole exchange
};

struct SmtpResult {
  bool ok = false;
  std::string error;  ///< curl's reason (and the relay's answer when there was one)
};

/// Sends `message` (headers and body, CRLF line ends; curl does the dot-stuffing) from `from` to
/// every address of `to`. `cancel`, when set, aborts the exchange as soon as it turns true.
[[nodiscard]] SmtpResult smtp_send(const SmtpRelay& relay, const std::string& from,
                                   const std::vector<std::string>& to, const std::string& message,
                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace twoway::daemon
