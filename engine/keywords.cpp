// Keyword table: folds texts (case, accents, punctuation, emoji, whitespace) and looks the
// result up in hash maps built once from the configured keyword lists.
#include "engine/keywords.hpp"

#include <unicode/uchar.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <unordered_map>
#include <unordered_set>

namespace twoway::engine {

namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes one UTF-8 code point at s[i], advancing i; kInvalid (and one byte) on a bad sequence.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return kInvalid;
  }
  if (i + len > s.size()) {
    ++i;
    return kInvalid;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kInvalid;
  }
  i += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Upper-case base letter of U+00C0..U+00FF; '*' marks × and ÷ (symbols, never looked up);
// lower-case letters stand for two letters (see append_folded_latin).
constexpr std::string_view kLatin1Fold =
    "AAAAAAaCEEEEIIII"   // C0-CF
    "DNOOOOO*OUUUUYts"   // D0-DF
    "AAAAAAaCEEEEIIII"   // E0-EF
    "DNOOOOO*OUUUUYtY";  // F0-FF
static_assert(kLatin1Fold.size() == 0x40);

// Upper-case base letter of U+0100..U+017F (Latin Extended-A), same encoding.
constexpr std::string_view kLatinExtAFold =
    "AAAAAACCCCCCCCDDDDEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIIIjjJJKKKLLLLLLLLLLNNNNNNNNN"
    "OOOOOOooRRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUWWYYYZZZZZZS";
static_assert(kLatinExtAFold.size() == 0x80);

void append_folded_latin(std::string& out, char c) {
  switch (c) {
    case 'a':
      out += "AE";
      break;
    case 't':
      out += "TH";
      break;
    case 's':
      out += "SS";
      break;
    case 'j':
      out += "IJ";
      break;
    case 'o':
      out += "OE";
      break;
    default:
      out.push_back(c);
  }
}

enum class CharClass { letter, separator, symbol, ignore };

bool is_skin_tone(char32_t cp) {
  return cp >= 0x1F3FB && cp <= 0x1F3FF;
}

CharClass classify(char32_t cp) {
  if (cp == kInvalid) return CharClass::separator;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::letter;
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_FORMAT_CHAR:  // ZWJ, ZWNJ, soft hyphen, BOM, emoji tags
      return CharClass::ignore;
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_OTHER_SYMBOL:
    case U_UNASSIGNED:  // emoji newer than this ICU
    case U_PRIVATE_USE_CHAR:
      return CharClass::symbol;
    case U_MODIFIER_SYMBOL:
      return is_skin_tone(cp) ? CharClass::ignore : CharClass::symbol;
    default:  // spaces, punctuation, controls
      return CharClass::separator;
  }
}

// Folds text into words (see the header). Stops early and returns false once words would
// exceed word_limit bytes.
bool fold(std::string_view text, std::string& words, std::string* symbols, std::size_t word_limit) {
  words.clear();
  if (symbols != nullptr) symbols->clear();
  bool pending_space = false;
  auto start_letter = [&] {
    if (pending_space) {
      words.push_back(' ');
      pending_space = false;
    }
  };
  auto separate = [&] { pending_space = !words.empty(); };

  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) < 0x80) {  // ASCII fast path
      ++i;
      if (c >= 'a' && c <= 'z') {
        start_letter();
        words.push_back(static_cast<char>(c - 'a' + 'A'));
      } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        start_letter();
        words.push_back(c);
      } else {
        separate();
        continue;
      }
      if (words.size() > word_limit) return false;
      continue;
    }
    const char32_t cp = next_code_point(text, i);
    if (cp >= 0xC0 && cp <= 0x17F && cp != 0xD7 && cp != 0xF7) {
      start_letter();
      append_folded_latin(words, cp < 0x100 ? kLatin1Fold[cp - 0xC0] : kLatinExtAFold[cp - 0x100]);
    } else if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A)) {
      start_letter();  // full-width Latin letters (East Asian keyboards): "ＳＴＯＰ" -> "STOP"
      words.push_back(static_cast<char>('A' + (cp - (cp >= 0xFF41 ? 0xFF41 : 0xFF21))));
    } else {
      switch (classify(cp)) {
        case CharClass::letter: {
          start_letter();
          const std::int32_t digit = u_charDigitValue(static_cast<UChar32>(cp));
          if (digit >= 0 && digit <= 9 &&
              u_charType(static_cast<UChar32>(cp)) == U_DECIMAL_DIGIT_NUMBER) {
            words.push_back(static_cast<char>('0' + digit));
          } else {
            append_utf8(words, static_cast<char32_t>(u_toupper(static_cast<UChar32>(cp))));
          }
          break;
        }
        case CharClass::symbol:
          separate();
          if (symbols != nullptr) append_utf8(*symbols, cp);
          continue;
        case CharClass::ignore:
          continue;
        case CharClass::separator:
          separate();
          continue;
      }
    }
    if (words.size() > word_limit) return false;
  }
  return true;
}

// Per-thread scratch buffers: match() allocates nothing once they have grown.
struct Scratch {
  std::string words;
  std::string symbols;
  std::string rest;
  Scratch() {
    words.reserve(256);
    symbols.reserve(64);
    rest.reserve(256);
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

void fold_keyword_text(std::string_view utf8_text, std::string* words, std::string* symbols) {
  if (words == nullptr) return;
  (void)fold(utf8_text, *words, symbols, std::numeric_limits<std::size_t>::max());
}

std::size_t KeywordTable::Hash::operator()(std::string_view s) const noexcept {
  return std::hash<std::string_view>{}(s);
}

namespace {

// Words that carry no meaning of their own around an opt-out word: politeness, pronouns, the
// messages themselves, time. Negations ("DONT", "NOT", "NO") are deliberately absent: "don't
// stop" is not an opt-out. Folded form ("I'd" folds to "I D").
bool is_filler(std::string_view w) {
  static const std::unordered_set<std::string_view> kFiller = [] {
    std::unordered_set<std::string_view> m;
    for (std::string_view f :
         {"PLEASE", "PLS",         "PLZ",     "PLEASEE",  "PLEEZ",   "KINDLY",  "ME",     "MY",
          "US",     "OUR",         "I",       "D",        "WANT",    "WANNA",   "WOULD",  "LIKE",
          "TO",     "CAN",         "COULD",   "YOU",      "U",       "YA",      "NOW",    "RIGHT",
          "AWAY",   "IMMEDIATELY", "ASAP",    "TEXTING",  "TEXT",    "TEXTS",   "TXT",    "TXTS",
          "TXTING", "MESSAGING",   "MESSAGE", "MESSAGES", "MSG",     "MSGS",    "SMS",    "SENDING",
          "SEND",   "THE",         "THESE",   "THIS",     "THAT",    "IT",      "THEM",   "ALL",
          "OF",     "FROM",        "ANY",     "MORE",     "ANYMORE", "THANKS",  "THANK",  "THX",
          "TY",     "OK",          "OKAY",    "JUST",     "AND",     "SO",      "HI",     "HELLO",
          "HEY",    "SIR",         "MAAM",    "FOR",      "GOOD",    "FOREVER", "NUMBER", "PHONE",
          "LIST"})
      m.insert(f);
    return m;
  }();
  return kFiller.contains(w);
}

// Common words one edit from a floor opt-out word: a text of one of these alone is not taken
// for a misspelt opt-out.
bool is_common_near_word(std::string_view w) {
  for (std::string_view c :
       {"SHOP", "STEP", "SLOP", "STOW", "STOOP", "STOMP", "STROP", "ATOP", "SWOP", "QUIET", "QUITE",
        "QUILT", "QUIZ", "SUIT", "QUOIT", "CANCER", "CANCELS"}) {
    if (w == c) return true;
  }
  return false;
}

// True when a and b are at most one edit apart: an insertion, a deletion, a substitution, or
// two neighbouring letters swapped (optimal string alignment distance <= 1).
bool within_one_edit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i == a.size()) return true;  // equal, or b has one more letter at the end
  if (a.size() == b.size()) {
    if (a.substr(i + 1) == b.substr(i + 1)) return true;  // substitution
    return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           a.substr(i + 2) == b.substr(i + 2);  // neighbours swapped
  }
  return a.substr(i) == b.substr(i + 1);  // b has one letter more at i
}

bool ascii_letters(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string folded_words(std::string_view phrase) {
  std::string words;
  fold_keyword_text(phrase, &words, nullptr);
  return words;
}

}  // namespace

std::vector<std::string> keyword_floor_notes(const KeywordConfig& config) {
  std::vector<std::string> notes;
  auto floor_kind = [](const std::string& word) -> const char* {
    const std::string f = folded_words(word);
    for (auto w : kFloorOptOut)
      if (!f.empty() ? folded_words(w) == f : w == word) return "opt_out";
    for (auto w : kFloorOptIn)
      if (folded_words(w) == f && !f.empty()) return "opt_in";
    for (auto w : kFloorHelp)
      if (folded_words(w) == f && !f.empty()) return "help";
    return nullptr;
  };
  auto misplaced = [&](const std::vector<std::string>& list, const char* list_name) {
    for (const auto& w : list) {
      const char* k = floor_kind(w);
      if (k != nullptr && std::string_view(k) != list_name)
        notes.push_back(std::string("keywords.") + list_name + ": '" + w + "' is a built-in " + k +
                        " word that no setting can remove; it stays " + k);
    }
  };
  misplaced(config.opt_in, "opt_in");
  misplaced(config.help, "help");
  misplaced(config.opt_out, "opt_out");
  for (const auto& c : config.custom) {
    const char* k = floor_kind(c.word);
    if (k == nullptr) {
      // Not a floor word itself, but read by the floor all the same: never used.
      if (std::string why = floor_claim(c.word); !why.empty() && !folded_words(c.word).empty())
        notes.push_back("keywords.custom: " + why + "; the custom keyword is not used");
      continue;
    }
    const bool same = (std::string_view(k) == "opt_out" && c.action == "unsubscribe") ||
                      (std::string_view(k) == "help" && c.action == "help") ||
                      (std::string_view(k) == "opt_in" && c.action == "subscribe");
    if (!same)
      notes.push_back("keywords.custom: '" + c.word + "' is a built-in " + k +
                      " word that no setting can remove; it stays " + k +
                      (c.reply.empty() ? "" : " (its reply is not used)"));
  }
  // A list naming some floor words but not all reads like an attempt to narrow the floor.
  std::size_t listed = 0;
  for (const auto& w : config.opt_out)
    if (const char* k = floor_kind(w); k != nullptr && std::string_view(k) == "opt_out") ++listed;
  if (listed > 0 && listed < std::size(kFloorOptOut)) {
    std::string all;
    for (auto w : kFloorOptOut) all += (all.empty() ? "" : ", ") + std::string(w);
    notes.push_back("keywords.opt_out: the list adds to the opt-out words that always apply (" +
                    all + "); they cannot be removed, so listing them is not needed");
  }
  return notes;
}

std::string floor_claim(std::string_view word) {
  static const KeywordTable floor = [] {
    KeywordConfig none;
    none.opt_in.clear();
    return KeywordTable(none);
  }();
  std::string folded;
  std::string symbols;
  fold_keyword_text(word, &folded, &symbols);
  const std::string quoted = "'" + std::string(word) + "'";
  if (folded.empty() && symbols.empty()) return quoted + " has no letters, digits or symbols";
  const KeywordMatch m = floor.match(word);
  const char* kind = m.kind == KeywordKind::opt_out  ? "opt-out"
                     : m.kind == KeywordKind::opt_in ? "opt-in"
                     : m.kind == KeywordKind::help   ? "help"
                                                     : nullptr;
  if (kind != nullptr) {
    std::string why = quoted + " is read as the built-in " + kind + " word " + m.keyword;
    if (m.rule == MatchRule::filler) why += " (with filler words around it)";
    if (m.rule == MatchRule::misspelling) why += " (misspelt)";
    return why;
  }
  if (m.revocation_suspected)
    return quoted + " holds '" + m.cue +
           "': a text with it is flagged revocation? for staff, which a keyword must not prevent";
  return {};
}

std::string custom_action_name(std::string_view a) {
  if (a.empty()) return "none";
  if (a == "subscribe") return "opt_in";
  if (a == "unsubscribe") return "opt_out";
  return std::string(a);
}

std::string custom_action_from_name(std::string_view n) {
  if (n == "none" || n.empty()) return "";
  if (n == "opt_in" || n == "subscribe") return "subscribe";
  if (n == "opt_out" || n == "unsubscribe") return "unsubscribe";
  if (n == "help") return "help";
  if (n.starts_with("tag:") && n.size() > 4 && n.size() <= 68) return std::string(n);
  return "?";
}

KeywordTable::KeywordTable(const KeywordConfig& config) : contains_(config.opt_out_contains) {
  // Insertion order is the priority order: an earlier entry keeps a phrase listed twice, so the
  // floor comes first and no configured list can take a floor word away.
  for (auto w : kFloorOptOut) add(w, KeywordKind::opt_out, 0);
  for (auto w : kFloorOptIn) add(w, KeywordKind::opt_in, 0);
  for (auto w : kFloorHelp) add(w, KeywordKind::help, 0);
  for (const auto& w : config.opt_out) add(w, KeywordKind::opt_out, 0);
  for (const auto& w : config.opt_in) add(w, KeywordKind::opt_in, 0);
  for (const auto& w : config.help) add(w, KeywordKind::help, 0);
  for (std::size_t i = 0; i < config.custom.size(); ++i) {
    // A custom keyword never takes a text away from the floor: "STOP PLEASE" stays an opt-out,
    // "STPO" a misspelt one, "cancel order" a flagged text.
    if (!floor_claim(config.custom[i].word).empty()) {
      ignored_.push_back(config.custom[i].word);
      continue;
    }
    add(config.custom[i].word, KeywordKind::custom, i);
  }
  // Single floor words of four letters or more (their folded form is their spelling).
  for (auto w : kFloorOptOut) {
    if (w.size() >= 4 && ascii_letters(w) && folded_words(w) == w)
      misspelling_targets_.push_back(Entry{KeywordKind::opt_out, std::string(w), 0});
  }
  auto add_revocation = [this](std::string_view phrase) {
    std::string f = folded_words(phrase);
    if (f.empty()) {
      ignored_.emplace_back(phrase);
      return;
    }
    index_phrase(revocation_, std::move(f), Entry{KeywordKind::none, std::string(phrase), 0});
  };
  for (auto w : kBuiltInRevocationPhrases) add_revocation(w);
  for (const auto& w : config.revocation) add_revocation(w);
}

void KeywordTable::index_phrase(PhraseIndex& index, std::string folded, const Entry& entry) {
  const auto n = static_cast<std::size_t>(std::count(folded.begin(), folded.end(), ' ')) + 1;
  index.max_words = std::max(index.max_words, n);
  index.max_bytes = std::max(index.max_bytes, folded.size());
  index.first[static_cast<unsigned char>(folded.front())] = true;
  index.map.try_emplace(std::move(folded), entry);
}

void KeywordTable::add(std::string_view phrase, KeywordKind kind, std::size_t custom_index) {
  std::string words;
  std::string symbols;
  fold_keyword_text(phrase, &words, &symbols);
  if (words.empty()) {
    if (symbols.empty()) {
      ignored_.emplace_back(phrase);
      return;
    }
    by_symbol_.try_emplace(std::move(symbols), Entry{kind, std::string(phrase), custom_index});
    return;
  }
  auto [it, inserted] =
      by_words_.try_emplace(std::move(words), Entry{kind, std::string(phrase), custom_index});
  if (inserted && kind == KeywordKind::opt_out) index_phrase(opt_out_, it->first, it->second);
}

const KeywordTable::Entry* KeywordTable::find(std::string_view folded) const {
  auto it = by_words_.find(folded);
  return it == by_words_.end() ? nullptr : &it->second;
}

// A text of symbols only: the listed symbol sequence, or one listed symbol repeated ("🛑🛑").
const KeywordTable::Entry* KeywordTable::find_symbols(std::string_view symbols) const {
  if (auto it = by_symbol_.find(symbols); it != by_symbol_.end()) return &it->second;
  const Entry* found = nullptr;
  for (std::size_t i = 0; i < symbols.size();) {
    const std::size_t from = i;
    (void)next_code_point(symbols, i);
    auto one = by_symbol_.find(symbols.substr(from, i - from));
    if (one == by_symbol_.end() || (found != nullptr && found != &one->second)) return nullptr;
    found = &one->second;
  }
  return found;
}

const KeywordTable::Entry* KeywordTable::find_inside(const PhraseIndex& index,
                                                     std::string_view words) {
  if (index.map.empty()) return nullptr;
  for (std::size_t start = 0; start < words.size();) {
    // Cheap filter before hashing: the first byte of a phrase.
    if (index.first[static_cast<unsigned char>(words[start])]) {
      std::size_t end = start;
      for (std::size_t n = 0; n < index.max_words && end < words.size(); ++n) {
        end = words.find(' ', end == start ? start : end + 1);
        if (end == std::string_view::npos) end = words.size();
        const std::string_view phrase = words.substr(start, end - start);
        if (phrase.size() > index.max_bytes) break;
        if (auto it = index.map.find(phrase); it != index.map.end()) return &it->second;
      }
    }
    const std::size_t next = words.find(' ', start);
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  return nullptr;
}

// An opt-out symbol among the text's symbols (the sequence, or any one of them).
const KeywordTable::Entry* KeywordTable::find_opt_out_symbol(std::string_view symbols) const {
  if (symbols.empty()) return nullptr;
  if (auto it = by_symbol_.find(symbols);
      it != by_symbol_.end() && it->second.kind == KeywordKind::opt_out) {
    return &it->second;
  }
  for (std::size_t i = 0; i < symbols.size();) {
    const std::size_t from = i;
    (void)next_code_point(symbols, i);
    auto it = by_symbol_.find(symbols.substr(from, i - from));
    if (it != by_symbol_.end() && it->second.kind == KeywordKind::opt_out) return &it->second;
  }
  return nullptr;
}

const KeywordTable::Entry* KeywordTable::misspelled_opt_out(std::string_view word) const {
  if (word.size() < 4 || !ascii_letters(word) || is_common_near_word(word)) return nullptr;
  if (find(word) != nullptr) return nullptr;  // a keyword of its own
  for (const Entry& e : misspelling_targets_)
    if (within_one_edit(word, e.keyword)) return &e;
  return nullptr;
}

KeywordMatch KeywordTable::match(std::string_view utf8_text) const {
  Scratch& s = scratch();
  fold_keyword_text(utf8_text, &s.words, &s.symbols);
  const auto result = [](const Entry* e, MatchRule rule) {
    return KeywordMatch{e->kind, e->keyword, e->custom_index, rule, false, {}};
  };

  // 1. The whole text.
  const Entry* exact = nullptr;
  if (!s.words.empty()) {
    exact = find(s.words);
  } else if (!s.symbols.empty()) {
    exact = find_symbols(s.symbols);
  }
  if (exact != nullptr && (exact->kind == KeywordKind::opt_out || !contains_))
    return result(exact, MatchRule::exact);

  // 2 and 3. The words left once filler is dropped.
  std::string& rest = s.rest;
  rest.clear();
  std::size_t rest_words = 0;
  for (std::size_t start = 0; start < s.words.size();) {
    std::size_t end = s.words.find(' ', start);
    if (end == std::string::npos) end = s.words.size();
    const std::string_view w = std::string_view(s.words).substr(start, end - start);
    if (!is_filler(w)) {
      if (!rest.empty()) rest.push_back(' ');
      rest.append(w);
      ++rest_words;
    }
    start = end + 1;
  }
  if (exact == nullptr) {
    if (rest.empty()) {
      // Only filler and symbols: "🛑 please".
      if (!s.words.empty() && !s.symbols.empty()) {
        if (const Entry* e = find_symbols(s.symbols);
            e != nullptr && e->kind == KeywordKind::opt_out)
          return result(e, MatchRule::filler);
      }
    } else if (rest.size() != s.words.size()) {
      if (const Entry* e = find(rest); e != nullptr && e->kind == KeywordKind::opt_out)
        return result(e, MatchRule::filler);
    }
    if (rest_words == 1) {
      if (const Entry* e = misspelled_opt_out(rest)) return result(e, MatchRule::misspelling);
    }
  }

  // 4 and 5. An opt-out phrase inside a longer text.
  const Entry* inside = find_inside(opt_out_, s.words);
  if (inside == nullptr) inside = find_opt_out_symbol(s.symbols);
  if (inside != nullptr && contains_) return result(inside, MatchRule::contains);
  if (exact != nullptr) return result(exact, MatchRule::exact);
  KeywordMatch none;
  if (inside == nullptr) inside = find_inside(revocation_, s.words);
  if (inside != nullptr) {
    none.revocation_suspected = true;
    none.cue = inside->keyword;
  }
  return none;
}

}  // namespace twoway::engine
