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

// A spray of distinct keys cannot grow memory past the slots, and does not
// reset the bucket of a key that is being limited (which would hand the
// key a fresh burst): one set of 8 slots, a new key every 0.5 s, each idle
// (refilled) a second after its use; the limited key is used only every
// 5 s, so it is the least recently used slot most of the time, and a
// victim chosen by age alone would be it.
TEST(RateLimiterTest, SprayedKeysDoNotResetALimitedKey) {
  RateLimiter limiter({10, absl::Seconds(10)}, 8);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(limiter.Take(42, kT0), absl::ZeroDuration());
  }
  uint64_t sprayed = 1000;
  for (int check = 1; check <= 12; ++check) {
    const absl::Time at = kT0 + absl::Seconds(5) * check;
    for (int step = 1; step <= 10; ++step) {
      limiter.Take(sprayed++, at - absl::Seconds(5) +
                                  absl::Milliseconds(500) * step -
                                  absl::Milliseconds(1));
    }
    // 5 s since the last check: 5 tokens back, not a fresh 10.
    int allowed = 0;
    while (limiter.Take(42, at) == absl::ZeroDuration()) ++allowed;
    EXPECT_EQ(allowed, 5) << "check " << check;
  }
}

}  // namespace
}  // namespace tokend::limits
