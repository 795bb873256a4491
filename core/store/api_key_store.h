// ApiKeyStore: API keys, stored as SHA-256 hashes of their secrets. Contract:
// signing_key_store.h.
#ifndef TOKEND_CORE_STORE_API_KEY_STORE_H_
#define TOKEND_CORE_STORE_API_KEY_STORE_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

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
      std::optional<ApiKeySurface> surface) = 0;

  // Marks the key revoked at `at`. Revoking a revoked key succeeds and keeps
  // the first time. NotFound if `id` is unknown.
  virtual absl::Status RevokeApiKey(absl::string_view id, absl::Time at) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_API_KEY_STORE_H_
