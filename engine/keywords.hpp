// Keyword recognition for inbound texts: opt-out, opt-in, help and custom keywords, matched
// against a table precomputed from the configured lists (no regular expressions).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace twoway::engine {

enum class KeywordKind { none, opt_out, opt_in, help, custom };

// The keyword floor: words that always act, whatever the configuration says. Since 11 April 2025
// the FCC (47 CFR 64.1200(a)(10)) treats these opt-out words in a reply as a revocation of
// consent per se; CTIA asks that HELP/INFO always answer and START/UNSTOP always opt back in.
// Configured lists add to these; a floor word listed elsewhere keeps its floor meaning.
inline constexpr std::string_view kFloorOptOut[] = {
    "STOP",   "QUIT",        "END",     "REVOKE",   "OPT OUT",         "OPTOUT",
    "CANCEL", "UNSUBSCRIBE", "STOPALL", "STOP ALL", "\xF0\x9F\x9B\x91" /* 🛑 */};
inline constexpr std::string_view kFloorOptIn[] = {"START", "UNSTOP"};
inline constexpr std::string_view kFloorHelp[] = {"HELP", "INFO"};

// Wordings a reasonable person reads as "stop texting me" although they hold no opt-out word.
// A text holding one is flagged for staff (never opted out automatically). Folded form.
inline constexpr std::string_view kBuiltInRevocationPhrases[] = {
    "REMOVE ME",       "REMOVE MY NUMBER", "TAKE ME OFF",    "DO NOT TEXT",
    "DONT TEXT",       "DON T TEXT",       "DO NOT CONTACT", "DONT CONTACT",
    "DON T CONTACT",   "DO NOT MESSAGE",   "DONT MESSAGE",   "DON T MESSAGE",
    "NO MORE TEXTS",   "NO MORE MESSAGES", "NO MORE TEXT",   "WRONG NUMBER",
    "LEAVE ME ALONE",  "NOT INTERESTED",   "UNSUB",          "LOSE MY NUMBER",
    "DELETE MY NUMBER"};

struct CustomKeyword {
  std::string word;
  std::string reply;
  std::string action;  // "", "subscribe", "unsubscribe", "help", "tag:NAME"
};

// The configured keywords: additions to the floor above.
struct KeywordConfig {
  std::vector<std::string> opt_out;  // e.g. ARRET, BAJA, ALTO
  std::vector<std::string> opt_in = {"YES", "SUBSCRIBE"};
  std::vector<std::string> help;
  std::vector<CustomKeyword> custom;
  bool opt_out_contains = false;  // an opt-out word anywhere in a text opts out (not only flags)
  // Further probable-revocation wordings (other languages: "NO ME ESCRIBAS"), flagged like the
  // built-in ones.
  std::vector<std::string> revocation;
};

// How an opt-out was recognised.
enum class MatchRule : std::uint8_t {
  exact,        // the whole text is the keyword
  filler,       // the keyword with only filler words around it ("pls stop texting me")
  misspelling,  // one edit from a floor word of four letters or more ("STPO")
  contains,     // opt_out_contains: the keyword inside a longer text
};

struct KeywordMatch {
  KeywordKind kind = KeywordKind::none;
  std::string keyword;           // the keyword as configured (its spelling in the config)
  std::size_t custom_index = 0;  // index into KeywordConfig::custom when kind == custom
  MatchRule rule = MatchRule::exact;
  // Free text (kind none) that may revoke consent: an opt-out word inside a longer text ("I want
  // to cancel my order") or a probable-revocation wording ("wrong number"). `cue` names it.
  bool revocation_suspected = false;
  std::string cue;
};

// What a keyword configuration does to the floor, as notes for the operator (for
// --check-config and `settings`): a floor word listed under another kind or as a custom
// keyword that does not opt out (it keeps its floor meaning), and an opt-out list that looks like
// it means to be the whole list (it only adds).
[[nodiscard]] std::vector<std::string> keyword_floor_notes(const KeywordConfig& config);

// Why `word` cannot be a custom keyword: the keyword floor alone already reads it (a floor word,
// a floor word with filler around it, a misspelt opt-out word, an opt-out word or a
// probable-revocation wording inside it, or no letters at all), so a custom keyword would take
// its meaning away. "" when the floor reads it as free text. Example:
// "'STOP PLEASE' is read as the opt-out word STOP".
[[nodiscard]] std::string floor_claim(std::string_view word);

// The config's action of a custom keyword ("opt_in", "opt_out", "help", "none" or "tag:NAME")
// from the engine's ("subscribe", "unsubscribe", "help", "", "tag:NAME"), and back (nullopt-like
// "?" for a word that is neither).
[[nodiscard]] std::string custom_action_name(std::string_view engine_action);
[[nodiscard]] std::string custom_action_from_name(std::string_view name);

// Folds a text the way keywords are compared: letters and digits upper-cased (ASCII, Latin-1
// and Latin Extended-A accents removed: "Arrêt" -> "ARRET", "ß" -> "SS"; full-width Latin
// letters and all decimal digits to ASCII; other scripts
// upper-cased by ICU), every run of whitespace/punctuation/symbols becomes one space between
// words, leading/trailing ones dropped; combining marks, variation selectors and joiners
// dropped. Symbols (emoji) are collected separately into *symbols (without separators) when
// symbols is not null. Returns into *words (cleared first).
void fold_keyword_text(std::string_view utf8_text, std::string* words, std::string* symbols);

// Immutable after construction; match() is safe from several threads.
class KeywordTable {
 public:
  explicit KeywordTable(const KeywordConfig&);

  // Classifies a whole inbound text, in this order:
  // 1. exact: the folded text (see fold_keyword_text) equals a folded keyword (floor or
  //    configured); a text of symbols only ("🛑") is compared by its symbols. Priority when a
  //    phrase is listed twice: floor, then opt-out > opt-in > help > custom.
  // 2. filler: with filler words ("please", "me", "now", "texting", ...) removed, what is left
  //    is one opt-out phrase ("STOP please", "Opt me out", "unsubscribe me now").
  // 3. misspelling: what is left is one word of four letters or more, one edit (insertion,
  //    deletion, substitution, or two neighbours swapped) from a floor opt-out word of four
  //    letters or more ("STPO", "UNSUSCRIBE"), and not a keyword or a common word of its own.
  // 4. contains (opt_out_contains only): an opt-out phrase anywhere as whole words.
  // 5. otherwise free text, with revocation_suspected set when an opt-out phrase appears as
  //    whole words inside it, or a probable-revocation wording does.
  // Words merely containing the letters ("Stopping by later?", "nonstop") are free text.
  [[nodiscard]] KeywordMatch match(std::string_view utf8_text) const;

  // Configured phrases that folded to nothing (e.g. "!!!") and so can never match, and custom
  // keywords left out because the floor reads them (floor_claim).
  [[nodiscard]] const std::vector<std::string>& ignored() const { return ignored_; }

 private:
  struct Entry {
    KeywordKind kind = KeywordKind::none;
    std::string keyword;
    std::size_t custom_index = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept;
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  // Phrases searched for as whole words inside a longer text, with cheap filters.
  struct PhraseIndex {
    Map map;
    std::size_t max_words = 0;
    std::size_t max_bytes = 0;
    std::array<bool, 256> first{};  // first bytes of the phrases
  };

  void add(std::string_view phrase, KeywordKind kind, std::size_t custom_index);
  static void index_phrase(PhraseIndex& index, std::string folded, const Entry& entry);
  [[nodiscard]] const Entry* find(std::string_view folded) const;
  [[nodiscard]] const Entry* find_symbols(std::string_view symbols) const;
  [[nodiscard]] static const Entry* find_inside(const PhraseIndex& index, std::string_view words);
  [[nodiscard]] const Entry* find_opt_out_symbol(std::string_view symbols) const;
  [[nodiscard]] const Entry* misspelled_opt_out(std::string_view word) const;

  Map by_words_;            // folded word phrase -> entry
  Map by_symbol_;           // folded symbol sequence -> entry (phrases with no letters/digits)
  PhraseIndex opt_out_;     // opt-out phrases of words (floor and configured)
  PhraseIndex revocation_;  // probable-revocation wordings (built-in and configured)
  std::vector<Entry> misspelling_targets_;  // floor opt-out words of four letters or more
  bool contains_ = false;
  std::vector<std::string> ignored_;
};

}  // namespace twoway::engine
