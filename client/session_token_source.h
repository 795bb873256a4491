// SessionTokenSource: session tokens for one session, proven by the session's
// client token, as a native Clerk SDK gets them (DESIGN §2.2, FAPI):
// CreateClientSessionToken for the default token, or
// CreateClientSessionTokenFromTemplate when GetTokenOptions::key names a JWT
// template. The client token travels raw in `authorization`. expires_at is
// the JWT's exp (read, not verified: jwt_expiry.h). Thread-safe; no cache
// (wrap it in a CachingTokenSource, whose cache key is the template name).
#ifndef TOKEND_CLIENT_SESSION_TOKEN_SOURCE_H_
#define TOKEND_CLIENT_SESSION_TOKEN_SOURCE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "client/rpc_options.h"
#include "client/token_source.h"
#include "tokend/sessions/v1/services.grpc.pb.h"

namespace tokend::client {

class SessionTokenSource final : public TokenSource {
 public:
  SessionTokenSource(std::shared_ptr<grpc::Channel> channel,
                     std::string session_id, std::string client_token,
                     RpcOptions options = {});

  // Failed calls keep tokend's code and message: NOT_FOUND once the session
  // is revoked or ended (or for an unknown template), UNAUTHENTICATED for a
  // wrong client token. Internal if tokend's JWT has no readable exp.
  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override;

 private:
  const std::unique_ptr<tokend::sessions::v1::SessionTokenService::Stub> stub_;
  const std::string session_id_;
  const std::string client_token_;
  const RpcOptions options_;
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_SESSION_TOKEN_SOURCE_H_
