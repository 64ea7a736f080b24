// Tests for the User Data Header parser: IEs, typed accessors, and clean errors on bad lengths.
#include "smpp/udh.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace twoway::smpp {
namespace {

std::string octets(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Udh, Concat8BitSplitsHeaderFromPayload) {
  const std::string data = octets({0x05, 0x00, 0x03, 0x2A, 0x03, 0x02}) + "hello";
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  EXPECT_EQ(udh.header_length, 6u);
  EXPECT_EQ(udh.payload, "hello");
  ASSERT_EQ(udh.ies.size(), 1u);
  EXPECT_EQ(udh.ies[0].iei, iei::concat_8bit);
  auto c = udh.concat();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ref, 42);
  EXPECT_EQ(c->total, 3);
  EXPECT_EQ(c->seq, 2);
  EXPECT_FALSE(c->ref_16bit);
  EXPECT_TRUE(c->valid());
  EXPECT_FALSE(udh.ports());
}

TEST(Udh, Concat16BitReadsBigEndianRef) {
  const std::string data = octets({0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01}) + "x";
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  auto c = udh.concat();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ref, 0x1234);
  EXPECT_EQ(c->total, 2);
  EXPECT_EQ(c->seq, 1);
  EXPECT_TRUE(c->ref_16bit);
  EXPECT_EQ(udh.payload, "x");
}

TEST(Udh, ConcatValidityRules) {
  EXPECT_FALSE((ConcatInfo{1, 0, 0, false}.valid()));
  EXPECT_FALSE((ConcatInfo{1, 3, 0, false}.valid()));
  EXPECT_FALSE((ConcatInfo{1, 3, 4, false}.valid()));
  EXPECT_TRUE((ConcatInfo{1, 3, 3, false}.valid()));
  EXPECT_TRUE((ConcatInfo{1, 1, 1, false}.valid()));
}

TEST(Udh, WapPushPorts16BitAndConcatTogether) {
  const std::string data =
      octets({0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x01, 0x55});
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  EXPECT_EQ(udh.header_length, 12u);
  auto p = udh.ports();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->dest, 2948);
  EXPECT_EQ(p->src, 9200);
  EXPECT_TRUE(p->ports_16bit);
  auto c = udh.concat();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ref, 7);
  EXPECT_EQ(c->total, 2);
  EXPECT_EQ(c->seq, 1);
  EXPECT_EQ(udh.payload, octets({0x55}));
}

TEST(Udh, Ports8Bit) {
  const std::string data = octets({0x04, 0x04, 0x02, 0x10, 0x20}) + "body";
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  auto p = udh.ports();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->dest, 0x10);
  EXPECT_EQ(p->src, 0x20);
  EXPECT_FALSE(p->ports_16bit);
}

TEST(Udh, NationalLanguageShifts) {
  const std::string data = octets({0x06, 0x24, 0x01, 0x01, 0x25, 0x01, 0x02}) + "a";
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  EXPECT_EQ(udh.single_shift(), std::optional<std::uint8_t>{1});
  EXPECT_EQ(udh.locking_shift(), std::optional<std::uint8_t>{2});
  EXPECT_FALSE(udh.concat());
}

TEST(Udh, ZeroLengthHeaderIsValid) {
  const std::string data = octets({0x00}) + "hi";
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  EXPECT_TRUE(udh.ies.empty());
  EXPECT_EQ(udh.payload, "hi");
  EXPECT_EQ(udh.header_length, 1u);
}

TEST(Udh, HeaderOnlyNoPayload) {
  const std::string data = octets({0x05, 0x00, 0x03, 0x01, 0x02, 0x02});
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  EXPECT_TRUE(udh.payload.empty());
}

TEST(Udh, EmptyUserDataIsAnError) {
  Udh udh;
  EXPECT_EQ(parse_udh({}, udh), UdhStatus::empty);
}

TEST(Udh, UdhlPastDataIsAnErrorAndClearsOutput) {
  const std::string data = octets({0x05, 0x00, 0x03, 0x01});
  Udh udh;
  udh.ies.push_back(UdhIe{0x70, "stale"});
  EXPECT_EQ(parse_udh(data, udh), UdhStatus::udhl_overrun);
  EXPECT_TRUE(udh.ies.empty());
  EXPECT_EQ(udh.header_length, 0u);
  EXPECT_EQ(udh.payload, data);
  EXPECT_FALSE(udh.concat());
}

TEST(Udh, IeLengthPastUdhlIsAnError) {
  // UDHL 3 but the IE claims 3 data octets (needs 5).
  const std::string data = octets({0x03, 0x00, 0x03, 0x01, 0x02, 0x03});
  Udh udh;
  EXPECT_EQ(parse_udh(data, udh), UdhStatus::ie_overrun);
  EXPECT_TRUE(udh.ies.empty());
}

TEST(Udh, TruncatedIeHeaderIsAnError) {
  const std::string data = octets({0x01, 0x00, 0x41});
  Udh udh;
  EXPECT_EQ(parse_udh(data, udh), UdhStatus::ie_overrun);
}

TEST(Udh, ConcatIeOfWrongLengthIsIgnored) {
  const std::string data = octets({0x04, 0x00, 0x02, 0x01, 0x02});
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  EXPECT_FALSE(udh.concat());
  ASSERT_NE(udh.find(iei::concat_8bit), nullptr);
}

TEST(Udh, RepeatedIeLastOccurrenceWins) {
  const std::string data =
      octets({0x0A, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 0x03, 0x09, 0x04, 0x03});
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  auto c = udh.concat();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ref, 9);
  EXPECT_EQ(c->total, 4);
  EXPECT_EQ(c->seq, 3);
}

TEST(Udh, UnknownIeIsKeptAsView) {
  const std::string data = octets({0x04, 0x70, 0x02, 0xAA, 0xBB, 0x31});
  Udh udh;
  ASSERT_EQ(parse_udh(data, udh), UdhStatus::ok);
  const UdhIe* ie = udh.find(0x70);
  ASSERT_NE(ie, nullptr);
  EXPECT_EQ(ie->data, octets({0xAA, 0xBB}));
  EXPECT_EQ(udh.payload, "1");
}

TEST(Udh, EveryTruncationOfAValidHeaderFailsCleanly) {
  const std::string full =
      octets({0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x01});
  for (std::size_t n = 0; n < full.size(); ++n) {
    Udh udh;
    EXPECT_NE(parse_udh(std::string_view(full).substr(0, n), udh), UdhStatus::ok) << n;
  }
  Udh udh;
  EXPECT_EQ(parse_udh(full, udh), UdhStatus::ok);
}

TEST(Udh, StatusNames) {
  EXPECT_EQ(to_string(UdhStatus::ok), "ok");
  EXPECT_EQ(to_string(UdhStatus::udhl_overrun), "udhl_overrun");
  EXPECT_EQ(to_string(UdhStatus::ie_overrun), "ie_overrun");
}

}  // namespace
}  // namespace twoway::smpp
