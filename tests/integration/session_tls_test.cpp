// The ESME session over TLS to the simulator (self-signed certificate for "localhost").
#include "tests/integration/harness.hpp"

namespace twoway::testing {
namespace {

struct TlsRig {
  IoThread sim_io, esme_io;
  std::unique_ptr<sim::Simulator> sim;
};

smpp::SessionConfig tls_config(std::uint16_t port) {
  auto cfg = fast_config(port);
  cfg.tls.enabled = true;
  cfg.tls.ca_file = TWOWAY_TEST_TLS_DIR "/smsc-cert.pem";
  cfg.tls.server_name = "localhost";
  return cfg;
}

TEST(SessionTls, BindsSubmitsAndReceivesOverTls) {
  TlsRig rig;
  auto sc = sim_config();
  sc.tls_cert_file = TWOWAY_TEST_TLS_DIR "/smsc-cert.pem";
  sc.tls_key_file = TWOWAY_TEST_TLS_DIR "/smsc-key.pem";
  sc.mo_per_bind = 10;
  rig.sim = std::make_unique<sim::Simulator>(rig.sim_io.io(), sc);
  ASSERT_FALSE(rig.sim->listen());
  auto session = smpp::Session::create(rig.esme_io.io(), tls_config(rig.sim->port()));
  session->on_inbound([](const smpp::Pdu&, smpp::InboundCompletion c) { c.respond(0); });
  session->start();
  auto res = std::make_shared<Results>(20);
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(
        session->submit(submit_frame("15550009999", "tls " + std::to_string(i)), res->cb(i)));
  }
  EXPECT_TRUE(wait_until([&] { return res->ok() == 20 && rig.sim->done(); }));
  EXPECT_EQ(rig.sim->counters().mo_messages_acked, 10u);
  EXPECT_TRUE(stop_session(session));
  rig.sim->stop();
}

TEST(SessionTls, RefusesAnUntrustedCertificate) {
  TlsRig rig;
  auto sc = sim_config();
  sc.tls_cert_file = TWOWAY_TEST_TLS_DIR "/smsc-cert.pem";
  sc.tls_key_file = TWOWAY_TEST_TLS_DIR "/smsc-key.pem";
  rig.sim = std::make_unique<sim::Simulator>(rig.sim_io.io(), sc);
  ASSERT_FALSE(rig.sim->listen());
  auto cfg = tls_config(rig.sim->port());
  cfg.tls.server_name = "smsc.example.net";  // the certificate does not name it
  auto session = smpp::Session::create(rig.esme_io.io(), cfg);
  session->start();
  ASSERT_TRUE(wait_until([&] { return session->stats().connects >= 2; }))
      << describe(session->stats());
  EXPECT_EQ(session->stats().binds_ok, 0u) << describe(session->stats());
  EXPECT_EQ(rig.sim->counters().binds_ok, 0u);
  EXPECT_TRUE(stop_session(session)) << describe(session->stats());
  rig.sim->stop();
}

TEST(SessionTls, BadCaFileIsAStartupError) {
  IoThread io;
  auto cfg = tls_config(1);
  cfg.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(smpp::Session::create(io.io(), cfg), std::invalid_argument);
}

TEST(SessionTls, PresentsAClientCertificateWhenTheSmscAsks) {
  TlsRig rig;
  auto sc = sim_config();
  sc.tls_cert_file = TWOWAY_TEST_TLS_DIR "/smsc-cert.pem";
  sc.tls_key_file = TWOWAY_TEST_TLS_DIR "/smsc-key.pem";
  sc.tls_client_ca_file = TWOWAY_TEST_TLS_DIR "/smsc-cert.pem";
  rig.sim = std::make_unique<sim::Simulator>(rig.sim_io.io(), sc);
  ASSERT_FALSE(rig.sim->listen());
  // Without a certificate: the handshake fails, nothing binds.
  auto anonymous = smpp::Session::create(rig.esme_io.io(), tls_config(rig.sim->port()));
  anonymous->start();
  ASSERT_TRUE(wait_until([&] { return anonymous->stats().connects >= 2; }))
      << describe(anonymous->stats());
  EXPECT_EQ(anonymous->stats().binds_ok, 0u) << describe(anonymous->stats());
  EXPECT_TRUE(stop_session(anonymous)) << describe(anonymous->stats());
  // With one: bound.
  auto cfg = tls_config(rig.sim->port());
  cfg.tls.cert_file = TWOWAY_TEST_TLS_DIR "/smsc-cert.pem";
  cfg.tls.key_file = TWOWAY_TEST_TLS_DIR "/smsc-key.pem";
  auto session = smpp::Session::create(rig.esme_io.io(), cfg);
  session->start();
  EXPECT_TRUE(wait_until([&] { return session->stats().state == smpp::LinkState::bound; }));
  EXPECT_EQ(rig.sim->counters().binds_ok, 1u);
  EXPECT_TRUE(stop_session(session));
  rig.sim->stop();
}

}  // namespace
}  // namespace twoway::testing
