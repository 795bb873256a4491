// HttpServer's limits, enforced while reading: header and body sizes,
// timeouts, and the connection cap.
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/http/http_server.h"
#include "tests/server/http/test_client.h"
#include "tests/server/http/test_server.h"

namespace tokend::http::testing {
namespace {

HttpServerOptions SmallLimits() {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  options.max_body_bytes = 1024;
  return options;
}

TEST(HttpLimitsTest, HeaderBlockOverTheLimitIs431) {
  EchoHandler handler;
  auto server = StartServer(SmallLimits(), &handler);
  {
    // Just under the limit passes.
    auto connection = ConnectOrDie(server->port());
    std::string request = Get("/", "x-pad: \r\n");
    request.insert(request.find("x-pad: ") + 7,
                   std::string(1024 - request.size() - 16, 'p'));
    ASSERT_LT(request.size(), 1024u);
    ASSERT_TRUE(connection->Send(request).ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
  }
  {
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(
        connection
            ->Send(Get("/",
                       absl::StrCat("x-pad: ", std::string(2000, 'p'), "\r\n")))
            .ok());
    auto response = connection->ReadResponse();
    ExpectServerError(response, 431, 3);
    EXPECT_EQ(response->reason, "Request Header Fields Too Large");
    EXPECT_TRUE(connection->ExpectClosed().ok());
  }
  {
    // Never terminated: refused once the limit is crossed, not at a
    // timeout.
    auto connection = ConnectOrDie(server->port());
    const absl::Time start = absl::Now();
    ASSERT_TRUE(connection
                    ->Send(absl::StrCat("GET / HTTP/1.1\r\nx-pad: ",
                                        std::string(4000, 'p')))
                    .ok());
    ExpectServerError(connection->ReadResponse(), 431, 3);
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  EXPECT_EQ(handler.requests().size(), 1u);
}

TEST(HttpLimitsTest, DeclaredBodyOverTheLimitIs413BeforeTheBodyIsSent) {
  EchoHandler handler;
  auto server = StartServer(SmallLimits(), &handler);
  auto connection = ConnectOrDie(server->port());
  // Only the head is sent: the server must answer from Content-Length alone
  // rather than wait for (or buffer) a megabyte.
  ASSERT_TRUE(connection
                  ->Send("POST / HTTP/1.1\r\nHost: test\r\n"
                         "x-request-id: big-1\r\n"
                         "Content-Length: 1048576\r\n\r\n")
                  .ok());
  auto response = connection->ReadResponse();
  ExpectServerError(response, 413, 3);
  EXPECT_EQ(response->reason, "Content Too Large");
  EXPECT_EQ(*response->Header("x-request-id"), "big-1");
  EXPECT_TRUE(connection->ExpectClosed().ok());
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpLimitsTest, BodyAtTheLimitPasses) {
  EchoHandler handler;
  auto server = StartServer(SmallLimits(), &handler);
  auto connection = ConnectOrDie(server->port());
  const std::string body(1024, 'b');
  ASSERT_TRUE(connection->Send(Post("/", body)).ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, body);
}

TEST(HttpLimitsTest, BytesBeyondTheContentLengthAreTheNextRequest) {
  // Content-Length says 10 and more follows: exactly 10 bytes are the body,
  // and the rest is parsed as the next request (here garbage -> 400, close);
  // nothing past the declared length leaks into the first body.
  EchoHandler handler;
  auto server = StartServer(SmallLimits(), &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection
                  ->Send("POST / HTTP/1.1\r\nHost: test\r\n"
                         "Content-Length: 10\r\n\r\n"
                         "0123456789this is not http\r\n\r\n")
                  .ok());
  auto first = connection->ReadResponse();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->body, "0123456789");
  ExpectServerError(connection->ReadResponse(), 400, 3);
  EXPECT_TRUE(connection->ExpectClosed().ok());
  EXPECT_EQ(handler.requests().size(), 1u);
}

TEST(HttpLimitsTest, ChunkedBodyOverTheLimitIs413) {
  EchoHandler handler;
  auto server = StartServer(SmallLimits(), &handler);
  {
    // One chunk declaring more than the limit: refused at its size line.
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(connection
                    ->Send("POST / HTTP/1.1\r\nHost: test\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n"
                           "100000\r\n")
                    .ok());
    ExpectServerError(connection->ReadResponse(), 413, 3);
  }
  {
    // Many chunks, each small, adding up to more than the limit.
    auto connection = ConnectOrDie(server->port());
    std::string request =
        "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i) {
      absl::StrAppend(&request, "64\r\n", std::string(100, 'c'), "\r\n");
    }
    request += "0\r\n\r\n";
    ASSERT_TRUE(connection->Send(request).ok());
    ExpectServerError(connection->ReadResponse(), 413, 3);
    EXPECT_TRUE(connection->ExpectClosed().ok());
  }
  EXPECT_TRUE(handler.requests().empty());
}

// Each short timeout alone, so a test of one is not cut short by the other
// when the machine stalls between connecting and sending.
HttpServerOptions ShortReadTimeout() {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  return options;
}

HttpServerOptions ShortIdleTimeout() {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  return options;
}

HttpServerOptions ShortFirstByteTimeout() {
  HttpServerOptions options;
  options.first_byte_timeout = absl::Milliseconds(300);
  return options;
}

TEST(HttpLimitsTest, StalledHeaderIs408ThenClose) {
  EchoHandler handler;
  auto server = StartServer(ShortReadTimeout(), &handler);
  auto connection = ConnectOrDie(server->port());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(connection->Send("GET / HTTP/1.1\r\nHost: te").ok());
  auto response = connection->ReadResponse();
  ExpectServerError(response, 408, 4);
  EXPECT_EQ(response->reason, "Request Timeout");
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_GE(elapsed, absl::Milliseconds(250));
  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_TRUE(connection->ExpectClosed().ok());
}

TEST(HttpLimitsTest, TrickledRequestStillTimesOutAsAWhole) {
  // A byte every 100 ms never lets a per-read timeout fire; the deadline is
  // for the whole request.
  EchoHandler handler;
  auto server = StartServer(ShortReadTimeout(), &handler);
  auto connection = ConnectOrDie(server->port());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(connection
                  ->Send("POST / HTTP/1.1\r\nHost: a\r\n"
                         "Content-Length: 100\r\n\r\n")
                  .ok());
  for (int i = 0; i < 8; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    if (!connection->Send("x").ok()) break;  // Closed after the 408.
  }
  ExpectServerError(connection->ReadResponse(), 408, 4);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpLimitsTest, SilentNewConnectionsCloseAfterTheFirstByteDeadline) {
  EchoHandler handler;
  auto server = StartServer(ShortFirstByteTimeout(), &handler);
  // Never sent anything: closed without a response, long before the idle
  // timeout (60 s). Before connecting: the deadline starts at accept.
  const absl::Time start = absl::Now();
  auto silent = ConnectOrDie(server->port());
  EXPECT_TRUE(silent->ExpectClosed().ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  // A connection that sent its first request is under the idle timeout
  // from then on: still open well past the first-byte deadline.
  auto live = ConnectOrDie(server->port());
  ASSERT_TRUE(live->Send(Get("/")).ok());
  ASSERT_TRUE(live->ReadResponse().ok());
  absl::SleepFor(absl::Milliseconds(700));
  ASSERT_TRUE(live->Send(Get("/")).ok());
  auto again = live->ReadResponse();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, 200);
}

TEST(HttpLimitsTest, IdleConnectionsCloseQuietly) {
  EchoHandler handler;
  auto server = StartServer(ShortIdleTimeout(), &handler);
  {
    // Kept alive after a response, then idle: closed without a response.
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(connection->Send(Get("/")).ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_TRUE(connection->ExpectClosed().ok());
  }
}

TEST(HttpLimitsTest, SlowHandlerIsNotARequestTimeout) {
  // read_timeout covers receiving the request, not the handler's work.
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    std::thread([respond = std::move(respond)]() mutable {
      absl::SleepFor(absl::Milliseconds(700));
      std::move(respond)(HttpResponse{});
    }).detach();
  });
  auto server = StartServer(ShortReadTimeout(), &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/")).ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
}

// After a client closed a connection, a new one is served. The server
// notices the close asynchronously: retried until a deadline.
void ExpectASlotFreesUp(int port) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (;;) {
    auto connection = ConnectOrDie(port);
    absl::StatusOr<ParsedResponse> again = absl::UnknownError("not sent");
    if (connection->Send(Get("/")).ok()) again = connection->ReadResponse();
    if (again.ok() && again->status == 200) return;
    ASSERT_LT(absl::Now(), deadline)
        << "the closed connection never freed its slot";
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST(HttpLimitsTest, ConnectionsOverTheCapGet503) {
  EchoHandler handler;
  HttpServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(options, &handler);
  auto first = ConnectOrDie(server->port());
  auto second = ConnectOrDie(server->port());
  // A round trip on each proves both are registered.
  for (auto* connection : {first.get(), second.get()}) {
    ASSERT_TRUE(connection->Send(Get("/")).ok());
    ASSERT_TRUE(connection->ReadResponse().ok());
  }
  auto third = ConnectOrDie(server->port());
  // Nothing sent: the 503 comes without reading a request.
  auto response = third->ReadResponse();
  ExpectServerError(response, 503, 14);
  EXPECT_EQ(response->reason, "Service Unavailable");
  EXPECT_TRUE(third->ExpectClosed().ok());

  // A slot freed is a slot usable again.
  second.reset();
  ExpectASlotFreesUp(server->port());
}

// One address cannot hold the pool: its connections beyond its share get
// the 503 of a full server, while another address still gets in.
TEST(HttpLimitsTest, OneAddressGetsItsShareOnly) {
  EchoHandler handler;
  HttpServerOptions options;
  options.max_connections_per_address = 2;
  auto server = StartServer(options, &handler);
  constexpr uint32_t kOther = 0x7f000002;  // 127.0.0.2
  auto first = ConnectOrDie(server->port());
  auto second = ConnectOrDie(server->port());
  for (auto* connection : {first.get(), second.get()}) {
    ASSERT_TRUE(connection->Send(Get("/")).ok());
    ASSERT_TRUE(connection->ReadResponse().ok());
  }
  auto third = ConnectOrDie(server->port());
  ExpectServerError(third->ReadResponse(), 503, 14);
  EXPECT_TRUE(third->ExpectClosed().ok());

  auto other = TestConnection::ConnectFrom(kOther, server->port());
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->Send(Get("/")).ok());
  auto response = (*other)->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);

  // The share frees up as connections close.
  first.reset();
  ExpectASlotFreesUp(server->port());
}

// Behind a trusted TCP balancer every connection comes from its address:
// the PROXY header it writes names the client, and the per-address share
// (and HttpRequest::peer) follow the client. From anyone else the same line
// is just a malformed request.
TEST(HttpLimitsTest, TrustedProxyHeadersNameTheClient) {
  EchoHandler handler;
  HttpServerOptions options;
  options.max_connections_per_address = 2;
  options.trusted_proxies = {"127.0.0.1/32"};
  auto server = StartServer(options, &handler);
  const auto via_proxy = [&](const std::string& client) {
    auto connection = ConnectOrDie(server->port());
    EXPECT_TRUE(connection
                    ->Send("PROXY TCP4 " + client + " 127.0.0.1 40000 80\r\n" +
                           Get("/"))
                    .ok());
    return connection;
  };
  auto first = via_proxy("10.9.9.9");
  auto second = via_proxy("10.9.9.9");
  for (auto* connection : {first.get(), second.get()}) {
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ(handler.requests().back().peer, "10.9.9.9:40000");
  // The client's third is over its share; another client still gets in,
  // though all come from the balancer's one address.
  auto third = via_proxy("10.9.9.9");
  ExpectServerError(third->ReadResponse(), 503, 14);
  auto other = via_proxy("10.8.8.8");
  auto response = other->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  // The balancer's own connections (health checks) need no header.
  auto direct = ConnectOrDie(server->port());
  ASSERT_TRUE(direct->Send(Get("/")).ok());
  response = direct->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);

  // From an address not trusted, the header is not read.
  constexpr uint32_t kUntrusted = 0x7f000002;  // 127.0.0.2
  auto untrusted = TestConnection::ConnectFrom(kUntrusted, server->port());
  ASSERT_TRUE(untrusted.ok()) << untrusted.status();
  ASSERT_TRUE(
      (*untrusted)
          ->Send("PROXY TCP4 10.7.7.7 127.0.0.1 40000 80\r\n" + Get("/"))
          .ok());
  ExpectServerError((*untrusted)->ReadResponse(), 400, 3);
}

TEST(HttpLimitsTest, TrustedProxiesMustBeNetworks) {
  EchoHandler handler;
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.trusted_proxies = {"10.0.0.0/40"};
  auto server = HttpServer::Start(options, &handler);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokend::http::testing
