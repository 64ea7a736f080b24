// Unit tests of the codec with hand-built PDUs, one per pitfall of the reference checklist.
#include <gtest/gtest.h>

#include "smpp/codec.hpp"
#include "test_util.hpp"

namespace twoway::smpp {
namespace {

using test::from_hex;
using test::to_hex;

std::string header(std::uint32_t length, std::uint32_t id, std::uint32_t status,
                   std::uint32_t seq) {
  std::string h(16, '\0');
  store_be32(h.data(), length);
  store_be32(h.data() + 4, id);
  store_be32(h.data() + 8, status);
  store_be32(h.data() + 12, seq);
  return h;
}

std::string with_length(std::string pdu) {
  store_be32(pdu.data(), static_cast<std::uint32_t>(pdu.size()));
  return pdu;
}

std::string deliver_sm_body(std::string_view source, std::string_view text, std::uint8_t esm = 0,
                            std::string_view tlvs = {}) {
  std::string b;
  b += '\0';  // service_type
  b += '\1';
  b += '\1';
  b += source;
  b += '\0';
  b += '\0';
  b += '\0';
  b += "12345";
  b += '\0';
  b += static_cast<char>(esm);
  b += '\0';  // protocol_id
  b += '\0';  // priority
  b += '\0';  // schedule
  b += '\0';  // validity
  b += '\0';  // registered_delivery
  b += '\0';  // replace
  b += '\0';  // data_coding
  b += '\0';  // sm_default_msg_id
  b += static_cast<char>(text.size());
  b += text;
  b += tlvs;
  return b;
}

TEST(Framing, WaitsForWholeFramesAndConsumesNothingBefore) {
  const std::string pdu = with_length(header(0, cmd::enquire_link, 0, 7));
  for (std::size_t n = 0; n < pdu.size(); ++n) {
    EXPECT_EQ(check_frame(std::string_view(pdu).substr(0, n)).kind, FrameCheck::Kind::need_more)
        << n;
  }
  auto check = check_frame(pdu);
  EXPECT_EQ(check.kind, FrameCheck::Kind::ready);
  EXPECT_EQ(check.length, 16u);
  EXPECT_EQ(check.sequence_number, 7u);
}

TEST(Framing, SeveralPdusInOneReadComeOutOneByOne) {
  std::string stream = with_length(header(0, cmd::enquire_link, 0, 1)) +
                       with_length(header(0, cmd::enquire_link_resp, 0, 2)) +
                       with_length(header(0, cmd::unbind, 0, 3));
  std::vector<std::uint32_t> seqs;
  std::string_view rest = stream;
  while (true) {
    auto check = check_frame(rest);
    if (check.kind != FrameCheck::Kind::ready) break;
    Pdu pdu;
    ASSERT_FALSE(decode(rest.substr(0, check.length), pdu));
    seqs.push_back(pdu.header.sequence_number);
    rest.remove_prefix(check.length);
  }
  EXPECT_EQ(seqs, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_TRUE(rest.empty());
}

TEST(Framing, LengthBelowSixteenOrAboveTheCapIsUnrecoverable) {
  auto small = check_frame(header(15, cmd::enquire_link, 0, 1));
  EXPECT_EQ(small.kind, FrameCheck::Kind::invalid);
  EXPECT_EQ(small.error, errc::command_length_too_short);
  EXPECT_EQ(command_status_for(small.error), status::invcmdlen);

  // Refused from the first 4 octets, before anything is allocated for the frame.
  auto big = check_frame(from_hex("f0000011"));
  EXPECT_EQ(big.kind, FrameCheck::Kind::invalid);
  EXPECT_EQ(big.error, errc::command_length_too_large);

  auto capped = check_frame(header(2000, cmd::submit_sm, 0, 1), 1024);
  EXPECT_EQ(capped.kind, FrameCheck::Kind::invalid);
  auto allowed = check_frame(header(1024, cmd::submit_sm, 0, 1), 1024);
  EXPECT_EQ(allowed.kind, FrameCheck::Kind::need_more);
}

TEST(Decode, DeliverSmFieldsAreViewsIntoTheFrame) {
  const std::string frame =
      with_length(header(0, cmd::deliver_sm, 0, 42) + deliver_sm_body("15551234567", "Hello"));
  Pdu pdu;
  ASSERT_FALSE(decode(frame, pdu));
  auto* sm = pdu.as<ShortMessage>();
  ASSERT_NE(sm, nullptr);
  EXPECT_EQ(sm->source_addr, "15551234567");
  EXPECT_EQ(sm->destination_addr, "12345");
  EXPECT_EQ(sm->short_message, "Hello");
  // No copy: the view points inside the frame buffer.
  EXPECT_GE(sm->short_message.data(), frame.data());
  EXPECT_LT(sm->short_message.data(), frame.data() + frame.size());
}

TEST(Decode, ErrorResponsesWithAndWithoutBodiesAndOkResponsesWithout) {
  // The frames outlive the PDUs: decoded fields are views into them.
  const std::string with_body =
      with_length(header(0, cmd::submit_sm_resp, 0x0B, 1) + "00000000" + '\0');
  Pdu a;  // error with a body (real SMSCs do this)
  ASSERT_FALSE(decode(with_body, a));
  EXPECT_EQ(a.as<MessageIdResp>()->message_id, "00000000");
  Pdu b;  // error without a body (3.4)
  ASSERT_FALSE(decode(with_length(header(0, cmd::submit_sm_resp, status::throttled, 2)), b));
  EXPECT_FALSE(b.as<MessageIdResp>()->body_present);
  Pdu c;  // OK without a body
  ASSERT_FALSE(decode(with_length(header(0, cmd::bind_transceiver_resp, 0, 3)), c));
  EXPECT_FALSE(c.as<BindResp>()->body_present);
}

TEST(Decode, UnknownTlvsAreKeptAndReencodedAsTheyCame) {
  const std::string tlvs = from_hex("14540003616263") + from_hex("020e000103");
  const std::string frame =
      with_length(header(0, cmd::deliver_sm, 0, 9) + deliver_sm_body("1555", "x", 0, tlvs));
  Pdu pdu;
  ASSERT_FALSE(decode(frame, pdu));
  const auto& list = pdu.as<ShortMessage>()->tlvs;
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].tag, 0x1454);
  EXPECT_EQ(list[0].value, "abc");
  EXPECT_EQ(tlv_uint(list, tag::sar_total_segments), 3u);
  std::string out;
  ASSERT_FALSE(encode(pdu, out));
  EXPECT_EQ(to_hex(out), to_hex(frame));
}

TEST(Decode, UnknownStatusValuesAreKeptAsNumbers) {
  Pdu pdu;
  ASSERT_FALSE(decode(with_length(header(0, cmd::submit_sm_resp, 0x22, 5)), pdu));
  EXPECT_EQ(pdu.header.command_status, 0x22u);
  EXPECT_EQ(status_name(0x22), "");
}

TEST(Decode, TlvLengthOverrunIsACleanErrorWithTheMatchingStatus) {
  // receipted_message_id claims 0x41 octets but only 5 follow.
  const std::string frame =
      with_length(header(0, cmd::deliver_sm, 0, 1) +
                  deliver_sm_body("1", "", 4, from_hex("001e00413132333435")));
  Pdu pdu;
  auto error = decode(frame, pdu);
  ASSERT_TRUE(error);
  EXPECT_EQ(error.code, errc::tlv_overrun);
  EXPECT_EQ(error.field, "receipted_message_id");
  EXPECT_EQ(command_status_for(error.code), status::invoptparstream);
  EXPECT_EQ(make_response(pdu.header, command_status_for(error.code)).header.command_id,
            cmd::deliver_sm_resp);
}

TEST(Decode, SmLengthBeyondTheBodyIsACleanError) {
  std::string body = deliver_sm_body("1", "abc");
  body[body.size() - 4] = static_cast<char>(200);  // sm_length 200, 3 octets present
  Pdu pdu;
  auto error = decode(with_length(header(0, cmd::deliver_sm, 0, 1) + body), pdu);
  EXPECT_EQ(error.code, errc::short_message_overrun);
  EXPECT_EQ(command_status_for(error.code), status::invmsglen);
}

TEST(Decode, MissingNulIsAnErrorThatNamesTheFieldAndOffset) {
  Pdu pdu;
  auto error = decode(with_length(header(0, cmd::submit_sm_resp, 0, 1) + "abc"), pdu);
  EXPECT_EQ(error.code, errc::cstring_unterminated);
  EXPECT_EQ(error.field, "message_id");
  EXPECT_EQ(error.offset, 16u);
  EXPECT_EQ(pdu.header.sequence_number, 1u);  // the header is still usable for the nack
}

TEST(Decode, OverlongCStringsAreAcceptedButRefusedOnEncode) {
  // A 10-character password (max 9 with NUL) from a lenient peer.
  const std::string frame =
      with_length(header(0, cmd::outbind, 0, 1) + "inventory" + '\0' + "ipassword1" + '\0');
  Pdu pdu;
  ASSERT_FALSE(decode(frame, pdu));
  EXPECT_EQ(pdu.as<Outbind>()->password, "ipassword1");
  std::string out;
  auto error = encode(pdu, out);
  EXPECT_EQ(error.code, errc::cstring_too_long);
  EXPECT_EQ(error.field, "password");
  EXPECT_TRUE(out.empty()) << "nothing is appended on error";
}

TEST(Decode, OutOfRangeSequenceNumbersAreEchoed) {
  Pdu pdu;
  ASSERT_FALSE(decode(
      with_length(header(0, cmd::deliver_sm, 0, 0x806A179B) + deliver_sm_body("1", "x")), pdu));
  std::string out;
  ASSERT_FALSE(encode(make_response(pdu.header, status::ok), out));
  EXPECT_EQ(to_hex(out), "000000118000000500000000806a179b00");
}

TEST(Decode, UnknownRequestGetsGenericNackAndUnknownResponseIsNotNacked) {
  Pdu request;
  ASSERT_FALSE(decode(with_length(header(0, 0x00000110, 0, 77)), request));
  ASSERT_NE(request.as<Unknown>(), nullptr);
  auto nack = make_response(request.header, status::invcmdid);
  EXPECT_EQ(nack.header.command_id, cmd::generic_nack);
  EXPECT_EQ(nack.header.sequence_number, 77u);
  Pdu response;
  ASSERT_FALSE(decode(with_length(header(0, 0x80000110, 0, 78)), response));
  EXPECT_TRUE(is_response(response.header.command_id));  // the session drops these
}

TEST(Encode, ErrorResponsesCarryNoBodyAndDeliverSmRespAlwaysAnEmptyId) {
  Header req{0, cmd::submit_sm, 0, 5};
  std::string out;
  ASSERT_FALSE(encode(make_response(req, status::throttled), out));
  EXPECT_EQ(out.size(), 16u);
  out.clear();
  ASSERT_FALSE(encode(make_response(Header{0, cmd::deliver_sm, 0, 6}, status::x_t_appn), out));
  EXPECT_EQ(to_hex(out),
            "000000118000000500000064000000060"
            "0");
  out.clear();
  ASSERT_FALSE(
      encode(make_response(Header{0, cmd::bind_transceiver, 0, 1}, status::invpaswd), out));
  EXPECT_EQ(out.size(), 16u);
}

TEST(Encode, SubmitSmRoundTripsAndAppendsToAReusableBuffer) {
  Pdu pdu = make_pdu(cmd::submit_sm, 1);
  auto& sm = *pdu.as<ShortMessage>();
  sm.source_addr = "15550001111";
  sm.source_addr_ton = 1;
  sm.source_addr_npi = 1;
  sm.destination_addr = "15551234567";
  sm.registered_delivery = 1;
  sm.short_message = "On its way!";
  std::string buffer = "prefix";
  ASSERT_FALSE(encode(pdu, buffer));
  const std::string frame = buffer.substr(6);
  EXPECT_EQ(load_be32(frame.data()), frame.size());
  Pdu back;
  ASSERT_FALSE(decode(frame, back));
  EXPECT_EQ(back.as<ShortMessage>()->short_message, "On its way!");
  EXPECT_EQ(back.as<ShortMessage>()->registered_delivery, 1);
  std::string again = frame;
  patch_sequence_number(again, 0x7FFFFFFF);
  ASSERT_FALSE(decode(again, back));
  EXPECT_EQ(back.header.sequence_number, 0x7FFFFFFFu);
}

TEST(Encode, RefusesWhatTheSpecForbids) {
  Pdu pdu = make_pdu(cmd::submit_sm, 1);
  auto& sm = *pdu.as<ShortMessage>();
  std::string too_long(255, 'a');
  sm.short_message = too_long;
  std::string out;
  EXPECT_EQ(encode(pdu, out).code, errc::short_message_too_long);
  sm.short_message = "ok";
  sm.validity_period = "0102";  // time fields are 16 characters or empty
  EXPECT_EQ(encode(pdu, out).code, errc::invalid_time_format);
  sm.validity_period = "010203040506000R";
  EXPECT_FALSE(encode(pdu, out));
  std::string with_nul("a\0b", 3);
  sm.source_addr = with_nul;
  EXPECT_EQ(encode(pdu, out).code, errc::cstring_has_nul);
}

TEST(Decode, SubmitMultiDestinationsAndBadDestFlag) {
  Pdu pdu = make_pdu(cmd::submit_multi, 3);
  auto& m = *pdu.as<SubmitMulti>();
  m.dest_addresses.push_back(DestAddress{1, 1, 1, "15551234567", {}});
  m.dest_addresses.push_back(DestAddress{2, 0, 0, {}, "staff"});
  m.short_message = "hi";
  std::string out;
  ASSERT_FALSE(encode(pdu, out));
  Pdu back;
  ASSERT_FALSE(decode(out, back));
  ASSERT_EQ(back.as<SubmitMulti>()->dest_addresses.size(), 2u);
  EXPECT_EQ(back.as<SubmitMulti>()->dest_addresses[1].dl_name, "staff");
  out[16 + 1 + 1 + 1 + 1 + 1] = 7;  // first dest_flag
  EXPECT_EQ(decode(out, back).code, errc::invalid_dest_flag);
}

TEST(Decode, EveryKnownCommandRoundTripsWithDefaults) {
  for (std::uint32_t id : {cmd::generic_nack,
                           cmd::bind_receiver,
                           cmd::bind_receiver_resp,
                           cmd::bind_transmitter,
                           cmd::bind_transmitter_resp,
                           cmd::query_sm,
                           cmd::query_sm_resp,
                           cmd::submit_sm,
                           cmd::submit_sm_resp,
                           cmd::deliver_sm,
                           cmd::deliver_sm_resp,
                           cmd::unbind,
                           cmd::unbind_resp,
                           cmd::replace_sm,
                           cmd::replace_sm_resp,
                           cmd::cancel_sm,
                           cmd::cancel_sm_resp,
                           cmd::bind_transceiver,
                           cmd::bind_transceiver_resp,
                           cmd::outbind,
                           cmd::enquire_link,
                           cmd::enquire_link_resp,
                           cmd::submit_multi,
                           cmd::submit_multi_resp,
                           cmd::alert_notification,
                           cmd::data_sm,
                           cmd::data_sm_resp,
                           cmd::broadcast_sm,
                           cmd::broadcast_sm_resp,
                           cmd::query_broadcast_sm,
                           cmd::query_broadcast_sm_resp,
                           cmd::cancel_broadcast_sm,
                           cmd::cancel_broadcast_sm_resp}) {
    SCOPED_TRACE(std::string(command_name(id)));
    EXPECT_TRUE(is_known_command(id));
    std::string out;
    ASSERT_FALSE(encode(make_pdu(id, 11), out));
    Pdu back;
    ASSERT_FALSE(decode(out, back));
    EXPECT_EQ(back.header.command_id, id);
    std::string again;
    ASSERT_FALSE(encode(back, again));
    EXPECT_EQ(again, out);
    EXPECT_EQ(command_by_name(command_name(id)), id);
  }
}

}  // namespace
}  // namespace twoway::smpp
