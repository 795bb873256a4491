// Gateway end to end inside one process: a real grpc::Server with a generic
// callback service that answers as the request's metadata asks, reached
// through the server's in-process channel exactly as tokend does it. Checks
// what only the Gateway decides: routing results, error style per service,
// forwarded and returned headers, 304, Retry-After.
#include "server/gateway/gateway.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <future>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tokend/testing/v1/error_styles.pb.h"

namespace tokend::gateway {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::Pair;

// Answers every call as scripted by its authorization metadata (the gateway
// forwards that header): "Script <code> <message>" fails with that code and
// message and a retry-after trailer; anything else succeeds with etag and
// cache-control initial metadata. Records the metadata it saw.
class ScriptedService : public grpc::CallbackGenericService {
 public:
  std::map<std::string, std::string> LastMetadata() {
    absl::MutexLock lock(&mu_);
    return last_;
  }
  std::string LastMethod() {
    absl::MutexLock lock(&mu_);
    return last_method_;
  }
  int Calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    {
      absl::MutexLock lock(&mu_);
      last_.clear();
      for (const auto& [k, v] : context->client_metadata()) {
        last_[std::string(k.data(), k.size())] =
            std::string(v.data(), v.size());
      }
      last_method_ = context->method();
      ++calls_;
    }
    return new Reactor(context, LastMetadata());
  }

 private:
  class Reactor : public grpc::ServerGenericBidiReactor {
   public:
    Reactor(grpc::GenericCallbackServerContext* context,
            std::map<std::string, std::string> metadata)
        : context_(context), metadata_(std::move(metadata)) {
      // A default ByteBuffer is "no message"; an empty Empty is one slice.
      grpc::Slice empty("");
      response_ = grpc::ByteBuffer(&empty, 1);
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) return Finish(grpc::Status::OK);
      const std::string script = Get("authorization", "");
      int code = 0;
      std::string message;
      if (script.rfind("Script ", 0) == 0) {
        const size_t space = script.find(' ', 7);
        code = std::stoi(script.substr(7, space - 7));
        if (space != std::string::npos) message = script.substr(space + 1);
      }
      if (code == 0) {
        context_->AddInitialMetadata("etag", "\"v1\"");
        context_->AddInitialMetadata("cache-control", "public, max-age=60");
        context_->AddInitialMetadata("x-internal", "not for clients");
        StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
        return;
      }
      context_->AddTrailingMetadata("retry-after", "7");
      Finish(grpc::Status(static_cast<grpc::StatusCode>(code), message));
    }
    void OnWriteDone(bool) override {}
    void OnDone() override { delete this; }

   private:
    std::string Get(const std::string& key, const std::string& fallback) {
      auto it = metadata_.find(key);
      return it == metadata_.end() ? fallback : it->second;
    }
    grpc::GenericCallbackServerContext* context_;
    std::map<std::string, std::string> metadata_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;  // An empty google.protobuf.Empty.
  };

  absl::Mutex mu_;
  std::map<std::string, std::string> last_ ABSL_GUARDED_BY(mu_);
  std::string last_method_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    const auto* file = testing::v1::Marker::descriptor()->file();
    GatewayOptions options;
    options.channel = server_->InProcessChannel(grpc::ChannelArguments());
    options.services = {file->FindServiceByName("ClerkStyled"),
                        file->FindServiceByName("CourierStyled"),
                        file->FindServiceByName("Unstyled")};
    auto gateway = Gateway::Create(std::move(options));
    ASSERT_TRUE(gateway.ok()) << gateway.status();
    gateway_ = *std::move(gateway);
  }
  void TearDown() override {
    gateway_.reset();
    server_->Shutdown();
  }

  http::HttpResponse Call(
      std::string method, std::string target,
      std::vector<std::pair<std::string, std::string>> headers = {},
      std::string body = "") {
    http::HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.headers = std::move(headers);
    request.body = std::move(body);
    request.request_id = "req-42";
    std::promise<http::HttpResponse> done;
    auto future = done.get_future();
    gateway_->Handle(std::move(request),
                     [&done](http::HttpResponse response) mutable {
                       done.set_value(std::move(response));
                     });
    return future.get();
  }

  static std::string HeaderOf(const http::HttpResponse& r,
                              const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  ScriptedService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Gateway> gateway_;
};

const std::vector<std::pair<std::string, std::string>> kJson = {
    {"content-type", "application/json"}};

TEST_F(GatewayTest, OkReturnsProto3JsonAndSelectedHeaders) {
  http::HttpResponse r = Call("POST", "/clerk/call", kJson, "{}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(HeaderOf(r, "content-type"), "application/json");
  EXPECT_EQ(HeaderOf(r, "etag"), "\"v1\"");
  EXPECT_EQ(HeaderOf(r, "cache-control"), "public, max-age=60");
  // Other response metadata stays inside.
  EXPECT_EQ(HeaderOf(r, "x-internal"), "");
  EXPECT_EQ(service_.LastMethod(), "/tokend.testing.v1.ClerkStyled/Call");
}

TEST_F(GatewayTest, ForwardsOnlyTheListedHeadersAndTheRequestId) {
  Call("POST", "/clerk/call",
       {{"content-type", "application/json"},
        {"authorization", "Bearer sk_test"},
        {"origin", "https://app.example"},
        {"cookie", "__client=abc"},
        {"x-secret-header", "nope"},
        {"user-agent", "curl"}},
       "{}");
  auto md = service_.LastMetadata();
  EXPECT_EQ(md["authorization"], "Bearer sk_test");
  EXPECT_EQ(md["origin"], "https://app.example");
  EXPECT_EQ(md["cookie"], "__client=abc");
  EXPECT_EQ(md["x-request-id"], "req-42");
  EXPECT_EQ(md.count("x-secret-header"), 0u);
  EXPECT_EQ(md.count("if-none-match"), 0u);
}

TEST_F(GatewayTest, IfNoneMatchGives304WithoutBody) {
  for (const char* value : {"\"v1\"", "\"v0\", \"v1\"", "W/\"v1\"", "*"}) {
    http::HttpResponse r =
        Call("GET", "/plain/call", {{"if-none-match", value}});
    EXPECT_EQ(r.status, 304) << value;
    EXPECT_EQ(r.body, "") << value;
    EXPECT_EQ(HeaderOf(r, "etag"), "\"v1\"");
    EXPECT_EQ(HeaderOf(r, "content-type"), "") << value;
  }
  EXPECT_EQ(Call("GET", "/plain/call", {{"if-none-match", "\"v2\""}}).status,
            200);
}

TEST_F(GatewayTest, PublicGetResponsesAreReusedBrieflyWithoutCredentials) {
  // The scripted OK carries "Cache-Control: public, max-age=60".
  http::HttpResponse first = Call("GET", "/plain/call");
  http::HttpResponse second = Call("GET", "/plain/call");
  EXPECT_EQ(service_.Calls(), 1);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(HeaderOf(second, "etag"), "\"v1\"");
  EXPECT_EQ(HeaderOf(second, "content-type"), "application/json");
  // Revalidation is answered from the cache too.
  EXPECT_EQ(Call("GET", "/plain/call", {{"if-none-match", "\"v1\""}}).status,
            304);
  EXPECT_EQ(service_.Calls(), 1);
  // Credentials bypass it: the answer may depend on them.
  Call("GET", "/plain/call", {{"authorization", "Bearer x"}});
  Call("GET", "/plain/call", {{"cookie", "__client=1"}});
  EXPECT_EQ(service_.Calls(), 3);
  // POST is never cached.
  Call("POST", "/clerk/call", kJson, "{}");
  Call("POST", "/clerk/call", kJson, "{}");
  EXPECT_EQ(service_.Calls(), 5);
}

TEST_F(GatewayTest, ErrorStylePerService) {
  const std::vector<std::pair<std::string, std::string>> not_found = {
      {"content-type", "application/json"},
      {"authorization", "Script 5 No session was found with id sess_1"}};
  http::HttpResponse clerk = Call("POST", "/clerk/call", not_found, "{}");
  EXPECT_EQ(clerk.status, 404);
  nlohmann::json body = nlohmann::json::parse(clerk.body);
  EXPECT_EQ(body["errors"][0]["code"], "resource_not_found");
  EXPECT_EQ(body["errors"][0]["long_message"],
            "No session was found with id sess_1");
  EXPECT_EQ(body["clerk_trace_id"], "req-42");

  // A route tokend lacks, or a method it does not serve, under a Clerk
  // path: still Clerk's shape, so the SDK reads the error.
  for (const auto& [method, path, status] :
       std::vector<std::tuple<std::string, std::string, int>>{
           {"GET", "/clerk/no-such-route", 404}, {"GET", "/clerk/call", 405}}) {
    http::HttpResponse r = Call(method, path, {}, "");
    EXPECT_EQ(r.status, status) << path;
    EXPECT_TRUE(nlohmann::json::parse(r.body).contains("errors")) << r.body;
  }

  http::HttpResponse courier = Call("POST", "/courier/call", not_found, "{}");
  EXPECT_EQ(courier.status, 404);
  EXPECT_EQ(
      nlohmann::json::parse(courier.body),
      nlohmann::json::parse(R"({"message":"No session was found with )"
                            R"(id sess_1","type":"invalid_request_error"})"));
  EXPECT_THAT(courier.headers, Contains(Pair("x-should-retry", "false")));

  http::HttpResponse plain =
      Call("GET", "/plain/call", {{"authorization", "Script 5 gone"}});
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(nlohmann::json::parse(plain.body)["code"], 5);
  EXPECT_EQ(HeaderOf(plain, "content-type"), "application/json");
}

TEST_F(GatewayTest, RetryAfterTrailerOn429) {
  http::HttpResponse r =
      Call("GET", "/plain/call", {{"authorization", "Script 8 slow down"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(HeaderOf(r, "retry-after"), "7");
}

TEST_F(GatewayTest, RoutingFailuresAndTranslationErrors) {
  http::HttpResponse r = Call("GET", "/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], 5);

  r = Call("DELETE", "/clerk/call");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HeaderOf(r, "allow"), "POST");

  // Errors before the call still use the service's style.
  r = Call("POST", "/courier/call", kJson, R"({"unknown":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(nlohmann::json::parse(r.body)["message"].get<std::string>(),
              ::testing::HasSubstr("unknown"));
  EXPECT_THAT(r.headers, Contains(Pair("x-should-retry", "false")));

  r = Call("POST", "/clerk/call",
           {{"content-type", "application/json; charset=latin1"}}, "{}");
  EXPECT_EQ(r.status, 415);
  EXPECT_TRUE(nlohmann::json::parse(r.body).contains("errors"));

  // GET routes take no body.
  r = Call("GET", "/plain/call", kJson, "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(service_.LastMethod(), "");
}

TEST_F(GatewayTest, IgnoredParametersPerMethod) {
  const std::vector<std::pair<std::string, std::string>> form = {
      {"content-type", "application/x-www-form-urlencoded"}};
  http::HttpResponse r =
      Call("POST", "/clerk/ignoring?_clerk_js_version=5", form, "");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(service_.LastMethod(),
            "/tokend.testing.v1.ClerkStyled/CallIgnoring");
  r = Call("POST", "/clerk/ignoring?_clerk_js_version=5&%5Fclerk_js_version=6",
           kJson, "{}");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(service_.Calls(), 2);

  // Only the listed name, and only on that method.
  r = Call("POST", "/clerk/ignoring?_clerk_js_version=5&debug=1", kJson, "{}");
  // Clerk's shape: 422 form_param_unknown naming the parameter.
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"][0]["code"],
            "form_param_unknown");
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"][0]["meta"]["param_name"],
            "debug");
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"][0]["long_message"],
            "query parameter \"debug\" is not allowed: the request body binds "
            "every field");
  r = Call("POST", "/clerk/call?_clerk_js_version=5", kJson, "{}");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"][0]["long_message"],
            "query parameter \"_clerk_js_version\" is not allowed: the "
            "request body binds every field");
  EXPECT_EQ(service_.Calls(), 2);
}

TEST_F(GatewayTest, HeadersThatCannotBeMetadataAreDropped) {
  Call("POST", "/clerk/call",
       {{"content-type", "application/json"},
        {"authorization", std::string("Bearer \x01\xff")}},
       "{}");
  EXPECT_EQ(service_.LastMetadata().count("authorization"), 0u);
}

}  // namespace
}  // namespace tokend::gateway
