#include "core/limits/rate_limiter.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tokend::limits {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(ParseRateTest, AcceptsCountPerPeriodAndOff) {
  auto rate = ParseRate("1000/10s");
  ASSERT_TRUE(rate.ok()) << rate.status();
  EXPECT_EQ(rate->count, 1000);
  EXPECT_EQ(rate->period, absl::Seconds(10));
  EXPECT_EQ(FormatRate(*rate), "1000/10s");
  auto off = ParseRate("off");
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->unlimited());
  EXPECT_EQ(FormatRate(*off), "off");
}

TEST(ParseRateTest, RefusesNonsense) {
  for (const char* text : {"", "10", "0/1s", "-1/1s", "10/0s", "10/1us",
                           "10/25h", "ten/1s", "10/soon", "1/1s/1"}) {
    EXPECT_FALSE(ParseRate(text).ok()) << text;
  }
}

TEST(RateLimiterTest, BurstsToTheCountThenRefillsEvenly) {
  RateLimiter limiter({10, absl::Seconds(10)}, 64);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(limiter.Take(7, kT0), absl::ZeroDuration()) << i;
  }
  // One token comes back every second.
  EXPECT_EQ(limiter.Take(7, kT0), absl::Seconds(1));
  EXPECT_EQ(limiter.Take(7, kT0 + absl::Milliseconds(400)),
            absl::Milliseconds(600));
  EXPECT_EQ(limiter.Take(7, kT0 + absl::Seconds(1)), absl::ZeroDuration());
  EXPECT_GT(limiter.Take(7, kT0 + absl::Seconds(1)), absl::ZeroDuration());
  // Sustained: 100 s later exactly 10 more, not 100.
  const absl::Time later = kT0 + absl::Seconds(101);
  int taken = 0;
  while (limiter.Take(7, later) == absl::ZeroDuration()) ++taken;
  EXPECT_EQ(taken, 10);
}

TEST(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter({1, absl::Minutes(1)}, 64);
  EXPECT_EQ(limiter.Take(1, kT0), absl::ZeroDuration());
  EXPECT_GT(limiter.Take(1, kT0), absl::ZeroDuration());
  EXPECT_EQ(limiter.Take(2, kT0), absl::ZeroDuration());
}

TEST(RateLimiterTest, OffNeverRefuses) {
  RateLimiter limiter(Rate{}, 64);
  for (int i = 0; i < 100000; ++i) {
    ASSERT_EQ(limiter.Take(1, kT0), absl::ZeroDuration());
  }
}

// A spray of distinct keys cannot grow memory past the slots, and it does
// not reset the bucket of a key that is being limited (which would hand the
// key a fresh burst).
TEST(RateLimiterTest, SprayedKeysDoNotResetALimitedKey) {
  RateLimiter limiter({1, absl::Seconds(1)}, 1024);
  int allowed = 0;
  uint64_t sprayed = 1000;
  // 100 s: the limited key is tried every 10 ms, 5 new keys arrive between.
  for (int step = 0; step < 10000; ++step) {
    const absl::Time now = kT0 + absl::Milliseconds(10) * step;
    for (int i = 0; i < 5; ++i) limiter.Take(sprayed++, now);
    if (limiter.Take(42, now) == absl::ZeroDuration()) ++allowed;
  }
  EXPECT_EQ(allowed, 100);
}

}  // namespace
}  // namespace tokend::limits
