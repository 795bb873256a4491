// The validator behind a real gRPC server (in-process channel): the wire
// status of RejectInvalidRequest, and the interceptor facts that made it a
// helper rather than an interceptor (grpc_validation.h).
#include "server/validation/grpc_validation.h"

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend::server::validation {
namespace {

using ::yandex::cloud::iam::v1::CreateIamTokenRequest;
using ::yandex::cloud::iam::v1::CreateIamTokenResponse;
using ::yandex::cloud::iam::v1::IamTokenService;

// A stand-in IamTokenService whose handlers validate first.
class FakeIamTokenService final : public IamTokenService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* context,
                                   const CreateIamTokenRequest* request,
                                   CreateIamTokenResponse* response) override {
    if (auto* rejected = RejectInvalidRequest(context, *request)) {
      return rejected;
    }
    handled_.fetch_add(1);
    response->set_iam_token("t1.fake");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  int handled() const { return handled_.load(); }

 private:
  std::atomic<int> handled_{0};
};

// Records, at POST_RECV_MESSAGE, the type of what GetRecvMessage() points to.
class RecordingInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RecordingInterceptor(std::vector<std::string>* seen, absl::Mutex* mu)
      : seen_(seen), mu_(mu) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // Valid because this server registers only generated protobuf
      // services; a ByteBuffer-based service would make this cast UB.
      auto* message =
          static_cast<google::protobuf::Message*>(m->GetRecvMessage());
      absl::MutexLock lock(mu_);
      seen_->push_back(message->GetDescriptor()->full_name());
    }
    m->Proceed();
  }

 private:
  std::vector<std::string>* seen_;
  absl::Mutex* mu_;
};

class RecordingFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RecordingFactory(std::vector<std::string>* seen, absl::Mutex* mu)
      : seen_(seen), mu_(mu) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new RecordingInterceptor(seen_, mu_);
  }

 private:
  std::vector<std::string>* seen_;
  absl::Mutex* mu_;
};

class GrpcValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<RecordingFactory>(&seen_, &mu_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = IamTokenService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Create(const CreateIamTokenRequest& request,
                      CreateIamTokenResponse* response) {
    grpc::ClientContext context;
    return stub_->Create(&context, request, response);
  }

  FakeIamTokenService service_;
  absl::Mutex mu_;
  std::vector<std::string> seen_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<IamTokenService::Stub> stub_;
};

TEST_F(GrpcValidationTest, InvalidRequestNeverReachesTheHandler) {
  CreateIamTokenResponse response;
  grpc::Status status = Create(CreateIamTokenRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "Validation failed:\n"
            "  - identity: One of the options must be selected");

  CreateIamTokenRequest too_long;
  too_long.set_jwt(std::string(8001, 'j'));
  status = Create(too_long, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "Validation failed:\n"
            "  - jwt: Length must be at most 8000 characters");
  EXPECT_EQ(service_.handled(), 0);
}

TEST_F(GrpcValidationTest, ValidRequestIsHandled) {
  CreateIamTokenRequest request;
  request.set_jwt(std::string(8000, 'j'));
  CreateIamTokenResponse response;
  grpc::Status status = Create(request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.iam_token(), "t1.fake");
  EXPECT_EQ(service_.handled(), 1);
}

TEST_F(GrpcValidationTest, InterceptorSeesTheGeneratedRequestType) {
  CreateIamTokenResponse response;
  (void)Create(CreateIamTokenRequest(), &response);
  absl::MutexLock lock(&mu_);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0], "yandex.cloud.iam.v1.CreateIamTokenRequest");
}

TEST(ValidateRequestTest, SynchronousHandlersGetAGrpcStatus) {
  EXPECT_EQ(ValidateRequest(CreateIamTokenRequest()).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  CreateIamTokenRequest request;
  request.set_yandex_passport_oauth_token("y0_token");
  EXPECT_TRUE(ValidateRequest(request).ok());
}

}  // namespace
}  // namespace tokend::server::validation
