// ExpiryOfJwt: exp read from unverified tokens — the happy paths (integer,
// fractional, absent), the range edges, malformed shapes, the size bound,
// and that errors never echo the token.
#include "client/jwt_expiry.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/jose/algorithm.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHeader[] = R"({"alg":"ES256","typ":"JWT"})";

// header.payload.signature with `payload_json` as the payload; the signature
// is never looked at.
std::string Jwt(const std::string& payload_json,
                const std::string& signature = "c2ln") {
  return absl::StrCat(jose::Base64UrlEncode(kHeader), ".",
                      jose::Base64UrlEncode(payload_json), ".", signature);
}

void ExpectMalformed(const std::string& jwt, const std::string& why) {
  absl::StatusOr<absl::Time> exp = ExpiryOfJwt(jwt);
  EXPECT_EQ(exp.status().code(), absl::StatusCode::kInvalidArgument) << why;
  EXPECT_THAT(exp.status().message(), HasSubstr(why));
}

TEST(ExpiryOfJwtTest, TokenSignedByCoreJose) {
  absl::StatusOr<jose::Jwk> key = jose::Jwk::Generate(jose::Algorithm::kEs256);
  ASSERT_TRUE(key.ok()) << key.status();
  auto signer = jose::JwtSigner::Create(key->WithKid("k1"));
  ASSERT_TRUE(signer.ok()) << signer.status();
  const absl::Time exp = absl::FromUnixSeconds(1900000000);
  auto raw = jose::RawJwtBuilder()
                 .SetSubject("user_1")
                 .SetIssuedAt(exp - absl::Minutes(1))
                 .SetExpiration(exp)
                 .Build();
  ASSERT_TRUE(raw.ok()) << raw.status();
  auto jwt = (*signer)->SignAndEncode(*raw);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  absl::StatusOr<absl::Time> got = ExpiryOfJwt(*jwt);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, exp);
}

TEST(ExpiryOfJwtTest, NumericDates) {
  EXPECT_EQ(*ExpiryOfJwt(Jwt(R"({"exp":1700000000})")),
            absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(*ExpiryOfJwt(Jwt(R"({"exp":1700000000.5})")),
            absl::FromUnixMillis(1700000000500));
  EXPECT_EQ(*ExpiryOfJwt(Jwt(R"({"exp":0})")), absl::UnixEpoch());
  EXPECT_EQ(*ExpiryOfJwt(Jwt(R"({"exp":253402300799})")),
            absl::FromUnixSeconds(253402300799));
  EXPECT_EQ(*ExpiryOfJwt(Jwt(R"({"exp":2.5e9})")),
            absl::FromUnixSeconds(2500000000));
}

TEST(ExpiryOfJwtTest, NoExpNeverExpires) {
  EXPECT_EQ(*ExpiryOfJwt(Jwt(R"({"sub":"u"})")), absl::InfiniteFuture());
  EXPECT_EQ(*ExpiryOfJwt(Jwt("{}")), absl::InfiniteFuture());
}

TEST(ExpiryOfJwtTest, ExpOutOfRange) {
  ExpectMalformed(Jwt(R"({"exp":253402300800})"), "exp is out of range");
  ExpectMalformed(Jwt(R"({"exp":-1})"), "exp is out of range");
  ExpectMalformed(Jwt(R"({"exp":-0.5})"), "exp is out of range");
  ExpectMalformed(Jwt(R"({"exp":18446744073709551615})"),
                  "exp is out of range");
  ExpectMalformed(Jwt(R"({"exp":1e300})"), "exp is out of range");
}

TEST(ExpiryOfJwtTest, ExpNotANumber) {
  ExpectMalformed(Jwt(R"({"exp":"1700000000"})"), "exp is not a number");
  ExpectMalformed(Jwt(R"({"exp":null})"), "exp is not a number");
  ExpectMalformed(Jwt(R"({"exp":true})"), "exp is not a number");
  ExpectMalformed(Jwt(R"({"exp":[1700000000]})"), "exp is not a number");
}

TEST(ExpiryOfJwtTest, Shape) {
  ExpectMalformed("", "expected three parts");
  ExpectMalformed("abc", "expected three parts");
  ExpectMalformed("a.b", "expected three parts");
  ExpectMalformed(Jwt(R"({"exp":1})") + ".x", "expected three parts");
  // JWE compact (five parts) is not a JWS.
  ExpectMalformed("a.b.c.d.e", "expected three parts");
  ExpectMalformed("e30.!!.c2ln", "payload is not base64url");
  ExpectMalformed("e30.e30=.c2ln", "payload is not base64url");
  ExpectMalformed("e30..c2ln", "payload is not a JSON object");
  ExpectMalformed(Jwt("[1]"), "payload is not a JSON object");
  ExpectMalformed(Jwt(R"("exp")"), "payload is not a JSON object");
  ExpectMalformed(Jwt(R"({"exp":1)"), "payload is not a JSON object");
  // Duplicate members are refused (core/jose/bounded_json.h), so two
  // parsers can never disagree about which exp counts.
  ExpectMalformed(Jwt(R"({"exp":1,"exp":2})"), "payload is not a JSON object");
}

TEST(ExpiryOfJwtTest, SizeBound) {
  const std::string base = Jwt(R"({"exp":1700000000})", "");
  ASSERT_LT(base.size(), kMaxJwtBytes);
  const std::string at_limit =
      base + std::string(kMaxJwtBytes - base.size(), 's');
  ASSERT_EQ(at_limit.size(), kMaxJwtBytes);
  EXPECT_TRUE(ExpiryOfJwt(at_limit).ok());
  ExpectMalformed(at_limit + "s", "longer than 65536 bytes");
  // Deeply nested claims stop at the parser's depth bound.
  std::string deep = R"({"exp":1,"n":)";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  ExpectMalformed(Jwt(deep + "}"), "payload is not a JSON object");
}

TEST(ExpiryOfJwtTest, ErrorsDoNotEchoTheToken) {
  for (const std::string& jwt :
       {Jwt(R"({"exp":"secret-value"})"), Jwt(R"({"secret-value":1)"),
        std::string("secret-value.secret-value")}) {
    absl::StatusOr<absl::Time> exp = ExpiryOfJwt(jwt);
    ASSERT_FALSE(exp.ok());
    EXPECT_THAT(exp.status().message(), Not(HasSubstr("secret")));
  }
}

}  // namespace
}  // namespace tokend::client
