// twoway-pdu: decode SMPP PDUs from hex (or raw bytes) to JSON, encode JSON to hex, and show
// how a text would be encoded and segmented on the wire. For the engineer at a terminal.
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "pdu_json.hpp"
#include "smpp/segment.hpp"

namespace {

using nlohmann::json;
using namespace twoway;

constexpr const char* kUsage = R"(usage:
  twoway-pdu decode [HEX...]          decode PDUs given as hex arguments, or one hex PDU per
                                      line on standard input; prints one JSON object per PDU
  twoway-pdu decode --raw             decode a raw byte stream from standard input
       --packed                       data_coding 0 (and the GSM classes) is packed GSM 7-bit
  twoway-pdu encode [JSON]            print the hex of the PDU each JSON object describes
                                      (argument, or one object per line on standard input)
       --lenient                      allow over-long C-strings and a 255-octet short_message
  twoway-pdu segment TEXT             show encoding, segment count and each segment's bytes
       --concat udh8|udh16|sar|payload   concatenation method (default udh8)
       --packed                       GSM 7-bit packed on the wire
       --smart                        replace look-alikes (curly quotes, dashes) by GSM chars
       --ref N                        concatenation reference number (default 0)
exit status: 0 ok, 1 a PDU or JSON was bad, 2 usage)";

int usage_error(const std::string& message) {
  std::cerr << "twoway-pdu: " << message << "\n" << kUsage << "\n";
  return 2;
}

void print_error(const std::string& code, const std::string& message, std::string_view field = {},
                 std::optional<std::size_t> offset = std::nullopt, std::size_t index = 0) {
  json e{{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  if (offset) e["offset"] = *offset;
  std::cout << json{{"error", e}, {"index", index}}.dump() << "\n";
}

/// Decodes one frame; prints JSON or a JSON error. Returns false on error.
bool decode_one(std::string_view frame, std::size_t index, const smpp::DecodeOptions& text) {
  smpp::Pdu pdu;
  const auto check = smpp::check_frame(frame);
  if (check.kind == smpp::FrameCheck::Kind::invalid) {
    print_error("invalid_command_length", check.error.message(), "command_length", 0, index);
    return false;
  }
  if (check.kind == smpp::FrameCheck::Kind::need_more) {
    print_error("truncated",
                "PDU is shorter than its command_length (" + std::to_string(frame.size()) + " of " +
                    std::to_string(check.length) + " octets)",
                "command_length", 0, index);
    return false;
  }
  if (frame.size() > check.length) {
    print_error("trailing_octets",
                std::to_string(frame.size() - check.length) + " octets beyond command_length " +
                    std::to_string(check.length),
                "command_length", check.length, index);
    return false;
  }
  const auto error = smpp::decode(frame, pdu);
  if (error) {
    print_error(
        error.code == smpp::errc::cstring_unterminated ? "cstring_unterminated" : "decode_error",
        error.code.message(), error.field, error.offset, index);
    return false;
  }
  std::cout << tools::pdu_to_json(pdu, text).dump(-1, ' ', false, json::error_handler_t::replace)
            << "\n";
  return true;
}

int cmd_decode(const std::vector<std::string>& args) {
  bool raw = false;
  smpp::DecodeOptions text;
  std::vector<std::string> hexes;
  for (const auto& a : args) {
    if (a == "--raw")
      raw = true;
    else if (a == "--packed")
      text.default_alphabet = smpp::DefaultAlphabet::gsm7_packed;
    else if (a.rfind("--", 0) == 0)
      return usage_error("unknown option " + a);
    else
      hexes.push_back(a);
  }
  bool all_ok = true;
  std::size_t index = 0;
  if (raw) {
    std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    std::string_view rest = bytes;
    while (!rest.empty()) {
      const auto check = smpp::check_frame(rest);
      if (check.kind != smpp::FrameCheck::Kind::ready) {
        all_ok = decode_one(rest, index, text) && all_ok;
        break;
      }
      all_ok = decode_one(rest.substr(0, check.length), index++, text) && all_ok;
      rest.remove_prefix(check.length);
    }
    return all_ok ? 0 : 1;
  }
  if (hexes.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      hexes.push_back(line);
    }
  }
  for (const auto& h : hexes) {
    auto bytes = tools::from_hex(h);
    if (!bytes) {
      print_error("bad_hex", "input is not an even number of hex digits", {}, std::nullopt, index);
      all_ok = false;
    } else {
      all_ok = decode_one(*bytes, index, text) && all_ok;
    }
    ++index;
  }
  return all_ok ? 0 : 1;
}

int cmd_encode(const std::vector<std::string>& args) {
  smpp::EncodeOptions options;
  std::vector<std::string> inputs;
  for (const auto& a : args) {
    if (a == "--lenient") {
      options.enforce_cstring_max = false;
      options.max_short_message = 255;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    std::string line;
    while (std::getline(std::cin, line))
      if (line.find_first_not_of(" \t\r") != std::string::npos) inputs.push_back(line);
  }
  bool all_ok = true;
  std::string out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    json j = json::parse(inputs[i], nullptr, false);
    if (j.is_discarded()) {
      print_error("bad_json", "input is not valid JSON", {}, std::nullopt, i);
      all_ok = false;
      continue;
    }
    smpp::Pdu pdu;
    tools::JsonPduStorage storage;
    if (auto problem = tools::pdu_from_json(j, pdu, storage); !problem.empty()) {
      print_error("bad_field", problem, {}, std::nullopt, i);
      all_ok = false;
      continue;
    }
    out.clear();
    if (auto error = smpp::encode(pdu, out, options)) {
      print_error("encode_error", error.code.message(), error.field, error.offset, i);
      all_ok = false;
      continue;
    }
    std::cout << tools::to_hex(out) << "\n";
  }
  return all_ok ? 0 : 1;
}

int cmd_segment(const std::vector<std::string>& args) {
  smpp::SegmentOptions options;
  std::string text;
  bool have_text = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--packed") {
      options.gsm7_packed = true;
    } else if (a == "--smart") {
      options.smart_encoding = true;
    } else if (a == "--concat" && i + 1 < args.size()) {
      const auto& v = args[++i];
      if (v == "udh8")
        options.concatenation = smpp::Concatenation::udh8;
      else if (v == "udh16")
        options.concatenation = smpp::Concatenation::udh16;
      else if (v == "sar")
        options.concatenation = smpp::Concatenation::sar;
      else if (v == "payload")
        options.concatenation = smpp::Concatenation::payload;
      else
        return usage_error("--concat takes udh8, udh16, sar or payload");
    } else if (a == "--ref" && i + 1 < args.size()) {
      options.reference = static_cast<std::uint16_t>(std::stoul(args[++i]));
    } else if (a.rfind("--", 0) == 0) {
      return usage_error("unknown option " + a);
    } else if (!have_text) {
      text = a;
      have_text = true;
    } else {
      return usage_error("segment takes one TEXT (quote it)");
    }
  }
  if (!have_text) return usage_error("segment needs a TEXT");
  const auto plan = smpp::plan_segments(text, options);
  json j;
  j["encoding"] = plan.encoding == smpp::TextEncoding::gsm7   ? "gsm7"
                  : plan.encoding == smpp::TextEncoding::ucs2 ? "ucs2"
                                                              : "latin1";
  char dc[8];
  std::snprintf(dc, sizeof dc, "0x%02x", plan.data_coding);
  j["data_coding"] = dc;
  j["segments"] = plan.segments;
  j["units"] = plan.units;
  json parts = json::array();
  for (const auto& p : plan.parts) {
    json pj{{"short_message", tools::to_hex(p.short_message)},
            {"sm_length", p.short_message.size()}};
    char esm[8];
    std::snprintf(esm, sizeof esm, "0x%02x", p.esm_class);
    pj["esm_class"] = esm;
    if (options.concatenation == smpp::Concatenation::sar)
      pj["sar"] = {{"sar_msg_ref_num", p.sar_ref},
                   {"sar_total_segments", p.sar_total},
                   {"sar_segment_seqnum", p.sar_seq}};
    parts.push_back(std::move(pj));
  }
  j["parts"] = std::move(parts);
  if (options.concatenation == smpp::Concatenation::payload)
    j["message_payload"] = tools::to_hex(plan.payload);
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage_error("missing command");
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage << "\n";
    return 0;
  }
  try {
    if (command == "decode") return cmd_decode(args);
    if (command == "encode") return cmd_encode(args);
    if (command == "segment") return cmd_segment(args);
  } catch (const std::exception& e) {
    print_error("internal", e.what());
    return 1;
  }
  return usage_error("unknown command " + command);
}
