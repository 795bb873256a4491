// Records persisted by a Store. Plain data: no behaviour, no validation;
// a Store checks what the schema demands and nothing more.
//
// Times are absl::Time. absl::InfiniteFuture() means "not yet" (a key that has
// not been retired); stores keep it as SQL NULL, never as a sentinel number.
#ifndef TOKEND_CORE_STORE_RECORDS_H_
#define TOKEND_CORE_STORE_RECORDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::store {

// Lifecycle of a signing key (DESIGN §3): next → active → retired → gone.
enum class KeyState {
  kNext = 0,     // Published in the JWKS, not signing yet.
  kActive = 1,   // Signing (at most one per slot).
  kRetired = 2,  // Published until every token it signed has expired.
};

// "next", "active", "retired".
inline absl::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kNext:
      return "next";
    case KeyState::kActive:
      return "active";
    case KeyState::kRetired:
      return "retired";
  }
  return "unknown";
}

struct SigningKeyRecord {
  std::string kid;
  std::string slot;       // "session", "iam", "scoped", ...
  std::string algorithm;  // JOSE name: "ES256", "RS256", ...
  KeyState state = KeyState::kNext;
  std::string public_jwk;      // JSON object, public members only.
  std::string sealed_private;  // Sealer output (bytes), bound to `kid`.
  absl::Time created_at = absl::UnixEpoch();
  absl::Time activate_at = absl::UnixEpoch();      // When it may start signing.
  absl::Time retired_at = absl::InfiniteFuture();  // Until retired.
  absl::Time delete_after = absl::InfiniteFuture();  // Until retired.
};

struct ApiKeyRecord {
  std::string id;              // "ak_..."
  std::string surface;         // "admin" | "sessions" | "scoped"
  std::string name;            // Human label.
  std::string display_prefix;  // First characters of the secret; safe to show.
  std::string secret_hash;     // SHA-256 of the secret, raw 32 bytes.
  absl::Time created_at = absl::UnixEpoch();
  std::optional<absl::Time> revoked_at;  // Unset while the key is valid.
};

// A service account (DESIGN §2.1). Ids follow the public scheme: "aje" and 17
// lowercase base32hex characters (core/iam/ids.h).
struct ServiceAccountRecord {
  std::string id;
  std::string name;  // Unique among accounts that are not deleted.
  std::string description;
  absl::Time created_at = absl::UnixEpoch();
  std::optional<absl::Time> deleted_at;  // Unset while the account exists.
  // Subject ids allowed to call CreateForServiceAccount for this account, in
  // the order they were set (no duplicates).
  std::vector<std::string> token_creators;
};

// An authorized key of a service account. Only the public half is stored.
struct AuthorizedKeyRecord {
  std::string id;  // The JWT "kid".
  std::string service_account_id;
  std::string description;
  std::string key_algorithm;   // "RSA_2048" | "RSA_4096".
  std::string public_key_pem;  // SPKI "PUBLIC KEY" PEM.
  absl::Time created_at = absl::UnixEpoch();
  std::optional<absl::Time> deleted_at;  // Unset while the key is usable.
};

// An OAuth token (Create's yandex_passport_oauth_token); stored hashed.
struct OAuthTokenRecord {
  std::string id;
  std::string account_id;   // Any subject: not tied to service_accounts.
  std::string secret_hash;  // SHA-256 of the secret, raw 32 bytes.
  absl::Time created_at = absl::UnixEpoch();
  std::optional<absl::Time> revoked_at;  // Unset while the token is valid.
};

// A revoked IAM token, kept until it would have expired anyway.
struct RevokedTokenRecord {
  std::string jti;
  std::string subject_id;
  absl::Time expires_at = absl::UnixEpoch();
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_RECORDS_H_
