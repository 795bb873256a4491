// Handlers and helpers shared by the HttpServer tests.
#ifndef TOKEND_TESTS_SERVER_HTTP_TEST_SERVER_H_
#define TOKEND_TESTS_SERVER_HTTP_TEST_SERVER_H_

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "server/http/http_server.h"
#include "tests/server/http/test_client.h"

namespace tokend::http::testing {

// Forwards to a function, so each test states its handler inline.
class LambdaHandler : public HttpHandler {
 public:
  using Function = std::function<void(HttpRequest, Responder)>;
  explicit LambdaHandler(Function function) : function_(std::move(function)) {}
  void Handle(HttpRequest request, Responder respond) override {
    function_(std::move(request), std::move(respond));
  }

 private:
  Function function_;
};

// Answers 200 with the request body, and the method and target in headers;
// remembers every request it saw.
class EchoHandler : public HttpHandler {
 public:
  void Handle(HttpRequest request, Responder respond) override {
    HttpResponse response;
    response.headers = {{"Content-Type", "text/plain"},
                        {"x-method", request.method},
                        {"x-target", request.target}};
    response.body = request.body;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(std::move(request));
    }
    std::move(respond)(std::move(response));
  }

  std::vector<HttpRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

// Starts on 127.0.0.1 with a free port (whatever `options.listen` says).
// HTTP_TEST_THREADS, when set, overrides a single io thread: the same tests
// then run over strands on several threads (see BUILD).
inline std::unique_ptr<HttpServer> StartServer(HttpServerOptions options,
                                               HttpHandler* handler) {
  options.listen = "127.0.0.1:0";
  if (const char* threads = std::getenv("HTTP_TEST_THREADS");
      threads != nullptr && options.threads == 1) {
    options.threads = std::atoi(threads);
    static const bool announced = [&] {
      std::fprintf(stderr, "HTTP_TEST_THREADS: %d io threads\n",
                   options.threads);
      return true;
    }();
    (void)announced;
  }
  auto server = HttpServer::Start(std::move(options), handler);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

inline std::unique_ptr<TestConnection> ConnectOrDie(
    int port, absl::Duration read_timeout = absl::Seconds(5)) {
  auto connection = TestConnection::Connect(port, read_timeout);
  EXPECT_TRUE(connection.ok()) << connection.status();
  return connection.ok() ? std::move(*connection) : nullptr;
}

inline std::string Get(absl::string_view target,
                       absl::string_view extra_headers = "") {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: test\r\n",
                      extra_headers, "\r\n");
}

inline std::string Post(absl::string_view target, absl::string_view body,
                        absl::string_view extra_headers = "") {
  return absl::StrCat("POST ", target,
                      " HTTP/1.1\r\nHost: test\r\nContent-Length: ",
                      body.size(), "\r\n", extra_headers, "\r\n", body);
}

// A server-produced error: the status, exactly `application/json`, the
// google.rpc.Status-style body with `grpc_code`, a request id, and a
// Connection: close (every such error ends the connection but 500).
inline void ExpectServerError(const absl::StatusOr<ParsedResponse>& response,
                              int status, int grpc_code) {
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, status);
  ASSERT_NE(response->Header("content-type"), nullptr);
  EXPECT_EQ(*response->Header("content-type"), "application/json");
  EXPECT_TRUE(absl::StartsWith(
      response->body, absl::StrCat("{\"code\":", grpc_code, ",\"message\":\"")))
      << response->body;
  EXPECT_TRUE(absl::EndsWith(response->body, "\"}")) << response->body;
  EXPECT_NE(response->Header("x-request-id"), nullptr);
  if (status != 500) {
    ASSERT_NE(response->Header("connection"), nullptr);
    EXPECT_EQ(*response->Header("connection"), "close");
  }
}

}  // namespace tokend::http::testing

#endif  // TOKEND_TESTS_SERVER_HTTP_TEST_SERVER_H_
