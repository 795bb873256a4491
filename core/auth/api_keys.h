// ApiKeyManager: API keys for one surface each ("sessions" keys start with
// sk_ as Clerk's SDK expects; "scoped" keys with sck_). The secret is shown
// once at creation; the store keeps its SHA-256. Authentication goes through
// a small cache so a hot key costs no store read; revocation through this
// manager takes effect at once, revocation by another replica within
// `cache_ttl`.
#ifndef TOKEND_CORE_AUTH_API_KEYS_H_
#define TOKEND_CORE_AUTH_API_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/bounded_cache.h"
#include "core/common/clock.h"
#include "core/store/api_key_store.h"
#include "core/store/records.h"

namespace tokend::auth {

struct NewApiKey {
  store::ApiKeyRecord record;
  std::string secret;  // Returned once; never stored.
};

class ApiKeyManager {
 public:
  // A key read less than `cache_ttl` ago is not read again. When the store
  // is unreachable, one read less than cache_ttl + `outage_grace` ago still
  // serves; after that, Authenticate fails with the store's error.
  ApiKeyManager(store::ApiKeyStore* store, const Clock* clock,
                absl::Duration cache_ttl = absl::Seconds(5),
                absl::Duration outage_grace = absl::ZeroDuration())
      : store_(store),
        clock_(clock),
        stale_limit_(cache_ttl + outage_grace),
        cache_(clock, cache_ttl, kMaxCacheEntries) {}

  // A surface keys can be created for, by name ("sessions" or "scoped");
  // InvalidArgument otherwise (admin keys are not API keys of this manager).
  static absl::StatusOr<store::ApiKeySurface> IssuableSurface(
      absl::string_view name);
  // The secret prefix of a surface; InvalidArgument as IssuableSurface.
  static absl::StatusOr<absl::string_view> SecretPrefix(
      absl::string_view surface);

  // `name` ≤ 100 printable characters.
  absl::StatusOr<NewApiKey> Create(absl::string_view surface,
                                   absl::string_view name);

  // The key behind `secret` if it exists, is not revoked and belongs to
  // `surface`; else UNAUTHENTICATED ("invalid API key").
  absl::StatusOr<store::ApiKeyRecord> Authenticate(
      absl::string_view secret, store::ApiKeySurface surface);
  // The same, given the secret's HashSecret computed once by a caller that
  // also compares it with the admin key's.
  absl::StatusOr<store::ApiKeyRecord> AuthenticateHashed(
      absl::string_view secret, absl::string_view secret_hash,
      store::ApiKeySurface surface);

  absl::StatusOr<std::vector<store::ApiKeyRecord>> List(
      absl::string_view surface_filter);

  // Returns the revoked record. NotFound for an unknown id.
  absl::StatusOr<store::ApiKeyRecord> Revoke(absl::string_view id);

  // Drops the cached copy of key `id`, so the next use reads the store (a
  // change another replica made, from the change feed).
  void Forget(absl::string_view id);
  void ForgetAll();

 private:
  static constexpr size_t kMaxCacheEntries = 10000;

  store::ApiKeyStore* store_;
  const Clock* clock_;
  const absl::Duration stale_limit_;
  // By secret hash.
  BoundedCache<store::ApiKeyRecord> cache_;
};

}  // namespace tokend::auth

#endif  // TOKEND_CORE_AUTH_API_KEYS_H_
