#include "core/jose/jwt_signer.h"

#include <string>
#include <thread>
#include <vector>

#include "core/jose/base64url.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_validator.h"
#include "gtest/gtest.h"
#include "tests/core/jose/jwt_test_util.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;
using nlohmann::json;
using test::Parts;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

RawJwt TypicalJwt() {
  return RawJwtBuilder()
      .SetTypeHeader("JWT")
      .SetIssuer("https://tokend.example")
      .SetSubject("user_123")
      .SetAudience("api")
      .SetJwtId("jti-1")
      .SetIssuedAt(kNow)
      .SetNotBefore(kNow - absl::Seconds(5))
      .SetExpiration(kNow + absl::Minutes(1))
      .AddStringClaim("sid", "sess_1")
      .AddIntegerClaim("v", 2)
      .Build()
      .value();
}

JwtValidator TypicalValidator(Algorithm alg) {
  return JwtValidatorBuilder()
      .ExpectIssuer("https://tokend.example")
      .ExpectAudience("api")
      .ExpectTypeHeader("JWT")
      .AllowAlgorithms({alg})
      .Build()
      .value();
}

json DecodeJson(const std::string& b64) {
  return json::parse(Base64UrlDecode(b64).value());
}

class SignVerifyTest : public testing::TestWithParam<Algorithm> {};

TEST_P(SignVerifyTest, RoundTrip) {
  const Algorithm alg = GetParam();
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(alg));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<JwtSigner> signer,
                       JwtSigner::Create(key));
  ASSERT_OK_AND_ASSIGN(std::string token, signer->SignAndEncode(TypicalJwt()));

  const std::vector<std::string> parts = Parts(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(Base64UrlDecode(parts[0]).value(),
            "{\"alg\":\"" + std::string(AlgorithmName(alg)) + "\",\"kid\":\"" +
                key.kid() + "\",\"typ\":\"JWT\"}");
  EXPECT_EQ(Base64UrlDecode(parts[1]).value(), TypicalJwt().GetJsonPayload());
  const size_t sig_len = Base64UrlDecode(parts[2])->size();
  switch (alg) {
    case Algorithm::kEs256:
      EXPECT_EQ(sig_len, 64u);
      break;
    case Algorithm::kEs384:
      EXPECT_EQ(sig_len, 96u);
      break;
    case Algorithm::kEs512:
      EXPECT_EQ(sig_len, 132u);
      break;
    case Algorithm::kEdDsa:
      EXPECT_EQ(sig_len, 64u);
      break;
    default:
      if (IsRsa(alg)) {
        EXPECT_EQ(sig_len, 256u);
      } else {
        EXPECT_EQ(sig_len, HashLength(alg));
      }
  }

  const JwtValidator validator = TypicalValidator(alg);
  absl::StatusOr<VerifiedJwt> verified;
  if (IsHmac(alg)) {
    verified = validator.Verify(token, key, kNow);
  } else {
    JwkSet set;
    ASSERT_OK(set.Add(key.PublicOnly().value()));
    verified = validator.Verify(token, set, kNow);
  }
  ASSERT_OK(verified);
  EXPECT_EQ(verified->algorithm(), alg);
  EXPECT_EQ(verified->kid(), key.kid());
  EXPECT_EQ(verified->GetSubject().value(), "user_123");
  EXPECT_EQ(verified->GetAudiences().value(), std::vector<std::string>{"api"});
  EXPECT_EQ(verified->GetJwtId().value(), "jti-1");
  EXPECT_EQ(verified->GetIssuedAt().value(), kNow);
  EXPECT_EQ(verified->GetNotBefore().value(), kNow - absl::Seconds(5));
  EXPECT_EQ(verified->GetExpiration().value(), kNow + absl::Minutes(1));
  EXPECT_EQ(verified->GetStringClaim("sid").value(), "sess_1");
  EXPECT_EQ(verified->GetIntegerClaim("v").value(), 2);
  EXPECT_EQ(verified->GetTypeHeader().value(), "JWT");

  // Any flipped signature bit fails.
  std::string sig = Base64UrlDecode(parts[2]).value();
  sig[sig.size() / 2] ^= 0x01;
  const std::string bad =
      parts[0] + "." + parts[1] + "." + Base64UrlEncode(sig);
  absl::StatusOr<VerifiedJwt> rejected =
      IsHmac(alg) ? validator.Verify(bad, key, kNow)
                  : validator.Verify(bad, key.PublicOnly().value(), kNow);
  EXPECT_STATUS(rejected, StatusCode::kUnauthenticated, "signature invalid");
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, SignVerifyTest,
                         testing::ValuesIn(kAllAlgorithms),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST(JwtSignerTest, HeaderWithoutTyp) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kEs256));
  auto signer = JwtSigner::Create(key.WithKid("k1")).value();
  ASSERT_OK_AND_ASSIGN(
      std::string token,
      signer->SignAndEncode(
          RawJwtBuilder().SetExpiration(kNow).Build().value()));
  EXPECT_EQ(Base64UrlDecode(Parts(token)[0]).value(),
            R"({"alg":"ES256","kid":"k1"})");
}

TEST(JwtSignerTest, KidIsJsonEscaped) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kEs256));
  auto signer = JwtSigner::Create(key.WithKid("a\"b\\c\n\x01")).value();
  std::string token =
      signer->SignAndEncode(RawJwtBuilder().WithoutExpiration().Build().value())
          .value();
  EXPECT_EQ(DecodeJson(Parts(token)[0])["kid"], "a\"b\\c\n\x01");
  EXPECT_STATUS(JwtSigner::Create(key.WithKid("\xff")),
                StatusCode::kInvalidArgument, "UTF-8");
}

TEST(JwtSignerTest, NeedsPrivateKey) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kEs256));
  EXPECT_STATUS(JwtSigner::Create(key.PublicOnly().value()),
                StatusCode::kFailedPrecondition, "private key");
}

TEST(JwtSignerTest, SignPayloadForcesAlgAndKid) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kRs256));
  auto signer = JwtSigner::Create(key.WithKid("k")).value();
  for (const char* header :
       {R"({"alg":"none"})", R"({"alg":"RS256"})", R"({"kid":"other"})",
        R"({"crit":["exp"]})", R"({"b64":false})"}) {
    EXPECT_STATUS(signer->SignPayload(header, "{}"),
                  StatusCode::kInvalidArgument, "set by the signer")
        << header;
  }
  EXPECT_STATUS(signer->SignPayload("[]", "{}"), StatusCode::kInvalidArgument,
                "");
  EXPECT_STATUS(signer->SignPayload("", "[1]"), StatusCode::kInvalidArgument,
                "not an object");
  EXPECT_STATUS(signer->SignPayload("", R"({"a":1,"a":2})"),
                StatusCode::kInvalidArgument, "duplicate");

  const std::string payload = R"({"sub":"u", "exp": 1700000060})";
  ASSERT_OK_AND_ASSIGN(std::string token,
                       signer->SignPayload(R"({"typ":"JWT"})", payload));
  EXPECT_EQ(Base64UrlDecode(Parts(token)[0]).value(),
            R"({"alg":"RS256","kid":"k","typ":"JWT"})");
  // Signed byte for byte as given (spaces kept).
  EXPECT_EQ(Base64UrlDecode(Parts(token)[1]).value(), payload);
  JwkSet set;
  ASSERT_OK(set.Add(key.WithKid("k").PublicOnly().value()));
  auto validator = JwtValidatorBuilder()
                       .IgnoreIssuer()
                       .AllowAlgorithms({Algorithm::kRs256})
                       .Build()
                       .value();
  EXPECT_OK(validator.Verify(token, set, kNow));

  ASSERT_OK_AND_ASSIGN(std::string plain, signer->SignPayload("", payload));
  EXPECT_EQ(Base64UrlDecode(Parts(plain)[0]).value(),
            R"({"alg":"RS256","kid":"k"})");
}

TEST(JwtSignerTest, ConcurrentSigningAcrossManyKeys) {
  // More keys than the per-thread context cache holds, from several threads.
  std::vector<Jwk> keys;
  std::vector<std::unique_ptr<JwtSigner>> signers;
  for (int i = 0; i < 12; ++i) {
    const Algorithm alg = i % 3 == 0   ? Algorithm::kEs256
                          : i % 3 == 1 ? Algorithm::kEdDsa
                                       : Algorithm::kHs256;
    keys.push_back(Jwk::Generate(alg).value());
    signers.push_back(JwtSigner::Create(keys.back()).value());
  }
  const RawJwt jwt = TypicalJwt();
  std::vector<std::vector<std::string>> tokens(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (const auto& signer : signers) {
          tokens[t].push_back(signer->SignAndEncode(jwt).value());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_EQ(tokens[t].size(), 60u);
    for (size_t i = 0; i < tokens[t].size(); ++i) {
      const Jwk& key = keys[i % keys.size()];
      EXPECT_OK(
          TypicalValidator(key.algorithm()).Verify(tokens[t][i], key, kNow));
    }
  }
}

}  // namespace
}  // namespace tokend::jose
