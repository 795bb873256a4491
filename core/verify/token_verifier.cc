#include "core/verify/token_verifier.h"

#include <utility>

#include "absl/strings/str_cat.h"
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

// The family of a token without the claim, issued before families were
// stated: its slot's only family, or for the session slot what its claims
// show (the default token's sid and v, Hasura's namespace, else a
// template).
std::optional<keys::TokenFamily> FamilyBeforeTheClaim(
    absl::string_view slot, const jose::VerifiedJwt& jwt) {
  if (std::optional<keys::TokenFamily> only = keys::OnlyFamilyOfSlot(slot)) {
    return only;
  }
  if (slot != keys::kSessionSlot) return std::nullopt;
  if (jwt.HasClaim("sid") && jwt.HasClaim("v")) {
    return keys::TokenFamily::kSession;
  }
  if (jwt.HasClaim(keys::kHasuraClaimsNamespace)) {
    return keys::TokenFamily::kHasura;
  }
  return keys::TokenFamily::kTemplate;
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
    absl::string_view token, absl::string_view audience,
    std::optional<keys::TokenFamily> family) const {
  if (audience.size() > kMaxAudienceBytes) {
    return absl::InvalidArgumentError("audience too long");
  }
  std::shared_ptr<const keys::PublishedJwks> published = keyring_->Published();
  ASSIGN_OR_RETURN(jose::VerifiedJwt jwt,
                   any_audience_.Verify(token, published->keys, clock_->Now()));
  absl::string_view slot;  // "" for a key of no slot (cannot happen)
  if (auto it = published->slot_by_kid.find(jwt.kid());
      it != published->slot_by_kid.end()) {
    slot = it->second;
  }
  std::optional<keys::TokenFamily> stated;
  if (jwt.HasClaim(keys::kFamilyClaim)) {
    absl::StatusOr<std::string> name = jwt.GetStringClaim(keys::kFamilyClaim);
    if (name.ok()) stated = keys::ParseFamily(*name);
    if (!stated.has_value() || !keys::SlotSigns(slot, *stated)) {
      return absl::UnauthenticatedError("token family does not match its key");
    }
  }
  if (family.has_value()) {
    const std::optional<keys::TokenFamily> actual =
        stated.has_value() ? stated : FamilyBeforeTheClaim(slot, jwt);
    if (actual != family) {
      return absl::UnauthenticatedError(absl::StrCat(
          "token is not of the ", keys::FamilyName(*family), " family"));
    }
  }
  if (revocation_check_ && jwt.HasJwtId()) {
    ASSIGN_OR_RETURN(std::string jti, jwt.GetJwtId());
    ASSIGN_OR_RETURN(bool revoked, revocation_check_(jti));
    if (revoked) return absl::UnauthenticatedError("token revoked");
  }
  const char* const sid_claim =
      jwt.HasClaim(keys::kSessionIdClaim) ? keys::kSessionIdClaim : "sid";
  if (session_check_ && jwt.HasClaim(sid_claim)) {
    absl::StatusOr<std::string> sid = jwt.GetStringClaim(sid_claim);
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
