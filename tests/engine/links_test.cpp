// Link shortening: finding addresses in texts, short codes, and the links stored with the
// outbound messages that carry them (replies, auto-responder, keyword answers, campaigns).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "engine/links.hpp"
#include "engine/records.hpp"
#include "engine/settings.hpp"
#include "engine_fixture.hpp"
#include "smpp/segment.hpp"

namespace twoway::engine::testing {
namespace {

std::vector<std::string> found(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& f : find_links(text)) out.emplace_back(text.substr(f.pos, f.len));
  return out;
}

using V = std::vector<std::string>;

TEST(FindLinks, SchemesAndBareWww) {
  EXPECT_EQ(found("Track it at https://shop.example/o/123 today"), V{"https://shop.example/o/123"});
  EXPECT_EQ(found("see http://shop.example"), V{"http://shop.example"});
  EXPECT_EQ(found("HTTPS://Shop.Example/A"), V{"HTTPS://Shop.Example/A"});
  EXPECT_EQ(found("go to www.shop.example/sale now"), V{"www.shop.example/sale"});
  EXPECT_EQ(found("two: https://a.example/1 and www.b.example"),
            (V{"https://a.example/1", "www.b.example"}));
  EXPECT_EQ(found("https://a.example/x?y=1&z=2#top"), V{"https://a.example/x?y=1&z=2#top"});
  EXPECT_EQ(found("https://127.0.0.1:8443/p"), V{"https://127.0.0.1:8443/p"});
}

TEST(FindLinks, TrailingPunctuationIsTheSentences) {
  EXPECT_EQ(found("Visit https://shop.example/sale."), V{"https://shop.example/sale"});
  EXPECT_EQ(found("(see www.shop.example/help)"), V{"www.shop.example/help"});
  EXPECT_EQ(found("https://shop.example/a, https://shop.example/b; ok?"),
            (V{"https://shop.example/a", "https://shop.example/b"}));
  EXPECT_EQ(found("Really? https://shop.example!!!"), V{"https://shop.example"});
  EXPECT_EQ(found("'https://shop.example/q'"), V{"https://shop.example/q"});
  EXPECT_EQ(found("at https://shop.example/x: today"), V{"https://shop.example/x"});
  // Brackets that belong to the address stay.
  EXPECT_EQ(found("https://en.wikipedia.org/wiki/Foo_(bar)."),
            V{"https://en.wikipedia.org/wiki/Foo_(bar)"});
}

TEST(FindLinks, StopsAtWhitespaceAndWhatAnAddressCannotHold) {
  EXPECT_EQ(found("https://shop.example/a\nnext line"), V{"https://shop.example/a"});
  EXPECT_EQ(found("<https://shop.example/a>"), V{"https://shop.example/a"});
  EXPECT_EQ(found("\"https://shop.example/a\""), V{"https://shop.example/a"});
  EXPECT_EQ(found("https://shop.example/a🙂 thanks"), V{"https://shop.example/a"});
  EXPECT_EQ(found("https://shop.example/a\tb"), V{"https://shop.example/a"});
}

TEST(FindLinks, WhatIsNotAnAddress) {
  EXPECT_TRUE(found("no links here, just www or http").empty());
  EXPECT_TRUE(found("www.example alone is a word").empty());
  EXPECT_TRUE(found("https:// nothing").empty());
  EXPECT_TRUE(found("https://").empty());
  EXPECT_TRUE(found("write to help@www.shop.example").empty());
  EXPECT_TRUE(found("path/www.shop.example").empty());
  EXPECT_TRUE(found("xhttps://shop.example").empty());
  EXPECT_TRUE(found("https://_bad_/x").empty());
  EXPECT_TRUE(found("www.").empty());
  EXPECT_TRUE(found("Try www. or www.. or www.a. later").empty());
  EXPECT_TRUE(found("http://.").empty());
  EXPECT_TRUE(found("").empty());
}

TEST(FindLinks, AnyTextIsSafe) {
  // Pieces of addresses in every order: no exception, every address inside the text, in order,
  // starting with a scheme or www.
  const std::vector<std::string> pieces = {"www.", "http://", "https://", ".",       "a", "(",
                                           ")",    "/",       " ",        "?",       "!", "@",
                                           "[",    "]",       ":",        "\xc3\xa9"};
  std::uint32_t seed = 12345;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (int i = 0; i < 8; ++i) {
      seed = seed * 1103515245 + 12345;
      text += pieces[(seed >> 16) % pieces.size()];
    }
    std::size_t end = 0;
    for (const auto& f : find_links(text)) {
      ASSERT_GE(f.pos, end) << text;
      ASSERT_LE(f.pos + f.len, text.size()) << text;
      end = f.pos + f.len;
      const std::string_view a = std::string_view(text).substr(f.pos, f.len);
      EXPECT_TRUE(a.starts_with("www.") || a.starts_with("http://") || a.starts_with("https://"))
          << text;
    }
  }
}

TEST(FindLinks, BareWwwLeadsToHttp) {
  const auto f = find_links("www.shop.example/a");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].target, "http://www.shop.example/a");
  EXPECT_EQ(find_links("https://shop.example/a")[0].target, "https://shop.example/a");
}

TEST(LinkCodes, SixtyTwoSymbolsAtLeastSevenLongAndSpread) {
  std::set<std::string> seen;
  std::map<char, int> counts;
  for (int i = 0; i < 2000; ++i) {
    const std::string c = random_link_code();
    EXPECT_EQ(c.size(), kLinkCodeLength);
    EXPECT_GE(c.size(), 7u);
    EXPECT_TRUE(valid_link_code(c)) << c;
    for (char ch : c) {
      EXPECT_NE(kLinkAlphabet.find(ch), std::string_view::npos) << ch;
      ++counts[ch];
    }
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 2000u);
  // 16,000 symbols over 62: every symbol shows up, none far from 258 on average.
  EXPECT_EQ(counts.size(), 62u);
  for (const auto& [ch, n] : counts) {
    EXPECT_GT(n, 150) << ch;
    EXPECT_LT(n, 400) << ch;
  }
  EXPECT_EQ(random_link_code(12).size(), 12u);
}

TEST(LinkCodes, WhatTheRedirectAccepts) {
  EXPECT_TRUE(valid_link_code("AbC0123"));
  EXPECT_FALSE(valid_link_code("AbC012"));  // too short
  EXPECT_FALSE(valid_link_code("AbC0123-"));
  EXPECT_FALSE(valid_link_code("../../etc"));
  EXPECT_FALSE(valid_link_code(std::string(33, 'a')));
  EXPECT_FALSE(valid_link_code(""));
}

TEST(LinkSettings, DomainListenAndExpiryAreChecked) {
  EXPECT_TRUE(valid_link_domain("go.shop.example"));
  EXPECT_FALSE(valid_link_domain("https://go.shop.example"));
  EXPECT_FALSE(valid_link_domain("go.shop.example/x"));
  EXPECT_FALSE(valid_link_domain("go.shop.example:443"));
  EXPECT_FALSE(valid_link_domain("localhost"));
  EXPECT_FALSE(valid_link_domain("-go.shop.example"));
  EXPECT_TRUE(valid_listen_address("127.0.0.1:8080"));
  EXPECT_TRUE(valid_listen_address("[::1]:0"));
  EXPECT_TRUE(valid_listen_address("localhost:8080"));
  EXPECT_FALSE(valid_listen_address("127.0.0.1"));
  EXPECT_FALSE(valid_listen_address("127.0.0.1:99999"));
  EXPECT_FALSE(valid_listen_address(":8080"));

  LinkShortening l;
  l.enabled = true;
  EXPECT_FALSE(link_shortening_errors(l).empty()) << "enabled without a domain";
  l.domain = "go.shop.example";
  EXPECT_TRUE(link_shortening_errors(l).empty());
  l.expiry_seconds = 0;
  EXPECT_FALSE(link_shortening_errors(l).empty());
  l.expiry_seconds = 60;
  l.listen = "nowhere";
  EXPECT_FALSE(link_shortening_errors(l).empty());
  Settings s;
  s.link_shortening.enabled = true;
  EXPECT_FALSE(settings_errors(s).empty());
}

TEST(LinkDomain, ShortLinksAreRecognised) {
  EXPECT_TRUE(on_domain("https://go.shop.example/AbCdEfGh", "go.shop.example"));
  EXPECT_TRUE(on_domain("HTTP://GO.SHOP.EXAMPLE", "go.shop.example"));
  EXPECT_TRUE(on_domain("http://go.shop.example:443/x", "go.shop.example"));
  EXPECT_FALSE(on_domain("https://shop.example/x", "go.shop.example"));
  EXPECT_FALSE(on_domain("https://go.shop.example.evil.example/x", "go.shop.example"));
}

class LinkEngineTest : public EngineTest {
 protected:
  void SetUp() override {
    config.initial_settings.link_shortening.enabled = true;
    config.initial_settings.link_shortening.domain = "go.acme.example";
    config.initial_settings.link_shortening.expiry_seconds = 3600;
    EngineTest::SetUp();
  }

  // Alice, subscribed, texted first.
  void alice_texted() {
    subscribe_number(kAlice);
    text(kAlice, "hi");
  }

  static std::vector<std::string> short_codes(std::string_view text) {
    std::vector<std::string> codes;
    for (const auto& f : find_links(text)) {
      const std::string_view a = std::string_view(text).substr(f.pos, f.len);
      if (a.starts_with("https://go.acme.example/"))
        codes.emplace_back(a.substr(std::string_view("https://go.acme.example/").size()));
    }
    return codes;
  }
};

TEST_F(LinkEngineTest, AReplysLinksAreShortenedAndStoredWithTheMessage) {
  alice_texted();
  const std::string url =
      "https://shop.example/orders/12345678901234567890?utm_source=sms&utm_campaign=winter";
  const auto r = engine->reply({kAlice, "Your order: " + url + ". Thanks!", "ann", false, now});
  ASSERT_TRUE(r.ok());
  const auto codes = short_codes(r.text);
  ASSERT_EQ(codes.size(), 1u) << r.text;
  EXPECT_EQ(r.text, "Your order: https://go.acme.example/" + codes[0] + ". Thanks!");
  EXPECT_EQ(r.segments, smpp::count_segments(r.text).segments);

  // The thread holds the shortened text and the link with its message.
  const auto page = engine->thread(kAlice, 0, 10, now);
  ASSERT_FALSE(page.messages.empty());
  const Message& m = page.messages.back();
  EXPECT_EQ(m.text, r.text);
  ASSERT_EQ(page.links.count(m.id), 1u);
  const auto& links = page.links.at(m.id);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].code, codes[0]);
  EXPECT_EQ(links[0].url, url);
  EXPECT_EQ(links[0].domain, "go.acme.example");
  EXPECT_EQ(links[0].message_id, m.id);
  EXPECT_EQ(links[0].created, now);
  EXPECT_EQ(links[0].expires, now + 3600);
  EXPECT_EQ(links[0].clicks, 0u);

  // What goes to the SMSC is the shortened text.
  const auto items = drain();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].text, r.text);
  const auto stored = engine->link(codes[0]);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->url, url);
}

TEST_F(LinkEngineTest, SegmentsAndCreditsAreThoseOfTheShortenedText) {
  alice_texted();
  // 150 characters of text plus a long address: two segments as written, one shortened.
  const std::string body = std::string(120, 'a') + " https://shop.example/" + std::string(60, 'x');
  ASSERT_EQ(smpp::count_segments(body).segments, 2u);
  const auto r = engine->reply({kAlice, body, "ann", false, now});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.segments, 1u) << r.text;
  EXPECT_EQ(r.credits, 1u);
  EXPECT_EQ(thread_of(kAlice).back().segments, 1u);
}

TEST_F(LinkEngineTest, ShortDomainLinksAndNoShortenAreLeftAlone) {
  alice_texted();
  const std::string text = "Already short: https://go.acme.example/AbCdEfGh and www.shop.example";
  ReplyRequest req{kAlice, text, "ann", false, now};
  req.no_shorten = true;
  const auto plain = engine->reply(req);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.text, text);
  const auto page = engine->thread(kAlice, 0, 10, now);
  EXPECT_EQ(page.links.count(page.messages.back().id), 0u);

  const auto r = engine->reply({kAlice, text, "ann", false, now});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(
      r.text.starts_with("Already short: https://go.acme.example/AbCdEfGh and "
                         "https://go.acme.example/"))
      << r.text;
  const auto codes = short_codes(r.text);
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(engine->link(codes[1])->url, "http://www.shop.example");
  EXPECT_FALSE(engine->link("AbCdEfGh").has_value());  // never stored: no redirect for it
}

TEST_F(LinkEngineTest, TheSameAddressTwiceGetsOneCodeAndOthersTheirOwn) {
  alice_texted();
  const auto r = engine->reply(
      {kAlice, "https://a.example/1 https://b.example/2 https://a.example/1", "ann", false, now});
  ASSERT_TRUE(r.ok());
  const auto codes = short_codes(r.text);
  ASSERT_EQ(codes.size(), 3u);
  EXPECT_EQ(codes[0], codes[2]);
  EXPECT_NE(codes[0], codes[1]);
  const auto page = engine->thread(kAlice, 0, 10, now);
  EXPECT_EQ(page.links.at(page.messages.back().id).size(), 2u);
}

TEST_F(LinkEngineTest, CampaignsAutoRepliesAndKeywordAnswersAreShortenedToo) {
  Settings s = engine->settings();
  s.auto_responder.mode = AutoResponderMode::all;
  s.auto_responder.message = "Thanks! Hours: https://shop.example/hours";
  s.answers.help =
      "Acme: help at https://shop.example/help. Msg freq varies. Msg & data rates "
      "may apply. Reply STOP to cancel.";
  ASSERT_TRUE(engine->set_settings(s).empty());
  subscribe_number(kBob);
  text(kBob, "hello there");
  text(kBob, "HELP");
  const auto campaign =
      engine->send({kBob, "Sale: www.shop.example/sale", MessageKind::campaign, "crm", now});
  ASSERT_TRUE(campaign.ok());
  std::map<MessageKind, std::string> texts;
  for (const auto& m : thread_of(kBob))
    if (m.direction == Direction::outbound) texts[m.kind] = m.text;
  ASSERT_EQ(texts.size(), 3u);
  for (const auto& [kind, t] : texts) {
    EXPECT_EQ(short_codes(t).size(), 1u) << to_string(kind) << ": " << t;
    EXPECT_EQ(t.find("shop.example/"), std::string::npos) << t;
  }
}

TEST_F(LinkEngineTest, ClicksAddUpAndUnknownCodesAreSkipped) {
  alice_texted();
  const auto r = engine->reply({kAlice, "https://shop.example/a", "ann", false, now});
  const auto codes = short_codes(r.text);
  ASSERT_EQ(codes.size(), 1u);
  engine->count_clicks({{codes[0], 2}, {"ZZZZZZZZ", 5}});
  engine->count_clicks({{codes[0], 1}});
  engine->flush();
  EXPECT_EQ(engine->link(codes[0])->clicks, 3u);
  EXPECT_FALSE(engine->link("ZZZZZZZZ").has_value());
  // Kept across a restart.
  reopen();
  EXPECT_EQ(engine->link(codes[0])->clicks, 3u);
}

TEST_F(LinkEngineTest, OffMeansTextsGoAsWritten) {
  Settings s = engine->settings();
  s.link_shortening.enabled = false;
  ASSERT_TRUE(engine->set_settings(s).empty());
  alice_texted();
  const auto r = engine->reply({kAlice, "https://shop.example/a", "ann", false, now});
  EXPECT_EQ(r.text, "https://shop.example/a");
}

TEST_F(LinkEngineTest, SettingsKeepListenAndExpiryAcrossARestart) {
  Settings s = engine->settings();
  s.link_shortening.listen = "127.0.0.1:9999";
  s.link_shortening.expiry_seconds = 7 * 86400;
  ASSERT_TRUE(engine->set_settings(s).empty());
  reopen();
  EXPECT_EQ(engine->settings().link_shortening.listen, "127.0.0.1:9999");
  EXPECT_EQ(engine->settings().link_shortening.expiry_seconds, 7 * 86400);
  EXPECT_EQ(engine->settings().link_shortening.domain, "go.acme.example");
  s.link_shortening.domain.clear();
  EXPECT_FALSE(engine->set_settings(s).empty()) << "enabled without a domain is refused";
}

TEST(LinkRecords, AnOlderSettingsRecordGetsTheDefaultListenerAndExpiry) {
  Settings s;
  s.link_shortening.enabled = true;
  s.link_shortening.domain = "go.shop.example";
  s.link_shortening.listen = "0.0.0.0:9000";
  s.link_shortening.expiry_seconds = 60;
  std::string buf;
  records::encode(s, buf);
  std::string later;
  {
    records::Writer w(later);
    w.str(s.link_shortening.listen);
    w.svarint(s.link_shortening.expiry_seconds);
  }
  ASSERT_EQ(buf.substr(buf.size() - later.size()), later);
  Settings back;
  ASSERT_TRUE(records::decode(buf, back));
  EXPECT_EQ(back.link_shortening.listen, "0.0.0.0:9000");
  EXPECT_EQ(back.link_shortening.expiry_seconds, 60);
  buf.resize(buf.size() - later.size());  // as a build before them wrote it
  Settings older;
  ASSERT_TRUE(records::decode(buf, older));
  EXPECT_TRUE(older.link_shortening.enabled);
  EXPECT_EQ(older.link_shortening.domain, "go.shop.example");
  EXPECT_EQ(older.link_shortening.listen, "127.0.0.1:8080");
  EXPECT_EQ(older.link_shortening.expiry_seconds, 90 * 86400);
}

TEST(LinkRecords, RoundTrip) {
  ShortLink l;
  l.url = "https://shop.example/a";
  l.domain = "go.shop.example";
  l.message_id = 42;
  l.created = 1781542800;
  l.expires = 1781542800 + 90 * 86400;
  l.clicks = 7;
  std::string buf;
  encode(l, buf);
  ShortLink back;
  ASSERT_TRUE(decode(buf, back));
  EXPECT_EQ(back.url, l.url);
  EXPECT_EQ(back.domain, l.domain);
  EXPECT_EQ(back.message_id, 42u);
  EXPECT_EQ(back.created, l.created);
  EXPECT_EQ(back.expires, l.expires);
  EXPECT_EQ(back.clicks, 7u);
  EXPECT_FALSE(decode(std::string_view(buf).substr(0, 5), back));
}

}  // namespace
}  // namespace twoway::engine::testing
