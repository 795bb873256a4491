#include "core/verify/token_verifier.h"

#include <utility>

#include "core/common/status_macros.h"

namespace tokend::verify {
namespace {

constexpr size_t kMaxAudienceBytes = 1024;

// Asymmetric algorithms only: tokend never publishes HMAC keys, and a JwkSet
// cannot hold one, so HS* tokens cannot verify here by construction.
jose::JwtValidatorBuilder BaseBuilder(const std::string& issuer,
                                      absl::Duration skew) {
  jose::JwtValidatorBuilder builder;
  builder.ExpectIssuer(issuer).SetClockSkew(skew).AllowAlgorithms(
      {jose::Algorithm::kRs256, jose::Algorithm::kRs384,
       jose::Algorithm::kRs512, jose::Algorithm::kPs256,
       jose::Algorithm::kPs384, jose::Algorithm::kPs512,
       jose::Algorithm::kEs256, jose::Algorithm::kEs384,
       jose::Algorithm::kEs512, jose::Algorithm::kEdDsa});
  return builder;
}

}  // namespace

absl::StatusOr<TokenVerifier> TokenVerifier::Create(
    const keys::Keyring* keyring, std::string issuer, const Clock* clock,
    absl::Duration clock_skew) {
  ASSIGN_OR_RETURN(jose::JwtValidator any_audience,
                   BaseBuilder(issuer, clock_skew).IgnoreAudiences().Build());
  return TokenVerifier(keyring, clock, std::move(any_audience));
}

absl::StatusOr<jose::VerifiedJwt> TokenVerifier::Verify(
    absl::string_view token, absl::string_view audience) const {
  if (audience.size() > kMaxAudienceBytes) {
    return absl::InvalidArgumentError("audience too long");
  }
  std::shared_ptr<const keys::PublishedJwks> published = keyring_->Published();
  ASSIGN_OR_RETURN(jose::VerifiedJwt jwt,
                   any_audience_.Verify(token, published->keys, clock_->Now()));
  if (revocation_check_ && jwt.HasJwtId()) {
    ASSIGN_OR_RETURN(std::string jti, jwt.GetJwtId());
    ASSIGN_OR_RETURN(bool revoked, revocation_check_(jti));
    if (revoked) return absl::UnauthenticatedError("token revoked");
  }
  if (session_check_ && jwt.HasClaim("sid")) {
    absl::StatusOr<std::string> sid = jwt.GetStringClaim("sid");
    if (sid.ok()) {
      absl::Status session = session_check_(*sid);
      if (absl::IsNotFound(session)) {
        return absl::UnauthenticatedError("session is not active");
      }
      RETURN_IF_ERROR(session);
    }
  }
  if (audience.empty()) return jwt;
  // One prebuilt validator serves every audience; the audience rule is the
  // validator's (aud a string or an array containing the expected value).
  if (!jwt.HasAudiences()) {
    return absl::UnauthenticatedError("token has no audience");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> audiences, jwt.GetAudiences());
  for (const std::string& aud : audiences) {
    if (aud == audience) return jwt;
  }
  return absl::UnauthenticatedError("audience mismatch");
}

}  // namespace tokend::verify
