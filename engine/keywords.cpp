// Keyword table: folds texts (case, accents, punctuation, emoji, whitespace) and looks the
// result up in hash maps built once from the configured keyword lists.
#include "engine/keywords.hpp"

#include <unicode/uchar.h>

#include <algorithm>
#include <functional>
#include <limits>

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
  Scratch() {
    words.reserve(256);
    symbols.reserve(64);
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

KeywordTable::KeywordTable(const KeywordConfig& config) : contains_(config.opt_out_contains) {
  // Insertion order is the priority order: an earlier kind keeps a phrase listed twice.
  for (const auto& w : config.opt_out) add(w, KeywordKind::opt_out, 0);
  for (const auto& w : config.opt_in) add(w, KeywordKind::opt_in, 0);
  for (const auto& w : config.help) add(w, KeywordKind::help, 0);
  for (std::size_t i = 0; i < config.custom.size(); ++i) {
    add(config.custom[i].word, KeywordKind::custom, i);
  }
}

void KeywordTable::add(std::string_view phrase, KeywordKind kind, std::size_t custom_index) {
  std::string words;
  std::string symbols;
  fold_keyword_text(phrase, &words, &symbols);
  Map* map = &by_words_;
  std::string* key = &words;
  if (words.empty()) {
    if (symbols.empty()) {
      ignored_.emplace_back(phrase);
      return;
    }
    map = &by_symbol_;
    key = &symbols;
  }
  if (map == &by_words_) {
    max_phrase_bytes_ = std::max(max_phrase_bytes_, words.size());
    if (kind == KeywordKind::opt_out) {
      const auto n = static_cast<std::size_t>(std::count(words.begin(), words.end(), ' ')) + 1;
      max_opt_out_words_ = std::max(max_opt_out_words_, n);
      max_opt_out_bytes_ = std::max(max_opt_out_bytes_, words.size());
      opt_out_first_[static_cast<unsigned char>(words.front())] = true;
    }
  }
  map->try_emplace(std::move(*key), Entry{kind, std::string(phrase), custom_index});
}

const KeywordTable::Entry* KeywordTable::find(std::string_view folded) const {
  auto it = by_words_.find(folded);
  return it == by_words_.end() ? nullptr : &it->second;
}

const KeywordTable::Entry* KeywordTable::find_opt_out_inside(std::string_view words,
                                                             std::string_view symbols,
                                                             bool us_number) const {
  static const Entry kUsStop{KeywordKind::opt_out, "STOP", 0};
  const std::size_t window = std::max<std::size_t>(max_opt_out_words_, 1);
  for (std::size_t start = 0; start < words.size();) {
    // Cheap filters before hashing: the first byte, then the length of the phrase.
    const auto first = static_cast<unsigned char>(words[start]);
    const bool maybe_listed = opt_out_first_[first];
    if (maybe_listed || (us_number && first == 'S')) {
      std::size_t end = start;
      for (std::size_t n = 0; n < window && end < words.size(); ++n) {
        end = words.find(' ', end == start ? start : end + 1);
        if (end == std::string_view::npos) end = words.size();
        const std::string_view phrase = words.substr(start, end - start);
        const bool fits = maybe_listed && phrase.size() <= max_opt_out_bytes_;
        if (const Entry* e = fits ? find(phrase) : nullptr;
            e != nullptr && e->kind == KeywordKind::opt_out) {
          return e;
        }
        if (n == 0 && us_number && phrase == "STOP") return &kUsStop;
        if (!fits) break;
      }
    }
    const std::size_t next = words.find(' ', start);
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  if (!symbols.empty()) {
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
  }
  return nullptr;
}

KeywordMatch KeywordTable::match(std::string_view utf8_text, bool us_number) const {
  Scratch& s = scratch();
  // Outside contains mode a text longer than every phrase cannot match: stop folding early.
  const std::size_t limit = contains_ ? std::numeric_limits<std::size_t>::max() : max_phrase_bytes_;
  const bool complete = fold(utf8_text, s.words, &s.symbols, limit);

  const Entry* exact = nullptr;
  if (!s.words.empty()) {
    if (complete) exact = find(s.words);
  } else if (!s.symbols.empty()) {
    if (auto it = by_symbol_.find(s.symbols); it != by_symbol_.end()) {
      exact = &it->second;
    } else {
      // The same symbol keyword repeated ("🛑🛑") counts as that keyword.
      for (std::size_t i = 0; i < s.symbols.size();) {
        const std::size_t from = i;
        (void)next_code_point(s.symbols, i);
        auto one = by_symbol_.find(std::string_view(s.symbols).substr(from, i - from));
        if (one == by_symbol_.end() || (exact != nullptr && exact != &one->second)) {
          exact = nullptr;
          break;
        }
        exact = &one->second;
      }
    }
  }

  if ((exact == nullptr || exact->kind != KeywordKind::opt_out) && contains_) {
    if (const Entry* inside = find_opt_out_inside(s.words, s.symbols, us_number)) exact = inside;
  }
  if (exact == nullptr) return {};
  return KeywordMatch{exact->kind, exact->keyword, exact->custom_index};
}

}  // namespace twoway::engine
