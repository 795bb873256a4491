// HttpServer's HTTP/1.x behaviour over real sockets: what reaches the
// handler, keep-alive and close, pipelining, HEAD, 100-continue, request ids,
// and the errors the server answers itself.
#include <chrono>
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

TEST(HttpProtocolTest, HandlerSeesTheRequestAsSent) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection
                  ->Send("POST /v1/a%2Fb?x=1&y=%20 HTTP/1.1\r\n"
                         "Host: example\r\n"
                         "X-Custom: one\r\n"
                         "x-custom: two\r\n"
                         "Content-Length: 5\r\n\r\nhello")
                  .ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->reason, "OK");
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(*response->Header("content-type"), "text/plain");
  EXPECT_EQ(*response->Header("content-length"), "5");

  auto requests = handler.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/a%2Fb?x=1&y=%20");  // Raw, not decoded.
  EXPECT_EQ(request.body, "hello");
  EXPECT_FALSE(request.tls);
  EXPECT_EQ(request.peer, absl::StrCat("127.0.0.1:", connection->local_port()));
  // Lowercased names, order and repeats kept.
  std::vector<std::pair<std::string, std::string>> expected = {
      {"host", "example"},
      {"x-custom", "one"},
      {"x-custom", "two"},
      {"content-length", "5"}};
  EXPECT_EQ(request.headers, expected);
  ASSERT_NE(request.Header("x-custom"), nullptr);
  EXPECT_EQ(*request.Header("x-custom"), "one");
  EXPECT_EQ(request.Header("X-Custom"), nullptr);  // Lowercase lookup only.
  EXPECT_EQ(request.Header("absent"), nullptr);
}

TEST(HttpProtocolTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  for (const char* body : {"first", "second", ""}) {
    ASSERT_TRUE(connection->Send(Post("/x", body)).ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, body);
    EXPECT_EQ(response->Header("connection"), nullptr);
  }
  auto requests = handler.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].peer, requests[2].peer);  // Same connection.
}

TEST(HttpProtocolTest, ConnectionCloseIsHonoured) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/", "Connection: close\r\n")).ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(*response->Header("connection"), "close");
  EXPECT_TRUE(connection->ExpectClosed().ok());
}

TEST(HttpProtocolTest, Http10ClosesUnlessKeepAliveIsAsked) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  {
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(connection->Send("GET /old HTTP/1.0\r\n\r\n").ok());
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(*response->Header("x-target"), "/old");
    EXPECT_TRUE(connection->ExpectClosed().ok());
  }
  {
    auto connection = ConnectOrDie(server->port());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(
          connection->Send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
              .ok());
      auto response = connection->ReadResponse();
      ASSERT_TRUE(response.ok()) << response.status();
      ASSERT_NE(response->Header("connection"), nullptr);
      EXPECT_EQ(*response->Header("connection"), "keep-alive");
    }
  }
}

TEST(HttpProtocolTest, PipelinedRequestsAreAnsweredInOrder) {
  // The first request is answered last in time: responses must still come
  // back in request order.
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    const auto delay = request.target == "/1" ? std::chrono::milliseconds(200)
                                              : std::chrono::milliseconds(0);
    std::thread([delay, target = request.target,
                 respond = std::move(respond)]() mutable {
      std::this_thread::sleep_for(delay);
      HttpResponse response;
      response.body = target;
      std::move(respond)(std::move(response));
    }).detach();
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(
      connection->Send(Get("/1") + Post("/2", "body") + Get("/3")).ok());
  for (const char* target : {"/1", "/2", "/3"}) {
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, target);
  }
}

TEST(HttpProtocolTest, HeadSendsTheLengthButNoBody) {
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.body = "0123456789";
    std::move(respond)(std::move(response));
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send("HEAD /x HTTP/1.1\r\nHost: test\r\n\r\n").ok());
  auto head = connection->ReadResponse(/*head_request=*/true);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(*head->Header("content-length"), "10");
  // Had a body been sent, it would now be read as the next response's head.
  ASSERT_TRUE(connection->Send(Get("/x")).ok());
  auto get = connection->ReadResponse();
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->body, "0123456789");
}

TEST(HttpProtocolTest, ExpectContinueGets100BeforeTheBody) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection
                  ->Send("POST /up HTTP/1.1\r\nHost: test\r\n"
                         "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n")
                  .ok());
  auto interim = connection->ReadResponse();
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(interim->status, 100);
  EXPECT_EQ(interim->reason, "Continue");
  ASSERT_TRUE(connection->Send("payload").ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "payload");
}

TEST(HttpProtocolTest, ExpectContinueOverTheBodyLimitGets413Not100) {
  EchoHandler handler;
  HttpServerOptions options;
  options.max_body_bytes = 100;
  auto server = StartServer(options, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection
                  ->Send("POST /up HTTP/1.1\r\nHost: test\r\n"
                         "Expect: 100-continue\r\nContent-Length: 101\r\n\r\n")
                  .ok());
  ExpectServerError(connection->ReadResponse(), 413, 3);
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpProtocolTest, UnknownExpectationIs417) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Post("/", "abc", "Expect: teapot\r\n")).ok());
  ExpectServerError(connection->ReadResponse(), 417, 9);
  EXPECT_TRUE(connection->ExpectClosed().ok());
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpProtocolTest, RequestIdIsEchoedWhenAcceptableElseGenerated) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  auto request_id_of = [&](absl::string_view header) -> std::string {
    EXPECT_TRUE(connection->Send(Get("/", header)).ok());
    auto response = connection->ReadResponse();
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return "";
    EXPECT_EQ(response->CountHeader("x-request-id"), 1);
    const std::string* id = response->Header("x-request-id");
    EXPECT_NE(id, nullptr);
    if (id == nullptr) return "";
    // The handler saw the same id.
    EXPECT_EQ(handler.requests().back().request_id, *id);
    return *id;
  };
  const std::string good = "Trace-1.2_3:abc";
  EXPECT_EQ(request_id_of(absl::StrCat("X-Request-Id: ", good, "\r\n")), good);
  const std::string longest(128, 'a');
  EXPECT_EQ(request_id_of(absl::StrCat("x-request-id: ", longest, "\r\n")),
            longest);

  const std::string generated = request_id_of("");
  EXPECT_EQ(generated.size(), 32u);
  EXPECT_EQ(generated.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(request_id_of(""), generated);

  for (const std::string& bad :
       {std::string(129, 'a'), std::string("has space"),
        std::string("semi;colon"), std::string("a/b"), std::string("\"q\"")}) {
    const std::string id =
        request_id_of(absl::StrCat("x-request-id: ", bad, "\r\n"));
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 32u) << bad;
  }
}

TEST(HttpProtocolTest, ServerErrorsCarryTheClientsRequestId) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(
      connection
          ->Send(Post("/", "abc", "Expect: nope\r\nx-request-id: mine-42\r\n"))
          .ok());
  auto response = connection->ReadResponse();
  ExpectServerError(response, 417, 9);
  EXPECT_EQ(*response->Header("x-request-id"), "mine-42");
}

TEST(HttpProtocolTest, ChunkedBodyIsReassembled) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection
                  ->Send("POST /c HTTP/1.1\r\nHost: test\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n"
                         "6;ext=1\r\n world\r\n"
                         "0\r\n\r\n")
                  .ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello world");
  // Still usable afterwards: the chunked framing was consumed exactly.
  ASSERT_TRUE(connection->Send(Post("/next", "n")).ok());
  auto next = connection->ReadResponse();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->body, "n");
}

TEST(HttpProtocolTest, TransferCodingOtherThanChunkedIs501) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  for (const char* coding : {"gzip", "gzip, chunked"}) {
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(connection
                    ->Send(absl::StrCat("POST / HTTP/1.1\r\nHost: test\r\n"
                                        "Transfer-Encoding: ",
                                        coding, "\r\n\r\n0\r\n\r\n"))
                    .ok());
    ExpectServerError(connection->ReadResponse(), 501, 12);
    EXPECT_TRUE(connection->ExpectClosed().ok()) << coding;
  }
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpProtocolTest, MalformedRequestsAre400AndClose) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  for (const char* bytes : {
           "NOT HTTP AT ALL\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n",
           "GET / HTTP/1.1\r\n\r\n",                        // No Host.
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // Two.
           "GET http://example/ HTTP/1.1\r\nHost: a\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
           "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",  // Smuggling shape.
           "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "zz\r\n",
       }) {
    auto connection = ConnectOrDie(server->port());
    ASSERT_TRUE(connection->Send(bytes).ok());
    ExpectServerError(connection->ReadResponse(), 400, 3);
    EXPECT_TRUE(connection->ExpectClosed().ok()) << bytes;
  }
  EXPECT_TRUE(handler.requests().empty());
}

TEST(HttpProtocolTest, HandlerBreakingTheContractGets500) {
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    HttpResponse response;
    if (request.target == "/injection") {
      response.headers = {{"x-evil", "a\r\nSet-Cookie: b"}};
    } else if (request.target == "/bad-name") {
      response.headers = {{"bad name", "v"}};
    } else if (request.target == "/status") {
      response.status = 99;
    } else if (request.target == "/drop") {
      return;  // Drops `respond` unanswered.
    }
    std::move(respond)(std::move(response));
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  for (const char* target : {"/injection", "/bad-name", "/status", "/drop"}) {
    ASSERT_TRUE(connection->Send(Get(target)).ok());
    auto response = connection->ReadResponse();
    ExpectServerError(response, 500, 13);
    EXPECT_EQ(response->Header("set-cookie"), nullptr);
  }
  // The connection survived every one of them.
  ASSERT_TRUE(connection->Send(Get("/")).ok());
  auto ok = connection->ReadResponse();
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpProtocolTest, ServerOwnsFramingHeaders) {
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.status = 404;
    response.headers = {{"Content-Length", "999"},
                        {"Transfer-Encoding", "chunked"},
                        {"x-request-id", "forged"},
                        {"Content-Type", "application/json"}};
    response.body = "{}";
    std::move(respond)(std::move(response));
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/", "x-request-id: real\r\n")).ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->reason, "Not Found");
  EXPECT_EQ(response->CountHeader("content-length"), 1);
  EXPECT_EQ(*response->Header("content-length"), "2");
  EXPECT_EQ(response->Header("transfer-encoding"), nullptr);
  EXPECT_EQ(*response->Header("x-request-id"), "real");
  EXPECT_EQ(*response->Header("content-type"), "application/json");
}

TEST(HttpProtocolTest, HandlerCanAskToClose) {
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.headers = {{"Connection", "close"}};
    std::move(respond)(std::move(response));
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/")).ok());
  auto response = connection->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(*response->Header("connection"), "close");
  EXPECT_TRUE(connection->ExpectClosed().ok());
}

TEST(HttpProtocolTest, NoContentHasNeitherBodyNorLength) {
  LambdaHandler handler([](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.status = 204;
    response.body = "ignored";
    std::move(respond)(std::move(response));
  });
  auto server = StartServer({}, &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/") + Get("/")).ok());
  for (int i = 0; i < 2; ++i) {
    auto response = connection->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 204);
    EXPECT_EQ(response->Header("content-length"), nullptr);
  }
}

// An independent client: curl's parser must agree with ours.
TEST(HttpProtocolTest, CurlGetsTheEcho) {
  EchoHandler handler;
  auto server = StartServer({}, &handler);
  auto out = RunCurl(
      absl::StrCat("-i -H 'X-Request-Id: curl-1' --data-binary 'from curl' "
                   "http://127.0.0.1:",
                   server->port(), "/curl?q=1"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(absl::StartsWith(*out, "HTTP/1.1 200 OK\r\n")) << *out;
  EXPECT_TRUE(absl::StrContains(*out, "x-request-id: curl-1\r\n")) << *out;
  EXPECT_TRUE(absl::StrContains(*out, "x-target: /curl?q=1\r\n")) << *out;
  EXPECT_TRUE(absl::EndsWith(*out, "\r\n\r\nfrom curl")) << *out;

  // Two URLs: curl reuses the connection (keep-alive) and HEAD via -I.
  auto twice =
      RunCurl(absl::StrCat("-I http://127.0.0.1:", server->port(),
                           "/a http://127.0.0.1:", server->port(), "/b"));
  ASSERT_TRUE(twice.ok()) << twice.status();
  auto requests = handler.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].method, "HEAD");
  EXPECT_EQ(requests[1].peer, requests[2].peer);
}

}  // namespace
}  // namespace tokend::http::testing
