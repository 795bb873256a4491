#include "client/caching_token_source.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "gtest/gtest.h"

namespace tokend::client {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

// Blocks one upstream call until the test releases it.
struct Gate {
  absl::Notification entered;
  absl::Notification release;
  void Pass() {
    entered.Notify();
    release.WaitForNotification();
  }
};

// Counts calls; by default the n-th call (1-based) returns "token-n" that
// expires `lifetime` after the clock's now. A handler, if set, decides
// instead (and may block).
class FakeUpstream : public TokenSource {
 public:
  using Handler =
      std::function<absl::StatusOr<Token>(const GetTokenOptions&, int n)>;

  FakeUpstream(const Clock* clock, absl::Duration lifetime)
      : clock_(clock), lifetime_(lifetime) {}

  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override {
    int n;
    Handler handler;
    {
      absl::MutexLock lock(&mu_);
      n = ++calls_;
      ++calls_by_key_[options.key];
      handler = handler_;
    }
    if (handler) return handler(options, n);
    return MakeToken(n);
  }

  Token MakeToken(int n) const {
    absl::MutexLock lock(&mu_);
    return Token{absl::StrCat("token-", n), clock_->Now() + lifetime_};
  }
  void set_handler(Handler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }
  void set_lifetime(absl::Duration lifetime) {
    absl::MutexLock lock(&mu_);
    lifetime_ = lifetime;
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  int calls(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    auto it = calls_by_key_.find(key);
    return it == calls_by_key_.end() ? 0 : it->second;
  }

 private:
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::Duration lifetime_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, int> calls_by_key_ ABSL_GUARDED_BY(mu_);
};

GetTokenOptions Key(std::string key, bool skip_cache = false) {
  GetTokenOptions options;
  options.key = std::move(key);
  options.skip_cache = skip_cache;
  return options;
}

std::string Value(const absl::StatusOr<Token>& token) {
  return token.ok() ? token->value : token.status().ToString();
}

class CachingTokenSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<CachingTokenSource> Make(CachingOptions options = {}) {
    options.clock = &clock_;
    return std::make_unique<CachingTokenSource>(upstream_, options);
  }

  FakeClock clock_{kStart};
  std::shared_ptr<FakeUpstream> upstream_ =
      std::make_shared<FakeUpstream>(&clock_, absl::Minutes(1));
};

TEST_F(CachingTokenSourceTest, ReusesTokenOneSecondOutsideBuffer) {
  upstream_->set_lifetime(absl::Seconds(11));
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(upstream_->calls(), 1);
}

TEST_F(CachingTokenSourceTest, RefetchesAtExactlyTheBuffer) {
  upstream_->set_lifetime(absl::Seconds(10));
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, RefetchesOneSecondInsideBuffer) {
  upstream_->set_lifetime(absl::Seconds(9));
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, BufferEdgeAsTheClockMoves) {
  auto source = Make();  // 60 s tokens, 10 s buffer
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(49));  // 11 s left
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(1));  // 10 s left
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, BufferIsClampedTo60Seconds) {
  CachingOptions options;
  options.expiration_buffer = absl::Seconds(120);
  auto source = Make(options);
  upstream_->set_lifetime(absl::Seconds(61));
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-1");
  upstream_->set_lifetime(absl::Seconds(60));
  EXPECT_EQ(Value(source->GetToken(Key("b"))), "token-2");
  EXPECT_EQ(Value(source->GetToken(Key("b"))), "token-3");
}

TEST_F(CachingTokenSourceTest, NegativeBufferIsZero) {
  CachingOptions options;
  options.expiration_buffer = absl::Seconds(-5);
  auto source = Make(options);
  upstream_->set_lifetime(absl::Seconds(1));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(1));  // exactly at expiry: 0 left, not > 0
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
}

TEST_F(CachingTokenSourceTest, TokenWithoutExpiryIsReusedForever) {
  upstream_->set_handler([](const GetTokenOptions&, int) {
    return Token{"forever", absl::InfiniteFuture()};
  });
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "forever");
  clock_.Advance(absl::Hours(24 * 365 * 10));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "forever");
  EXPECT_EQ(upstream_->calls(), 1);
}

TEST_F(CachingTokenSourceTest, ShortLivedTokenIsReturnedButNotReused) {
  upstream_->set_lifetime(absl::Seconds(5));  // inside the 10 s buffer
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-3");
}

TEST_F(CachingTokenSourceTest, SkipCacheFetchesAndReplacesTheEntry) {
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key("", /*skip_cache=*/true))), "token-2");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, SkipCacheDoesNotJoinAnEarlierFetch) {
  Gate first;
  upstream_->set_handler([&](const GetTokenOptions&, int n) {
    if (n == 1) first.Pass();
    return upstream_->MakeToken(n);
  });
  auto source = Make();
  absl::StatusOr<Token> plain;
  std::thread caller([&] { plain = source->GetToken(Key("")); });
  first.entered.WaitForNotification();
  // Fetch 1 is stuck; the skip_cache caller gets its own, newer token.
  EXPECT_EQ(Value(source->GetToken(Key("", /*skip_cache=*/true))), "token-2");
  first.release.Notify();
  caller.join();
  EXPECT_EQ(Value(plain), "token-1");
  // Fetch 1 finished last but started first: it must not replace token-2.
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

// A failed skip_cache fetch hands the slot back to the normal fetch it
// displaced: a caller that misses meanwhile joins that one instead of
// starting a second normal fetch. (The sleep gives the caller time to reach
// the wait; a straggler hits the cache and the assertions still hold.)
TEST_F(CachingTokenSourceTest, FailedSkipCacheLeavesOneNormalFetch) {
  Gate first;
  upstream_->set_handler(
      [&](const GetTokenOptions&, int n) -> absl::StatusOr<Token> {
        if (n == 1) first.Pass();
        if (n == 2) return absl::UnavailableError("blip");
        return upstream_->MakeToken(n);
      });
  auto source = Make();
  absl::StatusOr<Token> a, b;
  std::thread caller_a([&] { a = source->GetToken(Key("")); });
  first.entered.WaitForNotification();
  EXPECT_FALSE(source->GetToken(Key("", /*skip_cache=*/true)).ok());
  std::thread caller_b([&] { b = source->GetToken(Key("")); });
  absl::SleepFor(absl::Milliseconds(50));
  first.release.Notify();
  caller_a.join();
  caller_b.join();
  EXPECT_EQ(Value(a), "token-1");
  EXPECT_EQ(Value(b), "token-1");
  EXPECT_EQ(upstream_->calls(), 2);
}

// The callers wait at a barrier, then miss together while the one fetch is
// blocked. The sleep only gives the others time to reach the wait; a
// straggler would hit the cache instead, and the assertions hold either way.
TEST_F(CachingTokenSourceTest, ConcurrentCallersShareOneFetch) {
  constexpr int kThreads = 64;
  Gate gate;
  upstream_->set_handler([&](const GetTokenOptions&, int n) {
    gate.Pass();
    return upstream_->MakeToken(n);
  });
  auto source = Make();
  absl::Barrier barrier(kThreads + 1);
  std::vector<absl::StatusOr<Token>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      barrier.Block();
      results[i] = source->GetToken(Key(""));
    });
  }
  barrier.Block();
  gate.entered.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(50));
  gate.release.Notify();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(upstream_->calls(), 1);
  for (const auto& result : results) EXPECT_EQ(Value(result), "token-1");
}

TEST_F(CachingTokenSourceTest, ErrorReachesEveryWaiterAndIsNotCached) {
  constexpr int kThreads = 64;
  Gate gate;
  upstream_->set_handler(
      [&](const GetTokenOptions&, int n) -> absl::StatusOr<Token> {
        if (n == 1) {
          gate.Pass();
          return absl::UnavailableError("tokend down");
        }
        return upstream_->MakeToken(n);
      });
  auto source = Make();
  absl::Barrier barrier(kThreads + 1);
  std::vector<absl::StatusOr<Token>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      barrier.Block();
      results[i] = source->GetToken(Key(""));
    });
  }
  barrier.Block();
  gate.entered.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(50));  // as above: not an assertion
  gate.release.Notify();
  for (std::thread& thread : threads) thread.join();
  // Everyone who waited got the error; a straggler arriving after it would
  // have fetched again (token-2) rather than see a cached error.
  for (const auto& result : results) {
    if (!result.ok()) {
      EXPECT_EQ(result.status(), absl::UnavailableError("tokend down"));
    } else {
      EXPECT_EQ(result->value, "token-2");
    }
  }
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, NextCallAfterAnErrorFetchesAgain) {
  upstream_->set_handler(
      [&](const GetTokenOptions&, int n) -> absl::StatusOr<Token> {
        if (n == 1) return absl::PermissionDeniedError("no");
        return upstream_->MakeToken(n);
      });
  auto source = Make();
  EXPECT_EQ(source->GetToken(Key("")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, BlockedFetchForOneKeyDoesNotBlockAnother) {
  Gate gate;
  upstream_->set_handler([&](const GetTokenOptions& options, int n) {
    if (options.key == "a") gate.Pass();
    return upstream_->MakeToken(n);
  });
  auto source = Make();
  absl::StatusOr<Token> a;
  std::thread caller([&] { a = source->GetToken(Key("a")); });
  gate.entered.WaitForNotification();
  // "a" is stuck upstream: "b" still fetches, and then hits.
  EXPECT_EQ(Value(source->GetToken(Key("b"))), "token-2");
  EXPECT_EQ(Value(source->GetToken(Key("b"))), "token-2");
  gate.release.Notify();
  caller.join();
  EXPECT_EQ(Value(a), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-1");
  EXPECT_EQ(upstream_->calls("a"), 1);
  EXPECT_EQ(upstream_->calls("b"), 1);
}

TEST_F(CachingTokenSourceTest, FullCacheEvictsUnusableEntriesThenStopsCaching) {
  CachingOptions options;
  options.max_entries = 2;
  auto source = Make(options);
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-1");
  EXPECT_EQ(Value(source->GetToken(Key("b"))), "token-2");
  // Full of usable tokens: "c" is served but not cached.
  EXPECT_EQ(Value(source->GetToken(Key("c"))), "token-3");
  EXPECT_EQ(Value(source->GetToken(Key("c"))), "token-4");
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-1");
  clock_.Advance(absl::Seconds(50));  // "a" and "b" are inside the buffer
  EXPECT_EQ(Value(source->GetToken(Key("c"))), "token-5");
  EXPECT_EQ(Value(source->GetToken(Key("c"))), "token-5");
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-6");
  EXPECT_EQ(Value(source->GetToken(Key("a"))), "token-6");
  EXPECT_EQ(upstream_->calls(), 6);
}

TEST_F(CachingTokenSourceTest, NoBackgroundRefreshByDefault) {
  auto source = Make();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  for (int s = 1; s < 50; ++s) {
    clock_.Set(kStart + absl::Seconds(s));
    EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  }
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 1);
}

CachingOptions WithLead() {
  CachingOptions options;  // 60 s tokens: refresh window opens 30 s left
  options.expiration_buffer = absl::Seconds(10);
  options.proactive_refresh_lead = absl::Seconds(20);
  return options;
}

// Many callers in the window: they all get the old token while exactly one
// background fetch runs.
TEST_F(CachingTokenSourceTest, ProactiveRefreshOncePerCrossing) {
  Gate gate;
  upstream_->set_handler([&](const GetTokenOptions&, int n) {
    if (n == 2) gate.Pass();
    return upstream_->MakeToken(n);
  });
  auto source = Make(WithLead());
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(29));  // 31 s left: not yet
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 1);

  clock_.Advance(absl::Seconds(1));  // 30 s left: the window opens
  constexpr int kThreads = 16;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 200; ++j) {
        EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  gate.entered.WaitForNotification();
  EXPECT_EQ(upstream_->calls(), 2);
  gate.release.Notify();
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);

  // token-2 expires at +90 s; its window opens at +60 s: one more refresh.
  clock_.Set(kStart + absl::Seconds(59));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 2);
  clock_.Set(kStart + absl::Seconds(60));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 3);
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-3");
}

// A token born inside the refresh window (lead + buffer >= its lifetime) is
// not refreshed in the background, or every token would start the next
// refresh; it is fetched in the foreground at the buffer.
TEST_F(CachingTokenSourceTest, TokenBornInsideTheWindowDoesNotChainRefreshes) {
  upstream_->set_lifetime(absl::Seconds(25));  // window: 30 s before expiry
  auto source = Make(WithLead());
  for (int s = 0; s < 15; ++s) {
    clock_.Set(kStart + absl::Seconds(s));
    EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
    source->WaitForBackgroundRefreshesForTesting();
  }
  EXPECT_EQ(upstream_->calls(), 1);
  clock_.Set(kStart + absl::Seconds(15));  // 10 s left: the buffer
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-2");
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 2);
}

// A failed refresh keeps the old token, is not retried in the background
// for the same token, and the first call inside the buffer fetches.
TEST_F(CachingTokenSourceTest, FailedProactiveRefreshKeepsTheOldToken) {
  upstream_->set_handler(
      [&](const GetTokenOptions&, int n) -> absl::StatusOr<Token> {
        if (n == 2) return absl::UnavailableError("blip");
        return upstream_->MakeToken(n);
      });
  auto source = Make(WithLead());
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 2);
  for (int s = 30; s < 50; ++s) {
    clock_.Set(kStart + absl::Seconds(s));
    EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  }
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_EQ(upstream_->calls(), 2);
  clock_.Set(kStart + absl::Seconds(50));  // inside the buffer
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-3");
  EXPECT_EQ(upstream_->calls(), 3);
}

// A caller that enters the buffer while the refresh runs waits for it
// rather than starting a second fetch.
TEST_F(CachingTokenSourceTest, CallerInsideBufferJoinsTheRefresh) {
  Gate gate;
  upstream_->set_handler([&](const GetTokenOptions&, int n) {
    if (n == 2) gate.Pass();
    return upstream_->MakeToken(n);
  });
  auto source = Make(WithLead());
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  gate.entered.WaitForNotification();
  clock_.Advance(absl::Seconds(20));  // inside the buffer
  absl::StatusOr<Token> joined;
  std::thread caller([&] { joined = source->GetToken(Key("")); });
  gate.release.Notify();
  caller.join();
  EXPECT_EQ(Value(joined), "token-2");
  EXPECT_EQ(upstream_->calls(), 2);
}

TEST_F(CachingTokenSourceTest, DestructorWaitsForRefreshInFlight) {
  Gate gate;
  upstream_->set_handler([&](const GetTokenOptions&, int n) {
    if (n == 2) gate.Pass();
    return upstream_->MakeToken(n);
  });
  auto source = Make(WithLead());
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Value(source->GetToken(Key(""))), "token-1");
  gate.entered.WaitForNotification();
  absl::Notification destroyed;
  std::thread destroyer([&] {
    source.reset();
    destroyed.Notify();
  });
  // The refresh is stuck upstream, so the destructor cannot have returned.
  EXPECT_FALSE(destroyed.HasBeenNotified());
  gate.release.Notify();
  destroyer.join();
  EXPECT_TRUE(destroyed.HasBeenNotified());
  EXPECT_EQ(upstream_.use_count(), 1);  // no thread holds the source's copy
}

TEST_F(CachingTokenSourceTest, DestructorAfterFinishedRefreshes) {
  auto source = Make(WithLead());
  for (int s = 0; s < 300; s += 10) {
    clock_.Set(kStart + absl::Seconds(s));
    EXPECT_TRUE(source->GetToken(Key("")).ok());
  }
  source->WaitForBackgroundRefreshesForTesting();
  EXPECT_GT(upstream_->calls(), 3);
  source.reset();
}

}  // namespace
}  // namespace tokend::client
