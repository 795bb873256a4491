// tokend.scoped.v1.ScopedTokenService (DESIGN §2.3): Courier's issue-token.
// The caller proves a "scoped" API key (sck_…) or the admin key as
// `authorization: Bearer` (declared in the proto, checked by the CallGuard);
// the token comes from core/scoped.
#ifndef TOKEND_SERVER_SCOPED_TOKEN_SERVICE_H_
#define TOKEND_SERVER_SCOPED_TOKEN_SERVICE_H_

#include "core/scoped/scoped_token_issuer.h"
#include "server/policy/call_guard.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"

namespace tokend::server {

class ScopedTokenServiceImpl final
    : public tokend::scoped::v1::ScopedTokenService::CallbackService {
 public:
  // All must outlive the service.
  ScopedTokenServiceImpl(const scoped::ScopedTokenIssuer* issuer,
                         CallGuard* guard)
      : issuer_(issuer), guard_(guard) {}

  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const tokend::scoped::v1::IssueTokenRequest* request,
      tokend::scoped::v1::IssueTokenResponse* response) override;

 private:
  const scoped::ScopedTokenIssuer* const issuer_;
  CallGuard* const guard_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_SCOPED_TOKEN_SERVICE_H_
