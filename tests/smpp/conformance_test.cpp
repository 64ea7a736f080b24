// Conformance against the public test vectors in ../shared/reference/smpp-vectors.tsv: every
// well-formed vector decodes to the expected fields and re-encodes byte for byte, every
// NEGATIVE one fails cleanly, STREAM ones frame correctly. Skips itself where the file is absent.
#include <gtest/gtest.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "smpp/codec.hpp"
#include "test_util.hpp"

namespace twoway::smpp {
namespace {

using test::from_hex;
using test::to_hex;

struct Vector {
  int line = 0;
  std::string pdu_type;
  std::string hex;
  std::string expected;
  std::string notes;
};

std::vector<Vector> load_vectors(std::string& why_not) {
  const std::string path = std::string(TWOWAY_SHARED_REFERENCE) + "/smpp-vectors.tsv";
  std::ifstream in(path);
  if (!in) {
    why_not = "no vector file at " + path;
    return {};
  }
  std::vector<Vector> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) continue;  // column names
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() < 5) continue;
    out.push_back(Vector{n, cols[1], cols[2], cols[3], cols[4]});
  }
  return out;
}

/// Splits "a=1; b=\"x; y\"; tlv:n(0x1,len=1)=2" into key/value pairs. A new field starts at
/// "; " followed by a field name and '=' or '(' — values may contain "; " themselves.
std::vector<std::pair<std::string, std::string>> split_fields(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  auto is_key_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '[' ||
           c == ']';
  };
  auto next_field = [&](std::size_t from) {
    for (std::size_t i = from; i + 2 < s.size(); ++i) {
      if (s[i] != ';' || s[i + 1] != ' ') continue;
      std::size_t j = i + 2;
      while (j < s.size() && is_key_char(s[j])) ++j;
      if (j > i + 2 && j < s.size() && (s[j] == '=' || s[j] == '(')) return i;
    }
    return std::string::npos;
  };
  while (start < s.size()) {
    const std::size_t end = next_field(start);
    const std::string item = s.substr(start, end == std::string::npos ? end : end - start);
    // The key ends at the first '=' that is not inside a tlv:(...) parenthesis.
    std::size_t eq = std::string::npos;
    int depth = 0;
    for (std::size_t i = 0; i < item.size(); ++i) {
      if (item[i] == '(') ++depth;
      if (item[i] == ')') --depth;
      if (item[i] == '=' && depth == 0) {
        eq = i;
        break;
      }
    }
    if (eq != std::string::npos) out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return out;
}

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (unsigned char c : v) {
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

/// Collects decoded fields as the vector file writes them.
class Collector {
 public:
  std::map<std::string, std::string> fields;
  bool ok() const { return true; }
  void cstr(std::string_view name, std::string_view& v, std::size_t) { put(name, quoted(v)); }
  void u8(std::string_view name, std::uint8_t& v) { put(name, std::to_string(v)); }
  void short_message(std::string_view& v) {
    put("sm_length", std::to_string(v.size()));
    put("short_message", v.empty() ? "\"\"" : "0x" + to_hex(v));
  }
  void tlvs(TlvList& list) {
    for (const auto& t : list) {
      const auto name = tlv_name(t.tag);
      char tag[8];
      std::snprintf(tag, sizeof tag, "0x%04x", t.tag);
      put("tlv:" + std::string(name) + "(" + tag + ",len=" + std::to_string(t.value.size()) + ")",
          "0x" + to_hex(t.value));
    }
  }
  bool optional_body(bool& present) { return present; }
  template <class Vec>
  void dest_addresses(Vec& v) {
    put("number_of_dests", std::to_string(v.size()));
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto& d = v[i];
      put("dest[" + std::to_string(i) + "]", d.dest_flag == 1
                                                 ? "sme ton=" + std::to_string(d.dest_addr_ton) +
                                                       " npi=" + std::to_string(d.dest_addr_npi) +
                                                       " addr=" + std::string(d.destination_addr)
                                                 : "dl_name=" + std::string(d.dl_name));
    }
  }
  template <class Vec>
  void unsuccess_smes(Vec& v) {
    put("no_unsuccess", std::to_string(v.size()));
    for (std::size_t i = 0; i < v.size(); ++i) {
      char status[16];
      std::snprintf(status, sizeof status, "0x%08x", v[i].error_status_code);
      put("unsuccess[" + std::to_string(i) + "]",
          "ton=" + std::to_string(v[i].dest_addr_ton) +
              " npi=" + std::to_string(v[i].dest_addr_npi) +
              " addr=" + std::string(v[i].destination_addr) + " status=" + status);
    }
  }

 private:
  void put(std::string_view k, std::string v) { fields[std::string(k)] = std::move(v); }
};

std::optional<std::uint64_t> parse_number(std::string v) {
  if (auto paren = v.find('('); paren != std::string::npos) v = v.substr(0, paren);
  std::uint64_t n = 0;
  const int base = v.rfind("0x", 0) == 0 ? 16 : 10;
  const char* b = v.data() + (base == 16 ? 2 : 0);
  auto [p, ec] = std::from_chars(b, v.data() + v.size(), n, base);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

/// Compares one expected field with what was decoded; returns "" when they agree.
std::string compare(const std::string& key, const std::string& want,
                    const std::map<std::string, std::string>& got) {
  if (key.rfind("tlv:", 0) == 0) {
    // want: 52 | 0x5465 ("Te") | "38601fa\x00"
    auto it = got.find(key);
    if (it == got.end()) return "missing " + key;
    std::string want_hex;
    if (want.rfind("0x", 0) == 0) {
      want_hex = want.substr(0, want.find(' '));
    } else if (!want.empty() && want[0] == '"') {
      std::string raw;
      for (std::size_t i = 1; i + 1 < want.size(); ++i) {
        if (want[i] == '\\' && want[i + 1] == 'x' && i + 3 < want.size()) {
          raw.push_back(static_cast<char>(std::stoi(want.substr(i + 2, 2), nullptr, 16)));
          i += 3;
        } else {
          raw.push_back(want[i]);
        }
      }
      want_hex = "0x" + to_hex(raw);
    } else if (auto n = parse_number(want)) {
      // A decimal value: compare as an integer of the TLV's own length.
      auto got_n = parse_number(it->second);
      return got_n == n ? "" : key + ": want " + want + " got " + it->second;
    }
    return it->second == want_hex ? "" : key + ": want " + want_hex + " got " + it->second;
  }
  auto it = got.find(key);
  if (it == got.end()) return "missing " + key;
  if (!want.empty() && want[0] == '"') {
    return it->second == want ? "" : key + ": want " + want + " got " + it->second;
  }
  if (key == "short_message" || key.rfind("dest[", 0) == 0 || key.rfind("unsuccess[", 0) == 0) {
    return it->second == want ? "" : key + ": want " + want + " got " + it->second;
  }
  auto w = parse_number(want);
  auto g = parse_number(it->second);
  if (!w || !g) return key + ": cannot compare " + want + " with " + it->second;
  return *w == *g ? "" : key + ": want " + want + " got " + it->second;
}

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    vectors_ = load_vectors(why);
    if (vectors_.empty()) GTEST_SKIP() << "conformance vectors not available: " << why;
  }
  std::vector<Vector> vectors_;
};

bool is_negative(const Vector& v) {
  return v.notes.find("NEGATIVE") != std::string::npos;
}
bool is_stream(const Vector& v) {
  return v.notes.find("STREAM") != std::string::npos;
}

TEST_F(Conformance, WellFormedVectorsDecodeToTheExpectedFieldsAndReencodeByteForByte) {
  int checked = 0;
  for (const auto& v : vectors_) {
    if (is_negative(v) || is_stream(v)) continue;
    SCOPED_TRACE("vector line " + std::to_string(v.line) + " " + v.notes.substr(0, 80));
    const std::string bytes = from_hex(v.hex);
    auto check = check_frame(bytes);
    ASSERT_EQ(check.kind, FrameCheck::Kind::ready);
    ASSERT_EQ(check.length, bytes.size());
    Pdu pdu;
    auto error = decode(bytes, pdu);
    ASSERT_FALSE(error) << error.code.message() << " at " << error.field;
    Collector c;
    c.fields["command_length"] = std::to_string(pdu.header.command_length);
    c.fields["command_id"] = std::to_string(pdu.header.command_id);
    c.fields["command_status"] = std::to_string(pdu.header.command_status);
    c.fields["sequence_number"] = std::to_string(pdu.header.sequence_number);
    std::visit(
        [&](auto& body) {
          if constexpr (requires { body.visit_fields(c); }) body.visit_fields(c);
        },
        pdu.body);
    for (const auto& [key, want] : split_fields(v.expected)) {
      if (key == "sm_decoded" || key == "udh" || key == "payload") continue;  // interpretations
      EXPECT_EQ(compare(key, want, c.fields), "");
    }
    // Round trip: the codec's own encoder gives the same bytes. Inputs that only a lenient
    // decoder takes (an over-long C-string, sm_length 255) are encoded with the maxima
    // relaxed, as `twoway-pdu encode --lenient` does; strict encode must refuse them.
    std::string out;
    EncodeOptions options;
    if (v.notes.find("max") != std::string::npos) {
      std::string strict_out;
      EXPECT_TRUE(encode(pdu, strict_out)) << "strict encode accepted an over-long field";
      options.enforce_cstring_max = false;
      options.max_short_message = 255;
    }
    auto enc = encode(pdu, out, options);
    ASSERT_FALSE(enc) << enc.code.message() << " at " << enc.field;
    EXPECT_EQ(to_hex(out), to_hex(bytes));
    ++checked;
  }
  EXPECT_GT(checked, 80);
}

TEST_F(Conformance, NegativeVectorsFailCleanly) {
  int checked = 0;
  for (const auto& v : vectors_) {
    if (!is_negative(v)) continue;
    SCOPED_TRACE("vector line " + std::to_string(v.line) + " " + v.notes.substr(0, 100));
    const std::string bytes = from_hex(v.hex);
    auto check = check_frame(bytes);
    ++checked;
    if (v.pdu_type.rfind("partial", 0) == 0) {
      EXPECT_EQ(check.kind, FrameCheck::Kind::need_more);  // consume nothing, wait
      continue;
    }
    if (check.kind == FrameCheck::Kind::invalid) {
      EXPECT_TRUE(check.error);  // unrecoverable: nack and close
      continue;
    }
    if (check.kind == FrameCheck::Kind::need_more) {
      // A frame that never completes: the framer waits, it never reads past the buffer.
      EXPECT_LT(bytes.size(), check.length);
      continue;
    }
    Pdu pdu;
    auto error = decode(bytes.substr(0, check.length), pdu);
    if (v.pdu_type == "UNKNOWN") {
      // Recoverable: the whole frame is consumed, the caller answers generic_nack (requests).
      EXPECT_NE(pdu.as<Unknown>(), nullptr);
      EXPECT_EQ(make_response(pdu.header, status::invcmdid).header.command_id, cmd::generic_nack);
      continue;
    }
    if (bytes.size() > check.length) {
      // Trailing octets beyond command_length belong to the next frame: the frame itself
      // must decode, and the framer leaves the rest for later.
      EXPECT_FALSE(error);
      continue;
    }
    EXPECT_TRUE(error) << "decoded without error";
  }
  EXPECT_GE(checked, 8);
}

TEST_F(Conformance, StreamVectorsFrameCorrectly) {
  int checked = 0;
  for (const auto& v : vectors_) {
    if (!is_stream(v)) continue;
    SCOPED_TRACE("vector line " + std::to_string(v.line));
    std::string buffer = from_hex(v.hex);
    std::vector<Header> decoded;
    while (true) {
      auto check = check_frame(buffer);
      if (check.kind != FrameCheck::Kind::ready) break;
      Pdu pdu;
      (void)decode(std::string_view(buffer).substr(0, check.length), pdu);
      decoded.push_back(pdu.header);
      buffer.erase(0, check.length);
    }
    ASSERT_FALSE(decoded.empty());
    EXPECT_EQ(decoded.front().command_length, parse_number(split_fields(v.expected)[0].second));
    // Whatever is left is an incomplete frame: the framer waits for it.
    EXPECT_EQ(check_frame(buffer).kind, FrameCheck::Kind::need_more);
    if (v.notes.find("decodeBadPduButSkipAllDataInBuffer") != std::string::npos) {
      ASSERT_EQ(decoded.size(), 2u);
      EXPECT_EQ(decoded[1].command_id, cmd::enquire_link);
      EXPECT_EQ(decoded[1].sequence_number, 171192039u);
    }
    if (v.notes.find("ReadRequiredInBetween") != std::string::npos) {
      ASSERT_EQ(decoded.size(), 1u);
      buffer += from_hex("f1");
      auto check = check_frame(buffer);
      ASSERT_EQ(check.kind, FrameCheck::Kind::ready);
      EXPECT_EQ(check.sequence_number, 171192049u);
    }
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

}  // namespace
}  // namespace twoway::smpp
