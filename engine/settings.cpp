// Conversation settings storage, validation and message templates (see settings.hpp).
#include "engine/settings.hpp"

#include <algorithm>

#include "engine/frequency_caps.hpp"
#include "engine/links.hpp"
#include "engine/notification_settings.hpp"
#include "engine/quiet_hours.hpp"
#include "engine/records.hpp"

namespace twoway::engine {

namespace {

constexpr std::string_view kSettingsKey = "conversation";
constexpr std::size_t kMaxTemplate = 1600;
constexpr std::size_t kMaxKeywords = 200;
constexpr std::size_t kMaxKeywordBytes = 64;

// Built-in answers (CTIA-style): brand, what happened, how to undo it.
constexpr std::string_view kOptOut =
    "{{organization.prefix}}: You have been unsubscribed and will receive no further messages. "
    "Reply START to resubscribe.";
constexpr std::string_view kOptIn =
    "{{organization.prefix}}: You are now subscribed. Reply HELP for help, STOP to opt out.";

}  // namespace

Settings read_settings(const Txn& txn, const Store& store, const Settings& initial) {
  Settings s = initial;
  if (auto v = txn.get(store.settings, kSettingsKey)) {
    Settings decoded = initial;
    if (records::decode(*v, decoded)) s = std::move(decoded);
  }
  read_email_notifications(txn, store, s.notifications.email);
  return s;
}

bool has_stored_settings(const Txn& txn, const Store& store) {
  return txn.get(store.settings, kSettingsKey).has_value();
}

void write_settings(Txn& txn, const Store& store, const Settings& settings) {
  std::string buf;
  records::encode(settings, buf);
  txn.put(store.settings, kSettingsKey, buf);
  write_email_notifications(txn, store, settings.notifications.email);
}

std::string encode_settings(const Settings& settings) {
  std::string conversation, email, out;
  records::encode(settings, conversation);
  encode_email_notifications(settings.notifications.email, email);
  records::Writer w(out);
  w.str(conversation);
  w.str(email);
  return out;
}

bool decode_settings(std::string_view bytes, Settings& s) {
  records::Reader r(bytes);
  const std::string conversation = r.str();
  const std::string email = r.str();
  if (!r.ok() || r.more()) return false;
  Settings decoded = s;
  if (!records::decode(conversation, decoded)) return false;
  decode_email_notifications(email, decoded.notifications.email);
  s = std::move(decoded);
  return true;
}

std::vector<std::string> link_shortening_errors(const LinkShortening& l) {
  std::vector<std::string> errors;
  if (!l.domain.empty() && !valid_link_domain(l.domain))
    errors.push_back("link_shortening.domain: '" + l.domain.substr(0, 253) +
                     "' is not a host name (like go.shop.example: no https://, port or path)");
  if (l.enabled && l.domain.empty())
    errors.push_back(
        "link_shortening.enabled: needs link_shortening.domain (the short links' host name)");
  if (!l.listen.empty() && !valid_listen_address(l.listen))
    errors.push_back("link_shortening.listen: '" + l.listen.substr(0, 64) +
                     "' is not HOST:PORT (like 127.0.0.1:8080)");
  if (l.enabled && l.listen.empty())
    errors.push_back("link_shortening.listen: needed when link shortening is enabled");
  if (l.expiry_seconds < 1 || l.expiry_seconds > kMaxLinkExpirySeconds)
    errors.push_back("link_shortening.expiry: must be between 1s and 3650d");
  return errors;
}

std::vector<std::string> settings_errors(const Settings& s) {
  std::vector<std::string> errors;
  if (s.auto_responder.message.size() > kMaxTemplate)
    errors.push_back("auto_responder.message: longer than 1600 bytes");
  if (s.auto_responder.period_seconds < 0)
    errors.push_back("auto_responder.period: must not be negative");
  if (static_cast<int>(s.auto_responder.mode) > 2)
    errors.push_back("auto_responder.mode: unknown mode");
  for (const std::string* a : {&s.answers.opt_out, &s.answers.opt_in, &s.answers.help})
    if (a->size() > kMaxTemplate) errors.push_back("answers: longer than 1600 bytes");
  // Every text twoway sends on its own is a template: an unknown placeholder is refused here,
  // never sent.
  const auto check_template = [&](const std::string& text, const std::string& key) {
    for (auto& e : template_errors(text)) errors.push_back(key + ": " + e);
  };
  check_template(s.auto_responder.message, "auto_responder.message");
  check_template(s.answers.opt_out, "answers.opt_out");
  check_template(s.answers.opt_in, "answers.opt_in");
  check_template(s.answers.help, "answers.help");
  for (const auto& c : s.keywords.custom)
    check_template(c.reply, "keywords.custom." + c.word + ".answer");
  const std::size_t nkeywords = s.keywords.opt_out.size() + s.keywords.opt_in.size() +
                                s.keywords.help.size() + s.keywords.custom.size() +
                                s.keywords.revocation.size();
  if (nkeywords > kMaxKeywords) errors.push_back("keywords: more than 200");
  const auto check_words = [&](const std::vector<std::string>& v, const char* name) {
    for (const auto& w : v)
      if (w.empty() || w.size() > kMaxKeywordBytes)
        errors.push_back(std::string("keywords.") + name + ": empty or longer than 64 bytes");
  };
  check_words(s.keywords.opt_out, "opt_out");
  check_words(s.keywords.opt_in, "opt_in");
  check_words(s.keywords.help, "help");
  check_words(s.keywords.revocation, "revocation");
  for (const auto& c : s.keywords.custom) {
    if (c.word.empty() || c.word.size() > kMaxKeywordBytes)
      errors.push_back("keywords.custom: word empty or longer than 64 bytes");
    if (c.reply.size() > kMaxTemplate) errors.push_back("keywords.custom: reply too long");
    if (!c.action.empty() && c.action != "subscribe" && c.action != "unsubscribe" &&
        c.action != "help" &&
        !(c.action.starts_with("tag:") && c.action.size() > 4 && c.action.size() <= 68))
      errors.push_back(
          "keywords.custom: action must be \"\", \"subscribe\", \"unsubscribe\", \"help\" or "
          "\"tag:NAME\"");
  }
  for (auto& e : quiet_hours_config_errors(s.quiet_hours)) errors.push_back("quiet_hours: " + e);
  for (auto& e : frequency_caps_config_errors(s.frequency_caps))
    errors.push_back("frequency_caps: " + e);
  for (auto& e : email_notification_errors(s.notifications.email)) errors.push_back(std::move(e));
  if (s.notifications.waiting_threshold_seconds < 0)
    errors.push_back("notifications.waiting_threshold: must not be negative");
  for (auto& e : link_shortening_errors(s.link_shortening)) errors.push_back(std::move(e));
  return errors;
}

namespace {

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

bool has_any(const std::string& upper, std::initializer_list<std::string_view> needles) {
  for (auto n : needles)
    if (upper.find(n) != std::string::npos) return true;
  return false;
}

// Seven digits or more in a row (spaces, dashes, dots and brackets between them allowed): a
// phone number.
bool has_phone_number(std::string_view s) {
  int digits = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      if (++digits >= 7) return true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '+') {
      digits = 0;
    }
  }
  return false;
}

bool has_link(const std::string& upper) {
  return has_any(upper, {"HTTP://", "HTTPS://", "WWW."});
}

}  // namespace

std::vector<std::string> settings_notes(const Settings& s, const Organization& org) {
  std::vector<std::string> notes = keyword_floor_notes(s.keywords);
  if (s.answers.help.empty() && org.email.empty()) {
    notes.emplace_back(
        "answers.help: the built-in HELP answer names no contact: set the organization's support "
        "email (organization.support_email) or write the answer");
  }
  if (!s.answers.help.empty()) {
    // Placeholders count for what they fill in, whichever of their spellings is used.
    const std::string t = upper_ascii(s.answers.help);
    const auto fields = template_fields_used(s.answers.help);
    const auto uses = [&](std::string_view field) {
      return std::find(fields.begin(), fields.end(), field) != fields.end();
    };
    std::vector<std::string> missing;
    const bool brand =
        uses("organization.prefix") || uses("organization.name") ||
        (!org.prefix.empty() && t.find(upper_ascii(org.prefix)) != std::string::npos);
    if (!brand) missing.emplace_back("the brand ({{organization.prefix}})");
    const bool contact =
        uses("organization.email") || has_any(t, {"@"}) || has_link(t) || has_phone_number(t);
    if (!contact) missing.emplace_back("a contact (email, phone number or web address)");
    if (!has_any(t, {"FREQ", "RECURRING", "PER DAY", "PER WEEK", "PER MONTH", "/DAY", "/WK",
                     "/WEEK", "/MO"}))
      missing.emplace_back("the message frequency (\"Msg frequency varies.\")");
    if (!has_any(t, {"RATES MAY APPLY"})) missing.emplace_back("\"Msg & data rates may apply\"");
    if (!has_any(t, {"STOP"})) missing.emplace_back("how to stop (\"Reply STOP to cancel\")");
    if (!missing.empty()) {
      std::string m = "answers.help: lacks what CTIA asks of a HELP answer: ";
      for (std::size_t i = 0; i < missing.size(); ++i)
        m += (i == 0 ? "" : i + 1 == missing.size() ? " and " : ", ") + missing[i];
      notes.push_back(std::move(m));
    }
  }
  if (has_link(upper_ascii(s.answers.opt_out)))
    notes.emplace_back(
        "answers.opt_out: the opt-out confirmation must carry no marketing content; remove the "
        "link");
  return notes;
}

std::string opt_out_answer(const Settings& s, const Organization& org, const Profile& p) {
  return render_template(s.answers.opt_out.empty() ? kOptOut : s.answers.opt_out, org, p);
}

std::string opt_in_answer(const Settings& s, const Organization& org, const Profile& p) {
  return render_template(s.answers.opt_in.empty() ? kOptIn : s.answers.opt_in, org, p);
}

std::string help_answer(const Settings& s, const Organization& org, const Profile& p) {
  if (!s.answers.help.empty()) return render_template(s.answers.help, org, p);
  // Brand, what it is, support contact, frequency, rates, how to stop.
  std::string text = org.prefix + ":";
  if (!org.help_text.empty()) text += " " + org.help_text;
  if (!org.email.empty()) text += " Help: " + org.email + ".";
  if (!org.frequency.empty()) text += " " + org.frequency;
  text += " Msg & data rates may apply. Reply STOP to cancel.";
  return text;
}

}  // namespace twoway::engine
