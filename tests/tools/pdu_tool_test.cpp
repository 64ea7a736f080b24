// twoway-pdu: JSON round trips through the library and the real binary's output and exit codes.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "pdu_json.hpp"
#include "smpp/segment.hpp"

namespace twoway::tools {
namespace {

struct Run {
  int status = -1;
  std::string out;
};

Run run(const std::string& args, const std::string& input = {}) {
  // Input goes through a temp file so the command line stays simple.
  char path[] = "/tmp/twoway-pdu-test-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {};
  FILE* f = fdopen(fd, "w");
  std::fputs(input.c_str(), f);
  std::fclose(f);
  const std::string command = std::string(TWOWAY_PDU_BIN) + " " + args + " < " + path;
  Run r;
  FILE* p = popen(command.c_str(), "r");
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(path);
  return r;
}

const char* kDeliverSm =
    "00000036000000050000000000000003000101313535353132333435363700000031323334350000000000000000"
    "00000548656c6c6f";

TEST(PduJson, DecodeThenEncodeRoundTripsByteForByte) {
  for (const std::string& hex :
       {std::string(kDeliverSm),
        std::string("0000001c80000004000000000a342ee1393432353834333135393400"),
        std::string("0000001080000004000000580000000"
                    "1"),
        std::string("0000001d800000090000000000039943536d7363204757000210000134")}) {
    SCOPED_TRACE(hex);
    auto bytes = from_hex(hex);
    ASSERT_TRUE(bytes);
    smpp::Pdu pdu;
    ASSERT_FALSE(smpp::decode(*bytes, pdu));
    const auto j = pdu_to_json(pdu);
    smpp::Pdu back;
    JsonPduStorage storage;
    ASSERT_EQ(pdu_from_json(nlohmann::json::parse(j.dump()), back, storage), "");
    std::string out;
    ASSERT_FALSE(smpp::encode(back, out));
    EXPECT_EQ(to_hex(out), hex);
  }
}

TEST(PduJson, ShowsFieldsByNameAndTheDecodedText) {
  auto bytes = from_hex(kDeliverSm);
  smpp::Pdu pdu;
  ASSERT_FALSE(smpp::decode(*bytes, pdu));
  const auto j = pdu_to_json(pdu);
  EXPECT_EQ(j["command"], "deliver_sm");
  EXPECT_EQ(j["source_addr"], "15551234567");
  EXPECT_EQ(j["destination_addr"], "12345");
  EXPECT_EQ(j["text"]["encoding"], "gsm7");
  EXPECT_EQ(j["text"]["text"], "Hello");
}

TEST(PduTool, DecodePrintsOneJsonObjectPerPduAndExitsZero) {
  auto r = run("decode", std::string(kDeliverSm) + "\n" +
                             "0000001000000015000000000000000"
                             "7\n");
  EXPECT_EQ(r.status, 0);
  std::istringstream lines(r.out);
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(lines, line)) objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0]["text"]["text"], "Hello");
  EXPECT_EQ(objects[1]["command"], "enquire_link");
  EXPECT_EQ(objects[1]["sequence_number"], 7);
}

TEST(PduTool, PackedDecodeReadsTheTextAfterTheUdhFillBits) {
  // The second part of a two-part packed message: its text starts one fill bit after the
  // 6-octet UDH.
  smpp::SegmentOptions so;
  so.gsm7_packed = true;
  const auto plan = smpp::plan_segments(std::string(153, 'a') + "Second part", so);
  ASSERT_EQ(plan.parts.size(), 2u);
  smpp::Pdu pdu;
  pdu.header = smpp::Header{0, smpp::cmd::deliver_sm, 0, 9};
  smpp::ShortMessage sm;
  sm.source_addr = "15551230001";
  sm.destination_addr = "12345";
  sm.esm_class = plan.parts[1].esm_class;
  sm.short_message = plan.parts[1].short_message;
  pdu.body = sm;
  std::string frame;
  ASSERT_FALSE(smpp::encode(pdu, frame));
  auto r = run("decode --packed " + to_hex(frame));
  EXPECT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["text"]["encoding"], "gsm7_packed");
  EXPECT_EQ(j["text"]["text"], "Second part");
  EXPECT_EQ(j["udh"][0]["concat"]["seq"], 2);
}

TEST(PduTool, BadPduPrintsAJsonErrorWithFieldAndOffsetAndExitsOne) {
  auto r = run("decode 00000013800000040000000000000001616263");
  EXPECT_EQ(r.status, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["error"]["field"], "message_id");
  EXPECT_EQ(j["error"]["offset"], 16);
}

TEST(PduTool, EncodeTurnsJsonIntoHex) {
  auto r = run(R"(encode '{"command":"enquire_link","sequence_number":9}')");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "00000010000000150000000000000009\n");
  auto bad = run(R"(encode '{"command":"submit_sm","source_addr":"1234567890123456789012345"}')");
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(nlohmann::json::parse(bad.out)["error"]["field"], "source_addr");
}

TEST(PduTool, SegmentShowsEncodingCountAndWireBytes) {
  auto r = run("segment 'Hi there'");
  ASSERT_EQ(r.status, 0);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["encoding"], "gsm7");
  EXPECT_EQ(j["segments"], 1);
  EXPECT_EQ(j["parts"][0]["short_message"], "4869207468657265");
  auto emoji = nlohmann::json::parse(run("segment 'ok 🙂'").out);
  EXPECT_EQ(emoji["encoding"], "ucs2");
  EXPECT_EQ(emoji["parts"][0]["short_message"], "006f006b0020d83dde42");
}

TEST(PduTool, UsageErrorsExitTwo) {
  EXPECT_EQ(run("frobnicate").status, 2);
  EXPECT_EQ(run("segment").status, 2);
}

}  // namespace
}  // namespace twoway::tools
