#include "core/jose/jwk_set.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;
using nlohmann::json;

Jwk PublicKey(Algorithm alg, const std::string& kid) {
  return Jwk::Generate(alg).value().WithKid(kid).PublicOnly().value();
}

TEST(JwkSetTest, AddFindAndRoundTrip) {
  JwkSet set;
  ASSERT_OK(set.Add(PublicKey(Algorithm::kEs256, "a")));
  ASSERT_OK(set.Add(PublicKey(Algorithm::kRs256, "b")));
  ASSERT_OK(set.Add(PublicKey(Algorithm::kEdDsa, "c")));
  EXPECT_EQ(set.size(), 3u);
  ASSERT_NE(set.Find("b"), nullptr);
  EXPECT_EQ(set.Find("b")->algorithm(), Algorithm::kRs256);
  EXPECT_EQ(set.Find("zz"), nullptr);

  const std::string text = set.ToJson();
  const json doc = json::parse(text);
  ASSERT_EQ(doc["keys"].size(), 3u);
  EXPECT_EQ(doc["keys"][0]["kid"], "a");
  EXPECT_EQ(doc["keys"][1]["alg"], "RS256");
  EXPECT_EQ(doc["keys"][2]["use"], "sig");

  ASSERT_OK_AND_ASSIGN(JwkSet parsed, JwkSet::FromJson(text));
  EXPECT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed.ToJson(), text);
  std::vector<std::string> kids;
  for (const Jwk& key : parsed) kids.push_back(key.kid());
  EXPECT_EQ(kids, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(JwkSetTest, AddRejects) {
  JwkSet set;
  ASSERT_OK(set.Add(PublicKey(Algorithm::kEs256, "a")));
  EXPECT_STATUS(set.Add(PublicKey(Algorithm::kEs384, "a")),
                StatusCode::kAlreadyExists, "duplicate kid");
  EXPECT_STATUS(set.Add(Jwk::Generate(Algorithm::kEs256).value()),
                StatusCode::kInvalidArgument, "public keys only");
  EXPECT_STATUS(set.Add(Jwk::Generate(Algorithm::kHs256).value()),
                StatusCode::kInvalidArgument, "no HMAC keys");
  EXPECT_STATUS(set.Add(PublicKey(Algorithm::kEs256, "")),
                StatusCode::kInvalidArgument, "needs a kid");
  EXPECT_EQ(set.size(), 1u);
}

TEST(JwkSetTest, FromJsonIsStrict) {
  const json good =
      json::parse(PublicKey(Algorithm::kEs256, "a").ToPublicJson().value());
  json no_alg = good;
  no_alg.erase("alg");
  json priv = json::parse(
      Jwk::Generate(Algorithm::kEs256).value().ToPrivateJson().value());
  json oct = json{{"kty", "oct"},
                  {"alg", "HS256"},
                  {"k",
                   "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                   "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}};
  json enc = good;
  enc["use"] = "enc";

  EXPECT_OK(JwkSet::FromJson(json{{"keys", {good}}}.dump()));
  EXPECT_OK(JwkSet::FromJson(R"({"keys":[]})"));
  EXPECT_STATUS(JwkSet::FromJson(json{{"keys", {good, no_alg}}}.dump()),
                StatusCode::kInvalidArgument, "JWKS key 1: JWK has no alg");
  EXPECT_STATUS(JwkSet::FromJson(json{{"keys", {priv}}}.dump()),
                StatusCode::kInvalidArgument, "public keys only");
  EXPECT_STATUS(JwkSet::FromJson(json{{"keys", {oct}}}.dump()),
                StatusCode::kInvalidArgument, "no HMAC keys");
  EXPECT_STATUS(JwkSet::FromJson(json{{"keys", {enc}}}.dump()),
                StatusCode::kInvalidArgument, "use");
  EXPECT_STATUS(JwkSet::FromJson(json{{"keys", {good, good}}}.dump()),
                StatusCode::kAlreadyExists, "duplicate kid");
  EXPECT_STATUS(JwkSet::FromJson("{}"), StatusCode::kInvalidArgument, "keys");
  EXPECT_STATUS(JwkSet::FromJson(R"({"keys":{}})"),
                StatusCode::kInvalidArgument, "keys");
  EXPECT_STATUS(JwkSet::FromJson(R"({"keys":[1]})"),
                StatusCode::kInvalidArgument, "not a JSON object");
  EXPECT_STATUS(JwkSet::FromJson("[]"), StatusCode::kInvalidArgument, "");
}

TEST(JwkSetTest, KeysWithoutKidGetThumbprint) {
  json k = json::parse(
      Jwk::Generate(Algorithm::kEdDsa).value().ToPublicJson().value());
  k.erase("kid");
  ASSERT_OK_AND_ASSIGN(JwkSet set,
                       JwkSet::FromJson(json{{"keys", {k}}}.dump()));
  const Jwk& key = *set.begin();
  EXPECT_EQ(key.kid(), key.Thumbprint().value());
  EXPECT_NE(set.Find(key.kid()), nullptr);
}

}  // namespace
}  // namespace tokend::jose
