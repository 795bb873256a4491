#include "core/common/bounded_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "gtest/gtest.h"

namespace tokend {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::shared_ptr<const std::string> Value(std::string v) {
  return std::make_shared<const std::string>(std::move(v));
}

TEST(BoundedCacheTest, ServesAnEntryForItsTtlThenForgetsIt) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Seconds(5), 10);
  EXPECT_EQ(cache.Get("k"), nullptr);
  cache.Put("k", Value("v"), cache.Begin());
  ASSERT_NE(cache.Get("k"), nullptr);
  EXPECT_EQ(*cache.Get("k"), "v");
  clock.Advance(absl::Seconds(5) - absl::Nanoseconds(1));
  EXPECT_NE(cache.Get("k"), nullptr);
  clock.Advance(absl::Nanoseconds(1));
  EXPECT_EQ(cache.Get("k"), nullptr);
  // A new read starts a new ttl.
  cache.Put("k", Value("v2"), cache.Begin());
  EXPECT_EQ(*cache.Get("k"), "v2");
  // A clock that went back cannot vouch for the entry's age.
  clock.Advance(-absl::Seconds(1));
  EXPECT_EQ(cache.Get("k"), nullptr);
}

// Through an outage, an expired entry serves for the grace the caller asks,
// measured from when it was read, and not after.
TEST(BoundedCacheTest, GetStaleServesPastTheTtlWithinTheGraceOnly) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Seconds(5), 10);
  cache.Put("k", Value("v"), cache.Begin());
  clock.Advance(absl::Seconds(20));
  EXPECT_EQ(cache.Get("k"), nullptr);
  const absl::Duration grace = absl::Seconds(30);
  ASSERT_NE(cache.GetStale("k", absl::Seconds(5) + grace), nullptr);
  EXPECT_EQ(*cache.GetStale("k", absl::Seconds(5) + grace), "v");
  clock.Advance(absl::Seconds(15));  // 35 s after the read.
  EXPECT_EQ(cache.GetStale("k", absl::Seconds(5) + grace), nullptr);
  // An erased entry is gone for good, outage or not.
  cache.Put("e", Value("v"), cache.Begin());
  cache.Erase("e");
  EXPECT_EQ(cache.GetStale("e", absl::Hours(1)), nullptr);

  EXPECT_TRUE(IsOutage(absl::UnavailableError("")));
  EXPECT_TRUE(IsOutage(absl::DeadlineExceededError("")));
  EXPECT_FALSE(IsOutage(absl::NotFoundError("")));
  EXPECT_FALSE(IsOutage(absl::InternalError("")));
}

TEST(BoundedCacheTest, AFullCacheEvictsTheOldestInsertionOnly) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Hours(1), 3);
  for (const char* k : {"a", "b", "c"}) cache.Put(k, Value(k), cache.Begin());
  cache.Put("d", Value("d"), cache.Begin());
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Get("a"), nullptr);
  for (const char* k : {"b", "c", "d"}) EXPECT_NE(cache.Get(k), nullptr) << k;
  // Replacing a value makes it the newest: after "b" is read again, "c" is
  // the oldest.
  cache.Put("b", Value("b2"), cache.Begin());
  cache.Put("e", Value("e"), cache.Begin());
  EXPECT_EQ(cache.Get("c"), nullptr);
  EXPECT_EQ(*cache.Get("b"), "b2");
  EXPECT_NE(cache.Get("d"), nullptr);
  EXPECT_NE(cache.Get("e"), nullptr);
}

// A spray of distinct keys (an attacker guessing credentials) keeps the
// cache at its bound and keeps the most recent entries; nothing is cleared
// wholesale, and the bookkeeping stays bounded.
TEST(BoundedCacheTest, ASprayOfDistinctKeysStaysBounded) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Hours(1), 100);
  for (int i = 0; i < 100000; ++i) {
    const std::string key = absl::StrCat("guess", i);
    cache.Put(key, Value(key), cache.Begin());
    if (i % 7 == 0) cache.Erase(absl::StrCat("guess", i - 3));
    ASSERT_LE(cache.size(), 100u);
  }
  EXPECT_NE(cache.Get("guess99999"), nullptr);
  EXPECT_NE(cache.Get("guess99951"), nullptr);
  EXPECT_EQ(cache.Get("guess99950"), nullptr);  // Erased at i = 99953.
  EXPECT_EQ(cache.Get("guess99000"), nullptr);
}

// A store read that began before an invalidation may hold the value from
// before the change: it is not cached.
TEST(BoundedCacheTest, AReadOverlappingAnEraseIsNotCached) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Hours(1), 10);
  auto ticket = cache.Begin();
  cache.Erase("k");  // The change feed says "k" changed meanwhile.
  cache.Put("k", Value("stale"), ticket);
  EXPECT_EQ(cache.Get("k"), nullptr);

  ticket = cache.Begin();
  cache.EraseIf([](const std::string&) { return false; });
  cache.Put("k", Value("stale"), ticket);
  EXPECT_EQ(cache.Get("k"), nullptr);

  ticket = cache.Begin();
  cache.Clear();
  cache.Put("k", Value("stale"), ticket);
  EXPECT_EQ(cache.Get("k"), nullptr);

  // A read after the erase is cached.
  cache.Put("k", Value("fresh"), cache.Begin());
  EXPECT_EQ(*cache.Get("k"), "fresh");
}

TEST(BoundedCacheTest, EraseIfMatchesValues) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Hours(1), 10);
  cache.Put("h1", Value("user_a"), cache.Begin());
  cache.Put("h2", Value("user_b"), cache.Begin());
  cache.Put("h3", Value("user_a"), cache.Begin());
  cache.EraseIf([](const std::string& v) { return v == "user_a"; });
  EXPECT_EQ(cache.Get("h1"), nullptr);
  EXPECT_NE(cache.Get("h2"), nullptr);
  EXPECT_EQ(cache.Get("h3"), nullptr);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(BoundedCacheTest, ZeroTtlOrSizeCachesNothing) {
  FakeClock clock(kT0);
  BoundedCache<std::string> no_ttl(&clock, absl::ZeroDuration(), 10);
  no_ttl.Put("k", Value("v"), no_ttl.Begin());
  EXPECT_EQ(no_ttl.Get("k"), nullptr);
  BoundedCache<std::string> no_room(&clock, absl::Hours(1), 0);
  no_room.Put("k", Value("v"), no_room.Begin());
  EXPECT_EQ(no_room.Get("k"), nullptr);
}

TEST(BoundedCacheTest, ConcurrentUseKeepsTheBound) {
  FakeClock clock(kT0);
  BoundedCache<std::string> cache(&clock, absl::Hours(1), 50);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string key = absl::StrCat(t, "-", i % 80);
        if (cache.Get(key) == nullptr) {
          cache.Put(key, Value(key), cache.Begin());
        }
        if (i % 100 == 0) cache.Erase(key);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_LE(cache.size(), 50u);
}

}  // namespace
}  // namespace tokend
