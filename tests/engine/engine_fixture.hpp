// Shared test fixture for the engine: a temporary LMDB directory, a fake clock and helpers to
// send inbound texts and drain the outbox the way the sending side would.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace twoway::engine::testing {

// 2026-06-15 17:00 UTC: 13:00 in New York, 10:00 in California (inside quiet-hours windows).
inline constexpr std::int64_t kNoon = 1781542800;
// 2026-06-16 06:00 UTC: 23:00 in California (quiet).
inline constexpr std::int64_t kNightCA = 1781589600;
// 2026-06-16 15:00 UTC: 08:00 in California (window opens).
inline constexpr std::int64_t kMorningCA = 1781622000;

inline constexpr const char* kShortCode = "12345";
inline constexpr const char* kLongCode = "+16505550100";
inline constexpr const char* kAlice = "+16502530000";  // Mountain View, CA
inline constexpr const char* kBob = "+16502530001";
inline constexpr const char* kCarol = "+16502530002";

// A unique temporary directory removed at destruction.
class TempDir {
 public:
  // base: parent folder (default: the system temp folder).
  explicit TempDir(std::filesystem::path base = std::filesystem::temp_directory_path()) {
    std::string tmpl = (base / "twoway-engine-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline EngineConfig test_config(const std::string& path) {
  EngineConfig c;
  c.path = path + "/db";
  c.map_size = std::size_t{64} << 20;
  c.default_region = "US";
  c.organization.prefix = "Acme";
  c.organization.email = "help@acme.example";
  c.organization.help_text = "Acme order updates.";
  c.sending_numbers = {kShortCode, kLongCode};
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(EngineMode mode = EngineMode::synchronous) {
    engine.reset();
    engine = std::make_unique<Engine>(config, mode);
  }
  // Simulates a crash and restart: the engine is destroyed and opened again on the same files.
  void reopen() { open(); }

  // An inbound text as the SMSC hands it over (international sender, received now).
  InboundMessage message(const std::string& from, const std::string& body,
                         const std::string& to = kShortCode) const {
    InboundMessage m;
    m.smsc = "smsc1";
    m.source = from;
    m.source_ton = 1;
    m.source_npi = 1;
    m.destination = to;
    m.text = body;
    m.received_unix = now;
    return m;
  }

  InboundResult text(const std::string& from, const std::string& body,
                     const std::string& to = kShortCode) {
    return engine->apply_inbound(message(from, body, to));
  }

  // Claims everything due and marks it submitted; returns what "left" for the network.
  std::vector<OutboundItem> drain() {
    auto items = engine->claim_due(now, 1000);
    for (const auto& it : items)
      for (std::uint32_t s = 0; s < it.segments; ++s)
        EXPECT_TRUE(engine->mark_submitted(
            it.id, s, "id" + std::to_string(it.id) + "-" + std::to_string(s), now));
    return items;
  }

  std::vector<Message> thread_of(const std::string& number) {
    return engine->thread(number, 0, 500, now).messages;
  }

  Profile profile_of(const std::string& number) {
    auto p = engine->profile(number);
    EXPECT_TRUE(p.has_value()) << number;
    return p.value_or(Profile{});
  }

  // A subscribed Alice texted and got an agent reply, now claimed for sending: that item.
  OutboundItem claimed_reply(const std::string& body = "hello") {
    subscribe_number(kAlice);
    text(kAlice, "hi");
    EXPECT_TRUE(engine->reply({kAlice, body, "ann", false, now}).ok());
    auto items = engine->claim_due(now, 10);
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? OutboundItem{} : items.front();
  }

  void subscribe_number(const std::string& number) {
    ASSERT_EQ(engine->import_consent(number, Consent::subscribed, ConsentSource::import, now),
              ActionError::ok);
  }

  TempDir dir;
  EngineConfig config = test_config(dir.path());
  std::int64_t now = kNoon;
  std::unique_ptr<Engine> engine;
};

}  // namespace twoway::engine::testing
