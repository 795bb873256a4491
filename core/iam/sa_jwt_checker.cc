#include "core/iam/sa_jwt_checker.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"
#include "core/jose/verified_jwt.h"

namespace tokend::iam {
namespace {

constexpr char kMissingKid[] =
    "The required field 'kid' is missing from the JWT header";

absl::Status Unauth(absl::string_view message) {
  return absl::UnauthenticatedError(message);
}

// `s` quoted when it is short printable ASCII, else a placeholder: token
// contents are attacker-chosen and end up in logs.
std::string Quoted(absl::string_view s) {
  if (s.size() > 64) return "(unprintable)";
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '\'') return "(unprintable)";
  }
  return absl::StrCat("'", s, "'");
}

// The validator's failures, as this service words them. Its InvalidArgument
// (malformed token) is an authentication failure here too.
absl::Status FromValidator(const absl::Status& status,
                           absl::Duration max_lifetime) {
  if (status.code() != absl::StatusCode::kInvalidArgument &&
      status.code() != absl::StatusCode::kUnauthenticated) {
    return status;
  }
  const absl::string_view m = status.message();
  if (m == "token must have three parts") {
    return Unauth("malformed JWT: expected three parts");
  }
  if (m == "signature invalid") return Unauth("JWT signature is invalid");
  if (m == "token expired") return Unauth("JWT has expired (exp)");
  if (m == "token not yet valid") return Unauth("JWT is not yet valid (nbf)");
  if (m == "token issued in the future") {
    return Unauth("JWT is issued in the future (iat)");
  }
  if (m == "token has no expiration") return Unauth("JWT has no exp claim");
  if (m == "token has no iat") return Unauth("JWT has no iat claim");
  if (m == "token lifetime exceeds maximum") {
    return Unauth(absl::StrCat("JWT lifetime exp - iat exceeds ",
                               absl::ToInt64Seconds(max_lifetime), " seconds"));
  }
  if (m == "token has no audience") return Unauth("JWT has no aud claim");
  if (m == "audience mismatch") {
    return Unauth("JWT audience (aud) is not accepted by this service");
  }
  if (m == "missing required claim: iss") return Unauth("JWT has no iss claim");
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    return Unauth(absl::StrCat("malformed JWT: ", m));
  }
  return Unauth(absl::StrCat("invalid JWT: ", m));
}

// The header rules that come before the key: alg, then kid.
absl::Status CheckHeader(const nlohmann::json& header) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) {
    return Unauth("JWT header has no alg; only PS256 is accepted");
  }
  if (alg->get_ref<const std::string&>() != "PS256") {
    return Unauth(absl::StrCat("JWT algorithm ",
                               Quoted(alg->get_ref<const std::string&>()),
                               " is not supported; only PS256 is accepted"));
  }
  auto kid = header.find("kid");
  if (kid == header.end() || kid->is_null()) return Unauth(kMissingKid);
  if (!kid->is_string() || kid->get_ref<const std::string&>().empty()) {
    return Unauth("JWT header field 'kid' must be a non-empty string");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SaJwtCheckerOptions::DefaultAudiences(
    absl::string_view issuer) {
  return {absl::StrCat(issuer, "/iam/v1/tokens"), kYandexIamAudience};
}

absl::StatusOr<std::unique_ptr<SaJwtChecker>> SaJwtChecker::Create(
    store::ServiceAccountStore* store, const Clock* clock,
    SaJwtCheckerOptions options) {
  if (store == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("store and clock are required");
  }
  if (options.audiences.empty()) {
    return absl::InvalidArgumentError("at least one audience is required");
  }
  if (options.cache_ttl < absl::ZeroDuration() ||
      options.outage_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "cache_ttl and outage_grace must not be negative");
  }
  jose::JwtValidatorBuilder builder;
  builder.AllowAlgorithms({jose::Algorithm::kPs256})
      .IgnoreIssuer()
      .RequireClaim("iss")
      .SetClockSkew(options.clock_skew)
      .SetMaxLifetime(options.max_lifetime)
      .SetMaxTokenBytes(options.max_token_bytes);
  for (const std::string& aud : options.audiences) builder.ExpectAudience(aud);
  ASSIGN_OR_RETURN(jose::JwtValidator validator, builder.Build());
  return std::unique_ptr<SaJwtChecker>(
      new SaJwtChecker(store, clock, std::move(options), std::move(validator)));
}

SaJwtChecker::SaJwtChecker(store::ServiceAccountStore* store,
                           const Clock* clock, SaJwtCheckerOptions options,
                           jose::JwtValidator validator)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      validator_(std::move(validator)),
      keys_(clock, options_.cache_ttl, options_.max_cache_entries),
      accounts_(clock, options_.cache_ttl, options_.max_cache_entries) {}

absl::StatusOr<CheckedSaJwt> SaJwtChecker::Check(absl::string_view jwt) const {
  const absl::Time now = clock_->Now();
  if (jwt.size() > options_.max_token_bytes) {
    return Unauth(
        absl::StrCat("JWT exceeds ", options_.max_token_bytes, " bytes"));
  }
  // The header picks the key (alg and kid, with this service's rules and
  // words) inside the validator, which parses it once for both.
  std::shared_ptr<const CachedKey> key;
  absl::Status key_status;
  auto pick_key =
      [&](const nlohmann::json& header) -> absl::StatusOr<const jose::Jwk*> {
    key_status = CheckHeader(header);
    if (!key_status.ok()) return key_status;
    auto found = LookupKey(header.at("kid").get_ref<const std::string&>());
    if (!found.ok()) {
      key_status = found.status();
      return key_status;
    }
    key = *std::move(found);
    return key->jwk.get();
  };
  auto verified = validator_.Verify(jwt, pick_key, now);
  if (!key_status.ok()) return key_status;
  if (!verified.ok()) {
    return FromValidator(verified.status(), options_.max_lifetime);
  }
  const std::string& kid = key->jwk->kid();

  auto iss = verified->GetIssuer();
  if (!iss.ok()) return Unauth("JWT iss claim is not a string");
  if (*iss != key->record.service_account_id) {
    return Unauth(absl::StrCat("key ", Quoted(kid),
                               " does not belong to the service account "
                               "named by iss"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const CachedAccount> account,
                   LookupAccount(*iss));
  (void)account;

  CheckedSaJwt out;
  out.service_account_id = *std::move(iss);
  out.key_id = kid;
  out.issued_at = verified->GetIssuedAt().value_or(absl::InfinitePast());
  out.expires_at = verified->GetExpiration().value_or(absl::InfinitePast());
  return out;
}

absl::StatusOr<std::shared_ptr<const SaJwtChecker::CachedKey>>
SaJwtChecker::LookupKey(const std::string& key_id) const {
  if (auto cached = keys_.Get(key_id)) return cached;
  auto ticket = keys_.Begin();
  auto rec = store_->GetAuthorizedKey(key_id);
  if (IsOutage(rec.status())) {
    if (auto stale = keys_.GetStale(key_id, StaleLimit())) return stale;
  }
  if (absl::IsNotFound(rec.status())) {
    return Unauth(
        absl::StrCat("JWT kid ", Quoted(key_id), " is not an authorized key"));
  }
  if (!rec.ok()) return rec.status();
  if (rec->deleted_at.has_value()) {
    InvalidateKey(key_id);
    return Unauth(
        absl::StrCat("authorized key ", Quoted(key_id), " has been deleted"));
  }
  auto jwk = jose::Jwk::FromPem(rec->public_key_pem, jose::Algorithm::kPs256);
  if (!jwk.ok()) {
    return absl::InternalError(absl::StrCat("authorized key ", Quoted(key_id),
                                            " has an unusable public key"));
  }
  auto entry = std::make_shared<CachedKey>();
  rec->public_key_pem.clear();
  entry->record = *std::move(rec);
  entry->jwk = std::make_shared<const jose::Jwk>(jwk->WithKid(key_id));
  std::shared_ptr<const CachedKey> cached = std::move(entry);
  keys_.Put(key_id, cached, ticket);
  return cached;
}

absl::StatusOr<std::shared_ptr<const SaJwtChecker::CachedAccount>>
SaJwtChecker::LookupAccount(const std::string& account_id) const {
  if (auto cached = accounts_.Get(account_id)) return cached;
  auto ticket = accounts_.Begin();
  auto rec = store_->GetServiceAccount(account_id);
  if (IsOutage(rec.status())) {
    if (auto stale = accounts_.GetStale(account_id, StaleLimit())) {
      return stale;
    }
  }
  if (absl::IsNotFound(rec.status())) {
    return Unauth(absl::StrCat("service account ", Quoted(account_id),
                               " does not exist"));
  }
  if (!rec.ok()) return rec.status();
  if (rec->deleted_at.has_value()) {
    InvalidateServiceAccount(account_id);
    return Unauth(absl::StrCat("service account ", Quoted(account_id),
                               " has been deleted"));
  }
  auto cached =
      std::make_shared<const CachedAccount>(CachedAccount{*std::move(rec)});
  accounts_.Put(account_id, cached, ticket);
  return cached;
}

absl::Status SaJwtChecker::DeleteKey(absl::string_view key_id) {
  absl::Status status = store_->MarkAuthorizedKeyDeleted(key_id, clock_->Now());
  InvalidateKey(key_id);
  return status;
}

absl::Status SaJwtChecker::DeleteServiceAccount(absl::string_view account_id) {
  absl::Status status =
      store_->MarkServiceAccountDeleted(account_id, clock_->Now());
  InvalidateServiceAccount(account_id);
  return status;
}

void SaJwtChecker::InvalidateKey(absl::string_view key_id) const {
  keys_.Erase(key_id);
}

void SaJwtChecker::InvalidateServiceAccount(
    absl::string_view account_id) const {
  accounts_.Erase(account_id);
}

void SaJwtChecker::InvalidateAll() const {
  keys_.Clear();
  accounts_.Clear();
}

}  // namespace tokend::iam
