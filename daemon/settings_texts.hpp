// The parts of `settings` that deal with texts: previews of the texts twowayd sends on its own
// (rendered, with encoding and segment count), and custom keywords added, changed and removed
// at run time (`settings keywords.custom.WORD.reply TEXT`, `.action`, `keywords.custom.remove`).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/admin_server.hpp"
#include "engine/engine.hpp"

namespace twoway::daemon {

/// The preview of the text setting `key` ("auto_responder.message", "answers.help",
/// "keywords.custom.HOURS.reply", ...) as a customer with no name on file would get it:
/// {"text", "encoding", "segments", "units"} (an empty answer previews its built-in text).
/// nullopt when `key` is not a text setting.
[[nodiscard]] std::optional<nlohmann::json> text_preview(const engine::Settings& settings,
                                                         const engine::Organization& org,
                                                         std::string_view key);

/// `settings keywords.custom...` for one custom keyword:
///   keywords.custom.WORD                  show it (with its reply's preview)
///   keywords.custom.WORD.reply TEXT       add WORD, or change its reply (alias: .answer)
///   keywords.custom.WORD.action ACTION    add WORD, or change its action (none, opt_in,
///                                         opt_out, help)
///   keywords.custom.remove WORD           remove it
/// WORD is one word, matched as keywords are (case, accents and punctuation folded). A word the
/// keyword floor reads (STOP, HELP, START, STPO, UNSUB...) is refused.
/// `value` is nullopt when no VALUE was given. nullopt when `key` is not one of these.
[[nodiscard]] std::optional<CommandResult> custom_keyword_setting(
    engine::Engine& engine, std::string_view key, const std::optional<std::string>& value);

/// The custom keywords as `settings` shows them: [{"word","reply","action"}] with the config
/// file's action names.
[[nodiscard]] nlohmann::json custom_keywords_json(const engine::Settings& settings);

}  // namespace twoway::daemon
