// test_server: a gRPC server for loadgen's tests and throughput checks.
// Serves tokend.loadgen.test.v1.TestService and
// tokend.loadgen.remote.v1.RemoteService with the callback API, plus the
// default health service and server reflection, on --address:--port (port 0
// picks a free one). Prints "listening on <host>:<port>" once serving, then
// runs until killed. --tls_cert/--tls_key serve TLS instead of plaintext.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "loadgen_testing/v1/remote_service.grpc.pb.h"
#include "loadgen_testing/v1/test_service.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 picks a free one.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain; enables TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key (with --tls_cert).");

namespace tokend::loadgen {
namespace {

namespace test = ::tokend::loadgen::test::v1;
namespace remote = ::tokend::loadgen::remote::v1;

class TestServiceImpl final : public test::TestService::CallbackService {
  grpc::ServerUnaryReactor* Noop(grpc::CallbackServerContext* context,
                                 const test::Empty*, test::Empty*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const test::EchoRequest* request,
                                 test::EchoResponse* response) override {
    response->set_text(request->text());
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext* context,
                                 const test::FailRequest* request,
                                 test::Empty*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(static_cast<grpc::StatusCode>(request->code()),
                                 request->message()));
    return reactor;
  }
};

class RemoteServiceImpl final : public remote::RemoteService::CallbackService {
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const remote::PingRequest* request,
                                 remote::PingResponse* response) override {
    response->set_payload(request->payload());
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "test_server: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::shared_ptr<grpc::ServerCredentials> Credentials() {
  if (absl::GetFlag(FLAGS_tls_cert).empty()) {
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(
      {ReadFileOrDie(absl::GetFlag(FLAGS_tls_key)),
       ReadFileOrDie(absl::GetFlag(FLAGS_tls_cert))});
  return grpc::SslServerCredentials(options);
}

int Main() {
  // Statically linked: refer to the health proto so its descriptor is
  // registered and reflection can serve grpc.health.v1.Health.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  TestServiceImpl test_service;
  RemoteServiceImpl remote_service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::StrCat(absl::GetFlag(FLAGS_address), ":",
                                        absl::GetFlag(FLAGS_port)),
                           Credentials(), &port);
  builder.RegisterService(&test_service);
  builder.RegisterService(&remote_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "test_server: cannot listen\n");
    return 1;
  }
  std::printf("listening on %s:%d\n", absl::GetFlag(FLAGS_address).c_str(),
              port);
  std::fflush(stdout);
  server->Wait();
  return 0;
}

}  // namespace
}  // namespace tokend::loadgen

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tokend::loadgen::Main();
}
