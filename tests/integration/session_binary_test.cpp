// The ESME session against the real twoway-smsc-sim binary: MO in, replies out, receipts in,
// and the simulator's JSON report accounts for all of it.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/integration/harness.hpp"

extern char** environ;

namespace twoway::testing {
namespace {

namespace fs = std::filesystem;

struct Child {
  pid_t pid = -1;
  int status = -1;
  bool wait_for(std::chrono::milliseconds limit) {
    return wait_until(
        [&] {
          if (pid < 0) return true;
          if (waitpid(pid, &status, WNOHANG) == pid) pid = -1;
          return pid < 0;
        },
        limit);
  }
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  }
};

TEST(SmscSimBinary, SessionExchangesMoMtAndReceiptsWithTheRealBinary) {
  const fs::path dir = fs::temp_directory_path() / ("twoway-sim-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string port_file = (dir / "port").string(), json = (dir / "report.json").string(),
                    texts = (dir / "texts.txt").string();
  std::ofstream(texts) << "hello there\nSTOP\nCaf\xC3\xA9 \xF0\x9F\x98\x80\n";
  std::vector<std::string> args = {TWOWAY_SMSC_SIM,
                                   "--port",
                                   "0",
                                   "--port-file",
                                   port_file,
                                   "--system-id",
                                   "esme",
                                   "--password",
                                   "secret",
                                   "--mo",
                                   "20",
                                   "--from-count",
                                   "5",
                                   "--texts",
                                   texts,
                                   "--exit-when-done",
                                   "--expect-mt",
                                   "20",
                                   "--json-out",
                                   json,
                                   "--max-seconds",
                                   "20"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child child;
  ASSERT_EQ(posix_spawn(&child.pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  std::uint16_t port = 0;
  ASSERT_TRUE(wait_until([&] {
    std::ifstream in(port_file);
    return static_cast<bool>(in >> port) && port != 0;
  }));

  IoThread io;
  auto session = smpp::Session::create(io.io(), fast_config(port));
  auto replies = std::make_shared<Results>(0);
  std::weak_ptr<smpp::Session> weak = session;
  auto receipts = std::make_shared<std::atomic<int>>(0);
  session->on_inbound([weak, replies, receipts](const smpp::Pdu& pdu, smpp::InboundCompletion c) {
    const auto* sm = pdu.as<smpp::ShortMessage>();
    if (sm == nullptr) return;  // unanswered: ESME_RX_T_APPN
    if ((sm->esm_class & smpp::esm::type_mask) == smpp::esm::type_delivery_receipt) {
      ++*receipts;
    } else if (auto s = weak.lock()) {
      EXPECT_FALSE(s->submit(submit_frame(sm->source_addr, "Thanks!", 1), replies->cb(0)));
    }
    c.respond(smpp::status::ok);
  });
  session->start();
  ASSERT_TRUE(child.wait_for(std::chrono::seconds(25)));
  EXPECT_TRUE(WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0);
  EXPECT_TRUE(stop_session(session, false));

  std::ifstream in(json);
  const auto report = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["mo"]["messages"], 20);
  EXPECT_EQ(report["mo"]["acked"], 20);
  EXPECT_EQ(report["mt"]["received"], 20);
  EXPECT_EQ(report["dlr"]["acked"], 20);
  EXPECT_EQ(report["reply_latency_ms"]["count"], 20);
  EXPECT_EQ(report["status_counts"]["submit_sm_resp"]["ESME_ROK"], 20);
  EXPECT_EQ(replies->ok(), 20u);
  EXPECT_EQ(*receipts, 20);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace twoway::testing
