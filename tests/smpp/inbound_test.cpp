// smpp::classify_inbound: one deliver_sm / data_sm becomes a receipt, a whole message or a
// part, with everything the gateway needs read in that one call.
#include "smpp/inbound.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

namespace twoway::smpp {
namespace {

using test::from_hex;

Pdu deliver(std::string_view text, std::uint8_t esm_class = 0, std::uint8_t data_coding = 0) {
  Pdu pdu = make_pdu(cmd::deliver_sm, 7);
  auto& sm = *pdu.as<ShortMessage>();
  sm.source_addr_ton = 1;
  sm.source_addr_npi = 1;
  sm.source_addr = "15551230001";
  sm.destination_addr = "15550001111";
  sm.esm_class = esm_class;
  sm.data_coding = data_coding;
  sm.short_message = text;
  return pdu;
}

TEST(ClassifyInbound, APlainDeliverSmIsAWholeMessageWithItsTextDecoded) {
  const Pdu pdu = deliver("Hello there");
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* whole = std::get_if<InboundWhole>(&value);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->text, "Hello there");
  EXPECT_TRUE(whole->decoded.is_text());
  EXPECT_EQ(whole->message.smsc, "sim");
  EXPECT_EQ(whole->message.source, "15551230001");
  EXPECT_EQ(whole->message.destination, "15550001111");
  EXPECT_EQ(whole->origin.source_ton, 1);
  EXPECT_EQ(whole->origin.source_npi, 1);
  EXPECT_EQ(whole->origin.reference, "");
}

TEST(ClassifyInbound, TheBindsDefaultAlphabetDecidesDataCodingZero) {
  const std::string latin = "caf\xE9";  // Latin-1 e-acute
  const Pdu pdu = deliver(latin);
  DecodeOptions options;
  options.default_alphabet = DefaultAlphabet::latin1;
  const auto value = classify_inbound("sim", pdu, options);
  ASSERT_TRUE(std::holds_alternative<InboundWhole>(value));
  EXPECT_EQ(std::get<InboundWhole>(value).text, "caf\xC3\xA9");
}

TEST(ClassifyInbound, AUdh8PartIsASegmentWithItsReference) {
  const std::string sm = from_hex("050003 2A 03 02") + "part two";
  const Pdu pdu = deliver(sm, esm::udhi);
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* seg = std::get_if<InboundSegment>(&value);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->origin.reference, "udh:42/3;");
  EXPECT_EQ(seg->part.smsc, "sim");
  EXPECT_EQ(seg->part.short_message, sm);
  EXPECT_EQ(seg->part.esm_class, esm::udhi);
}

TEST(ClassifyInbound, AUdh16PartIsASegmentWithItsSixteenBitReference) {
  const std::string sm = from_hex("060804 1234 02 01") + "first";
  const Pdu pdu = deliver(sm, esm::udhi);
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* seg = std::get_if<InboundSegment>(&value);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->origin.reference, "udh:4660/2;");
}

TEST(ClassifyInbound, AUdhOfOnePartIsAWholeMessageWithoutTheHeader) {
  const std::string sm = from_hex("050003 2A 01 01") + "alone";
  const Pdu pdu = deliver(sm, esm::udhi);
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  ASSERT_TRUE(std::holds_alternative<InboundWhole>(value));
  EXPECT_EQ(std::get<InboundWhole>(value).text, "alone");
}

TEST(ClassifyInbound, SarTlvsMakeASegmentAndAreRead) {
  Pdu pdu = deliver("second half");
  const std::string ref = from_hex("012C"), total = from_hex("02"), seq = from_hex("02");
  auto& tlvs = pdu.as<ShortMessage>()->tlvs;
  tlvs.push_back(Tlv{tag::sar_msg_ref_num, ref});
  tlvs.push_back(Tlv{tag::sar_total_segments, total});
  tlvs.push_back(Tlv{tag::sar_segment_seqnum, seq});
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* seg = std::get_if<InboundSegment>(&value);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->origin.reference, "sar:300/2;");
  EXPECT_EQ(seg->part.sar_msg_ref_num, 300);
  EXPECT_EQ(seg->part.sar_total_segments, 2);
  EXPECT_EQ(seg->part.sar_segment_seqnum, 2);
}

TEST(ClassifyInbound, UserMessageReferenceIsPartOfTheReferenceAndTheIdentity) {
  Pdu pdu = deliver("hi");
  const std::string umr = from_hex("0007");
  pdu.as<ShortMessage>()->tlvs.push_back(Tlv{tag::user_message_reference, umr});
  auto value = classify_inbound("sim", pdu, DecodeOptions{});
  ASSERT_TRUE(std::holds_alternative<InboundWhole>(value));
  EXPECT_EQ(std::get<InboundWhole>(value).origin.reference, "umr:7;");

  const std::string first = from_hex("050003 09 02 01") + "one";  // the PDU views into it
  Pdu part = deliver(first, esm::udhi);
  part.as<ShortMessage>()->tlvs.push_back(Tlv{tag::user_message_reference, umr});
  value = classify_inbound("sim", part, DecodeOptions{});
  const auto* seg = std::get_if<InboundSegment>(&value);
  ASSERT_NE(seg, nullptr);
  EXPECT_EQ(seg->origin.reference, "umr:7;udh:9/2;");
  EXPECT_EQ(seg->part.identity, umr);  // what tells a retry from a new part
}

TEST(ClassifyInbound, ADataSmWithMessagePayloadIsAWholeMessage) {
  Pdu pdu = make_pdu(cmd::data_sm, 9);
  auto& ds = *pdu.as<DataSm>();
  ds.source_addr = "15551230002";
  ds.destination_addr = "15550001111";
  ds.data_coding = 0x08;                             // UCS-2
  const std::string payload = from_hex("00480069");  // "Hi"
  ds.tlvs.push_back(Tlv{tag::message_payload, payload});
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* whole = std::get_if<InboundWhole>(&value);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->text, "Hi");
  EXPECT_EQ(whole->message.source, "15551230002");
}

TEST(ClassifyInbound, AReceiptInTheShortMessageIsParsed) {
  const Pdu pdu = deliver(
      "id:0A1B2C sub:001 dlvrd:001 submit date:2612070930 done date:2612070931 stat:DELIVRD "
      "err:000 text:Hello",
      esm::type_delivery_receipt);
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* r = std::get_if<InboundReceipt>(&value);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->has_id);
  EXPECT_EQ(r->message_id, "0A1B2C");
  EXPECT_EQ(r->state, MessageState::delivered);
  EXPECT_EQ(r->error, "000");
  ASSERT_TRUE(r->done_unix.has_value());
  EXPECT_EQ(*r->done_unix, 1796635860);  // 2026-12-07 09:31 read as UTC
}

TEST(ClassifyInbound, ReceiptTlvsWinOverTheText) {
  Pdu pdu = deliver("id:111 stat:ENROUTE", esm::type_delivery_receipt);
  const std::string id = std::string("ABC999") + '\0';
  const std::string state = from_hex("05");         // UNDELIVERABLE
  const std::string network = from_hex("03 0022");  // GSM, error 34
  auto& tlvs = pdu.as<ShortMessage>()->tlvs;
  tlvs.push_back(Tlv{tag::receipted_message_id, id});
  tlvs.push_back(Tlv{tag::message_state, state});
  tlvs.push_back(Tlv{tag::network_error_code, network});
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  const auto* r = std::get_if<InboundReceipt>(&value);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->message_id, "ABC999");
  EXPECT_EQ(r->state, MessageState::undeliverable);
  EXPECT_EQ(r->error, "3:34");  // no err: in the text: the network error
  EXPECT_FALSE(r->done_unix.has_value());
}

TEST(ClassifyInbound, AReceiptWithoutAnIdSaysSo) {
  const Pdu pdu = deliver("stat:DELIVRD", esm::type_delivery_receipt);
  const auto value = classify_inbound("sim", pdu, DecodeOptions{});
  ASSERT_TRUE(std::holds_alternative<InboundReceipt>(value));
  EXPECT_FALSE(std::get<InboundReceipt>(value).has_id);
}

TEST(ClassifyInbound, OtherPdusAreNotInbound) {
  const Pdu pdu = make_pdu(cmd::enquire_link, 3);
  EXPECT_TRUE(std::holds_alternative<NotInbound>(classify_inbound("sim", pdu, DecodeOptions{})));
}

}  // namespace
}  // namespace twoway::smpp
