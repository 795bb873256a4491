// SaJwtChecker: authenticates a service account by the JWT it signed with one
// of its authorized keys — the `jwt` identity of IamTokenService.Create
// (DESIGN §2.1). Rules, checked in this order (first failure wins):
//   size       at most max_token_bytes (8000)
//   shape      three base64url parts, JSON header and payload
//   alg        header "alg" is PS256 (RS256, ES256, HS256, none... rejected)
//   kid        present: "The required field 'kid' is missing from the JWT
//              header" (the public wording)
//   key        an authorized key with that id exists and is not deleted
//   signature  PS256 by that key
//   times      exp required; now < exp + skew; now >= nbf - skew (nbf
//              honoured when present); iat <= now + skew; exp - iat <= 3600
//   aud        a string or an array containing one of the audiences
//   iss        present and equal to the key's service account
//   account    exists and is not deleted
// "typ" is optional and not checked. Every failure is UNAUTHENTICATED with a
// message naming the rule, never key material.
//
// Keys and accounts are read through the Store with an in-memory cache of
// bounded staleness (cache_ttl, default 5 s): a key deleted by another
// process stops working within cache_ttl; one deleted through DeleteKey()
// (or DeleteServiceAccount()) at once. The parsed public key is cached with
// its record, so a request parses no PEM. Thread-safe.
#ifndef TOKEND_CORE_IAM_SA_JWT_CHECKER_H_
#define TOKEND_CORE_IAM_SA_JWT_CHECKER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/bounded_cache.h"
#include "core/common/clock.h"
#include "core/jose/jwk.h"
#include "core/jose/jwt_validator.h"
#include "core/store/records.h"
#include "core/store/service_account_store.h"

namespace tokend::iam {

// The audience every public client sends by default.
inline constexpr char kYandexIamAudience[] =
    "https://iam.api.cloud.yandex.net/iam/v1/tokens";

struct SaJwtCheckerOptions {
  // "{issuer}/iam/v1/tokens" and kYandexIamAudience.
  static std::vector<std::string> DefaultAudiences(absl::string_view issuer);

  // The token's aud must contain one of these. Required, non-empty.
  std::vector<std::string> audiences;
  // Allowed clock difference with the client, 0..10 minutes.
  absl::Duration clock_skew = absl::Minutes(5);
  // exp - iat must not exceed this (the public rule: one hour).
  absl::Duration max_lifetime = absl::Hours(1);
  // How stale a cached key or account may be. >= 0.
  absl::Duration cache_ttl = absl::Seconds(5);
  // While the store is unreachable, a key or account read less than
  // cache_ttl + outage_grace ago still serves. >= 0.
  absl::Duration outage_grace = absl::ZeroDuration();
  // Entries kept per cache; past it the oldest entry is evicted.
  size_t max_cache_entries = 10000;
  size_t max_token_bytes = 8000;
};

// What a valid JWT proves.
struct CheckedSaJwt {
  std::string service_account_id;
  std::string key_id;
  absl::Time issued_at;
  absl::Time expires_at;
};

class SaJwtChecker {
 public:
  // InvalidArgument for bad options. `store` and `clock` must outlive it.
  static absl::StatusOr<std::unique_ptr<SaJwtChecker>> Create(
      store::ServiceAccountStore* store, const Clock* clock,
      SaJwtCheckerOptions options);

  // UNAUTHENTICATED on any rule failure (see above); store errors other than
  // NotFound are passed through (UNAVAILABLE, INTERNAL...).
  absl::StatusOr<CheckedSaJwt> Check(absl::string_view jwt) const;

  // Marks the key (account) deleted in the store at clock->Now() and drops
  // it from the cache, so the next Check() fails. NotFound if unknown;
  // deleting twice is OK.
  absl::Status DeleteKey(absl::string_view key_id);
  absl::Status DeleteServiceAccount(absl::string_view account_id);

  // Drops one cached entry (e.g. on a change notification from elsewhere).
  void InvalidateKey(absl::string_view key_id) const;
  void InvalidateServiceAccount(absl::string_view account_id) const;
  void InvalidateAll() const;

 private:
  struct CachedKey {
    store::AuthorizedKeyRecord record;     // public_key_pem cleared.
    std::shared_ptr<const jose::Jwk> jwk;  // PS256, kid = record.id.
  };
  struct CachedAccount {
    store::ServiceAccountRecord record;
  };

  SaJwtChecker(store::ServiceAccountStore* store, const Clock* clock,
               SaJwtCheckerOptions options, jose::JwtValidator validator);

  // NotFound-free: UNAUTHENTICATED for a missing or bad key.
  absl::StatusOr<std::shared_ptr<const CachedKey>> LookupKey(
      const std::string& key_id) const;
  absl::StatusOr<std::shared_ptr<const CachedAccount>> LookupAccount(
      const std::string& account_id) const;

  // How old a cached entry may be when the store is unreachable.
  absl::Duration StaleLimit() const {
    return options_.cache_ttl + options_.outage_grace;
  }

  store::ServiceAccountStore* const store_;
  const Clock* const clock_;
  const SaJwtCheckerOptions options_;
  const jose::JwtValidator validator_;

  // By id.
  mutable BoundedCache<CachedKey> keys_;
  mutable BoundedCache<CachedAccount> accounts_;
};

}  // namespace tokend::iam

#endif  // TOKEND_CORE_IAM_SA_JWT_CHECKER_H_
