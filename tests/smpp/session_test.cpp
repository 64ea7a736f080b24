// smpp::Session building blocks (backoff, token bucket, sequence numbers, status table) and its
// protocol manners against a hand-driven SMSC socket: enquire_link answered, unknown requests
// nacked, unknown responses dropped, generic_nack fails the request, unanswered inbound PDUs
// answered ESME_RX_T_APPN.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"

namespace twoway::smpp {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

TEST(SessionParts, SequenceNumbersWrapToOne) {
  EXPECT_EQ(next_sequence_number(1), 2u);
  EXPECT_EQ(next_sequence_number(0x7FFFFFFE), 0x7FFFFFFFu);
  EXPECT_EQ(next_sequence_number(0x7FFFFFFF), 1u);
  EXPECT_EQ(next_sequence_number(0), 1u);
}

TEST(SessionParts, BackoffGrowsWithJitterAndCaps) {
  Backoff b(100ms, 1000ms, 2.0, 42);
  const long base[] = {100, 200, 400, 800, 1000, 1000};
  for (long want : base) {
    const auto got = b.next().count();
    EXPECT_GE(got, want / 2);
    EXPECT_LE(got, want);
  }
  b.reset();
  EXPECT_LE(b.next().count(), 100);
}

TEST(SessionParts, TokenBucketPacesAndRefills) {
  const auto t0 = SessionClock::now();
  TokenBucket tb(10.0, 1.0, t0);
  EXPECT_TRUE(tb.try_take(t0));
  EXPECT_FALSE(tb.try_take(t0));
  const auto wait = tb.wait_time(t0);
  EXPECT_GT(wait, 90ms);
  EXPECT_LE(wait, 101ms);
  EXPECT_TRUE(tb.try_take(t0 + 100ms));
  TokenBucket unlimited(0, 1, t0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.try_take(t0));
}

TEST(SessionParts, StatusTableSplitsRetryableFromPermanent) {
  EXPECT_TRUE(is_retryable_status(status::throttled));
  EXPECT_TRUE(is_retryable_status(status::msgqful));
  EXPECT_TRUE(is_retryable_status(status::syserr));
  EXPECT_FALSE(is_retryable_status(status::invdstadr));
  EXPECT_FALSE(is_retryable_status(status::invsrcadr));
  EXPECT_FALSE(is_retryable_status(status::invcmdid));
}

// A blocking SMSC side for exact, step-by-step exchanges.
class RawSmsc {
 public:
  RawSmsc() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), sock_(io_) {}
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void accept() { acceptor_.accept(sock_); }
  Header read_frame(std::string* body = nullptr) {
    char h[16];
    asio::read(sock_, asio::buffer(h, 16));
    Header hd{load_be32(h), load_be32(h + 4), load_be32(h + 8), load_be32(h + 12)};
    std::string rest(hd.command_length - 16, '\0');
    if (!rest.empty()) asio::read(sock_, asio::buffer(rest));
    if (body) *body = rest;
    return hd;
  }
  void write_header(std::uint32_t id, std::uint32_t st, std::uint32_t seq,
                    std::string_view body = {}) {
    std::string f(16, '\0');
    store_be32(f.data(), static_cast<std::uint32_t>(16 + body.size()));
    store_be32(f.data() + 4, id);
    store_be32(f.data() + 8, st);
    store_be32(f.data() + 12, seq);
    f.append(body);
    asio::write(sock_, asio::buffer(f));
  }
  void write_pdu(const Pdu& p) {
    std::string f;
    ASSERT_FALSE(encode(p, f));
    asio::write(sock_, asio::buffer(f));
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket sock_;
};

Pdu deliver(std::uint32_t seq, std::string_view text) {
  Pdu p = make_pdu(cmd::deliver_sm, seq);
  auto& sm = std::get<ShortMessage>(p.body);
  sm.source_addr = "15550001234";
  sm.destination_addr = "12345";
  sm.short_message = text;
  return p;
}

TEST(SessionProtocol, AnswersNacksDropsAndNeverAcksByItself) {
  RawSmsc smsc;
  asio::io_context io;
  SessionConfig cfg;
  cfg.port = smsc.port();
  cfg.system_id = "esme";
  cfg.password = "pw";
  cfg.system_type = "twoway";
  cfg.interface_version = 0x50;
  cfg.enquire_link_interval = 60s;
  auto session = Session::create(io, cfg);
  std::promise<SubmitResult> submitted;
  std::promise<std::string> kept;
  session->on_inbound([&](const Pdu& pdu, InboundCompletion c) {
    const auto text = std::get<ShortMessage>(pdu.body).short_message;
    if (text == "drop me") return;  // destroyed unanswered
    kept.set_value(std::string(text));
    c.respond(status::ok);
  });
  session->start();
  std::thread t([&] { io.run_for(10s); });

  smsc.accept();
  std::string body;
  Header h = smsc.read_frame(&body);
  ASSERT_EQ(h.command_id, cmd::bind_transceiver);
  Pdu bind;
  std::string frame(16, '\0');
  store_be32(frame.data(), h.command_length);
  store_be32(frame.data() + 4, h.command_id);
  store_be32(frame.data() + 12, h.sequence_number);
  frame += body;
  ASSERT_FALSE(decode(frame, bind));
  const auto& b = std::get<BindRequest>(bind.body);
  EXPECT_EQ(b.system_id, "esme");
  EXPECT_EQ(b.password, "pw");
  EXPECT_EQ(b.system_type, "twoway");
  EXPECT_EQ(b.interface_version, 0x50);
  smsc.write_header(cmd::bind_transceiver_resp, 0, h.sequence_number, std::string("smsc\0", 5));

  // enquire_link from the SMSC is answered at once with the same number.
  smsc.write_header(cmd::enquire_link, 0, 77);
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::enquire_link_resp);
  EXPECT_EQ(h.sequence_number, 77u);

  // An unknown request gets generic_nack ESME_RINVCMDID; an unknown response gets nothing.
  smsc.write_header(0x00000999, 0, 78);
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::generic_nack);
  EXPECT_EQ(h.command_status, status::invcmdid);
  EXPECT_EQ(h.sequence_number, 78u);
  smsc.write_header(0x80000999, 0, 79);
  smsc.write_header(cmd::submit_sm_resp, 0, 12345);  // a response nobody asked for
  smsc.write_header(cmd::enquire_link, 0, 80);
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::enquire_link_resp);  // nothing was sent for the two responses
  EXPECT_EQ(h.sequence_number, 80u);

  // generic_nack for a submit fails that submit (permanently for ESME_RINVCMDID).
  Pdu sub = make_pdu(cmd::submit_sm, 1);
  std::get<ShortMessage>(sub.body).destination_addr = "15550009999";
  std::get<ShortMessage>(sub.body).short_message = "hi";
  ASSERT_FALSE(session->submit(sub, [&](const SubmitResult& r) { submitted.set_value(r); }));
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::submit_sm);
  smsc.write_header(cmd::generic_nack, status::invcmdid, h.sequence_number);
  auto fut = submitted.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  const SubmitResult r = fut.get();
  EXPECT_EQ(r.error, make_error_code(errc::generic_nack));
  EXPECT_EQ(r.status, status::invcmdid);
  EXPECT_FALSE(r.retryable);

  // A deliver_sm the application drops is answered ESME_RX_T_APPN, not ESME_ROK.
  smsc.write_pdu(deliver(81, "drop me"));
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::deliver_sm_resp);
  EXPECT_EQ(h.command_status, status::x_t_appn);
  EXPECT_EQ(h.sequence_number, 81u);
  // A sequence number outside the spec range is echoed unchanged.
  smsc.write_pdu(deliver(0x806A179B, "keep me"));
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::deliver_sm_resp);
  EXPECT_EQ(h.command_status, status::ok);
  EXPECT_EQ(h.sequence_number, 0x806A179Bu);
  EXPECT_EQ(kept.get_future().get(), "keep me");

  // SMSC unbind: answered with unbind_resp.
  smsc.write_header(cmd::unbind, 0, 82);
  h = smsc.read_frame();
  EXPECT_EQ(h.command_id, cmd::unbind_resp);
  EXPECT_EQ(h.sequence_number, 82u);

  std::promise<void> stopped;
  session->stop(false, [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(5s), std::future_status::ready);
  io.stop();
  t.join();
  const auto st = session->stats();
  EXPECT_EQ(st.unknown_responses, 2u);
  EXPECT_EQ(st.generic_nacks_sent, 1u);
  EXPECT_EQ(st.inbound_acked, 1u);
  EXPECT_EQ(st.inbound_nacked, 1u);
}

TEST(SessionProtocol, SubmitRefusesWhatItCannotSend) {
  asio::io_context io;
  SessionConfig cfg;
  cfg.max_queue = 2;
  auto s = Session::create(io, cfg);
  Pdu sub = make_pdu(cmd::submit_sm, 1);
  EXPECT_FALSE(s->submit(sub, nullptr));
  EXPECT_FALSE(s->submit(sub, nullptr));
  EXPECT_EQ(s->submit(sub, nullptr), make_error_code(errc::window_full));  // back-pressure
  EXPECT_EQ(s->submit(make_pdu(cmd::enquire_link, 1), nullptr),
            make_error_code(errc::unknown_command));
  EXPECT_EQ(s->stats().queue_depth, 2u);
  cfg.bind_type = BindType::receiver;
  auto rx = Session::create(io, cfg);
  EXPECT_EQ(rx->submit(sub, nullptr), make_error_code(errc::not_bound));
  EXPECT_THROW(Session::create(io,
                               [] {
                                 SessionConfig c;
                                 c.window = 0;
                                 return c;
                               }()),
               std::invalid_argument);
}

TEST(SessionProtocol, DataSmIsHandedOverAndAnsweredAsTheApplicationSays) {
  RawSmsc smsc;
  asio::io_context io;
  SessionConfig cfg;
  cfg.port = smsc.port();
  cfg.bind_type = BindType::receiver;
  cfg.enquire_link_interval = 60s;
  auto session = Session::create(io, cfg);
  std::promise<std::string> payload;
  session->on_inbound([&](const Pdu& pdu, InboundCompletion c) {
    const auto* d = pdu.as<DataSm>();
    ASSERT_NE(d, nullptr);
    payload.set_value(std::string(find_tlv(d->tlvs, tag::message_payload).value_or("")));
    c.respond(status::x_t_appn);  // e.g. the store is not ready: the SMSC retries later
  });
  session->start();
  std::thread t([&] { io.run_for(10s); });
  smsc.accept();
  Header h = smsc.read_frame();
  ASSERT_EQ(h.command_id, cmd::bind_receiver);
  // A deliver_sm before the bind is answered is refused: not bound yet.
  smsc.write_pdu(deliver(5, "too early"));
  Header r = smsc.read_frame();
  EXPECT_EQ(r.command_id, cmd::deliver_sm_resp);
  EXPECT_EQ(r.command_status, status::invbndsts);
  smsc.write_header(cmd::bind_receiver_resp, 0, h.sequence_number, std::string("smsc\0", 5));
  Pdu d = make_pdu(cmd::data_sm, 6);
  auto& body = std::get<DataSm>(d.body);
  body.source_addr = "15550001234";
  body.destination_addr = "12345";
  body.tlvs.push_back(Tlv{tag::message_payload, "payload text"});
  smsc.write_pdu(d);
  r = smsc.read_frame();
  EXPECT_EQ(r.command_id, cmd::data_sm_resp);
  EXPECT_EQ(r.command_status, status::x_t_appn);
  EXPECT_EQ(r.sequence_number, 6u);
  EXPECT_EQ(payload.get_future().get(), "payload text");
  std::promise<void> stopped;
  session->stop(false, [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(5s), std::future_status::ready);
  io.stop();
  t.join();
}

TEST(SessionProtocol, AnswersGivenTogetherAndQueuedSubmitsLeaveInOneWriteEach) {
  RawSmsc smsc;
  asio::io_context io;
  SessionConfig cfg;
  cfg.port = smsc.port();
  cfg.window = 10;
  cfg.enquire_link_interval = 60s;
  auto session = Session::create(io, cfg);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<InboundCompletion> held;
  session->on_inbound([&](const Pdu&, InboundCompletion c) {
    std::lock_guard lock(mu);
    held.push_back(std::move(c));
    cv.notify_all();
  });
  // Five submits queued before the bind is answered: the bind lets them all go at once.
  std::atomic<int> results{0};
  for (int i = 0; i < 5; ++i) {
    Pdu sub = make_pdu(cmd::submit_sm, 1);
    std::get<ShortMessage>(sub.body).destination_addr = "15550009999";
    std::get<ShortMessage>(sub.body).short_message = "hi";
    ASSERT_FALSE(session->submit(sub, [&](const SubmitResult&) { ++results; }));
  }
  session->start();
  std::thread t([&] { io.run_for(10s); });
  smsc.accept();
  Header h = smsc.read_frame();
  ASSERT_EQ(h.command_id, cmd::bind_transceiver);
  EXPECT_EQ(session->stats().writes, 1u);  // the bind
  smsc.write_header(cmd::bind_transceiver_resp, 0, h.sequence_number, std::string("smsc\0", 5));
  std::vector<std::uint32_t> submit_seqs;
  for (int i = 0; i < 5; ++i) {
    h = smsc.read_frame();
    ASSERT_EQ(h.command_id, cmd::submit_sm);
    submit_seqs.push_back(h.sequence_number);
  }
  EXPECT_EQ(session->stats().writes, 2u);  // the five submit_sm in one write

  // Eight deliver_sm, answered together with respond_all: eight responses, one write.
  for (std::uint32_t seq = 100; seq < 108; ++seq) smsc.write_pdu(deliver(seq, "mo"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return held.size() == 8; }));
  }
  const auto writes_before = session->stats().writes;
  std::vector<InboundCompletion*> all;
  for (auto& c : held) all.push_back(&c);
  InboundCompletion::respond_all(all, status::ok);
  for (std::uint32_t seq = 100; seq < 108; ++seq) {
    h = smsc.read_frame();
    EXPECT_EQ(h.command_id, cmd::deliver_sm_resp);
    EXPECT_EQ(h.command_status, status::ok);
    EXPECT_EQ(h.sequence_number, seq);
  }
  EXPECT_EQ(session->stats().writes, writes_before + 1);
  InboundCompletion::respond_all(all, status::x_t_appn);  // answered already: nothing more
  EXPECT_EQ(session->stats().inbound_acked, 8u);
  EXPECT_EQ(session->stats().inbound_nacked, 0u);

  for (auto seq : submit_seqs)
    smsc.write_header(cmd::submit_sm_resp, 0, seq, std::string("id\0", 3));
  std::promise<void> stopped;
  session->stop(false, [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(5s), std::future_status::ready);
  io.stop();
  t.join();
  EXPECT_EQ(results.load(), 5);
}

}  // namespace
}  // namespace twoway::smpp
