// Interop with an SMPP implementation written elsewhere (Perl Net::SMPP, Debian's
// libnet-smpp-perl): our session binds to a Net::SMPP SMSC and exchanges GSM-7, UCS-2,
// multipart and a receipt; a Net::SMPP ESME binds to twoway-smsc-sim.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <boost/asio.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"

extern char** environ;

namespace twoway::smpp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

bool have_net_smpp() {
  return std::system("perl -MNet::SMPP -e 1 >/dev/null 2>&1") == 0;
}

struct Child {
  pid_t pid = -1;
  int status = -1;
  bool spawn(std::vector<std::string> args, const std::string& stdout_file = {}) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (!stdout_file.empty()) {
      posix_spawn_file_actions_addopen(&fa, 1, stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    }
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0;
  }
  bool wait_for(std::chrono::milliseconds limit) {
    return wait_until(
        [&] {
          if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) pid = -1;
          return pid < 0;
        },
        limit);
  }
  bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  }
};

std::uint16_t read_port(const std::string& file) {
  std::uint16_t port = 0;
  wait_until(
      [&] {
        std::ifstream in(file);
        return static_cast<bool>(in >> port) && port != 0;
      },
      10s);
  return port;
}

std::string hex(std::string_view s) {
  static constexpr char d[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string submit(std::string_view to, std::string_view sm, std::uint8_t dc, std::uint8_t esm,
                   std::uint8_t rd) {
  Pdu p = make_pdu(cmd::submit_sm, 1);
  auto& m = std::get<ShortMessage>(p.body);
  m.source_addr = "12345";
  m.destination_addr = to;
  m.data_coding = dc;
  m.esm_class = esm;
  m.registered_delivery = rd;
  m.short_message = sm;
  std::string out;
  EXPECT_FALSE(encode(p, out));
  return out;
}

class Interop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_net_smpp()) GTEST_SKIP() << "perl or Net::SMPP (libnet-smpp-perl) not installed";
    dir = fs::temp_directory_path() / ("twoway-interop-" + std::to_string(getpid()));
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!dir.empty()) fs::remove_all(dir);
  }
  fs::path dir;
};

TEST_F(Interop, SessionBindsToANetSmppSmsc) {
  const std::string port_file = (dir / "port").string(), log_file = (dir / "smsc.log").string();
  Child smsc;
  ASSERT_TRUE(smsc.spawn({"perl", TWOWAY_INTEROP_DIR "/smsc.pl", port_file, log_file}));
  const auto port = read_port(port_file);
  ASSERT_NE(port, 0);

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  SessionConfig cfg;
  cfg.port = port;
  cfg.system_id = "esme";
  cfg.password = "secret";
  cfg.reconnect_min = 50ms;
  auto session = Session::create(io, cfg);
  struct Inbox {
    std::mutex mu;
    std::vector<std::pair<std::uint8_t, std::string>> mo;  // data_coding, octets
    std::string receipt_id;
    std::string receipt_text;
  };
  auto inbox = std::make_shared<Inbox>();
  session->on_inbound([inbox](const Pdu& pdu, InboundCompletion c) {
    const auto* sm = pdu.as<ShortMessage>();
    ASSERT_NE(sm, nullptr);
    std::lock_guard lock(inbox->mu);
    if ((sm->esm_class & esm::type_mask) == esm::type_delivery_receipt) {
      auto id = find_tlv(sm->tlvs, tag::receipted_message_id);
      inbox->receipt_id = id ? std::string(id->data(), strnlen(id->data(), id->size())) : "";
      inbox->receipt_text.assign(sm->short_message);
    } else {
      inbox->mo.emplace_back(sm->data_coding, std::string(sm->short_message));
    }
    c.respond(status::ok);
  });
  session->start();
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(inbox->mu);
        return inbox->mo.size() == 4;
      },
      10s));
  {
    std::lock_guard lock(inbox->mu);
    EXPECT_EQ(inbox->mo[0].first, 0x00);
    EXPECT_EQ(inbox->mo[0].second, "Hello from Perl");
    EXPECT_EQ(inbox->mo[1].first, 0x08);
    EXPECT_EQ(hex(inbox->mo[1].second), "0047007200fc00df00650020d83dde00");
    EXPECT_EQ(inbox->mo[2].second, std::string("\x05\x00\x03\x2A\x02\x02second part", 17));
    EXPECT_EQ(inbox->mo[3].second, std::string("\x05\x00\x03\x2A\x02\x01"
                                               "first part, ",
                                               18));
  }
  // MT: GSM-7 with a receipt, UCS-2, and two UDH parts.
  std::mutex mu;
  std::vector<SubmitResult> results;
  const auto cb = [&](const SubmitResult& r) {
    std::lock_guard lock(mu);
    results.push_back(r);
  };
  const std::string ucs2("\x00H\x00\xE9\x00l\x00l\x00o\x00 \xD8\x3D\xDC\x4B", 16);
  ASSERT_FALSE(session->submit(submit("15550001000", "Reply in GSM", 0, 0, 1), cb));
  ASSERT_FALSE(session->submit(submit("15550001000", ucs2, 8, 0, 0), cb));
  ASSERT_FALSE(session->submit(
      submit("15550001000", std::string("\x05\x00\x03\x07\x02\x01part one ", 15), 0, 0x40, 0), cb));
  ASSERT_FALSE(session->submit(
      submit("15550001000", std::string("\x05\x00\x03\x07\x02\x02part two", 14), 0, 0x40, 0), cb));
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(mu);
        std::lock_guard lock2(inbox->mu);
        return results.size() == 4 && !inbox->receipt_id.empty();
      },
      10s));
  {
    std::lock_guard lock(mu);
    for (const auto& r : results) EXPECT_TRUE(r) << r.error.message() << " " << r.status;
  }
  std::promise<void> stopped;
  session->stop(true, [&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  ASSERT_TRUE(smsc.wait_for(10s));
  EXPECT_TRUE(smsc.exited_ok());
  guard.reset();
  io.stop();
  t.join();

  std::ifstream in(log_file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  EXPECT_NE(log.find("bind esme ok"), std::string::npos) << log;
  EXPECT_NE(log.find("dc=0 esm=0 rd=1 sm=" + hex("Reply in GSM")), std::string::npos) << log;
  EXPECT_NE(log.find("dc=8 esm=0 rd=0 sm=" + hex(ucs2)), std::string::npos) << log;
  EXPECT_NE(log.find("esm=64 rd=0 sm=" + hex(std::string("\x05\x00\x03\x07\x02\x01part one ", 15))),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("unbind"), std::string::npos) << log;
  std::size_t acks = 0;
  for (std::size_t p = 0; (p = log.find("deliver_sm_resp seq=", p)) != std::string::npos; ++p) {
    ++acks;
  }
  EXPECT_EQ(acks, 5u);                                        // four MO and the receipt
  EXPECT_EQ(log.find("status=1"), std::string::npos) << log;  // every ack was ESME_ROK
  std::lock_guard lock(inbox->mu);
  EXPECT_EQ(inbox->receipt_id, "perl1000");
  EXPECT_NE(inbox->receipt_text.find("stat:DELIVRD"), std::string::npos);
}

TEST_F(Interop, NetSmppEsmeBindsToTheSimulator) {
  const std::string port_file = (dir / "port").string(), json = (dir / "report.json").string(),
                    out = (dir / "esme.out").string();
  Child sim;
  ASSERT_TRUE(sim.spawn({TWOWAY_SMSC_SIM,
                         "--port",
                         "0",
                         "--port-file",
                         port_file,
                         "--system-id",
                         "perl",
                         "--password",
                         "pw",
                         "--mo",
                         "5",
                         "--texts",
                         TWOWAY_INTEROP_DIR "/texts.txt",
                         "--exit-when-done",
                         "--expect-mt",
                         "5",
                         "--json-out",
                         json,
                         "--max-seconds",
                         "30"},
                        (dir / "sim.out").string()));
  const auto port = read_port(port_file);
  ASSERT_NE(port, 0);
  Child esme;
  ASSERT_TRUE(esme.spawn({"perl", TWOWAY_INTEROP_DIR "/esme.pl", std::to_string(port), "5"}, out));
  ASSERT_TRUE(esme.wait_for(30s));
  EXPECT_TRUE(esme.exited_ok());
  ASSERT_TRUE(sim.wait_for(30s));
  EXPECT_TRUE(sim.exited_ok());
  std::ifstream rin(json);
  const auto report = nlohmann::json::parse(rin, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["binds"]["ok"], 1);
  EXPECT_EQ(report["mo"]["acked"], 5);
  EXPECT_EQ(report["mt"]["received"], 5);
  EXPECT_EQ(report["dlr"]["acked"], 5);
  std::ifstream ein(out);
  std::string line;
  std::getline(ein, line);
  EXPECT_EQ(line.rfind("mo=5 receipts=5 submit_ok=5", 0), 0u) << line;
}

}  // namespace
}  // namespace twoway::smpp
