// LeaseStore: who among the replicas does the once-for-all work (DESIGN §4).
// Key activation and retirement and the purges must happen once, not once
// per replica, so one replica at a time holds a named lease, timed by the
// database's clock (replicas' clocks do not matter) and renewed while it
// lives. A holder that stalls past its lease and wakes up must not act on a
// belief it lost: each change of hands bumps the lease's fencing token, and
// a leader's writes carry a Fence that the store checks in the write's own
// transaction. Contract: signing_key_store.h.
#ifndef TOKEND_CORE_STORE_LEASE_STORE_H_
#define TOKEND_CORE_STORE_LEASE_STORE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::store {

// A lease as it stands.
struct Lease {
  std::string name;
  std::string holder;
  // Grows by one each time the lease changes hands; never on a renewal.
  int64_t token = 0;
  absl::Time expires_at;  // Database clock.
};

// Proof, carried by a write, that the writer holds lease `name` with `token`.
// The store applies the write only if, in the same transaction, the lease
// still has that token and has not expired; FailedPrecondition otherwise.
struct Fence {
  std::string name;
  int64_t token = 0;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Takes lease `name` for `holder` until the database's now + `ttl`, if it
  // is free, expired, or already `holder`'s (a renewal). Returns the lease as
  // it then stands: `holder`'s if taken, otherwise whoever holds it (not an
  // error). InvalidArgument for an empty name or holder or a ttl that is not
  // positive and finite.
  virtual absl::StatusOr<Lease> AcquireLease(absl::string_view name,
                                             absl::string_view holder,
                                             absl::Duration ttl) = 0;

  // Ends `holder`'s lease at once, so another replica takes it at its next
  // attempt instead of waiting out the ttl. OK if `holder` does not hold it.
  virtual absl::Status ReleaseLease(absl::string_view name,
                                    absl::string_view holder) = 0;
};

// The fence for `lease`.
inline Fence FenceOf(const Lease& lease) { return {lease.name, lease.token}; }

// What a write with a stale `fence` fails with.
inline absl::Status LeaseLostError(const Fence& fence) {
  return absl::FailedPreconditionError(absl::StrCat(
      "lease '", fence.name, "' with token ", fence.token,
      " is no longer held (expired or taken over): not writing as its holder"));
}

// The argument checks every AcquireLease shares: InvalidArgument unless the
// name and holder are non-empty and at most 200 bytes and 0 < ttl <= 1 day.
inline absl::Status CheckLeaseRequest(absl::string_view name,
                                      absl::string_view holder,
                                      absl::Duration ttl) {
  constexpr size_t kMaxLength = 200;
  if (name.empty() || holder.empty() || name.size() > kMaxLength ||
      holder.size() > kMaxLength) {
    return absl::InvalidArgumentError(
        "lease: name and holder must be 1 to 200 bytes");
  }
  if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "lease: ttl must be positive and at most a day");
  }
  return absl::OkStatus();
}

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_LEASE_STORE_H_
