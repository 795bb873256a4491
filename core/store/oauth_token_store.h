// OAuthTokenStore: OAuth tokens accepted by IamTokenService.Create, stored as
// SHA-256 hashes. Contract: signing_key_store.h.
#ifndef TOKEND_CORE_STORE_OAUTH_TOKEN_STORE_H_
#define TOKEND_CORE_STORE_OAUTH_TOKEN_STORE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class OAuthTokenStore {
 public:
  virtual ~OAuthTokenStore() = default;

  // AlreadyExists if the id or the secret hash is taken.
  virtual absl::Status InsertOAuthToken(const OAuthTokenRecord& rec) = 0;
  // By SHA-256 of the secret (an index probe; see
  // ApiKeyStore::FindApiKeyByHash), revoked or not. NotFound if none.
  virtual absl::StatusOr<OAuthTokenRecord> FindOAuthTokenByHash(
      absl::string_view secret_hash) = 0;
  // Every token, revoked or not, ordered by (created_at, id): for copying a
  // whole store.
  virtual absl::StatusOr<std::vector<OAuthTokenRecord>> ListOAuthTokens() = 0;
  // Marks the token revoked at `at` (keeps the first time). NotFound if `id`
  // is unknown.
  virtual absl::Status RevokeOAuthToken(absl::string_view id,
                                        absl::Time at) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_OAUTH_TOKEN_STORE_H_
