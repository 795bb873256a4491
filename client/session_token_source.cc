#include "client/session_token_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/jwt_expiry.h"

namespace tokend::client {

namespace sv1 = ::tokend::sessions::v1;

SessionTokenSource::SessionTokenSource(std::shared_ptr<grpc::Channel> channel,
                                       std::string session_id,
                                       std::string client_token,
                                       RpcOptions options)
    : stub_(sv1::SessionTokenService::NewStub(std::move(channel))),
      session_id_(std::move(session_id)),
      client_token_(std::move(client_token)),
      options_(options) {}

absl::StatusOr<Token> SessionTokenSource::GetToken(
    const GetTokenOptions& options) {
  grpc::ClientContext context;
  ApplyRpcOptions(options_, &context);
  context.AddMetadata("authorization", client_token_);
  sv1::Token response;
  grpc::Status status;
  if (options.key.empty()) {
    sv1::CreateClientSessionTokenRequest request;
    request.set_session_id(session_id_);
    status = stub_->CreateClientSessionToken(&context, request, &response);
  } else {
    sv1::CreateClientSessionTokenFromTemplateRequest request;
    request.set_session_id(session_id_);
    request.set_template_name(options.key);
    status = stub_->CreateClientSessionTokenFromTemplate(&context, request,
                                                         &response);
  }
  if (!status.ok()) return FromGrpcStatus(status);
  return TokenFromJwt(std::move(*response.mutable_jwt()), "session token");
}

}  // namespace tokend::client
