// BoundedCache: the one cache type for what tokend reads from its store
// (API keys, service accounts and their keys, sessions, JWT templates).
//
// - An entry serves for `ttl` after it was read (the injected clock), then
//   it is read again: a change the change feed missed lives at most this
//   long.
// - At most `max_entries`: inserting into a full cache evicts the oldest
//   insertion, one entry, never the whole cache (clearing everything when
//   full would send every caller to the database at once). Under a spray of
//   distinct keys, each miss costs O(1).
// - Through a store outage an entry may serve past its ttl, for a grace
//   the caller chooses (GetStale), and then no longer: issuance keeps going
//   for a while on what was last read, and fails closed after.
// - A read that overlaps an invalidation is not cached. The caller takes a
//   Ticket before reading the store and hands it to Put(); if anything was
//   erased in between, Put() drops the value (it may be the copy from before
//   the change the erase announced), and the caller uses it once.
//
// Thread-safe: one mutex, held for map operations only.
#ifndef TOKEND_CORE_COMMON_BOUNDED_CACHE_H_
#define TOKEND_CORE_COMMON_BOUNDED_CACHE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/clock.h"

namespace tokend {

// A store error that says "the store is unreachable now", as opposed to an
// answer: the case GetStale is for.
inline bool IsOutage(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

template <typename V>
class BoundedCache {
 public:
  // What Put() needs to know whether an invalidation happened since.
  class Ticket {
   private:
    friend class BoundedCache;
    explicit Ticket(uint64_t generation) : generation_(generation) {}
    uint64_t generation_;
  };

  // `clock` must outlive the cache. A ttl <= 0 or max_entries == 0 caches
  // nothing.
  BoundedCache(const Clock* clock, absl::Duration ttl, size_t max_entries)
      : clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

  BoundedCache(const BoundedCache&) = delete;
  BoundedCache& operator=(const BoundedCache&) = delete;

  // Take before reading the store for a value to Put().
  Ticket Begin() {
    absl::MutexLock lock(&mu_);
    return Ticket(generation_);
  }

  // The value stored under `key` if it was read less than ttl ago; nullptr
  // otherwise. (An expired entry stays, for GetStale, until evicted or
  // replaced.)
  std::shared_ptr<const V> Get(absl::string_view key) {
    return GetYoungerThan(key, ttl_);
  }

  // The value stored under `key` if it was read less than `max_age` ago,
  // even past the ttl: for a caller whose store read just failed with an
  // outage (IsOutage).
  std::shared_ptr<const V> GetStale(absl::string_view key,
                                    absl::Duration max_age) {
    return GetYoungerThan(key, max_age);
  }

  // Stores `value` (read now) under `key`, unless something was erased since
  // `ticket` was taken.
  void Put(absl::string_view key, std::shared_ptr<const V> value,
           Ticket ticket) {
    if (ttl_ <= absl::ZeroDuration() || max_entries_ == 0) return;
    const absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    if (ticket.generation_ != generation_) return;
    const uint64_t seq = ++next_seq_;
    Entry& entry = entries_[key];
    entry = Entry{std::move(value), now, seq};
    order_.emplace_back(std::string(key), seq);
    while (entries_.size() > max_entries_) EvictOldest();
    // Erased, expired and replaced entries leave stale slots behind.
    if (order_.size() > 2 * max_entries_ + 16) Compact();
  }

  void Erase(absl::string_view key) {
    absl::MutexLock lock(&mu_);
    ++generation_;
    entries_.erase(key);
  }

  // Erases every entry whose value satisfies `pred(const V&)`.
  template <typename Pred>
  void EraseIf(Pred pred) {
    absl::MutexLock lock(&mu_);
    ++generation_;
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto current = it++;
      if (pred(*current->second.value)) entries_.erase(current);
    }
  }

  void Clear() {
    absl::MutexLock lock(&mu_);
    ++generation_;
    entries_.clear();
    order_.clear();
  }

  size_t size() {
    absl::MutexLock lock(&mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::shared_ptr<const V> value;
    absl::Time fetched_at;
    uint64_t seq = 0;  // Matches its slot in order_.
  };

  std::shared_ptr<const V> GetYoungerThan(absl::string_view key,
                                          absl::Duration max_age) {
    const absl::Time now = clock_->Now();
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    // A clock that went back makes the age unknown: read again.
    if (now < it->second.fetched_at || now - it->second.fetched_at >= max_age) {
      return nullptr;
    }
    return it->second.value;
  }

  void EvictOldest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!order_.empty()) {
      auto [key, seq] = std::move(order_.front());
      order_.pop_front();
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second.seq == seq) {
        entries_.erase(it);
        return;
      }
    }
  }

  void Compact() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::pair<uint64_t, const std::string*>> live;
    live.reserve(entries_.size());
    for (const auto& [key, entry] : entries_)
      live.emplace_back(entry.seq, &key);
    std::sort(live.begin(), live.end());
    std::deque<std::pair<std::string, uint64_t>> order;
    for (const auto& [seq, key] : live) order.emplace_back(*key, seq);
    order_ = std::move(order);
  }

  const Clock* const clock_;
  const absl::Duration ttl_;
  const size_t max_entries_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Insertion order, oldest first; a slot whose seq no longer matches its
  // entry is stale and skipped.
  std::deque<std::pair<std::string, uint64_t>> order_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped by every erase: Put() refuses tickets from before it.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tokend

#endif  // TOKEND_CORE_COMMON_BOUNDED_CACHE_H_
