#include "core/iam/iam_token_issuer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/common/status_macros.h"
#include "core/iam/ids.h"
#include "core/jose/raw_jwt.h"
#include "core/jose/verified_jwt.h"
#include "core/keys/token_family.h"

namespace tokend::iam {
namespace {

// Bounds the OAuth token cache under a spray of distinct (wrong) secrets.
constexpr size_t kMaxCachedOAuthTokens = 10000;

absl::Status Unauth(absl::string_view message) {
  return absl::UnauthenticatedError(message);
}

absl::Time WholeSeconds(absl::Time t) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

}  // namespace

absl::string_view AccountKindName(AccountKind kind) {
  switch (kind) {
    case AccountKind::kServiceAccount:
      return "service_account";
    case AccountKind::kUserAccount:
      return "user_account";
  }
  return "unknown";
}

absl::StatusOr<AccountKind> AccountKindFromName(absl::string_view name) {
  if (name == "service_account") return AccountKind::kServiceAccount;
  if (name == "user_account") return AccountKind::kUserAccount;
  return absl::InvalidArgumentError("unknown account kind");
}

absl::StatusOr<std::unique_ptr<IamTokenIssuer>> IamTokenIssuer::Create(
    Stores stores, const keys::Keyring* keyring, const Clock* clock,
    IamTokenIssuerOptions options) {
  if (stores.accounts == nullptr || stores.oauth_tokens == nullptr ||
      stores.revocations == nullptr || keyring == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("stores, keyring and clock are required");
  }
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError("issuer is required");
  }
  if (options.audience.empty()) options.audience = options.issuer + "/iam";
  const keys::SlotConfig* slot = nullptr;
  for (const keys::SlotConfig& s : keyring->options().slots) {
    if (s.name == keys::kIamSlot) slot = &s;
  }
  if (slot == nullptr) {
    return absl::NotFoundError("the keyring has no 'iam' slot");
  }
  if (options.lifetime <= absl::ZeroDuration() ||
      options.lifetime > slot->max_token_lifetime) {
    return absl::InvalidArgumentError(
        "IAM token lifetime must be positive and within the iam slot's "
        "max_token_lifetime");
  }
  ASSIGN_OR_RETURN(jose::JwtValidator validator,
                   jose::JwtValidatorBuilder()
                       .AllowAlgorithms({slot->algorithm})
                       .ExpectIssuer(options.issuer)
                       .ExpectAudience(options.audience)
                       .SetClockSkew(options.clock_skew)
                       .RequireClaim("sub")
                       .RequireClaim("jti")
                       .RequireClaim(kKindClaim)
                       .SetMaxTokenBytes(4096)
                       .Build());
  ASSIGN_OR_RETURN(std::unique_ptr<RevocationList> revocations,
                   RevocationList::Create(stores.revocations, clock,
                                          options.revocation_list));
  return std::unique_ptr<IamTokenIssuer>(
      new IamTokenIssuer(stores, keyring, clock, std::move(options),
                         std::move(validator), std::move(revocations)));
}

IamTokenIssuer::IamTokenIssuer(Stores stores, const keys::Keyring* keyring,
                               const Clock* clock,
                               IamTokenIssuerOptions options,
                               jose::JwtValidator validator,
                               std::unique_ptr<RevocationList> revocations)
    : stores_(stores),
      keyring_(keyring),
      clock_(clock),
      options_(std::move(options)),
      validator_(std::move(validator)),
      revocations_(std::move(revocations)),
      oauth_tokens_(clock, options_.oauth_cache_ttl, kMaxCachedOAuthTokens) {}

absl::StatusOr<IamToken> IamTokenIssuer::Issue(absl::string_view subject_id,
                                               AccountKind kind) const {
  if (subject_id.empty()) {
    return absl::InvalidArgumentError("subject id is required");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const jose::JwtSigner> signer,
                   keyring_->Signer(keys::kIamSlot));
  ASSIGN_OR_RETURN(std::string jti, auth::GenerateTokenId());
  const absl::Time iat = WholeSeconds(clock_->Now());
  const absl::Time exp = iat + options_.lifetime;
  jose::RawJwtBuilder builder;
  builder.SetTypeHeader("JWT")
      .SetIssuer(options_.issuer)
      .SetSubject(subject_id)
      .SetAudience(options_.audience)
      .SetIssuedAt(iat)
      .SetExpiration(exp)
      .SetJwtId(jti)
      .AddStringClaim(kKindClaim, AccountKindName(kind))
      .AddStringClaim(keys::kFamilyClaim,
                      keys::FamilyName(keys::TokenFamily::kIam));
  ASSIGN_OR_RETURN(jose::RawJwt raw, std::move(builder).Build());
  IamToken out;
  ASSIGN_OR_RETURN(out.token, signer->SignAndEncode(raw));
  out.expires_at = WholeSeconds(exp);
  return out;
}

absl::StatusOr<std::string> IamTokenIssuer::ExchangeOAuthToken(
    absl::string_view secret) const {
  if (secret.empty()) return Unauth("OAuth token is empty");
  const std::string hash = auth::HashSecret(secret);
  std::shared_ptr<const store::OAuthTokenRecord> rec = oauth_tokens_.Get(hash);
  if (rec == nullptr) {
    auto ticket = oauth_tokens_.Begin();
    auto found = stores_.oauth_tokens->FindOAuthTokenByHash(hash);
    if (absl::IsNotFound(found.status())) {
      return Unauth("OAuth token is invalid");
    }
    if (found.ok()) {
      rec = std::make_shared<const store::OAuthTokenRecord>(*std::move(found));
      oauth_tokens_.Put(hash, rec, ticket);
    } else if (IsOutage(found.status())) {
      rec = oauth_tokens_.GetStale(
          hash, options_.oauth_cache_ttl + options_.outage_grace);
      if (rec == nullptr) return found.status();
    } else {
      return found.status();
    }
  }
  if (!auth::HashesEqual(rec->secret_hash, hash)) {
    return Unauth("OAuth token is invalid");
  }
  if (rec->revoked_at.has_value()) {
    return Unauth("OAuth token has been revoked");
  }
  return rec->account_id;
}

void IamTokenIssuer::ForgetOAuthToken(absl::string_view id) const {
  oauth_tokens_.EraseIf(
      [id](const store::OAuthTokenRecord& rec) { return rec.id == id; });
}

void IamTokenIssuer::ForgetAllOAuthTokens() const { oauth_tokens_.Clear(); }

absl::StatusOr<CreatedOAuthToken> IamTokenIssuer::CreateOAuthToken(
    absl::string_view account_id) const {
  if (account_id.empty()) {
    return absl::InvalidArgumentError("account id is required");
  }
  CreatedOAuthToken out;
  ASSIGN_OR_RETURN(out.secret, auth::GenerateSecret("y0_"));
  ASSIGN_OR_RETURN(out.record.id, NewResourceId());
  out.record.account_id = std::string(account_id);
  out.record.secret_hash = auth::HashSecret(out.secret);
  out.record.created_at =
      absl::FromUnixMicros(absl::ToUnixMicros(clock_->Now()));
  RETURN_IF_ERROR(stores_.oauth_tokens->InsertOAuthToken(out.record));
  return out;
}

absl::StatusOr<VerifiedIamToken> IamTokenIssuer::VerifyUnrevoked(
    absl::string_view iam_token) const {
  std::shared_ptr<const keys::PublishedJwks> jwks = keyring_->Published();
  auto verified = validator_.Verify(iam_token, jwks->keys, clock_->Now());
  if (!verified.ok()) {
    const absl::Status& s = verified.status();
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      return Unauth(absl::StrCat("malformed IAM token: ", s.message()));
    }
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      return Unauth(absl::StrCat("invalid IAM token: ", s.message()));
    }
    return s;
  }
  VerifiedIamToken out;
  auto sub = verified->GetSubject();
  auto jti = verified->GetJwtId();
  auto exp = verified->GetExpiration();
  auto kind = verified->GetStringClaim(kKindClaim);
  if (!sub.ok() || !jti.ok() || !exp.ok() || !kind.ok()) {
    return Unauth("invalid IAM token: missing claims");
  }
  // Tokens issued before families existed have no claim; the iam slot's
  // key and the claims above already tell them apart.
  if (verified->HasClaim(keys::kFamilyClaim)) {
    auto family = verified->GetStringClaim(keys::kFamilyClaim);
    if (!family.ok() || *family != keys::FamilyName(keys::TokenFamily::kIam)) {
      return Unauth("invalid IAM token: a token of another family");
    }
  }
  auto parsed_kind = AccountKindFromName(*kind);
  if (!parsed_kind.ok()) return Unauth("invalid IAM token: unknown kind");
  out.subject_id = *std::move(sub);
  out.jti = *std::move(jti);
  out.expires_at = *exp;
  out.kind = *parsed_kind;
  return out;
}

absl::StatusOr<VerifiedIamToken> IamTokenIssuer::Verify(
    absl::string_view iam_token) const {
  ASSIGN_OR_RETURN(VerifiedIamToken token, VerifyUnrevoked(iam_token));
  ASSIGN_OR_RETURN(bool revoked, IsRevoked(token.jti));
  if (revoked) return Unauth("IAM token has been revoked");
  return token;
}

absl::StatusOr<std::string> IamTokenIssuer::Revoke(
    absl::string_view iam_token) const {
  ASSIGN_OR_RETURN(VerifiedIamToken token, VerifyUnrevoked(iam_token));
  // Kept past exp by the verification skew, so that a token still accepted
  // by a skewed verifier stays rejected.
  store::RevokedTokenRecord rec{token.jti, token.subject_id,
                                token.expires_at + options_.clock_skew};
  RETURN_IF_ERROR(revocations_->Revoke(rec));
  return token.subject_id;
}

absl::StatusOr<bool> IamTokenIssuer::IsRevoked(absl::string_view jti) const {
  return revocations_->IsRevoked(jti);
}

absl::Status IamTokenIssuer::ReloadRevocations() const {
  return revocations_->Reload();
}

absl::StatusOr<int> IamTokenIssuer::PurgeExpiredRevocations(
    absl::Time now) const {
  return revocations_->PurgeExpired(now);
}

absl::StatusOr<IamToken> IamTokenIssuer::IssueForServiceAccount(
    absl::string_view caller_iam_token,
    absl::string_view service_account_id) const {
  ASSIGN_OR_RETURN(VerifiedIamToken caller, Verify(caller_iam_token));
  return IssueForServiceAccount(caller, service_account_id);
}

absl::StatusOr<IamToken> IamTokenIssuer::IssueForServiceAccount(
    const VerifiedIamToken& caller,
    absl::string_view service_account_id) const {
  const absl::Status denied = absl::PermissionDeniedError(
      absl::StrCat("caller may not create tokens for service account '",
                   service_account_id, "'"));
  auto account = stores_.accounts->GetServiceAccount(service_account_id);
  if (absl::IsNotFound(account.status())) return denied;
  if (!account.ok()) return account.status();
  if (account->deleted_at.has_value()) return denied;
  const auto& creators = account->token_creators;
  if (std::find(creators.begin(), creators.end(), caller.subject_id) ==
      creators.end()) {
    return denied;
  }
  return Issue(service_account_id, AccountKind::kServiceAccount);
}

}  // namespace tokend::iam
