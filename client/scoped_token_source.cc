#include "client/scoped_token_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/jwt_expiry.h"
#include "core/common/status_macros.h"

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
  RETURN_IF_ERROR(RequireDefaultKey(options, "ScopedTokenSource"));
  grpc::ClientContext context;
  ApplyRpcOptions(options_, &context);
  context.AddMetadata("authorization", authorization_);
  scv1::IssueTokenRequest request;
  request.set_scope(scope_);
  request.mutable_expires_in()->set_string_value(expires_in_);
  scv1::IssueTokenResponse response;
  const grpc::Status status = stub_->IssueToken(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return TokenFromJwt(std::move(*response.mutable_token()), "scoped token");
}

}  // namespace tokend::client
