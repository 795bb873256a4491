// IamOAuthSource: IAM tokens exchanged for an OAuth token (the y0_… kind
// `tokenctl oauth create` issues) with IamTokenService/Create (DESIGN §2.1).
// Token::expires_at is the response's expires_at. Thread-safe; no cache
// (wrap it in a CachingTokenSource).
#ifndef TOKEND_CLIENT_IAM_OAUTH_SOURCE_H_
#define TOKEND_CLIENT_IAM_OAUTH_SOURCE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/rpc_options.h"
#include "client/token_source.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend::client {

class IamOAuthSource final : public TokenSource {
 public:
  IamOAuthSource(std::shared_ptr<grpc::Channel> channel,
                 std::string oauth_token, RpcOptions options = {});

  // `options.key` must be empty (InvalidArgument otherwise). Failed calls
  // keep tokend's code and message (UNAUTHENTICATED for a revoked token).
  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override;

 private:
  const std::unique_ptr<yandex::cloud::iam::v1::IamTokenService::Stub> stub_;
  const std::string oauth_token_;
  const RpcOptions options_;
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_IAM_OAUTH_SOURCE_H_
