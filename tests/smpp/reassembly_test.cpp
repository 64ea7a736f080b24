// Tests for inbound reassembly: UDH / SAR / payload joining, order, duplicates, invalid
// headers, timeout, bounds, snapshot/restore, and the media rule with MMS subjects.
#include "smpp/reassembly.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "smpp/segment.hpp"

namespace twoway::smpp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string octets(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string concat8(int ref, int total, int seq) {
  return octets({0x05, 0x00, 0x03, ref, total, seq});
}

std::string concat16(int ref, int total, int seq) {
  return octets({0x06, 0x08, 0x04, ref >> 8, ref & 0xFF, total, seq});
}

/// Keeps the bytes a test part points to alive.
struct PartBuilder {
  std::string short_message;
  std::string payload;
  InboundPart part;

  PartBuilder(std::string sm, std::uint64_t token, std::int64_t now_ms = 0,
              std::uint8_t esm_class = 0x40) {
    short_message = std::move(sm);
    part.smsc = "smsc-a";
    part.source_addr = "15551230001";
    part.destination_addr = "15557654321";
    part.esm_class = esm_class;
    part.short_message = short_message;
    part.token = token;
    part.now_ms = now_ms;
  }
  PartBuilder& from(std::string_view source) {
    part.source_addr = source;
    return *this;
  }
  PartBuilder& dc(std::uint8_t data_coding) {
    part.data_coding = data_coding;
    return *this;
  }
  PartBuilder& with_payload(std::string p) {
    payload = std::move(p);
    short_message.clear();
    part.short_message = short_message;
    part.message_payload = payload;
    return *this;
  }
  PartBuilder& id(std::string identity) {
    identity_ = std::move(identity);
    part.identity = identity_;
    return *this;
  }
  const InboundPart& operator*() const { return part; }

 private:
  std::string identity_;
};

TEST(Reassembly, SinglePartPassesThrough) {
  Reassembler r;
  PartBuilder p("Hello there", 11, 5, 0x00);
  AddResult res = r.add(*p);
  EXPECT_EQ(res.outcome, PartOutcome::standalone);
  ASSERT_TRUE(res.message);
  const ReassembledMessage& m = *res.message;
  EXPECT_EQ(m.user_data, "Hello there");
  EXPECT_EQ(m.source, "15551230001");
  EXPECT_EQ(m.destination, "15557654321");
  EXPECT_EQ(m.smsc, "smsc-a");
  EXPECT_THAT(m.tokens, ElementsAre(11u));
  EXPECT_FALSE(m.incomplete);
  EXPECT_FALSE(m.media_omitted);
  EXPECT_FALSE(m.header_invalid);
  EXPECT_EQ(m.parts_expected, 1);
  EXPECT_EQ(m.parts_received, 1);
  EXPECT_EQ(m.first_received_ms, 5);
  ASSERT_EQ(m.boundaries.size(), 1u);
  EXPECT_EQ(m.boundaries[0].end, 11u);
  EXPECT_EQ(m.boundaries[0].header_octets, 0);
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Reassembly, ThreePartsInOrder) {
  Reassembler r;
  PartBuilder a(concat8(42, 3, 1) + "Hello ", 1);
  PartBuilder b(concat8(42, 3, 2) + "big ", 2);
  PartBuilder c(concat8(42, 3, 3) + "world", 3);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*b).outcome, PartOutcome::held);
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.pending_parts(), 2u);
  AddResult res = r.add(*c);
  EXPECT_EQ(res.outcome, PartOutcome::completed);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "Hello big world");
  ASSERT_EQ(res.message->boundaries.size(), 3u);
  EXPECT_EQ(res.message->boundaries[0].end, 6u);
  EXPECT_EQ(res.message->boundaries[1].end, 10u);
  EXPECT_EQ(res.message->boundaries[2].end, 15u);
  EXPECT_EQ(res.message->boundaries[2].seq, 3);
  EXPECT_EQ(res.message->boundaries[0].header_octets, 6);
  EXPECT_THAT(res.message->tokens, ElementsAre(1u, 2u, 3u));
  EXPECT_EQ(res.message->parts_expected, 3);
  EXPECT_EQ(res.message->parts_received, 3);
  EXPECT_FALSE(res.message->incomplete);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.pending_parts(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
}

TEST(Reassembly, PartsOutOfOrderAreJoinedInPartOrder) {
  Reassembler r;
  PartBuilder a(concat8(7, 3, 3) + "C", 30);
  PartBuilder b(concat8(7, 3, 1) + "A", 10);
  PartBuilder c(concat8(7, 3, 2) + "B", 20);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*b).outcome, PartOutcome::held);
  AddResult res = r.add(*c);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "ABC");
  EXPECT_THAT(res.message->tokens, ElementsAre(10u, 20u, 30u));
}

TEST(Reassembly, DuplicatesAreIgnoredButTheirTokensReturned) {
  Reassembler r;
  PartBuilder a(concat8(9, 2, 1) + "first ", 1);
  PartBuilder dup(concat8(9, 2, 1) + "first ", 2);
  PartBuilder b(concat8(9, 2, 2) + "second", 3);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  AddResult d = r.add(*dup);
  EXPECT_EQ(d.outcome, PartOutcome::duplicate);
  EXPECT_EQ(d.original_token, 1u);  // answered as the held part is
  EXPECT_FALSE(d.message);
  AddResult res = r.add(*b);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "first second");
  EXPECT_THAT(res.message->tokens, ElementsAre(1u, 3u, 2u));
  EXPECT_EQ(res.message->parts_received, 2);
}

TEST(Reassembly, AWithdrawnPartIsNoLongerHeldSoItsResendIsHeldAgain) {
  // The part's durable copy could not be written (store full): it was refused to the SMSC,
  // and the copy the SMSC sends again must be stored, not taken for a duplicate.
  Reassembler r;
  PartBuilder a(concat8(9, 3, 2) + "middle ", 1, 10);
  PartBuilder first(concat8(9, 3, 1) + "first ", 2, 20);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*first).outcome, PartOutcome::held);
  EXPECT_TRUE(r.withdraw(*a));
  EXPECT_FALSE(r.withdraw(*a));  // nothing left to take back
  EXPECT_EQ(r.pending_parts(), 1u);
  PartBuilder again(concat8(9, 3, 2) + "middle ", 3, 30);
  EXPECT_EQ(r.add(*again).outcome, PartOutcome::held);
  PartBuilder last(concat8(9, 3, 3) + "last", 4, 40);
  AddResult res = r.add(*last);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "first middle last");
  EXPECT_THAT(res.message->tokens, ElementsAre(2u, 3u, 4u));
  EXPECT_EQ(res.message->first_received_ms, 20);  // the withdrawn part's time went with it
}

TEST(Reassembly, WithdrawingTheOnlyPartForgetsTheSet) {
  Reassembler r;
  PartBuilder a(concat8(4, 2, 1) + "alone ", 1);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  PartBuilder other(concat8(4, 2, 1) + "alone ", 9);
  EXPECT_FALSE(r.withdraw(*other));  // another token: not the part that is held
  EXPECT_TRUE(r.withdraw(*a));
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.pending_parts(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
  EXPECT_THAT(r.expire(1'000'000'000), IsEmpty());
}

TEST(Reassembly, SameSeqWithOtherContentStartsANewMessage) {
  Reassembler r;
  PartBuilder old1(concat8(9, 2, 1) + "old ", 1);
  PartBuilder new1(concat8(9, 2, 1) + "new ", 2);
  PartBuilder new2(concat8(9, 2, 2) + "message", 3);
  EXPECT_EQ(r.add(*old1).outcome, PartOutcome::held);
  AddResult a = r.add(*new1);
  EXPECT_EQ(a.outcome, PartOutcome::held);
  ASSERT_EQ(a.flushed.size(), 1u);
  EXPECT_EQ(a.flushed[0].user_data, "old ");
  EXPECT_TRUE(a.flushed[0].incomplete);
  EXPECT_THAT(a.flushed[0].tokens, ElementsAre(1u));
  AddResult b = r.add(*new2);
  ASSERT_TRUE(b.message);
  EXPECT_EQ(b.message->user_data, "new message");
  EXPECT_THAT(b.message->tokens, ElementsAre(2u, 3u));
}

TEST(Reassembly, RetryOfACompletedPartIsHeldAndAnsweredAsALateDuplicate) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 1'000, .max_recent = 10});
  PartBuilder a(concat8(3, 2, 1) + "he", 1, 0);
  PartBuilder b(concat8(3, 2, 2) + "llo", 2, 10);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*b).message);
  // Nothing tells this retry from a new message reusing reference 3 yet: it is held (stored
  // and acknowledged), not dropped.
  PartBuilder retry(concat8(3, 2, 2) + "llo", 3, 500);
  AddResult late = r.add(*retry);
  EXPECT_EQ(late.outcome, PartOutcome::held);
  EXPECT_FALSE(late.message);
  EXPECT_EQ(r.pending(), 1u);
  // No sibling came: every part it held repeated the completed message.
  auto expired = r.expire(1'500);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_TRUE(expired[0].late_duplicate);
  EXPECT_TRUE(expired[0].incomplete);
  EXPECT_THAT(expired[0].tokens, ElementsAre(3u));
  // Past the timeout the same bytes are a new (partial) message again.
  PartBuilder much_later(concat8(3, 2, 2) + "llo", 4, 2'000);
  EXPECT_EQ(r.add(*much_later).outcome, PartOutcome::held);
  auto later = r.expire(3'000);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_FALSE(later[0].late_duplicate);
}

TEST(Reassembly, RetryWithTheSameIdentityIsALateDuplicateAtOnce) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 1'000, .max_recent = 10});
  PartBuilder a(concat8(3, 2, 1) + "he", 1, 0);
  PartBuilder b(concat8(3, 2, 2) + "llo", 2, 10);
  a.id("mr-1");
  b.id("mr-2");
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*b).message);
  PartBuilder retry(concat8(3, 2, 2) + "llo", 3, 500);
  retry.id("mr-2");
  EXPECT_EQ(r.add(*retry).outcome, PartOutcome::late_duplicate);
  EXPECT_EQ(r.pending(), 0u);
  // The same bytes with another identity are a new message's part.
  PartBuilder other(concat8(3, 2, 2) + "llo", 4, 600);
  other.id("mr-9");
  EXPECT_EQ(r.add(*other).outcome, PartOutcome::held);
  auto expired = r.expire(1'600);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_FALSE(expired[0].late_duplicate);
  EXPECT_EQ(expired[0].user_data, "llo");
}

TEST(Reassembly, AReopenedSetTakesItsResentCompletingPartAsNew) {
  // The message completed here but the store refused it: its stored first part waits again,
  // and the second part, sent again by the SMSC with the same identity, completes it anew
  // (not a late duplicate of a message that was never kept).
  Reassembler r(ReassemblyConfig{.timeout_ms = 1'000, .max_recent = 10});
  PartBuilder a(concat8(3, 2, 1) + "he", 1, 0);
  PartBuilder b(concat8(3, 2, 2) + "llo", 2, 10);
  a.id("mr-1");
  b.id("mr-2");
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*b).message);
  const StoredPart stored = StoredPart::from(*a);
  EXPECT_THAT(r.reopen(std::span(&stored, 1)), IsEmpty());
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_EQ(r.pending_parts(), 1u);
  PartBuilder resent(concat8(3, 2, 2) + "llo", 3, 300);
  resent.id("mr-2");
  AddResult again = r.add(*resent);
  EXPECT_EQ(again.outcome, PartOutcome::completed);
  ASSERT_TRUE(again.message);
  EXPECT_EQ(again.message->user_data, "hello");
  EXPECT_FALSE(again.message->incomplete);
  EXPECT_THAT(again.message->tokens, ElementsAre(1u, 3u));
  // Reopening parts that are not concatenated, or of a set never completed, only adds them.
  PartBuilder single("hi", 4, 400, 0);
  const StoredPart lone = StoredPart::from(*single);
  auto out = r.reopen(std::span(&lone, 1));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].user_data, "hi");
}

// The simulator's pattern: every 10th text has two parts, and its second part repeats an
// earlier message's second part word for word; an 8-bit reference comes round again for the
// same sender within the reassembly timeout.
TEST(Reassembly, ReusedReferenceWhoseSecondPartRepeatsIsANewMessage) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 120'000, .max_recent = 10'000});
  PartBuilder old1(concat8(7, 2, 1) + "Order 1: where is it? ", 1, 0);
  PartBuilder old2(concat8(7, 2, 2) + "Thank you very much.", 2, 5);
  EXPECT_EQ(r.add(*old1).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*old2).message);
  PartBuilder new1(concat8(7, 2, 1) + "Order 2: it came broken. ", 3, 60'000);
  PartBuilder new2(concat8(7, 2, 2) + "Thank you very much.", 4, 60'005);
  EXPECT_EQ(r.add(*new1).outcome, PartOutcome::held);
  AddResult done = r.add(*new2);
  EXPECT_EQ(done.outcome, PartOutcome::completed);
  ASSERT_TRUE(done.message);
  EXPECT_EQ(done.message->user_data, "Order 2: it came broken. Thank you very much.");
  EXPECT_FALSE(done.message->incomplete);
  EXPECT_THAT(done.message->tokens, ElementsAre(3u, 4u));
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Reassembly, ReusedReferenceWhoseRepeatedPartComesFirstIsANewMessage) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 120'000, .max_recent = 10'000});
  PartBuilder old1(concat8(7, 2, 1) + "Order 1: where is it? ", 1, 0);
  PartBuilder old2(concat8(7, 2, 2) + "Thank you very much.", 2, 5);
  EXPECT_EQ(r.add(*old1).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*old2).message);
  PartBuilder new2(concat8(7, 2, 2) + "Thank you very much.", 4, 60'000);
  PartBuilder new1(concat8(7, 2, 1) + "Order 2: it came broken. ", 3, 60'005);
  EXPECT_EQ(r.add(*new2).outcome, PartOutcome::held);
  AddResult done = r.add(*new1);
  ASSERT_TRUE(done.message);
  EXPECT_EQ(done.message->user_data, "Order 2: it came broken. Thank you very much.");
  EXPECT_FALSE(done.message->incomplete);
  EXPECT_FALSE(done.message->late_duplicate);
  EXPECT_THAT(done.message->tokens, ElementsAre(3u, 4u));
}

TEST(Reassembly, ReusedReferenceWithEveryPartRepeatedIsDeliveredNotDropped) {
  // The same long text twice under the same reference: a rare duplicate stored twice is
  // preferred to dropping a message the SMSC was told was received.
  Reassembler r(ReassemblyConfig{.timeout_ms = 120'000, .max_recent = 10'000});
  PartBuilder a1(concat8(7, 2, 1) + "same ", 1, 0);
  PartBuilder a2(concat8(7, 2, 2) + "text", 2, 5);
  EXPECT_EQ(r.add(*a1).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*a2).message);
  PartBuilder b1(concat8(7, 2, 1) + "same ", 3, 30'000);
  PartBuilder b2(concat8(7, 2, 2) + "text", 4, 30'005);
  EXPECT_EQ(r.add(*b1).outcome, PartOutcome::held);
  AddResult done = r.add(*b2);
  ASSERT_TRUE(done.message);
  EXPECT_EQ(done.message->user_data, "same text");
  EXPECT_THAT(done.message->tokens, ElementsAre(3u, 4u));
}

TEST(Reassembly, HeldRetryStepsAsideForTheNewMessagesOwnPart) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 120'000, .max_recent = 10'000});
  PartBuilder old1(concat8(7, 3, 1) + "old ", 1, 0);
  PartBuilder old2(concat8(7, 3, 2) + "one ", 2, 5);
  PartBuilder old3(concat8(7, 3, 3) + "here", 3, 6);
  EXPECT_EQ(r.add(*old1).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*old2).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*old3).message);
  PartBuilder retry(concat8(7, 3, 3) + "here", 4, 1'000);  // its answer was lost
  PartBuilder new1(concat8(7, 3, 1) + "new ", 5, 2'000);
  PartBuilder new2(concat8(7, 3, 2) + "two ", 6, 2'005);
  PartBuilder new3(concat8(7, 3, 3) + "now", 7, 2'010);
  EXPECT_EQ(r.add(*retry).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*new1).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*new3).outcome, PartOutcome::held);  // number 3 with new bytes: the retry goes
  AddResult done = r.add(*new2);
  EXPECT_THAT(done.flushed, IsEmpty());
  ASSERT_TRUE(done.message);
  EXPECT_EQ(done.message->user_data, "new two now");
  EXPECT_FALSE(done.message->incomplete);
  EXPECT_THAT(done.message->tokens, ElementsAre(5u, 6u, 7u, 4u));  // the retry is answered too
  EXPECT_EQ(r.pending_parts(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
}

TEST(Reassembly, RetryOfTheOldPartWhileTheNewSetHoldsItsNumberIsALateDuplicate) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 120'000, .max_recent = 10'000});
  PartBuilder old1(concat8(7, 2, 1) + "old ", 1, 0);
  PartBuilder old2(concat8(7, 2, 2) + "one", 2, 5);
  EXPECT_EQ(r.add(*old1).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*old2).message);
  PartBuilder new2(concat8(7, 2, 2) + "two", 3, 1'000);
  PartBuilder retry(concat8(7, 2, 2) + "one", 4, 1'500);
  PartBuilder new1(concat8(7, 2, 1) + "new ", 5, 2'000);
  EXPECT_EQ(r.add(*new2).outcome, PartOutcome::held);
  AddResult late = r.add(*retry);
  EXPECT_EQ(late.outcome, PartOutcome::late_duplicate);
  EXPECT_THAT(late.flushed, IsEmpty());
  AddResult done = r.add(*new1);
  ASSERT_TRUE(done.message);
  EXPECT_EQ(done.message->user_data, "new two");
}

TEST(Reassembly, LateDuplicatesAreOffByDefault) {
  Reassembler r;
  PartBuilder a(concat8(3, 2, 1) + "he", 1, 0);
  PartBuilder b(concat8(3, 2, 2) + "llo", 2, 10);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*b).message);
  PartBuilder retry(concat8(3, 2, 2) + "llo", 3, 500);
  EXPECT_EQ(r.add(*retry).outcome, PartOutcome::held);
}

TEST(Reassembly, ReusedReferenceWithNewContentIsNotALateDuplicate) {
  Reassembler r(ReassemblyConfig{.max_recent = 10});
  PartBuilder a(concat8(0, 2, 1) + "one ", 1);
  PartBuilder b(concat8(0, 2, 2) + "two", 2);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  ASSERT_TRUE(r.add(*b).message);
  PartBuilder c(concat8(0, 2, 1) + "three ", 3);
  PartBuilder d(concat8(0, 2, 2) + "four", 4);
  EXPECT_EQ(r.add(*c).outcome, PartOutcome::held);
  AddResult res = r.add(*d);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "three four");
}

TEST(Reassembly, InvalidHeadersMakeStandaloneMessages) {
  Reassembler r;
  for (auto [total, seq] : {std::pair{3, 0}, std::pair{3, 4}, std::pair{0, 1}, std::pair{0, 0}}) {
    PartBuilder p(concat8(1, total, seq) + "text", 5);
    AddResult res = r.add(*p);
    EXPECT_EQ(res.outcome, PartOutcome::standalone) << total << "/" << seq;
    ASSERT_TRUE(res.message);
    EXPECT_EQ(res.message->user_data, "text");  // the UDH is still removed
    EXPECT_TRUE(res.message->header_invalid);
    EXPECT_THAT(res.message->tokens, ElementsAre(5u));
  }
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Reassembly, OnePartOfOneIsStandaloneAndValid) {
  Reassembler r;
  PartBuilder p(concat8(1, 1, 1) + "solo", 5);
  AddResult res = r.add(*p);
  EXPECT_EQ(res.outcome, PartOutcome::standalone);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "solo");
  EXPECT_FALSE(res.message->header_invalid);
}

TEST(Reassembly, BrokenUdhIsStandalone) {
  Reassembler r;
  // UDHL past the data: everything is kept as it came.
  PartBuilder overrun(octets({0x20, 0x00, 0x03}), 1);
  AddResult a = r.add(*overrun);
  ASSERT_TRUE(a.message);
  EXPECT_TRUE(a.message->header_invalid);
  EXPECT_EQ(a.message->user_data, octets({0x20, 0x00, 0x03}));
  // IE past UDHL: the UDHL octets are dropped, the rest kept.
  PartBuilder ie(octets({0x02, 0x00, 0x05}) + "rest", 2);
  AddResult b = r.add(*ie);
  ASSERT_TRUE(b.message);
  EXPECT_TRUE(b.message->header_invalid);
  EXPECT_EQ(b.message->user_data, "rest");
  // UDHI with nothing at all.
  PartBuilder empty("", 3);
  AddResult c = r.add(*empty);
  ASSERT_TRUE(c.message);
  EXPECT_TRUE(c.message->header_invalid);
  EXPECT_TRUE(c.message->user_data.empty());
}

TEST(Reassembly, SixteenBitReference) {
  Reassembler r;
  PartBuilder a(concat16(0x1234, 2, 2) + "two", 2);
  PartBuilder other(concat16(0x1235, 2, 1) + "other", 9);
  PartBuilder b(concat16(0x1234, 2, 1) + "one ", 1);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*other).outcome, PartOutcome::held);
  AddResult res = r.add(*b);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "one two");
  ASSERT_EQ(res.message->boundaries.size(), 2u);
  EXPECT_EQ(res.message->boundaries[0].header_octets, 7);
  EXPECT_EQ(r.pending(), 1u);
}

TEST(Reassembly, KeyIncludesSmscSourceDestinationAndTotal) {
  Reassembler r;
  PartBuilder a(concat8(5, 2, 1) + "A1", 1);
  PartBuilder other_source(concat8(5, 2, 2) + "X2", 2);
  other_source.from("15550000000");
  PartBuilder other_smsc(concat8(5, 2, 2) + "Y2", 3);
  other_smsc.part.smsc = "smsc-b";
  PartBuilder other_dest(concat8(5, 2, 2) + "Z2", 4);
  other_dest.part.destination_addr = "15550009999";
  PartBuilder other_total(concat8(5, 3, 2) + "T2", 5);
  for (const auto* p : {&a, &other_source, &other_smsc, &other_dest, &other_total}) {
    EXPECT_EQ(r.add(**p).outcome, PartOutcome::held);
  }
  EXPECT_EQ(r.pending(), 5u);
  PartBuilder b(concat8(5, 2, 2) + "A2", 6);
  AddResult res = r.add(*b);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "A1A2");
}

TEST(Reassembly, SarTlvs) {
  Reassembler r;
  PartBuilder a("world", 2, 0, 0x00);
  a.part.sar_msg_ref_num = 0x0102;
  a.part.sar_total_segments = 2;
  a.part.sar_segment_seqnum = 2;
  PartBuilder b("hello ", 1, 0, 0x00);
  b.part.sar_msg_ref_num = 0x0102;
  b.part.sar_total_segments = 2;
  b.part.sar_segment_seqnum = 1;
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  AddResult res = r.add(*b);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "hello world");
  EXPECT_THAT(res.message->tokens, ElementsAre(1u, 2u));
}

TEST(Reassembly, IncompleteSarTlvsAreStandalone) {
  Reassembler r;
  PartBuilder a("lonely", 1, 0, 0x00);
  a.part.sar_msg_ref_num = 1;
  a.part.sar_segment_seqnum = 1;
  AddResult res = r.add(*a);
  EXPECT_EQ(res.outcome, PartOutcome::standalone);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->header_invalid);
  EXPECT_EQ(res.message->user_data, "lonely");
}

TEST(Reassembly, UdhWinsOverSarTlvs) {
  Reassembler r;
  PartBuilder a(concat8(3, 2, 1) + "udh", 1);
  a.part.sar_msg_ref_num = 99;
  a.part.sar_total_segments = 1;
  a.part.sar_segment_seqnum = 1;
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
}

TEST(Reassembly, WholeTextInMessagePayload) {
  Reassembler r;
  const std::string long_text(600, 'x');
  PartBuilder p("", 4, 0, 0x00);
  p.with_payload(long_text);
  AddResult res = r.add(*p);
  EXPECT_EQ(res.outcome, PartOutcome::standalone);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, long_text);
}

TEST(Reassembly, UdhInsideMessagePayload) {
  Reassembler r;
  PartBuilder a("", 1);
  a.with_payload(concat8(8, 2, 1) + "pay");
  PartBuilder b("", 2);
  b.with_payload(concat8(8, 2, 2) + "load");
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  AddResult res = r.add(*b);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "payload");
}

TEST(Reassembly, LanguageShiftsAreReported) {
  Reassembler r;
  PartBuilder p(octets({0x08, 0x24, 0x01, 0x01, 0x00, 0x03, 0x04, 0x02, 0x01}) + "a", 1);
  PartBuilder q(octets({0x05, 0x00, 0x03, 0x04, 0x02, 0x02}) + "b", 2);
  EXPECT_EQ(r.add(*q).outcome, PartOutcome::held);
  AddResult res = r.add(*p);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->single_shift, std::optional<std::uint8_t>{1});
  EXPECT_FALSE(res.message->locking_shift);
  EXPECT_EQ(res.message->user_data, "ab");
}

TEST(Reassembly, TimeoutFlushesWhatArrivedInPartOrder) {
  Reassembler r;  // default timeout 120 s
  PartBuilder c(concat8(1, 3, 3) + "C", 3, 1'000);
  PartBuilder a(concat8(1, 3, 1) + "A", 1, 2'000);
  EXPECT_EQ(r.add(*c).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_THAT(r.expire(120'999), IsEmpty());
  auto out = r.expire(121'000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].incomplete);
  EXPECT_EQ(out[0].user_data, "AC");
  EXPECT_THAT(out[0].tokens, ElementsAre(1u, 3u));
  EXPECT_EQ(out[0].parts_expected, 3);
  EXPECT_EQ(out[0].parts_received, 2);
  EXPECT_EQ(out[0].first_received_ms, 1'000);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
}

TEST(Reassembly, ExpireIsOldestFirstAndLeavesYoungSets) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 1'000});
  PartBuilder young(concat8(3, 2, 1) + "young", 3, 900);
  PartBuilder old(concat8(1, 2, 1) + "old", 1, 0);
  PartBuilder mid(concat8(2, 2, 1) + "mid", 2, 500);
  for (const auto* p : {&young, &old, &mid}) EXPECT_EQ(r.add(**p).outcome, PartOutcome::held);
  auto out = r.expire(1'600);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].user_data, "old");
  EXPECT_EQ(out[1].user_data, "mid");
  EXPECT_EQ(r.pending(), 1u);
}

TEST(Reassembly, PerSourceBoundFlushesThatSourcesOldestSet) {
  Reassembler r(ReassemblyConfig{.max_sets_per_source = 2});
  PartBuilder other(concat8(50, 2, 1) + "other", 50, 0);
  other.from("15559999999");
  EXPECT_EQ(r.add(*other).outcome, PartOutcome::held);
  PartBuilder s1(concat8(1, 2, 1) + "one", 1, 10);
  PartBuilder s2(concat8(2, 2, 1) + "two", 2, 20);
  PartBuilder s3(concat8(3, 2, 1) + "three", 3, 30);
  EXPECT_THAT(r.add(*s1).flushed, IsEmpty());
  EXPECT_THAT(r.add(*s2).flushed, IsEmpty());
  AddResult res = r.add(*s3);
  EXPECT_EQ(res.outcome, PartOutcome::held);
  ASSERT_EQ(res.flushed.size(), 1u);
  EXPECT_EQ(res.flushed[0].user_data, "one");
  EXPECT_TRUE(res.flushed[0].incomplete);
  EXPECT_THAT(res.flushed[0].tokens, ElementsAre(1u));
  EXPECT_EQ(r.pending(), 3u);  // other source untouched
}

TEST(Reassembly, TotalBoundFlushesTheOldestSetOverall) {
  Reassembler r(ReassemblyConfig{.max_sets_total = 2});
  PartBuilder a(concat8(1, 2, 1) + "a", 1, 10);
  a.from("1");
  PartBuilder b(concat8(1, 2, 1) + "b", 2, 5);
  b.from("2");
  PartBuilder c(concat8(1, 2, 1) + "c", 3, 20);
  c.from("3");
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_EQ(r.add(*b).outcome, PartOutcome::held);
  AddResult res = r.add(*c);
  ASSERT_EQ(res.flushed.size(), 1u);
  EXPECT_EQ(res.flushed[0].user_data, "b");  // the oldest by receive time
  EXPECT_EQ(r.pending(), 2u);
}

TEST(Reassembly, ByteBoundFlushesOldestSets) {
  Reassembler r(ReassemblyConfig{.max_bytes = 1'500});
  PartBuilder a(concat8(1, 2, 1) + std::string(600, 'a'), 1, 1);
  PartBuilder b(concat8(2, 2, 1) + std::string(600, 'b'), 2, 2);
  PartBuilder c(concat8(3, 2, 1) + std::string(600, 'c'), 3, 3);
  EXPECT_THAT(r.add(*a).flushed, IsEmpty());
  EXPECT_THAT(r.add(*b).flushed, IsEmpty());
  AddResult res = r.add(*c);
  ASSERT_FALSE(res.flushed.empty());
  EXPECT_EQ(res.flushed[0].user_data, std::string(600, 'a'));
  EXPECT_LE(r.bytes_held(), 1'500u);
}

TEST(Reassembly, SnapshotAndRestoreKeepPartialSets) {
  std::vector<StoredPart> saved;
  {
    Reassembler r;
    PartBuilder a(concat8(4, 3, 1) + "Hel", 1, 100);
    PartBuilder c(concat8(4, 3, 3) + "rld", 3, 300);
    PartBuilder x("", 7, 50, 0x00);
    x.part.sar_msg_ref_num = 77;
    x.part.sar_total_segments = 2;
    x.part.sar_segment_seqnum = 2;
    x.with_payload("sar-two");
    EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
    EXPECT_EQ(r.add(*c).outcome, PartOutcome::held);
    EXPECT_EQ(r.add(*x).outcome, PartOutcome::held);
    saved = r.snapshot();
  }
  ASSERT_EQ(saved.size(), 3u);
  EXPECT_EQ(saved[0].token, 7u);  // oldest set first
  EXPECT_EQ(saved[0].message_payload, std::optional<std::string>{"sar-two"});
  Reassembler restored;
  EXPECT_THAT(restored.restore(saved), IsEmpty());
  EXPECT_EQ(restored.pending(), 2u);
  EXPECT_EQ(restored.pending_parts(), 3u);
  PartBuilder b(concat8(4, 3, 2) + "lo Wo", 2, 5'000);
  AddResult res = restored.add(*b);
  ASSERT_TRUE(res.message);
  EXPECT_EQ(res.message->user_data, "Hello World");
  EXPECT_THAT(res.message->tokens, ElementsAre(1u, 2u, 3u));
  EXPECT_EQ(res.message->first_received_ms, 100);
  // The restored set keeps its original age for the timeout.
  auto out = restored.expire(50 + 120'000);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].user_data, "sar-two");
}

TEST(Reassembly, RestoreReturnsWhatTheStoredPartsComplete) {
  PartBuilder a(concat8(2, 2, 1) + "x", 1, 10);
  PartBuilder b(concat8(2, 2, 2) + "y", 2, 20);
  const std::vector<StoredPart> stored{StoredPart::from(*b), StoredPart::from(*a)};
  EXPECT_EQ(stored[0].view().short_message, b.part.short_message);
  Reassembler r;
  auto out = r.restore(stored);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].user_data, "xy");
  EXPECT_THAT(out[0].tokens, ElementsAre(1u, 2u));
  EXPECT_EQ(out[0].first_received_ms, 10);  // the earliest part's time, not the first added
  EXPECT_EQ(r.pending(), 0u);
}

TEST(Reassembly, ClockGoingBackwardsExpiresNothing) {
  Reassembler r(ReassemblyConfig{.timeout_ms = 10});
  PartBuilder a(concat8(2, 2, 1) + "x", 1, 1'000);
  EXPECT_EQ(r.add(*a).outcome, PartOutcome::held);
  EXPECT_THAT(r.expire(0), IsEmpty());
  EXPECT_THAT(r.expire(-5'000), IsEmpty());
  EXPECT_EQ(r.expire(1'010).size(), 1u);
}

TEST(Reassembly, InboundPartFromDecodedDeliverSm) {
  ShortMessage sm;
  sm.source_addr = "15551112222";
  sm.destination_addr = "12345";
  sm.esm_class = 0x00;
  sm.data_coding = 0x08;
  sm.short_message = "ab";
  const std::string ref = octets({0x00, 0x10});
  const std::string total = octets({0x03});
  const std::string seq = octets({0x02});
  const std::string port = octets({0x0B, 0x84});
  const std::string bad_port = octets({0x01});
  sm.tlvs.push_back(Tlv{tag::sar_msg_ref_num, ref});
  sm.tlvs.push_back(Tlv{tag::sar_total_segments, total});
  sm.tlvs.push_back(Tlv{tag::sar_segment_seqnum, seq});
  sm.tlvs.push_back(Tlv{tag::destination_port, port});
  sm.tlvs.push_back(Tlv{tag::source_port, bad_port});
  const InboundPart p = inbound_part("bind-1", sm, 77, 88);
  EXPECT_EQ(p.smsc, "bind-1");
  EXPECT_EQ(p.source_addr, "15551112222");
  EXPECT_EQ(p.data_coding, 0x08);
  EXPECT_EQ(p.sar_msg_ref_num, std::optional<std::uint16_t>{0x10});
  EXPECT_EQ(p.sar_total_segments, std::optional<std::uint8_t>{3});
  EXPECT_EQ(p.sar_segment_seqnum, std::optional<std::uint8_t>{2});
  EXPECT_EQ(p.destination_port, std::optional<std::uint16_t>{2948});
  EXPECT_FALSE(p.source_port);  // wrong length ignored
  EXPECT_FALSE(p.message_payload);
  EXPECT_EQ(p.now_ms, 77);
  EXPECT_EQ(p.token, 88u);

  DataSm ds;
  ds.source_addr = "1";
  const std::string payload = "data sm text";
  ds.tlvs.push_back(Tlv{tag::message_payload, payload});
  const InboundPart d = inbound_part("bind-2", ds, 1, 2);
  EXPECT_TRUE(d.short_message.empty());
  EXPECT_EQ(d.message_payload, std::optional<std::string_view>{"data sm text"});
}

// --- media -----------------------------------------------------------------------------------

TEST(Media, Classification) {
  EXPECT_EQ(classify_media(0x00, std::nullopt), MediaKind::text);
  EXPECT_EQ(classify_media(0x01, std::nullopt), MediaKind::text);
  EXPECT_EQ(classify_media(0x03, std::nullopt), MediaKind::text);
  EXPECT_EQ(classify_media(0x08, std::nullopt), MediaKind::text);
  EXPECT_EQ(classify_media(0x02, std::nullopt), MediaKind::binary_data);
  EXPECT_EQ(classify_media(0x04, std::nullopt), MediaKind::binary_data);
  for (int dc : {0xF4, 0xF5, 0xF6, 0xF7}) {
    EXPECT_EQ(classify_media(static_cast<std::uint8_t>(dc), std::nullopt), MediaKind::binary_data)
        << dc;
  }
  for (int dc : {0xF0, 0xF1, 0xF2, 0xF3}) {
    EXPECT_EQ(classify_media(static_cast<std::uint8_t>(dc), std::nullopt), MediaKind::text) << dc;
  }
  EXPECT_EQ(classify_media(0x14, std::nullopt), MediaKind::binary_data);  // GSM 8-bit class 0
  EXPECT_EQ(classify_media(0x18, std::nullopt), MediaKind::text);         // GSM UCS2 class 0
  EXPECT_EQ(classify_media(0x10, std::nullopt), MediaKind::text);         // GSM 7-bit class 0
  EXPECT_EQ(classify_media(0xC8, std::nullopt), MediaKind::text);         // MWI
  EXPECT_EQ(classify_media(0x00, 2948), MediaKind::wap_push);
  EXPECT_EQ(classify_media(0x04, 2949), MediaKind::wap_push);
  EXPECT_EQ(classify_media(0x04, 9204), MediaKind::application_port);  // vCard
  EXPECT_EQ(classify_media(0x00, 5505), MediaKind::application_port);  // ringtone
  EXPECT_EQ(to_string(MediaKind::wap_push), "wap_push");
}

/// WSP push (TID, 0x06, headers: content type 0xBE + X-Wap-Application-Id) + m-notification-ind.
std::string mms_notification(const std::string& subject_field) {
  std::string body = octets({0x8C, 0x82, 0x98}) + "T123" + octets({0x00, 0x8D, 0x90});
  body += octets({0x89, 0x0E, 0x80}) + "+15551234567" + octets({0x00});  // From
  body += subject_field;
  body += octets({0x8A, 0x80, 0x8E, 0x02, 0x0B, 0xB8, 0x88, 0x05, 0x81, 0x03, 0x03, 0xF4, 0x80});
  body += octets({0x83}) + "http://mmsc.example/x" + octets({0x00});
  const std::string headers = octets({0xBE, 0xAF, 0x84});
  return octets({0x01, 0x06, static_cast<int>(headers.size())}) + headers + body;
}

std::string ascii_subject(const std::string& s) {
  return octets({0x96}) + s + octets({0x00});
}

TEST(Media, MmsSubjectAscii) {
  auto t = extract_mms_subject(mms_notification(ascii_subject("Party pics")));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->user_data, "Party pics");
  EXPECT_EQ(t->data_coding, 0x03);
}

TEST(Media, MmsSubjectUtf8BecomesUcs2) {
  // Value-length, charset UTF-8 (106 -> 0xEA), "Hé🙂" + NUL.
  const std::string text = "H\xC3\xA9\xF0\x9F\x99\x82";
  const std::string field =
      octets({0x96, static_cast<int>(text.size() + 2), 0xEA}) + text + octets({0x00});
  auto t = extract_mms_subject(mms_notification(field));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->data_coding, 0x08);
  EXPECT_EQ(t->user_data, octets({0x00, 'H', 0x00, 0xE9, 0xD8, 0x3D, 0xDE, 0x42}));
}

TEST(Media, MmsSubjectLatin1AndUcs2Charsets) {
  const std::string latin1 = octets({0x96, 0x04, 0x84, 'A', 0xE9, 0x00});
  auto a = extract_mms_subject(mms_notification(latin1));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->data_coding, 0x03);
  EXPECT_EQ(a->user_data, octets({'A', 0xE9}));
  // UCS-2 (MIBenum 1000 as a 2-octet long integer), with BOM.
  const std::string ucs2 = octets({0x96, 0x09, 0x02, 0x03, 0xE8, 0xFE, 0xFF, 0x00, 'O', 0x00, 'K'});
  auto b = extract_mms_subject(mms_notification(ucs2));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->data_coding, 0x08);
  EXPECT_EQ(b->user_data, octets({0x00, 'O', 0x00, 'K'}));
}

TEST(Media, MmsWithoutSubjectOrMalformedGivesNothing) {
  EXPECT_FALSE(extract_mms_subject(mms_notification("")));
  EXPECT_FALSE(extract_mms_subject(""));
  const std::string full = mms_notification(ascii_subject("Hi"));
  // Every truncation before the subject's NUL is rejected without reading past the buffer.
  const std::size_t subject_end = full.find(std::string("Hi") + '\0') + 2;
  for (std::size_t n = 0; n < subject_end; ++n) {
    EXPECT_FALSE(extract_mms_subject(std::string_view(full).substr(0, n))) << n;
  }
  // Not an MMS content type.
  std::string other = full;
  other[3] = static_cast<char>(0xB0);
  EXPECT_FALSE(extract_mms_subject(other));
  // Invalid UTF-8 in a UTF-8 subject.
  const std::string bad = octets({0x96, 0x04, 0xEA, 0xC3, 0x28, 0x00});
  EXPECT_FALSE(extract_mms_subject(mms_notification(bad)));
  // Text content type form is accepted too.
  const std::string text_ct = "application/vnd.wap.mms-message";
  std::string body = octets({0x8C, 0x82}) + ascii_subject("Yo");
  std::string pdu =
      octets({0x00, 0x06, static_cast<int>(text_ct.size() + 1)}) + text_ct + octets({0x00}) + body;
  auto t = extract_mms_subject(pdu);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->user_data, "Yo");
}

TEST(Media, WapPushSingleSmsKeepsOnlyTheSubject) {
  Reassembler r;
  PartBuilder p(octets({0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0}) +
                    mms_notification(ascii_subject("See photo")),
                8);
  p.dc(0x04);
  AddResult res = r.add(*p);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->media_omitted);
  EXPECT_EQ(res.message->media, MediaKind::wap_push);
  EXPECT_EQ(res.message->user_data, "See photo");
  EXPECT_EQ(res.message->data_coding, 0x03);
  EXPECT_THAT(res.message->tokens, ElementsAre(8u));
}

TEST(Media, ConcatenatedWapPushIsJoinedBeforeExtraction) {
  Reassembler r;
  const std::string wsp = mms_notification(ascii_subject("Split subject"));
  const std::size_t cut = wsp.size() / 2;
  auto udh = [](int seq) {
    return octets({0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x21, 0x02, seq});
  };
  PartBuilder b(udh(2) + wsp.substr(cut), 2);
  b.dc(0xF5);
  PartBuilder a(udh(1) + wsp.substr(0, cut), 1);
  a.dc(0xF5);
  EXPECT_EQ(r.add(*b).outcome, PartOutcome::held);
  AddResult res = r.add(*a);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->media_omitted);
  EXPECT_EQ(res.message->user_data, "Split subject");
  EXPECT_THAT(res.message->tokens, ElementsAre(1u, 2u));
}

TEST(Media, WapPushWithoutSubjectHasEmptyText) {
  Reassembler r;
  PartBuilder p(octets({0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0}) + mms_notification(""), 1);
  p.dc(0x04);
  AddResult res = r.add(*p);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->media_omitted);
  EXPECT_TRUE(res.message->user_data.empty());
}

TEST(Media, PortAddressedVcardIsDropped) {
  Reassembler r;
  PartBuilder p(octets({0x06, 0x05, 0x04, 0x23, 0xF4, 0x00, 0x00}) + "BEGIN:VCARD\r\nEND:VCARD", 1);
  AddResult res = r.add(*p);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->media_omitted);
  EXPECT_EQ(res.message->media, MediaKind::application_port);
  EXPECT_TRUE(res.message->user_data.empty());
}

TEST(Media, TlvDestinationPortCountsAsMedia) {
  Reassembler r;
  PartBuilder p(octets({0x01, 0x06, 0x00, 0xFF}), 1, 0, 0x00);
  p.part.destination_port = 2948;
  AddResult res = r.add(*p);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->media_omitted);
  EXPECT_EQ(res.message->media, MediaKind::wap_push);
}

TEST(Media, BinaryDataCodingIsDroppedTextIsKept) {
  Reassembler r;
  PartBuilder bin(octets({0x00, 0x01, 0xFF}), 1, 0, 0x00);
  bin.dc(0x04);
  AddResult a = r.add(*bin);
  ASSERT_TRUE(a.message);
  EXPECT_TRUE(a.message->media_omitted);
  EXPECT_EQ(a.message->media, MediaKind::binary_data);
  EXPECT_TRUE(a.message->user_data.empty());

  PartBuilder ucs2(octets({0x00, 'h', 0x00, 'i'}), 2, 0, 0x00);
  ucs2.dc(0x08);
  AddResult b = r.add(*ucs2);
  ASSERT_TRUE(b.message);
  EXPECT_FALSE(b.message->media_omitted);
  EXPECT_EQ(b.message->user_data, octets({0x00, 'h', 0x00, 'i'}));
  EXPECT_EQ(b.message->data_coding, 0x08);
}

TEST(Media, MixedSetKeepsTextPartsAndItsCoding) {
  Reassembler r;
  PartBuilder bin(concat8(6, 2, 1) + octets({0xDE, 0xAD}), 1);
  bin.dc(0xF6);
  PartBuilder txt(concat8(6, 2, 2) + "caption", 2);
  txt.dc(0x00);
  EXPECT_EQ(r.add(*bin).outcome, PartOutcome::held);
  AddResult res = r.add(*txt);
  ASSERT_TRUE(res.message);
  EXPECT_TRUE(res.message->media_omitted);
  EXPECT_EQ(res.message->user_data, "caption");
  ASSERT_EQ(res.message->boundaries.size(), 1u);  // only the kept text part
  EXPECT_EQ(res.message->boundaries[0].seq, 2);
  EXPECT_EQ(res.message->boundaries[0].header_octets, 6);
  EXPECT_EQ(res.message->data_coding, 0x00);
}

// Joins `plan`'s parts (arriving in reverse order) and decodes them as a packed-GSM bind would.
std::string join_and_decode(const SegmentPlan& plan, DecodeOptions options) {
  Reassembler r;
  std::optional<ReassembledMessage> whole;
  std::vector<PartBuilder> parts;
  for (std::size_t i = 0; i < plan.parts.size(); ++i)
    parts.emplace_back(plan.parts[i].short_message, i + 1, 0, plan.parts[i].esm_class);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    it->dc(plan.data_coding);
    AddResult res = r.add(**it);
    if (res.message) whole = std::move(res.message);
  }
  EXPECT_TRUE(whole.has_value());
  if (!whole) return {};
  std::string text;
  const DecodeResult d = decode_message_text(*whole, text, options);
  EXPECT_EQ(d.charset, Charset::gsm7_packed);
  return text;
}

TEST(Reassembly, PackedGsmPartsAreUnpackedEachAfterItsUdhFillBits) {
  // 6-octet UDH: 1 fill bit before each part's first septet; 7-octet UDH (16-bit reference):
  // 0 fill bits. Both must come back as the text that was sent.
  const std::string text =
      "Packed parts start after the header: each one is unpacked on its own, with the fill "
      "bits its header leaves, or every part after the first turns into garbage. {Escapes} "
      "and a euro \xE2\x82\xAC cost two septets.";
  DecodeOptions options;
  options.default_alphabet = DefaultAlphabet::gsm7_packed;
  for (Concatenation c : {Concatenation::udh8, Concatenation::udh16}) {
    SegmentOptions so;
    so.gsm7_packed = true;
    so.concatenation = c;
    const SegmentPlan plan = plan_segments(text, so);
    ASSERT_EQ(plan.parts.size(), 2u);
    EXPECT_EQ(join_and_decode(plan, options), text);
  }
}

TEST(Reassembly, PackedGsmStandaloneWithoutUdhDecodesWhole) {
  const std::string text = "Just one packed part";
  SegmentOptions so;
  so.gsm7_packed = true;
  const SegmentPlan plan = plan_segments(text, so);
  ASSERT_EQ(plan.parts.size(), 1u);
  DecodeOptions options;
  options.default_alphabet = DefaultAlphabet::gsm7_packed;
  Reassembler r;
  PartBuilder p(plan.parts[0].short_message, 1, 0, 0x00);
  AddResult res = r.add(*p);
  ASSERT_TRUE(res.message);
  std::string out;
  decode_message_text(*res.message, out, options);
  EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace twoway::smpp
