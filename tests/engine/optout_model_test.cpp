// Randomised model test of the opt-out guarantee: thousands of random sequences of customer
// texts (opt-outs in every recognised wording, opt-ins, HELP, free text, possible revocations),
// admin actions (imports, consent changes, replies, campaigns, flows, blocks, staff decisions on
// flagged texts), settings changes (auto-responder, keyword lists that try to take floor words
// away), sending-side outcomes (submitted, failed, never confirmed) and crashes (the store
// reopened). After a customer's opt-out nothing but its one confirmation ever leaves for the
// number until the customer opts back in by their own text.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>

#include "engine_fixture.hpp"

namespace twoway::engine::testing {
namespace {

constexpr int kSequences = 2000;
constexpr int kOpsPerSequence = 40;
constexpr int kPeople = 3;
const char* const kNumbers[kPeople] = {"+16502530020", "+16502530021", "+16502530022"};

// Every wording here must opt out, whatever the settings.
const char* const kOptOuts[] = {"STOP",
                                "stop",
                                "Quit",
                                "END",
                                "revoke",
                                "opt out",
                                "OPTOUT",
                                "Cancel",
                                "unsubscribe",
                                "STOPALL",
                                "stop all",
                                "\xF0\x9F\x9B\x91",
                                "STOP please",
                                "pls stop texting me",
                                "Opt me out",
                                "STPO",
                                "UNSUSCRIBE",
                                "STOP!!!",
                                "unsubscribe me now"};
const char* const kOptIns[] = {"START", "unstop"};
// Free text, some of it flagged as a possible revocation; none of it changes consent, except
// that with opt_out_contains a floor word inside a text opts out (`inside`).
struct FreeText {
  const char* text;
  bool inside;
};
const FreeText kFreeText[] = {
    {"hello", false},        {"I want to cancel my order", true}, {"wrong number", false},
    {"remove me", false},    {"Stopping by later?", false},       {"nonstop", false},
    {"who is this?", false}, {"help me with my order", false}};

std::filesystem::path scratch_base() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec)) return "/dev/shm";
  return std::filesystem::temp_directory_path();
}

struct Person {
  bool opted_out_by_text = false;              // the customer's own opt-out stands
  bool unsubscribed = false;                   // by any source
  std::set<std::uint64_t> confirmations_left;  // outbox ids that may still leave (at most one)
  std::uint64_t confirmations_allowed = 0;     // confirmations that may still be queued
};

class OptOutRun {
 public:
  explicit OptOutRun(std::uint64_t seed) : rng_(seed), dir_(scratch_base()) {
    config_ = test_config(dir_.path());
    config_.durable = false;  // crashes here are clean reopens; speed matters
    open();
    change_settings();
  }

  void run() {
    for (int i = 0; i < kOpsPerSequence && !::testing::Test::HasFailure(); ++i) step();
  }

  std::string trace() const { return trace_.str(); }

 private:
  int pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  template <class T, std::size_t N>
  const T& one_of(const T (&a)[N]) {
    return a[pick(static_cast<int>(N))];
  }

  void open() {
    engine_.reset();
    engine_ = std::make_unique<Engine>(config_, EngineMode::synchronous);
  }

  // Settings an admin might choose, including keyword lists that try to move floor words.
  void change_settings() {
    Settings s = engine_->settings();
    s.auto_responder.mode = static_cast<AutoResponderMode>(pick(3));
    s.auto_responder.period_seconds = pick(2) == 0 ? 0 : 3600;
    s.keywords.opt_out =
        pick(2) == 0 ? std::vector<std::string>{"STOP"} : std::vector<std::string>{"ARRET"};
    s.keywords.opt_in =
        pick(2) == 0 ? std::vector<std::string>{"YES", "END"} : std::vector<std::string>{"YES"};
    s.keywords.help =
        pick(2) == 0 ? std::vector<std::string>{"CANCEL"} : std::vector<std::string>{};
    s.keywords.custom.clear();
    if (pick(2) == 0) s.keywords.custom.push_back({"QUIT", "Come back soon!", "subscribe"});
    s.keywords.opt_out_contains = contains_ = pick(2) == 0;
    EXPECT_TRUE(engine_->set_settings(s).empty());
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
    now_ += 1 + pick(40);
    const int who = pick(kPeople);
    Person& p = people_[who];
    const int op = pick(18);
    trace_ << op << ":" << who << " ";
    switch (op) {
      case 0:
      case 1: {
        const std::string body = one_of(kOptOuts);
        trace_ << "[" << body << "] ";
        inbound(who, body);
        if (!p.unsubscribed) ++p.confirmations_allowed;  // the one confirmation
        p.unsubscribed = true;
        p.opted_out_by_text = true;
        break;
      }
      case 2:
        inbound(who, one_of(kOptIns));
        p.unsubscribed = false;
        p.opted_out_by_text = false;
        p.confirmations_allowed = 0;
        p.confirmations_left.clear();
        break;
      case 3:
      case 4: {
        const FreeText& t = one_of(kFreeText);
        inbound(who, t.text);
        if (t.inside && contains_) {
          if (!p.unsubscribed) ++p.confirmations_allowed;
          p.unsubscribed = true;
          p.opted_out_by_text = true;
        }
        break;
      }
      case 5:
        inbound(who, "HELP");
        break;
      case 6: {  // an import or admin subscribes the number
        const auto e = engine_->import_consent(
            kNumbers[who], Consent::subscribed,
            pick(2) == 0 ? ConsentSource::import : ConsentSource::admin, now_);
        if (p.opted_out_by_text) {
          EXPECT_NE(e, ActionError::ok) << "an import undid the customer's own opt-out";
        } else if (e == ActionError::ok) {
          p.unsubscribed = false;
        }
        break;
      }
      case 7:
        if (engine_->import_consent(kNumbers[who], Consent::unsubscribed, ConsentSource::admin,
                                    now_) == ActionError::ok)
          p.unsubscribed = true;
        break;
      case 8:
        (void)engine_->reply({kNumbers[who], "agent says hi", "ann", pick(2) == 0, now_});
        break;
      case 9:
      case 10:
        (void)engine_->send({kNumbers[who], "offer",
                             pick(2) == 0 ? MessageKind::campaign : MessageKind::flow, "crm",
                             now_});
        break;
      case 11:
        (void)engine_->set_blocked(kNumbers[who], pick(3) == 0, now_);
        break;
      case 12: {
        const bool opt_out = pick(2) == 0;
        if (engine_->resolve_revocation(kNumbers[who], opt_out, "ann", now_) == ActionError::ok &&
            opt_out) {
          if (!p.unsubscribed) ++p.confirmations_allowed;
          p.unsubscribed = true;
          p.opted_out_by_text = true;
        }
        break;
      }
      case 13:
        change_settings();
        break;
      case 14:
      case 15:
        drain(pick(3));
        break;
      case 16:
        now_ += pick(2) == 0 ? 400 : 3600 * pick(30);  // time passes (quiet hours, windows)
        break;
      case 17:
        open();  // crash and restart
        break;
    }
  }

  // Claims what is due and plays the sending side: 0 submitted, 1 failed, 2 never confirmed.
  void drain(int outcome) {
    for (const auto& item : engine_->claim_due(now_, 100)) {
      int who = -1;
      for (int i = 0; i < kPeople; ++i)
        if (item.to == kNumbers[i]) who = i;
      ASSERT_GE(who, 0);
      Person& p = people_[who];
      if (p.unsubscribed) {
        const bool confirmation = item.kind == MessageKind::keyword_reply &&
                                  item.text.find("unsubscribed") != std::string::npos;
        EXPECT_TRUE(confirmation) << to_string(item.kind) << " \"" << item.text
                                  << "\" left for an opted-out number";
        if (confirmation && !p.confirmations_left.contains(item.id)) {
          // A confirmation claimed again after a crash is the same message; a new one counts.
          EXPECT_GT(p.confirmations_allowed, 0u)
              << "a second opt-out confirmation left for " << item.to << " (outbox id " << item.id
              << ", " << p.confirmations_left.size() << " before it): " << item.text;
          if (p.confirmations_allowed > 0) --p.confirmations_allowed;
          p.confirmations_left.insert(item.id);
        }
      }
      if (outcome == 0) {
        for (std::uint32_t s = 0; s < item.segments; ++s)
          (void)engine_->mark_submitted(item.id, s, std::to_string(item.id * 10 + s), now_);
      } else if (outcome == 1) {
        (void)engine_->mark_failed(item.id, "connection lost", true, now_);
      }
    }
  }

  std::mt19937_64 rng_;
  TempDir dir_;
  EngineConfig config_;
  std::unique_ptr<Engine> engine_;
  Person people_[kPeople];
  bool contains_ = false;
  std::int64_t now_ = kNoon;
  std::ostringstream trace_;
};

TEST(OptOutModelTest, AfterAnOptOutOnlyItsOneConfirmationEverLeaves) {
  for (int seed = 1; seed <= kSequences; ++seed) {
    OptOutRun run(static_cast<std::uint64_t>(seed));
    run.run();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << seed << " ops " << run.trace();
      return;
    }
  }
}

}  // namespace
}  // namespace twoway::engine::testing
