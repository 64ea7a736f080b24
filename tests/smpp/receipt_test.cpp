// Tests for delivery receipts: detection, the text variants SMSCs send, TLV preference, and
// message-id keys across bases, padding and case.
#include "smpp/receipt.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace twoway::smpp {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

std::string octets(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Receipt, DetectionUsesTheMessageTypeMask) {
  EXPECT_TRUE(is_receipt(0x04));
  EXPECT_TRUE(is_receipt(0x44));  // with UDHI
  EXPECT_TRUE(is_receipt(0x84));  // with reply path
  EXPECT_TRUE(is_receipt(0x07));  // messaging-mode bits set too
  EXPECT_TRUE(is_receipt(0x20));  // intermediate notification
  EXPECT_FALSE(is_receipt(0x00));
  EXPECT_FALSE(is_receipt(0x40));
  EXPECT_FALSE(is_receipt(0x08));  // SME delivery ack
  EXPECT_FALSE(is_receipt(0x10));
  EXPECT_FALSE(is_receipt(0x24));
}

TEST(Receipt, SpecExampleAllFields) {
  const ReceiptInfo r = parse_receipt_text(
      "id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 "
      "stat:DELIVRD err:000 text:@$#!%&/:");
  EXPECT_EQ(r.message_id, "0059113978");
  EXPECT_EQ(r.sub, std::optional<std::uint32_t>{1});
  EXPECT_EQ(r.dlvrd, std::optional<std::uint32_t>{1});
  EXPECT_EQ(r.submit_date_raw, "1002101730");
  ASSERT_TRUE(r.submit_date);
  EXPECT_EQ(*r.submit_date, (ReceiptDate{2010, 2, 10, 17, 30, 0}));
  EXPECT_EQ(r.submit_date->unix_seconds(), 1265823000);
  ASSERT_TRUE(r.done_date);
  EXPECT_EQ(r.done_date->minute, 31);
  EXPECT_EQ(r.stat, "DELIVRD");
  EXPECT_EQ(r.state, MessageState::delivered);
  EXPECT_EQ(r.err, "000");
  EXPECT_EQ(r.text, "@$#!%&/:");
  EXPECT_FALSE(r.id_from_tlv);
  EXPECT_FALSE(r.state_from_tlv);
}

TEST(Receipt, LabelsInAnyCaseAndCapitalText) {
  const ReceiptInfo r = parse_receipt_text(
      "ID:126e85a6edeac1a02020099312479564 SUB:001 DLVRD:001 Submit Date:1002191630 "
      "DONE DATE:1002191630 Stat:delivrd ERR:000 Text:Hello               ");
  EXPECT_EQ(r.message_id, "126e85a6edeac1a02020099312479564");
  EXPECT_EQ(r.state, MessageState::delivered);
  EXPECT_EQ(r.stat, "delivrd");
  EXPECT_EQ(r.text, "Hello               ");
  ASSERT_TRUE(r.done_date);
}

TEST(Receipt, FieldsOutOfOrder) {
  const ReceiptInfo r =
      parse_receipt_text("stat:UNDELIV err:21b done date:1002101731 id:ABC123 sub:002 dlvrd:000");
  EXPECT_EQ(r.message_id, "ABC123");
  EXPECT_EQ(r.state, MessageState::undeliverable);
  EXPECT_EQ(r.err, "21b");
  EXPECT_EQ(r.sub, std::optional<std::uint32_t>{2});
  EXPECT_EQ(r.dlvrd, std::optional<std::uint32_t>{0});
  EXPECT_FALSE(r.submit_date);
  EXPECT_TRUE(r.done_date);
  EXPECT_TRUE(r.text.empty());
}

TEST(Receipt, MissingSubDlvrdAndText) {
  const ReceiptInfo r = parse_receipt_text(
      "id:94251430923 submit date:0911040124 done date:0911040124 stat:ACCEPTD err:107");
  EXPECT_EQ(r.message_id, "94251430923");
  EXPECT_FALSE(r.sub);
  EXPECT_FALSE(r.dlvrd);
  EXPECT_EQ(r.state, MessageState::accepted);
  EXPECT_EQ(r.err, "107");
  EXPECT_TRUE(r.text.empty());
}

TEST(Receipt, TwelveAndFourteenDigitDates) {
  const ReceiptInfo r =
      parse_receipt_text("id:1 submit date:100210173145 done date:20240229235959 stat:EXPIRED");
  ASSERT_TRUE(r.submit_date);
  EXPECT_EQ(*r.submit_date, (ReceiptDate{2010, 2, 10, 17, 31, 45}));
  EXPECT_EQ(r.submit_date->unix_seconds(), 1265823105);
  ASSERT_TRUE(r.done_date);
  EXPECT_EQ(r.done_date->unix_seconds(), 1709251199);
  EXPECT_EQ(r.state, MessageState::expired);
}

TEST(Receipt, DateParsingRejectsBadInput) {
  EXPECT_FALSE(parse_receipt_date("10021017"));     // 8 digits
  EXPECT_FALSE(parse_receipt_date("10021017300"));  // 11 digits
  EXPECT_FALSE(parse_receipt_date("1013101730"));   // month 13
  EXPECT_FALSE(parse_receipt_date("1002321730"));   // day 32
  EXPECT_FALSE(parse_receipt_date("1002102430"));   // hour 24
  EXPECT_FALSE(parse_receipt_date("10021017x0"));   // not a digit
  EXPECT_FALSE(parse_receipt_date("1000101730"));   // month 0
  EXPECT_TRUE(parse_receipt_date("9912312359"));
  const ReceiptInfo r = parse_receipt_text("id:7 done date:1013101730 stat:DELIVRD");
  EXPECT_FALSE(r.done_date);
  EXPECT_EQ(r.done_date_raw, "1013101730");  // raw kept for logs
}

TEST(Receipt, ErrOfAnyLength) {
  EXPECT_EQ(parse_receipt_text("id:1 stat:DELIVRD err:0").err, "0");
  EXPECT_EQ(parse_receipt_text("id:1 stat:DELIVRD err:0000").err, "0000");
  EXPECT_EQ(parse_receipt_text("id:1 stat:UNDELIV err:21b").err, "21b");
}

TEST(Receipt, BinaryTextIsOpaqueAndLabelsInsideItAreIgnored) {
  const std::string text = octets({0x84, 0x00, 0xFF}) + " stat:REJECTD id:evil";
  const std::string msg = "id:42 stat:DELIVRD err:000 text:" + text;
  const ReceiptInfo r = parse_receipt_text(msg);
  EXPECT_EQ(r.message_id, "42");
  EXPECT_EQ(r.state, MessageState::delivered);
  EXPECT_EQ(r.text, text);
}

TEST(Receipt, Ucs2TextAfterAsciiFields) {
  const std::string ucs2 = octets({0x00, 'H', 0x00, 'i', 0x04, 0x10});
  const std::string msg = "id:5 stat:DELIVRD err:000 text:" + ucs2;  // r views into msg
  const ReceiptInfo r = parse_receipt_text(msg);
  EXPECT_EQ(r.text, ucs2);
}

TEST(Receipt, TrailingNulsAreDropped) {
  const std::string msg = std::string("id:5 stat:DELIVRD err:000") + '\0';
  const ReceiptInfo r = parse_receipt_text(msg);
  EXPECT_EQ(r.err, "000");
  const std::string with_text = std::string("id:5 stat:DELIVRD text:abc") + '\0' + '\0';
  EXPECT_EQ(parse_receipt_text(with_text).text, "abc");
}

TEST(Receipt, TruncatedTrailingLabelIsIgnored) {
  const ReceiptInfo r = parse_receipt_text(
      "id:0000003005 sub:001 dlvrd:001 submit date:1001181431 done date:1001181431 "
      "stat:DELIVRD err:000 te");
  EXPECT_EQ(r.message_id, "0000003005");
  EXPECT_EQ(r.err, "000");
  EXPECT_TRUE(r.text.empty());
}

TEST(Receipt, EmptyValuesAndSpaceAfterColon) {
  const ReceiptInfo r = parse_receipt_text("id: 77 sub: dlvrd:001 stat:  DELIVRD err:");
  EXPECT_EQ(r.message_id, "77");
  EXPECT_FALSE(r.sub);
  EXPECT_EQ(r.dlvrd, std::optional<std::uint32_t>{1});
  EXPECT_EQ(r.stat, "DELIVRD");
  EXPECT_TRUE(r.err.empty());
}

TEST(Receipt, UnknownVendorTokensAreSkipped) {
  const ReceiptInfo r = parse_receipt_text("id:9 mcc:310 stat:DELIVRD foo err:001 nw:abc");
  EXPECT_EQ(r.message_id, "9");
  EXPECT_EQ(r.stat, "DELIVRD");
  EXPECT_EQ(r.err, "001");
}

TEST(Receipt, UnderscoreDateLabels) {
  const ReceiptInfo r = parse_receipt_text("id:9 submit_date:1002101730 done_date:1002101731");
  EXPECT_TRUE(r.submit_date);
  EXPECT_TRUE(r.done_date);
}

TEST(Receipt, StatValuesMapToStates) {
  EXPECT_EQ(state_from_stat("DELIVRD"), MessageState::delivered);
  EXPECT_EQ(state_from_stat("EXPIRED"), MessageState::expired);
  EXPECT_EQ(state_from_stat("DELETED"), MessageState::deleted);
  EXPECT_EQ(state_from_stat("UNDELIV"), MessageState::undeliverable);
  EXPECT_EQ(state_from_stat("ACCEPTD"), MessageState::accepted);
  EXPECT_EQ(state_from_stat("UNKNOWN"), MessageState::unknown);
  EXPECT_EQ(state_from_stat("REJECTD"), MessageState::rejected);
  EXPECT_EQ(state_from_stat("ENROUTE"), MessageState::enroute);
  EXPECT_EQ(state_from_stat("SKIPPED"), MessageState::skipped);
  EXPECT_EQ(state_from_stat("SCHEDULED"), MessageState::scheduled);
  EXPECT_EQ(state_from_stat("delivered"), MessageState::delivered);
  EXPECT_EQ(state_from_stat("Undeliverable"), MessageState::undeliverable);
  EXPECT_EQ(state_from_stat("2"), MessageState::delivered);
  EXPECT_EQ(state_from_stat("FAILED"), MessageState::unknown);
  EXPECT_EQ(state_from_stat(""), MessageState::unknown);
  const ReceiptInfo r = parse_receipt_text("id:1 stat:FAILED");
  EXPECT_EQ(r.state, MessageState::unknown);
  EXPECT_EQ(r.stat, "FAILED");  // raw kept
}

TEST(Receipt, StateNamesAndFinality) {
  EXPECT_EQ(to_string(MessageState::delivered), "DELIVERED");
  EXPECT_EQ(to_string(MessageState::undeliverable), "UNDELIVERABLE");
  EXPECT_TRUE(is_final(MessageState::delivered));
  EXPECT_TRUE(is_final(MessageState::rejected));
  EXPECT_FALSE(is_final(MessageState::enroute));
  EXPECT_TRUE(is_final(MessageState::accepted));
  EXPECT_FALSE(is_final(MessageState::unknown));
  EXPECT_FALSE(is_final(MessageState::scheduled));
  EXPECT_EQ(state_from_number(9), std::optional<MessageState>{MessageState::skipped});
  EXPECT_FALSE(state_from_number(10));
}

TEST(Receipt, IntermediateNotification) {
  ReceiptFields f;
  f.short_message = "id:abc stat:ENROUTE err:000";
  ASSERT_TRUE(is_receipt(0x20));
  auto r = parse_receipt(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, MessageState::enroute);
  EXPECT_FALSE(is_final(r->state));
}

TEST(Receipt, WholeReceiptInMessagePayload) {
  ReceiptFields f;
  const std::string payload =
      "id:1234567890 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 "
      "stat:DELIVRD err:000 text:Hi";
  f.message_payload = payload;
  auto r = parse_receipt(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "1234567890");
  EXPECT_EQ(r->state, MessageState::delivered);
  EXPECT_EQ(r->text, "Hi");
}

TEST(Receipt, TlvsArePreferredOverText) {
  ReceiptFields f;
  f.short_message = "id:0059113978 stat:UNDELIV err:000";
  const std::string id = std::string("38601fa") + '\0';
  const std::string state = octets({0x02});
  const std::string net = octets({0x03, 0x00, 0x0D});
  f.receipted_message_id = id;
  f.message_state = state;
  f.network_error_code = net;
  auto r = parse_receipt(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "38601fa");  // NUL stripped
  EXPECT_TRUE(r->id_from_tlv);
  EXPECT_EQ(r->state, MessageState::delivered);
  EXPECT_TRUE(r->state_from_tlv);
  EXPECT_EQ(r->stat, "UNDELIV");  // raw text kept
  ASSERT_TRUE(r->network_error);
  EXPECT_EQ(*r->network_error, (NetworkError{3, 13}));
}

TEST(Receipt, EmptyOrBadTlvsFallBackToText) {
  ReceiptFields f;
  f.short_message = "id:777 stat:EXPIRED";
  const std::string nul(1, '\0');
  const std::string bad_state = octets({0x0A});
  const std::string bad_net = octets({0x03, 0x00});
  f.receipted_message_id = nul;
  f.message_state = bad_state;
  f.network_error_code = bad_net;
  auto r = parse_receipt(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "777");
  EXPECT_FALSE(r->id_from_tlv);
  EXPECT_EQ(r->state, MessageState::expired);
  EXPECT_FALSE(r->state_from_tlv);
  EXPECT_FALSE(r->network_error);
}

TEST(Receipt, TlvOnlyReceiptWithoutText) {
  ReceiptFields f;
  const std::string id = "A1B2C3";
  const std::string state = octets({0x05});
  f.receipted_message_id = id;
  f.message_state = state;
  auto r = parse_receipt(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "A1B2C3");
  EXPECT_EQ(r->state, MessageState::undeliverable);
  EXPECT_TRUE(r->stat.empty());
}

TEST(Receipt, NoIdAnywhereIsNotAReceipt) {
  ReceiptFields f;
  f.short_message = "Hello, this is an ordinary message";
  EXPECT_FALSE(parse_receipt(f));
  EXPECT_FALSE(parse_receipt(ReceiptFields{}));
}

TEST(Receipt, FieldsFromDecodedDeliverSm) {
  ShortMessage sm;
  sm.esm_class = 0x04;
  sm.short_message = "id:1 stat:DELIVRD";
  const std::string id = std::string("ff01") + '\0';
  const std::string state = octets({0x08});
  sm.tlvs.push_back(Tlv{tag::receipted_message_id, id});
  sm.tlvs.push_back(Tlv{tag::message_state, state});
  auto r = parse_receipt(receipt_fields(sm));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "ff01");
  EXPECT_EQ(r->state, MessageState::rejected);

  DataSm ds;
  const std::string payload = "id:99 stat:DELETED";
  ds.tlvs.push_back(Tlv{tag::message_payload, payload});
  auto d = parse_receipt(receipt_fields(ds));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->message_id, "99");
  EXPECT_EQ(d->state, MessageState::deleted);
}

std::string widen(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back('\0');
    out.push_back(c);
  }
  return out;
}

TEST(Receipt, WholeReceiptInUcs2IsNarrowed) {
  const std::string body = widen("id:A1B2 stat:DELIVRD err:000 text:") + octets({0x04, 0x10});
  ReceiptFields f;
  f.short_message = body;
  EXPECT_FALSE(parse_receipt(f));  // without a scratch buffer the labels are not seen
  std::string scratch;
  auto r = parse_receipt(f, scratch);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ucs2_text);
  EXPECT_EQ(r->message_id, "A1B2");
  EXPECT_EQ(r->state, MessageState::delivered);
  EXPECT_EQ(r->err, "000");
  EXPECT_EQ(r->text, "?");  // U+0410 is outside Latin-1
}

TEST(Receipt, AsciiReceiptIgnoresTheScratchBuffer) {
  ReceiptFields f;
  f.short_message = "id:77 stat:EXPIRED";
  std::string scratch = "untouched";
  auto r = parse_receipt(f, scratch);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->ucs2_text);
  EXPECT_EQ(r->message_id, "77");
  EXPECT_EQ(scratch, "untouched");
}

// --- message ids ---------------------------------------------------------------------------

bool matches(std::string_view submit_id, std::string_view receipt_id) {
  const std::string stored = canonical_message_id(submit_id);
  const MessageIdKeys keys = message_id_keys(receipt_id);
  return std::find(keys.begin(), keys.end(), stored) != keys.end();
}

TEST(MessageId, CanonicalFoldsCaseZerosAndBlanks) {
  EXPECT_EQ(canonical_message_id("33E95179"), "33e95179");
  EXPECT_EQ(canonical_message_id("0000003005"), "3005");
  EXPECT_EQ(canonical_message_id("000"), "0");
  EXPECT_EQ(canonical_message_id(std::string(" ab12\0", 6)), "ab12");
  EXPECT_EQ(canonical_message_id(""), "");
}

TEST(MessageId, KeysInOrderExactThenHexToDecThenDecToHex) {
  EXPECT_THAT(message_id_keys("33E95179"), ElementsAre("33e95179", "870928761"));
  EXPECT_THAT(message_id_keys("0870928761"), ElementsAre("870928761", "36248389473", "33e95179"));
  EXPECT_THAT(message_id_keys("msg-1"), ElementsAre("msg-1"));
  EXPECT_TRUE(message_id_keys("").empty());
  EXPECT_THAT(message_id_keys("0"), ElementsAre("0"));
}

TEST(MessageId, HexSubmitMatchesDecimalReceiptAndBack) {
  EXPECT_TRUE(matches("33E95179", "0870928761"));
  EXPECT_TRUE(matches("0870928761", "33E95179"));
  EXPECT_TRUE(matches("870928761", "33e95179"));
}

TEST(MessageId, HexTlvIdMatchesZeroPaddedDecimalTextId) {
  // A real SMSC pair: receipted_message_id "38601fa", text "id:0059113978" (0x38601FA).
  EXPECT_TRUE(matches("0059113978", "38601fa"));
  EXPECT_TRUE(matches("38601FA", "0059113978"));
}

TEST(MessageId, LeadingZerosAndCase) {
  EXPECT_TRUE(matches("3005", "0000003005"));
  EXPECT_TRUE(matches("0000003005", "3005"));
  EXPECT_TRUE(matches("abcdef", "ABCDEF"));
  EXPECT_TRUE(matches("38601fa", "38601FA"));
  EXPECT_FALSE(matches("38601fa", "38601fb"));
  EXPECT_FALSE(matches("12345", "54321"));
}

TEST(MessageId, LongIdsGetOnlyTheExactKey) {
  EXPECT_THAT(message_id_keys("126e85a6edeac1a02020099312479564"),
              ElementsAre("126e85a6edeac1a02020099312479564"));
  EXPECT_THAT(message_id_keys("99999999999999999999999"), ElementsAre("99999999999999999999999"));
  // 18 decimal digits fit 64 bits: a hex alternate exists, a hex->dec one does not (> 16).
  EXPECT_THAT(message_id_keys("123456789012345678"),
              ElementsAre("123456789012345678", "1b69b4ba630f34e"));
  EXPECT_THAT(message_id_keys("fedcba9876543210"),
              ElementsAre("fedcba9876543210", "18364758544493064720"));
}

TEST(MessageId, UuidWithDashesIsExactOnly) {
  EXPECT_THAT(message_id_keys("6F9619FF-8B86-D011-B42D-00C04FC964FF"),
              ElementsAre("6f9619ff-8b86-d011-b42d-00c04fc964ff"));
}

}  // namespace
}  // namespace twoway::smpp
