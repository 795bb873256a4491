// IAM management (DESIGN §2.1): authorized keys
// (yandex.cloud.iam.v1.KeyService) and the operations their deletion returns
// (yandex.cloud.operation.OperationService), service accounts
// (tokend.iam.v1.ServiceAccountService) and OAuth tokens
// (tokend.iam.v1.OAuthTokenService). Every handler authenticates the caller,
// then validates the request from its descriptor's options. The admin key
// may do everything; a service account's IAM token may manage its own keys
// and read their operations (Yandex Cloud's account managing itself, which
// its SDK's Session does), and nothing else.
#ifndef TOKEND_SERVER_IAM_ADMIN_SERVICES_H_
#define TOKEND_SERVER_IAM_ADMIN_SERVICES_H_

#include "core/common/clock.h"
#include "core/iam/iam_token_issuer.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/store/oauth_token_store.h"
#include "core/store/service_account_store.h"
#include "server/policy/call_guard.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"
#include "yandex/cloud/operation/operation_service.grpc.pb.h"

namespace tokend::server {

// Pointers must outlive the services.
struct IamAdminDeps {
  store::ServiceAccountStore* accounts = nullptr;  // With authorized keys.
  store::OAuthTokenStore* oauth_tokens = nullptr;
  const Clock* clock = nullptr;
  iam::SaJwtChecker* checker = nullptr;
  const iam::IamTokenIssuer* issuer = nullptr;
  CallGuard* guard = nullptr;
};

class KeyServiceImpl final
    : public yandex::cloud::iam::v1::KeyService::CallbackService {
 public:
  explicit KeyServiceImpl(IamAdminDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Get(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::GetKeyRequest* request,
      yandex::cloud::iam::v1::Key* response) override;
  grpc::ServerUnaryReactor* List(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::ListKeysRequest* request,
      yandex::cloud::iam::v1::ListKeysResponse* response) override;
  grpc::ServerUnaryReactor* Create(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::CreateKeyRequest* request,
      yandex::cloud::iam::v1::CreateKeyResponse* response) override;
  grpc::ServerUnaryReactor* Delete(
      grpc::CallbackServerContext* context,
      const yandex::cloud::iam::v1::DeleteKeyRequest* request,
      yandex::cloud::operation::Operation* response) override;

 private:
  const IamAdminDeps deps_;
};

class OperationServiceImpl final
    : public yandex::cloud::operation::OperationService::CallbackService {
 public:
  explicit OperationServiceImpl(IamAdminDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Get(
      grpc::CallbackServerContext* context,
      const yandex::cloud::operation::GetOperationRequest* request,
      yandex::cloud::operation::Operation* response) override;

 private:
  const IamAdminDeps deps_;
};

class ServiceAccountServiceImpl final
    : public tokend::iam::v1::ServiceAccountService::CallbackService {
 public:
  explicit ServiceAccountServiceImpl(IamAdminDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Create(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::CreateServiceAccountRequest* request,
      tokend::iam::v1::ServiceAccount* response) override;
  grpc::ServerUnaryReactor* Get(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::GetServiceAccountRequest* request,
      tokend::iam::v1::ServiceAccount* response) override;
  grpc::ServerUnaryReactor* List(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::ListServiceAccountsRequest* request,
      tokend::iam::v1::ListServiceAccountsResponse* response) override;
  grpc::ServerUnaryReactor* Delete(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::DeleteServiceAccountRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* SetTokenCreators(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::SetTokenCreatorsRequest* request,
      tokend::iam::v1::ServiceAccount* response) override;

 private:
  const IamAdminDeps deps_;
};

class OAuthTokenServiceImpl final
    : public tokend::iam::v1::OAuthTokenService::CallbackService {
 public:
  explicit OAuthTokenServiceImpl(IamAdminDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* Create(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::CreateOAuthTokenRequest* request,
      tokend::iam::v1::CreateOAuthTokenResponse* response) override;
  grpc::ServerUnaryReactor* Revoke(
      grpc::CallbackServerContext* context,
      const tokend::iam::v1::RevokeOAuthTokenRequest* request,
      tokend::iam::v1::OAuthToken* response) override;

 private:
  const IamAdminDeps deps_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_IAM_ADMIN_SERVICES_H_
