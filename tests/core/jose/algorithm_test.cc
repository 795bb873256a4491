#include "core/jose/algorithm.h"

#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

TEST(AlgorithmTest, NamesRoundTrip) {
  int count = 0;
  for (Algorithm alg : kAllAlgorithms) {
    ASSERT_OK_AND_ASSIGN(Algorithm parsed,
                         AlgorithmFromName(AlgorithmName(alg)));
    EXPECT_EQ(parsed, alg);
    ++count;
  }
  EXPECT_EQ(count, 13);
  EXPECT_EQ(AlgorithmName(Algorithm::kEdDsa), "EdDSA");
  EXPECT_EQ(AlgorithmName(Algorithm::kPs384), "PS384");
}

TEST(AlgorithmTest, RejectsNoneAndUnknown) {
  for (const char* name : {"none", "None", "NONE", "", "hs256", "eddsa",
                           "Ed25519", "ES256K", "RS1", "HS256 "}) {
    EXPECT_FALSE(AlgorithmFromName(name).ok()) << name;
  }
}

TEST(AlgorithmTest, Families) {
  EXPECT_TRUE(IsHmac(Algorithm::kHs384));
  EXPECT_TRUE(IsRsa(Algorithm::kPs256));
  EXPECT_TRUE(IsRsaPss(Algorithm::kPs512));
  EXPECT_FALSE(IsRsaPss(Algorithm::kRs512));
  EXPECT_TRUE(IsEc(Algorithm::kEs512));
  EXPECT_TRUE(IsEdDsa(Algorithm::kEdDsa));
  EXPECT_EQ(KeyTypeName(Algorithm::kHs256), "oct");
  EXPECT_EQ(KeyTypeName(Algorithm::kRs256), "RSA");
  EXPECT_EQ(KeyTypeName(Algorithm::kPs256), "RSA");
  EXPECT_EQ(KeyTypeName(Algorithm::kEs384), "EC");
  EXPECT_EQ(KeyTypeName(Algorithm::kEdDsa), "OKP");
  EXPECT_EQ(CurveName(Algorithm::kEs512), "P-521");
  EXPECT_EQ(HashLength(Algorithm::kEs384), 48u);
  EXPECT_EQ(HashLength(Algorithm::kHs512), 64u);
}

}  // namespace
}  // namespace tokend::jose
