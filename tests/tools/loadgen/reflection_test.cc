// The reflection path: resolve a method whose descriptor is NOT linked into
// this binary by asking a separate test_server process over gRPC server
// reflection, then drive it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tools/loadgen/loadgen.h"
#include "tools/loadgen/method_resolver.h"
#include "tools/loadgen/reflection_client.h"
#include "tools/loadgen/request_builder.h"

extern char** environ;

namespace tokend::loadgen {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kServerPath[] = "tests/tools/loadgen/test_server";
constexpr char kPing[] = "tokend.loadgen.remote.v1.RemoteService/Ping";

class ReflectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    char* argv[] = {const_cast<char*>(kServerPath),
                    const_cast<char*>("--port=0"), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, kServerPath, &actions, nullptr, argv, environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);

    // Wait for "listening on 127.0.0.1:<port>\n".
    std::string line;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!absl::StrContains(line, "\n") && absl::Now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, n);
    }
    close(out[0]);
    const size_t colon = line.rfind(':');
    ASSERT_NE(colon, std::string::npos) << "test_server said: " << line;
    ASSERT_TRUE(absl::SimpleAtoi(
        absl::StripAsciiWhitespace(line.substr(colon + 1)), &port_))
        << line;
    target_ = absl::StrCat("127.0.0.1:", port_);
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  static std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  }

  static pid_t pid_;
  static int port_;
  static std::string target_;
};

pid_t ReflectionTest::pid_ = 0;
int ReflectionTest::port_ = 0;
std::string ReflectionTest::target_;

TEST_F(ReflectionTest, TheMethodIsNotLinkedIntoThisBinary) {
  EXPECT_EQ(
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "tokend.loadgen.remote.v1.RemoteService"),
      nullptr);
  auto name = ParseMethodName(kPing);
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(ResolveMethod(*name, DescriptorSource::kBinary, Channel())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ReflectionTest, ResolvesTheMethodAndItsDependencies) {
  auto name = ParseMethodName(kPing);
  ASSERT_TRUE(name.ok());
  auto method = ResolveMethod(*name, DescriptorSource::kAuto, Channel());
  ASSERT_TRUE(method.ok()) << method.status();
  EXPECT_EQ((*method)->source(), DescriptorSource::kReflection);
  const google::protobuf::Descriptor* input =
      (*method)->descriptor().input_type();
  EXPECT_EQ(input->full_name(), "tokend.loadgen.remote.v1.PingRequest");
  // Fields typed by other files came over reflection too.
  EXPECT_EQ(input->FindFieldByName("sent")->message_type()->full_name(),
            "google.protobuf.Timestamp");
  EXPECT_EQ(input->FindFieldByName("sample")->message_type()->full_name(),
            "tokend.loadgen.test.v1.Sample");

  auto bytes = JsonToMessageBytes(*input, R"({
      "payload": "p", "sent": "2024-01-02T03:04:05Z",
      "sample": {"name": "s", "ttl": "2s", "color": "RED"}})");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_FALSE(bytes->empty());

  auto bad = JsonToMessageBytes(*input, R"({"payloadd": "p"})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("tokend.loadgen.remote.v1.PingRequest"));
}

TEST_F(ReflectionTest, ListsServices) {
  ReflectionDescriptorDatabase db(Channel());
  auto services = db.ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("tokend.loadgen.remote.v1.RemoteService"));
  EXPECT_THAT(*services, Contains("grpc.health.v1.Health"));
}

TEST_F(ReflectionTest, UnknownSymbolIsNotFound) {
  ReflectionDescriptorDatabase db(Channel());
  google::protobuf::FileDescriptorProto file;
  EXPECT_FALSE(db.FindFileContainingSymbol("no.such.Symbol", &file));
  EXPECT_EQ(db.last_error().code(), absl::StatusCode::kNotFound);
  // The stream survives an error answer.
  EXPECT_TRUE(db.FindFileContainingSymbol(
      "tokend.loadgen.remote.v1.RemoteService", &file));
  EXPECT_EQ(file.name(), "loadgen_testing/v1/remote_service.proto");
  EXPECT_TRUE(db.FindFileByName("google/protobuf/timestamp.proto", &file));
}

TEST_F(ReflectionTest, UnknownMethodOfAReflectedService) {
  auto name = ParseMethodName("tokend.loadgen.remote.v1.RemoteService/Pong");
  ASSERT_TRUE(name.ok());
  auto method = ResolveMethod(*name, DescriptorSource::kAuto, Channel());
  EXPECT_EQ(method.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(method.status().message(), HasSubstr("it has: Ping"));
}

TEST_F(ReflectionTest, RunsTheReflectedMethod) {
  LoadOptions options;
  options.target = target_;
  options.method = kPing;
  options.request_json = R"({"payload": "hello", "sample": {"big": "7"}})";
  options.concurrency = 4;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::InfiniteDuration();
  options.count = 500;
  auto result = RunLoad(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stats.calls(), 500);
  EXPECT_EQ(result->stats.calls_by_code[0], 500);
  EXPECT_EQ(result->info.descriptor_source, "reflection");
}

// libgrpc++_reflection registers its plugin with every ServerBuilder at load
// time; this option takes it out again.
class WithoutReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const auto& plugin) {
                                    return plugin->name() ==
                                           "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

TEST_F(ReflectionTest, ServerWithoutReflectionExplainsItself) {
  // A server with no reflection service: the lookup fails with UNIMPLEMENTED
  // (after trying both v1alpha and v1).
  grpc::ServerBuilder builder;
  builder.SetOption(std::make_unique<WithoutReflection>());
  grpc::CallbackGenericService unimplemented;  // answers UNIMPLEMENTED
  builder.RegisterCallbackGenericService(&unimplemented);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto name = ParseMethodName(kPing);
  ASSERT_TRUE(name.ok());
  auto method =
      ResolveMethod(*name, DescriptorSource::kAuto,
                    grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                        grpc::InsecureChannelCredentials()));
  EXPECT_EQ(method.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(method.status().message(),
              HasSubstr("is not linked into loadgen, and asking the server "
                        "failed"));
  server->Shutdown();
}

}  // namespace
}  // namespace tokend::loadgen
