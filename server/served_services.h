// The services tokend serves, by full name: the gateway's routes, the
// metrics' method table and tools/envoy_config all read this one list, so a
// service added here is reachable over gRPC, REST and an Envoy transcoder
// alike. Linking this header links every listed service's descriptors.
#ifndef TOKEND_SERVER_SERVED_SERVICES_H_
#define TOKEND_SERVER_SERVED_SERVICES_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"
#include "tokend/sessions/v1/services.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"
#include "yandex/cloud/operation/operation_service.grpc.pb.h"

namespace tokend::server {

inline std::vector<std::string> ServedServiceNames() {
  return {
      tokend::keys::v1::KeyringService::service_full_name(),
      tokend::verify::v1::VerificationService::service_full_name(),
      tokend::admin::v1::ApiKeyService::service_full_name(),
      yandex::cloud::iam::v1::IamTokenService::service_full_name(),
      yandex::cloud::iam::v1::KeyService::service_full_name(),
      yandex::cloud::operation::OperationService::service_full_name(),
      tokend::iam::v1::ServiceAccountService::service_full_name(),
      tokend::iam::v1::OAuthTokenService::service_full_name(),
      tokend::sessions::v1::SessionTokenService::service_full_name(),
      tokend::sessions::v1::UserService::service_full_name(),
      tokend::sessions::v1::SessionService::service_full_name(),
      tokend::sessions::v1::JwtTemplateService::service_full_name(),
      tokend::scoped::v1::ScopedTokenService::service_full_name(),
  };
}

// The descriptors of ServedServiceNames(), from the generated pool. The
// message types are touched first so that every file is in the pool.
inline std::vector<const google::protobuf::ServiceDescriptor*>
ServedServices() {
  (void)tokend::keys::v1::Jwks::descriptor();
  (void)tokend::verify::v1::VerifyRequest::descriptor();
  (void)tokend::admin::v1::CreateApiKeyRequest::descriptor();
  (void)yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor();
  (void)yandex::cloud::iam::v1::CreateKeyRequest::descriptor();
  (void)yandex::cloud::operation::GetOperationRequest::descriptor();
  (void)tokend::iam::v1::ServiceAccount::descriptor();
  (void)tokend::sessions::v1::CreateSessionTokenRequest::descriptor();
  (void)tokend::scoped::v1::IssueTokenRequest::descriptor();
  std::vector<const google::protobuf::ServiceDescriptor*> out;
  for (const std::string& name : ServedServiceNames()) {
    out.push_back(
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name));
  }
  return out;
}

}  // namespace tokend::server

#endif  // TOKEND_SERVER_SERVED_SERVICES_H_
