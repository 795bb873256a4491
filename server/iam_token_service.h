// yandex.cloud.iam.v1.IamTokenService (DESIGN §2.1): service-account JWT and
// OAuth token exchange for IAM tokens, CreateForServiceAccount and Revoke.
// Wire-compatible with the public API; requests are validated from the
// descriptors' yandex.cloud options before anything else.
#ifndef TOKEND_SERVER_IAM_TOKEN_SERVICE_H_
#define TOKEND_SERVER_IAM_TOKEN_SERVICE_H_

#include "core/iam/iam_token_issuer.h"
#include "core/iam/sa_jwt_checker.h"
#include "server/policy/call_guard.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend::server {

class IamTokenServiceImpl final
    : public yandex::cloud::iam::v1::IamTokenService::CallbackService {
 public:
  // Both must outlive the service.
  IamTokenServiceImpl(const iam::SaJwtChecker* checker,
                      const iam::IamTokenIssuer* issuer, CallGuard* guard)
      : checker_(checker), issuer_(issuer), guard_(guard) {}

  grpc::ServerUnaryReactor* Create(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::CreateIamTokenRequest* request,
      yandex::cloud::iam::v1::CreateIamTokenResponse* response) override;
  grpc::ServerUnaryReactor* CreateForServiceAccount(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::CreateIamTokenForServiceAccountRequest*
          request,
      yandex::cloud::iam::v1::CreateIamTokenResponse* response) override;
  grpc::ServerUnaryReactor* Revoke(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::RevokeIamTokenRequest* request,
      yandex::cloud::iam::v1::RevokeIamTokenResponse* response) override;

 private:
  const iam::SaJwtChecker* const checker_;
  const iam::IamTokenIssuer* const issuer_;
  CallGuard* const guard_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_IAM_TOKEN_SERVICE_H_
