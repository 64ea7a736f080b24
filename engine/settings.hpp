// The conversation settings an admin edits at run time (auto-responder, keyword lists and
// answers, quiet hours, notifications, link shortening, frequency caps): stored in LMDB, first
// values from the YAML configuration; plus the message templates and the built-in keyword
// answers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/store.hpp"
#include "engine/templates.hpp"
#include "engine/types.hpp"

namespace twoway::engine {

// The stored settings, or `initial` when none were stored yet. Fields an older record lacks
// keep their value from `initial`.
[[nodiscard]] Settings read_settings(const Txn& txn, const Store& store, const Settings& initial);
[[nodiscard]] bool has_stored_settings(const Txn& txn, const Store& store);
void write_settings(Txn& txn, const Store& store, const Settings& settings);
// Every setting (the email notifications' record included) as one byte string, to share them
// with the other nodes of a cluster; decoding fills `s` (fields the bytes lack keep its
// values) and is false for bytes that are not settings.
[[nodiscard]] std::string encode_settings(const Settings& settings);
[[nodiscard]] bool decode_settings(std::string_view bytes, Settings& s);

// Problems that make the settings unusable (bad lengths, negative period, bad quiet hours or
// frequency caps, a text with an unknown template placeholder), one message each; empty when
// they can be stored.
[[nodiscard]] std::vector<std::string> settings_errors(const Settings& settings);
// The link shortening part of settings_errors: enabled needs a domain and a listener, the
// domain is a host name, the listener HOST:PORT, the expiry 1 s to 3650 days.
[[nodiscard]] std::vector<std::string> link_shortening_errors(const LinkShortening& links);
inline constexpr std::int64_t kMaxLinkExpirySeconds = 3650LL * 86400;

// Notes for the operator on settings that can be stored but fall short of what carriers and
// regulators expect, one message each (for --check-config and `settings`): a floor keyword listed
// where it cannot act (keyword_floor_notes), a custom HELP answer lacking what CTIA asks for
// (brand, contact, frequency, "Msg & data rates may apply", how to stop), an opt-out
// confirmation carrying a link (it must hold no marketing content).
[[nodiscard]] std::vector<std::string> settings_notes(const Settings& settings,
                                                      const Organization& org);

// The answers (configured text, or the built-in one), rendered.
[[nodiscard]] std::string opt_out_answer(const Settings& s, const Organization& org,
                                         const Profile& p);
[[nodiscard]] std::string opt_in_answer(const Settings& s, const Organization& org,
                                        const Profile& p);
[[nodiscard]] std::string help_answer(const Settings& s, const Organization& org, const Profile& p);

}  // namespace twoway::engine
