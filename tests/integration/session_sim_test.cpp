// The ESME session against the SMSC simulator on loopback: window, out-of-order responses,
// throttling, half-open links, reconnect backoff, bind refusal, SMSC unbind, bad frames,
// graceful shutdown, inbound completions and back-pressure, no loss across disconnects.
#include <atomic>
#include <set>

#include "tests/integration/harness.hpp"

namespace twoway::testing {
namespace {

using smpp::LinkState;
using smpp::Session;
using smpp::SessionConfig;

class SessionSim : public ::testing::Test {
 protected:
  void start_sim(const sim::SimConfig& c) {
    sim = std::make_unique<sim::Simulator>(sim_io.io(), c);
    ASSERT_FALSE(sim->listen());
  }
  std::shared_ptr<Session> start_session(SessionConfig c, smpp::InboundCallback inbound = nullptr) {
    session = Session::create(esme_io.io(), std::move(c));
    if (inbound) session->on_inbound(std::move(inbound));
    session->on_state([ev = events](const smpp::StateEvent& e) {
      std::lock_guard lock(ev->mu);
      ev->list.push_back(e);
    });
    session->start();
    return session;
  }
  bool bound() { return session->stats().state == LinkState::bound; }
  void TearDown() override {
    if (session) {
      EXPECT_TRUE(stop_session(session, false));
    }
    if (sim) sim->stop();
  }

  struct Events {
    std::mutex mu;
    std::vector<smpp::StateEvent> list;
  };
  std::shared_ptr<Events> events = std::make_shared<Events>();
  IoThread sim_io, esme_io;
  std::unique_ptr<sim::Simulator> sim;
  std::shared_ptr<Session> session;
};

TEST_F(SessionSim, WindowCapsOutstandingRequestsAndAllComplete) {
  auto sc = sim_config();
  sc.faults.response_delay = std::chrono::milliseconds(30);
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.window = 7;
  start_session(cfg);
  auto res = std::make_shared<Results>(60);
  for (int i = 0; i < 60; ++i) {
    ASSERT_FALSE(
        session->submit(submit_frame("15550001111", "msg " + std::to_string(i)), res->cb(i)));
  }
  ASSERT_TRUE(wait_until([&] { return res->count() == 60; }));
  EXPECT_EQ(res->ok(), 60u);
  const auto st = session->stats();
  EXPECT_EQ(st.window_peak, 7u);  // filled, never exceeded
  EXPECT_EQ(st.window_in_use, 0u);
  std::set<std::string> ids;
  for (const auto& r : res->all) ids.insert(r.message_id);
  EXPECT_EQ(ids.size(), 60u);
  for (int c : res->calls) EXPECT_EQ(c, 1);
}

TEST_F(SessionSim, OutOfOrderResponsesMatchTheirRequests) {
  auto sc = sim_config();
  sc.faults.out_of_order_responses = true;
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.window = 50;
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] { return bound(); }));
  // Each text carries its index; the message_id the session hands back must be the one the
  // SMSC gave to that very text, though the responses came back in another order.
  std::vector<std::string> got(200);
  std::mutex mu;
  std::atomic<int> done{0};
  for (int i = 0; i < 200; ++i) {
    ASSERT_FALSE(session->submit(submit_frame("15550001111", "text " + std::to_string(i)),
                                 [&, i](const smpp::SubmitResult& r) {
                                   std::lock_guard lock(mu);
                                   got[i] = r.message_id;
                                   ++done;
                                 }));
  }
  ASSERT_TRUE(wait_until([&] { return done == 200; }));
  std::map<std::string, std::string> text_by_id;
  for (const auto& m : sim->mt_records()) text_by_id[m.message_id] = m.short_message;
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(text_by_id[got[i]], "text " + std::to_string(i)) << "request " << i;
  }
  EXPECT_TRUE(stop_session(session));
}

TEST_F(SessionSim, ThrottledRequestsPauseAndResumeWithoutDuplicates) {
  auto sc = sim_config();
  sc.faults.throttle_every = 4;
  sc.faults.msgqful_every = 7;
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.window = 5;
  start_session(cfg);
  auto res = std::make_shared<Results>(80);
  for (int i = 0; i < 80; ++i) {
    ASSERT_FALSE(session->submit(submit_frame("15550002222", "t" + std::to_string(i)), res->cb(i)));
  }
  ASSERT_TRUE(wait_until([&] { return res->count() == 80; }));
  EXPECT_EQ(res->ok(), 80u);  // throttling is never reported to the caller
  for (int c : res->calls) EXPECT_EQ(c, 1);
  const auto sims = sim->counters();
  EXPECT_EQ(sims.mt_received, 80u);  // accepted exactly once each
  EXPECT_GT(sims.mt_throttled, 0u);
  EXPECT_EQ(session->stats().throttles, sims.mt_throttled);
  std::uint64_t attempts = 0;
  for (const auto& r : res->all) attempts += r.attempts;
  EXPECT_EQ(attempts, 80u + sims.mt_throttled);
}

TEST_F(SessionSim, HalfOpenLinkIsDetectedByEnquireLinkAndReconnected) {
  auto sc = sim_config();
  sc.faults.silent_after = 1;  // answers the bind, then nothing at all
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.enquire_link_interval = std::chrono::milliseconds(50);
  cfg.enquire_link_timeout = std::chrono::milliseconds(100);
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] { return session->stats().link_drops >= 1; }));
  sim->set_faults({});
  ASSERT_TRUE(wait_until([&] { return bound() && session->stats().binds_ok >= 2; }));
  const auto st = session->stats();
  EXPECT_GE(st.enquire_links_sent, 1u);
  EXPECT_NE(st.last_error.find("enquire_link"), std::string::npos) << st.last_error;
}

TEST_F(SessionSim, UnansweredEnquireLinkMeansDeadLink) {
  auto sc = sim_config();
  sc.faults.ignore_enquire_link = true;
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.enquire_link_interval = std::chrono::milliseconds(50);
  cfg.enquire_link_timeout = std::chrono::milliseconds(100);
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] {
    const auto st = session->stats();
    return st.link_drops >= 2 && st.reconnects >= 2;
  }));
  EXPECT_GE(sim->counters().enquire_links, 2u);
  EXPECT_NE(session->stats().last_error.find("enquire_link"), std::string::npos);
}

TEST_F(SessionSim, ReconnectBacksOffExponentiallyWithJitter) {
  // Nothing listens on this port: every attempt fails at connect.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  auto cfg = fast_config(port);
  cfg.reconnect_min = std::chrono::milliseconds(10);
  cfg.reconnect_max = std::chrono::milliseconds(80);
  cfg.reconnect_factor = 2.0;
  start_session(cfg);
  const auto backoffs = [&] {
    std::lock_guard lock(events->mu);
    std::vector<long> v;
    for (const auto& e : events->list) {
      if (e.state == LinkState::backoff) v.push_back(static_cast<long>(e.backoff.count()));
    }
    return v;
  };
  ASSERT_TRUE(wait_until([&] { return backoffs().size() >= 6; }));
  EXPECT_TRUE(stop_session(session));
  const auto v = backoffs();
  const long base[] = {10, 20, 40, 80, 80, 80};
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_GE(v[i], base[i] / 2) << "attempt " << i;
    EXPECT_LE(v[i], base[i]) << "attempt " << i;
  }
  EXPECT_EQ(session->stats().reconnects + 1, session->stats().connects);
  EXPECT_EQ(session->stats().binds_ok, 0u);
}

TEST_F(SessionSim, RefusedBindIsReportedAndBacksOffLonger) {
  auto sc = sim_config();
  sc.faults.refuse_binds = 2;
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] { return bound(); }));
  const auto st = session->stats();
  EXPECT_EQ(st.bind_failures, 2u);
  EXPECT_EQ(st.binds_ok, 1u);
  EXPECT_EQ(st.errors_by_status.at(smpp::status::bindfail), 2u);
  std::lock_guard lock(events->mu);
  int refused = 0;
  for (const auto& e : events->list) {
    if (e.state != LinkState::backoff) continue;
    EXPECT_EQ(e.error, make_error_code(smpp::errc::bind_refused));
    EXPECT_EQ(e.bind_status, smpp::status::bindfail);
    EXPECT_GE(e.backoff, cfg.bind_failure_backoff);
    ++refused;
  }
  EXPECT_EQ(refused, 2);
}

TEST_F(SessionSim, WrongPasswordNeverBinds) {
  start_sim(sim_config());
  auto cfg = fast_config(sim->port());
  cfg.password = "wrong";
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] { return session->stats().bind_failures >= 2; }));
  EXPECT_EQ(session->stats().binds_ok, 0u);
  EXPECT_EQ(sim->counters().binds_refused, session->stats().bind_failures);
}

TEST_F(SessionSim, SmscUnbindIsAnsweredThenRebinds) {
  start_sim(sim_config());
  start_session(fast_config(sim->port()));
  ASSERT_TRUE(wait_until([&] { return bound(); }));
  sim->unbind_all();
  ASSERT_TRUE(wait_until([&] { return session->stats().binds_ok == 2 && bound(); }));
  const auto st = session->stats();
  EXPECT_EQ(st.link_drops, 1u);
  EXPECT_EQ(st.pdus_out.at(smpp::cmd::unbind_resp), 1u);
  EXPECT_EQ(sim->counters().unbinds_sent, 1u);
}

TEST_F(SessionSim, GarbageBytesGetANackAndACleanReconnect) {
  auto sc = sim_config();
  sc.faults.garbage_after = 1;
  start_sim(sc);
  start_session(fast_config(sim->port()));
  ASSERT_TRUE(wait_until([&] { return session->stats().link_drops >= 1; }));
  sim->set_faults({});
  ASSERT_TRUE(wait_until([&] { return bound() && session->stats().binds_ok >= 2; }));
  EXPECT_GE(session->stats().generic_nacks_sent, 1u);
  auto res = std::make_shared<Results>(1);
  ASSERT_FALSE(session->submit(submit_frame("15550003333", "after garbage"), res->cb(0)));
  ASSERT_TRUE(wait_until([&] { return res->count() == 1; }));
  EXPECT_EQ(res->ok(), 1u);
}

TEST_F(SessionSim, OversizedCommandLengthIsRefusedBeforeAllocating) {
  auto sc = sim_config();
  sc.faults.oversized_after = 1;  // announces a 16 MiB frame and sends none of it
  start_sim(sc);
  start_session(fast_config(sim->port()));
  ASSERT_TRUE(wait_until([&] { return session->stats().link_drops >= 1; }));
  sim->set_faults({});
  ASSERT_TRUE(wait_until([&] { return bound() && session->stats().binds_ok >= 2; }));
  const auto st = session->stats();
  EXPECT_GE(st.generic_nacks_sent, 1u);
  EXPECT_NE(st.last_error.find("invalid frame"), std::string::npos) << st.last_error;
  EXPECT_LT(st.bytes_in, 4096u);  // it never waited for the announced 16 MiB
}

TEST_F(SessionSim, GracefulStopAnswersOutstandingAndFailsQueued) {
  auto sc = sim_config();
  sc.faults.response_delay = std::chrono::milliseconds(200);
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.window = 10;
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] { return bound(); }));
  auto res = std::make_shared<Results>(25);
  for (int i = 0; i < 25; ++i) {
    ASSERT_FALSE(session->submit(submit_frame("15550004444", "g" + std::to_string(i)), res->cb(i)));
  }
  ASSERT_TRUE(wait_until([&] { return session->stats().window_in_use == 10; }));
  ASSERT_TRUE(stop_session(session, true));
  EXPECT_EQ(session->submit(submit_frame("1", "late"), nullptr),
            make_error_code(smpp::errc::shutting_down));
  ASSERT_EQ(res->count(), 25u);
  EXPECT_EQ(res->ok(), 10u);  // the outstanding ones were answered before the unbind
  std::size_t shutting_down = 0;
  for (const auto& r : res->all) {
    if (r.error == make_error_code(smpp::errc::shutting_down)) {
      EXPECT_TRUE(r.retryable);
      ++shutting_down;
    }
  }
  EXPECT_EQ(shutting_down, 15u);
  for (int c : res->calls) EXPECT_EQ(c, 1);
  ASSERT_TRUE(wait_until([&] { return sim->counters().unbinds_received == 1; }));
  EXPECT_EQ(session->stats().state, LinkState::stopped);
}

TEST_F(SessionSim, NothingLostOrAnsweredTwiceAcrossDisconnects) {
  auto sc = sim_config();
  sc.faults.drop_after = 40;  // every connection dies after 40 PDUs
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.window = 10;
  start_session(cfg);
  constexpr int kCount = 300;
  // Resubmit what comes back retryable, as the outbox would, until everything is accepted.
  struct Book {
    std::mutex mu;
    std::vector<int> ok_calls = std::vector<int>(kCount, 0);
    int retried = 0;
    std::vector<int> pending;
  };
  auto book = std::make_shared<Book>();
  std::function<void(int)> send;
  auto weak = std::weak_ptr<Session>(session);
  send = [book, weak, &send](int i) {
    auto s = weak.lock();
    if (!s) return;
    auto ec = s->submit(submit_frame("15550005555", "n" + std::to_string(i)),
                        [book, i](const smpp::SubmitResult& r) {
                          std::lock_guard lock(book->mu);
                          if (r) {
                            ++book->ok_calls[i];
                          } else {
                            EXPECT_TRUE(r.retryable) << r.error.message();
                            ++book->retried;
                            book->pending.push_back(i);
                          }
                        });
    EXPECT_FALSE(ec);
  };
  for (int i = 0; i < kCount; ++i) send(i);
  const auto all_ok = [&] {
    std::vector<int> again;
    {
      std::lock_guard lock(book->mu);
      again.swap(book->pending);
    }
    for (int i : again) send(i);
    std::lock_guard lock(book->mu);
    for (int c : book->ok_calls) {
      if (c == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(wait_until(all_ok, std::chrono::seconds(20)));
  std::lock_guard lock(book->mu);
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(book->ok_calls[i], 1) << i;
  const auto st = session->stats();
  EXPECT_GE(st.link_drops, 3u);
  EXPECT_EQ(st.submits_ok, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(st.submits_accepted, static_cast<std::uint64_t>(kCount + book->retried));
  EXPECT_EQ(st.submits_ok + st.submits_failed, st.submits_accepted);
}

TEST_F(SessionSim, InboundIsAckedOnlyByTheApplication) {
  auto sc = sim_config();
  sc.mo_per_bind = 40;  // the built-in mix: text, keywords, unicode, multipart, WAP push
  sc.window = 10;
  start_sim(sc);
  struct Seen {
    std::mutex mu;
    std::map<std::string, int> first_seen;  // key: source + text octets
    int refused = 0;
  };
  auto seen = std::make_shared<Seen>();
  start_session(fast_config(sim->port()), [seen](const smpp::Pdu& pdu, smpp::InboundCompletion c) {
    const auto* sm = pdu.as<smpp::ShortMessage>();
    ASSERT_NE(sm, nullptr);
    std::string key = std::string(sm->source_addr) + "|" + std::string(sm->short_message);
    std::lock_guard lock(seen->mu);
    if (seen->first_seen[key]++ == 0) {
      ++seen->refused;
      return;  // dropped without an answer: ESME_RX_T_APPN, the SMSC redelivers
    }
    c.respond(smpp::status::ok);
  });
  ASSERT_TRUE(wait_until([&] { return sim->done(); }));
  const auto c = sim->counters();
  EXPECT_EQ(c.mo_messages_acked, 40u);
  EXPECT_EQ(c.mo_messages_failed, 0u);
  std::lock_guard lock(seen->mu);
  EXPECT_EQ(c.mo_pdus_nacked, static_cast<std::uint64_t>(seen->refused));
  EXPECT_EQ(session->stats().inbound_nacked, static_cast<std::uint64_t>(seen->refused));
}

TEST_F(SessionSim, UnansweredInboundAppliesBackPressure) {
  auto sc = sim_config();
  sc.mo_per_bind = 100;
  sc.texts = {"hello"};
  sc.window = 50;
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.max_unanswered_inbound = 5;
  struct Held {
    std::mutex mu;
    std::vector<smpp::InboundCompletion> list;
    int calls = 0;
  };
  auto held = std::make_shared<Held>();
  start_session(cfg, [held](const smpp::Pdu&, smpp::InboundCompletion c) {
    std::lock_guard lock(held->mu);
    ++held->calls;
    held->list.push_back(std::move(c));
  });
  ASSERT_TRUE(wait_until([&] { return session->stats().inbound_unanswered == 5; }));
  // The simulator's whole window is on the socket: PDUs were there to read, and were not.
  ASSERT_TRUE(wait_until([&] { return sim->counters().mo_pdus_sent >= 50; }));
  {
    std::lock_guard lock(held->mu);
    EXPECT_EQ(held->calls, 5);  // it stopped reading instead of piling up PDUs
  }
  EXPECT_EQ(session->stats().inbound_unanswered, 5u);
  // Answer everything from now on (the callback keeps holding; this loop answers).
  const auto answer_all = [&] {
    std::vector<smpp::InboundCompletion> now;
    {
      std::lock_guard lock(held->mu);
      now.swap(held->list);
    }
    for (auto& c : now) c.respond(smpp::status::ok);
    return sim->done();
  };
  ASSERT_TRUE(wait_until(answer_all));
  EXPECT_EQ(sim->counters().mo_messages_acked, 100u);
}

TEST_F(SessionSim, ReceiverTransmitterPairIsOneLink) {
  auto sc = sim_config();
  sc.mo_per_bind = 5;
  sc.texts = {"ping"};
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.bind_type = smpp::BindType::receiver_transmitter;
  auto receipts = std::make_shared<std::atomic<int>>(0);
  auto mo = std::make_shared<std::atomic<int>>(0);
  start_session(cfg, [receipts, mo](const smpp::Pdu& pdu, smpp::InboundCompletion c) {
    const auto* sm = pdu.as<smpp::ShortMessage>();
    if (sm != nullptr &&
        (sm->esm_class & smpp::esm::type_mask) == smpp::esm::type_delivery_receipt) {
      ++*receipts;
    } else {
      ++*mo;
    }
    c.respond(smpp::status::ok);
  });
  ASSERT_TRUE(wait_until([&] { return bound(); }));
  EXPECT_EQ(session->stats().links, 2);
  auto res = std::make_shared<Results>(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(session->submit(submit_frame("15550000001", "pong", 1), res->cb(i)));
  }
  ASSERT_TRUE(wait_until([&] { return res->ok() == 3 && *receipts == 3 && *mo == 5; }));
  EXPECT_EQ(sim->counters().binds_ok, 2u);
  const auto st = session->stats();
  EXPECT_EQ(st.pdus_out.at(smpp::cmd::bind_receiver), 1u);
  EXPECT_EQ(st.pdus_out.at(smpp::cmd::bind_transmitter), 1u);
}

TEST_F(SessionSim, TokenBucketLimitsBurstsWhateverTheWindow) {
  start_sim(sim_config());
  auto cfg = fast_config(sim->port());
  cfg.window = 100;
  cfg.rate_per_second = 50;  // burst = rate / 10 = 5
  start_session(cfg);
  auto res = std::make_shared<Results>(25);
  for (int i = 0; i < 25; ++i) {
    ASSERT_FALSE(session->submit(submit_frame("15550006666", "r" + std::to_string(i)), res->cb(i)));
  }
  ASSERT_TRUE(wait_until([&] { return res->count() == 25; }));
  EXPECT_EQ(res->ok(), 25u);
  EXPECT_LE(session->stats().window_peak, 5u);  // the window alone would have sent all 25
}

TEST_F(SessionSim, TimedOutRequestIsRetryableAndItsLateAnswerIsDropped) {
  auto sc = sim_config();
  sc.faults.response_delay = std::chrono::milliseconds(400);
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.request_timeout = std::chrono::milliseconds(100);
  start_session(cfg);
  auto res = std::make_shared<Results>(1);
  ASSERT_FALSE(session->submit(submit_frame("15550007777", "slow"), res->cb(0)));
  ASSERT_TRUE(wait_until([&] { return res->count() == 1; }));
  {
    std::lock_guard lock(res->mu);
    EXPECT_EQ(res->all[0].error, make_error_code(smpp::errc::timeout));
    EXPECT_TRUE(res->all[0].retryable);
  }
  ASSERT_TRUE(wait_until([&] { return session->stats().unknown_responses == 1; }));
  EXPECT_EQ(res->count(), 1u);  // answered once, never twice
  EXPECT_EQ(session->stats().timeouts, 1u);
  EXPECT_TRUE(bound());
}

TEST_F(SessionSim, RejectedSubmitIsReportedPermanentWithItsStatus) {
  start_sim(sim_config());
  start_session(fast_config(sim->port()));
  auto res = std::make_shared<Results>(2);
  ASSERT_FALSE(session->submit(submit_frame("", "no destination"), res->cb(0)));
  ASSERT_FALSE(session->submit(submit_frame("15550008888", "fine"), res->cb(1)));
  ASSERT_TRUE(wait_until([&] { return res->count() == 2; }));
  std::lock_guard lock(res->mu);
  for (const auto& r : res->all) {
    if (r.status == smpp::status::invdstadr) {
      EXPECT_FALSE(r);
      EXPECT_FALSE(r.retryable);
      EXPECT_FALSE(r.error);
    } else {
      EXPECT_TRUE(r);
      EXPECT_FALSE(r.message_id.empty());
    }
  }
  EXPECT_EQ(session->stats().errors_by_status.at(smpp::status::invdstadr), 1u);
}

TEST_F(SessionSim, GracefulStopIsBoundedWhenTheSmscGoesQuiet) {
  auto sc = sim_config();
  sc.faults.silent_after = 1;  // answers the bind, then nothing: not the submit, not the unbind
  start_sim(sc);
  auto cfg = fast_config(sim->port());
  cfg.request_timeout = std::chrono::seconds(60);
  cfg.enquire_link_interval = std::chrono::seconds(60);
  cfg.shutdown_timeout = std::chrono::milliseconds(100);
  cfg.unbind_timeout = std::chrono::milliseconds(100);
  start_session(cfg);
  ASSERT_TRUE(wait_until([&] { return bound(); }));
  auto res = std::make_shared<Results>(1);
  ASSERT_FALSE(session->submit(submit_frame("15550001212", "unanswered"), res->cb(0)));
  ASSERT_TRUE(wait_until([&] { return session->stats().window_in_use == 1; }));
  // Bounded by shutdown_timeout + unbind_timeout, not by the 60 s request timeout.
  ASSERT_TRUE(stop_session(session, true));
  ASSERT_EQ(res->count(), 1u);
  std::lock_guard lock(res->mu);
  EXPECT_EQ(res->all[0].error, make_error_code(smpp::errc::shutting_down));
  EXPECT_TRUE(res->all[0].retryable);
  EXPECT_EQ(session->stats().pdus_out.at(smpp::cmd::unbind), 1u);
}

}  // namespace
}  // namespace twoway::testing
