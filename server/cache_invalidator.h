// CacheInvalidator: what one change (change_feed_store.h) drops from this
// process's caches. It is the only path by which a cache learns that what it
// holds changed: the store hands it each change this process commits, before
// the write returns (ChangeFeedStore::SetCommitObserver), and ReplicaSync
// each change another replica committed, as it follows the feed. Handlers
// that write never drop caches themselves.
//
// Revocations and signing keys are not caches: the writer updates its own
// in-memory copy (IamTokenIssuer::Revoke, Keyring), and ReplicaSync reloads
// them for other replicas' changes. Apply() ignores those kinds.
#ifndef TOKEND_SERVER_CACHE_INVALIDATOR_H_
#define TOKEND_SERVER_CACHE_INVALIDATOR_H_

#include <vector>

#include "core/auth/api_keys.h"
#include "core/iam/iam_token_issuer.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/sessions/session_tokens.h"
#include "core/store/records.h"

namespace tokend::server {

// The caches. Pointers must outlive the invalidator.
struct CacheTargets {
  auth::ApiKeyManager* api_keys = nullptr;
  iam::SaJwtChecker* checker = nullptr;
  iam::IamTokenIssuer* iam = nullptr;
  sessions::SessionTokenIssuer* sessions = nullptr;
};

class CacheInvalidator {
 public:
  explicit CacheInvalidator(CacheTargets targets) : targets_(targets) {}

  // Drops what `change` makes stale. Thread-safe.
  void Apply(const store::ChangeRecord& change) const;
  void Apply(const std::vector<store::ChangeRecord>& changes) const {
    for (const store::ChangeRecord& change : changes) Apply(change);
  }
  // Drops everything (changes may have been missed).
  void DropAll() const;

 private:
  const CacheTargets targets_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_CACHE_INVALIDATOR_H_
