// ChangeFeedStore: the log of changes other replicas must act on (DESIGN §4).
// Every mutation that ends or alters something replicas cache — a revocation,
// a deletion, a status change, a key transition — appends one record in the
// same transaction as the change itself, so the log never misses a committed
// change and never shows an uncommitted one. Replicas follow it by polling
// (the floor) and drop what they cached for each record. Contract:
// signing_key_store.h.
#ifndef TOKEND_CORE_STORE_CHANGE_FEED_STORE_H_
#define TOKEND_CORE_STORE_CHANGE_FEED_STORE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class ChangeFeedStore {
 public:
  virtual ~ChangeFeedStore() = default;

  // Records with seq > after_seq, ascending, at most `limit` (InvalidArgument
  // if limit < 0). Sequence numbers grow with each append and are never
  // reused, but may commit out of order under concurrent writers
  // (PostgreSQL): a follower re-reads recent gaps rather than trusting that
  // everything below the highest seq it saw has arrived.
  virtual absl::StatusOr<std::vector<ChangeRecord>> ListChanges(
      int64_t after_seq, int64_t limit) = 0;

  // The highest committed seq, 0 when the log is empty.
  virtual absl::StatusOr<int64_t> LastChangeSeq() = 0;

  // Drops records written before `before` (database clock); returns how
  // many. Followers that fell further behind reload everything.
  virtual absl::StatusOr<int> DeleteChangesBefore(absl::Time before) = 0;

  // Called after each transaction that appended changes commits, with those
  // changes (kind and key; seq and at unset), on the committing thread and
  // with no lock of the store held. The process that wrote a change acts on
  // it through this at once, before the write returns; other replicas learn
  // of it by following the feed. So a cache is dropped on this one path, not
  // by every caller of a write remembering to. Set once, before the store
  // is shared between threads.
  using CommitObserver = std::function<void(const std::vector<ChangeRecord>&)>;
  virtual void SetCommitObserver(CommitObserver observer) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_CHANGE_FEED_STORE_H_
