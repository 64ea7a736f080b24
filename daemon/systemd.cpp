// sd_notify without libsystemd: one AF_UNIX datagram per notification to $NOTIFY_SOCKET.
#include "daemon/systemd.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace twoway::daemon {
namespace {

std::optional<unsigned long long> parse_unsigned(const char* text) {
  if (!text || !*text) return std::nullopt;
  unsigned long long v = 0;
  const char* end = text + std::strlen(text);
  auto [p, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

}  // namespace

SystemdNotifier::SystemdNotifier(std::string socket_path, std::chrono::microseconds watchdog)
    : socket_path_(std::move(socket_path)), watchdog_(watchdog) {}

SystemdNotifier SystemdNotifier::from_environment() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return SystemdNotifier();
  std::chrono::microseconds watchdog{0};
  if (auto usec = parse_unsigned(std::getenv("WATCHDOG_USEC")); usec && *usec > 0) {
    const auto pid = parse_unsigned(std::getenv("WATCHDOG_PID"));
    if (!pid || *pid == static_cast<unsigned long long>(getpid())) {
      watchdog = std::chrono::microseconds(*usec);
    }
  }
  return SystemdNotifier(path, watchdog);
}

std::error_code SystemdNotifier::notify(std::string_view state) const {
  if (socket_path_.empty()) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof(addr.sun_path) ||
      (socket_path_[0] != '/' && socket_path_[0] != '@')) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  if (socket_path_[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace: no trailing NUL in the length
  } else {
    ++len;
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {errno, std::generic_category()};
  std::error_code result;
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&addr), len);
  if (sent < 0) {
    result = {errno, std::generic_category()};
  } else if (static_cast<std::size_t>(sent) != state.size()) {
    result = std::make_error_code(std::errc::message_size);
  }
  ::close(fd);
  return result;
}

std::error_code SystemdNotifier::reloading() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const unsigned long long usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ull +
                                  static_cast<unsigned long long>(ts.tv_nsec) / 1000ull;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

std::error_code SystemdNotifier::status(std::string_view text) const {
  std::string line = "STATUS=";
  line.append(text);
  for (std::size_t i = 7; i < line.size(); ++i) {
    if (line[i] == '\n') line[i] = ' ';
  }
  return notify(line);
}

}  // namespace twoway::daemon
