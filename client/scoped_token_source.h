// ScopedTokenSource: scoped client tokens (DESIGN §2.3, Courier's
// issue-token) minted with a scoped API key (sck_…, sent as
// `authorization: Bearer`) for a fixed scope and lifetime, via
// ScopedTokenService/IssueToken. expires_at is the JWT's exp (read, not
// verified: jwt_expiry.h). Thread-safe; no cache (wrap it in a
// CachingTokenSource).
#ifndef TOKEND_CLIENT_SCOPED_TOKEN_SOURCE_H_
#define TOKEND_CLIENT_SCOPED_TOKEN_SOURCE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/rpc_options.h"
#include "client/token_source.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"

namespace tokend::client {

class ScopedTokenSource final : public TokenSource {
 public:
  // `scope` and `expires_in` as IssueTokenRequest takes them, e.g.
  // "user_id:u1 inbox:read:messages" and "2 hours".
  ScopedTokenSource(std::shared_ptr<grpc::Channel> channel, std::string api_key,
                    std::string scope, std::string expires_in,
                    RpcOptions options = {});

  // `options.key` must be empty (InvalidArgument otherwise): the scope is
  // fixed. Failed calls keep tokend's code and message. Internal if tokend's
  // JWT has no readable exp.
  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override;

 private:
  const std::unique_ptr<tokend::scoped::v1::ScopedTokenService::Stub> stub_;
  const std::string authorization_;  // "Bearer <api key>"
  const std::string scope_;
  const std::string expires_in_;
  const RpcOptions options_;
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_SCOPED_TOKEN_SOURCE_H_
