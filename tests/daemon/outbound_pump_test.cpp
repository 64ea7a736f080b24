// The outbound pump's schedule: kicks from every settled submit and every queued message
// coalesce, so a burst of them costs a run or two, never one blocking claim each.
#include "daemon/gateway_pump.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

namespace twoway::daemon {
namespace {

class OutboundPumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/twoway-pump-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    engine::EngineConfig c;
    c.path = dir_ + "/db";
    c.map_size = std::size_t{64} << 20;
    engine_ = std::make_unique<engine::Engine>(c, engine::EngineMode::synchronous);
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// Blocks the engine-call pool's only thread until release().
  void hold_pool() {
    boost::asio::post(pool_, [this] {
      std::unique_lock lock(mu_);
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return held_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  /// Waits (bounded) until the pool ran everything posted so far.
  void drain_pool() {
    std::promise<void> done;
    boost::asio::post(pool_, [&] { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }

  std::string dir_;
  std::unique_ptr<engine::Engine> engine_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
  SmscBinds binds_{io_, BindHooks{}};  // no SMSC: no room, every run ends at once
  NumberRoutes routes_;
  GatewayCounters counters_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false, released_ = false;
};

TEST_F(OutboundPumpTest, ABurstOfKicksWhileTheEngineIsBusyCostsOneRun) {
  OutboundPump pump(io_, *engine_, binds_, routes_, pool_, counters_);
  // The engine-call pool is busy (a long claim, an admin write): 10,000 messages settle and
  // are queued meanwhile, each kicking the pump.
  hold_pool();
  for (int i = 0; i < 10'000; ++i) pump.kick();
  release();
  drain_pool();
  drain_pool();  // a run the first one queued behind it
  EXPECT_EQ(counters_.pump_runs.load(), 1u);
  pump.stop();
}

TEST_F(OutboundPumpTest, AKickDuringARunGetsOneMoreRunAfterIt) {
  OutboundPump pump(io_, *engine_, binds_, routes_, pool_, counters_);
  pump.kick();
  drain_pool();
  EXPECT_EQ(counters_.pump_runs.load(), 1u);
  // Kicks from other threads while runs go: each finds a run queued or going, so the runs
  // stay far fewer than the kicks, and the last kick is always followed by a run.
  std::thread kicker([&] {
    for (int i = 0; i < 10'000; ++i) pump.kick();
  });
  kicker.join();
  drain_pool();
  drain_pool();
  const auto runs = counters_.pump_runs.load();
  EXPECT_GE(runs, 2u);
  EXPECT_LT(runs, 10'000u);
  pump.stop();
  pump.kick();  // stopped: no run
  drain_pool();
  EXPECT_EQ(counters_.pump_runs.load(), runs);
}

}  // namespace
}  // namespace twoway::daemon
