#include "core/auth/secrets.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::auth {
namespace {

// The RFC 4648 §5 alphabet, no padding.
bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string Hex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

TEST(GenerateSecretTest, PrefixAndLength) {
  absl::StatusOr<std::string> secret = GenerateSecret("sk_");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_TRUE(absl::StartsWith(*secret, "sk_")) << *secret;
  // 32 random bytes → ceil(32 * 4 / 3) = 43 unpadded base64url characters.
  EXPECT_EQ(secret->size(), 3u + 43u) << *secret;

  absl::StatusOr<std::string> short_secret = GenerateSecret("x", 12);
  ASSERT_TRUE(short_secret.ok()) << short_secret.status();
  EXPECT_EQ(short_secret->size(), 1u + 16u) << *short_secret;  // 12 B → 16.

  absl::StatusOr<std::string> odd = GenerateSecret("", 1);
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(odd->size(), 2u) << *odd;  // 1 B → 2 characters, no '='.
}

TEST(GenerateSecretTest, Base64UrlAlphabetOnly) {
  std::set<char> seen;
  for (int i = 0; i < 500; ++i) {
    absl::StatusOr<std::string> secret = GenerateSecret("sck_");
    ASSERT_TRUE(secret.ok()) << secret.status();
    ASSERT_TRUE(absl::StartsWith(*secret, "sck_"));
    for (char c : secret->substr(4)) {
      ASSERT_TRUE(IsBase64UrlChar(c)) << "'" << c << "' in " << *secret;
      seen.insert(c);
    }
  }
  // 500 × 43 characters from a uniform source use the whole alphabet,
  // including the two URL-safe symbols (and never '+', '/' or '=').
  EXPECT_EQ(seen.size(), 64u);
  EXPECT_TRUE(seen.count('-') && seen.count('_'));
}

TEST(GenerateSecretTest, UniqueOverManyDraws) {
  constexpr int kDraws = 10000;
  std::set<std::string> secrets;
  for (int i = 0; i < kDraws; ++i) {
    absl::StatusOr<std::string> secret = GenerateSecret("");
    ASSERT_TRUE(secret.ok()) << secret.status();
    secrets.insert(*secret);
  }
  EXPECT_EQ(secrets.size(), static_cast<size_t>(kDraws));
}

// 16 bytes → 22 characters. Draws cross many refills of the per-thread
// buffer (32 ids each), and threads each have their own: any id served
// twice (a refill skipped, a position not advanced, a buffer shared) shows
// as a duplicate.
TEST(GenerateTokenIdTest, ShapeAndUniqueAcrossRefillsAndThreads) {
  constexpr int kThreads = 4;
  constexpr int kDraws = 2500;
  std::vector<std::vector<std::string>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&drawn, t] {
      for (int i = 0; i < kDraws; ++i) {
        absl::StatusOr<std::string> id = GenerateTokenId();
        if (!id.ok()) return;
        drawn[t].push_back(*std::move(id));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> ids;
  for (const std::vector<std::string>& some : drawn) {
    ASSERT_EQ(some.size(), static_cast<size_t>(kDraws));
    for (const std::string& id : some) {
      ASSERT_EQ(id.size(), 22u) << id;
      for (char c : id) ASSERT_TRUE(IsBase64UrlChar(c)) << id;
      ids.insert(id);
    }
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kDraws));
}

TEST(HashSecretTest, MatchesKnownSha256Vectors) {
  // FIPS 180-2 appendix B.1 and the empty-string digest.
  EXPECT_EQ(Hex(HashSecret("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(HashSecret("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(HashSecret(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Raw 32 bytes, not hex.
  EXPECT_EQ(HashSecret("abc").size(), 32u);
}

TEST(HashSecretTest, BinarySafe) {
  // An embedded NUL is part of the secret, not its end.
  EXPECT_NE(HashSecret(absl::string_view("a\0b", 3)), HashSecret("a"));
}

TEST(HashesEqualTest, EqualAndDifferent) {
  const std::string a = HashSecret("abc");
  EXPECT_TRUE(HashesEqual(a, std::string(a)));
  EXPECT_TRUE(HashesEqual("", ""));

  std::string last = a;
  last.back() ^= 0x01;
  EXPECT_FALSE(HashesEqual(a, last));
  std::string first = a;
  first.front() ^= 0x80;
  EXPECT_FALSE(HashesEqual(a, first));

  // Different lengths: a prefix is not equal, and neither is an extension.
  EXPECT_FALSE(HashesEqual(a, a.substr(0, 31)));
  EXPECT_FALSE(HashesEqual(a.substr(0, 31), a));
  EXPECT_FALSE(HashesEqual(a, a + '\0'));
  EXPECT_FALSE(HashesEqual(a, ""));
}

TEST(DisplayPrefixTest, KeepsTypePrefixPlusFourCharacters) {
  EXPECT_EQ(DisplayPrefix("sk_ABCDEFGHIJ"), "sk_ABCD");
  EXPECT_EQ(DisplayPrefix("sck_ABCDEFGHIJ"), "sck_ABCD");
  EXPECT_EQ(DisplayPrefix("tka_ABCDEFGHIJ"), "tka_ABCD");
  // No prefix: just the first four characters.
  EXPECT_EQ(DisplayPrefix("ABCDEFGHIJ"), "ABCD");
  // Short secrets are never over-read.
  EXPECT_EQ(DisplayPrefix("sk_AB"), "sk_AB");
  EXPECT_EQ(DisplayPrefix(""), "");
}

TEST(DisplayPrefixTest, AnUnderscoreInTheRandomPartIsNotThePrefix) {
  // base64url secrets contain '_'; only the type prefix ends at one.
  EXPECT_EQ(DisplayPrefix("sk_ab_cdefghij"), "sk_ab_c");
  EXPECT_EQ(DisplayPrefix("sck_a_bcdefghij"), "sck_a_bc");
  EXPECT_EQ(DisplayPrefix("sk_abcd_efghij"), "sk_abcd");
}

TEST(DisplayPrefixTest, RevealsExactlyFourRandomCharacters) {
  // P('_' among the first random characters) is ~7% per draw, so 2000 draws
  // per prefix cover that case many times over.
  for (absl::string_view prefix : {"sk_", "sck_", "tka_"}) {
    for (int i = 0; i < 2000; ++i) {
      absl::StatusOr<std::string> secret = GenerateSecret(prefix);
      ASSERT_TRUE(secret.ok()) << secret.status();
      ASSERT_EQ(DisplayPrefix(*secret), secret->substr(0, prefix.size() + 4))
          << *secret;
    }
  }
}

}  // namespace
}  // namespace tokend::auth

namespace tokend::auth {
namespace {

TEST(WipeSecretTest, OverwritesEveryByte) {
  std::string secret = "tka_do-not-keep-me";
  const size_t size = secret.size();
  WipeSecret(secret);
  EXPECT_EQ(secret, std::string(size, '\0'));
  std::string empty;
  WipeSecret(empty);  // nothing to do, nothing to break
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace tokend::auth
