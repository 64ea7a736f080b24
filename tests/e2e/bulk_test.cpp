// Bulk sends end to end: consent imported from a CSV file and a campaign sent to a file of
// numbers, both through twowayctl, against the real twowayd and the SMSC simulator. The
// simulator must receive the campaign exactly once for each subscriber and never for anyone
// else.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "harness.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";

// Output of a shell command and its exit status.
std::pair<std::string, int> run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return {out, -1};
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// The last line of an output (the final answer after progress lines).
json last_json(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const auto nl = s.rfind('\n');
  return json::parse(nl == std::string::npos ? s : s.substr(nl + 1), nullptr, false);
}

std::string number(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "1650253%04d", i);
  return buf;
}

class BulkEndToEnd : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber, /*keep_mt_records=*/true));
    TestConfig c;
    c.number = kOurNumber;
    c.smsc_lines =
        "    window: 100\n"
        "    enquire_link_interval: 5s\n"
        "    reconnect_min: 100ms\n"
        "    reconnect_max: 1s\n";
    c.after_numbers = "default_region: US\n";
    c.rest =
        "conversations:\n"
        "  quiet_hours:\n"
        "    enabled: false\n";  // the test runs at any hour of the customers' day
    write_file(config_, c.yaml(dir_.path(), sim_->port()));
    start_daemon();
  }
  std::string ctl() const { return std::string(TWOWAYCTL_BIN) + " --socket " + socket_; }
};

TEST_F(BulkEndToEnd, ACampaignToAFileReachesEverySubscriberOnceAndNobodyElse) {
  constexpr int kSubscribed = 2500, kOptedOut = 300, kUnknown = 200;
  // Consent from a CRM export: a header, subscribers, and opt-outs.
  std::string csv = "phone,consent\n";
  for (int i = 0; i < kSubscribed; ++i) csv += "+" + number(i) + ",subscribed\n";
  for (int i = kSubscribed; i < kSubscribed + kOptedOut; ++i)
    csv += "+" + number(i) + ",unsubscribed\n";
  write_file(dir_.path() + "/consent.csv", csv);
  const auto [imported_out, imported_rc] =
      run(ctl() + " --json consent-import " + dir_.path() + "/consent.csv 2>&1");
  ASSERT_EQ(imported_rc, 0) << imported_out;
  const json imported = last_json(imported_out);
  EXPECT_EQ(imported["changed"], kSubscribed + kOptedOut) << imported.dump();
  EXPECT_EQ(imported["refused"], 0);

  // The campaign list: everyone, some twice, numbers nobody knows, and a bad line.
  std::string list = "# spring campaign\n";
  for (int i = 0; i < kSubscribed + kOptedOut + kUnknown; ++i) list += number(i) + "\n";
  for (int i = 0; i < 10; ++i) list += "+" + number(i) + "\n";
  list += "not a number\n";
  write_file(dir_.path() + "/list.txt", list);
  const auto [sent_out, sent_rc] = run("cat " + dir_.path() + "/list.txt | " + ctl() +
                                       " --json send --kind campaign --to-file - "
                                       "'Spring sale: 20% off today'");
  ASSERT_EQ(sent_rc, 0) << sent_out;
  const json sent = last_json(sent_out);
  EXPECT_EQ(sent["read"], kSubscribed + kOptedOut + kUnknown + 11) << sent.dump();
  EXPECT_EQ(sent["queued"], kSubscribed);
  EXPECT_EQ(sent["held"], 0);
  EXPECT_EQ(sent["refused_by"]["unsubscribed"]["count"], kOptedOut);
  EXPECT_EQ(sent["refused_by"]["not_subscribed"]["count"], kUnknown);
  EXPECT_EQ(sent["refused_by"]["duplicate"]["count"], 10);
  EXPECT_EQ(sent["refused_by"]["invalid_number"]["numbers"], json::array({"not a number"}));

  // Everything leaves; then the simulator holds exactly one per subscriber.
  const bool drained = wait_for(
      [&] {
        const json s = call("status");
        return sim_->sim().mt_records().size() >= static_cast<std::size_t>(kSubscribed) &&
               s["outbox_depth"] == 0;
      },
      std::chrono::seconds(90));
  ASSERT_TRUE(drained) << call("status").dump();
  std::map<std::string, int> got;
  for (const auto& r : sim_->sim().mt_records()) {
    EXPECT_EQ(r.short_message, "Spring sale: 20% off today");
    EXPECT_EQ(r.source_addr, kOurNumber);
    ++got[r.destination_addr];
  }
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kSubscribed));
  for (int i = 0; i < kSubscribed; ++i) EXPECT_EQ(got[number(i)], 1) << number(i);
  for (int i = kSubscribed; i < kSubscribed + kOptedOut + kUnknown; ++i)
    EXPECT_EQ(got.count(number(i)), 0u) << number(i);

  // The human rendering says the same.
  const auto [human, human_rc] =
      run("printf '+" + number(0) + "\\n' | " + ctl() + " send --kind flow --to-file - 'Shipped'");
  EXPECT_EQ(human_rc, 0);
  EXPECT_NE(human.find("read 1"), std::string::npos) << human;
  EXPECT_NE(human.find("1 queued, 0 held, 0 refused"), std::string::npos) << human;
}

TEST_F(BulkEndToEnd, AMissingFileOrNoFileIsAUsageError) {
  const auto [missing, missing_rc] =
      run(ctl() + " send --kind campaign --to-file " + dir_.path() + "/nope.txt Hi 2>&1");
  EXPECT_EQ(missing_rc, 64) << missing;
  EXPECT_NE(missing.find("cannot read"), std::string::npos) << missing;
  const auto [noarg, noarg_rc] = run(ctl() + " consent-import 2>&1");
  EXPECT_EQ(noarg_rc, 64) << noarg;
}

}  // namespace
}  // namespace twoway::e2e
