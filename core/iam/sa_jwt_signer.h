// SaJwtSigner: the client side of the `jwt` identity of IamTokenService.Create
// (DESIGN §2.1) — signs {iss: account, aud, iat: now, exp: now + 1 h} with
// PS256 and an authorized key file's key (kid = key id, typ JWT), which is
// what sa_jwt_checker.h accepts. Shared by tokenctl and the client library so
// the two cannot drift apart. Immutable and thread-safe.
#ifndef TOKEND_CORE_IAM_SA_JWT_SIGNER_H_
#define TOKEND_CORE_IAM_SA_JWT_SIGNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"  // kYandexIamAudience: what it accepts
#include "core/jose/jwt_signer.h"

namespace tokend::iam {

class SaJwtSigner {
 public:
  // The checker's limit on exp - iat; what the public clients use.
  static constexpr absl::Duration kLifetime = absl::Hours(1);

  // FailedPrecondition if the file's key cannot sign.
  static absl::StatusOr<std::unique_ptr<SaJwtSigner>> Create(
      const AuthorizedKeyFile& key_file);

  // A JWT issued at `now` (whole seconds) for `audience`.
  absl::StatusOr<std::string> Sign(
      absl::Time now, absl::string_view audience = kYandexIamAudience) const;

  const std::string& service_account_id() const { return account_; }
  const std::string& key_id() const { return key_id_; }

 private:
  SaJwtSigner(std::unique_ptr<jose::JwtSigner> signer, std::string account,
              std::string key_id)
      : signer_(std::move(signer)),
        account_(std::move(account)),
        key_id_(std::move(key_id)) {}

  const std::unique_ptr<jose::JwtSigner> signer_;
  const std::string account_;
  const std::string key_id_;
};

}  // namespace tokend::iam

#endif  // TOKEND_CORE_IAM_SA_JWT_SIGNER_H_
