// End-to-end: twowayd against the SMSC simulator on loopback. Customers text in (free text,
// STOP, HELP, START, long UCS-2 in parts, an MMS notification); the test asserts what a user
// sees through the admin socket and what the simulator received.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <map>
#include <set>
#include <string>

#include "harness.hpp"
#include "smpp/charset.hpp"
#include "tools/smsc_sim/mo_mix.hpp"

namespace twoway::e2e {
namespace {

using nlohmann::json;

constexpr const char* kOurNumber = "15550001111";
constexpr const char* kAnn = "16502530001";    // Mountain View, CA
constexpr const char* kBob = "12125550002";    // New York
constexpr const char* kCarol = "13125550003";  // Chicago

std::string config_yaml(const std::string& dir, std::uint16_t port,
                        const std::string& storage_lines = "") {
  TestConfig c;
  c.number = kOurNumber;
  c.storage_lines = storage_lines;
  c.smsc_lines =
      "    window: 10\n"
      "    enquire_link_interval: 5s\n"
      "    reconnect_min: 100ms\n"
      "    reconnect_max: 1s\n"
      "    bind_failure_backoff: 200ms\n";
  c.after_numbers =
      "default_region: US\n"
      "outbox:\n"
      "  retry_base: 1s\n";
  c.admin_lines =
      "  mode: \"0666\"\n"
      "  roles:\n"
      "    manager: [nobody]\n";
  c.rest =
      "conversations:\n"
      "  quiet_hours:\n"
      "    enabled: false\n"  // the tests run at any hour of the customers' day
      "  auto_responder:\n"
      "    mode: non_consented\n"
      "    message: \"{{organization.prefix}}: thanks for your text, we will answer soon.\"\n";
  return c.yaml(dir, port);
}

class EndToEnd : public DaemonTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(start_sim(kOurNumber, /*keep_mt_records=*/true));
    ::chmod(dir_.path().c_str(), 0755);  // other users reach the socket (role tests)
    write_file(config_, config_yaml(dir_.path(), sim_->port()));
    start_daemon();
  }

  void text(const std::string& from, const std::string& body, bool out_of_order = false) {
    sim_->sim().inject_mo("twoway", sim::text_template(body, "text", out_of_order), from);
  }

  /// Waits until the thread of `number` has `count` messages; returns the thread.
  json thread_with(const std::string& number, std::size_t count) {
    json t;
    wait_for([&] {
      t = call("thread +" + number);
      return t["ok"] == true && t["messages"].size() >= count;
    });
    return t;
  }

  // The thread once every outbound message in it has left or stopped for good (nothing
  // queued or in flight): all the engine decided to send for what it holds has reached the
  // SMSC, so what the simulator has is final.
  json settled_thread(const std::string& number) {
    json t;
    const bool settled = wait_for([&] {
      t = call("thread +" + number);
      if (t["ok"] != true) return false;
      for (const auto& m : t["messages"]) {
        const auto status = m.value("status", "");
        if (m["direction"] == "out" && (status == "queued" || status == "in_flight")) return false;
      }
      return true;
    });
    EXPECT_TRUE(settled) << t.dump();
    return t;
  }
  static std::size_t outbound_count(const json& thread) {
    std::size_t n = 0;
    for (const auto& m : thread["messages"]) n += m["direction"] == "out" ? 1 : 0;
    return n;
  }
};

TEST_F(EndToEnd, FreeTextLandsInTheInboxAndTheAutoResponderAnswersOnce) {
  text(kAnn, "Hi, is the store open on Sunday?");
  text(kAnn, "And until when?");
  auto thread = thread_with(kAnn, 3);
  ASSERT_EQ(thread["ok"], true) << thread.dump();
  const auto& header = thread["header"];
  EXPECT_EQ(header["number"], std::string("+") + kAnn);
  EXPECT_EQ(header["consent"], "none");
  EXPECT_NE(header["location"].get<std::string>().find("Mountain View"), std::string::npos)
      << header.dump();
  EXPECT_EQ(header["sending_number"], std::string("+") + kOurNumber);

  auto inbox = call("inbox");
  ASSERT_EQ(inbox["ok"], true);
  ASSERT_EQ(inbox["conversations"].size(), 1u);
  EXPECT_EQ(inbox["conversations"][0]["unread"], 2);
  EXPECT_EQ(inbox["conversations"][0]["preview"], "And until when?");

  // One auto-reply for two texts in a row, from the number Ann texted.
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kAnn).size() >= 1; }));
  EXPECT_EQ(outbound_count(settled_thread(kAnn)), 1u);
  const auto answers = mt_texts(sim_->sim(), kAnn);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0], "Acme: thanks for your text, we will answer soon.");
  for (const auto& r : sim_->sim().mt_records())
    if (r.destination_addr == kAnn) {
      EXPECT_EQ(r.source_addr, kOurNumber);
    }

  // Replies go to subscribers only: Ann has not opted in.
  auto refused = call(std::string("reply +") + kAnn + " \"We open at 10.\"");
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["error"]["code"], "not_subscribed");

  EXPECT_EQ(call(std::string("read +") + kAnn)["ok"], true);
  EXPECT_EQ(call("inbox --unread")["conversations"].size(), 0u);
}

TEST_F(EndToEnd, StartThenReplyThenStopAndTheRefusalAfterIt) {
  text(kBob, "START");
  ASSERT_TRUE(
      wait_for([&] { return call("profile +" + std::string(kBob))["consent"] == "subscribed"; }));
  // The opt-in confirmation, with opt-out instructions.
  ASSERT_TRUE(wait_for([&] { return !mt_texts(sim_->sim(), kBob).empty(); }));
  EXPECT_NE(mt_texts(sim_->sim(), kBob)[0].find("STOP"), std::string::npos);
  // A keyword does not bring the conversation to the inbox.
  EXPECT_EQ(call("inbox")["conversations"].size(), 0u);

  text(kBob, "Do you deliver?");
  thread_with(kBob, 3);
  auto reply = call(std::string("reply +") + kBob + " 'Yes, every weekday {8-6} €5'");
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() >= 2; }));
  EXPECT_EQ(mt_texts(sim_->sim(), kBob)[1], "Yes, every weekday {8-6} €5");
  // The receipt the simulator sends moves the reply to delivered.
  ASSERT_TRUE(wait_for([&] {
    auto t = call("thread +" + std::string(kBob));
    for (const auto& m : t["messages"])
      if (m["kind"] == "agent_reply" && m["status"] == "delivered") return true;
    return false;
  })) << call("thread +" + std::string(kBob)).dump();
  auto thread = call("thread +" + std::string(kBob));
  for (const auto& m : thread["messages"]) {
    if (m["kind"] == "agent_reply") {
      EXPECT_EQ(m["encoding"], "gsm7");  // { } and € are GSM extension characters
      EXPECT_EQ(m["segments"], 1);
      EXPECT_EQ(m["agent"], "root");
    }
  }

  text(kBob, "stop");
  ASSERT_TRUE(
      wait_for([&] { return call("profile +" + std::string(kBob))["consent"] == "unsubscribed"; }));
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() >= 3; }));
  auto after = call(std::string("reply +") + kBob + " 'Still there?'");
  EXPECT_EQ(after["error"]["code"], "not_subscribed");
  EXPECT_EQ(outbound_count(settled_thread(kBob)), 3u) << "nothing after the opt-out confirmation";
  EXPECT_EQ(mt_texts(sim_->sim(), kBob).size(), 3u) << "nothing after the opt-out confirmation";
}

TEST_F(EndToEnd, AnImportCannotUndoAStopAndTheConsentLogShowsWhy) {
  const std::string carol = std::string("+") + kCarol;
  text(kCarol, "Stop!");
  ASSERT_TRUE(wait_for([&] { return call("profile " + carol)["consent"] == "unsubscribed"; }));
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kCarol).size() == 1; }));

  // The import that used to resubscribe her is refused, and no campaign reaches the SMSC.
  auto refused = call("consent " + carol + " subscribed --source import");
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["error"]["code"], "consent_locked");
  const std::string why = refused["error"]["message"].get<std::string>();
  EXPECT_EQ(why.rfind(carol + " opted out by their own text (STOP, ", 0), 0u) << why;
  EXPECT_NE(why.find("only their own START can resubscribe them"), std::string::npos) << why;
  EXPECT_EQ(call("consent " + carol + " subscribed --source admin")["error"]["code"],
            "consent_locked");
  EXPECT_EQ(call("send --kind campaign " + carol + " 'Sale today'")["error"]["code"],
            "not_subscribed");
  EXPECT_EQ(call("profile " + carol)["consent_source"], "keyword");

  const auto check_log = [&] {
    const json log = call("consent-log " + carol);
    ASSERT_EQ(log["ok"], true) << log.dump();
    ASSERT_EQ(log["entries"].size(), 3u) << log.dump();
    const json& stop = log["entries"][0];
    EXPECT_EQ(stop["source"], "keyword");
    EXPECT_EQ(stop["keyword"], "STOP");
    EXPECT_EQ(stop["text"], "Stop!");
    EXPECT_EQ(stop["to"], "unsubscribed");
    EXPECT_EQ(stop["outcome"], "applied");
    EXPECT_EQ(stop["sending_number"], std::string("+") + kOurNumber);
    EXPECT_TRUE(stop["message_id"].is_number_unsigned());
    for (int i : {1, 2}) {
      EXPECT_EQ(log["entries"][i]["outcome"], "refused");
      EXPECT_EQ(log["entries"][i]["actor"], "root");  // the tests run as root
    }
    EXPECT_EQ(log["entries"][1]["source"], "import");
    EXPECT_EQ(log["entries"][2]["source"], "admin");
  };
  check_log();

  // The export a compliance officer opens, through twowayctl.
  const std::string csv = dir_.path() + "/consent.csv";
  const std::string command = std::string(TWOWAYCTL_BIN) + " --socket " + socket_ +
                              " consent-log --since 2000-01-01 --limit 1 --csv > " + csv;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const std::string exported = read_file(csv);
  EXPECT_EQ(exported.rfind("time,number,from,to,source,outcome,actor,keyword,text,"
                           "sending_number,message_id\r\n",
                           0),
            0u)
      << exported;
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = exported.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  EXPECT_EQ(lines, 4u) << exported;  // header and three entries, one page each
  EXPECT_NE(exported.find(",unsubscribed,keyword,applied,,STOP,Stop!,"), std::string::npos)
      << exported;
  EXPECT_NE(exported.find(",subscribed,import,refused,root,,,"), std::string::npos) << exported;

  // The trail survives a restart; her own START resubscribes her.
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  start_daemon();
  check_log();
  text(kCarol, "START");
  ASSERT_TRUE(wait_for([&] { return call("profile " + carol)["consent"] == "subscribed"; }));
  EXPECT_EQ(call("consent-log " + carol)["entries"][3]["keyword"], "START");
}

TEST_F(EndToEnd, AFloridaNumberGetsThreeCampaignMessagesADayAndTheFourthIsHeld) {
  const std::string dan = "13052530004";  // Miami: Florida's cap, 3 per 24 hours
  ASSERT_EQ(call("consent +" + dan + " subscribed")["ok"], true);
  for (int i = 1; i <= 3; ++i) {
    auto r = call("send --kind campaign +" + dan + " 'Sale " + std::to_string(i) + "'");
    ASSERT_EQ(r["ok"], true) << r.dump();
    EXPECT_EQ(r["held"], false) << r.dump();
    EXPECT_EQ(r["frequency_cap"]["rule"], "florida");
    EXPECT_EQ(r["frequency_cap"]["allowed"], true);
  }
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), dan).size() >= 3; }));

  auto held = call("send --kind flow +" + dan + " 'Your appointment'");
  ASSERT_EQ(held["ok"], true) << held.dump();
  EXPECT_EQ(held["held"], true);
  EXPECT_EQ(held["hold_reason"], "frequency_cap");
  EXPECT_TRUE(held["due"].is_string());
  EXPECT_EQ(held["frequency_cap"]["allowed"], false);
  EXPECT_EQ(held["frequency_cap"]["max"], 3);
  EXPECT_EQ(held["frequency_cap"]["period_seconds"], 86400);
  EXPECT_EQ(held["frequency_cap"]["counted"], 3);
  EXPECT_EQ(held["frequency_cap"]["next_slot"], held["due"]);
  // A Californian is not capped.
  ASSERT_EQ(call(std::string("consent +") + kAnn + " subscribed")["ok"], true);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(call(std::string("send --kind campaign +") + kAnn + " Sale")["held"], false);
  // Those four left after the held message was queued: the pump passed it by.
  ASSERT_TRUE(wait_for([&] {
    const auto texts = mt_texts(sim_->sim(), kAnn);
    return std::count(texts.begin(), texts.end(), "Sale") == 4;
  }));
  EXPECT_EQ(mt_texts(sim_->sim(), dan).size(), 3u);
  EXPECT_EQ(call("thread +" + dan)["messages"].back()["status"], "held");

  auto caps = call("settings frequency_caps");
  EXPECT_EQ(caps["value"]["enabled"], true) << caps.dump();
  ASSERT_EQ(caps["value"]["rules"].size(), 2u);
  EXPECT_EQ(caps["value"]["rules"][0]["name"], "florida");
  EXPECT_EQ(caps["value"]["rules"][0]["regions"], json::array({"US-FL"}));
  EXPECT_EQ(caps["value"]["rules"][0]["max"], 3);
  EXPECT_EQ(call("settings frequency_caps.enabled false")["value"], false);
  auto after = call("send --kind campaign +" + dan + " 'Sale 5'");
  EXPECT_EQ(after["held"], false) << after.dump();
  EXPECT_FALSE(after.contains("frequency_cap")) << after.dump();
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), dan).size() >= 4; }));
  EXPECT_EQ(mt_texts(sim_->sim(), dan).back(), "Sale 5");
}

TEST_F(EndToEnd, ReceiptsRightBehindTheirSubmitResponsesAllFindTheirMessages) {
  // Forty customers ask for HELP at once: forty answers leave, and the simulator sends each
  // receipt the moment it has answered the submit_sm. Every receipt must find its message.
  constexpr int kCustomers = 40;
  const auto number = [](int i) { return "1650555" + std::to_string(1000 + i); };
  for (int i = 0; i < kCustomers; ++i) text(number(i), "HELP");
  ASSERT_TRUE(wait_for(
      [&] {
        const auto c = sim_->sim().counters();
        return c.dlr_acked >= static_cast<std::uint64_t>(kCustomers);
      },
      std::chrono::seconds(20)))
      << daemon_->log();
  for (int i = 0; i < kCustomers; ++i) {
    ASSERT_TRUE(wait_for([&] {
      const json t = call("thread +" + number(i));
      for (const auto& m : t["messages"])
        if (m["kind"] == "keyword_reply" && m["status"] == "delivered") return true;
      return false;
    })) << call("thread +" + number(i)).dump();
  }
}

TEST_F(EndToEnd, ARefusedPartIsSentAgainAloneWithTheSameReference) {
  text(kBob, "START");
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() == 1; }));
  text(kBob, "Can you send the whole menu?");
  thread_with(kBob, 3);
  // From now on the SMSC refuses every third submit_sm with ESME_RSYSERR: retryable, and left
  // to twowayd's outbox (throttling statuses the session retries by itself). Of three parts
  // sent together one is refused, and the same one again if all three went again.
  sim::FaultConfig faults;
  faults.syserr_every = 3;
  sim_->sim().set_faults(faults);
  std::string menu;
  for (int i = 0; menu.size() < 400; ++i) menu += "Dish " + std::to_string(i) + " with rice. ";
  auto reply = call(std::string("reply +") + kBob + " '" + menu + "'");
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  ASSERT_TRUE(wait_for(
      [&] {
        auto t = call("thread +" + std::string(kBob));
        for (const auto& m : t["messages"])
          if (m["kind"] == "agent_reply" && (m["status"] == "sent" || m["status"] == "delivered"))
            return true;
        return false;
      },
      std::chrono::seconds(20)))
      << call("thread +" + std::string(kBob)).dump() << daemon_->log();
  EXPECT_GT(sim_->sim().counters().mt_throttled, 0u) << "no refusal: nothing was retried";
  // The handset got every part exactly once, all with one reference, and they join up.
  std::map<int, int> seen;
  std::set<int> refs;
  std::string joined;
  std::map<int, std::string> parts;
  for (const auto& r : sim_->sim().mt_records()) {
    if (r.destination_addr != kBob || !(r.esm_class & 0x40)) continue;
    const std::string& sm = r.short_message;
    ASSERT_GE(sm.size(), 6u);
    ASSERT_EQ(static_cast<unsigned char>(sm[1]), 0x00);  // 8-bit reference concatenation
    refs.insert(static_cast<unsigned char>(sm[3]));
    const int seq = static_cast<unsigned char>(sm[5]);
    ++seen[seq];
    parts[seq] = smpp::decode_text(r.data_coding, std::string_view(sm).substr(6)).text;
  }
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& [seq, count] : seen) EXPECT_EQ(count, 1) << "part " << seq << " sent twice";
  EXPECT_EQ(refs.size(), 1u);
  for (const auto& [seq, text] : parts) joined += text;
  EXPECT_EQ(joined, menu);
}

TEST_F(EndToEnd, APartResentAfterItsMessageCompletedIsAnsweredAndStartsNoMessage) {
  // Short reassembly timeout: a part wrongly held as the start of a new message would come out
  // as a fragment within the test.
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  write_file(config_, config_yaml(dir_.path(), sim_->port()) + "reassembly:\n  timeout: 3s\n");
  start_daemon();
  std::string long_text;
  for (int i = 0; long_text.size() < 200; ++i) long_text += "Order " + std::to_string(i) + " ok. ";
  sim::MoTemplate whole = sim::text_template(long_text, "multipart");
  ASSERT_EQ(whole.parts.size(), 2u);
  for (auto& part : whole.parts) part.ref_offset = -1;  // one reference for both sendings
  sim_->sim().inject_mo("twoway", whole, kCarol);
  thread_with(kCarol, 1);
  const auto all_answered = [&] {
    const auto c = sim_->sim().counters();
    return c.mo_pdus_acked == c.mo_pdus_sent;
  };
  ASSERT_TRUE(wait_for(all_answered));
  // The SMSC sends the first part again, as after a lost deliver_sm_resp.
  const auto acked = sim_->sim().counters().mo_pdus_acked;
  sim::MoTemplate again = whole;
  again.send_order = {0};
  sim_->sim().inject_mo("twoway", again, kCarol);
  ASSERT_TRUE(wait_for([&] { return sim_->sim().counters().mo_pdus_acked > acked; }));
  ASSERT_TRUE(wait_for(all_answered));
  EXPECT_EQ(sim_->sim().counters().mo_pdus_acked, acked + 1);
  // It is held as a part that may be new (no identity tells it from a retry) until the 3 s
  // reassembly timeout finds nothing new came with it.
  EXPECT_EQ(call("status")["reassembly_pending"], 1) << call("status").dump();
  ASSERT_TRUE(wait_for([&] { return call("status")["reassembly_pending"] == 0; },
                       std::chrono::seconds(20)));
  const auto t = call("thread +" + std::string(kCarol));
  std::vector<std::string> texts;
  for (const auto& m : t["messages"])
    if (m["direction"] == "in") texts.push_back(m["text"].get<std::string>());
  EXPECT_EQ(texts, std::vector<std::string>{long_text}) << t.dump();
}

TEST_F(EndToEnd, AMessageCompletedWhileTheStoreIsFullIsKeptWholeUntilThereIsRoom) {
  // A store of 1 MiB, filled by texts until inbound is refused; parts that wait for their
  // siblings are still stored (in the store's reserve) and acknowledged.
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  write_file(config_, config_yaml(dir_.path(), sim_->port(), "  map_size: 1048576\n") +
                          "reassembly:\n  timeout: 3s\n");
  start_daemon();
  // Filled until a hundred texts wait refused: the store stays full while they come round.
  const std::string filler(140, 'f');
  const auto refused_waiting = [&] {
    const auto c = sim_->sim().counters();
    return c.mo_messages - c.mo_messages_acked >= 100;
  };
  for (int batch = 0; batch < 300 && !refused_waiting(); ++batch) {
    const auto before = sim_->sim().counters().mo_pdus_sent;
    for (int i = 0; i < 50; ++i)
      text("1312555" + std::to_string(1000 + batch), std::to_string(i) + " " + filler);
    // Sent and answered, whatever the answer.
    wait_for([&] {
      const auto c = sim_->sim().counters();
      return c.mo_pdus_sent >= before + 50 && c.mo_pdus_acked + c.mo_pdus_nacked >= c.mo_pdus_sent;
    });
  }
  ASSERT_EQ(call("status")["store_full"], true) << call("status").dump();

  // Two parts from Carol: the first is stored and acknowledged; the second completes the
  // message, which the full store refuses, so the SMSC keeps sending it. It must never be
  // acknowledged while its message is not stored (taken for a resent copy of a message
  // completed here, it would be, and the message lost).
  std::string long_text;
  for (int i = 0; long_text.size() < 200; ++i) long_text += "Order " + std::to_string(i) + " ok. ";
  const sim::MoTemplate whole = sim::text_template(long_text, "multipart");
  ASSERT_EQ(whole.parts.size(), 2u);
  const auto acked = sim_->sim().counters().mo_pdus_acked;
  const auto refused = sim_->sim().counters().mo_pdus_nacked;
  sim_->sim().inject_mo("twoway", whole, kCarol);
  ASSERT_TRUE(wait_for([&] { return sim_->sim().counters().mo_pdus_acked > acked; }));
  // The refused fillers and Carol's second part come round every 200 ms: several rounds.
  ASSERT_TRUE(wait_for([&] { return sim_->sim().counters().mo_pdus_nacked >= refused + 300; }))
      << sim_->sim().report(false).dump();
  EXPECT_EQ(sim_->sim().counters().mo_pdus_acked, acked + 1);

  // The operator gives the store room and restarts: the message arrives whole.
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  write_file(config_, config_yaml(dir_.path(), sim_->port(), "  map_size: 16777216\n") +
                          "reassembly:\n  timeout: 3s\n");
  start_daemon();
  json t;
  ASSERT_TRUE(wait_for([&] {
    t = call("thread +" + std::string(kCarol));
    return t["ok"] == true && !t["messages"].empty();
  })) << daemon_->log();
  std::vector<std::string> texts;
  for (const auto& m : t["messages"]) {
    if (m["direction"] != "in") continue;
    texts.push_back(m["text"].get<std::string>());
    EXPECT_FALSE(m.value("incomplete", false)) << t.dump();
  }
  EXPECT_EQ(texts, std::vector<std::string>{long_text}) << t.dump();
}

TEST_F(EndToEnd, HelpLongUnicodeInPartsAndMmsNotification) {
  text(kCarol, "HELP");
  ASSERT_TRUE(wait_for([&] { return !mt_texts(sim_->sim(), kCarol).empty(); }));
  const auto help = mt_texts(sim_->sim(), kCarol)[0];
  EXPECT_NE(help.find("help@acme.example"), std::string::npos) << help;
  EXPECT_NE(help.find("STOP"), std::string::npos) << help;

  const std::string long_text =
      "Привет! Я хотел бы узнать, есть ли у вас доставка в субботу вечером 🚚 и сколько это "
      "стоит для заказа больше трёх килограммов?";
  text(kCarol, long_text, /*out_of_order=*/true);
  json thread;
  ASSERT_TRUE(wait_for([&] {
    thread = call("thread +" + std::string(kCarol));
    for (const auto& m : thread["messages"])
      if (m["text"] == long_text) return true;
    return false;
  })) << thread.dump();

  // The built-in WAP push MMS notification with a text part.
  for (auto& t : sim::builtin_mix()) {
    if (t.kind == "wap_push") {
      sim_->sim().inject_mo("twoway", t, kCarol);
      ASSERT_TRUE(wait_for([&] {
        thread = call("thread +" + std::string(kCarol));
        for (const auto& m : thread["messages"])
          if (m["media_omitted"] == true) return true;
        return false;
      })) << thread.dump();
    }
  }
}

TEST_F(EndToEnd, NobodyIsTextedFirstAndBadAdminLinesGetClearErrors) {
  auto first = call("reply +14155550100 'Hello there'");
  EXPECT_EQ(first["ok"], false);
  const auto code = first["error"]["code"].get<std::string>();
  EXPECT_TRUE(code == "no_inbound" || code == "not_found") << first.dump();

  auto unknown = call("frobnicate");
  EXPECT_EQ(unknown["error"]["code"], "unknown_command");
  auto bad = call("reply \"unterminated");
  EXPECT_EQ(bad["error"]["code"], "bad_request");
  auto status = call("status");
  EXPECT_EQ(status["smscs"][0]["name"], "sim");
}

TEST_F(EndToEnd, SigtermStopsCleanlyAndStateSurvivesARestart) {
  text(kAnn, "Remember me");
  thread_with(kAnn, 1);
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  start_daemon();
  auto thread = call("thread +" + std::string(kAnn));
  ASSERT_EQ(thread["ok"], true);
  EXPECT_EQ(thread["messages"][0]["text"], "Remember me");
}

TEST_F(EndToEnd, ReloadAddsAnSmscKeepsTheHealthyBindAndRefusesABrokenFile) {
  sim::SimConfig sc;
  sc.system_id = "twoway";
  sc.password = "secret";
  SimRunner second(sc);
  ASSERT_NE(second.port(), 0);
  const std::string good = config_yaml(dir_.path(), sim_->port());
  const std::string extra =
      "  - name: backup\n    host: 127.0.0.1\n    port: " + std::to_string(second.port()) +
      "\n    system_id: twoway\n    password: secret\n";
  const auto at = good.find("numbers:");
  write_file(config_, good.substr(0, at) + extra + good.substr(at));
  ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] {
    auto s = call("status");
    return s["smscs"].size() == 2 && s["binds_up"] == 2;
  })) << call("status").dump()
      << daemon_->log();
  EXPECT_EQ(sim_->sim().counters().connections, 1u) << "the healthy bind was left alone";

  // A broken file is refused with its position; the running config stays.
  write_file(config_, good + "storage:\n  pth: /nowhere\n");
  auto refused = call("reload");
  EXPECT_EQ(refused["ok"], false);
  EXPECT_EQ(refused["error"]["code"], "bad_config");
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("twoway.yaml:"), std::string::npos)
      << refused.dump();
  const auto refusals = [&] {
    const std::string log = daemon_->log();
    std::size_t n = 0;
    for (auto at = log.find("reload refused: the running config"); at != std::string::npos;
         at = log.find("reload refused: the running config", at + 1))
      ++n;
    return n;
  };
  const std::size_t refused_before = refusals();
  ASSERT_EQ(::kill(daemon_->pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_for([&] { return refusals() > refused_before; })) << daemon_->log();
  EXPECT_TRUE(daemon_->running());
  EXPECT_EQ(call("status")["smscs"].size(), 2u);
}

TEST_F(EndToEnd, QueuedReplyWaitsForTheLinkAndSurvivesARestart) {
  text(kBob, "START");
  text(kBob, "Is my order ready?");
  thread_with(kBob, 3);
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() >= 1; }));

  // The SMSC goes away and refuses binds: the reply is stored, not lost.
  sim::FaultConfig refuse;
  refuse.refuse_all_binds = true;
  sim_->sim().set_faults(refuse);
  sim_->sim().drop_all();
  ASSERT_TRUE(wait_for([&] { return call("status")["binds_up"] == 0; }));
  auto reply = call(std::string("reply +") + kBob + " 'Ready for pickup at 5'");
  ASSERT_EQ(reply["ok"], true) << reply.dump();
  EXPECT_EQ(call("thread +" + std::string(kBob))["messages"].back()["status"], "queued");
  EXPECT_EQ(mt_texts(sim_->sim(), kBob).size(), 1u);
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();

  sim_->sim().set_faults(sim::FaultConfig{});
  start_daemon();
  ASSERT_TRUE(wait_for([&] {
    const auto texts = mt_texts(sim_->sim(), kBob);
    return std::count(texts.begin(), texts.end(), "Ready for pickup at 5") == 1;
  })) << daemon_->log();
}

TEST_F(EndToEnd, AdminRolesComeFromPeerCredentialsAndLinesAreBounded) {
  // nobody is a manager: reads work, settings do not.
  auto inbox = admin_call_as(65534, 65534, socket_, "inbox");
  ASSERT_TRUE(inbox.has_value());
  EXPECT_EQ((*inbox)["ok"], true) << inbox->dump();
  auto settings = admin_call_as(65534, 65534, socket_, "settings");
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ((*settings)["error"]["code"], "forbidden");
  // A uid with no role is refused before any command runs.
  auto stranger = admin_call_as(65533, 65533, socket_, "status");
  ASSERT_TRUE(stranger.has_value());
  EXPECT_EQ((*stranger)["error"]["code"], "forbidden");

  auto big = admin_raw(socket_, "inbox " + std::string(70000, 'a') + "\n");
  auto j = json::parse(big, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << big.substr(0, 200);
  EXPECT_EQ(j["error"]["code"], "line_too_long");
  EXPECT_EQ(call("status")["ok"], true) << "the daemon is still there";
}

TEST_F(EndToEnd, AnAcknowledgedPartSurvivesARestartAndCompletesItsMessage) {
  const std::string long_text(200, 'x');  // two GSM parts with an 8-bit reference UDH
  auto whole = sim::text_template("Order 4521: " + long_text, "multipart");
  ASSERT_EQ(whole.parts.size(), 2u);
  for (auto& part : whole.parts) part.ref_offset = -1;  // one reference for both injections
  auto first = whole;
  first.send_order = {0};
  auto second = whole;
  second.send_order = {1};
  const auto acked_before = sim_->sim().counters().mo_pdus_acked;
  sim_->sim().inject_mo("twoway", first, kCarol);
  // The first part is acknowledged once it is stored, before its sibling exists.
  ASSERT_TRUE(wait_for([&] { return sim_->sim().counters().mo_pdus_acked == acked_before + 1; }));
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  start_daemon();
  sim_->sim().inject_mo("twoway", second, kCarol);
  json thread;
  ASSERT_TRUE(wait_for([&] {
    thread = call("thread +" + std::string(kCarol));
    return thread["ok"] == true && !thread["messages"].empty() &&
           thread["messages"][0]["text"] == "Order 4521: " + long_text;
  })) << thread.dump()
      << daemon_->log();
  EXPECT_FALSE(thread["messages"][0].value("incomplete", false));
}

TEST_F(EndToEnd, MetricsCountTrafficAndCommitsWithoutPhoneNumbers) {
  text(kAnn, "Hello metrics");
  text(kBob, "HELP");
  thread_with(kAnn, 1);
  thread_with(kBob, 1);
  std::string metrics;
  ASSERT_TRUE(wait_for([&] {
    metrics = call("metrics")["metrics"].get<std::string>();
    return metrics.find("twoway_inbound_messages_total 2\n") != std::string::npos &&
           metrics.find("twoway_inbound_keywords_total 1\n") != std::string::npos &&
           metrics.find("twoway_inbound_free_text_total 1\n") != std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("twoway_bind_state{bind=\"sim#1\",state=\"bound\"} 1"), std::string::npos);
  EXPECT_NE(metrics.find("# TYPE twoway_commit_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.find("twoway_commit_batch_size_bucket{le=\"+Inf\"}"), std::string::npos);
  EXPECT_EQ(metrics.find("twoway_commit_duration_seconds_count 0\n"), std::string::npos);
  EXPECT_NE(metrics.find("# TYPE twoway_engine_writer_cpu_seconds_total counter"),
            std::string::npos);
  EXPECT_EQ(metrics.find("twoway_engine_writer_cpu_seconds_total 0\n"), std::string::npos);
  EXPECT_EQ(metrics.find(kAnn), std::string::npos) << "no phone numbers in metrics";
}

TEST_F(EndToEnd, AKeywordAnswerIsHandedToTheBindInItsMessagesCommit) {
  // The bind is up with room: the HELP answer is written in flight with the HELP itself and
  // goes to the SMSC without waiting for a claim of the outbox.
  text(kBob, "HELP");
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kBob).size() == 1; }));
  std::string metrics;
  ASSERT_TRUE(wait_for([&] {
    metrics = call("metrics")["metrics"].get<std::string>();
    return metrics.find("twoway_outbound_submitted_total 1\n") != std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("twoway_outbound_handed_over_total 1\n"), std::string::npos) << metrics;
  json t;
  ASSERT_TRUE(wait_for([&] {
    t = call("thread +" + std::string(kBob));
    return t["ok"] == true && t["messages"].size() == 2 &&
           (t["messages"].back()["status"] == "sent" ||
            t["messages"].back()["status"] == "delivered");
  })) << t.dump();
}

TEST_F(EndToEnd, APossibleRevocationIsFlaggedClarifiedOnceAndDecidedByStaff) {
  text(kAnn, "START");
  ASSERT_TRUE(
      wait_for([&] { return call("profile +" + std::string(kAnn))["consent"] == "subscribed"; }));
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kAnn).size() == 1; }));

  text(kAnn, "I want to cancel my order");
  json flagged;
  ASSERT_TRUE(wait_for([&] {
    flagged = call("inbox --flagged");
    return flagged["ok"] == true && flagged["conversations"].size() == 1;
  })) << flagged.dump();
  EXPECT_EQ(flagged["conversations"][0]["number"], std::string("+") + kAnn);
  EXPECT_EQ(flagged["conversations"][0]["flags"], json::array({"revocation?"}));
  EXPECT_EQ(call("profile +" + std::string(kAnn))["consent"], "subscribed");  // staff decide
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kAnn).size() == 2; }));
  EXPECT_EQ(mt_texts(sim_->sim(), kAnn)[1], "Acme: Reply STOP to opt out of texts.");

  // Marketing waits for the decision; a second such text brings no second clarification.
  auto refused = call(std::string("send --kind campaign +") + kAnn + " 'Sale today'");
  EXPECT_EQ(refused["error"]["code"], "revocation_pending") << refused.dump();
  text(kAnn, "wrong number");
  thread_with(kAnn, 5);
  // Keeping a flagged customer subscribed takes an admin; a manager may only opt them out.
  auto forbidden =
      admin_call_as(65534, 65534, socket_, std::string("revocation +") + kAnn + " keep");
  ASSERT_TRUE(forbidden.has_value());
  EXPECT_EQ((*forbidden)["error"]["code"], "forbidden") << forbidden->dump();
  auto decided = call(std::string("revocation +") + kAnn + " opt-out");
  ASSERT_EQ(decided["ok"], true) << decided.dump();
  EXPECT_EQ(decided["consent"], "unsubscribed");
  EXPECT_EQ(decided["consent_source"], "text");
  EXPECT_EQ(call("inbox --flagged")["conversations"].size(), 0u);
  // The opt-out confirmation, and nothing after it.
  ASSERT_TRUE(wait_for([&] { return mt_texts(sim_->sim(), kAnn).size() == 3; }));
  EXPECT_NE(mt_texts(sim_->sim(), kAnn)[2].find("unsubscribed"), std::string::npos);
  EXPECT_EQ(call(std::string("revocation +") + kAnn + " keep")["error"]["code"], "bad_request");
}

TEST_F(EndToEnd, ATextToANumberThatIsNotConfiguredIsHonouredLoggedAndCounted) {
  // The simulator sends every MO to kOurNumber; configure another number instead.
  ASSERT_EQ(daemon_->stop(SIGTERM), 0) << daemon_->log();
  std::string yaml = config_yaml(dir_.path(), sim_->port());
  yaml.replace(yaml.find(kOurNumber), std::string(kOurNumber).size(), "15550002222");
  write_file(config_, yaml);
  start_daemon();
  text(kBob, "Stop please");
  ASSERT_TRUE(wait_for([&] {
    return call("profile +" + std::string(kBob))["consent"] == "unsubscribed";
  })) << daemon_->log();
  std::string metrics;
  ASSERT_TRUE(wait_for([&] {
    metrics = call("metrics")["metrics"].get<std::string>();
    return metrics.find("twoway_inbound_unrouted_total 1\n") != std::string::npos;
  })) << metrics;
  EXPECT_NE(daemon_->log().find("inbound to unrouted destination=" + std::string(kOurNumber)),
            std::string::npos)
      << daemon_->log();
}

TEST_F(EndToEnd, SettingsSayWhenAFloorWordCannotBeMovedOrAHelpAnswerFallsShort) {
  auto moved = call("settings keywords.opt_in YES, STOP");
  ASSERT_EQ(moved["ok"], true) << moved.dump();
  ASSERT_TRUE(moved["notes"].is_array()) << moved.dump();
  EXPECT_NE(moved["notes"][0].get<std::string>().find(
                "keywords.opt_in: 'STOP' is a built-in opt_out word that no setting can remove"),
            std::string::npos)
      << moved.dump();
  auto help = call("settings answers.help 'Call us!'");
  ASSERT_EQ(help["ok"], true) << help.dump();
  EXPECT_NE(help.dump().find("answers.help: lacks what CTIA asks of a HELP answer"),
            std::string::npos)
      << help.dump();
  // STOP still opts out.
  text(kAnn, "stop");
  ASSERT_TRUE(
      wait_for([&] { return call("profile +" + std::string(kAnn))["consent"] == "unsubscribed"; }));
}

}  // namespace
}  // namespace twoway::e2e
