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
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_STORE_H_
