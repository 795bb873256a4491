#include "tools/loadgen/loadgen.h"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/caching_token_source.h"
#include "client/call_credentials.h"
#include "client/iam_key_file_source.h"
#include "client/token_source.h"
#include "core/common/files.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "tools/loadgen/method_resolver.h"
#include "tools/loadgen/open_loop.h"
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

bool UsesCallCredentials(const LoadOptions& options) {
  return options.call_credentials != nullptr || !options.iam_key_file.empty();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const LoadOptions& options) {
  if (options.tls_ca_file.empty()) {
    // gRPC sends call credentials only over a channel it deems private;
    // local credentials are plaintext HTTP/2 restricted to loopback peers.
    return UsesCallCredentials(options)
               ? grpc::experimental::LocalCredentials(LOCAL_TCP)
               : grpc::InsecureChannelCredentials();
  }
  auto roots = ReadFileToString(options.tls_ca_file);
  if (!roots.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_ca: ", roots.status().message()));
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *std::move(roots);
  return grpc::SslCredentials(ssl);
}

grpc::ChannelArguments ChannelArgs(const LoadOptions& options) {
  grpc::ChannelArguments args;
  // Channels with equal arguments would share one connection (gRPC's global
  // subchannel pool); a local pool gives each its own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (!options.tls_server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls_server_name);
  }
  return args;
}

// IAM tokens from options.iam_key_file, fetched over a connection of their
// own (token fetches never queue behind the load) and cached. The first
// token is fetched here, so a bad key is a setup error, not a run of
// failures.
absl::StatusOr<std::shared_ptr<grpc::CallCredentials>> IamKeyFileCredentials(
    const LoadOptions& options) {
  auto credentials = ChannelCredentials(options);
  if (!credentials.ok()) return credentials.status();
  auto source = client::IamKeyFileSource::FromFile(
      options.iam_key_file,
      grpc::CreateCustomChannel(options.target, *credentials,
                                ChannelArgs(options)));
  if (!source.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--iam_key_file: ", source.status().message()));
  }
  auto cached = std::make_shared<client::CachingTokenSource>(
      std::shared_ptr<client::TokenSource>(*std::move(source)));
  if (auto token = cached->GetToken({}); !token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("--iam_key_file: no IAM token: ",
                                     token.status().message()));
  }
  return client::TokenCallCredentials(std::move(cached));
}

}  // namespace

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> CreateChannels(
    const LoadOptions& options) {
  auto credentials = ChannelCredentials(options);
  if (!credentials.ok()) return credentials.status();
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.channels; ++i) {
    // With call credentials, a failing token source shows as
    // UNAUTHENTICATED, not as gRPC 1.51's UNAVAILABLE.
    channels.push_back(
        UsesCallCredentials(options)
            ? client::CreateTokenChannel(options.target, *credentials,
                                         ChannelArgs(options))
            : grpc::CreateCustomChannel(options.target, *credentials,
                                        ChannelArgs(options)));
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
  LoadOptions run = options;
  if (!options.iam_key_file.empty()) {
    auto credentials = IamKeyFileCredentials(options);
    if (!credentials.ok()) return credentials.status();
    run.call_credentials = *std::move(credentials);
  }
  auto stats =
      options.rate > 0
          ? RunOpenLoop(run, name->Path(), MakeByteBuffer(*bytes), *channels)
          : RunClosedLoop(run, name->Path(), MakeByteBuffer(*bytes), *channels);
  if (!stats.ok()) return stats.status();

  LoadResult result;
  result.stats = *std::move(stats);
  result.info.target = options.target;
  result.info.method = name->Path();
  result.info.descriptor_source =
      std::string(DescriptorSourceName((*method)->source()));
  result.info.concurrency = options.concurrency;
  result.info.rate = options.rate;
  result.info.channels = options.channels;
  result.info.warmup = options.warmup;
  return result;
}

}  // namespace tokend::loadgen
