// tokend.scoped.v1.ScopedTokenService (DESIGN §2.3): Courier's issue-token.
// The caller proves a "scoped" API key (sck_…) or the admin key as
// `authorization: Bearer`; the token comes from core/scoped.
#ifndef TOKEND_SERVER_SCOPED_TOKEN_SERVICE_H_
#define TOKEND_SERVER_SCOPED_TOKEN_SERVICE_H_

#include "core/auth/api_keys.h"
#include "core/scoped/scoped_token_issuer.h"
#include "server/auth.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"

namespace tokend::server {

class ScopedTokenServiceImpl final
    : public tokend::scoped::v1::ScopedTokenService::CallbackService {
 public:
  // All must outlive the service.
  ScopedTokenServiceImpl(const scoped::ScopedTokenIssuer* issuer,
                         auth::ApiKeyManager* api_keys,
                         const AdminAuthenticator* admin)
      : issuer_(issuer), api_keys_(api_keys), admin_(admin) {}

  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const tokend::scoped::v1::IssueTokenRequest* request,
      tokend::scoped::v1::IssueTokenResponse* response) override;

 private:
  const scoped::ScopedTokenIssuer* const issuer_;
  auth::ApiKeyManager* const api_keys_;
  const AdminAuthenticator* const admin_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_SCOPED_TOKEN_SERVICE_H_
