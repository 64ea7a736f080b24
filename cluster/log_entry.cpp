#include "cluster/log_entry.hpp"

#include <nlohmann/json.hpp>

namespace twoway::cluster {

namespace {

constexpr int kVersion = 1;

}  // namespace

std::string encode_entry(const engine::InboundMessage& m) {
  nlohmann::json j = {{"v", kVersion},
                      {"kind", "message"},
                      {"smsc", m.smsc},
                      {"source", m.source},
                      {"source_ton", m.source_ton},
                      {"source_npi", m.source_npi},
                      {"destination", m.destination},
                      {"text", m.text},
                      {"media_omitted", m.media_omitted},
                      {"incomplete", m.incomplete},
                      {"smsc_timestamp", m.smsc_timestamp},
                      {"reference", m.message_reference},
                      {"received", m.received_unix}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string encode_entry(const engine::Receipt& r) {
  nlohmann::json j = {{"v", kVersion},
                      {"kind", "receipt"},
                      {"smsc", r.smsc},
                      {"message_id", r.message_id},
                      {"state", static_cast<int>(r.state)},
                      {"error", r.error},
                      {"time", r.time_unix},
                      {"received", r.received_unix}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

struct EncodeStaff {
  nlohmann::json& j;
  void operator()(const engine::ReplyRequest& r) const {
    j["action"] = "reply";
    j["text"] = r.text;
    j["agent"] = r.agent;
    j["override_quiet_hours"] = r.override_quiet_hours;
    j["no_shorten"] = r.no_shorten;
    j["now"] = r.now;
  }
  void operator()(const engine::SendRequest& s) const {
    j["action"] = "send";
    j["text"] = s.text;
    j["message_kind"] = s.kind == engine::MessageKind::flow ? "flow" : "campaign";
    j["source"] = s.source;
    j["no_shorten"] = s.no_shorten;
    j["now"] = s.now;
  }
  void operator()(const engine::FlagChange& f) const {
    j["action"] = "flag";
    j["flag"] = static_cast<int>(f.flag);
    j["on"] = f.on;
    j["now"] = f.now;
  }
  void operator()(const engine::NameChange& n) const {
    j["action"] = "name";
    j["name"] = n.name;
    j["now"] = n.now;
  }
  void operator()(const engine::RevocationDecision& d) const {
    j["action"] = "revocation";
    j["opt_out"] = d.opt_out;
    j["actor"] = d.actor;
    j["now"] = d.now;
  }
  void operator()(const engine::ConsentDecision& c) const {
    j["action"] = "consent";
    j["consent"] = static_cast<int>(c.consent);
    j["source"] = static_cast<int>(c.source);
    j["actor"] = c.actor;
    j["now"] = c.now;
  }
};

// An enum stored as its number, checked against its last value.
template <class E>
std::optional<E> enum_at(const nlohmann::json& j, const char* key, E last) {
  const int v = j.at(key).get<int>();
  if (v < 0 || v > static_cast<int>(last)) return std::nullopt;
  return static_cast<E>(v);
}

std::optional<engine::StaffAction> decode_staff(const nlohmann::json& j, std::string* why) {
  const std::string action = j.at("action").get<std::string>();
  const std::string number = j.at("number").get<std::string>();
  const auto now = j.at("now").get<std::int64_t>();
  if (action == "reply") {
    engine::ReplyRequest r;
    r.number = number;
    r.text = j.at("text").get<std::string>();
    r.agent = j.at("agent").get<std::string>();
    r.override_quiet_hours = j.at("override_quiet_hours").get<bool>();
    r.no_shorten = j.at("no_shorten").get<bool>();
    r.now = now;
    return r;
  }
  if (action == "send") {
    engine::SendRequest s;
    s.number = number;
    s.text = j.at("text").get<std::string>();
    const std::string kind = j.at("message_kind").get<std::string>();
    if (kind != "campaign" && kind != "flow") {
      *why = "unknown message kind '" + kind + "'";
      return std::nullopt;
    }
    s.kind = kind == "flow" ? engine::MessageKind::flow : engine::MessageKind::campaign;
    s.source = j.at("source").get<std::string>();
    s.no_shorten = j.at("no_shorten").get<bool>();
    s.now = now;
    return s;
  }
  if (action == "flag") {
    const auto flag = enum_at(j, "flag", engine::FlagChange::Flag::blocked);
    if (!flag) {
      *why = "unknown flag";
      return std::nullopt;
    }
    return engine::FlagChange{number, *flag, j.at("on").get<bool>(), now};
  }
  if (action == "name") return engine::NameChange{number, j.at("name").get<std::string>(), now};
  if (action == "revocation")
    return engine::RevocationDecision{number, j.at("opt_out").get<bool>(),
                                      j.at("actor").get<std::string>(), now};
  if (action == "consent") {
    const auto consent = enum_at(j, "consent", engine::Consent::unsubscribed);
    const auto source = enum_at(j, "source", engine::ConsentSource::text);
    if (!consent || !source) {
      *why = "unknown consent or source";
      return std::nullopt;
    }
    return engine::ConsentDecision{number, *consent, *source, j.at("actor").get<std::string>(),
                                   now};
  }
  *why = "unknown staff action '" + action + "'";
  return std::nullopt;
}

}  // namespace

std::string encode_entry(const StaffEntry& s) {
  nlohmann::json j = {
      {"v", kVersion}, {"kind", "staff"}, {"id", s.id}, {"number", engine::staff_number(s.action)}};
  std::visit(EncodeStaff{j}, s.action);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<LogEntry> decode_entry(std::string_view bytes, std::string* error) {
  auto fail = [error](std::string why) -> std::optional<LogEntry> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
  try {
    if (j.value("v", 0) != kVersion) return fail("unknown entry version");
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "message") {
      engine::InboundMessage m;
      m.smsc = j.at("smsc").get<std::string>();
      m.source = j.at("source").get<std::string>();
      m.source_ton = j.at("source_ton").get<std::uint8_t>();
      m.source_npi = j.at("source_npi").get<std::uint8_t>();
      m.destination = j.at("destination").get<std::string>();
      m.text = j.at("text").get<std::string>();
      m.media_omitted = j.at("media_omitted").get<bool>();
      m.incomplete = j.at("incomplete").get<bool>();
      m.smsc_timestamp = j.at("smsc_timestamp").get<std::string>();
      m.message_reference = j.at("reference").get<std::string>();
      m.received_unix = j.at("received").get<std::int64_t>();
      return LogEntry{std::move(m)};
    }
    if (kind == "receipt") {
      engine::Receipt r;
      r.smsc = j.at("smsc").get<std::string>();
      r.message_id = j.at("message_id").get<std::string>();
      const int state = j.at("state").get<int>();
      if (state < 0 || state > static_cast<int>(engine::ReceiptState::unknown))
        return fail("unknown receipt state");
      r.state = static_cast<engine::ReceiptState>(state);
      r.error = j.at("error").get<std::string>();
      r.time_unix = j.at("time").get<std::int64_t>();
      r.received_unix = j.at("received").get<std::int64_t>();
      return LogEntry{std::move(r)};
    }
    if (kind == "staff") {
      std::string why;
      auto action = decode_staff(j, &why);
      if (!action) return fail(why);
      return LogEntry{StaffEntry{j.at("id").get<std::string>(), std::move(*action)}};
    }
    return fail("unknown entry kind '" + kind + "'");
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("malformed entry: ") + e.what());
  }
}

}  // namespace twoway::cluster
