// Randomised model test: thousands of random sequences of inbound texts, keywords, replies,
// campaigns, claims, blocks, reads, archives and crashes (the store reopened mid-sequence),
// checked against a simple model: nothing leaves for a profile without consent except the
// allowed answers, opt-out cancels what was queued, inbox order and unread counts match.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>

#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

constexpr int kSequences = 2000;
constexpr int kOpsPerSequence = 40;
const char* const kNumbers[] = {"+16502530010", "+16502530011", "+16502530012", "+16502530013"};
constexpr int kPeople = 4;

// Memory-backed when the machine has /dev/shm: thousands of environments are created here.
std::filesystem::path scratch_base() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

struct PersonModel {
  Consent consent = Consent::none;
  bool blocked = false;
  bool archived = false;
  bool in_inbox = false;
  bool texted = false;
  std::uint32_t unread = 0;
  std::uint64_t order = 0;  // when the last free text arrived (model clock)
};

class ModelRun {
 public:
  explicit ModelRun(std::uint64_t seed) : rng_(seed), dir_(scratch_base()) {
    config_ = test_config(dir_.path());
    config_.durable = false;  // crashes here are clean reopens; speed matters
    config_.relaxed_sync_ms = 1000;
    open();
    Settings s = engine_->settings();
    s.auto_responder.mode = static_cast<AutoResponderMode>(pick(3));
    s.auto_responder.period_seconds = pick(2) == 0 ? 0 : 3600;
    EXPECT_TRUE(engine_->set_settings(s).empty());
  }

  void run() {
    for (int i = 0; i < kOpsPerSequence && !::testing::Test::HasFailure(); ++i) step();
    if (!::testing::Test::HasFailure()) check_inbox();
  }

  std::string trace() const { return trace_.str(); }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }

  void open() {
    engine_.reset();
    engine_ = std::make_unique<Engine>(config_, EngineMode::synchronous);
  }

  void inbound(int who, const std::string& body) {
    InboundMessage m;
    m.smsc = "smsc1";
    m.source = kNumbers[who];
    m.destination = kShortCode;
    m.text = body;
    m.received_unix = now_;
    engine_->apply_inbound(std::move(m));
  }

  void step() {
    now_ += 1 + pick(30);
    const int who = pick(kPeople);
    PersonModel& p = people_[who];
    const int op = pick(16);
    trace_ << op << ":" << who << " ";
    switch (op) {
      case 0:
      case 1:
      case 2:
        inbound(who, "hello " + std::to_string(now_));
        p.texted = true;
        p.in_inbox = true;
        p.archived = false;
        if (!p.blocked) ++p.unread;
        p.order = ++clock_;
        break;
      case 3:
        inbound(who, "STOP");
        p.texted = true;
        p.consent = Consent::unsubscribed;
        break;
      case 4:
        inbound(who, "START");
        p.texted = true;
        p.consent = Consent::subscribed;
        break;
      case 5:
        inbound(who, "HELP");
        p.texted = true;
        break;
      case 6:
      case 7: {
        auto r = engine_->reply({kNumbers[who], "agent says hi", "ann", pick(2) == 0, now_});
        const bool allowed = !p.blocked && p.consent == Consent::subscribed && p.texted;
        if (r.ok()) {
          EXPECT_TRUE(allowed) << "agent reply accepted for a profile that may not get it";
        }
        if (allowed && r.error != SendError::quiet_hours) {
          EXPECT_TRUE(r.ok()) << to_string(r.error);
        }
        break;
      }
      case 8: {
        auto kind = pick(2) == 0 ? MessageKind::campaign : MessageKind::flow;
        auto r = engine_->send({kNumbers[who], "offer", kind, "crm", now_});
        if (r.ok()) {
          EXPECT_EQ(p.consent, Consent::subscribed);
          EXPECT_FALSE(p.blocked);
        }
        break;
      }
      case 9:
      case 10:
        drain(true);
        break;
      case 11:
        drain(false);  // handed to a bind, never confirmed (crash comes later maybe)
        break;
      case 12:
        if (engine_->set_blocked(kNumbers[who], !p.blocked, now_) == ActionError::ok)
          p.blocked = !p.blocked;
        break;
      case 13: {
        const bool read = pick(2) == 0;
        if (engine_->mark_read(kNumbers[who], read, now_) == ActionError::ok)
          p.unread = read ? 0 : std::max<std::uint32_t>(p.unread, 1);
        break;
      }
      case 14:
        if (engine_->set_archived(kNumbers[who], true, now_) == ActionError::ok) p.archived = true;
        break;
      case 15:
        open();  // crash and restart
        break;
    }
    check_inbox();
  }

  void drain(bool confirm) {
    for (const auto& item : engine_->claim_due(now_, 100)) {
      int who = -1;
      for (int i = 0; i < kPeople; ++i)
        if (item.to == kNumbers[i]) who = i;
      ASSERT_GE(who, 0);
      const PersonModel& p = people_[who];
      EXPECT_FALSE(p.blocked) << "message left for a blocked number";
      EXPECT_EQ(item.from, kShortCode);
      if (item.kind == MessageKind::agent_reply || item.kind == MessageKind::campaign ||
          item.kind == MessageKind::flow) {
        EXPECT_EQ(p.consent, Consent::subscribed) << to_string(item.kind) << " without consent";
      } else if (p.consent == Consent::unsubscribed) {
        // After STOP the one confirmation is all they may get.
        EXPECT_EQ(item.kind, MessageKind::keyword_reply);
        EXPECT_NE(item.text.find("no further messages"), std::string::npos) << item.text;
      }
      if (confirm)
        for (std::uint32_t s = 0; s < item.segments; ++s)
          (void)engine_->mark_submitted(item.id, s, std::to_string(item.id * 10 + s), now_);
    }
  }

  void check_inbox() {
    std::vector<int> expected;
    for (int i = 0; i < kPeople; ++i)
      if (people_[i].in_inbox && !people_[i].blocked && !people_[i].archived) expected.push_back(i);
    std::sort(expected.begin(), expected.end(),
              [&](int a, int b) { return people_[a].order > people_[b].order; });
    auto rows = engine_->inbox(InboxView::inbox, {}, 100).rows;
    ASSERT_EQ(rows.size(), expected.size()) << "inbox size";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].number, kNumbers[expected[i]]) << "inbox order at " << i;
      EXPECT_EQ(rows[i].unread, people_[expected[i]].unread) << "unread of " << rows[i].number;
    }
    std::size_t unread = 0;
    for (int i : expected)
      if (people_[i].unread > 0) ++unread;
    EXPECT_EQ(engine_->inbox(InboxView::unread, {}, 100).rows.size(), unread);
  }

  std::mt19937_64 rng_;
  TempDir dir_;
  EngineConfig config_;
  std::unique_ptr<Engine> engine_;
  PersonModel people_[kPeople];
  std::int64_t now_ = kNoon;
  std::uint64_t clock_ = 0;
  std::ostringstream trace_;
};

TEST(ModelTest, RandomSequencesKeepConsentAndInboxRules) {
  for (int seed = 1; seed <= kSequences; ++seed) {
    ModelRun run(static_cast<std::uint64_t>(seed));
    run.run();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << seed << " ops " << run.trace();
      return;
    }
  }
}

}  // namespace
}  // namespace twoway::engine::testing
