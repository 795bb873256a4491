// CopyStore: a whole store into another, for moving from one process on
// SQLite to replicas on PostgreSQL (README, "Moving in"). Rows go across as
// they are: private keys stay sealed (the replicas need the master key the
// rows were sealed with), secrets stay hashed, ids and times are kept. So
// every token issued before the move verifies after it, and API keys,
// authorized keys, client tokens and OAuth tokens keep working.
//
// What is left behind, because nothing can use it: deleted service accounts
// and deleted authorized keys (their credentials are refused either way),
// revocations of tokens already expired, and the change feed.
#ifndef TOKEND_CORE_STORE_STORE_COPY_H_
#define TOKEND_CORE_STORE_STORE_COPY_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/store/backend.h"

namespace tokend::store {

// Rows copied, by kind.
struct CopyCounts {
  int signing_keys = 0;
  int api_keys = 0;
  int service_accounts = 0;
  int authorized_keys = 0;
  int oauth_tokens = 0;
  int revoked_tokens = 0;
  int users = 0;
  int sessions = 0;
  int jwt_templates = 0;
};

// Copies `from` into `to`, which must hold no signing key (a fresh database:
// FailedPrecondition otherwise, so a second run cannot mix two keyrings).
// Not atomic across tables: on an error, drop the destination and run again.
// `now` decides which revocations are still live.
absl::StatusOr<CopyCounts> CopyStore(Backend& from, Backend& to,
                                     absl::Time now);

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_STORE_COPY_H_
