// Integration tests: RunLoad against a real gRPC server in this process,
// listening on a free loopback port.
#include "tools/loadgen/loadgen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "loadgen_testing/v1/test_service.grpc.pb.h"

namespace tokend::loadgen {
namespace {

using ::testing::HasSubstr;
namespace test = ::tokend::loadgen::test::v1;

class TestServiceImpl final : public test::TestService::Service {
 public:
  // Noop calls the server has received.
  std::atomic<int64_t> noops{0};

 private:
  grpc::Status Noop(grpc::ServerContext*, const test::Empty*,
                    test::Empty*) override {
    noops.fetch_add(1, std::memory_order_relaxed);
    return grpc::Status::OK;
  }
  grpc::Status Echo(grpc::ServerContext*, const test::EchoRequest* request,
                    test::EchoResponse* response) override {
    response->set_text(request->text());
    return grpc::Status::OK;
  }
  grpc::Status Fail(grpc::ServerContext*, const test::FailRequest* request,
                    test::Empty*) override {
    return grpc::Status(static_cast<grpc::StatusCode>(request->code()),
                        request->message());
  }
  grpc::Status Sleep(grpc::ServerContext* context,
                     const test::SleepRequest* request, test::Empty*) override {
    const absl::Time end = absl::Now() + absl::Milliseconds(request->millis());
    while (absl::Now() < end) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return grpc::Status::OK;
  }
  grpc::Status CheckMetadata(grpc::ServerContext* context,
                             const test::MetadataRequest* request,
                             test::Empty*) override {
    const auto& metadata = context->client_metadata();
    auto range = metadata.equal_range(request->key());
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == request->value()) return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("no ", request->key()));
  }
};

class LoadgenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    service_ = new TestServiceImpl();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(service_);
    server_ = builder.BuildAndStart().release();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }

  static void TearDownTestSuite() {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    delete server_;
    delete service_;
  }

  static LoadOptions Options(const std::string& method,
                             const std::string& request = "{}") {
    LoadOptions options;
    options.target = absl::StrCat("127.0.0.1:", port_);
    options.method = method;
    options.request_json = request;
    options.concurrency = 4;
    options.warmup = absl::ZeroDuration();
    options.duration = absl::InfiniteDuration();
    options.connect_timeout = absl::Seconds(5);
    return options;
  }

  static int port_;
  static grpc::Server* server_;
  static TestServiceImpl* service_;
};

int LoadgenTest::port_ = 0;
grpc::Server* LoadgenTest::server_ = nullptr;
TestServiceImpl* LoadgenTest::service_ = nullptr;

TEST_F(LoadgenTest, CountRunsExactlyThatManyCalls) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.count = 1000;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 1000);
  EXPECT_EQ(result->stats.calls_by_code[0], 1000);
  EXPECT_EQ(result->stats.errors(), 0);
  EXPECT_EQ(result->stats.latency_ns.count(), 1000u);
  EXPECT_GT(result->stats.elapsed, absl::ZeroDuration());
  EXPECT_GT(result->stats.Throughput(), 0.0);
  EXPECT_EQ(result->info.method, "/tokend.loadgen.test.v1.TestService/Noop");
  EXPECT_EQ(result->info.descriptor_source, "binary");
}

// Open loop (--rate): the schedule, not the responses, decides how many
// calls are made: rate x duration, each channel its share.
TEST_F(LoadgenTest, OpenLoopMakesExactlyTheScheduledCalls) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.rate = 400;
  options.duration = absl::Seconds(1);
  options.channels = 2;
  options.concurrency = 8;
  const int64_t before = service_->noops.load();
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 400);
  EXPECT_EQ(result->stats.errors(), 0);
  EXPECT_EQ(service_->noops.load() - before, 400);
  EXPECT_EQ(result->info.rate, 400);
  EXPECT_EQ(result->stats.start_lag_ns.count(), 400u);
}

// A server slower than the schedule: 20 ms a call, one at a time, asked for
// 100 a second over 0.5 s. A closed loop would report 20 ms and slow down
// to the server's pace; the open loop keeps the schedule, so each call
// waits for those before it and its latency, counted from when it was due,
// grows. The last of the 50 is due at 490 ms and cannot end before the
// 1,000 ms of work ahead of it: over 500 ms. These bounds come from the
// server's deliberate sleeps: no machine can beat them.
TEST_F(LoadgenTest, OpenLoopCountsTheWaitOfCallsItCouldNotStart) {
  LoadOptions options =
      Options("tokend.loadgen.test.v1.TestService/Sleep", R"({"millis": 20})");
  options.rate = 100;
  options.duration = absl::Milliseconds(500);
  options.concurrency = 1;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 50);
  EXPECT_EQ(result->stats.errors(), 0);
  EXPECT_GE(result->stats.latency_ns.max(), 500'000'000u);
  // And the load generator says the wait was its own: the last call could
  // start only after the 49 before it (980 ms of work), 490 ms after due.
  EXPECT_EQ(result->stats.start_lag_ns.count(), 50u);
  EXPECT_GE(result->stats.start_lag_ns.max(), 490'000'000u);
  // 50 calls over at least the 1 s of work: the achieved rate shows it.
  EXPECT_GE(result->stats.elapsed, absl::Seconds(1));
  EXPECT_LT(result->stats.Throughput(), 51.0);
}

TEST_F(LoadgenTest, OpenLoopTakesNoCount) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.rate = 100;
  options.count = 10;
  options.duration = absl::Seconds(1);
  EXPECT_EQ(RunLoad(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Without a warm-up, count mode sends the server exactly `count` calls: none
// starts before measurement (the loadgen_iam_test flake: 51 for 50).
TEST_F(LoadgenTest, CountWithoutWarmupSendsExactlyThatManyCalls) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.channels = 8;
  options.concurrency = 64;
  for (int round = 0; round < 20; ++round) {
    options.count = 50 + round;
    const int64_t before = service_->noops.load();
    auto result = RunLoad(options);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->stats.calls(), options.count);
    ASSERT_EQ(service_->noops.load() - before, options.count)
        << "round " << round;
  }
}

TEST_F(LoadgenTest, CountWithWarmupAndChannels) {
  LoadOptions options = Options("/tokend.loadgen.test.v1.TestService/Echo",
                                R"({"text": "hello"})");
  options.count = 777;
  options.channels = 3;
  options.concurrency = 7;
  options.warmup = absl::Milliseconds(100);
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 777);
  EXPECT_EQ(result->stats.errors(), 0);
}

TEST_F(LoadgenTest, ErrorsAreCountedByStatus) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Fail",
                                R"({"code": 5, "message": "no such token"})");
  options.count = 200;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 200);
  EXPECT_EQ(result->stats.calls_by_code[0], 0);
  EXPECT_EQ(result->stats.calls_by_code[grpc::StatusCode::NOT_FOUND], 200);
  EXPECT_EQ(result->stats.errors(), 200);
  EXPECT_EQ(result->stats.first_message[grpc::StatusCode::NOT_FOUND],
            "no such token");
  EXPECT_EQ(result->stats.latency_ns.count(), 200u);
}

TEST_F(LoadgenTest, HealthCheckFromTheBinarysDescriptors) {
  LoadOptions options = Options("grpc.health.v1.Health/Check");
  options.count = 100;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls_by_code[0], 100);
  EXPECT_EQ(result->info.descriptor_source, "binary");
}

TEST_F(LoadgenTest, ReflectionResolvesWhenAsked) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Echo",
                                R"({"text": "via reflection"})");
  options.descriptor_source = DescriptorSource::kReflection;
  options.count = 50;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls_by_code[0], 50);
  EXPECT_EQ(result->info.descriptor_source, "reflection");
}

TEST_F(LoadgenTest, DurationBoundsTheRun) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.warmup = absl::Milliseconds(100);
  options.duration = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  auto result = RunLoad(options);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GT(result->stats.calls(), 0);
  EXPECT_EQ(result->stats.errors(), 0);
  EXPECT_GE(result->stats.elapsed, absl::Milliseconds(300));
  EXPECT_LE(result->stats.elapsed, took);  // Measured inside the run.
  EXPECT_LT(took, absl::Seconds(5));
}

TEST_F(LoadgenTest, DurationCapsACountAndCancelsSlowCalls) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Sleep",
                                R"({"millis": 60000})");
  options.count = 1000000;
  options.duration = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  // Nothing completed inside the window; the cancelled calls are dropped.
  EXPECT_EQ(result->stats.calls(), 0);
  EXPECT_GE(result->stats.elapsed, absl::Milliseconds(200));
}

TEST_F(LoadgenTest, CallTimeoutGivesDeadlineExceeded) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Sleep",
                                R"({"millis": 5000})");
  options.count = 8;
  options.call_timeout = absl::Milliseconds(50);
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 8);
  EXPECT_EQ(result->stats.calls_by_code[grpc::StatusCode::DEADLINE_EXCEEDED],
            8);
}

TEST_F(LoadgenTest, MetadataIsSentWithEveryCall) {
  LoadOptions options =
      Options("tokend.loadgen.test.v1.TestService/CheckMetadata",
              R"({"key": "authorization", "value": "Bearer xyz"})");
  options.count = 20;
  auto without = RunLoad(options);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(without->stats.calls_by_code[grpc::StatusCode::PERMISSION_DENIED],
            20);

  options.metadata = {{"x-other", "1"}, {"authorization", "Bearer xyz"}};
  auto with = RunLoad(options);
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(with->stats.calls_by_code[0], 20);
}

class StaticTokenPlugin : public grpc::MetadataCredentialsPlugin {
 public:
  bool IsBlocking() const override { return false; }
  grpc::Status GetMetadata(
      grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
      std::multimap<grpc::string, grpc::string>* metadata) override {
    metadata->emplace("authorization", "Bearer from-credentials");
    return grpc::Status::OK;
  }
};

TEST_F(LoadgenTest, CallCredentialsArePluggedIntoEveryCall) {
  LoadOptions options = Options(
      "tokend.loadgen.test.v1.TestService/CheckMetadata",
      R"({"key": "authorization", "value": "Bearer from-credentials"})");
  options.count = 20;
  // Plaintext loopback in the test, so the credentials must allow it.
  options.call_credentials = grpc::experimental::MetadataCredentialsFromPlugin(
      std::make_unique<StaticTokenPlugin>(), GRPC_SECURITY_NONE);
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls_by_code[0], 20);
}

TEST_F(LoadgenTest, UnknownServiceIsASetupError) {
  LoadOptions options = Options("no.such.Service/Method");
  options.count = 1;
  auto result = RunLoad(options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(),
              HasSubstr("the server does not know it"));
  EXPECT_THAT(result.status().message(),
              HasSubstr("tokend.loadgen.test.v1.TestService"));
}

TEST_F(LoadgenTest, UnknownMethodIsASetupError) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Nope");
  options.count = 1;
  auto result = RunLoad(options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("has no method \"Nope\""));
}

TEST_F(LoadgenTest, MalformedMethodIsASetupError) {
  LoadOptions options = Options("Empty");
  options.count = 1;
  EXPECT_EQ(RunLoad(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LoadgenTest, BadJsonIsASetupError) {
  LoadOptions options =
      Options("tokend.loadgen.test.v1.TestService/Fail", R"({"cod": 5})");
  options.count = 1;
  auto result = RunLoad(options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              HasSubstr("not a valid tokend.loadgen.test.v1.FailRequest"));
}

TEST_F(LoadgenTest, UnreachableTargetIsASetupError) {
  // A port bound but never listened on: connecting is refused for as long as
  // the socket holds it (a closed free port could be taken by anyone).
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.target = absl::StrCat("127.0.0.1:", port);
  options.connect_timeout = absl::Milliseconds(300);
  options.count = 1;
  auto result = RunLoad(options);
  close(fd);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("cannot connect"));
}

TEST_F(LoadgenTest, MissingTlsRootsIsASetupError) {
  LoadOptions options = Options("tokend.loadgen.test.v1.TestService/Noop");
  options.tls_ca_file = "/nonexistent/roots.pem";
  options.count = 1;
  auto result = RunLoad(options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--tls_ca"));
}

}  // namespace
}  // namespace tokend::loadgen
