// Tests for engine::KeywordTable: folding (case, accents, punctuation, emoji, whitespace),
// priorities, custom keywords, contains mode and the US STOP rule.
#include "engine/keywords.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace twoway::engine {
namespace {

KeywordKind kind_of(const KeywordTable& table, std::string_view text, bool us = false) {
  return table.match(text, us).kind;
}

std::string folded(std::string_view text) {
  std::string words;
  std::string symbols;
  fold_keyword_text(text, &words, &symbols);
  return symbols.empty() ? words : words + "|" + symbols;
}

TEST(KeywordFold, WordsAndSymbols) {
  EXPECT_EQ(folded("  stop. "), "STOP");
  EXPECT_EQ(folded("Opt   out!"), "OPT OUT");
  EXPECT_EQ(folded("opt-out"), "OPT OUT");
  EXPECT_EQ(folded("\tSTOP\r\n"), "STOP");
  EXPECT_EQ(folded("Arr\xC3\xAAt"), "ARRET");              // Arrêt
  EXPECT_EQ(folded("\xC3\x89TAPE \xC3\x9F"), "ETAPE SS");  // ÉTAPE ß
  EXPECT_EQ(folded("A\xCC\x80 la"), "A LA");               // combining grave accent
  EXPECT_EQ(folded("\xC5\x81\xC3\xB3"
                   "d\xC5\xBA"),
            "LODZ");                                        // Łódź
  EXPECT_EQ(folded("\xC5\x93uvre"), "OEUVRE");              // œuvre
  EXPECT_EQ(folded("\xC3\x86\xC3\xBE\xC4\xB3"), "AETHIJ");  // Æþĳ
  EXPECT_EQ(folded("\xD1\x81\xD1\x82\xD0\xBE\xD0\xBF"),
            "\xD0\xA1\xD0\xA2\xD0\x9E\xD0\x9F");                        // стоп
  EXPECT_EQ(folded("STOP \xF0\x9F\x99\x8F"), "STOP|\xF0\x9F\x99\x8F");  // 🙏 kept aside
  EXPECT_EQ(folded("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"),
            "|\xF0\x9F\x91\x8D");  // 👍🏽: tone dropped
  EXPECT_EQ(folded("\xEF\xBC\xB3\xEF\xBD\x94\xEF\xBD\x8F\xEF\xBD\x90"), "STOP");  // Ｓｔｏｐ
  EXPECT_EQ(folded("\xEF\xBC\x93"), "3");         // full-width digit
  EXPECT_EQ(folded("\xFF\xFEstop\xC3"), "STOP");  // invalid UTF-8 is a separator
  EXPECT_EQ(folded("  !!! "), "");
}

TEST(Keywords, DefaultListsAndCase) {
  const KeywordTable table{KeywordConfig{}};
  EXPECT_EQ(kind_of(table, "STOP"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "stop"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "Stop"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "unsubscribe"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "Cancel"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "start"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "Yes"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "UNSTOP"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "help"), KeywordKind::help);
  EXPECT_EQ(kind_of(table, "Info"), KeywordKind::help);
  EXPECT_EQ(kind_of(table, "hello there"), KeywordKind::none);
  EXPECT_EQ(kind_of(table, ""), KeywordKind::none);
}

TEST(Keywords, TheMatchNamesTheConfiguredKeyword) {
  const KeywordTable table{KeywordConfig{}};
  const KeywordMatch m = table.match("  opt   out. ", false);
  EXPECT_EQ(m.kind, KeywordKind::opt_out);
  EXPECT_EQ(m.keyword, "OPT OUT");
  EXPECT_EQ(table.match("stop all", false).keyword, "STOP ALL");
  EXPECT_EQ(table.match("StopAll", false).keyword, "STOPALL");
}

TEST(Keywords, WhitespacePunctuationAndEmojiAround) {
  const KeywordTable table{KeywordConfig{}};
  EXPECT_EQ(kind_of(table, "Stop!"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "  stop. "), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "\"STOP\""), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "STOP \xF0\x9F\x99\x8F"), KeywordKind::opt_out);    // STOP 🙏
  EXPECT_EQ(kind_of(table, "\xF0\x9F\x98\xA1 stop!!"), KeywordKind::opt_out);  // 😡 stop!!
  EXPECT_EQ(kind_of(table, "help?"), KeywordKind::help);
  EXPECT_EQ(kind_of(table, "opt out"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "OPT\n\nOUT"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "S T O P"), KeywordKind::none);
  EXPECT_EQ(kind_of(table, "stopp"), KeywordKind::none);
  EXPECT_EQ(kind_of(table, "don't stop"), KeywordKind::none);  // exact mode: whole message
}

TEST(Keywords, StopSignEmoji) {
  const KeywordTable table{KeywordConfig{}};
  const std::string stop_sign = "\xF0\x9F\x9B\x91";  // 🛑
  EXPECT_EQ(kind_of(table, stop_sign), KeywordKind::opt_out);
  EXPECT_EQ(table.match(stop_sign, false).keyword, stop_sign);
  EXPECT_EQ(kind_of(table, " " + stop_sign + "\xEF\xB8\x8F "), KeywordKind::opt_out);  // + VS16
  EXPECT_EQ(kind_of(table, stop_sign + stop_sign + stop_sign), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "!" + stop_sign + "!"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, stop_sign + "\xF0\x9F\x91\x8D"), KeywordKind::none);  // 🛑👍
  EXPECT_EQ(kind_of(table, "\xF0\x9F\x91\x8D"), KeywordKind::none);              // 👍
  EXPECT_EQ(kind_of(table, "see you " + stop_sign), KeywordKind::none);
}

TEST(Keywords, OtherLanguagesByConfiguration) {
  KeywordConfig cfg;
  cfg.opt_out.push_back("ARR\xC3\x8ATE");  // ARRÊTE
  cfg.opt_out.push_back("arret");
  cfg.opt_out.push_back("\xD0\xA1\xD0\xA2\xD0\x9E\xD0\x9F");  // СТОП
  cfg.opt_out.push_back("D\xC3\x89SABONNER");                 // DÉSABONNER
  cfg.help.push_back("AIDE");
  cfg.opt_in.push_back("S\xC3\x8D");  // SÍ
  const KeywordTable table{cfg};
  EXPECT_EQ(kind_of(table, "Arr\xC3\xAAt"), KeywordKind::opt_out);  // Arrêt
  EXPECT_EQ(kind_of(table, "ARRET"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "arr\xC3\xAAte !"), KeywordKind::opt_out);    // arrête !
  EXPECT_EQ(kind_of(table, "d\xC3\xA9sabonner"), KeywordKind::opt_out);  // désabonner
  EXPECT_EQ(kind_of(table, "desabonner"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "\xD1\x81\xD1\x82\xD0\xBE\xD0\xBF"), KeywordKind::opt_out);  // стоп
  EXPECT_EQ(kind_of(table, "aide"), KeywordKind::help);
  EXPECT_EQ(kind_of(table, "si"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "s\xC3\xAD"), KeywordKind::opt_in);     // sí
  EXPECT_EQ(table.match("Arr\xC3\xAAt", false).keyword, "arret");  // as configured
  EXPECT_EQ(table.match("ARRETE", false).keyword, "ARR\xC3\x8ATE");
}

TEST(Keywords, PriorityWhenAWordIsInSeveralLists) {
  KeywordConfig cfg;
  cfg.opt_in.push_back("STOP");  // misconfiguration: opt-out still wins
  cfg.help.push_back("START");
  cfg.custom.push_back({"HELP", "custom help", ""});
  cfg.custom.push_back({"menu", "Today: soup", ""});
  const KeywordTable table{cfg};
  EXPECT_EQ(kind_of(table, "stop"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "start"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "help"), KeywordKind::help);
  EXPECT_EQ(kind_of(table, "menu"), KeywordKind::custom);
}

TEST(Keywords, CustomKeywordsCarryTheirIndex) {
  KeywordConfig cfg;
  cfg.custom.push_back({"PIZZA", "Large pepperoni is $9 today", ""});
  cfg.custom.push_back({"Join VIP", "Welcome to VIP!", "tag:vip"});
  cfg.custom.push_back({"Sign up", "Thanks!", "subscribe"});
  const KeywordTable table{cfg};
  KeywordMatch m = table.match("pizza?", false);
  EXPECT_EQ(m.kind, KeywordKind::custom);
  EXPECT_EQ(m.custom_index, 0u);
  EXPECT_EQ(m.keyword, "PIZZA");
  m = table.match("join   vip!!", false);
  EXPECT_EQ(m.kind, KeywordKind::custom);
  EXPECT_EQ(m.custom_index, 1u);
  EXPECT_EQ(m.keyword, "Join VIP");
  m = table.match("SIGN-UP", false);
  EXPECT_EQ(m.kind, KeywordKind::custom);
  EXPECT_EQ(m.custom_index, 2u);
  EXPECT_EQ(kind_of(table, "I want a pizza"), KeywordKind::none);
}

TEST(Keywords, ContainsModeFindsOptOutWordsAnywhere) {
  KeywordConfig cfg;
  cfg.opt_out_contains = true;
  const KeywordTable table{cfg};
  EXPECT_EQ(kind_of(table, "please stop texting me"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "Please, STOP."), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "i want to opt out now"), KeywordKind::opt_out);
  EXPECT_EQ(table.match("i want to opt out now", false).keyword, "OPT OUT");
  EXPECT_EQ(kind_of(table, "cancel my order please"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "ok \xF0\x9F\x9B\x91 thanks"), KeywordKind::opt_out);  // 🛑 inside
  // Whole words only.
  EXPECT_EQ(kind_of(table, "the bus stopped here"), KeywordKind::none);
  EXPECT_EQ(kind_of(table, "unstoppable"), KeywordKind::none);
  EXPECT_EQ(kind_of(table, "the weekend was great"), KeywordKind::none);
  // Opt-out anywhere outranks an exact opt-in/help match elsewhere in the text.
  EXPECT_EQ(kind_of(table, "yes stop"), KeywordKind::opt_out);
  // Other kinds still need the whole message.
  EXPECT_EQ(kind_of(table, "yes"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "can you help me"), KeywordKind::none);
}

TEST(Keywords, ContainsModeFindsAWordAtTheEndOfALongText) {
  KeywordConfig cfg;
  cfg.opt_out_contains = true;
  const KeywordTable table{cfg};
  std::string text;
  for (int i = 0; i < 500; ++i) text += "lorem ipsum dolor ";
  EXPECT_EQ(kind_of(table, text), KeywordKind::none);
  text += "quit";
  EXPECT_EQ(kind_of(table, text), KeywordKind::opt_out);
}

TEST(Keywords, UsNumbersAlwaysHonourStopInContainsMode) {
  KeywordConfig cfg;
  cfg.opt_out = {"ARRET"};  // an operator who replaced the list
  cfg.opt_out_contains = true;
  const KeywordTable table{cfg};
  EXPECT_EQ(kind_of(table, "please stop", /*us=*/true), KeywordKind::opt_out);
  EXPECT_EQ(table.match("please stop", true).keyword, "STOP");
  EXPECT_EQ(kind_of(table, "please stop", /*us=*/false), KeywordKind::none);
  EXPECT_EQ(kind_of(table, "stop", /*us=*/true), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "merci, arret", /*us=*/false), KeywordKind::opt_out);

  cfg.opt_out_contains = false;  // exact mode: only the configured list
  const KeywordTable exact{cfg};
  EXPECT_EQ(kind_of(exact, "please stop", /*us=*/true), KeywordKind::none);
  EXPECT_EQ(kind_of(exact, "arret", /*us=*/false), KeywordKind::opt_out);
}

TEST(Keywords, PhrasesThatFoldToNothingAreReported) {
  KeywordConfig cfg;
  cfg.help.push_back("???");
  cfg.custom.push_back({"  ", "never", ""});
  const KeywordTable table{cfg};
  ASSERT_EQ(table.ignored().size(), 2u);
  EXPECT_EQ(table.ignored()[0], "???");
  EXPECT_EQ(kind_of(table, "???"), KeywordKind::none);
}

TEST(Keywords, HugeAndBinaryInputIsBounded) {
  const KeywordTable table{KeywordConfig{}};
  std::string big(1 << 20, 'a');
  EXPECT_EQ(kind_of(table, big), KeywordKind::none);
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>(i * 37));
  EXPECT_EQ(kind_of(table, binary), KeywordKind::none);
}

TEST(Keywords, SafeFromSeveralThreads) {
  KeywordConfig cfg;
  cfg.opt_out_contains = true;
  const KeywordTable table{cfg};
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&table, &wrong, t] {
      for (int i = 0; i < 2000; ++i) {
        if (table.match("please STOP now", false).kind != KeywordKind::opt_out) ++wrong[t];
        if (table.match("Help!", false).kind != KeywordKind::help) ++wrong[t];
        if (table.match("see you at noon", false).kind != KeywordKind::none) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

}  // namespace
}  // namespace twoway::engine
