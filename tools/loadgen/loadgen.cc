#include "tools/loadgen/loadgen.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/common/files.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "tools/loadgen/method_resolver.h"
#include "tools/loadgen/request_builder.h"
#include "tools/loadgen/runner.h"

namespace tokend::loadgen {
namespace {

absl::Status WaitForConnections(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const LoadOptions& options) {
  const auto deadline =
      absl::ToChronoTime(absl::Now() + options.connect_timeout);
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", options.target, " within ",
                       absl::FormatDuration(options.connect_timeout)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> CreateChannels(
    const LoadOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_ca_file.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    auto roots = ReadFileToString(options.tls_ca_file);
    if (!roots.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_ca: ", roots.status().message()));
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *std::move(roots);
    credentials = grpc::SslCredentials(ssl);
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.channels; ++i) {
    grpc::ChannelArguments args;
    // Channels with equal arguments would share one connection (gRPC's global
    // subchannel pool); a local pool gives each its own.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
    channels.push_back(
        grpc::CreateCustomChannel(options.target, credentials, args));
  }
  return channels;
}

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options) {
  if (absl::Status s = ValidateLoadOptions(options); !s.ok()) return s;
  absl::StatusOr<MethodName> name = ParseMethodName(options.method);
  if (!name.ok()) return name.status();
  auto channels = CreateChannels(options);
  if (!channels.ok()) return channels.status();

  // Before connecting: a method the binary knows is checked without a server.
  auto method = ResolveMethod(*name, options.descriptor_source,
                              channels->front(), options.connect_timeout);
  if (!method.ok()) return method.status();
  auto bytes = JsonToMessageBytes(*(*method)->descriptor().input_type(),
                                  options.request_json);
  if (!bytes.ok()) return bytes.status();

  if (absl::Status s = WaitForConnections(*channels, options); !s.ok()) {
    return s;
  }
  auto stats =
      RunClosedLoop(options, name->Path(), MakeByteBuffer(*bytes), *channels);
  if (!stats.ok()) return stats.status();

  LoadResult result;
  result.stats = *std::move(stats);
  result.info.target = options.target;
  result.info.method = name->Path();
  result.info.descriptor_source =
      std::string(DescriptorSourceName((*method)->source()));
  result.info.concurrency = options.concurrency;
  result.info.channels = options.channels;
  result.info.warmup = options.warmup;
  return result;
}

}  // namespace tokend::loadgen
