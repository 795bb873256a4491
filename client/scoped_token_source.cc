#include "client/scoped_token_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/jwt_expiry.h"

namespace tokend::client {

namespace scv1 = ::tokend::scoped::v1;

ScopedTokenSource::ScopedTokenSource(std::shared_ptr<grpc::Channel> channel,
                                     std::string api_key, std::string scope,
                                     std::string expires_in, RpcOptions options)
    : stub_(scv1::ScopedTokenService::NewStub(std::move(channel))),
      authorization_(absl::StrCat("Bearer ", api_key)),
      scope_(std::move(scope)),
      expires_in_(std::move(expires_in)),
      options_(options) {}

absl::StatusOr<Token> ScopedTokenSource::GetToken(
    const GetTokenOptions& options) {
  if (!options.key.empty()) {
    return absl::InvalidArgumentError(
        "ScopedTokenSource has a single token; GetTokenOptions::key must be "
        "empty");
  }
  grpc::ClientContext context;
  ApplyRpcOptions(options_, &context);
  context.AddMetadata("authorization", authorization_);
  scv1::IssueTokenRequest request;
  request.set_scope(scope_);
  request.set_expires_in(expires_in_);
  scv1::IssueTokenResponse response;
  const grpc::Status status = stub_->IssueToken(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  absl::StatusOr<absl::Time> expires_at = ExpiryOfJwt(response.token());
  if (!expires_at.ok()) {
    return absl::InternalError(absl::StrCat("scoped token from tokend: ",
                                            expires_at.status().message()));
  }
  return Token{std::move(*response.mutable_token()), *expires_at};
}

}  // namespace tokend::client
