// KeyedSlots: a fixed number of per-key entries in sets of kWays, for state
// kept per caller (rate-limit buckets, failure counts) whose memory must
// stay bounded whatever keys an attacker sprays. A new key takes a slot its
// set no longer needs (Entry::Idle), else the set's least recently used one:
// no allocation after construction, one short lock per access.
#ifndef TOKEND_CORE_LIMITS_KEYED_SLOTS_H_
#define TOKEND_CORE_LIMITS_KEYED_SLOTS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tokend::limits {

// Entry: default-constructible, with a `Params` type (what all entries
// share, such as a rate), `bool Idle(int64_t now_micros, const Params&)
// const` (dropping it loses nothing) and `void Reset(int64_t now_micros,
// const Params&)` (the state of a key never seen).
template <typename Entry>
class KeyedSlots {
 public:
  static constexpr size_t kWays = 8;

  // At least `slots` entries (rounded up to a power of two sets).
  using Params = typename Entry::Params;

  KeyedSlots(size_t slots, Params params) : params_(params) {
    size_t sets = 1;
    while (sets * kWays < slots) sets <<= 1;
    mask_ = sets - 1;
    sets_ = std::make_unique<Set[]>(sets);
  }

  size_t capacity() const { return (mask_ + 1) * kWays; }

  // Runs `f(Entry&)` on `key`'s entry under its set's lock and returns its
  // result; the entry is created (Reset) if the key has none.
  template <typename F>
  auto With(uint64_t key, int64_t now_micros, F&& f) {
    if (key == 0) key = 1;  // 0 marks a free slot
    Set& set = sets_[key & mask_];
    absl::MutexLock lock(&set.mu);
    Slot* victim = nullptr;
    for (Slot& slot : set.slots) {
      if (slot.key == key) {
        slot.last_used = now_micros;
        return f(slot.entry);
      }
      if (victim == nullptr || slot.key == 0 ||
          (victim->key != 0 && Older(slot, *victim, now_micros, params_))) {
        victim = &slot;
      }
    }
    victim->key = key;
    victim->last_used = now_micros;
    victim->entry.Reset(now_micros, params_);
    return f(victim->entry);
  }

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t last_used = 0;
    Entry entry;
  };
  struct Set {
    absl::Mutex mu;
    Slot slots[kWays] ABSL_GUARDED_BY(mu);
  };

  // Whether `a` is a better slot to reuse than `b`: an idle entry first,
  // then the one used longest ago.
  static bool Older(const Slot& a, const Slot& b, int64_t now,
                    const Params& params) {
    const bool a_idle = a.entry.Idle(now, params);
    const bool b_idle = b.entry.Idle(now, params);
    if (a_idle != b_idle) return a_idle;
    return a.last_used < b.last_used;
  }

  const Params params_;
  size_t mask_ = 0;
  std::unique_ptr<Set[]> sets_;
};

}  // namespace tokend::limits

#endif  // TOKEND_CORE_LIMITS_KEYED_SLOTS_H_
