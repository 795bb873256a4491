// Lockout: brute-force protection per client address (Keycloak's
// brute-force detection, by address rather than by user). Each address has
// a budget of failed credential checks that refills slowly; an address that
// spends it is refused before any lookup or cryptography for a back-off
// period that doubles with each lockout in a row.
//
// A check reserves a unit of budget before it runs and gives it back when it
// succeeds, so parallel guesses cannot race past the budget: at most
// `budget` checks from one address are ever in flight or failed unrefilled.
//
//   if (!lockout.Reserve(address, now)) return Refused();
//   absl::Status s = Check(credential);
//   s.ok() ? lockout.Succeeded(address, now) : lockout.Failed(address, now);
#ifndef TOKEND_CORE_LIMITS_LOCKOUT_H_
#define TOKEND_CORE_LIMITS_LOCKOUT_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/limits/keyed_slots.h"

namespace tokend::limits {

struct LockoutOptions {
  // Failures an address may accumulate; 0 turns lockout off.
  int64_t budget = 100;
  // Time for one failure to be forgiven.
  absl::Duration refill = absl::Seconds(6);
  // The first lockout; each further one in a row lasts twice as long.
  absl::Duration first_lock = absl::Seconds(30);
  absl::Duration max_lock = absl::Minutes(15);
};

// "BUDGET/REFILL" such as "100/6s" (one failure forgiven every REFILL), or
// "off"; the lock durations keep their defaults.
absl::StatusOr<LockoutOptions> ParseLockout(absl::string_view text);

class Lockout {
 public:
  Lockout(LockoutOptions options, size_t slots);

  // Whether `key` is locked out now.
  bool Locked(uint64_t key, absl::Time now);
  // Reserves a unit of `key`'s budget for a check about to run. False when
  // the key is locked or its budget is spent: refuse without checking.
  bool Reserve(uint64_t key, absl::Time now);
  // The check succeeded: its unit goes back.
  void Succeeded(uint64_t key, absl::Time now);
  // The check failed: its unit stays spent; spending the last one locks the
  // key. Returns whether this failure locked it.
  bool Failed(uint64_t key, absl::Time now);
  // The check ended without a verdict on the credential: as Succeeded.
  void Released(uint64_t key, absl::Time now) { Succeeded(key, now); }

  bool enabled() const { return options_.budget > 0; }

 private:
  struct Entry {
    // Budget in microseconds of refill: a unit is `refill` of them.
    struct Params {
      int64_t budget;  // units * unit
      int64_t unit;    // refill, in microseconds
      int64_t first_lock;
      int64_t max_lock;
    };
    int64_t left = 0;
    int64_t updated = 0;       // micros; refill runs from here
    int64_t locked_until = 0;  // micros
    int strikes = 0;           // lockouts in a row

    void Refill(int64_t now, const Params& p);
    bool Idle(int64_t now, const Params& p) const;
    void Reset(int64_t now, const Params& p);
  };

  const LockoutOptions options_;
  const Entry::Params params_;
  KeyedSlots<Entry> entries_;
};

}  // namespace tokend::limits

#endif  // TOKEND_CORE_LIMITS_LOCKOUT_H_
