// SigningKeyStore: the keyring's rows (DESIGN §3, §4). Contract shared by every
// store interface in this directory:
// - Every method is thread-safe.
// - Each mutating call is atomic: it applies completely or not at all.
// - Errors: NotFound for a missing row, AlreadyExists for a duplicate key,
//   InvalidArgument for a request that can never succeed, Unavailable when
//   the backend cannot be reached (retry later), Internal or DataLoss for
//   backend faults.
#ifndef TOKEND_CORE_STORE_SIGNING_KEY_STORE_H_
#define TOKEND_CORE_STORE_SIGNING_KEY_STORE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/store/lease_store.h"
#include "core/store/records.h"

namespace tokend::store {

class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;

  // Every signing key, ordered by (slot, created_at, kid).
  virtual absl::StatusOr<std::vector<SigningKeyRecord>> ListSigningKeys() = 0;

  // Adds a key. AlreadyExists if `rec.kid` is taken, or if its slot already
  // has a key in `rec`'s state and that state is active or next (at most one
  // of each per slot: two replicas rotating at once cannot both start).
  virtual absl::Status InsertSigningKey(const SigningKeyRecord& rec) = 0;

  // In ONE transaction, and only if `fence` still holds its lease
  // (lease_store.h; FailedPrecondition otherwise): overwrites every record in
  // `changed` (matched by kid; each must already exist) and deletes every kid
  // in `deleted_kids` (each must exist). Transitions are the leader's alone. A
  // rotation step is one call, so readers never observe a half-applied
  // transition, and two replicas racing on one step cannot both apply it (the
  // loser's kids are gone or its slot already has an active key). On any error
  // nothing is applied:
  //   NotFound         a changed or deleted kid does not exist;
  //   InvalidArgument  a kid appears twice across `changed` and
  //                    `deleted_kids`;
  //   AlreadyExists    the result would have two active (or two next) keys
  //                    in one slot.
  // The order of `changed` does not matter: retiring a slot's active key and
  // activating its successor in the same call is fine.
  virtual absl::Status UpdateSigningKeys(
      const Fence& fence, const std::vector<SigningKeyRecord>& changed,
      const std::vector<std::string>& deleted_kids) = 0;
};

// For implementations: InvalidArgument if a kid appears twice across
// `changed` and `deleted_kids`.
inline absl::Status CheckDistinctKids(
    const std::vector<SigningKeyRecord>& changed,
    const std::vector<std::string>& deleted_kids) {
  absl::flat_hash_set<absl::string_view> seen;
  for (const SigningKeyRecord& rec : changed) {
    if (!seen.insert(rec.kid).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("signing key '", rec.kid, "' given twice"));
    }
  }
  for (const std::string& kid : deleted_kids) {
    if (!seen.insert(kid).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("signing key '", kid, "' given twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_SIGNING_KEY_STORE_H_
