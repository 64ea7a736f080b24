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

struct CustomKeyword {
  std::string word;
  std::string reply;
  std::string action;  // "", "subscribe", "unsubscribe", "help", "tag:NAME"
};

struct KeywordConfig {
  std::vector<std::string> opt_out = {"STOP",   "STOPALL", "UNSUBSCRIBE", "CANCEL",   "END", "QUIT",
                                      "REVOKE", "OPTOUT",  "OPT OUT",     "STOP ALL", "🛑"};
  std::vector<std::string> opt_in = {"START", "YES", "UNSTOP"};
  std::vector<std::string> help = {"HELP", "INFO"};
  std::vector<CustomKeyword> custom;
  bool opt_out_contains = false;  // "contains the word" mode for opt-out
};

struct KeywordMatch {
  KeywordKind kind = KeywordKind::none;
  std::string keyword;           // the keyword as configured (its spelling in the config)
  std::size_t custom_index = 0;  // index into KeywordConfig::custom when kind == custom
};

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

  // Classifies a whole inbound text.
  // Exact mode: the folded text (see fold_keyword_text) equals a folded keyword; a text of
  // symbols only ("🛑") is compared by its symbols. With opt_out_contains, opt-out keywords
  // also count anywhere as whole words ("please stop texting me") or symbols, and for US
  // numbers (us_number) the word STOP counts even if it is not in the list.
  // Priority when several apply: opt-out > opt-in > help > custom.
  [[nodiscard]] KeywordMatch match(std::string_view utf8_text, bool us_number) const;

  // Configured phrases that folded to nothing (e.g. "!!!") and so can never match.
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

  void add(std::string_view phrase, KeywordKind kind, std::size_t custom_index);
  [[nodiscard]] const Entry* find(std::string_view folded) const;
  [[nodiscard]] const Entry* find_opt_out_inside(std::string_view words, std::string_view symbols,
                                                 bool us_number) const;

  Map by_words_;   // folded word phrase -> entry
  Map by_symbol_;  // folded symbol sequence -> entry (phrases with no letters/digits)
  std::size_t max_phrase_bytes_ = 0;       // longest folded phrase: longer texts cannot match
  std::size_t max_opt_out_words_ = 0;      // longest opt-out phrase in words (contains mode)
  std::size_t max_opt_out_bytes_ = 0;      // and in bytes
  std::array<bool, 256> opt_out_first_{};  // first bytes of opt-out phrases (contains mode)
  bool contains_ = false;
  std::vector<std::string> ignored_;
};

}  // namespace twoway::engine
