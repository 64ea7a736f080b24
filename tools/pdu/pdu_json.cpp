// PDU <-> JSON for twoway-pdu, driven by the same visit_fields lists as the codec.
#include "pdu_json.hpp"

#include <cstdio>

#include "smpp/charset.hpp"
#include "smpp/gsm7.hpp"
#include "smpp/receipt.hpp"
#include "smpp/udh.hpp"

namespace twoway::tools {
namespace {

using nlohmann::json;
using namespace twoway::smpp;

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

bool printable_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7F) return false;
  return true;
}

/// A C-string as a JSON string when it is printable ASCII, else {"hex": "..."}.
json cstring_json(std::string_view s) {
  if (printable_ascii(s)) return std::string(s);
  return json{{"hex", to_hex(s)}};
}

json tlv_json(const Tlv& t) {
  json j{{"tag", hex16(t.tag)}, {"length", t.value.size()}, {"hex", to_hex(t.value)}};
  if (auto name = tlv_name(t.tag); !name.empty()) j["name"] = name;
  if (t.value.size() == 1 || t.value.size() == 2 || t.value.size() == 4) {
    TlvList one{t};
    if (auto n = tlv_uint(one, t.tag)) j["int"] = *n;
  }
  if (!t.value.empty() && t.value.back() == '\0' &&
      printable_ascii(t.value.substr(0, t.value.size() - 1)))
    j["cstring"] = std::string(t.value.substr(0, t.value.size() - 1));
  return j;
}

class JsonWriter {
 public:
  explicit JsonWriter(json& j) : j_(j) {}
  bool ok() const { return true; }
  void cstr(std::string_view name, std::string_view& v, std::size_t) { j_[name] = cstring_json(v); }
  void u8(std::string_view name, std::uint8_t& v) { j_[name] = v; }
  void short_message(std::string_view& v) {
    j_["sm_length"] = v.size();
    j_["short_message"] = to_hex(v);
  }
  void tlvs(TlvList& list) {
    json arr = json::array();
    for (const auto& t : list) arr.push_back(tlv_json(t));
    j_["tlvs"] = std::move(arr);
  }
  bool optional_body(bool& present) {
    if (!present) j_["body_present"] = false;
    return present;
  }
  template <class Vec>
  void dest_addresses(Vec& v) {
    j_["number_of_dests"] = v.size();
    json arr = json::array();
    for (const auto& d : v) {
      if (d.dest_flag == 2) {
        arr.push_back({{"dest_flag", 2}, {"dl_name", cstring_json(d.dl_name)}});
      } else {
        arr.push_back({{"dest_flag", d.dest_flag},
                       {"dest_addr_ton", d.dest_addr_ton},
                       {"dest_addr_npi", d.dest_addr_npi},
                       {"destination_addr", cstring_json(d.destination_addr)}});
      }
    }
    j_["dest_addresses"] = std::move(arr);
  }
  template <class Vec>
  void unsuccess_smes(Vec& v) {
    j_["no_unsuccess"] = v.size();
    json arr = json::array();
    for (const auto& u : v) {
      arr.push_back({{"dest_addr_ton", u.dest_addr_ton},
                     {"dest_addr_npi", u.dest_addr_npi},
                     {"destination_addr", cstring_json(u.destination_addr)},
                     {"error_status_code", hex32(u.error_status_code)}});
    }
    j_["unsuccess_smes"] = std::move(arr);
  }

 private:
  json& j_;
};

/// Reads fields back; remembers the first problem.
class JsonReader {
 public:
  JsonReader(const json& j, JsonPduStorage& storage) : j_(j), storage_(storage) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  void cstr(std::string_view name, std::string_view& v, std::size_t) { v = read_cstring(j_, name); }
  void u8(std::string_view name, std::uint8_t& v) { v = read_u8(j_, name); }
  void short_message(std::string_view& v) {
    if (!j_.contains("short_message")) return;
    auto bytes = bytes_of(j_["short_message"], "short_message");
    v = storage_.keep(std::move(bytes));
  }
  void tlvs(TlvList& list) {
    list.clear();
    if (!j_.contains("tlvs")) return;
    for (const auto& t : j_["tlvs"]) {
      Tlv tlv;
      if (t.contains("tag")) {
        tlv.tag = static_cast<std::uint16_t>(read_number(t["tag"], "tlvs.tag", 0xFFFF));
      } else if (t.contains("name")) {
        auto tag = tlv_by_name(t["name"].get<std::string>());
        if (!tag) return fail("tlvs: unknown TLV name " + t["name"].get<std::string>());
        tlv.tag = *tag;
      } else {
        return fail("tlvs: each TLV needs a tag or a name");
      }
      if (t.contains("hex")) {
        tlv.value = storage_.keep(bytes_of(t["hex"], "tlvs.hex"));
      } else if (t.contains("cstring")) {
        tlv.value = storage_.keep(t["cstring"].get<std::string>() + std::string(1, '\0'));
      } else if (t.contains("int") && t.contains("length")) {
        const auto n = read_number(t["int"], "tlvs.int", 0xFFFFFFFF);
        const auto len = read_number(t["length"], "tlvs.length", 4);
        std::string bytes;
        for (auto i = len; i > 0; --i) bytes.push_back(static_cast<char>(n >> (8 * (i - 1))));
        tlv.value = storage_.keep(std::move(bytes));
      }
      list.push_back(tlv);
    }
  }
  bool optional_body(bool& present) {
    present = !(j_.contains("body_present") && j_["body_present"] == false);
    return present;
  }
  template <class Vec>
  void dest_addresses(Vec& v) {
    v.clear();
    if (!j_.contains("dest_addresses")) return;
    for (const auto& d : j_["dest_addresses"]) {
      DestAddress a;
      a.dest_flag = read_u8(d, "dest_flag", 1);
      a.dest_addr_ton = read_u8(d, "dest_addr_ton");
      a.dest_addr_npi = read_u8(d, "dest_addr_npi");
      a.destination_addr = read_cstring(d, "destination_addr");
      a.dl_name = read_cstring(d, "dl_name");
      v.push_back(a);
    }
  }
  template <class Vec>
  void unsuccess_smes(Vec& v) {
    v.clear();
    if (!j_.contains("unsuccess_smes")) return;
    for (const auto& d : j_["unsuccess_smes"]) {
      UnsuccessSme u;
      u.dest_addr_ton = read_u8(d, "dest_addr_ton");
      u.dest_addr_npi = read_u8(d, "dest_addr_npi");
      u.destination_addr = read_cstring(d, "destination_addr");
      if (d.contains("error_status_code"))
        u.error_status_code = static_cast<std::uint32_t>(
            read_number(d["error_status_code"], "error_status_code", 0xFFFFFFFF));
      v.push_back(u);
    }
  }

  std::uint64_t read_number(const json& v, std::string_view name, std::uint64_t max) {
    std::uint64_t n = 0;
    if (v.is_number_unsigned()) {
      n = v.get<std::uint64_t>();
    } else if (v.is_string()) {
      const auto s = v.get<std::string>();
      const bool hex = s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0;
      char* end = nullptr;
      n = std::strtoull(s.c_str() + (hex ? 2 : 0), &end, hex ? 16 : 10);
      if (s.empty() || *end != '\0') {
        fail(std::string(name) + ": not a number: " + s);
        return 0;
      }
    } else {
      fail(std::string(name) + ": expected a number");
      return 0;
    }
    if (n > max) fail(std::string(name) + ": out of range");
    return n;
  }

 private:
  std::uint8_t read_u8(const json& j, std::string_view name, std::uint8_t def = 0) {
    if (!j.contains(name)) return def;
    return static_cast<std::uint8_t>(read_number(j[std::string(name)], name, 0xFF));
  }
  std::string_view read_cstring(const json& j, std::string_view name) {
    if (!j.contains(name)) return {};
    const json& v = j[std::string(name)];
    if (v.is_string()) return storage_.keep(v.get<std::string>());
    if (v.is_object() && v.contains("hex")) return storage_.keep(bytes_of(v["hex"], name));
    fail(std::string(name) + ": expected a string or {\"hex\": ...}");
    return {};
  }
  std::string bytes_of(const json& v, std::string_view name) {
    if (!v.is_string()) {
      fail(std::string(name) + ": expected a hex string");
      return {};
    }
    auto bytes = from_hex(v.get<std::string>());
    if (!bytes) {
      fail(std::string(name) + ": not valid hex");
      return {};
    }
    return *bytes;
  }
  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  const json& j_;
  JsonPduStorage& storage_;
  std::string error_;
};

json udh_json(const Udh& udh) {
  json arr = json::array();
  for (const auto& ie : udh.ies) {
    char iei[8];
    std::snprintf(iei, sizeof iei, "0x%02x", ie.iei);
    json e{{"iei", iei}, {"hex", to_hex(ie.data)}};
    if (ie.iei == iei::concat_8bit || ie.iei == iei::concat_16bit) {
      Udh one;
      one.ies.push_back(ie);
      if (auto c = one.concat())
        e["concat"] = {{"ref", c->ref},
                       {"total", c->total},
                       {"seq", c->seq},
                       {"ref_bits", c->ref_16bit ? 16 : 8}};
    } else if (ie.iei == iei::port_8bit || ie.iei == iei::port_16bit) {
      Udh one;
      one.ies.push_back(ie);
      if (auto p = one.ports()) e["ports"] = {{"dest", p->dest}, {"src", p->src}};
    } else if (ie.iei == iei::single_shift || ie.iei == iei::locking_shift) {
      if (ie.data.size() == 1) e["language"] = static_cast<unsigned char>(ie.data[0]);
    }
    arr.push_back(std::move(e));
  }
  return arr;
}

/// Text, UDH and receipt of a message-carrying PDU.
void interpret(const json& fields, std::uint8_t esm_class, std::uint8_t data_coding,
               std::string_view short_message, const TlvList& tlvs, json& out,
               const ReceiptFields* receipt, DecodeOptions options) {
  std::string_view user_data = short_message;
  if (user_data.empty()) {
    if (auto payload = find_tlv(tlvs, tag::message_payload)) user_data = *payload;
  }
  if (esm_class & esm::udhi) {
    Udh udh;
    const auto status = parse_udh(user_data, udh);
    if (status == UdhStatus::ok) {
      out["udh"] = udh_json(udh);
      // Packed GSM: the text starts at the septet boundary after the header.
      options.fill_bits =
          static_cast<std::uint8_t>(gsm7::fill_bits(user_data.size() - udh.payload.size()));
      user_data = udh.payload;
      options.single_shift = udh.single_shift().value_or(0);
      options.locking_shift = udh.locking_shift().value_or(0);
    } else {
      out["udh_error"] = to_string(status);
    }
  }
  std::string text;
  const auto result = decode_text(data_coding, user_data, text, options);
  json t{{"encoding", charset_name(result.charset)}};
  if (result.is_text()) t["text"] = text;
  if (result.replaced) t["replaced"] = result.replaced;
  out["text"] = std::move(t);
  if (receipt != nullptr && is_receipt(esm_class)) {
    if (auto r = parse_receipt(*receipt)) {
      json rj{{"message_id", cstring_json(r->message_id)},
              {"state", to_string(r->state)},
              {"stat", cstring_json(r->stat)},
              {"err", cstring_json(r->err)},
              {"id_from_tlv", r->id_from_tlv},
              {"state_from_tlv", r->state_from_tlv}};
      if (r->submit_date) rj["submit_date_unix"] = r->submit_date->unix_seconds();
      if (r->done_date) rj["done_date_unix"] = r->done_date->unix_seconds();
      if (r->sub) rj["sub"] = *r->sub;
      if (r->dlvrd) rj["dlvrd"] = *r->dlvrd;
      if (r->network_error)
        rj["network_error"] = {{"network_type", r->network_error->network_type},
                               {"error_code", r->network_error->error_code}};
      out["receipt"] = std::move(rj);
    }
  }
  (void)fields;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    int n;
    if (c >= '0' && c <= '9')
      n = c - '0';
    else if (c >= 'a' && c <= 'f')
      n = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      n = c - 'A' + 10;
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':')
      continue;
    else
      return std::nullopt;
    if (high < 0) {
      high = n;
    } else {
      out.push_back(static_cast<char>(high * 16 + n));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

nlohmann::json pdu_to_json(const smpp::Pdu& pdu, const smpp::DecodeOptions& text_options) {
  json j;
  j["command_length"] = pdu.header.command_length;
  j["command_id"] = hex32(pdu.header.command_id);
  if (auto name = command_name(pdu.header.command_id); !name.empty()) j["command"] = name;
  j["command_status"] = hex32(pdu.header.command_status);
  if (auto name = status_name(pdu.header.command_status); !name.empty())
    j["command_status_name"] = name;
  j["sequence_number"] = pdu.header.sequence_number;
  Pdu copy = pdu;  // visit_fields takes references
  JsonWriter writer(j);
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Unknown>) {
          j["body_hex"] = to_hex(body.body);
        } else {
          body.visit_fields(writer);
        }
      },
      copy.body);
  if (const auto* sm = pdu.as<ShortMessage>()) {
    const auto fields = receipt_fields(*sm);
    interpret(j, sm->esm_class, sm->data_coding, sm->short_message, sm->tlvs, j,
              pdu.header.command_id == cmd::deliver_sm ? &fields : nullptr, text_options);
  } else if (const auto* ds = pdu.as<DataSm>()) {
    const auto fields = receipt_fields(*ds);
    interpret(j, ds->esm_class, ds->data_coding, {}, ds->tlvs, j, &fields, text_options);
  } else if (const auto* sm = pdu.as<SubmitMulti>()) {
    interpret(j, sm->esm_class, sm->data_coding, sm->short_message, sm->tlvs, j, nullptr,
              text_options);
  }
  return j;
}

std::string pdu_from_json(const nlohmann::json& j, smpp::Pdu& out, JsonPduStorage& storage) {
  if (!j.is_object()) return "expected a JSON object";
  JsonReader reader(j, storage);
  std::uint32_t id = 0;
  if (j.contains("command") && j["command"].is_string()) {
    auto by_name = command_by_name(j["command"].get<std::string>());
    if (!by_name) return "unknown command " + j["command"].get<std::string>();
    id = *by_name;
  } else if (j.contains("command_id")) {
    id = static_cast<std::uint32_t>(reader.read_number(j["command_id"], "command_id", 0xFFFFFFFF));
  } else {
    return "command or command_id is required";
  }
  out = make_pdu(id, 0);
  if (j.contains("command_status"))
    out.header.command_status = static_cast<std::uint32_t>(
        reader.read_number(j["command_status"], "command_status", 0xFFFFFFFF));
  if (j.contains("sequence_number"))
    out.header.sequence_number = static_cast<std::uint32_t>(
        reader.read_number(j["sequence_number"], "sequence_number", 0xFFFFFFFF));
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, Unknown>) {
          if (j.contains("body_hex")) {
            auto bytes = from_hex(j["body_hex"].get<std::string>());
            if (bytes) body.body = storage.keep(std::move(*bytes));
          }
        } else {
          body.visit_fields(reader);
        }
      },
      out.body);
  return reader.error();
}

}  // namespace twoway::tools
