// SIGTERM under load (issue 17): a balancer polling /healthz sees 503 while
// tokend still serves, before its listeners close, and no request a client
// sent ends without a response. 16 keep-alive REST clients, or 8 gRPC
// clients (each its own channel), behind one health poller (the balancer:
// once it has seen 503 it sends nothing new, and clients finish what they
// have), on real sockets; tokend with --drain_delay, as deployed.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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

// The balancer: a fresh /healthz connection every 20 ms, as health checkers
// do, until connecting fails. Sets tally->removed at the first 503.
class Balancer {
 public:
  Balancer(int port, Tally* tally)
      : thread_([this, port, tally] { Poll(port, tally); }) {}

  // After the poller ends: it saw 200, then 503 for a while (the drain
  // delay), then the closed listener; never a failure in between.
  void Join() {
    thread_.join();
    absl::MutexLock lock(&mu_);
    ASSERT_FALSE(seen_.empty());
    EXPECT_EQ(seen_.back(), -1);
    size_t i = 0;
    while (i < seen_.size() && seen_[i] == 200) ++i;
    size_t unhealthy = 0;
    while (i < seen_.size() && seen_[i] == 503) ++i, ++unhealthy;
    EXPECT_EQ(i, seen_.size() - 1) << "a status other than 200, 503 or refused";
    // 3 s at one poll per 20 ms (+ the poll's own time): several, whatever
    // the machine's speed; one would be luck.
    EXPECT_GE(unhealthy, 3u);
  }

 private:
  void Poll(int port, Tally* tally) {
    while (true) {
      int status = -1;
      auto connection = TestConnection::Connect(port, absl::Seconds(10));
      if (connection.ok() && (*connection)->Send(kHealthz).ok()) {
        auto response = (*connection)->ReadResponse();
        status = response.ok() ? response->status : 0;
      }
      // Connected, then reset unanswered: once the drain began, that is
      // the listener closing with this connection still in the kernel's
      // accept queue, as good as refused.
      if (status == 0 && tally->removed.load()) status = -1;
      {
        absl::MutexLock lock(&mu_);
        seen_.push_back(status);
      }
      if (status == 503) tally->removed.store(true);
      if (status == -1) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  absl::Mutex mu_;
  std::vector<int> seen_ ABSL_GUARDED_BY(mu_);  // statuses; -1: refused
  std::thread thread_;
};

// Lets the load run, sends the orchestrator's SIGTERM, and waits for the
// clients, the balancer and tokend to finish.
void LoadThenSigterm(TokendProcess& process, const Tally& tally,
                     std::vector<std::thread>& clients, Balancer& balancer) {
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_GT(tally.answered.load(), 0) << "nothing answered before SIGTERM";
  ASSERT_EQ(kill(process.pid(), SIGTERM), 0);
  for (std::thread& client : clients) client.join();
  balancer.Join();
  EXPECT_EQ(process.Wait(), 0);
}

TEST(DrainIntegrationTest, HealthTurns503BeforeListenersCloseAndNothingIsCut) {
  absl::StatusOr<TokendProcess> process = TokendProcess::Start(
      MakeTempDir("drain"), {"--log_requests=false", "--drain_delay=3s"});
  ASSERT_TRUE(process.ok()) << process.status();
  const int port = PortOf(process->http_address());

  Tally tally;
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) clients.emplace_back(Client, port, &tally);
  Balancer balancer(port, &tally);
  LoadThenSigterm(*process, tally, clients, balancer);

  EXPECT_EQ(tally.unanswered.load(), 0)
      << "requests cut without a response, of " << tally.answered.load();
  // While draining, responses told clients to go, and they kept being served.
  EXPECT_GT(tally.closed_by_server_after_answer.load(), 0);
}

// gRPC calls through the front: every call made while the balancer routes to
// tokend succeeds, including those made while it drains (the front's GOAWAY
// notice moves clients to new connections, it refuses nothing) and those in
// flight when the listener closes.
TEST(DrainIntegrationTest, GrpcCallsAllSucceedThroughTheDrain) {
  absl::StatusOr<TokendProcess> process = TokendProcess::Start(
      MakeTempDir("drain_grpc"), {"--log_requests=false", "--drain_delay=3s"});
  ASSERT_TRUE(process.ok()) << process.status();
  const int port = PortOf(process->http_address());

  Tally tally;
  absl::Mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      auto channel = grpc::CreateChannel(process->grpc_address(),
                                         grpc::InsecureChannelCredentials());
      grpc::GenericStub stub(channel);
      while (!tally.removed.load()) {
        grpc::ClientContext context;
        context.set_deadline(
            absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
        grpc::Slice empty(std::string{});  // HealthCheckRequest{}
        grpc::ByteBuffer request(&empty, 1), response;
        grpc::Status status;
        absl::Notification done;
        stub.UnaryCall(&context, "/grpc.health.v1.Health/Check",
                       grpc::StubOptions(), &request, &response,
                       [&](grpc::Status s) {
                         status = std::move(s);
                         done.Notify();
                       });
        done.WaitForNotification();
        if (!status.ok()) {
          absl::MutexLock lock(&mu);
          failures.push_back(status.error_message());
          return;
        }
        ++tally.answered;
      }
    });
  }
  Balancer balancer(port, &tally);
  LoadThenSigterm(*process, tally, clients, balancer);

  absl::MutexLock lock(&mu);
  EXPECT_TRUE(failures.empty())
      << failures.size() << " calls failed, the first: " << failures.front();
}

}  // namespace
}  // namespace tokend::server
