// SIGTERM under load (issue 17): a balancer polling /healthz sees 503 while
// tokend still serves, before its listeners close, and no request a client
// sent ends without a response. 16 keep-alive REST clients behind one health
// poller (the balancer: once it has seen 503 it sends no new connection,
// and clients finish what they have), on real sockets; tokend with
// --drain_delay, as deployed.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/server/http/test_client.h"
#include "tests/testing/tokend_process.h"

namespace tokend::server {
namespace {

using ::tokend::http::testing::ParsedResponse;
using ::tokend::http::testing::TestConnection;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;

constexpr char kJwks[] =
    "GET /.well-known/jwks.json HTTP/1.1\r\nHost: tokend\r\n\r\n";
constexpr char kHealthz[] =
    "GET /healthz HTTP/1.1\r\nHost: tokend\r\nConnection: close\r\n\r\n";

int PortOf(const std::string& address) {
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port))
      << address;
  return port;
}

bool Closes(const ParsedResponse& response) {
  const std::string* connection = response.Header("connection");
  return connection != nullptr && *connection == "close";
}

struct Tally {
  // Set by the poller at its first 503: the balancer takes tokend out.
  std::atomic<bool> removed{false};
  std::atomic<int> answered{0};
  std::atomic<int> closed_by_server_after_answer{0};
  // A request written on an open connection that got no response: what a
  // drain must never do.
  std::atomic<int> unanswered{0};
};

// Keep-alive requests through the balancer: new connections only while it
// routes to tokend.
void Client(int port, Tally* tally) {
  while (!tally->removed.load()) {
    absl::StatusOr<std::unique_ptr<TestConnection>> connection =
        TestConnection::Connect(port, absl::Seconds(10));
    if (!connection.ok()) {
      ADD_FAILURE() << "refused while the balancer still routed: "
                    << connection.status();
      return;
    }
    while (true) {
      if (!(*connection)->Send(kJwks).ok()) {
        ++tally->unanswered;
        return;
      }
      absl::StatusOr<ParsedResponse> response = (*connection)->ReadResponse();
      if (!response.ok() || response->status != 200) {
        ++tally->unanswered;
        return;
      }
      ++tally->answered;
      if (Closes(*response)) {
        ++tally->closed_by_server_after_answer;
        break;  // Told to go: reconnect (to "another server").
      }
    }
  }
}

TEST(DrainIntegrationTest, HealthTurns503BeforeListenersCloseAndNothingIsCut) {
  absl::StatusOr<TokendProcess> process = TokendProcess::Start(
      MakeTempDir("drain"), {"--log_requests=false", "--drain_delay=3s"});
  ASSERT_TRUE(process.ok()) << process.status();
  const int port = PortOf(process->http_address());

  Tally tally;
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) clients.emplace_back(Client, port, &tally);

  // The balancer: a fresh connection every 20 ms, as health checkers do.
  absl::Mutex mu;
  std::vector<int> seen;  // statuses, then -1 once connecting fails
  std::thread poller([&] {
    while (true) {
      int status = -1;
      auto connection = TestConnection::Connect(port, absl::Seconds(10));
      if (connection.ok() && (*connection)->Send(kHealthz).ok()) {
        auto response = (*connection)->ReadResponse();
        status = response.ok() ? response->status : 0;
      }
      {
        absl::MutexLock lock(&mu);
        seen.push_back(status);
      }
      if (status == 503) tally.removed.store(true);
      if (status == -1) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
  });

  // Let the load run, then the orchestrator's SIGTERM.
  absl::SleepFor(absl::Milliseconds(500));
  const int answered_before = tally.answered.load();
  ASSERT_EQ(kill(process->pid(), SIGTERM), 0);
  for (std::thread& client : clients) client.join();
  poller.join();
  EXPECT_EQ(process->Wait(), 0);

  EXPECT_GT(answered_before, 0);
  EXPECT_EQ(tally.unanswered.load(), 0)
      << "requests cut without a response, of " << tally.answered.load();
  // While draining, responses told clients to go, and they kept being served.
  EXPECT_GT(tally.closed_by_server_after_answer.load(), 0);
  // The poller saw 200, then 503 for a while (the drain delay), then the
  // closed listener; never a failure in between.
  absl::MutexLock lock(&mu);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), -1);
  size_t i = 0;
  while (i < seen.size() && seen[i] == 200) ++i;
  size_t unhealthy = 0;
  while (i < seen.size() && seen[i] == 503) ++i, ++unhealthy;
  EXPECT_EQ(i, seen.size() - 1) << "a status other than 200, 503 or refused";
  // 3 s at one poll per 20 ms (+ the poll's own time): several, whatever
  // the machine's speed; one would be luck.
  EXPECT_GE(unhealthy, 3u);
}

}  // namespace
}  // namespace tokend::server
