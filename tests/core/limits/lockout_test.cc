#include "core/limits/lockout.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tokend::limits {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

LockoutOptions Options() {
  LockoutOptions options;
  options.budget = 5;
  options.refill = absl::Seconds(10);
  options.first_lock = absl::Seconds(30);
  options.max_lock = absl::Seconds(100);
  return options;
}

TEST(ParseLockoutTest, BudgetOverRefill) {
  auto options = ParseLockout("20/3s");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->budget, 20);
  EXPECT_EQ(options->refill, absl::Seconds(3));
  auto off = ParseLockout("off");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->budget, 0);
  for (const char* bad : {"", "20", "0/1s", "20/0s", "x/1s", "20/2d"}) {
    EXPECT_FALSE(ParseLockout(bad).ok()) << bad;
  }
}

TEST(LockoutTest, SuccessesCostNothing) {
  Lockout lockout(Options(), 64);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(lockout.Reserve(1, kT0));
    lockout.Succeeded(1, kT0);
  }
}

TEST(LockoutTest, SpendingTheBudgetLocksForABackOffThatDoubles) {
  Lockout lockout(Options(), 64);
  absl::Time now = kT0;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(lockout.Reserve(1, now));
    EXPECT_FALSE(lockout.Failed(1, now));
  }
  ASSERT_TRUE(lockout.Reserve(1, now));
  EXPECT_FALSE(lockout.Locked(1, now));
  EXPECT_TRUE(lockout.Failed(1, now));  // the fifth: locked
  EXPECT_TRUE(lockout.Locked(1, now + absl::Seconds(29)));
  EXPECT_FALSE(lockout.Reserve(1, now + absl::Seconds(29)));
  EXPECT_FALSE(lockout.Locked(1, now + absl::Seconds(30)));
  EXPECT_TRUE(lockout.Reserve(2, now)) << "other addresses are not locked";
  // The lock ends at 30 s; nothing was forgiven during it, so the next
  // unit comes one refill (10 s) later.
  EXPECT_FALSE(lockout.Reserve(1, now + absl::Seconds(31)));
  now += absl::Seconds(40);
  ASSERT_TRUE(lockout.Reserve(1, now));
  EXPECT_TRUE(lockout.Failed(1, now));  // second lockout in a row: 60 s
  EXPECT_FALSE(lockout.Reserve(1, now + absl::Seconds(69)));
  EXPECT_TRUE(lockout.Reserve(1, now + absl::Seconds(70)));
  lockout.Succeeded(1, now + absl::Seconds(70));
}

TEST(LockoutTest, TheBackOffStopsAtItsMaximum) {
  Lockout lockout(Options(), 64);
  absl::Time now = kT0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(lockout.Reserve(1, now));
    lockout.Failed(1, now);
  }
  absl::Duration lock = absl::Seconds(30);
  for (int strike = 0; strike < 4; ++strike) {
    // Wait out the lock and one refill, fail once more.
    now += lock + absl::Seconds(10);
    ASSERT_TRUE(lockout.Reserve(1, now)) << strike;
    ASSERT_TRUE(lockout.Failed(1, now));
    lock = std::min(lock * 2, absl::Seconds(100));
    EXPECT_FALSE(lockout.Reserve(1, now + lock - absl::Seconds(1)));
  }
  EXPECT_EQ(lock, absl::Seconds(100));
}

TEST(LockoutTest, AFullRefillForgetsTheStrikes) {
  Lockout lockout(Options(), 64);
  absl::Time now = kT0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(lockout.Reserve(1, now));
    lockout.Failed(1, now);
  }
  now += absl::Seconds(30 + 50);  // the lock, then the whole budget back
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(lockout.Reserve(1, now)) << i;
    lockout.Failed(1, now);
  }
  EXPECT_FALSE(lockout.Reserve(1, now + absl::Seconds(29)));
  EXPECT_TRUE(lockout.Reserve(1, now + absl::Seconds(40)))
      << "a first lockout again: 30 s, not 60";
}

// Parallel guesses from one address cannot race past the budget: however
// many threads try at once, at most `budget` checks ever run.
TEST(LockoutTest, ParallelGuessesCannotRacePastTheBudget) {
  LockoutOptions options = Options();
  options.budget = 50;
  Lockout lockout(options, 64);
  std::atomic<int> checked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        if (!lockout.Reserve(9, kT0)) continue;
        checked.fetch_add(1);
        lockout.Failed(9, kT0);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(checked.load(), 50);
}

TEST(LockoutTest, OffNeverRefuses) {
  LockoutOptions options;
  options.budget = 0;
  Lockout lockout(options, 64);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(lockout.Reserve(1, kT0));
    EXPECT_FALSE(lockout.Failed(1, kT0));
  }
}

}  // namespace
}  // namespace tokend::limits
