// sd_notify without libsystemd: a temporary AF_UNIX datagram socket stands in for systemd's
// notify socket and receives what twowayd sends.
#include "daemon/systemd.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

using namespace twoway::daemon;
using ::testing::MatchesRegex;

namespace {

// A bound datagram socket; receive() waits at most 5 s.
class FakeSystemd {
 public:
  explicit FakeSystemd(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    if (path[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      ++len;
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~FakeSystemd() { ::close(fd_); }
  bool bound() const { return bound_; }
  std::string receive() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n < 0 ? "<nothing>" : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

class SystemdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-notify-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(SystemdTest, SendsReadyToNotifySocket) {
  const std::string path = dir_ + "/notify";
  FakeSystemd systemd(path);
  ASSERT_TRUE(systemd.bound());
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  const SystemdNotifier n = SystemdNotifier::from_environment();
  ASSERT_TRUE(n.enabled());
  EXPECT_FALSE(n.ready());
  EXPECT_EQ(systemd.receive(), "READY=1");
  EXPECT_FALSE(n.status("binds up 1/2\nsecond line"));
  EXPECT_EQ(systemd.receive(), "STATUS=binds up 1/2 second line");
  EXPECT_FALSE(n.reloading());
  EXPECT_THAT(systemd.receive(), MatchesRegex("RELOADING=1\nMONOTONIC_USEC=[0-9]+"));
  EXPECT_FALSE(n.watchdog());
  EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
  EXPECT_FALSE(n.stopping());
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST_F(SystemdTest, AbstractSocket) {
  const std::string name = "@twoway-notify-test-" + std::to_string(getpid());
  FakeSystemd systemd(name);
  ASSERT_TRUE(systemd.bound());
  const SystemdNotifier n(name);
  EXPECT_FALSE(n.ready());
  EXPECT_EQ(systemd.receive(), "READY=1");
}

TEST_F(SystemdTest, DisabledWithoutNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  const SystemdNotifier n = SystemdNotifier::from_environment();
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.ready());  // nothing to do is not an error
  EXPECT_EQ(n.watchdog_interval().count(), 0);
}

TEST_F(SystemdTest, UnreachableSocketIsAnError) {
  const SystemdNotifier n(dir_ + "/nobody-listens");
  EXPECT_TRUE(n.ready());
  EXPECT_TRUE(SystemdNotifier("relative/path").ready());
}

TEST_F(SystemdTest, WatchdogIntervalFromEnvironment) {
  setenv("NOTIFY_SOCKET", (dir_ + "/notify").c_str(), 1);
  setenv("WATCHDOG_USEC", "20000000", 1);
  EXPECT_EQ(SystemdNotifier::from_environment().watchdog_interval(), std::chrono::seconds(20));
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_EQ(SystemdNotifier::from_environment().watchdog_interval(), std::chrono::seconds(20));
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);  // meant for another process
  EXPECT_EQ(SystemdNotifier::from_environment().watchdog_interval().count(), 0);
  unsetenv("WATCHDOG_PID");
  setenv("WATCHDOG_USEC", "soon", 1);
  EXPECT_EQ(SystemdNotifier::from_environment().watchdog_interval().count(), 0);
}

}  // namespace
