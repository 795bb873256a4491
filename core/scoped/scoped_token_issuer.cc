#include "core/scoped/scoped_token_issuer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/common/status_macros.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/token_family.h"
#include "core/scoped/duration.h"
#include "core/scoped/scope.h"

namespace tokend::scoped {

absl::StatusOr<std::unique_ptr<ScopedTokenIssuer>> ScopedTokenIssuer::Create(
    const keys::Keyring* keyring, const Clock* clock,
    ScopedTokenOptions options) {
  if (keyring == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("scoped token issuer: null dependency");
  }
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError("scoped token issuer needs an issuer");
  }
  const keys::SlotConfig* slot = nullptr;
  for (const keys::SlotConfig& s : keyring->options().slots) {
    if (s.name == keys::kScopedSlot) slot = &s;
  }
  if (slot == nullptr) {
    return absl::NotFoundError("the keyring has no \"scoped\" slot");
  }
  if (options.max_expires_in < absl::Seconds(1) ||
      options.max_expires_in > slot->max_token_lifetime) {
    return absl::InvalidArgumentError(
        absl::StrCat("the maximum expires_in must be between 1s and the "
                     "scoped slot's max token lifetime (",
                     absl::FormatDuration(slot->max_token_lifetime), ")"));
  }
  return std::unique_ptr<ScopedTokenIssuer>(
      new ScopedTokenIssuer(keyring, clock, std::move(options)));
}

absl::StatusOr<ScopedToken> ScopedTokenIssuer::Issue(
    absl::string_view scope, absl::string_view expires_in) const {
  ASSIGN_OR_RETURN(ScopeSet scopes, ParseScope(scope));
  ASSIGN_OR_RETURN(absl::Duration lifetime,
                   ParseExpiresIn(expires_in, options_.max_expires_in));
  ASSIGN_OR_RETURN(std::shared_ptr<const jose::JwtSigner> signer,
                   keyring_->Signer(keys::kScopedSlot));
  ASSIGN_OR_RETURN(std::string jti, auth::GenerateTokenId());
  const absl::Time iat =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now()));
  jose::RawJwtBuilder builder;
  builder.SetTypeHeader("JWT")
      .SetIssuer(options_.issuer)
      .SetIssuedAt(iat)
      .SetExpiration(iat + lifetime)
      .SetJwtId(jti)
      .AddStringClaim("scope", scopes.normalized)
      .AddStringClaim(keys::kFamilyClaim,
                      keys::FamilyName(keys::TokenFamily::kScoped));
  if (!scopes.user_ids.empty()) builder.SetSubject(scopes.user_ids.front());
  ASSIGN_OR_RETURN(jose::RawJwt raw, std::move(builder).Build());
  ASSIGN_OR_RETURN(std::string token, signer->SignAndEncode(raw));
  return ScopedToken{std::move(token), iat + lifetime};
}

}  // namespace tokend::scoped
