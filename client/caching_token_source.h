// CachingTokenSource: getToken() semantics over any TokenSource (DESIGN §6,
// clerk-js/clerk-ios in reference/clerk-courier.md §6).
//
// - Per cache key (GetTokenOptions::key), a token is reused while
//   expires_at - now > expiration_buffer (strictly: at exactly the buffer it
//   is fetched again).
// - At most one non-skip_cache fetch per key is in flight; callers that miss
//   while it runs wait for it and share its token or its error. Errors are
//   never cached: the next call fetches again.
// - skip_cache always starts its own upstream fetch and never joins one that
//   is already running: the caller asked for a token minted after its call
//   (e.g. after a role change), and a fetch that began earlier may predate
//   it. Its token replaces the entry; later callers that miss join it. When
//   fetches for one key overlap, the one started last wins the cache slot.
// - A fetched token that is already inside the buffer (a very short-lived
//   token) is still returned to everyone waiting for it, but every later
//   call fetches again: the rule above has no exception for it.
// - Optional proactive refresh: once a cached token comes within
//   expiration_buffer + proactive_refresh_lead of expiry, one background
//   thread per crossing fetches a replacement while callers keep getting the
//   still-valid token. If it fails the old token stays; callers fetch
//   synchronously once it enters the buffer. A token fetched already inside
//   that window (buffer + lead >= its lifetime) gets no background refresh,
//   which would otherwise chain one refresh per token: callers fetch it in
//   the foreground once it enters the buffer.
// - The upstream is never called with a lock held, so a slow fetch for one
//   key blocks neither other keys nor cache hits.
//
// A cached hit locks the padded std::mutex shard of the CPU it runs on and
// copies the token; writers lock every shard. With one reader lock instead,
// every hit writes the same lock word, which concurrent threads then pass
// back and forth (bench/client_benchmark.cc, alt/*); and absl::Mutex, slow
// under Debian's deadlock detection, stays off the hit path.
#ifndef TOKEND_CLIENT_CACHING_TOKEN_SOURCE_H_
#define TOKEND_CLIENT_CACHING_TOKEN_SOURCE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/token_source.h"
#include "core/common/clock.h"

namespace tokend::client {

struct CachingOptions {
  // Reuse a token while expires_at - now > expiration_buffer. Clamped to
  // [0, 60 s] like clerk-ios (a buffer beyond a 60 s session token's life
  // would refetch on every call).
  absl::Duration expiration_buffer = absl::Seconds(10);
  // If > 0: when a cached token comes within expiration_buffer +
  // proactive_refresh_lead of expiry, a background refresh starts (at most
  // one per key and crossing). Negative counts as 0 (off).
  absl::Duration proactive_refresh_lead = absl::ZeroDuration();
  // nullptr means RealClock::Get().
  const Clock* clock = RealClock::Get();
  // Bound on distinct keys cached (at least 1). A new key that finds the
  // cache full first evicts every entry no longer reusable; if it is still
  // full, its token is returned but not cached (no LRU: keys are template
  // names, a small set, so overflow means misuse, not a working set).
  size_t max_entries = 1024;
};

class CachingTokenSource final : public TokenSource {
 public:
  // `upstream` must not be null.
  explicit CachingTokenSource(std::shared_ptr<TokenSource> upstream,
                              CachingOptions options = {});
  // Waits for background refreshes still running (each for as long as its
  // upstream call takes). No GetToken call may be running or start.
  ~CachingTokenSource() override;

  CachingTokenSource(const CachingTokenSource&) = delete;
  CachingTokenSource& operator=(const CachingTokenSource&) = delete;

  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override;

  // Blocks until no background refresh is running; for tests, which need
  // the refresh's outcome published before they look.
  void WaitForBackgroundRefreshesForTesting();

 private:
  // One upstream call; waiters keep it alive past its removal from
  // inflight_.
  struct Fetch {
    uint64_t seq = 0;  // start order; a later start wins the cache slot
    bool done = false;
    // For a skip_cache fetch: the fetch whose inflight_ slot it took.
    std::shared_ptr<Fetch> displaced;
    absl::StatusOr<Token> result;
  };

  struct Entry {
    Token token;
    absl::Time reuse_until;    // expires_at - buffer: hit while now < this
    absl::Time refresh_after;  // reuse_until - lead: refresh once now >= this
    uint64_t seq = 0;          // the Fetch that produced the token
    // Set by the one hit that starts this token's proactive refresh.
    std::atomic<bool> refresh_started{false};
  };

  // Padded so that no two CPUs' shard locks share a cache line, nor a line
  // pair the adjacent-line prefetcher moves together.
  struct alignas(128) Shard {
    std::mutex mu;
  };
  class ExclusiveLock;  // all shards, for writes to entries_

  Shard& CurrentShard();

  absl::StatusOr<Token> GetTokenSlow(const GetTokenOptions& options);
  // Records a finished fetch: publishes a success, wakes its waiters.
  void Complete(const std::string& key, const std::shared_ptr<Fetch>& fetch,
                const absl::StatusOr<Token>& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const std::string& key, uint64_t seq, const Token& token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartRefresh(absl::string_view key);
  void RunRefresh(std::string key, std::shared_ptr<Fetch> fetch);
  bool NoRefreshRunning() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return refresh_threads_.empty();
  }

  const std::shared_ptr<TokenSource> upstream_;
  const Clock* const clock_;
  const absl::Duration buffer_;
  const absl::Duration lead_;
  const size_t max_entries_;

  // One per CPU (a power of two, at most 256): a writer locks them all,
  // which only misses and refreshes pay.
  const size_t shard_mask_;
  const std::unique_ptr<Shard[]> shards_;
  // Read under any one shard lock or under mu_; written under mu_ plus all
  // shard locks (in that order). Node-based so that Entry's atomic never
  // moves.
  absl::node_hash_map<std::string, Entry> entries_;

  absl::Mutex mu_;  // slow path: fetches in flight, refresh threads
  absl::flat_hash_map<std::string, std::shared_ptr<Fetch>> inflight_
      ABSL_GUARDED_BY(mu_);  // the last fetch started per key
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  // Running refreshes by Fetch::seq; a refresh moves its own thread to
  // finished_threads_ when done, and the next StartRefresh (or the
  // destructor) joins it.
  absl::flat_hash_map<uint64_t, std::thread> refresh_threads_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_CACHING_TOKEN_SOURCE_H_
