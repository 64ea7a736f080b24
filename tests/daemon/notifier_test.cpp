// The notifier's schedule (first text at once, then one digest per interval, retries with a
// growing delay) with time passed in, and the mail it writes: headers, both parts, encodings.
#include <gtest/gtest.h>

#include "daemon/mail_message.hpp"
#include "daemon/notifier.hpp"

namespace twoway::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = DigestSchedule::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(DigestSchedule, AQuietInboxIsMailedAtOnceABusyOneOncePerInterval) {
  DigestSchedule s;
  EXPECT_FALSE(s.due(300s).has_value());
  s.add("+16502530001", 1, 1000, t0);
  ASSERT_TRUE(s.due(300s).has_value());
  EXPECT_EQ(*s.due(300s), t0);  // the first text: at once
  auto first = s.take();
  ASSERT_EQ(first.size(), 1u);
  s.sent(t0 + 1s);

  // Three texts from two customers within the interval: one mail, one interval after the last.
  s.add("+16502530001", 2, 1010, t0 + 10s);
  s.add("+12125550002", 1, 1020, t0 + 20s);
  s.add("+16502530001", 3, 1030, t0 + 30s);
  EXPECT_EQ(*s.due(300s), t0 + 1s + 300s);
  auto digest = s.take();
  ASSERT_EQ(digest.size(), 2u);
  EXPECT_EQ(digest[0].number, "+16502530001");  // oldest new text first
  EXPECT_EQ(digest[0].count, 2u);
  EXPECT_EQ(digest[0].seqs, (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(digest[1].number, "+12125550002");
  EXPECT_FALSE(s.due(300s).has_value());
  s.sent(t0 + 301s);

  // After a quiet spell longer than the interval, the next text goes at once again.
  s.add("+12125550002", 2, 5000, t0 + 2h);
  EXPECT_EQ(*s.due(300s), t0 + 2h);
}

TEST(DigestSchedule, AFailedMailIsRetriedWithAGrowingBoundedDelayAndKeepsNewerTexts) {
  DigestSchedule s;
  s.add("+16502530001", 1, 1000, t0);
  auto batch = s.take();
  s.failed(std::move(batch), t0 + 1s, 5s, 20s);
  EXPECT_EQ(s.pending(), 1u);
  EXPECT_EQ(*s.due(300s), t0 + 6s);
  s.add("+16502530001", 2, 1003, t0 + 3s);  // came while the relay was down
  batch = s.take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].count, 2u);
  EXPECT_EQ(batch[0].seqs, (std::vector<std::uint64_t>{1, 2}));
  s.failed(std::move(batch), t0 + 6s, 5s, 20s);
  EXPECT_EQ(*s.due(300s), t0 + 16s);  // 10 s
  batch = s.take();
  s.failed(std::move(batch), t0 + 16s, 5s, 20s);
  EXPECT_EQ(*s.due(300s), t0 + 36s);  // 20 s: the bound
  batch = s.take();
  s.failed(std::move(batch), t0 + 36s, 5s, 20s);
  EXPECT_EQ(*s.due(300s), t0 + 56s);  // still 20 s
  EXPECT_EQ(s.failures_in_a_row(), 4);
  batch = s.take();
  s.sent(t0 + 57s);
  EXPECT_EQ(s.failures_in_a_row(), 0);
  EXPECT_FALSE(s.retry_at().has_value());
}

TEST(DigestSchedule, PendingConversationsAreBounded) {
  DigestSchedule s;
  for (std::size_t i = 0; i < DigestSchedule::kMaxPending + 5; ++i)
    s.add("+1555000" + std::to_string(1000 + i), 1, 1000, t0);
  EXPECT_EQ(s.pending(), DigestSchedule::kMaxPending);
  EXPECT_EQ(s.overflow(), 5u);
  s.clear();
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_FALSE(s.due(300s).has_value());
}

MailDigest digest() {
  MailDigest d;
  d.from = "twoway@shop.example";
  d.to = {"owner@shop.example", "help@shop.example"};
  d.organization = "Acme";
  d.now_unix = 1796607154;  // 2026-12-07 01:32:34 UTC
  d.digest_text = "5m";
  d.message_id_token = "0123abcd";
  d.boundary_token = "b0b0";
  MailConversation ann;
  ann.number = "+16502530001";
  ann.name = "Ann Lée";
  ann.location = "Mountain View, CA";
  ann.local_time = "17:32";
  ann.time_zone = "America/Los_Angeles";
  ann.texts = {"Is the store open on Sunday?", "<b>And</b> until when? €"};
  ann.new_texts = 2;
  ann.waiting_seconds = 12 * 60;
  d.conversations.push_back(ann);
  return d;
}

/// Undoes quoted-printable (soft breaks, =XX), for checking what a mail reader shows.
std::string qp_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 2 < in.size() && in[i + 1] == '\r' && in[i + 2] == '\n') {
      i += 2;
    } else if (in[i] == '=' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') {
      out += '\n';
      ++i;
    } else {
      out += in[i];
    }
  }
  return out;
}

/// The body of the part whose Content-Type starts with `type`, as sent (still encoded).
std::string part_body(const std::string& message, std::string_view type) {
  const auto at = message.find("Content-Type: " + std::string(type));
  if (at == std::string::npos) return {};
  const auto start = message.find("\r\n\r\n", at) + 4;
  const auto end = message.find("\r\n--=_twoway_b0b0", start);
  return message.substr(start, end - start);
}

TEST(MailMessage, HeadersAreProperMimeWithAnEncodedUtf8Subject) {
  const std::string m = mail_message(digest());
  EXPECT_NE(m.find("Date: Mon, 07 Dec 2026 01:32:34 +0000\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("From: twoway@shop.example\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: owner@shop.example,\r\n help@shop.example\r\n"), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <1796607154.0123abcd@shop.example>\r\n"), std::string::npos);
  EXPECT_NE(m.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: multipart/alternative; boundary=\"=_twoway_b0b0\"\r\n"),
            std::string::npos);
  // "Acme: 2 new texts from Ann Lée (+16502530001)" holds a non-ASCII letter: RFC 2047.
  const auto subject = m.find("Subject: =?UTF-8?B?");
  ASSERT_NE(subject, std::string::npos);
  EXPECT_EQ(mail_subject(digest()), "Acme: 2 new texts from Ann Lée (+16502530001)");
  // CRLF only, and no line over 78 characters.
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      ASSERT_GT(i, 0u);
      EXPECT_EQ(m[i - 1], '\r') << "bare LF at " << i;
      EXPECT_LE(i - 1 - line_start, 78u) << m.substr(line_start, i - line_start);
      line_start = i + 1;
    }
  }
  EXPECT_NE(m.find("--=_twoway_b0b0--\r\n"), std::string::npos);
}

TEST(MailMessage, TheTextPartSaysWhoWhereWhenWhatAndHowToOpenIt) {
  const std::string m = mail_message(digest());
  const std::string text = qp_decode(part_body(m, "text/plain"));
  EXPECT_EQ(text, mail_text(digest()));
  EXPECT_NE(text.find("Ann Lée (+16502530001)"), std::string::npos) << text;
  EXPECT_NE(text.find("Mountain View, CA, 17:32 local time (America/Los_Angeles)"),
            std::string::npos);
  EXPECT_NE(text.find("2 new texts, waiting 12 min"), std::string::npos);
  EXPECT_NE(text.find("> Is the store open on Sunday?"), std::string::npos);
  EXPECT_NE(text.find("> <b>And</b> until when? €"), std::string::npos);
  EXPECT_NE(text.find("twowayctl thread +16502530001"), std::string::npos);
}

TEST(MailMessage, TheHtmlPartEscapesWhatCustomersWrote) {
  const std::string m = mail_message(digest());
  const std::string html = qp_decode(part_body(m, "text/html"));
  EXPECT_EQ(html, mail_html(digest()));
  EXPECT_NE(html.find("&lt;b&gt;And&lt;/b&gt; until when? €"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>And</b>"), std::string::npos);
  EXPECT_NE(html.find("<code>twowayctl thread +16502530001</code>"), std::string::npos);
}

TEST(MailMessage, ADigestOfSeveralConversationsSaysHowMany) {
  MailDigest d = digest();
  MailConversation bob;
  bob.number = "+12125550002";
  bob.texts = {"Do you deliver?"};
  bob.new_texts = 1;
  bob.waiting_seconds = -1;
  d.conversations.push_back(bob);
  d.more_conversations = 3;
  EXPECT_EQ(mail_subject(d), "Acme: 5 conversations with new texts");
  const std::string text = mail_text(d);
  EXPECT_NE(text.find("+12125550002\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1 new text, answered since"), std::string::npos);
  EXPECT_NE(text.find("And 3 more conversations: twowayctl inbox --unread"), std::string::npos);
}

TEST(MailEncoding, QuotedPrintableKeepsLinesShortAndCharactersWhole) {
  const std::string long_text = std::string(70, 'a') + "ééééé = end \n.dot";
  const std::string qp = quoted_printable(long_text);
  EXPECT_EQ(qp_decode(qp), long_text);
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < qp.size(); ++i)
    if (qp[i] == '\r' && qp[i + 1] == '\n') {
      const std::string line = qp.substr(start, i - start);
      EXPECT_LE(line.size(), 76u) << line;
      EXPECT_NE(line.back(), ' ');
      start = i + 2;
    }
  EXPECT_NE(qp.find("=2Edot"), std::string::npos);  // a line starting with '.'
  EXPECT_NE(qp.find("=3D"), std::string::npos);
}

TEST(MailEncoding, LongUtf8SubjectsFoldIntoWholeEncodedWords) {
  std::string subject;
  for (int i = 0; i < 30; ++i) subject += "é";
  const std::string h = encode_header_text(subject, 7);
  EXPECT_NE(h.find("\r\n =?UTF-8?B?"), std::string::npos) << h;
  EXPECT_EQ(encode_header_text("Acme: new text from +16502530001", 7),
            "Acme: new text from +16502530001");
}

TEST(MailEncoding, PreviewsAndWaitingTimes) {
  EXPECT_EQ(preview_text("line one\nline two", 100), "line one line two");
  EXPECT_EQ(preview_text("ééé", 3), "é…");  // never half a character
  EXPECT_EQ(waited_text(40), "40 s");
  EXPECT_EQ(waited_text(12 * 60 + 5), "12 min");
  EXPECT_EQ(waited_text(2 * 3600 + 5 * 60), "2 h 5 min");
  EXPECT_EQ(waited_text(3 * 86400 + 4 * 3600), "3 d 4 h");
  EXPECT_EQ(html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace twoway::daemon
