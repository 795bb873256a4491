// ChangeFollower: keeps one replica's caches in step with the change feed
// (change_feed_store.h). Each Poll() reads the records appended since the
// last one and hands each to the handlers registered for its kind, which
// drop what they cached; the server polls several times per propagation
// bound. IsCurrent() says whether the last successful poll began within the
// bound: a replica that cannot say so must refuse what a missed revocation
// would wrongly allow (fail closed), rather than trust stale caches.
//
// Sequence numbers may commit out of order (PostgreSQL sequences under
// concurrent writers, or a rolled-back transaction that used one), so the
// follower keeps a position below which it has seen or given up on every
// seq: records above a gap are dispatched at once, and a gap is re-read on
// every poll until it fills or is older than `gap_timeout` (a transaction
// that never committed).
#ifndef TOKEND_CORE_STORE_CHANGE_FOLLOWER_H_
#define TOKEND_CORE_STORE_CHANGE_FOLLOWER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/store/change_feed_store.h"

namespace tokend::store {

struct ChangeFollowerOptions {
  // How stale this replica may be before IsCurrent() turns false.
  absl::Duration bound = absl::Seconds(1);
  // How long a missing seq is waited for before it is skipped.
  absl::Duration gap_timeout = absl::Seconds(10);
  // Records read per query (a poll reads until it has caught up).
  int64_t batch = 1000;
};

class ChangeFollower {
 public:
  using Handler = std::function<void(const ChangeRecord&)>;

  // Starts a window below the feed's current end: a change that took a
  // lower seq but commits after this call (a writer in flight) must not be
  // missed; the window's records are dispatched again, which only drops
  // caches. Pointers must outlive the follower.
  static absl::StatusOr<std::unique_ptr<ChangeFollower>> Create(
      ChangeFeedStore* feed, const Clock* clock,
      ChangeFollowerOptions options = {});

  // Register before the first Poll(); handlers run on the polling thread.
  void OnChange(ChangeKind kind, Handler handler);
  // Runs at the end of every Poll(), after the handlers and before the poll
  // counts as confirmed: work the handlers only flagged (a reload) happens
  // here. An error fails the poll, so IsCurrent() ages until a later poll's
  // hook succeeds; the hook must keep its own flags until then.
  void SetAfterDispatch(std::function<absl::Status()> hook);
  // Runs (before the after-dispatch hook) in a poll that gave up on a seq
  // it never read: a gap that timed out, or records purged before this
  // replica read them. It must forget everything cached, since any change
  // may be among the ones never seen.
  void SetResync(std::function<void()> resync);

  // Reads and dispatches everything new. On a store error nothing is
  // dispatched twice later and IsCurrent() ages from the last success.
  absl::Status Poll();

  // The last successful Poll() began no longer than `bound` ago.
  bool IsCurrent() const;
  absl::Time last_confirmed() const;
  int64_t position() const;

 private:
  ChangeFollower(ChangeFeedStore* feed, const Clock* clock,
                 ChangeFollowerOptions options, int64_t position);

  ChangeFeedStore* const feed_;
  const Clock* const clock_;
  const ChangeFollowerOptions options_;
  // Handlers are registered before polling starts, then only read.
  absl::flat_hash_map<ChangeKind, std::vector<Handler>> handlers_;
  std::function<absl::Status()> after_dispatch_;
  std::function<void()> resync_;

  absl::Mutex poll_mu_;  // One Poll() at a time.
  int64_t position_ ABSL_GUARDED_BY(poll_mu_);
  // Seqs above position_ already dispatched.
  absl::flat_hash_set<int64_t> seen_ ABSL_GUARDED_BY(poll_mu_);
  // When each missing seq below the highest seen was first noticed.
  std::map<int64_t, absl::Time> gaps_ ABSL_GUARDED_BY(poll_mu_);

  mutable absl::Mutex mu_;
  absl::Time last_confirmed_ ABSL_GUARDED_BY(mu_);
  int64_t published_position_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_CHANGE_FOLLOWER_H_
