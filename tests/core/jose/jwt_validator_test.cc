#include "core/jose/jwt_validator.h"

#include <string>

#include "core/jose/base64url.h"
#include "core/jose/jwt_signer.h"
#include "gtest/gtest.h"
#include "tests/core/jose/jwt_test_util.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;
using nlohmann::json;
using test::MakeToken;
using test::MakeTokenFromText;
using test::Parts;

constexpr int64_t kIat = 1700000000;
const absl::Time kNow = absl::FromUnixSeconds(kIat + 10);

class JwtValidatorTest : public testing::Test {
 protected:
  void SetUp() override {
    key_ = Jwk::Generate(Algorithm::kEs256).value().WithKid("k1");
    ASSERT_OK(keys_.Add(key_.PublicOnly().value()));
  }

  static json Claims() {
    return json{{"iss", "issuer"}, {"aud", "api"},    {"sub", "user"},
                {"iat", kIat},     {"nbf", kIat - 5}, {"exp", kIat + 60},
                {"sid", "session"}};
  }
  json Header() const { return json{{"alg", "ES256"}, {"kid", "k1"}}; }

  std::string Token(const json& claims) const {
    return MakeToken(Header(), claims, &key_);
  }

  static JwtValidatorBuilder Builder() {
    JwtValidatorBuilder b;
    b.ExpectIssuer("issuer").ExpectAudience("api").AllowAlgorithms(
        {Algorithm::kEs256});
    return b;
  }
  static JwtValidator Validator() { return Builder().Build().value(); }

  absl::StatusOr<VerifiedJwt> Verify(const std::string& token,
                                     absl::Time now = kNow) const {
    return Validator().Verify(token, keys_, now);
  }

  Jwk key_ = Jwk::FromSecret(std::string(32, 'x'), Algorithm::kHs256).value();
  JwkSet keys_;
};

TEST_F(JwtValidatorTest, AcceptsValidToken) {
  ASSERT_OK_AND_ASSIGN(VerifiedJwt jwt, Verify(Token(Claims())));
  EXPECT_EQ(jwt.GetIssuer().value(), "issuer");
  EXPECT_EQ(jwt.kid(), "k1");
  EXPECT_FALSE(jwt.HasTypeHeader());
  EXPECT_EQ(jwt.GetStringClaim("sid").value(), "session");
  EXPECT_STATUS(jwt.GetStringClaim("nope"), StatusCode::kNotFound, "");
  EXPECT_STATUS(jwt.GetBoolClaim("sid"), StatusCode::kInvalidArgument, "");
}

// A caller-chosen key: the lookup sees the parsed header, its error comes
// back as is, and the key it picks is held to the same rules as a key
// passed directly (its kid and algorithm, the signature).
TEST_F(JwtValidatorTest, KeyLookupPicksTheKeyFromTheHeader) {
  const JwtValidator validator = Validator();
  const Jwk public_key = key_.PublicOnly().value();
  const std::string token = Token(Claims());
  int calls = 0;
  json seen;
  auto by_kid = [&](const json& header) -> absl::StatusOr<const Jwk*> {
    ++calls;
    seen = header;
    return &public_key;
  };
  ASSERT_OK_AND_ASSIGN(VerifiedJwt jwt, validator.Verify(token, by_kid, kNow));
  EXPECT_EQ(jwt.kid(), "k1");
  EXPECT_EQ(seen, Header());
  EXPECT_EQ(calls, 1);

  auto refuse = [](const json&) -> absl::StatusOr<const Jwk*> {
    return absl::PermissionDeniedError("not this one");
  };
  EXPECT_STATUS(validator.Verify(token, refuse, kNow),
                StatusCode::kPermissionDenied, "not this one");

  // Not called for a token that does not parse.
  calls = 0;
  EXPECT_STATUS(validator.Verify("a.b", by_kid, kNow),
                StatusCode::kInvalidArgument, "three parts");
  EXPECT_EQ(calls, 0);

  const Jwk other_kid = public_key.WithKid("k2");
  auto wrong_kid = [&](const json&) -> absl::StatusOr<const Jwk*> {
    return &other_kid;
  };
  EXPECT_STATUS(validator.Verify(token, wrong_kid, kNow),
                StatusCode::kUnauthenticated, "unknown kid");

  const Jwk other_key = Jwk::Generate(Algorithm::kEs256)
                            .value()
                            .WithKid("k1")
                            .PublicOnly()
                            .value();
  auto impostor = [&](const json&) -> absl::StatusOr<const Jwk*> {
    return &other_key;
  };
  EXPECT_STATUS(validator.Verify(token, impostor, kNow),
                StatusCode::kUnauthenticated, "signature invalid");

  const Jwk rsa = Jwk::Generate(Algorithm::kRs256).value().WithKid("k1");
  auto other_alg = [&](const json&) -> absl::StatusOr<const Jwk*> {
    return &rsa;
  };
  EXPECT_STATUS(validator.Verify(token, other_alg, kNow),
                StatusCode::kUnauthenticated, "does not match key");
}

TEST_F(JwtValidatorTest, TamperedPayload) {
  const auto parts = Parts(Token(Claims()));
  json other = Claims();
  other["sub"] = "admin";
  const std::string forged =
      parts[0] + "." + Base64UrlEncode(other.dump()) + "." + parts[2];
  EXPECT_STATUS(Verify(forged), StatusCode::kUnauthenticated,
                "signature invalid");
}

TEST_F(JwtValidatorTest, TamperedSignature) {
  const auto parts = Parts(Token(Claims()));
  std::string sig = Base64UrlDecode(parts[2]).value();
  sig[0] ^= 0x80;
  EXPECT_STATUS(Verify(parts[0] + "." + parts[1] + "." + Base64UrlEncode(sig)),
                StatusCode::kUnauthenticated, "signature invalid");
  // Truncated and DER-encoded signatures are wrong lengths for ES256.
  EXPECT_STATUS(Verify(parts[0] + "." + parts[1] + "." +
                       Base64UrlEncode(sig.substr(0, 63))),
                StatusCode::kUnauthenticated, "signature invalid");
  EXPECT_STATUS(Verify(parts[0] + "." + parts[1] + "."),
                StatusCode::kUnauthenticated, "signature invalid");
}

TEST_F(JwtValidatorTest, TamperedHeader) {
  const auto parts = Parts(Token(Claims()));
  const std::string header =
      Base64UrlEncode(R"({"alg":"ES256","kid":"k1","typ":"JWT"})");
  EXPECT_STATUS(Verify(header + "." + parts[1] + "." + parts[2]),
                StatusCode::kUnauthenticated, "signature invalid");
}

TEST_F(JwtValidatorTest, Expired) {
  const std::string token = Token(Claims());
  EXPECT_OK(Verify(token, absl::FromUnixSeconds(kIat + 59)));
  EXPECT_STATUS(Verify(token, absl::FromUnixSeconds(kIat + 60)),
                StatusCode::kUnauthenticated, "token expired");
  EXPECT_STATUS(Verify(token, absl::FromUnixSeconds(kIat + 6000)),
                StatusCode::kUnauthenticated, "token expired");
}

TEST_F(JwtValidatorTest, FractionalExpiration) {
  json c = Claims();
  c["exp"] = kIat + 59.5;
  const std::string token = Token(c);
  EXPECT_OK(Verify(token, absl::FromUnixMillis((kIat + 59) * 1000 + 499)));
  EXPECT_STATUS(Verify(token, absl::FromUnixMillis((kIat + 59) * 1000 + 500)),
                StatusCode::kUnauthenticated, "token expired");
}

TEST_F(JwtValidatorTest, NotYetValid) {
  json c = Claims();
  c.erase("iat");  // Only nbf decides here.
  const std::string token = Token(c);
  EXPECT_OK(Verify(token, absl::FromUnixSeconds(kIat - 5)));
  EXPECT_STATUS(Verify(token, absl::FromUnixSeconds(kIat - 6)),
                StatusCode::kUnauthenticated, "token not yet valid");
}

TEST_F(JwtValidatorTest, IssuedInTheFuture) {
  json c = Claims();
  c.erase("nbf");
  c["iat"] = kIat + 20;
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "token issued in the future");
}

TEST_F(JwtValidatorTest, ClockSkew) {
  const std::string token = Token(Claims());
  const absl::Time late = absl::FromUnixSeconds(kIat + 60 + 30);
  EXPECT_STATUS(Verify(token, late), StatusCode::kUnauthenticated,
                "token expired");
  auto lenient = Builder().SetClockSkew(absl::Seconds(31)).Build().value();
  EXPECT_OK(lenient.Verify(token, keys_, late));
  auto tight = Builder().SetClockSkew(absl::Seconds(30)).Build().value();
  EXPECT_STATUS(tight.Verify(token, keys_, late), StatusCode::kUnauthenticated,
                "token expired");
  // nbf and iat get the same allowance.
  json c = Claims();
  c.erase("iat");
  const std::string nbf_token = Token(c);
  const absl::Time early = absl::FromUnixSeconds(kIat - 5 - 30);
  EXPECT_STATUS(Verify(nbf_token, early), StatusCode::kUnauthenticated,
                "not yet valid");
  EXPECT_OK(tight.Verify(nbf_token, keys_, early));
  c = Claims();
  c.erase("nbf");
  c["iat"] = kIat + 40;  // 30 s after kNow.
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated, "future");
  EXPECT_OK(tight.Verify(Token(c), keys_, kNow));
}

TEST_F(JwtValidatorTest, ClockSkewBounds) {
  EXPECT_OK(Builder().SetClockSkew(absl::Minutes(10)).Build());
  EXPECT_STATUS(
      Builder().SetClockSkew(absl::Minutes(10) + absl::Seconds(1)).Build(),
      StatusCode::kInvalidArgument, "clock skew");
  EXPECT_STATUS(Builder().SetClockSkew(absl::Seconds(-1)).Build(),
                StatusCode::kInvalidArgument, "clock skew");
}

TEST_F(JwtValidatorTest, MaxLifetime) {
  auto v = Builder().SetMaxLifetime(absl::Seconds(60)).Build().value();
  EXPECT_OK(v.Verify(Token(Claims()), keys_, kNow));
  json c = Claims();
  c["exp"] = kIat + 61;
  EXPECT_STATUS(v.Verify(Token(c), keys_, kNow), StatusCode::kUnauthenticated,
                "lifetime exceeds maximum");
  c = Claims();
  c.erase("iat");
  EXPECT_STATUS(v.Verify(Token(c), keys_, kNow), StatusCode::kUnauthenticated,
                "token has no iat");
  EXPECT_STATUS(Builder()
                    .SetMaxLifetime(absl::Seconds(60))
                    .AllowMissingExpiration()
                    .Build(),
                StatusCode::kInvalidArgument, "contradict");
  EXPECT_STATUS(Builder().SetMaxLifetime(absl::ZeroDuration()).Build(),
                StatusCode::kInvalidArgument, "positive");
}

TEST_F(JwtValidatorTest, MissingExpiration) {
  json c = Claims();
  c.erase("exp");
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "token has no expiration");
  auto v = Builder().AllowMissingExpiration().Build().value();
  EXPECT_OK(v.Verify(Token(c), keys_, kNow));
}

TEST_F(JwtValidatorTest, AudienceStringForm) {
  json c = Claims();
  c["aud"] = "other";
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "audience mismatch");
  c.erase("aud");
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "token has no audience");
}

TEST_F(JwtValidatorTest, AudienceArrayForm) {
  json c = Claims();
  c["aud"] = json::array({"x", "y"});
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "audience mismatch");
  c["aud"] = json::array({"x", "api"});
  ASSERT_OK_AND_ASSIGN(VerifiedJwt jwt, Verify(Token(c)));
  EXPECT_EQ(jwt.GetAudiences().value(), (std::vector<std::string>{"x", "api"}));
  // Any of several expected audiences.
  auto v = Builder().ExpectAudience("y").Build().value();
  c["aud"] = json::array({"y"});
  EXPECT_OK(v.Verify(Token(c), keys_, kNow));
  // Malformed aud values.
  c["aud"] = json::array();
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kInvalidArgument, "aud");
  c["aud"] = json::array({"api", 1});
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kInvalidArgument, "aud");
  c["aud"] = 5;
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kInvalidArgument, "aud");
}

TEST_F(JwtValidatorTest, AudienceMustBeExpectedOrIgnored) {
  auto no_aud = JwtValidatorBuilder()
                    .ExpectIssuer("issuer")
                    .AllowAlgorithms({Algorithm::kEs256})
                    .Build()
                    .value();
  EXPECT_STATUS(no_aud.Verify(Token(Claims()), keys_, kNow),
                StatusCode::kUnauthenticated, "expects none");
  json c = Claims();
  c.erase("aud");
  EXPECT_OK(no_aud.Verify(Token(c), keys_, kNow));
  auto ignore = JwtValidatorBuilder()
                    .ExpectIssuer("issuer")
                    .IgnoreAudiences()
                    .AllowAlgorithms({Algorithm::kEs256})
                    .Build()
                    .value();
  EXPECT_OK(ignore.Verify(Token(Claims()), keys_, kNow));
  EXPECT_STATUS(Builder().IgnoreAudiences().Build(),
                StatusCode::kInvalidArgument, "contradict");
}

TEST_F(JwtValidatorTest, Issuer) {
  json c = Claims();
  c["iss"] = "evil";
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "issuer mismatch");
  c.erase("iss");
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kUnauthenticated,
                "token has no issuer");
  c["iss"] = 7;
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kInvalidArgument,
                "iss is not a string");
  c["iss"] = "second";
  auto any_of = Builder().ExpectIssuer("second").Build().value();
  EXPECT_OK(any_of.Verify(Token(c), keys_, kNow));
  auto ignore = JwtValidatorBuilder()
                    .IgnoreIssuer()
                    .IgnoreAudiences()
                    .AllowAlgorithms({Algorithm::kEs256})
                    .Build()
                    .value();
  c["iss"] = "anything";
  EXPECT_OK(ignore.Verify(Token(c), keys_, kNow));
}

TEST_F(JwtValidatorTest, AlgNoneRejected) {
  // Hand-built unsecured JWS (RFC 7515 A.5 shape): empty signature.
  const std::string token = MakeToken(json{{"alg", "none"}}, Claims(), nullptr);
  EXPECT_EQ(token.back(), '.');
  EXPECT_STATUS(Verify(token), StatusCode::kUnauthenticated,
                "algorithm not allowed: none");
  std::set<Algorithm> all(std::begin(kAllAlgorithms), std::end(kAllAlgorithms));
  auto permissive = Builder().AllowAlgorithms(all).Build().value();
  EXPECT_STATUS(permissive.Verify(token, keys_, kNow),
                StatusCode::kUnauthenticated, "algorithm not allowed: none");
  EXPECT_STATUS(permissive.Verify(token, key_, kNow),
                StatusCode::kUnauthenticated, "algorithm not allowed: none");
  for (const char* alg : {"None", "NONE", "nOnE", "es256", ""}) {
    EXPECT_STATUS(permissive.Verify(MakeToken(json{{"alg", alg}, {"kid", "k1"}},
                                              Claims(), &key_),
                                    keys_, kNow),
                  StatusCode::kUnauthenticated, "algorithm not allowed")
        << alg;
  }
}

TEST_F(JwtValidatorTest, AlgorithmConfusionHmacWithRsaPublicKey) {
  // The classic attack: sign HS256 with the verifier's RSA public key bytes.
  ASSERT_OK_AND_ASSIGN(Jwk rsa, Jwk::Generate(Algorithm::kRs256));
  const Jwk rsa_pub = rsa.WithKid("rsa").PublicOnly().value();
  const std::string pem = rsa_pub.ToPublicPem().value();
  ASSERT_OK_AND_ASSIGN(Jwk hmac, Jwk::FromSecret(pem, Algorithm::kHs256));
  const std::string token =
      MakeToken(json{{"alg", "HS256"}, {"kid", "rsa"}}, Claims(), &hmac);
  JwkSet set;
  ASSERT_OK(set.Add(rsa_pub));

  auto rs_only = JwtValidatorBuilder()
                     .ExpectIssuer("issuer")
                     .ExpectAudience("api")
                     .AllowAlgorithms({Algorithm::kRs256})
                     .Build()
                     .value();
  EXPECT_STATUS(rs_only.Verify(token, set, kNow), StatusCode::kUnauthenticated,
                "algorithm not allowed: HS256");
  EXPECT_STATUS(rs_only.Verify(token, rsa_pub, kNow),
                StatusCode::kUnauthenticated, "algorithm not allowed: HS256");
  // Even a careless policy allowing both cannot be confused: the key is
  // bound to RS256.
  auto both = JwtValidatorBuilder()
                  .ExpectIssuer("issuer")
                  .ExpectAudience("api")
                  .AllowAlgorithms({Algorithm::kRs256, Algorithm::kHs256})
                  .Build()
                  .value();
  EXPECT_STATUS(both.Verify(token, set, kNow), StatusCode::kUnauthenticated,
                "algorithm does not match key");
  EXPECT_STATUS(both.Verify(token, rsa_pub, kNow), StatusCode::kUnauthenticated,
                "algorithm does not match key");
  // And the token is otherwise well-formed: the HMAC key itself accepts it.
  EXPECT_OK(both.Verify(token, hmac.WithKid("rsa"), kNow));
}

TEST_F(JwtValidatorTest, HeaderAlgMustMatchKey) {
  // An ES384 signature under kid k1, whose key is bound to ES256.
  ASSERT_OK_AND_ASSIGN(Jwk es384, Jwk::Generate(Algorithm::kEs384));
  const std::string token =
      MakeToken(json{{"alg", "ES384"}, {"kid", "k1"}}, Claims(), &es384);
  auto v = Builder().AllowAlgorithms({Algorithm::kEs384}).Build().value();
  EXPECT_STATUS(v.Verify(token, keys_, kNow), StatusCode::kUnauthenticated,
                "algorithm does not match key: token ES384, key ES256");
  // Same signature bytes relabelled ES256: the signature is then wrong.
  const std::string relabelled =
      MakeToken(json{{"alg", "ES256"}, {"kid", "k1"}}, Claims(), &es384);
  EXPECT_FALSE(v.Verify(relabelled, keys_, kNow).ok());
}

TEST_F(JwtValidatorTest, CritRejected) {
  json h = Header();
  h["crit"] = json::array({"exp"});
  EXPECT_STATUS(Verify(MakeToken(h, Claims(), &key_)),
                StatusCode::kUnauthenticated, "unsupported crit header");
  h["crit"] = json::array();
  EXPECT_STATUS(Verify(MakeToken(h, Claims(), &key_)),
                StatusCode::kUnauthenticated, "crit");
}

TEST_F(JwtValidatorTest, UnencodedPayloadRejected) {
  json h = Header();
  h["b64"] = false;
  EXPECT_STATUS(Verify(MakeToken(h, Claims(), &key_)),
                StatusCode::kUnauthenticated, "b64");
  h["crit"] = json::array({"b64"});
  EXPECT_STATUS(Verify(MakeToken(h, Claims(), &key_)),
                StatusCode::kUnauthenticated, "");
}

TEST_F(JwtValidatorTest, Oversized) {
  json c = Claims();
  c["pad"] = std::string(6000, 'x');
  const std::string token = Token(c);
  ASSERT_GT(token.size(), 8000u);
  EXPECT_STATUS(Verify(token), StatusCode::kInvalidArgument, "token too large");
  auto big = Builder().SetMaxTokenBytes(20000).Build().value();
  EXPECT_OK(big.Verify(token, keys_, kNow));
  EXPECT_STATUS(Builder().SetMaxTokenBytes(0).Build(),
                StatusCode::kInvalidArgument, "max token bytes");
}

TEST_F(JwtValidatorTest, RequiredClaim) {
  auto v = Builder().RequireClaim("sid").RequireClaim("org").Build().value();
  json c = Claims();
  c["org"] = nullptr;  // Present (as null) counts.
  EXPECT_OK(v.Verify(Token(c), keys_, kNow));
  c.erase("sid");
  EXPECT_STATUS(v.Verify(Token(c), keys_, kNow), StatusCode::kUnauthenticated,
                "missing required claim: sid");
}

TEST_F(JwtValidatorTest, TypeHeader) {
  auto v = Builder().ExpectTypeHeader("JWT").Build().value();
  json h = Header();
  EXPECT_STATUS(v.Verify(MakeToken(h, Claims(), &key_), keys_, kNow),
                StatusCode::kUnauthenticated, "token has no typ header");
  h["typ"] = "jwt";
  EXPECT_OK(v.Verify(MakeToken(h, Claims(), &key_), keys_, kNow));
  h["typ"] = "at+jwt";
  EXPECT_STATUS(v.Verify(MakeToken(h, Claims(), &key_), keys_, kNow),
                StatusCode::kUnauthenticated, "typ header mismatch");
  h["typ"] = 1;
  EXPECT_STATUS(v.Verify(MakeToken(h, Claims(), &key_), keys_, kNow),
                StatusCode::kInvalidArgument, "typ");
  EXPECT_STATUS(
      Builder().ExpectTypeHeader("JWT").ExpectTypeHeader("at+jwt").Build(),
      StatusCode::kInvalidArgument, "ExpectTypeHeader");
}

TEST_F(JwtValidatorTest, KeySelection) {
  json h = Header();
  h["kid"] = "k2";
  EXPECT_STATUS(Verify(MakeToken(h, Claims(), &key_)),
                StatusCode::kUnauthenticated, "unknown kid");
  h["kid"] = 5;
  EXPECT_STATUS(Verify(MakeToken(h, Claims(), &key_)),
                StatusCode::kInvalidArgument, "kid");
  // No kid: the set's only ES256 key is used.
  h.erase("kid");
  const std::string no_kid = MakeToken(h, Claims(), &key_);
  ASSERT_OK_AND_ASSIGN(VerifiedJwt jwt, Verify(no_kid));
  EXPECT_EQ(jwt.kid(), "");
  // ... unless that is ambiguous, or there is none.
  JwkSet two = keys_;
  ASSERT_OK(
      two.Add(Jwk::Generate(Algorithm::kEs256).value().PublicOnly().value()));
  EXPECT_STATUS(Validator().Verify(no_kid, two, kNow),
                StatusCode::kUnauthenticated, "several keys match");
  JwkSet other;
  ASSERT_OK(
      other.Add(Jwk::Generate(Algorithm::kEs384).value().PublicOnly().value()));
  EXPECT_STATUS(Validator().Verify(no_kid, other, kNow),
                StatusCode::kUnauthenticated, "no key for algorithm");
  EXPECT_STATUS(Validator().Verify(no_kid, JwkSet(), kNow),
                StatusCode::kUnauthenticated, "no key for algorithm");
  // With an explicit key, a kid in the token must name it.
  EXPECT_OK(Validator().Verify(Token(Claims()), key_, kNow));
  EXPECT_OK(Validator().Verify(no_kid, key_, kNow));
  EXPECT_STATUS(Validator().Verify(Token(Claims()), key_.WithKid("zz"), kNow),
                StatusCode::kUnauthenticated, "unknown kid");
}

TEST_F(JwtValidatorTest, MalformedTokens) {
  const std::string token = Token(Claims());
  const auto parts = Parts(token);
  const std::string sig = parts[2];
  for (const std::string& bad :
       {std::string(""), std::string("abc"), parts[0] + "." + parts[1],
        token + ".", token + "." + sig, "." + parts[1] + "." + sig}) {
    EXPECT_EQ(Verify(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_STATUS(Verify(parts[0] + "=." + parts[1] + "." + sig),
                StatusCode::kInvalidArgument, "header is not base64url");
  EXPECT_STATUS(Verify(parts[0] + "." + parts[1] + "+." + sig),
                StatusCode::kInvalidArgument, "payload is not base64url");
  EXPECT_STATUS(Verify(parts[0] + "." + parts[1] + "." + sig + "="),
                StatusCode::kInvalidArgument, "signature is not base64url");
  EXPECT_STATUS(
      Verify(Base64UrlEncode("not json") + "." + parts[1] + "." + sig),
      StatusCode::kInvalidArgument, "header is not a JSON object");
  EXPECT_STATUS(
      Verify(MakeTokenFromText(R"({"alg":"ES256","kid":"k1"})", "[1]", &key_)),
      StatusCode::kInvalidArgument, "payload is not a JSON object");
  EXPECT_STATUS(
      Verify(MakeTokenFromText(R"({"alg":"ES256","alg":"ES256","kid":"k1"})",
                               Claims().dump(), &key_)),
      StatusCode::kInvalidArgument, "header is not a JSON object");
  EXPECT_STATUS(
      Verify(MakeTokenFromText(R"({"alg":"ES256","kid":"k1"})",
                               R"({"iss":"issuer","iss":"evil"})", &key_)),
      StatusCode::kInvalidArgument, "payload is not a JSON object");
  EXPECT_STATUS(Verify(MakeToken(json{{"kid", "k1"}}, Claims(), &key_)),
                StatusCode::kInvalidArgument, "header has no alg");
  EXPECT_STATUS(
      Verify(MakeToken(json{{"alg", 1}, {"kid", "k1"}}, Claims(), &key_)),
      StatusCode::kInvalidArgument, "header has no alg");
}

TEST_F(JwtValidatorTest, MalformedTimeClaims) {
  for (const json& bad :
       {json("1700000060"), json(-1), json(true), json(253402300800),
        json(1e300), json(18446744073709551615ull)}) {
    json c = Claims();
    c["exp"] = bad;
    EXPECT_EQ(Verify(Token(c)).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  json c = Claims();
  c["nbf"] = "soon";
  EXPECT_STATUS(Verify(Token(c)), StatusCode::kInvalidArgument,
                "nbf is not a number");
}

TEST_F(JwtValidatorTest, BuilderRequiresChoices) {
  EXPECT_STATUS(JwtValidatorBuilder().IgnoreIssuer().Build(),
                StatusCode::kInvalidArgument, "AllowAlgorithms");
  EXPECT_STATUS(
      JwtValidatorBuilder().AllowAlgorithms({}).IgnoreIssuer().Build(),
      StatusCode::kInvalidArgument, "AllowAlgorithms");
  EXPECT_STATUS(
      JwtValidatorBuilder().AllowAlgorithms({Algorithm::kEs256}).Build(),
      StatusCode::kInvalidArgument, "ExpectIssuer() or IgnoreIssuer()");
  EXPECT_STATUS(JwtValidatorBuilder()
                    .AllowAlgorithms({Algorithm::kEs256})
                    .ExpectIssuer("a")
                    .IgnoreIssuer()
                    .Build(),
                StatusCode::kInvalidArgument, "contradict");
  EXPECT_STATUS(Builder().RequireClaim("").Build(),
                StatusCode::kInvalidArgument, "empty");
}

TEST_F(JwtValidatorTest, MessagesCarryNoKeyMaterial) {
  const std::string secret(32, 's');
  const Jwk hmac = Jwk::FromSecret(secret, Algorithm::kHs256).value();
  auto v = JwtValidatorBuilder()
               .IgnoreIssuer()
               .IgnoreAudiences()
               .AllowAlgorithms({Algorithm::kHs256})
               .Build()
               .value();
  const std::string token =
      MakeToken(json{{"alg", "HS256"}}, Claims(), &key_);  // wrong key type
  auto result = v.Verify(token, hmac, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(std::string(result.status().message()).find(secret),
            std::string::npos);
}

}  // namespace
}  // namespace tokend::jose
