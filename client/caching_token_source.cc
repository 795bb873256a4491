#include "client/caching_token_source.h"

#include <sched.h>

#include <algorithm>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/container/node_hash_map.h"

namespace tokend::client {
namespace {

constexpr absl::Duration kMaxBuffer = absl::Seconds(60);

constexpr size_t kMaxShards = 256;

size_t ShardCount() {
  size_t cpus = std::thread::hardware_concurrency();
  cpus = std::clamp<size_t>(cpus, 1, kMaxShards);
  size_t shards = 1;
  while (shards < cpus) shards <<= 1;
  return shards;
}

}  // namespace

class CachingTokenSource::ExclusiveLock {
 public:
  explicit ExclusiveLock(CachingTokenSource& source) : source_(source) {
    for (size_t i = 0; i <= source_.shard_mask_; ++i) {
      source_.shards_[i].mu.lock();
    }
  }
  ~ExclusiveLock() {
    for (size_t i = 0; i <= source_.shard_mask_; ++i) {
      source_.shards_[i].mu.unlock();
    }
  }
  ExclusiveLock(const ExclusiveLock&) = delete;
  ExclusiveLock& operator=(const ExclusiveLock&) = delete;

 private:
  CachingTokenSource& source_;
};

CachingTokenSource::CachingTokenSource(std::shared_ptr<TokenSource> upstream,
                                       CachingOptions options)
    : upstream_(std::move(upstream)),
      clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
      buffer_(std::clamp(options.expiration_buffer, absl::ZeroDuration(),
                         kMaxBuffer)),
      lead_(std::max(options.proactive_refresh_lead, absl::ZeroDuration())),
      max_entries_(std::max<size_t>(options.max_entries, 1)),
      shard_mask_(ShardCount() - 1),
      shards_(new Shard[shard_mask_ + 1]) {}

CachingTokenSource::~CachingTokenSource() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    mu_.Await(absl::Condition(this, &CachingTokenSource::NoRefreshRunning));
    threads = std::move(finished_threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

void CachingTokenSource::WaitForBackgroundRefreshesForTesting() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &CachingTokenSource::NoRefreshRunning));
}

CachingTokenSource::Shard& CachingTokenSource::CurrentShard() {
  // glibc (>= 2.35) answers from the rseq area: a load, no system call. Per
  // CPU rather than per thread, so that thread churn cannot pile two running
  // threads onto one shard. A thread that migrates meanwhile merely shares.
  int cpu = sched_getcpu();
  if (cpu < 0) cpu = 0;
  return shards_[static_cast<size_t>(cpu) & shard_mask_];
}

absl::StatusOr<Token> CachingTokenSource::GetToken(
    const GetTokenOptions& options) {
  if (!options.skip_cache) {
    const absl::Time now = clock_->Now();
    std::unique_lock<std::mutex> lock(CurrentShard().mu);
    auto it = entries_.find(options.key);
    if (it != entries_.end() && now < it->second.reuse_until) {
      Entry& entry = it->second;
      absl::StatusOr<Token> token(absl::in_place, entry.token);
      // Load before exchanging: in the refresh window every hit would
      // otherwise write the entry's cache line.
      const bool start_refresh =
          now >= entry.refresh_after &&
          !entry.refresh_started.load(std::memory_order_relaxed) &&
          !entry.refresh_started.exchange(true, std::memory_order_relaxed);
      lock.unlock();
      if (start_refresh) StartRefresh(options.key);
      return token;
    }
  }
  return GetTokenSlow(options);
}

absl::StatusOr<Token> CachingTokenSource::GetTokenSlow(
    const GetTokenOptions& options) {
  std::shared_ptr<Fetch> fetch;
  {
    absl::MutexLock lock(&mu_);
    if (!options.skip_cache) {
      // Another caller may have published since our shard lookup.
      auto it = entries_.find(options.key);
      if (it != entries_.end() && clock_->Now() < it->second.reuse_until) {
        return it->second.token;
      }
      auto inflight = inflight_.find(options.key);
      if (inflight != inflight_.end()) {
        const std::shared_ptr<Fetch> joined = inflight->second;
        mu_.Await(absl::Condition(&joined->done));
        return joined->result;
      }
    }
    fetch = std::make_shared<Fetch>();
    fetch->seq = ++next_seq_;
    std::shared_ptr<Fetch>& slot = inflight_[options.key];
    // A skip_cache fetch takes the slot from a running one, which gets it
    // back if still running when this one completes (Complete): at most one
    // non-skip_cache fetch per key stays the rule.
    if (slot != nullptr && !slot->done) fetch->displaced = slot;
    slot = fetch;
  }
  absl::StatusOr<Token> result = upstream_->GetToken(options);
  {
    absl::MutexLock lock(&mu_);
    Complete(options.key, fetch, result);
  }
  return result;
}

void CachingTokenSource::Complete(const std::string& key,
                                  const std::shared_ptr<Fetch>& fetch,
                                  const absl::StatusOr<Token>& result) {
  if (result.ok()) Publish(key, fetch->seq, *result);
  auto it = inflight_.find(key);
  // A skip_cache fetch may have taken the slot since; leave it to that one.
  if (it != inflight_.end() && it->second == fetch) {
    if (fetch->displaced != nullptr && !fetch->displaced->done) {
      it->second = std::move(fetch->displaced);
    } else {
      inflight_.erase(it);
    }
  }
  fetch->displaced.reset();
  fetch->result = result;
  fetch->done = true;
}

void CachingTokenSource::Publish(const std::string& key, uint64_t seq,
                                 const Token& token) {
  auto it = entries_.find(key);
  if (it != entries_.end() && seq < it->second.seq) return;  // stale fetch
  ExclusiveLock lock(*this);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) {
      const absl::Time now = clock_->Now();
      absl::erase_if(entries_, [now](const auto& kv) {
        return now >= kv.second.reuse_until;
      });
      if (entries_.size() >= max_entries_) return;  // full of usable tokens
    }
    it = entries_.try_emplace(key).first;
  }
  Entry& entry = it->second;
  entry.token = token;
  entry.reuse_until = token.expires_at - buffer_;
  entry.refresh_after = entry.reuse_until - lead_;
  entry.seq = seq;
  // A token born inside the refresh window (buffer + lead >= its lifetime)
  // is not refreshed in the background: that would chain one refresh per
  // token forever. Callers fetch it in the foreground at the buffer.
  entry.refresh_started.store(clock_->Now() >= entry.refresh_after,
                              std::memory_order_relaxed);
}

void CachingTokenSource::StartRefresh(absl::string_view key) {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_ || inflight_.contains(key)) return;
    // The entry may have been replaced since the hit that got us here.
    auto it = entries_.find(key);
    const absl::Time now = clock_->Now();
    if (it == entries_.end() || now < it->second.refresh_after) return;
    auto fetch = std::make_shared<Fetch>();
    fetch->seq = ++next_seq_;
    // The thread first: if it cannot start (EAGAIN under a process limit),
    // no fetch that never finishes may be left for callers to wait on.
    std::thread thread;
    try {
      thread = std::thread(&CachingTokenSource::RunRefresh, this,
                           std::string(key), fetch);
    } catch (const std::system_error&) {
      // The next hit in the window tries again.
      it->second.refresh_started.store(false, std::memory_order_relaxed);
      return;
    }
    // Callers that enter the buffer meanwhile join this fetch (inflight_).
    // RunRefresh takes mu_ before touching either map, so it waits for this.
    inflight_.emplace(key, fetch);
    refresh_threads_.emplace(fetch->seq, std::move(thread));
    finished = std::move(finished_threads_);
    finished_threads_.clear();
  }
  for (std::thread& thread : finished) thread.join();
}

void CachingTokenSource::RunRefresh(std::string key,
                                    std::shared_ptr<Fetch> fetch) {
  // skip_cache so that a caching upstream hands over a newer token too.
  GetTokenOptions options;
  options.key = key;
  options.skip_cache = true;
  absl::StatusOr<Token> result = upstream_->GetToken(options);
  absl::MutexLock lock(&mu_);
  Complete(key, fetch, result);
  // StartRefresh inserted our thread before we could take mu_.
  auto it = refresh_threads_.find(fetch->seq);
  finished_threads_.push_back(std::move(it->second));
  refresh_threads_.erase(it);
}

}  // namespace tokend::client
