// ChangeNotifier: an optional wake-up for a change feed follower. A change
// feed is followed by polling (the floor: nothing is missed without a
// notifier); a notifier only lets the follower poll as soon as a change
// commits instead of at its next tick. PostgreSQL's LISTEN/NOTIFY is one;
// databases without it simply have none.
#ifndef TOKEND_CORE_STORE_CHANGE_NOTIFIER_H_
#define TOKEND_CORE_STORE_CHANGE_NOTIFIER_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tokend::store {

class ChangeNotifier {
 public:
  virtual ~ChangeNotifier() = default;

  // Waits at most `timeout` for word that a change committed. True when
  // woken (all pending notices are consumed: one poll answers them all;
  // a reconnect also wakes, as notices may have been lost meanwhile);
  // false on timeout. An error means the channel is down: the caller
  // falls back to its polling tick and calls again later, which
  // reconnects.
  virtual absl::StatusOr<bool> Wait(absl::Duration timeout) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_CHANGE_NOTIFIER_H_
