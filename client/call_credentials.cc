#include "client/call_credentials.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace tokend::client {
namespace {

using grpc::experimental::ClientInterceptorFactoryInterface;
using grpc::experimental::ClientRpcInfo;
using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::Interceptor;
using grpc::experimental::InterceptorBatchMethods;

constexpr absl::string_view kCausePrefix = "tokend token source: ";
// How gRPC 1.51 (src/core/lib/security/credentials/plugin) words a failing
// plugin's status.
constexpr absl::string_view kPluginPrefix =
    "Getting metadata from plugin failed with error: ";

// A token goes into a header as "Bearer <token>": visible ASCII only, so
// that gRPC does not refuse the metadata with a vaguer error.
bool IsHeaderSafe(absl::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

class TokenPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  TokenPlugin(std::shared_ptr<TokenSource> source, GetTokenOptions options)
      : source_(std::move(source)), options_(std::move(options)) {}

  // The source may make an RPC: gRPC must not run it on its own event
  // threads.
  bool IsBlocking() const override { return true; }
  const char* GetType() const override { return "tokend_token"; }

  grpc::Status GetMetadata(
      grpc::string_ref /*service_url*/, grpc::string_ref /*method_name*/,
      const grpc::AuthContext& /*channel_auth_context*/,
      std::multimap<grpc::string, grpc::string>* metadata) override {
    absl::StatusOr<Token> token = source_->GetToken(options_);
    if (!token.ok()) {
      return Failure(
          absl::StrCat(absl::StatusCodeToString(token.status().code()), ": ",
                       token.status().message()));
    }
    if (!IsHeaderSafe(token->value)) {
      return Failure("the token is empty or not a valid header value");
    }
    metadata->emplace("authorization", absl::StrCat("Bearer ", token->value));
    return grpc::Status::OK;
  }

  grpc::string DebugString() override { return "TokenCallCredentials"; }

 private:
  static grpc::Status Failure(absl::string_view cause) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat(kCausePrefix, cause));
  }

  const std::shared_ptr<TokenSource> source_;
  const GetTokenOptions options_;
};

class TokenErrorInterceptor final : public Interceptor {
 public:
  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_STATUS)) {
      if (grpc::Status* status = methods->GetRecvStatus(); status != nullptr) {
        Rewrite(status);
      }
    }
    methods->Proceed();
  }

 private:
  // UNAVAILABLE is what 1.51 reports; UNAUTHENTICATED covers gRPC versions
  // that pass the plugin's own code through (gRFC A54).
  static void Rewrite(grpc::Status* status) {
    if (status->error_code() != grpc::StatusCode::UNAVAILABLE &&
        status->error_code() != grpc::StatusCode::UNAUTHENTICATED) {
      return;
    }
    // error_message() returns a copy: keep it alive while viewing it.
    const std::string full = status->error_message();
    absl::string_view message = full;
    if (!absl::ConsumePrefix(&message, kPluginPrefix) ||
        !absl::StartsWith(message, kCausePrefix)) {
      return;
    }
    *status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                           std::string(message), status->error_details());
  }
};

class TokenErrorInterceptorFactoryImpl final
    : public ClientInterceptorFactoryInterface {
 public:
  Interceptor* CreateClientInterceptor(ClientRpcInfo* /*info*/) override {
    return new TokenErrorInterceptor();
  }
};

}  // namespace

std::shared_ptr<grpc::CallCredentials> TokenCallCredentials(
    std::shared_ptr<TokenSource> source, GetTokenOptions options) {
  return grpc::MetadataCredentialsFromPlugin(
      std::make_unique<TokenPlugin>(std::move(source), std::move(options)));
}

std::unique_ptr<ClientInterceptorFactoryInterface>
TokenErrorInterceptorFactory() {
  return std::make_unique<TokenErrorInterceptorFactoryImpl>();
}

std::shared_ptr<grpc::Channel> CreateTokenChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args) {
  std::vector<std::unique_ptr<ClientInterceptorFactoryInterface>> factories;
  factories.push_back(TokenErrorInterceptorFactory());
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, args, std::move(factories));
}

}  // namespace tokend::client
