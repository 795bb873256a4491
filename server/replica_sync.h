// ReplicaSync: one replica's side of the change feed (DESIGN §4). A thread
// polls the shared store's feed several times per propagation bound (and at
// once when an optional notifier says a change committed) and
// drops what this replica cached for each change: API keys, accounts and
// authorized keys, sessions, users and templates are re-read on next use;
// IAM revocations are reloaded and key transitions re-read before the poll
// counts. Checks a missed change would wrongly pass (a revoked token, an
// ended session) ask IsCurrent() and fail closed with UNAVAILABLE when this
// replica has not confirmed it is current within the bound.
#ifndef TOKEND_SERVER_REPLICA_SYNC_H_
#define TOKEND_SERVER_REPLICA_SYNC_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/iam/iam_token_issuer.h"
#include "core/keys/keyring.h"
#include "core/store/change_follower.h"
#include "core/store/change_notifier.h"
#include "server/cache_invalidator.h"

namespace tokend::server {

// What a change invalidates. Pointers must outlive the ReplicaSync.
struct SyncTargets {
  const CacheInvalidator* caches = nullptr;
  iam::IamTokenIssuer* iam = nullptr;  // Revocations reloaded.
  keys::Keyring* keyring = nullptr;    // Key set re-read.
};

class ReplicaSync {
 public:
  // Positions the follower at the feed's end. Create it before the caches
  // first load, so nothing committed in between is missed.
  static absl::StatusOr<std::unique_ptr<ReplicaSync>> Create(
      store::ChangeFeedStore* feed, const Clock* clock, absl::Duration bound);
  ~ReplicaSync();  // Stops the thread.

  // Registers the handlers and starts polling every bound / 5, and, given a
  // notifier, also as soon as it wakes (a second thread waits on it, so a
  // notifier that hangs reconnecting never delays the polls).
  void Start(SyncTargets targets,
             std::unique_ptr<store::ChangeNotifier> notifier = nullptr);

  bool IsCurrent() const { return follower_->IsCurrent(); }
  // How long since the last poll that read the whole feed began: the age of
  // what this replica knows (about bound / 5 when healthy).
  absl::Duration Lag() const {
    return clock_->Now() - follower_->last_confirmed();
  }
  // UNAVAILABLE, for a check that must fail closed.
  absl::Status NotCurrent() const;

 private:
  ReplicaSync(std::unique_ptr<store::ChangeFollower> follower,
              const Clock* clock, absl::Duration bound)
      : follower_(std::move(follower)), clock_(clock), bound_(bound) {}
  absl::Status AfterDispatch();
  void PollLoop(absl::Duration interval);
  void ListenLoop();

  const std::unique_ptr<store::ChangeFollower> follower_;
  const Clock* const clock_;
  const absl::Duration bound_;
  SyncTargets targets_;
  // Set by handlers, cleared once the reload succeeded (polling thread only).
  bool reload_revocations_ = false;
  bool reload_keys_ = false;
  std::unique_ptr<store::ChangeNotifier> notifier_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
  std::thread listener_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_REPLICA_SYNC_H_
