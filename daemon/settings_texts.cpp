// `settings` for texts: previews and custom keywords (see settings_texts.hpp).
#include "daemon/settings_texts.hpp"

#include <algorithm>

#include "engine/keywords.hpp"
#include "engine/settings.hpp"
#include "engine/templates.hpp"
#include "smpp/segment.hpp"

namespace twoway::daemon {
namespace {

using nlohmann::json;

constexpr std::string_view kCustomPrefix = "keywords.custom.";

AdminError bad(std::string message) {
  return AdminError{"bad_request", std::move(message)};
}

// The sample customer of a preview: no name on file, so fallbacks show.
engine::Profile sample_profile() {
  engine::Profile p;
  p.number = "+15555550100";
  return p;
}

json preview_json(const engine::TemplatePreview& p) {
  return {{"text", p.text},
          {"encoding", engine::to_string(p.encoding)},
          {"segments", p.segments},
          {"units", p.units}};
}

json rendered_json(std::string text) {
  // Built-in answers come rendered already: only counted.
  const smpp::SegmentCount count = smpp::count_segments(text);
  return {{"text", std::move(text)},
          {"encoding", count.encoding == smpp::TextEncoding::gsm7   ? "gsm7"
                       : count.encoding == smpp::TextEncoding::ucs2 ? "ucs2"
                                                                    : "latin1"},
          {"segments", count.segments},
          {"units", count.units}};
}

// Keywords compare folded ("hours", "Hours!" and "HOURS" are one keyword).
std::string folded(std::string_view word) {
  std::string words, symbols;
  engine::fold_keyword_text(word, &words, &symbols);
  return words.empty() ? symbols : words;
}

// The index of `word` among the custom keywords, or their count when it is not there.
std::size_t find_custom(const engine::Settings& s, std::string_view word) {
  const std::string f = folded(word);
  std::size_t i = 0;
  while (i < s.keywords.custom.size() && folded(s.keywords.custom[i].word) != f) ++i;
  return i;
}

json custom_json(const engine::CustomKeyword& c) {
  return {{"word", c.word}, {"reply", c.reply}, {"action", engine::custom_action_name(c.action)}};
}

// The reply a custom keyword sends: its own, or for opt_out / opt_in / help with none, the
// answer of that kind.
json custom_preview(const engine::Settings& s, const engine::Organization& org,
                    const engine::CustomKeyword& c) {
  const engine::Profile p = sample_profile();
  if (!c.reply.empty()) return preview_json(engine::preview_template(c.reply, org, p));
  if (c.action == "unsubscribe") return rendered_json(engine::opt_out_answer(s, org, p));
  if (c.action == "subscribe") return rendered_json(engine::opt_in_answer(s, org, p));
  if (c.action == "help") return rendered_json(engine::help_answer(s, org, p));
  return nullptr;  // answers nothing
}

// Stores `next`, answering like `settings KEY VALUE` does: the keyword as stored, its preview
// and any notes.
CommandResult store(engine::Engine& engine, engine::Settings next, std::string_view key,
                    std::string_view word, bool removed) {
  if (auto problems = engine.set_settings(std::move(next)); !problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
    return bad(message);
  }
  const engine::Settings stored = engine.settings();
  json result{{"key", std::string(key)}};
  if (removed) {
    result["removed"] = std::string(word);
  } else if (auto i = find_custom(stored, word); i < stored.keywords.custom.size()) {
    result["value"] = custom_json(stored.keywords.custom[i]);
    result["preview"] = custom_preview(stored, engine.organization(), stored.keywords.custom[i]);
  }
  result["custom"] = custom_keywords_json(stored);
  if (auto notes = engine::settings_notes(stored, engine.organization()); !notes.empty())
    result["notes"] = notes;
  return result;
}

}  // namespace

json custom_keywords_json(const engine::Settings& s) {
  json list = json::array();
  for (const auto& c : s.keywords.custom) list.push_back(custom_json(c));
  return list;
}

std::optional<json> text_preview(const engine::Settings& s, const engine::Organization& org,
                                 std::string_view key) {
  const engine::Profile p = sample_profile();
  if (key == "auto_responder.message")
    return preview_json(engine::preview_template(s.auto_responder.message, org, p));
  if (key == "answers.opt_out") return rendered_json(engine::opt_out_answer(s, org, p));
  if (key == "answers.opt_in") return rendered_json(engine::opt_in_answer(s, org, p));
  if (key == "answers.help") return rendered_json(engine::help_answer(s, org, p));
  return std::nullopt;
}

std::optional<CommandResult> custom_keyword_setting(engine::Engine& engine, std::string_view key,
                                                    const std::optional<std::string>& value) {
  if (!key.starts_with(kCustomPrefix)) return std::nullopt;
  std::string_view rest = key.substr(kCustomPrefix.size());
  engine::Settings s = engine.settings();

  if (rest == "remove") {
    if (!value || value->empty())
      return CommandResult(bad("say which keyword: settings keywords.custom.remove WORD"));
    const std::size_t i = find_custom(s, *value);
    if (i == s.keywords.custom.size())
      return CommandResult(AdminError{"not_found", "no custom keyword " + *value});
    const std::string word = s.keywords.custom[i].word;
    s.keywords.custom.erase(s.keywords.custom.begin() + static_cast<std::ptrdiff_t>(i));
    return store(engine, std::move(s), key, word, true);
  }

  enum class Field { none, reply, action } field = Field::none;
  for (auto [suffix, f] : {std::pair<std::string_view, Field>{".reply", Field::reply},
                           {".answer", Field::reply},
                           {".action", Field::action}}) {
    if (rest.size() > suffix.size() && rest.ends_with(suffix)) {
      rest.remove_suffix(suffix.size());
      field = f;
      break;
    }
  }
  const std::string word(rest);
  const std::size_t index = find_custom(s, word);
  auto it = s.keywords.custom.begin() + static_cast<std::ptrdiff_t>(index);
  if (field == Field::none) {
    if (value)
      return CommandResult(bad("say what to set: settings keywords.custom." + word +
                               ".reply TEXT, or keywords.custom." + word +
                               ".action none|opt_in|opt_out|help"));
    if (it == s.keywords.custom.end())
      return CommandResult(AdminError{"not_found", "no custom keyword " + word});
    json result{{"key", std::string(key)}, {"value", custom_json(*it)}};
    result["preview"] = custom_preview(s, engine.organization(), *it);
    return CommandResult(result);
  }
  if (!value) {
    if (it == s.keywords.custom.end())
      return CommandResult(AdminError{"not_found", "no custom keyword " + word});
    return CommandResult(json{
        {"key", std::string(key)},
        {"value", field == Field::reply ? it->reply : engine::custom_action_name(it->action)}});
  }
  if (it == s.keywords.custom.end()) {
    // A new keyword: the floor keeps its words, whatever is asked.
    if (word.empty()) return CommandResult(bad("the keyword is empty"));
    if (std::string why = engine::floor_claim(word); !why.empty())
      return CommandResult(
          bad("keywords.custom: " + why +
              "; the keyword floor keeps it (set its answer with settings answers.opt_out, "
              "answers.opt_in or answers.help)"));
    // As in the config file (conversations.keywords.custom[].word).
    if (word.find_first_of(" \t") != std::string::npos)
      return CommandResult(bad("keywords.custom: '" + word + "' must be a single word"));
    s.keywords.custom.push_back(engine::CustomKeyword{word, "", ""});
    it = s.keywords.custom.end() - 1;
  }
  if (field == Field::reply) {
    it->reply = *value;
  } else {
    const std::string action = engine::custom_action_from_name(*value);
    if (action == "?")
      return CommandResult(
          bad("keywords.custom." + word + ".action: expected none, opt_in, opt_out or help"));
    it->action = action;
  }
  if (it->reply.empty() && it->action.empty())
    return CommandResult(bad("keywords.custom." + word +
                             ": a keyword with action none needs a reply (settings "
                             "keywords.custom." +
                             word + ".reply TEXT)"));
  const std::string stored_word = it->word;
  return store(engine, std::move(s), key, stored_word, false);
}

}  // namespace twoway::daemon
