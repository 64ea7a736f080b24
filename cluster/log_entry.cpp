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
    return fail("unknown entry kind '" + kind + "'");
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("malformed entry: ") + e.what());
  }
}

}  // namespace twoway::cluster
