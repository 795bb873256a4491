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
  return TokenVerifier(keyring, std::move(issuer), clock, clock_skew,
                       std::move(any_audience));
}

absl::StatusOr<jose::VerifiedJwt> TokenVerifier::Verify(
    absl::string_view token, absl::string_view audience) const {
  std::shared_ptr<const keys::PublishedJwks> published = keyring_->Published();
  const jose::JwkSet& keys = published->keys;
  if (audience.empty()) {
    return any_audience_.Verify(token, keys, clock_->Now());
  }
  if (audience.size() > kMaxAudienceBytes) {
    return absl::InvalidArgumentError("audience too long");
  }
  ASSIGN_OR_RETURN(jose::JwtValidator validator,
                   BaseBuilder(issuer_, skew_)
                       .ExpectAudience(std::string(audience))
                       .Build());
  return validator.Verify(token, keys, clock_->Now());
}

}  // namespace tokend::verify
