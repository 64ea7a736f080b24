// Tests for engine::KeywordTable: folding (case, accents, punctuation, emoji, whitespace),
// priorities, custom keywords, contains mode and the US STOP rule.
#include "engine/keywords.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace twoway::engine {
namespace {

KeywordKind kind_of(const KeywordTable& table, std::string_view text) {
  return table.match(text).kind;
}

bool flagged(const KeywordTable& table, std::string_view text) {
  const KeywordMatch m = table.match(text);
  return m.kind == KeywordKind::none && m.revocation_suspected;
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
  const KeywordMatch m = table.match("  opt   out. ");
  EXPECT_EQ(m.kind, KeywordKind::opt_out);
  EXPECT_EQ(m.keyword, "OPT OUT");
  EXPECT_EQ(table.match("stop all").keyword, "STOP ALL");
  EXPECT_EQ(table.match("StopAll").keyword, "STOPALL");
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
  EXPECT_EQ(kind_of(table, "stopp"), KeywordKind::opt_out);    // one letter off
  EXPECT_EQ(kind_of(table, "don't stop"), KeywordKind::none);  // a negation is no filler ...
  EXPECT_TRUE(flagged(table, "don't stop"));                   // ... but staff should look
}

TEST(Keywords, StopSignEmoji) {
  const KeywordTable table{KeywordConfig{}};
  const std::string stop_sign = "\xF0\x9F\x9B\x91";  // 🛑
  EXPECT_EQ(kind_of(table, stop_sign), KeywordKind::opt_out);
  EXPECT_EQ(table.match(stop_sign).keyword, stop_sign);
  EXPECT_EQ(kind_of(table, " " + stop_sign + "\xEF\xB8\x8F "), KeywordKind::opt_out);  // + VS16
  EXPECT_EQ(kind_of(table, stop_sign + stop_sign + stop_sign), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "!" + stop_sign + "!"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, stop_sign + "\xF0\x9F\x91\x8D"), KeywordKind::none);  // 🛑👍
  EXPECT_EQ(kind_of(table, "\xF0\x9F\x91\x8D"), KeywordKind::none);              // 👍
  EXPECT_EQ(kind_of(table, "see you " + stop_sign), KeywordKind::none);
  EXPECT_TRUE(flagged(table, "see you " + stop_sign));
  EXPECT_EQ(kind_of(table, stop_sign + " please"), KeywordKind::opt_out);  // filler around it
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
  EXPECT_EQ(kind_of(table, "s\xC3\xAD"), KeywordKind::opt_in);  // sí
  EXPECT_EQ(table.match("Arr\xC3\xAAt").keyword, "arret");      // as configured
  EXPECT_EQ(table.match("ARRETE").keyword, "ARR\xC3\x8ATE");
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
  KeywordMatch m = table.match("pizza?");
  EXPECT_EQ(m.kind, KeywordKind::custom);
  EXPECT_EQ(m.custom_index, 0u);
  EXPECT_EQ(m.keyword, "PIZZA");
  m = table.match("join   vip!!");
  EXPECT_EQ(m.kind, KeywordKind::custom);
  EXPECT_EQ(m.custom_index, 1u);
  EXPECT_EQ(m.keyword, "Join VIP");
  m = table.match("SIGN-UP");
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
  EXPECT_EQ(table.match("i want to opt out now").keyword, "OPT OUT");
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

TEST(Keywords, TheFloorHoldsWhateverTheListsSay) {
  KeywordConfig cfg;
  cfg.opt_out = {"ARRET"};  // an operator who thinks this is the whole list
  cfg.opt_in = {"STOP", "END"};
  cfg.help = {"CANCEL", "START"};
  cfg.custom = {
      {"QUIT", "See you!", ""}, {"REVOKE", "Revoked?", "subscribe"}, {"INFO", "Open 9-5", ""}};
  const KeywordTable table{cfg};
  for (const char* w : {"STOP", "QUIT", "END", "REVOKE", "OPT OUT", "OPTOUT", "CANCEL",
                        "UNSUBSCRIBE", "STOPALL", "STOP ALL", "\xF0\x9F\x9B\x91"}) {
    EXPECT_EQ(kind_of(table, w), KeywordKind::opt_out) << w;
  }
  EXPECT_EQ(kind_of(table, "arret"), KeywordKind::opt_out);
  EXPECT_EQ(kind_of(table, "start"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "unstop"), KeywordKind::opt_in);
  EXPECT_EQ(kind_of(table, "help"), KeywordKind::help);
  EXPECT_EQ(kind_of(table, "info"), KeywordKind::help);
}

TEST(Keywords, FloorNotesSayWhatCannotBeRemoved) {
  KeywordConfig cfg;
  EXPECT_TRUE(keyword_floor_notes(cfg).empty());  // the defaults: additions only
  cfg.opt_out = {"ARRET", "BAJA"};
  EXPECT_TRUE(keyword_floor_notes(cfg).empty());
  cfg.opt_out = {"STOP"};  // looks like a whole list
  auto notes = keyword_floor_notes(cfg);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("keywords.opt_out"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("cannot be removed"), std::string::npos) << notes[0];
  cfg.opt_out.clear();
  cfg.opt_in = {"YES", "cancel"};
  cfg.custom = {{"Stop", "bye", ""}, {"ARRET", "Au revoir", "unsubscribe"}};
  notes = keyword_floor_notes(cfg);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("keywords.opt_in: 'cancel' is a built-in opt_out word"),
            std::string::npos)
      << notes[0];
  EXPECT_NE(notes[1].find("keywords.custom: 'Stop'"), std::string::npos) << notes[1];
}

// Opt-out words with only filler around them opt out.
TEST(Keywords, FillerAroundAnOptOutWord) {
  const KeywordTable table{KeywordConfig{}};
  for (const char* text :
       {"STOP please", "pls stop texting me", "Opt me out", "opt us out pls", "unsubscribe me now",
        "Please, STOP.", "stop texting me", "I want to stop", "I'd like to unsubscribe",
        "Stop all texts", "please cancel", "can you stop sending me messages", "QUIT IT",
        "stop texting this number please", "Opt-out, thank you", "end all messages now"}) {
    const KeywordMatch m = table.match(text);
    EXPECT_EQ(m.kind, KeywordKind::opt_out) << text;
    EXPECT_EQ(m.rule, MatchRule::filler) << text;
  }
  EXPECT_EQ(kind_of(table, "STOP!!!"), KeywordKind::opt_out);
  EXPECT_EQ(table.match("Opt me out").keyword, "OPT OUT");
  EXPECT_EQ(table.match("unsubscribe me now").keyword, "UNSUBSCRIBE");
}

TEST(Keywords, OneLetterOffAFloorWordOptsOut) {
  const KeywordTable table{KeywordConfig{}};
  const std::pair<const char*, const char*> cases[] = {{"STPO", "STOP"},
                                                       {"SOTP", "STOP"},
                                                       {"STOPP", "STOP"},
                                                       {"UNSUSCRIBE", "UNSUBSCRIBE"},
                                                       {"unsubscibe", "UNSUBSCRIBE"},
                                                       {"Cancle", "CANCEL"},
                                                       {"QUTI", "QUIT"},
                                                       {"stpo please", "STOP"},
                                                       {"optuot", "OPTOUT"},
                                                       {"REVOEK", "REVOKE"},
                                                       {"Stopall!", "STOPALL"}};
  for (const auto& [text, keyword] : cases) {
    const KeywordMatch m = table.match(text);
    EXPECT_EQ(m.kind, KeywordKind::opt_out) << text;
    EXPECT_EQ(m.keyword, keyword) << text;
  }
  EXPECT_EQ(table.match("STPO").rule, MatchRule::misspelling);
  // Three letters are too few to guess from, two edits too many, real words are words.
  for (const char* text : {"ENDS", "EDN", "SPOT", "STOPPING", "shop", "step", "quiet", "quite",
                           "suit", "stops by today"}) {
    EXPECT_NE(kind_of(table, text), KeywordKind::opt_out) << text;
  }
  // A configured keyword one letter from a floor word is that keyword.
  KeywordConfig cfg;
  cfg.custom = {{"STORE", "Open 9-5", ""}, {"SHOPS", "Main St", ""}};
  const KeywordTable custom{cfg};
  EXPECT_EQ(kind_of(custom, "store"), KeywordKind::custom);
  EXPECT_EQ(kind_of(custom, "STOR"), KeywordKind::opt_out);  // STOR is one from STOP
}

// A floor word inside a longer text, and likely revocations without one, are flagged; words
// that merely contain the letters are plain free text.
TEST(Keywords, PossibleRevocationsAreFlaggedNotOptedOut) {
  KeywordConfig cfg;
  cfg.revocation = {"no me escribas", "PAS DE SMS"};
  const KeywordTable table{cfg};
  for (const char* text :
       {"I want to cancel my order", "who is this? stop", "remove me from your list",
        "Do not text me again", "don't text me", "DONT TEXT ME", "wrong number",
        "Wrong number, sorry", "leave me alone", "no more texts pls", "Please take me off",
        "I'm not interested", "No me escribas más", "pas de SMS svp", "stop and start",
        "how do I end this", "see you \xF0\x9F\x9B\x91 tomorrow"}) {
    const KeywordMatch m = table.match(text);
    EXPECT_EQ(m.kind, KeywordKind::none) << text;
    EXPECT_TRUE(m.revocation_suspected) << text;
    EXPECT_FALSE(m.cue.empty()) << text;
  }
  EXPECT_EQ(table.match("I want to cancel my order").cue, "CANCEL");
  EXPECT_EQ(table.match("wrong number").cue, "WRONG NUMBER");
  for (const char* text : {"Stopping by later?", "nonstop", "backend", "the bus stopped here",
                           "unstoppable", "the weekend was great", "Quitting time!",
                           "Cancellation policy?", "hello", "What time do you open",
                           "Can you help me", "Thank you so much", "remover", "endless summer"}) {
    const KeywordMatch m = table.match(text);
    EXPECT_EQ(m.kind, KeywordKind::none) << text;
    EXPECT_FALSE(m.revocation_suspected) << text;
  }
}

TEST(Keywords, ContainsModeOptsOutWhereOthersFlag) {
  KeywordConfig cfg;
  cfg.opt_out = {"ARRET"};
  cfg.opt_out_contains = true;
  const KeywordTable table{cfg};
  EXPECT_EQ(kind_of(table, "who is this? stop"), KeywordKind::opt_out);
  EXPECT_EQ(table.match("who is this? stop").rule, MatchRule::contains);
  EXPECT_EQ(kind_of(table, "merci, arret"), KeywordKind::opt_out);
  // Wordings without an opt-out word are still only flagged.
  EXPECT_EQ(kind_of(table, "wrong number"), KeywordKind::none);
  EXPECT_TRUE(table.match("wrong number").revocation_suspected);
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
        if (table.match("please STOP now").kind != KeywordKind::opt_out) ++wrong[t];
        if (table.match("Help!").kind != KeywordKind::help) ++wrong[t];
        if (table.match("see you at noon").kind != KeywordKind::none) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

}  // namespace
}  // namespace twoway::engine
