#include "server/gateway/response_cache.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace tokend::gateway {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(ResponseCacheTest, SharedMaxAge) {
  struct Case {
    const char* header;
    std::optional<int> seconds;
  };
  const Case cases[] = {
      {"public, max-age=300", 300},
      {"max-age=60, public", 60},
      {"Public, Max-Age=5", 5},
      {"public,max-age=1", 1},
      {"public", std::nullopt},       // no max-age
      {"max-age=300", std::nullopt},  // not public
      {"public, max-age=0", std::nullopt},
      {"public, max-age=-1", std::nullopt},
      {"public, max-age=abc", std::nullopt},
      {"public, max-age=300, no-store", std::nullopt},
      {"public, no-cache, max-age=300", std::nullopt},
      {"private, max-age=300", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    std::optional<absl::Duration> got = ResponseCache::SharedMaxAge(c.header);
    if (c.seconds.has_value()) {
      ASSERT_TRUE(got.has_value()) << c.header;
      EXPECT_EQ(*got, absl::Seconds(*c.seconds)) << c.header;
    } else {
      EXPECT_FALSE(got.has_value()) << c.header;
    }
  }
}

CachedResponse Body(const std::string& body) {
  CachedResponse r;
  r.body = body;
  r.etag = "\"" + body + "\"";
  return r;
}

TEST(ResponseCacheTest, ReusesForTheShorterOfMaxAgeAndMaxTtl) {
  FakeClock clock(kT0);
  ResponseCacheOptions options;
  options.max_ttl = absl::Seconds(2);
  ResponseCache cache(options, &clock);
  cache.MaybeStore("/a", "public, max-age=300", Body("a"));
  cache.MaybeStore("/b", "public, max-age=1", Body("b"));
  cache.MaybeStore("/c", "max-age=300", Body("c"));  // not public
  ASSERT_NE(cache.Find("/a"), nullptr);
  EXPECT_EQ(cache.Find("/a")->body, "a");
  ASSERT_NE(cache.Find("/b"), nullptr);
  EXPECT_EQ(cache.Find("/c"), nullptr);
  EXPECT_EQ(cache.Find("/other"), nullptr);

  clock.Advance(absl::Seconds(1));  // b's own max-age is over
  EXPECT_NE(cache.Find("/a"), nullptr);
  EXPECT_EQ(cache.Find("/b"), nullptr);
  clock.Advance(absl::Seconds(1));  // a reaches max_ttl
  EXPECT_EQ(cache.Find("/a"), nullptr);
}

TEST(ResponseCacheTest, ZeroTtlDisablesAndBigBodiesAreNotKept) {
  FakeClock clock(kT0);
  ResponseCacheOptions off_options;
  off_options.max_ttl = absl::ZeroDuration();
  ResponseCache off(off_options, &clock);
  off.MaybeStore("/a", "public, max-age=300", Body("a"));
  EXPECT_EQ(off.Find("/a"), nullptr);

  ResponseCacheOptions small_options;
  small_options.max_body_bytes = 3;
  ResponseCache small(small_options, &clock);
  small.MaybeStore("/big", "public, max-age=300", Body("four"));
  EXPECT_EQ(small.Find("/big"), nullptr);
  small.MaybeStore("/ok", "public, max-age=300", Body("abc"));
  EXPECT_NE(small.Find("/ok"), nullptr);
}

TEST(ResponseCacheTest, FullCacheMakesRoomOnlyFromExpiredEntries) {
  FakeClock clock(kT0);
  ResponseCache cache({.max_ttl = absl::Seconds(10), .max_entries = 2}, &clock);
  cache.MaybeStore("/1", "public, max-age=1", Body("1"));
  cache.MaybeStore("/2", "public, max-age=300", Body("2"));
  cache.MaybeStore("/3", "public, max-age=300", Body("3"));  // no room
  EXPECT_EQ(cache.Find("/3"), nullptr);
  // Replacing an existing key needs no room.
  cache.MaybeStore("/2", "public, max-age=300", Body("2b"));
  EXPECT_EQ(cache.Find("/2")->body, "2b");
  clock.Advance(absl::Seconds(2));  // "/1" expires and makes room
  cache.MaybeStore("/3", "public, max-age=300", Body("3"));
  EXPECT_NE(cache.Find("/3"), nullptr);
  EXPECT_NE(cache.Find("/2"), nullptr);
}

}  // namespace
}  // namespace tokend::gateway
