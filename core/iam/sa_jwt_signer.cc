#include "core/iam/sa_jwt_signer.h"

#include <utility>

#include "core/common/status_macros.h"
#include "core/jose/raw_jwt.h"

namespace tokend::iam {

absl::StatusOr<std::unique_ptr<SaJwtSigner>> SaJwtSigner::Create(
    const AuthorizedKeyFile& key_file) {
  ASSIGN_OR_RETURN(std::unique_ptr<jose::JwtSigner> signer,
                   jose::JwtSigner::Create(key_file.private_key));
  return std::unique_ptr<SaJwtSigner>(new SaJwtSigner(
      std::move(signer), key_file.service_account_id, key_file.id));
}

absl::StatusOr<std::string> SaJwtSigner::Sign(
    absl::Time now, absl::string_view audience) const {
  ASSIGN_OR_RETURN(jose::RawJwt raw, jose::RawJwtBuilder()
                                         .SetTypeHeader("JWT")
                                         .SetIssuer(account_)
                                         .SetAudience(audience)
                                         .SetIssuedAt(now)
                                         .SetExpiration(now + kLifetime)
                                         .Build());
  return signer_->SignAndEncode(raw);
}

}  // namespace tokend::iam
