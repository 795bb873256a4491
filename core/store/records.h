// Records persisted by a Store. Plain data: no behaviour, no validation;
// a Store checks what the schema demands and nothing more.
//
// Times are finite absl::Time values. A time that may not have happened yet (a
// key not retired, a user not deleted) is a std::optional<absl::Time>, unset
// until it happens; stores keep it as SQL NULL, never as a sentinel number.
// Columns with a fixed set of values are enums here and stable lowercase (or
// vendor-spelled) names in the database; each enum has a Name/Parse pair.
#ifndef TOKEND_CORE_STORE_RECORDS_H_
#define TOKEND_CORE_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jose/algorithm.h"

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

// The inverse of KeyStateName (exact); nullopt otherwise.
inline std::optional<KeyState> ParseKeyState(absl::string_view name) {
  if (name == "next") return KeyState::kNext;
  if (name == "active") return KeyState::kActive;
  if (name == "retired") return KeyState::kRetired;
  return std::nullopt;
}

struct SigningKeyRecord {
  std::string kid;
  std::string slot;  // A keyring slot name: "session", "iam", "scoped", ...
  jose::Algorithm algorithm = jose::Algorithm::kEs256;
  KeyState state = KeyState::kNext;
  std::string public_jwk;      // JSON object, public members only.
  std::string sealed_private;  // Sealer output (bytes), bound to `kid`.
  absl::Time created_at = absl::UnixEpoch();
  absl::Time activate_at = absl::UnixEpoch();  // When it may start signing.
  std::optional<absl::Time> retired_at;        // Set when retired.
  std::optional<absl::Time> delete_after;      // Set when retired.
};

// Which API an API key opens (DESIGN §2.6).
enum class ApiKeySurface {
  kAdmin = 0,
  kSessions = 1,  // Clerk's Backend API: "sk_" secrets.
  kScoped = 2,    // Courier's issue-token: "sck_" secrets.
};

// "admin", "sessions", "scoped".
inline absl::string_view ApiKeySurfaceName(ApiKeySurface surface) {
  switch (surface) {
    case ApiKeySurface::kAdmin:
      return "admin";
    case ApiKeySurface::kSessions:
      return "sessions";
    case ApiKeySurface::kScoped:
      return "scoped";
  }
  return "unknown";
}

// The inverse of ApiKeySurfaceName (exact); nullopt otherwise.
inline std::optional<ApiKeySurface> ParseApiKeySurface(absl::string_view name) {
  if (name == "admin") return ApiKeySurface::kAdmin;
  if (name == "sessions") return ApiKeySurface::kSessions;
  if (name == "scoped") return ApiKeySurface::kScoped;
  return std::nullopt;
}

struct ApiKeyRecord {
  std::string id;  // "ak_..."
  ApiKeySurface surface = ApiKeySurface::kSessions;
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

// Key algorithms of authorized keys, as Yandex Cloud names them.
enum class AuthorizedKeyAlgorithm { kRsa2048 = 0, kRsa4096 = 1 };

// "RSA_2048", "RSA_4096".
inline absl::string_view AuthorizedKeyAlgorithmName(
    AuthorizedKeyAlgorithm alg) {
  switch (alg) {
    case AuthorizedKeyAlgorithm::kRsa2048:
      return "RSA_2048";
    case AuthorizedKeyAlgorithm::kRsa4096:
      return "RSA_4096";
  }
  return "unknown";
}

// The inverse of AuthorizedKeyAlgorithmName (exact); nullopt otherwise.
inline std::optional<AuthorizedKeyAlgorithm> ParseAuthorizedKeyAlgorithm(
    absl::string_view name) {
  if (name == "RSA_2048") return AuthorizedKeyAlgorithm::kRsa2048;
  if (name == "RSA_4096") return AuthorizedKeyAlgorithm::kRsa4096;
  return std::nullopt;
}

// An authorized key of a service account. Only the public half is stored.
struct AuthorizedKeyRecord {
  std::string id;  // The JWT "kid".
  std::string service_account_id;
  std::string description;
  AuthorizedKeyAlgorithm key_algorithm = AuthorizedKeyAlgorithm::kRsa2048;
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

// ---- Users, sessions and JWT templates (DESIGN §2.2, Clerk's shapes) ----

struct EmailAddressRecord {
  std::string id;  // "idn_..."; unique across all users.
  std::string email_address;
  bool verified = false;
};

struct PhoneNumberRecord {
  std::string id;  // "idn_..."; unique across all users.
  std::string phone_number;
  bool verified = false;
};

// A user. Identifiers that must be unique (external_id, username, email
// addresses) are unique among users that are not deleted: deleting a user
// frees them, as Clerk's hard delete would. Email addresses compare ASCII-
// case-insensitively ("A@x.io" and "a@x.io" collide); external ids and
// usernames compare exactly (callers normalise them).
struct UserRecord {
  std::string id;           // "user_" + random.
  std::string external_id;  // "" when none; unique when set.
  std::string first_name;
  std::string last_name;
  std::string username;  // "" when none; unique when set.
  std::string image_url;
  std::vector<EmailAddressRecord> email_addresses;  // Order is kept.
  std::string primary_email_address_id;             // "" when none.
  std::vector<PhoneNumberRecord> phone_numbers;     // Order is kept.
  std::string primary_phone_number_id;              // "" when none.
  // JSON objects, stored verbatim (the caller validates and bounds them).
  std::string public_metadata_json = "{}";
  std::string private_metadata_json = "{}";
  std::string unsafe_metadata_json = "{}";
  std::string locale;  // IETF BCP 47 tag as given; "" when none.
  // When the user accepted the legal terms (kept from an import).
  std::optional<absl::Time> legal_accepted_at;
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
  std::optional<absl::Time> deleted_at;  // Unset while the user exists.
};

// Lifecycle of a session. Only active sessions get tokens.
enum class SessionStatus {
  kActive = 0,
  kRevoked = 1,  // Ended by an administrator (POST /v1/sessions/{id}/revoke).
  kEnded = 2,    // Ended by the user (sign-out).
  kExpired = 3,  // Past expire_at, or inactive for too long.
};

// "active", "revoked", "ended", "expired" (Clerk's spelling).
inline absl::string_view SessionStatusName(SessionStatus status) {
  switch (status) {
    case SessionStatus::kActive:
      return "active";
    case SessionStatus::kRevoked:
      return "revoked";
    case SessionStatus::kEnded:
      return "ended";
    case SessionStatus::kExpired:
      return "expired";
  }
  return "unknown";
}

// The inverse of SessionStatusName (exact, lowercase); nullopt otherwise.
inline std::optional<SessionStatus> ParseSessionStatus(absl::string_view name) {
  if (name == "active") return SessionStatus::kActive;
  if (name == "revoked") return SessionStatus::kRevoked;
  if (name == "ended") return SessionStatus::kEnded;
  if (name == "expired") return SessionStatus::kExpired;
  return std::nullopt;
}

struct SessionRecord {
  std::string id;  // "sess_" + random.
  std::string user_id;
  SessionStatus status = SessionStatus::kActive;
  // SHA-256 of the session's client token, raw 32 bytes
  // (auth::HashSecret); unique. "" when the session has none: such a session
  // is never found by FindSessionByClientTokenHash.
  std::string client_token_hash;
  std::string actor_json;  // "" or a JSON object (impersonation actor).
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
  absl::Time last_active_at = absl::UnixEpoch();
  absl::Time expire_at = absl::UnixEpoch();
};

struct JwtTemplateRecord {
  std::string id;           // "jtmp_" + random.
  std::string name;         // Unique (exact comparison).
  std::string claims_json;  // JSON object, validated by the caller.
  int64_t lifetime_seconds = 60;
  int64_t allowed_clock_skew_seconds = 5;
  bool custom_signing_key = false;
  std::optional<jose::Algorithm> signing_algorithm;  // Unset when none.
  std::string sealed_signing_key;  // Sealer output (bytes); "" when none.
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
};

// ---- The change feed (change_feed_store.h) ----

// What changed; `key` of a ChangeRecord names the row.
enum class ChangeKind {
  kSigningKeys = 0,     // key "": the key set as a whole.
  kApiKey = 1,          // API key id (revoked).
  kServiceAccount = 2,  // Account id (deleted, token creators replaced).
  kAuthorizedKey = 3,   // Authorized key id (deleted).
  kOAuthToken = 4,      // OAuth token id (revoked).
  kRevokedToken = 5,    // jti of a revoked IAM token.
  kUser = 6,            // User id (updated, deleted).
  kSession = 7,         // Session id (status changed).
  kJwtTemplate = 8,     // Template id (updated, deleted).
};

// "signing_keys", "api_key", "service_account", "authorized_key",
// "oauth_token", "revoked_token", "user", "session", "jwt_template".
inline absl::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kSigningKeys:
      return "signing_keys";
    case ChangeKind::kApiKey:
      return "api_key";
    case ChangeKind::kServiceAccount:
      return "service_account";
    case ChangeKind::kAuthorizedKey:
      return "authorized_key";
    case ChangeKind::kOAuthToken:
      return "oauth_token";
    case ChangeKind::kRevokedToken:
      return "revoked_token";
    case ChangeKind::kUser:
      return "user";
    case ChangeKind::kSession:
      return "session";
    case ChangeKind::kJwtTemplate:
      return "jwt_template";
  }
  return "unknown";
}

// The inverse of ChangeKindName (exact); nullopt otherwise.
inline std::optional<ChangeKind> ParseChangeKind(absl::string_view name) {
  for (ChangeKind kind :
       {ChangeKind::kSigningKeys, ChangeKind::kApiKey,
        ChangeKind::kServiceAccount, ChangeKind::kAuthorizedKey,
        ChangeKind::kOAuthToken, ChangeKind::kRevokedToken, ChangeKind::kUser,
        ChangeKind::kSession, ChangeKind::kJwtTemplate}) {
    if (name == ChangeKindName(kind)) return kind;
  }
  return std::nullopt;
}

struct ChangeRecord {
  int64_t seq = 0;
  ChangeKind kind = ChangeKind::kSigningKeys;
  std::string key;
  absl::Time at = absl::UnixEpoch();  // Database clock, when appended.
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_RECORDS_H_
