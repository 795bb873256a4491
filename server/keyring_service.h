// tokend.keys.v1.KeyringService: the public JWKS and discovery document, and
// admin-only listing and rotation of signing keys.
#ifndef TOKEND_SERVER_KEYRING_SERVICE_H_
#define TOKEND_SERVER_KEYRING_SERVICE_H_

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "core/keys/keyring.h"
#include "server/policy/call_guard.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"

namespace tokend::server {

class KeyringServiceImpl final
    : public tokend::keys::v1::KeyringService::CallbackService {
 public:
  KeyringServiceImpl(keys::Keyring* keyring, CallGuard* guard,
                     std::string issuer);

  grpc::ServerUnaryReactor* GetJwks(
      grpc::CallbackServerContext* context,
      const tokend::keys::v1::GetJwksRequest* request,
      tokend::keys::v1::Jwks* response) override;
  grpc::ServerUnaryReactor* GetOpenIdConfiguration(
      grpc::CallbackServerContext* context,
      const tokend::keys::v1::GetOpenIdConfigurationRequest* request,
      tokend::keys::v1::OpenIdConfiguration* response) override;
  grpc::ServerUnaryReactor* ListSigningKeys(
      grpc::CallbackServerContext* context,
      const tokend::keys::v1::ListSigningKeysRequest* request,
      tokend::keys::v1::ListSigningKeysResponse* response) override;
  grpc::ServerUnaryReactor* RotateSigningKeys(
      grpc::CallbackServerContext* context,
      const tokend::keys::v1::RotateSigningKeysRequest* request,
      tokend::keys::v1::RotateSigningKeysResponse* response) override;

 private:
  // The JWKS as a message with its strong ETag, both from one keyring
  // snapshot; re-parsed only when the keyring's ETag changes.
  struct CachedJwks {
    std::shared_ptr<const tokend::keys::v1::Jwks> jwks;
    std::string etag;
  };
  CachedJwks CurrentJwks();

  keys::Keyring* keyring_;
  CallGuard* guard_;
  const std::string issuer_;
  absl::Mutex mu_;
  std::string jwks_etag_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const tokend::keys::v1::Jwks> jwks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_KEYRING_SERVICE_H_
