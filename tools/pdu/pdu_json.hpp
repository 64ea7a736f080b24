// JSON forms of PDUs for twoway-pdu: one object per PDU with every field by its spec name;
// from_json reads the same shape back so that decode -> encode round-trips byte for byte.
#pragma once

#include <deque>
#include <nlohmann/json.hpp>
#include <string>

#include "smpp/charset.hpp"
#include "smpp/codec.hpp"

namespace twoway::tools {

/// Header and body fields, TLVs (by name, unknown ones by tag), and the interpretations a
/// person wants to see: decoded text with its encoding, UDH elements, delivery receipt.
nlohmann::json pdu_to_json(const smpp::Pdu& pdu, const smpp::DecodeOptions& text_options = {});

/// Holds the bytes that a Pdu built from JSON points into.
struct JsonPduStorage {
  std::deque<std::string> strings;
  std::string_view keep(std::string s) { return strings.emplace_back(std::move(s)); }
};

/// Builds a Pdu from the JSON shape pdu_to_json prints (command by name or id; missing
/// fields take their defaults). Returns "" on success, else the problem.
std::string pdu_from_json(const nlohmann::json& j, smpp::Pdu& out, JsonPduStorage& storage);

std::string to_hex(std::string_view bytes);
/// Parses hex (whitespace ignored); nullopt when a character is not hex or the count is odd.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace twoway::tools
