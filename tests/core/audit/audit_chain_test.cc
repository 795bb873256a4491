#include "core/audit/audit_chain.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tokend::audit {
namespace {

AuditKeys Keys(absl::string_view secret = "tkau_0123456789abcdef") {
  absl::StatusOr<AuditKeys> keys = AuditKeys::FromSecret(secret);
  EXPECT_TRUE(keys.ok()) << keys.status();
  return *keys;
}

// A log as AuditLog writes it: an opening line, then `n` events.
std::vector<std::string> Log(const AuditKeys& keys, int n,
                             std::string prev = "") {
  std::vector<std::string> lines;
  for (int i = 0; i <= n; ++i) {
    lines.push_back(ChainedLine(prev, i == 0 ? kOpenedEvent : "change",
                                absl::StrCat(",\"n\":", i)));
    prev = keys.Link(lines.back());
  }
  return lines;
}

// Where the verifier first refuses, or -1 when all lines pass.
int FirstBroken(const AuditKeys& keys, const std::vector<std::string>& lines) {
  ChainVerifier verifier(keys);
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::Status s = verifier.Next(lines[i]);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
      return static_cast<int>(i);
    }
  }
  return -1;
}

// RFC 4231 §4.2, §4.3 and §4.7 (a key longer than the block).
TEST(HmacSha256Test, Rfc4231Vectors) {
  struct Vector {
    std::string key, data, mac_hex;
  };
  const Vector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than "
       "block-size data. The key needs to be hashed before being used by the "
       "HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(absl::BytesToHexString(HmacSha256(v.key).Mac(v.data)), v.mac_hex);
  }
}

TEST(AuditChainTest, AnIntactLogVerifies) {
  const AuditKeys keys = Keys();
  std::vector<std::string> lines = Log(keys, 5);
  EXPECT_EQ(lines[0], absl::StrCat("{\"prev\":\"\",\"event\":\"", kOpenedEvent,
                                   "\",\"n\":0}"));
  ChainVerifier verifier(keys);
  for (const std::string& line : lines) ASSERT_TRUE(verifier.Next(line).ok());
  EXPECT_EQ(verifier.lines(), 6);
  EXPECT_EQ(verifier.head(), keys.Link(lines.back()));
  EXPECT_FALSE(verifier.continues_earlier());
}

TEST(AuditChainTest, AnEditedLineBreaksTheNext) {
  const AuditKeys keys = Keys();
  std::vector<std::string> lines = Log(keys, 5);
  lines[2] = absl::StrCat(lines[2].substr(0, lines[2].size() - 2), "9}");
  EXPECT_EQ(FirstBroken(keys, lines), 3);
}

TEST(AuditChainTest, ARemovedLineBreaksTheChain) {
  const AuditKeys keys = Keys();
  std::vector<std::string> lines = Log(keys, 5);
  lines.erase(lines.begin() + 3);
  EXPECT_EQ(FirstBroken(keys, lines), 3);
}

TEST(AuditChainTest, SwappedLinesBreakTheChain) {
  const AuditKeys keys = Keys();
  std::vector<std::string> lines = Log(keys, 5);
  std::swap(lines[2], lines[3]);
  EXPECT_EQ(FirstBroken(keys, lines), 2);
}

TEST(AuditChainTest, AnInsertedLineCannotBeLinkedWithoutTheKey) {
  const AuditKeys keys = Keys();
  const AuditKeys other = Keys("tkau_another-key-entirely");
  std::vector<std::string> lines = Log(keys, 5);
  // Linked with the wrong key, it breaks itself; linked rightly to its
  // predecessor, it breaks the line after it.
  lines.insert(lines.begin() + 3,
               ChainedLine(other.Link(lines[2]), "change", ",\"n\":99"));
  EXPECT_EQ(FirstBroken(keys, lines), 3);
  lines[3] = ChainedLine(keys.Link(lines[2]), "change", ",\"n\":99");
  EXPECT_EQ(FirstBroken(keys, lines), 4);
}

TEST(AuditChainTest, AMissingHeadIsRefused) {
  const AuditKeys keys = Keys();
  std::vector<std::string> lines = Log(keys, 5);
  lines.erase(lines.begin(), lines.begin() + 2);
  EXPECT_EQ(FirstBroken(keys, lines), 0);
}

TEST(AuditChainTest, ARotatedFileContinuesFromItsOpeningLine) {
  const AuditKeys keys = Keys();
  const std::vector<std::string> first = Log(keys, 3);
  const std::vector<std::string> second = Log(keys, 2, keys.Link(first.back()));
  ChainVerifier alone(keys);
  for (const std::string& line : second) ASSERT_TRUE(alone.Next(line).ok());
  EXPECT_TRUE(alone.continues_earlier());

  ChainVerifier both(keys);
  for (const std::string& line : first) ASSERT_TRUE(both.Next(line).ok());
  for (const std::string& line : second) ASSERT_TRUE(both.Next(line).ok());
  EXPECT_FALSE(both.continues_earlier());

  // The old file's last line gone: the new file no longer links to it.
  std::vector<std::string> cut(first.begin(), first.end() - 1);
  cut.insert(cut.end(), second.begin(), second.end());
  EXPECT_EQ(FirstBroken(keys, cut), static_cast<int>(first.size()) - 1);
}

TEST(AuditChainTest, NotAnAuditLine) {
  const AuditKeys keys = Keys();
  for (absl::string_view line :
       {"", "{}", "{\"prev\":\"short\",\"event\":\"x\"}", "plain text",
        "{\"prev\":\"\""}) {
    ChainVerifier verifier(keys);
    EXPECT_EQ(verifier.Next(line).code(), absl::StatusCode::kDataLoss) << line;
  }
}

TEST(AuditChainTest, SecretIdsAreKeyedAndDistinct) {
  const AuditKeys keys = Keys();
  const std::string id = keys.SecretId("sk_live_secret");
  EXPECT_TRUE(absl::StartsWith(id, "hmac-sha256:"));
  EXPECT_EQ(id.size(), 12 + 64);
  EXPECT_EQ(id, keys.SecretId("sk_live_secret"));
  EXPECT_NE(id, keys.SecretId("sk_live_secreT"));
  EXPECT_NE(id, Keys("tkau_another-key-entirely").SecretId("sk_live_secret"));
  EXPECT_FALSE(absl::StrContains(id, "secret"));
  // The identifier key is not the chain key.
  EXPECT_NE(id.substr(12), keys.Link("sk_live_secret"));
}

TEST(AuditChainTest, AShortKeyIsRefused) {
  EXPECT_EQ(AuditKeys::FromSecret("short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokend::audit
