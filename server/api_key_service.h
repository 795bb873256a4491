// tokend.admin.v1.ApiKeyService: admin-only management of API keys.
#ifndef TOKEND_SERVER_API_KEY_SERVICE_H_
#define TOKEND_SERVER_API_KEY_SERVICE_H_

#include "core/auth/api_keys.h"
#include "server/policy/call_guard.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"

namespace tokend::server {

class ApiKeyServiceImpl final
    : public tokend::admin::v1::ApiKeyService::CallbackService {
 public:
  ApiKeyServiceImpl(auth::ApiKeyManager* keys, CallGuard* guard)
      : keys_(keys), guard_(guard) {}

  grpc::ServerUnaryReactor* CreateApiKey(
      grpc::CallbackServerContext* context,
      const tokend::admin::v1::CreateApiKeyRequest* request,
      tokend::admin::v1::CreateApiKeyResponse* response) override;
  grpc::ServerUnaryReactor* ListApiKeys(
      grpc::CallbackServerContext* context,
      const tokend::admin::v1::ListApiKeysRequest* request,
      tokend::admin::v1::ListApiKeysResponse* response) override;
  grpc::ServerUnaryReactor* RevokeApiKey(
      grpc::CallbackServerContext* context,
      const tokend::admin::v1::RevokeApiKeyRequest* request,
      tokend::admin::v1::ApiKey* response) override;

 private:
  auth::ApiKeyManager* keys_;
  CallGuard* guard_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_API_KEY_SERVICE_H_
