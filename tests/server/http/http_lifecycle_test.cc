// HttpServer's lifecycle: asynchronous responders (including late ones),
// many connections at once, graceful shutdown, and Start's errors.
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/http/http_server.h"
#include "tests/server/http/test_client.h"
#include "tests/server/http/test_server.h"

namespace tokend::http::testing {
namespace {

// Keeps every responder it is given, for the test to call (or not) later.
class ParkingHandler : public HttpHandler {
 public:
  void Handle(HttpRequest request, Responder respond) override {
    absl::MutexLock lock(&mu_);
    parked_.push_back(std::move(respond));
    targets_.push_back(request.target);
  }

  // Waits until `count` requests are parked.
  bool WaitFor(size_t count, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return parked_.size() >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  std::vector<Responder> TakeAll() {
    absl::MutexLock lock(&mu_);
    return std::exchange(parked_, {});
  }

  std::vector<std::string> targets() {
    absl::MutexLock lock(&mu_);
    return targets_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Responder> parked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
};

HttpResponse TextResponse(std::string body) {
  HttpResponse response;
  response.headers = {{"Content-Type", "text/plain"}};
  response.body = std::move(body);
  return response;
}

TEST(HttpLifecycleTest, ResponderMayAnswerLaterFromAnotherThread) {
  std::vector<std::thread> workers;
  absl::Mutex mu;
  LambdaHandler handler([&](HttpRequest request, Responder respond) {
    absl::MutexLock lock(&mu);
    workers.emplace_back(
        [target = request.target, respond = std::move(respond)]() mutable {
          absl::SleepFor(absl::Milliseconds(150));
          std::move(respond)(TextResponse("late " + target));
        });
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(connection->Send(Get("/a") + Get("/b")).ok());
  for (const char* target : {"/a", "/b"}) {
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, absl::StrCat("late ", target));
  }
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));  // One at a time.
  absl::MutexLock lock(&mu);
  for (std::thread& worker : workers) worker.join();
}

TEST(HttpLifecycleTest, ResponderAfterClientDisconnectIsHarmless) {
  // Parks the first request; answers every later one at once, so whether a
  // later client got the slot is read from its reply, not from a timeout.
  absl::Mutex mu;
  std::vector<Responder> parked;
  LambdaHandler handler([&](HttpRequest, Responder respond) {
    absl::MutexLock lock(&mu);
    if (parked.empty()) {
      parked.push_back(std::move(respond));
      return;
    }
    std::move(respond)(TextResponse("served"));
  });
  HttpServerOptions options;
  options.max_connections = 1;  // So a leaked connection would show as 503.
  auto server = StartServer(options, &handler);
  {
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(connection->Send(Get("/gone")).ok());
    absl::MutexLock lock(&mu);
    auto one_parked = [&parked]() { return !parked.empty(); };
    ASSERT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(&one_parked), absl::Seconds(10)));
  }  // Client disconnects while the handler holds the responder.
  Responder abandoned = [&] {
    absl::MutexLock lock(&mu);
    return std::move(parked.front());
  }();
  std::move(abandoned)(TextResponse("nobody listens"));
  // The write fails, the connection is closed and its slot freed; the server
  // goes on serving. Until the slot is free a new client gets 503.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (;;) {
    ASSERT_LT(absl::Now(), deadline)
        << "the abandoned connection was never released";
    auto connection = ConnectOrDie(server->port());
    // Refused (503, or the refusal's close racing the send): try again.
    absl::StatusOr<ParsedResponse> response = absl::UnknownError("not sent");
    if (connection->Send(Get("/next")).ok()) {
      response = connection->ReadResponse();
    }
    if (!response.ok() || response->status == 503) {
      absl::SleepFor(absl::Milliseconds(20));
      continue;
    }
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "served");
    break;
  }
}

TEST(HttpLifecycleTest, RespondersOutlivingTheServerDoNothing) {
  ParkingHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/1")).ok());
  ASSERT_TRUE(handler.WaitFor(1));
  server->Shutdown(absl::Milliseconds(100));  // Gives up on /1.
  EXPECT_TRUE(connection->ExpectClosed().ok());
  server.reset();
  std::vector<Responder> parked = handler.TakeAll();
  ASSERT_EQ(parked.size(), 1u);
  std::move(parked[0])(TextResponse("too late"));  // No crash, no effect.
  // And one dropped uncalled (its destructor answers 500) after the server
  // is gone.
  ParkingHandler second_handler;
  server = StartServer({}, &second_handler);
  auto second = ConnectOrDie(server->port());
  ASSERT_TRUE(second->Send(Get("/2")).ok());
  ASSERT_TRUE(second_handler.WaitFor(1));
  server.reset();  // The destructor's short grace runs out.
  second_handler.TakeAll();
}

TEST(HttpLifecycleTest, TwoHundredConcurrentConnections) {
  constexpr int kConnections = 200;
  ParkingHandler handler;
  HttpServerOptions options;
  options.threads = 2;
  auto server = StartServer(options, &handler);
  std::vector<std::unique_ptr<TestConnection>> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.push_back(ConnectOrDie(server->port()));
    ASSERT_NE(connections.back(), nullptr);
    ASSERT_TRUE(connections.back()->Send(Get(absl::StrCat("/", i))).ok());
  }
  // All 200 requests are in the handler at once before any is answered.
  ASSERT_TRUE(handler.WaitFor(kConnections));
  std::vector<Responder> parked = handler.TakeAll();
  std::vector<std::string> targets = handler.targets();
  ASSERT_EQ(parked.size(), static_cast<size_t>(kConnections));
  // Answered from several threads at once, in an order unrelated to arrival.
  std::vector<std::thread> responders;
  for (int t = 0; t < 4; ++t) {
    responders.emplace_back([&, t] {
      for (int i = kConnections - 1 - t; i >= 0; i -= 4) {
        std::move(parked[i])(TextResponse(targets[i]));
      }
    });
  }
  for (std::thread& thread : responders) thread.join();
  for (int i = 0; i < kConnections; ++i) {
    auto response = connections[i]->ReadResponse();
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    EXPECT_EQ(response->body, absl::StrCat("/", i));
  }
  // Every connection is still alive for a second round.
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_TRUE(connections[i]->Send(Get("/again")).ok());
  }
  ASSERT_TRUE(handler.WaitFor(kConnections));
  for (Responder& respond : handler.TakeAll()) {
    std::move(respond)(TextResponse("again"));
  }
  for (int i = 0; i < kConnections; ++i) {
    auto response = connections[i]->ReadResponse();
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    EXPECT_EQ(response->body, "again");
  }
}

TEST(HttpLifecycleTest, ShutdownFinishesInFlightRequestsAndRefusesNewOnes) {
  ParkingHandler handler;
  auto server = StartServer({}, &handler);
  const int port = server->port();

  auto idle = ConnectOrDie(port);  // Kept alive, between requests.
  ASSERT_TRUE(idle->Send(Get("/idle")).ok());
  ASSERT_TRUE(handler.WaitFor(1));
  for (Responder& respond : handler.TakeAll()) {
    std::move(respond)(TextResponse("ok"));
  }
  ASSERT_TRUE(idle->ReadResponse().ok());

  auto busy = ConnectOrDie(port);
  ASSERT_TRUE(busy->Send(Get("/slow")).ok());
  ASSERT_TRUE(handler.WaitFor(1));

  std::atomic<bool> shutdown_done{false};
  std::thread shutdown([&] {
    server->Shutdown(absl::Seconds(20));
    shutdown_done = true;
  });

  // New connections are refused once Shutdown has begun.
  bool refused = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!refused && absl::Now() < deadline) {
    refused = !TestConnection::Connect(port).ok();
    if (!refused) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(refused);
  // The idle keep-alive connection is closed without a response.
  EXPECT_TRUE(idle->ExpectClosed().ok());

  // The in-flight request holds Shutdown up...
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(shutdown_done);
  // ...until it is answered; the answer reaches the client, with close.
  for (Responder& respond : handler.TakeAll()) {
    std::move(respond)(TextResponse("finished"));
  }
  auto response = busy->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(*response->Header("connection"), "close");
  EXPECT_TRUE(busy->ExpectClosed().ok());

  const absl::Time start = absl::Now();
  shutdown.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  server->Shutdown(absl::Seconds(1));  // Idempotent.
}

TEST(HttpLifecycleTest, ShutdownGivesUpAfterTheGracePeriod) {
  ParkingHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/never")).ok());
  ASSERT_TRUE(handler.WaitFor(1));
  const absl::Time start = absl::Now();
  server->Shutdown(absl::Milliseconds(300));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(290));
  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_TRUE(connection->ExpectClosed().ok());
  for (Responder& respond : handler.TakeAll()) {
    std::move(respond)(TextResponse("after shutdown"));  // A no-op.
  }
}

TEST(HttpLifecycleTest, ListensOnIpv6) {
  EchoHandler handler;
  HttpServerOptions options;
  options.listen = "[::1]:0";
  auto server = HttpServer::Start(options, &handler);
  if (!server.ok() && absl::IsUnavailable(server.status())) {
    GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  }
  ASSERT_TRUE(server.ok()) << server.status();
  auto out = RunCurl(absl::StrCat("-g http://[::1]:", (*server)->port(), "/"));
  ASSERT_TRUE(out.ok()) << out.status();
  auto requests = handler.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(requests[0].peer, "[::1]:")) << requests[0].peer;
}

TEST(HttpLifecycleTest, StartReportsBadOptions) {
  EchoHandler handler;
  auto start = [&](auto mutate) {
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    mutate(options);
    return HttpServer::Start(options, &handler).status();
  };
  EXPECT_TRUE(absl::IsInvalidArgument(
      start([](HttpServerOptions& o) { o.listen = "no-port"; })));
  EXPECT_TRUE(absl::IsInvalidArgument(
      start([](HttpServerOptions& o) { o.listen = "::1:80"; })));
  EXPECT_TRUE(absl::IsInvalidArgument(
      start([](HttpServerOptions& o) { o.threads = 0; })));
  EXPECT_TRUE(absl::IsInvalidArgument(start(
      [](HttpServerOptions& o) { o.read_timeout = absl::ZeroDuration(); })));
  EXPECT_TRUE(absl::IsInvalidArgument(
      start([](HttpServerOptions& o) { o.tls_cert_pem = "x"; })));
  EXPECT_TRUE(absl::IsInvalidArgument(start([](HttpServerOptions& o) {
    o.tls_cert_pem = "not a pem";
    o.tls_key_pem = "not a pem";
  })));
  EXPECT_TRUE(absl::IsInvalidArgument(
      HttpServer::Start(HttpServerOptions{}, nullptr).status()));

  // A port already taken.
  auto first = StartServer({}, &handler);
  auto taken = start([&](HttpServerOptions& o) {
    o.listen = absl::StrCat("127.0.0.1:", first->port());
  });
  EXPECT_TRUE(absl::IsUnavailable(taken)) << taken;
}

}  // namespace
}  // namespace tokend::http::testing
