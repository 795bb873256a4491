// Store: persistence for everything tokend keeps (DESIGN §4). One interface,
// several backends (sqlite_store.h by default). Records are plain structs
// (records.h); later features add record kinds and methods here.
//
// Contract shared by all implementations:
// - Every method is thread-safe.
// - Each mutating call is atomic: it either applies completely or not at all.
// - Errors: NotFound for a missing row, AlreadyExists for a duplicate key,
//   InvalidArgument for a request that can never succeed, Unavailable or
//   Internal for backend failures.
#ifndef TOKEND_CORE_STORE_STORE_H_
#define TOKEND_CORE_STORE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class Store {
 public:
  virtual ~Store() = default;

  // ---- Signing keys ----

  // Every signing key, ordered by (slot, created_at, kid).
  virtual absl::StatusOr<std::vector<SigningKeyRecord>> ListSigningKeys() = 0;

  // Adds a key. AlreadyExists if `rec.kid` is taken, or if `rec` is active
  // and its slot already has an active key (at most one per slot).
  virtual absl::Status InsertSigningKey(const SigningKeyRecord& rec) = 0;

  // In ONE transaction: overwrites every record in `changed` (matched by kid;
  // each must already exist) and deletes every kid in `deleted_kids` (each
  // must exist). A rotation step is one call, so readers never observe a
  // half-applied transition. On any error nothing is applied:
  //   NotFound         a changed or deleted kid does not exist;
  //   InvalidArgument  a kid appears twice across `changed` and
  //                    `deleted_kids`;
  //   AlreadyExists    the result would have two active keys in one slot.
  // The order of `changed` does not matter: retiring a slot's active key and
  // activating its successor in the same call is fine.
  virtual absl::Status UpdateSigningKeys(
      const std::vector<SigningKeyRecord>& changed,
      const std::vector<std::string>& deleted_kids) = 0;

  // ---- API keys ----

  // AlreadyExists if the id or the secret hash is taken.
  virtual absl::Status InsertApiKey(const ApiKeyRecord& rec) = 0;

  // The key whose secret hashes to `secret_hash` (revoked or not; callers
  // check revoked_at). NotFound if none. The lookup is an index probe, not a
  // constant-time compare: it is keyed by the SHA-256 of a high-entropy
  // secret, so its timing reveals nothing usable about the secret.
  virtual absl::StatusOr<ApiKeyRecord> FindApiKeyByHash(
      absl::string_view secret_hash) = 0;

  // All API keys (surface = std::nullopt) or those of one surface, ordered by
  // (created_at, id).
  virtual absl::StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(
      std::optional<absl::string_view> surface) = 0;

  // Marks the key revoked at `at`. Revoking a revoked key succeeds and keeps
  // the first time. NotFound if `id` is unknown.
  virtual absl::Status RevokeApiKey(absl::string_view id, absl::Time at) = 0;

  // The methods below have default bodies returning Unimplemented, so test
  // doubles that only forward the older methods keep compiling. Every real
  // backend overrides all of them.

  // ---- Service accounts ----

  // AlreadyExists if the id, or the name of an account not deleted, is taken.
  virtual absl::Status InsertServiceAccount(const ServiceAccountRecord& rec);
  // The account, deleted or not (callers check deleted_at). NotFound if none.
  virtual absl::StatusOr<ServiceAccountRecord> GetServiceAccount(
      absl::string_view id);
  // Accounts not deleted, ordered by (created_at, id).
  virtual absl::StatusOr<std::vector<ServiceAccountRecord>>
  ListServiceAccounts();
  // Marks the account deleted at `at`; deleting a deleted account succeeds
  // and keeps the first time. NotFound if `id` is unknown.
  virtual absl::Status MarkServiceAccountDeleted(absl::string_view id,
                                                 absl::Time at);
  // Replaces the token creators (duplicates are dropped, order kept).
  // NotFound if `id` is unknown; FailedPrecondition if it is deleted.
  virtual absl::Status SetTokenCreators(
      absl::string_view id, const std::vector<std::string>& subject_ids);

  // ---- Authorized keys ----

  // AlreadyExists if the id is taken; NotFound if the account is unknown.
  virtual absl::Status InsertAuthorizedKey(const AuthorizedKeyRecord& rec);
  // The key, deleted or not. NotFound if none.
  virtual absl::StatusOr<AuthorizedKeyRecord> GetAuthorizedKey(
      absl::string_view id);
  // The account's keys that are not deleted, ordered by (created_at, id).
  virtual absl::StatusOr<std::vector<AuthorizedKeyRecord>> ListAuthorizedKeys(
      absl::string_view service_account_id);
  // As MarkServiceAccountDeleted, for a key.
  virtual absl::Status MarkAuthorizedKeyDeleted(absl::string_view id,
                                                absl::Time at);

  // ---- OAuth tokens ----

  // AlreadyExists if the id or the secret hash is taken.
  virtual absl::Status InsertOAuthToken(const OAuthTokenRecord& rec);
  // By SHA-256 of the secret (an index probe; see FindApiKeyByHash), revoked
  // or not. NotFound if none.
  virtual absl::StatusOr<OAuthTokenRecord> FindOAuthTokenByHash(
      absl::string_view secret_hash);
  // Marks the token revoked at `at` (keeps the first time). NotFound if `id`
  // is unknown.
  virtual absl::Status RevokeOAuthToken(absl::string_view id, absl::Time at);

  // ---- Revoked IAM tokens ----

  // Records a revocation. Idempotent: a jti already recorded is left as it
  // is and OK is returned.
  virtual absl::Status InsertRevokedToken(const RevokedTokenRecord& rec);
  // Whether `jti` is recorded (expired records count until DeleteExpired).
  virtual absl::StatusOr<bool> IsTokenRevoked(absl::string_view jti);
  // Records with expires_at > now, ordered by (expires_at, jti), at most
  // `limit` of them (InvalidArgument if limit < 0). Loads in-memory
  // revocation lists (core/iam/revocation_list.h).
  virtual absl::StatusOr<std::vector<RevokedTokenRecord>> ListRevokedTokens(
      absl::Time now, int64_t limit);
  // Drops records with expires_at <= now; returns how many.
  virtual absl::StatusOr<int> DeleteExpiredRevokedTokens(absl::Time now);

  // ---- Users (records.h: UserRecord) ----

  // Adds a user with its email addresses and phone numbers. AlreadyExists if
  // the id, an email address or phone number id, or (among users not
  // deleted) the external id, the username or an email address is taken.
  virtual absl::Status InsertUser(const UserRecord& rec);
  // The user, deleted or not (callers check deleted_at). NotFound if none.
  virtual absl::StatusOr<UserRecord> GetUser(absl::string_view id);
  // Replaces every field of the user `rec.id` except created_at and
  // deleted_at, which are kept; email addresses and phone numbers are
  // replaced as a whole. NotFound if the id is unknown; FailedPrecondition if
  // the user is deleted; AlreadyExists as for InsertUser (nothing changes).
  virtual absl::Status UpdateUser(const UserRecord& rec);
  // Marks the user deleted at `at`, freeing its external id, username and
  // email addresses. Deleting a deleted user succeeds and keeps the first
  // time. NotFound if `id` is unknown. The user's sessions are left as they
  // are: ending them is the caller's decision.
  virtual absl::Status MarkUserDeleted(absl::string_view id, absl::Time at);

  // ---- Sessions ----

  // AlreadyExists if the id or a non-empty client token hash is taken;
  // NotFound if the user is unknown (a deleted user is not checked here).
  virtual absl::Status InsertSession(const SessionRecord& rec);
  // The session, whatever its status. NotFound if none.
  virtual absl::StatusOr<SessionRecord> GetSession(absl::string_view id);
  // By SHA-256 of the client token (an index probe; see FindApiKeyByHash),
  // whatever its status. NotFound if none, and always for "".
  virtual absl::StatusOr<SessionRecord> FindSessionByClientTokenHash(
      absl::string_view client_token_hash);
  // The sessions of `user_id` ("" for every user's), only those in `status`
  // when it is set, ordered newest first (created_at descending, then id
  // ascending); `offset` rows are skipped and at most `limit` returned.
  // InvalidArgument if limit or offset is negative.
  virtual absl::StatusOr<std::vector<SessionRecord>> ListSessions(
      absl::string_view user_id, std::optional<SessionStatus> status,
      int64_t limit, int64_t offset);
  // Sets the status and updated_at = `now`. Any transition is accepted (the
  // caller owns the state machine). NotFound if `id` is unknown.
  virtual absl::Status UpdateSessionStatus(absl::string_view id,
                                           SessionStatus status,
                                           absl::Time now);
  // Moves last_active_at forward to `at` (an earlier `at` leaves it: touches
  // from several replicas may arrive out of order). updated_at is not
  // changed. NotFound if `id` is unknown.
  virtual absl::Status TouchSession(absl::string_view id, absl::Time at);

  // ---- JWT templates ----

  // AlreadyExists if the id or the name is taken.
  virtual absl::Status InsertJwtTemplate(const JwtTemplateRecord& rec);
  // NotFound if none.
  virtual absl::StatusOr<JwtTemplateRecord> GetJwtTemplate(
      absl::string_view id);
  // By exact name. NotFound if none.
  virtual absl::StatusOr<JwtTemplateRecord> FindJwtTemplateByName(
      absl::string_view name);
  // Every template, ordered by name (bytewise).
  virtual absl::StatusOr<std::vector<JwtTemplateRecord>> ListJwtTemplates();
  // Replaces every field of the template `rec.id` except created_at, which
  // is kept. NotFound if the id is unknown; AlreadyExists if `rec.name` is
  // another template's.
  virtual absl::Status UpdateJwtTemplate(const JwtTemplateRecord& rec);
  // Removes the template. NotFound if `id` is unknown.
  virtual absl::Status DeleteJwtTemplate(absl::string_view id);
};

inline absl::Status NotImplementedByStore() {
  return absl::UnimplementedError("not supported by this store");
}
inline absl::Status Store::InsertServiceAccount(const ServiceAccountRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<ServiceAccountRecord> Store::GetServiceAccount(
    absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<std::vector<ServiceAccountRecord>>
Store::ListServiceAccounts() {
  return NotImplementedByStore();
}
inline absl::Status Store::MarkServiceAccountDeleted(absl::string_view,
                                                     absl::Time) {
  return NotImplementedByStore();
}
inline absl::Status Store::SetTokenCreators(absl::string_view,
                                            const std::vector<std::string>&) {
  return NotImplementedByStore();
}
inline absl::Status Store::InsertAuthorizedKey(const AuthorizedKeyRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<AuthorizedKeyRecord> Store::GetAuthorizedKey(
    absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<std::vector<AuthorizedKeyRecord>>
Store::ListAuthorizedKeys(absl::string_view) {
  return NotImplementedByStore();
}
inline absl::Status Store::MarkAuthorizedKeyDeleted(absl::string_view,
                                                    absl::Time) {
  return NotImplementedByStore();
}
inline absl::Status Store::InsertOAuthToken(const OAuthTokenRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<OAuthTokenRecord> Store::FindOAuthTokenByHash(
    absl::string_view) {
  return NotImplementedByStore();
}
inline absl::Status Store::RevokeOAuthToken(absl::string_view, absl::Time) {
  return NotImplementedByStore();
}
inline absl::Status Store::InsertRevokedToken(const RevokedTokenRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<bool> Store::IsTokenRevoked(absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<std::vector<RevokedTokenRecord>> Store::ListRevokedTokens(
    absl::Time, int64_t) {
  return NotImplementedByStore();
}
inline absl::StatusOr<int> Store::DeleteExpiredRevokedTokens(absl::Time) {
  return NotImplementedByStore();
}

inline absl::Status Store::InsertUser(const UserRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<UserRecord> Store::GetUser(absl::string_view) {
  return NotImplementedByStore();
}
inline absl::Status Store::UpdateUser(const UserRecord&) {
  return NotImplementedByStore();
}
inline absl::Status Store::MarkUserDeleted(absl::string_view, absl::Time) {
  return NotImplementedByStore();
}
inline absl::Status Store::InsertSession(const SessionRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<SessionRecord> Store::GetSession(absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<SessionRecord> Store::FindSessionByClientTokenHash(
    absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<std::vector<SessionRecord>> Store::ListSessions(
    absl::string_view, std::optional<SessionStatus>, int64_t, int64_t) {
  return NotImplementedByStore();
}
inline absl::Status Store::UpdateSessionStatus(absl::string_view, SessionStatus,
                                               absl::Time) {
  return NotImplementedByStore();
}
inline absl::Status Store::TouchSession(absl::string_view, absl::Time) {
  return NotImplementedByStore();
}
inline absl::Status Store::InsertJwtTemplate(const JwtTemplateRecord&) {
  return NotImplementedByStore();
}
inline absl::StatusOr<JwtTemplateRecord> Store::GetJwtTemplate(
    absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<JwtTemplateRecord> Store::FindJwtTemplateByName(
    absl::string_view) {
  return NotImplementedByStore();
}
inline absl::StatusOr<std::vector<JwtTemplateRecord>>
Store::ListJwtTemplates() {
  return NotImplementedByStore();
}
inline absl::Status Store::UpdateJwtTemplate(const JwtTemplateRecord&) {
  return NotImplementedByStore();
}
inline absl::Status Store::DeleteJwtTemplate(absl::string_view) {
  return NotImplementedByStore();
}

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_STORE_H_
