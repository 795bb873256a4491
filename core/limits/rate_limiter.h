// RateLimiter: token buckets per key ("N per period": a bucket of N tokens
// refilled evenly over the period, so a quiet key may burst N at once and a
// busy one gets N per period sustained). Keys are 64-bit hashes of what is
// limited (a credential's hash, a client address); memory is bounded by
// KeyedSlots, and a bucket that has refilled is idle and reused first.
//
//   RateLimiter limiter(*ParseRate("1000/10s"), 16384);
//   if (absl::Duration wait = limiter.Take(key, clock.Now()); wait > 0) {
//     // refuse; retry after `wait`
//   }
#ifndef TOKEND_CORE_LIMITS_RATE_LIMITER_H_
#define TOKEND_CORE_LIMITS_RATE_LIMITER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/limits/keyed_slots.h"

namespace tokend::limits {

struct Rate {
  // Bucket size; 0 means unlimited.
  int64_t count = 0;
  // Time to refill an empty bucket.
  absl::Duration period = absl::Seconds(1);

  bool unlimited() const { return count <= 0; }
};

// "N/PERIOD" (1 ≤ N ≤ 10^6; PERIOD an absl duration such as 10s, 1m,
// 500ms, from 1ms to 24h) or "off".
absl::StatusOr<Rate> ParseRate(absl::string_view text);
std::string FormatRate(const Rate& rate);

class RateLimiter {
 public:
  RateLimiter(Rate rate, size_t slots);

  // Takes a token from `key`'s bucket: zero when there was one, else how
  // long until there will be (nothing is taken then). Always zero when the
  // rate is unlimited.
  absl::Duration Take(uint64_t key, absl::Time now);

  const Rate& rate() const { return rate_; }

 private:
  // Exact integer arithmetic: a token is `period` microseconds' worth of
  // level and every microsecond adds `count` (so N per period refill).
  struct Bucket {
    struct Params {
      int64_t capacity;   // count * period
      int64_t cost;       // period, in microseconds
      int64_t per_micro;  // count
    };
    int64_t level = 0;
    int64_t updated = 0;  // micros

    void Refill(int64_t now, const Params& p);
    bool Idle(int64_t now, const Params& p) const;
    void Reset(int64_t now, const Params& p);
  };

  const Rate rate_;
  const Bucket::Params params_;
  KeyedSlots<Bucket> buckets_;
};

}  // namespace tokend::limits

#endif  // TOKEND_CORE_LIMITS_RATE_LIMITER_H_
