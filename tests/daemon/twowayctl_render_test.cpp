// twowayctl's rendering of the admin replies: what an operator sees for inbox, thread, status,
// SMSCs, help, errors and watch events, including hostile text from subscribers.
#include "tools/twowayctl/render.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace twoway::ctl;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

const RenderOptions kUtc{true};

TEST(Render, InboxTableWithUnreadMarks) {
  const json reply = json::parse(R"({"ok":true,"conversations":[
    {"number":"+15551234567","name":"Ann","preview":"hi there","last_inbound":"2026-11-27T10:00:00Z",
     "unread":2,"consent":"subscribed","blocked":false,"archived":false},
    {"number":"+15557654321","preview":"STOP","last_inbound":"2026-11-26T09:30:00Z",
     "unread":0,"consent":"unsubscribed","blocked":true}
  ],"next_cursor":"abc"})");
  EXPECT_EQ(render_reply("inbox", reply, kUtc),
            "   NUMBER        NAME  UNREAD  LAST INBOUND      CONSENT       FLAGS    PREVIEW\n"
            "●  +15551234567  Ann   2       2026-11-27 10:00  subscribed             hi there\n"
            "   +15557654321                2026-11-26 09:30  unsubscribed  blocked  STOP\n"
            "(more: twowayctl inbox ... --before abc)\n");
}

TEST(Render, AFlaggedConversationSaysRevocationInTheInboxAndTheThread) {
  const json inbox = json::parse(R"({"ok":true,"conversations":[
    {"number":"+15551234567","name":"","preview":"wrong number","last_inbound":"2026-11-27T10:00:00Z",
     "unread":1,"consent":"subscribed","blocked":false,"archived":false,"flags":["revocation?"]}
  ],"next_cursor":null})");
  EXPECT_THAT(render_reply("inbox", inbox, kUtc),
              HasSubstr("subscribed  revocation?  wrong number"));
  const json thread = json::parse(R"({"ok":true,"header":{"number":"+15551234567",
    "consent":"subscribed","flags":["revocation?"],"revocation_flagged_since":"2026-11-27T10:00:00Z"},
    "messages":[],"next_cursor":null})");
  EXPECT_THAT(render_reply("thread", thread, kUtc),
              HasSubstr("flagged:    revocation? since 2026-11-27 10:00 (the last text may revoke "
                        "consent: `revocation +15551234567 opt-out|keep`)"));
}

TEST(Render, ConsentLogTable) {
  const json reply = json::parse(R"({"ok":true,"entries":[
    {"time":"2026-06-15T17:00:00Z","number":"+15551234567","from":"subscribed",
     "to":"unsubscribed","source":"keyword","outcome":"applied","actor":"","keyword":"STOP",
     "text":"Stop\nnow","sending_number":"12345","message_id":7},
    {"time":"2026-06-15T18:00:00Z","number":"+15551234567","from":"unsubscribed",
     "to":"subscribed","source":"import","outcome":"refused","actor":"carla","keyword":"",
     "text":"","sending_number":"","message_id":null}
  ],"next_cursor":"00ff"})");
  EXPECT_EQ(render_reply("consent-log", reply, kUtc),
            "TIME              NUMBER        CHANGE                     SOURCE   BY     OUTCOME  "
            "TEXT\n"
            "2026-06-15 17:00  +15551234567  subscribed → unsubscribed  keyword  STOP            "
            "Stop⏎ now\n"
            "2026-06-15 18:00  +15551234567  unsubscribed → subscribed  import   carla  refused\n"
            "(more: twowayctl consent-log ... --after 00ff; --csv fetches every page)\n");
  EXPECT_EQ(render_reply("consent-log", json::parse(R"({"ok":true,"entries":[]})"), kUtc),
            "No consent changes.\n");
}

TEST(Render, ExportTableShowsDirectionStateAttemptsAndSmscIds) {
  const json reply = json::parse(R"({"ok":true,"messages":[
    {"id":7,"direction":"in","kind":"keyword","from":"+15551234567","to":"12345","text":"STOP",
     "time":"2026-11-27T10:00:00Z","state":"received","smsc":"a","smsc_ids":[]},
    {"id":8,"direction":"out","kind":"keyword_reply","from":"12345","to":"+15551234567",
     "text":"You are unsubscribed","time":"2026-11-27T10:00:00Z","state":"queued",
     "in_outbox":true,"attempts":2,"smsc_ids":[""]},
    {"id":9,"direction":"out","kind":"agent_reply","from":"12345","to":"+15557654321",
     "text":"On our way","time":"2026-11-27T10:01:00Z","state":"sent","in_outbox":false,
     "attempts":null,"smsc_ids":["1a2b","1a2c"]}
  ],"next_cursor":"9"})");
  const std::string out = render_reply("export", reply, kUtc);
  EXPECT_THAT(out, HasSubstr("7   2026-11-27 10:00  ←  +15551234567  keyword"));
  EXPECT_THAT(out, HasSubstr("queued (2 attempts)"));
  EXPECT_THAT(out, HasSubstr("agent_reply    sent                 1a2b,1a2c  On our way\n"));
  EXPECT_THAT(out, HasSubstr("(more: twowayctl export --since ... --after 9)"));
  EXPECT_EQ(render_reply("export", json::parse(R"({"messages":[],"next_cursor":null})")),
            "No messages.\n");
}

TEST(Render, EmptyInbox) {
  EXPECT_EQ(render_reply("inbox",
                         json::parse(R"({"ok":true,"conversations":[],"next_cursor":null})"), kUtc),
            "No conversations.\n");
  EXPECT_EQ(render_reply("inbox", json::parse(R"({"ok":true})"), kUtc), "No conversations.\n");
}

TEST(Render, LongPreviewIsCut) {
  const json reply = {
      {"conversations", {{{"number", "+1"}, {"preview", std::string(100, 'x')}, {"unread", 0}}}}};
  const std::string out = render_inbox(reply, kUtc);
  EXPECT_THAT(out, HasSubstr(std::string(47, 'x') + "…\n"));
  EXPECT_THAT(out, Not(HasSubstr(std::string(48, 'x'))));
}

TEST(Render, ThreadAsTranscript) {
  const json reply = json::parse(R"({"ok":true,
    "header":{"number":"+15551234567","name":"Ann","consent":"subscribed",
      "consent_since":"2026-11-01T08:00:00Z","consent_source":"keyword",
      "location":"Mountain View, CA","local_time":"14:05","time_zone":"America/Los_Angeles",
      "sending_number":"+15550001111","blocked":false},
    "messages":[
      {"seq":11,"direction":"in","kind":"keyword","text":"START","time":"2026-11-01T08:00:00Z","status":"received"},
      {"seq":12,"direction":"in","kind":"inbound","text":"Is my order ready?\nIt's #42","time":"2026-11-27T10:00:00Z","status":"received"},
      {"seq":13,"direction":"out","kind":"auto_reply","text":"We'll get back to you","time":"2026-11-27T10:00:01Z","status":"delivered","segments":1,"encoding":"gsm7"},
      {"seq":14,"direction":"out","kind":"agent_reply","text":"On its way! 🚚","time":"2026-11-27T10:05:00Z","status":"sent","segments":2,"encoding":"ucs2","agent":"alice"},
      {"seq":15,"direction":"in","kind":"inbound","text":"","time":"2026-11-27T10:06:00Z","media_omitted":true}
    ],"next_cursor":null})");
  EXPECT_EQ(render_reply("thread", reply, kUtc),
            "Ann <+15551234567>\n"
            "consent:    subscribed since 2026-11-01 08:00 (keyword)\n"
            "location:   Mountain View, CA\n"
            "local time: 14:05 (America/Los_Angeles)\n"
            "texts:      +15550001111\n"
            "----------------------------------------\n"
            "2026-11-01 08:00  < Ann [keyword]: START\n"
            "2026-11-27 10:00  < Ann: Is my order ready?\n"
            "                         It's #42\n"
            "2026-11-27 10:00  > auto-reply: We'll get back to you  (delivered)\n"
            "2026-11-27 10:05  > alice: On its way! 🚚  (sent, 2 segments, ucs2)\n"
            "2026-11-27 10:06  < Ann:  [media omitted]\n");
}

TEST(Render, MetricsComeOutAsPrometheusText) {
  const json reply = json::parse(
      R"({"ok":true,"metrics":"# TYPE twoway_receipts_total counter\ntwoway_receipts_total 3\n"})");
  EXPECT_EQ(render_reply("metrics", reply),
            "# TYPE twoway_receipts_total counter\ntwoway_receipts_total 3\n");
}

TEST(Render, ThreadToleratesMissingFields) {
  const json reply = json::parse(R"({"ok":true,"header":{"number":"+15551234567","blocked":true},
    "messages":[{"direction":"out","text":"hi"}]})");
  EXPECT_EQ(render_thread(reply, kUtc),
            "+15551234567  [blocked]\n"
            "----------------------------------------\n"
            "  > agent: hi\n");
  EXPECT_THAT(render_thread(json::parse(R"({"ok":true})"), kUtc), HasSubstr("(no messages)"));
}

TEST(Render, HostileTextCannotDriveTheTerminal) {
  const json reply = {
      {"header",
       {{"number", "+1"},
        {"name",
         "\x1b]0;pwned\x07"
         "Eve"}}},
      {"messages", {{{"direction", "in"}, {"text", "\x1b[2Jcleared\r\nnext"}, {"time", "x"}}}}};
  const std::string out = render_thread(reply, kUtc);
  EXPECT_THAT(out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(out, Not(HasSubstr("\x07")));
  EXPECT_THAT(out, Not(HasSubstr("\r")));
  EXPECT_THAT(out, HasSubstr("�]0;pwned�Eve"));
  EXPECT_EQ(sanitize("a\xff"
                     "b"),
            "a�b");
  EXPECT_EQ(sanitize("line1\nline2"), "line1⏎ line2");
  EXPECT_EQ(sanitize("rtl\u202Eoverride"), "rtl�override");
}

TEST(Render, Status) {
  const json reply = json::parse(R"({"ok":true,"version":"0.1.0","uptime_seconds":3725,
    "smscs":[{"name":"sim","binds":[{"id":"sim#1","state":"bound","window_in_use":3,"queue":12},
                                    {"id":"sim#2","state":"connecting","window_in_use":0,"queue":0}]}],
    "outbox_depth":12})");
  EXPECT_EQ(render_reply("status", reply),
            "twowayd 0.1.0, up 1h 2m 5s, outbox 12\n"
            "\n"
            "SMSC  BIND   STATE       WINDOW  QUEUE\n"
            "sim   sim#1  bound       3       12\n"
            "sim   sim#2  connecting  0       0\n");
  EXPECT_EQ(render_reply("status", json::parse(R"({"ok":true,"version":"0.1.0"})")),
            "twowayd 0.1.0\n");
}

TEST(Render, Help) {
  const json list = json::parse(R"({"ok":true,"role":"manager","commands":[
    {"name":"help","usage":"help [COMMAND]","role":"manager","summary":"List the commands you may run"},
    {"name":"inbox","usage":"inbox [--unread]","role":"manager","summary":"List conversations"}]})");
  EXPECT_EQ(render_reply("help", list),
            "Commands for role manager:\n"
            "USAGE             DESCRIPTION\n"
            "help [COMMAND]    List the commands you may run\n"
            "inbox [--unread]  List conversations\n");
  const json one = json::parse(
      R"({"ok":true,"command":{"name":"inbox","usage":"inbox [--unread]","role":"manager","summary":"List"}})");
  EXPECT_EQ(render_reply("help", one), "usage: inbox [--unread]\nList\nrole: manager\n");
}

TEST(Render, ErrorLine) {
  EXPECT_EQ(
      render_error(json::parse(
          R"({"ok":false,"error":{"code":"forbidden","message":"'settings' needs the admin role"}})")),
      "error: 'settings' needs the admin role (forbidden)\n");
}

TEST(Render, GenericReplyForOtherCommands) {
  EXPECT_EQ(render_reply("archive", json::parse(R"({"ok":true})")), "ok\n");
  EXPECT_EQ(render_reply("stats", json::parse(R"({"ok":true,"inbound":5,"name":"x"})")),
            "inbound: 5\nname: x\n");
}

TEST(Render, StatsSayNoneYetBeforeAnyAnswer) {
  const std::string out =
      render_reply("stats", json::parse(R"({"ok":true,"conversations_answered":0,
                               "average_response_seconds":null,"outbox_due":0})"));
  EXPECT_EQ(out, "average_response_seconds: none yet\nconversations_answered: 0\noutbox_due: 0\n");
  EXPECT_EQ(out.find("-1"), std::string::npos);
}

TEST(Render, WatchEvents) {
  EXPECT_EQ(render_event(json::parse(R"({"event":"inbound","time":"2026-11-27T10:00:00Z",
              "number":"+15551234567","name":"Ann","text":"hi","seq":12})"),
                         kUtc),
            "2026-11-27 10:00  inbound +15551234567 (Ann): hi seq=12\n");
  EXPECT_EQ(
      render_event(
          json::parse(R"({"event":"consent","number":"+15551234567","consent":"unsubscribed"})"),
          kUtc),
      "consent +15551234567 consent=unsubscribed\n");
}

TEST(Render, TimesAndWidths) {
  EXPECT_EQ(format_time("2026-11-27T10:00:59.123Z", kUtc), "2026-11-27 10:00");
  EXPECT_EQ(format_time("yesterday", kUtc), "yesterday");
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("Olá"), 3u);
  EXPECT_EQ(display_width("日本"), 4u);
}

}  // namespace
