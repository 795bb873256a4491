// IamTokenIssuer: IAM tokens (DESIGN §2.1) — short-lived JWTs signed by the
// keyring's "iam" slot (ES256 by default) — plus the OAuth-token exchange and
// IAM token revocation.
//
// Claims of an IAM token:
//   iss   options.issuer
//   sub   the account id
//   aud   options.audience; default "{issuer}/iam". Deliberately not
//         "{issuer}/iam/v1/tokens" (the audience of service-account JWTs), so
//         an IAM token can never pass as an exchange assertion, and distinct
//         from the session and scoped token families.
//   iat   now;  exp = iat + options.lifetime (12 h)
//   jti   22 base64url characters (128 random bits)
//   kind  "service_account" | "user_account"
// Header: {"alg", "kid", "typ":"JWT"}. IamToken::expires_at equals exp.
//
// Revocation records the token's jti until its exp (Store revoked_tokens);
// Verify() rejects revoked tokens. The issuer keeps those records in memory
// (RevocationList, loaded at Create), so checking a token reads no database;
// it must be the only writer of revocations to its store in this process.
// Thread-safe.
#ifndef TOKEND_CORE_IAM_IAM_TOKEN_ISSUER_H_
#define TOKEND_CORE_IAM_IAM_TOKEN_ISSUER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/bounded_cache.h"
#include "core/common/clock.h"
#include "core/iam/revocation_list.h"
#include "core/jose/jwt_validator.h"
#include "core/keys/keyring.h"
#include "core/store/oauth_token_store.h"
#include "core/store/records.h"
#include "core/store/revocation_store.h"
#include "core/store/service_account_store.h"

namespace tokend::iam {

enum class AccountKind { kServiceAccount, kUserAccount };

// "service_account", "user_account".
absl::string_view AccountKindName(AccountKind kind);
absl::StatusOr<AccountKind> AccountKindFromName(absl::string_view name);

inline constexpr char kKindClaim[] = "kind";

struct IamTokenIssuerOptions {
  std::string issuer;    // Required.
  std::string audience;  // Empty: issuer + "/iam".
  // At most the iam slot's max_token_lifetime.
  absl::Duration lifetime = absl::Hours(12);
  // Accepted clock difference when verifying (Verify, Revoke), 0..10 min.
  absl::Duration clock_skew = absl::Minutes(5);
  // The in-memory copy of revoked jtis (its cap).
  RevocationListOptions revocation_list;
  // An OAuth token read less than this ago is not read again, so exchanges
  // do not wait for the database (a revocation drops the entry at once:
  // ForgetOAuthToken, from every committed change: cache_invalidator.h).
  absl::Duration oauth_cache_ttl = absl::Seconds(5);
  // While the store is unreachable, a read less than oauth_cache_ttl + this
  // ago still serves (--store_outage_grace).
  absl::Duration outage_grace = absl::ZeroDuration();
};

struct IamToken {
  std::string token;
  absl::Time expires_at;  // == exp.
};

struct VerifiedIamToken {
  std::string subject_id;
  AccountKind kind = AccountKind::kServiceAccount;
  std::string jti;
  absl::Time expires_at;
};

struct CreatedOAuthToken {
  store::OAuthTokenRecord record;  // Hash only.
  std::string secret;              // "y0_…"; shown once.
};

class IamTokenIssuer {
 public:
  // What the issuer reads and writes; one backend usually provides all three.
  struct Stores {
    store::ServiceAccountStore* accounts = nullptr;  // Token creators.
    store::OAuthTokenStore* oauth_tokens = nullptr;
    store::RevocationStore* revocations = nullptr;
  };

  // InvalidArgument for bad options (no issuer, lifetime <= 0 or beyond the
  // iam slot's max_token_lifetime); NotFound if the keyring has no "iam"
  // slot; store errors from loading the revocation list. All pointers must
  // outlive the issuer.
  static absl::StatusOr<std::unique_ptr<IamTokenIssuer>> Create(
      Stores stores, const keys::Keyring* keyring, const Clock* clock,
      IamTokenIssuerOptions options);

  // Signs a token for `subject_id` (non-empty, else InvalidArgument). The
  // caller has authenticated the subject. Unavailable if the slot has no
  // active key.
  absl::StatusOr<IamToken> Issue(absl::string_view subject_id,
                                 AccountKind kind) const;

  // The account id of an OAuth token that exists and is not revoked;
  // UNAUTHENTICATED otherwise. The lookup is by SHA-256 (auth/secrets.h)
  // and the found hash is compared in constant time.
  absl::StatusOr<std::string> ExchangeOAuthToken(
      absl::string_view secret) const;

  // Drops what was read of OAuth token `id` (revoked), or of all of them.
  void ForgetOAuthToken(absl::string_view id) const;
  void ForgetAllOAuthTokens() const;

  // Creates an OAuth token for `account_id` (any subject).
  absl::StatusOr<CreatedOAuthToken> CreateOAuthToken(
      absl::string_view account_id) const;

  // Checks signature (keyring JWKS), iss, aud, times, kind; then revocation.
  // UNAUTHENTICATED with the failed rule ("IAM token has been revoked", ...).
  absl::StatusOr<VerifiedIamToken> Verify(absl::string_view iam_token) const;

  // Verifies the token (revoked or not) and records its jti until exp;
  // returns its subject id. Revoking twice is OK. UNAUTHENTICATED for a
  // token that does not verify (including an expired one).
  absl::StatusOr<std::string> Revoke(absl::string_view iam_token) const;

  // Whether `jti` is revoked; from memory (see RevocationList).
  absl::StatusOr<bool> IsRevoked(absl::string_view jti) const;

  // Re-reads revocations from the store (another replica revoked a token).
  absl::Status ReloadRevocations() const;

  // Forgets revocations with expires_at <= now, in the store and in memory;
  // returns how many store records were deleted. Call periodically.
  absl::StatusOr<int> PurgeExpiredRevocations(absl::Time now) const;

  // CreateForServiceAccount: the caller's IAM token must verify
  // (UNAUTHENTICATED otherwise) and its subject be one of the account's
  // token creators (PERMISSION_DENIED otherwise, also for an unknown or
  // deleted account, so that account existence is not revealed).
  absl::StatusOr<IamToken> IssueForServiceAccount(
      absl::string_view caller_iam_token,
      absl::string_view service_account_id) const;
  // The same for a caller whose token was verified already.
  absl::StatusOr<IamToken> IssueForServiceAccount(
      const VerifiedIamToken& caller,
      absl::string_view service_account_id) const;

  const std::string& audience() const { return options_.audience; }

 private:
  IamTokenIssuer(Stores stores, const keys::Keyring* keyring,
                 const Clock* clock, IamTokenIssuerOptions options,
                 jose::JwtValidator validator,
                 std::unique_ptr<RevocationList> revocations);

  absl::StatusOr<VerifiedIamToken> VerifyUnrevoked(
      absl::string_view iam_token) const;

  const Stores stores_;
  const keys::Keyring* const keyring_;
  const Clock* const clock_;
  const IamTokenIssuerOptions options_;
  const jose::JwtValidator validator_;
  const std::unique_ptr<RevocationList> revocations_;
  // By secret hash.
  mutable BoundedCache<store::OAuthTokenRecord> oauth_tokens_;
};

}  // namespace tokend::iam

#endif  // TOKEND_CORE_IAM_IAM_TOKEN_ISSUER_H_
