// TokenCallCredentials against an in-process gRPC server: the header it adds,
// what reaches the source, how a failing source surfaces (with and without
// the error interceptor), and which channels gRPC 1.51 lets carry call
// credentials at all.
#include "client/call_credentials.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/token_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::client {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// Answers every method with the caller's authorization header as the
// response body, or with `forced` when that is not OK.
class EchoAuthService final : public grpc::CallbackGenericService {
 public:
  std::atomic<int> calls{0};
  grpc::Status forced = grpc::Status::OK;

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    ++calls;
    std::string auth = "<none>";
    auto it = context->client_metadata().find("authorization");
    if (it != context->client_metadata().end()) {
      auth.assign(it->second.data(), it->second.size());
    }
    return new Reactor(auth, forced);
  }

 private:
  class Reactor final : public grpc::ServerGenericBidiReactor {
   public:
    Reactor(const std::string& auth, grpc::Status forced) {
      if (!forced.ok()) {
        Finish(forced);
        return;
      }
      grpc::Slice slice(auth);
      response_ = grpc::ByteBuffer(&slice, 1);
      StartRead(&request_);
    }
    void OnReadDone(bool /*ok*/) override {
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnDone() override { delete this; }

   private:
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };
};

// Returns `token` (or `error`), recording what it was asked.
class FakeSource final : public TokenSource {
 public:
  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override {
    absl::MutexLock lock(&mu_);
    keys_.push_back(options.key);
    if (!error_.ok()) return error_;
    return Token{token_, absl::Now() + absl::Hours(1)};
  }
  void set_token(std::string token) {
    absl::MutexLock lock(&mu_);
    token_ = std::move(token);
  }
  void set_error(absl::Status error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  std::vector<std::string> keys() const {
    absl::MutexLock lock(&mu_);
    return keys_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string token_ = "tok.en";
  absl::Status error_;
  std::vector<std::string> keys_;
};

struct Reply {
  grpc::Status status;
  std::string body;
};

class CallCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    target_ = "127.0.0.1:" + std::to_string(port_);
  }
  void TearDown() override { server_->Shutdown(); }

  // One unary call on `channel` with `credentials`.
  static Reply Call(const std::shared_ptr<grpc::Channel>& channel,
                    const std::shared_ptr<grpc::CallCredentials>& credentials) {
    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    grpc::ClientContext context;
    context.set_credentials(credentials);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Slice slice("x", 1);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    Reply reply;
    auto call =
        stub.PrepareUnaryCall(&context, "/test.Echo/Auth", request, &cq);
    call->StartCall();
    call->Finish(&response, &reply.status, nullptr);
    void* tag;
    bool ok;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    std::vector<grpc::Slice> slices;
    if (reply.status.ok() && response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        reply.body.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return reply;
  }

  // Plaintext HTTP/2 that gRPC trusts with call credentials (loopback only).
  std::shared_ptr<grpc::Channel> LocalTokenChannel() {
    return CreateTokenChannel(target_,
                              grpc::experimental::LocalCredentials(LOCAL_TCP));
  }

  EchoAuthService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string target_;
  std::shared_ptr<FakeSource> source_ = std::make_shared<FakeSource>();
};

TEST_F(CallCredentialsTest, AddsBearerTokenAskingTheSourceEveryCall) {
  auto credentials = TokenCallCredentials(source_, {.key = "tmpl"});
  auto channel = LocalTokenChannel();
  Reply first = Call(channel, credentials);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_EQ(first.body, "Bearer tok.en");
  source_->set_token("next");
  Reply second = Call(channel, credentials);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_EQ(second.body, "Bearer next");
  // The options reach the source unchanged (no cache here).
  EXPECT_EQ(source_->keys(), (std::vector<std::string>{"tmpl", "tmpl"}));
}

TEST_F(CallCredentialsTest, SourceFailureIsUnauthenticatedWithTheCause) {
  source_->set_error(absl::NotFoundError("No session was found with id s1"));
  Reply reply = Call(LocalTokenChannel(), TokenCallCredentials(source_));
  EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(reply.status.error_message(),
            "tokend token source: NOT_FOUND: No session was found with id s1");
  // Failed before it was sent.
  EXPECT_EQ(service_.calls.load(), 0);
}

TEST_F(CallCredentialsTest, WithoutTheInterceptorGrpcSaysUnavailable) {
  // gRPC 1.51 reports any failing plugin as UNAVAILABLE; versions with
  // gRFC A54 pass UNAUTHENTICATED through. Either way the cause is there.
  source_->set_error(absl::UnauthenticatedError("key was deleted"));
  auto channel = grpc::CreateChannel(
      target_, grpc::experimental::LocalCredentials(LOCAL_TCP));
  Reply reply = Call(channel, TokenCallCredentials(source_));
  EXPECT_THAT(
      reply.status.error_code(),
      AnyOf(grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_THAT(reply.status.error_message(),
              HasSubstr("tokend token source: UNAUTHENTICATED: key was "
                        "deleted"));
  EXPECT_EQ(service_.calls.load(), 0);
}

TEST_F(CallCredentialsTest, TokenThatCannotBeAHeaderValueFailsTheCall) {
  for (const std::string& token : {std::string(""), std::string("a b"),
                                   std::string("a\nb"), std::string("\x80")}) {
    source_->set_token(token);
    Reply reply = Call(LocalTokenChannel(), TokenCallCredentials(source_));
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(reply.status.error_message(),
              "tokend token source: the token is empty or not a valid header "
              "value");
  }
  EXPECT_EQ(service_.calls.load(), 0);
}

TEST_F(CallCredentialsTest, InsecureChannelRefusesCallCredentials) {
  auto channel =
      CreateTokenChannel(target_, grpc::InsecureChannelCredentials());
  Reply reply = Call(channel, TokenCallCredentials(source_));
  EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(reply.status.error_message(),
              HasSubstr("does not have a sufficient security level"));
  // The token was never asked for, let alone sent.
  EXPECT_TRUE(source_->keys().empty());
  EXPECT_EQ(service_.calls.load(), 0);
}

TEST_F(CallCredentialsTest, InterceptorLeavesOtherStatusesAlone) {
  for (const grpc::Status& forced :
       {grpc::Status(grpc::StatusCode::UNAVAILABLE, "backend down"),
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "token expired"),
        grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     "tokend token source: from the server")}) {
    service_.forced = forced;
    Reply reply = Call(LocalTokenChannel(), TokenCallCredentials(source_));
    EXPECT_EQ(reply.status.error_code(), forced.error_code());
    EXPECT_EQ(reply.status.error_message(), forced.error_message());
  }
}

}  // namespace
}  // namespace tokend::client
