// RevocationList: an in-memory copy of the Store's revoked IAM tokens
// (revoked_tokens), so that checking a jti on the hot path (Verify,
// CreateForServiceAccount) is a hash lookup under a reader lock instead of a
// database read.
//
// Invariants:
// - The store is the truth. Revoke() writes the store first and only then the
//   memory, so a crash loses nothing and memory never holds a revocation the
//   store did not accept.
// - Memory holds at most options.max_entries revocations. While every
//   unexpired revocation of the store fits, the list is "complete" and
//   IsRevoked() never touches the store. When a revocation does not fit, the
//   list becomes incomplete: a jti found in memory is still answered from
//   memory, every other jti from the store (IsTokenRevoked) — slower, never
//   wrong. PurgeExpired() reloads from the store and becomes complete again
//   once everything fits.
// - Revocations live until their record's expires_at (the token's exp plus
//   the verification skew, see IamTokenIssuer::Revoke), so the size is
//   bounded by revocations per token lifetime. Records already expired when
//   the list is loaded are not loaded; their tokens fail time checks anyway.
//   A loaded revocation is reported until PurgeExpired() drops it, as
//   RevocationStore::IsTokenRevoked does.
//
// One list per store and process: revocations written to the store by
// someone else (another process or another list) are seen only after
// Reload() or while the list is incomplete. Thread-safe.
#ifndef TOKEND_CORE_IAM_REVOCATION_LIST_H_
#define TOKEND_CORE_IAM_REVOCATION_LIST_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/store/records.h"
#include "core/store/revocation_store.h"

namespace tokend::iam {

struct RevocationListOptions {
  // Most revocations held in memory (>= 0). Beyond it, lookups of jtis not
  // in memory go to the store. An entry costs roughly 100 bytes.
  int64_t max_entries = 1'000'000;
};

class RevocationList {
 public:
  // Loads the store's unexpired revocations (at clock->Now()).
  // InvalidArgument for a null pointer or max_entries < 0; store errors as
  // returned. Both pointers must outlive the list.
  static absl::StatusOr<std::unique_ptr<RevocationList>> Create(
      store::RevocationStore* store, const Clock* clock,
      RevocationListOptions options = {});

  RevocationList(const RevocationList&) = delete;
  RevocationList& operator=(const RevocationList&) = delete;

  // Records `rec` in the store (durable), then in memory. Idempotent: a jti
  // already revoked keeps its first record, as in the store. On a store
  // error nothing changes and the error is returned.
  absl::Status Revoke(const store::RevokedTokenRecord& rec);

  // Whether `jti` is revoked. From memory alone while the list is complete;
  // otherwise a miss is looked up in the store (whose errors are returned).
  absl::StatusOr<bool> IsRevoked(absl::string_view jti) const;

  // Deletes revocations with expires_at <= now from the store
  // (DeleteExpiredRevokedTokens), then from memory; returns how many rows the
  // store deleted. An incomplete list is then reloaded from the store. On a
  // store error memory is left as it was.
  absl::StatusOr<int> PurgeExpired(absl::Time now);

  // Replaces memory with the store's revocations unexpired at clock->Now().
  // Picks up revocations written to the store by others. On error memory is
  // left as it was.
  absl::Status Reload();

  // Revocations held in memory.
  int64_t size() const;
  // Whether memory holds every revocation (false after the cap was hit).
  bool complete() const;

 private:
  RevocationList(store::RevocationStore* store, const Clock* clock,
                 RevocationListOptions options);

  absl::Status ReloadLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  store::RevocationStore* const store_;
  const Clock* const clock_;
  const RevocationListOptions options_;

  // Serializes the writers (Revoke, PurgeExpired, Reload) across their store
  // call and memory update, so that a reload can never drop a revocation
  // recorded while it ran. Readers never take it. Acquired before mu_.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // Guards memory; IsRevoked takes it shared.
  mutable absl::Mutex mu_;
  // jti -> the record's expires_at.
  absl::flat_hash_map<std::string, absl::Time> expiry_by_jti_
      ABSL_GUARDED_BY(mu_);
  bool complete_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace tokend::iam

#endif  // TOKEND_CORE_IAM_REVOCATION_LIST_H_
