// RevocationStore: revoked IAM tokens, each kept until it would have expired
// anyway. Contract: signing_key_store.h.
#ifndef TOKEND_CORE_STORE_REVOCATION_STORE_H_
#define TOKEND_CORE_STORE_REVOCATION_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class RevocationStore {
 public:
  virtual ~RevocationStore() = default;

  // Records a revocation. Idempotent: a jti already recorded is left as it
  // is (the first record wins, whoever wrote it) and OK is returned.
  virtual absl::Status InsertRevokedToken(const RevokedTokenRecord& rec) = 0;
  // Whether `jti` is recorded (expired records count until DeleteExpired).
  virtual absl::StatusOr<bool> IsTokenRevoked(absl::string_view jti) = 0;
  // Records with expires_at > now, ordered by (expires_at, jti), at most
  // `limit` of them (InvalidArgument if limit < 0). Loads in-memory
  // revocation lists (core/iam/revocation_list.h).
  virtual absl::StatusOr<std::vector<RevokedTokenRecord>> ListRevokedTokens(
      absl::Time now, int64_t limit) = 0;
  // Drops records with expires_at <= now; returns how many.
  virtual absl::StatusOr<int> DeleteExpiredRevokedTokens(absl::Time now) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_REVOCATION_STORE_H_
