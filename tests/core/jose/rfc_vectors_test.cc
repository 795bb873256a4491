// Published JOSE test vectors: RFC 7515 Appendix A.1-A.4, RFC 8037 Appendix
// A, RFC 7638 §3.1. Each was cross-checked with python3-jwcrypto.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jws.h"
#include "core/jose/jwt_validator.h"
#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;

// The JWT claims of RFC 7515 A.1-A.3 (with CR LF inside), base64url.
constexpr absl::string_view kA1Header =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
constexpr absl::string_view kClaims =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr int64_t kClaimsExp = 1300819380;

constexpr absl::string_view kA1Key =
    R"({"kty":"oct",
        "k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
constexpr absl::string_view kA1Signature =
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

constexpr absl::string_view kA2Key = R"({"kty":"RSA",
 "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
 "e":"AQAB",
 "d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
 "p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
 "q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
 "dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
 "dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
 "qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"
})";
constexpr absl::string_view kA2Header = "eyJhbGciOiJSUzI1NiJ9";
constexpr absl::string_view kA2Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
    "AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
    "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
    "p0igcN_IoypGlUPQGe77Rw";

constexpr absl::string_view kA3Key = R"({"kty":"EC","crv":"P-256",
 "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
 "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
 "d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
constexpr absl::string_view kA3Header = "eyJhbGciOiJFUzI1NiJ9";
constexpr absl::string_view kA3Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
    "pmWQxfKTUJqPP3-Kg6NU1Q";

constexpr absl::string_view kA4Key = R"({"kty":"EC","crv":"P-521",
 "x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
 "y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2",
 "d":"AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPAxerEzgdRhajnu0ferB0d53vM9mE15j2C"})";
// RFC 7515 A.4: the payload is the 7 bytes "Payload", not a JWT.
constexpr absl::string_view kA4SigningInput = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA";
constexpr absl::string_view kA4Signature =
    "AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZq"
    "wqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8Kp"
    "EHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

// RFC 8037 A.1 (private key) and A.2 (its public key).
constexpr absl::string_view kEd25519Private =
    R"({"kty":"OKP","crv":"Ed25519",
        "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr absl::string_view kEd25519Public =
    R"({"kty":"OKP","crv":"Ed25519",
        "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
// RFC 8037 A.4: signing input and signature for "Example of Ed25519 signing".
constexpr absl::string_view kEd25519SigningInput =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr absl::string_view kEd25519Signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5B"
    "hVsPt9g7sVvpAr_MuM0KAg";

std::string Join(absl::string_view a, absl::string_view b) {
  return std::string(a) + "." + std::string(b);
}

std::string SignB64(const Jwk& key, absl::string_view input) {
  uint8_t sig[internal::kMaxSignatureBytes];
  size_t len = 0;
  absl::Status s = internal::Sign(key, input, sig, &len);
  EXPECT_TRUE(s.ok()) << s;
  return Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(sig), len));
}

// Before the RFC tokens' exp (2011-03-22).
absl::Time RfcNow() { return absl::FromUnixSeconds(kClaimsExp - 60); }

JwtValidator RfcValidator(Algorithm alg) {
  auto v = JwtValidatorBuilder()
               .ExpectIssuer("joe")
               .AllowAlgorithms({alg})
               .RequireClaim("http://example.com/is_root")
               .Build();
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

TEST(Rfc7515Test, A1Hs256ExactSignatureAndVerify) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::FromJson(kA1Key, Algorithm::kHs256));
  const std::string input = Join(kA1Header, kClaims);
  EXPECT_EQ(SignB64(key, input), kA1Signature);

  const std::string token = Join(input, kA1Signature);
  ASSERT_OK_AND_ASSIGN(
      VerifiedJwt jwt,
      RfcValidator(Algorithm::kHs256).Verify(token, key, RfcNow()));
  EXPECT_EQ(jwt.GetIssuer().value(), "joe");
  EXPECT_EQ(jwt.GetExpiration().value(), absl::FromUnixSeconds(kClaimsExp));
  EXPECT_TRUE(jwt.GetBoolClaim("http://example.com/is_root").value());
  EXPECT_EQ(jwt.GetTypeHeader().value(), "JWT");

  // One second after exp the same token is expired.
  EXPECT_STATUS(RfcValidator(Algorithm::kHs256)
                    .Verify(token, key, absl::FromUnixSeconds(kClaimsExp)),
                StatusCode::kUnauthenticated, "token expired");
}

TEST(Rfc7515Test, A2Rs256DeterministicSignatureAndVerify) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::FromJson(kA2Key, Algorithm::kRs256));
  ASSERT_TRUE(key.has_private());
  const std::string input = Join(kA2Header, kClaims);
  // RSASSA-PKCS1-v1_5 is deterministic: byte-for-byte the RFC's signature.
  EXPECT_EQ(SignB64(key, input), kA2Signature);

  ASSERT_OK_AND_ASSIGN(Jwk pub, key.PublicOnly());
  JwkSet set;
  ASSERT_OK(set.Add(pub));
  const std::string token = Join(input, kA2Signature);
  ASSERT_OK_AND_ASSIGN(
      VerifiedJwt jwt,
      RfcValidator(Algorithm::kRs256).Verify(token, set, RfcNow()));
  EXPECT_EQ(jwt.algorithm(), Algorithm::kRs256);
  EXPECT_EQ(jwt.kid(), "");  // The token has none; the only RS256 key fits.
}

TEST(Rfc7515Test, A3Es256Verify) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::FromJson(kA3Key, Algorithm::kEs256));
  ASSERT_OK_AND_ASSIGN(Jwk pub, key.PublicOnly());
  const std::string token = Join(Join(kA3Header, kClaims), kA3Signature);
  EXPECT_OK(RfcValidator(Algorithm::kEs256).Verify(token, pub, RfcNow()));

  // ECDSA is randomised; our own signature must verify too.
  const std::string input = Join(kA3Header, kClaims);
  const std::string ours = SignB64(key, input);
  EXPECT_NE(ours, kA3Signature);
  EXPECT_EQ(ours.size(), kA3Signature.size());  // 64-byte r||s.
  EXPECT_OK(internal::Verify(pub, input, Base64UrlDecode(ours).value()));
}

// s > n / 2, computed with BIGNUM (apart from the code under test's byte
// arithmetic).
bool IsHighS(const std::string& raw_signature, int nid) {
  const size_t width = raw_signature.size() / 2;
  EC_GROUP* group = EC_GROUP_new_by_curve_name(nid);
  BIGNUM* s =
      BN_bin2bn(reinterpret_cast<const uint8_t*>(raw_signature.data()) + width,
                static_cast<int>(width), nullptr);
  BIGNUM* half = BN_dup(EC_GROUP_get0_order(group));
  BN_rshift1(half, half);
  const bool high = BN_cmp(s, half) > 0;
  BN_free(half);
  BN_free(s);
  EC_GROUP_free(group);
  return high;
}

// Random nonces give high S half the time; every signature of ours has the
// low one, and still verifies.
TEST(EcdsaTest, SignaturesCarryLowS) {
  struct Case {
    absl::string_view key;
    Algorithm alg;
    int nid;
  };
  for (const Case& c : {Case{kA3Key, Algorithm::kEs256, NID_X9_62_prime256v1},
                        Case{kA4Key, Algorithm::kEs512, NID_secp521r1}}) {
    ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::FromJson(c.key, c.alg));
    ASSERT_OK_AND_ASSIGN(Jwk pub, key.PublicOnly());
    for (int i = 0; i < 64; ++i) {
      const std::string input = absl::StrCat("input ", i);
      ASSERT_OK_AND_ASSIGN(std::string sig,
                           Base64UrlDecode(SignB64(key, input)));
      EXPECT_FALSE(IsHighS(sig, c.nid)) << AlgorithmName(c.alg) << " " << i;
      EXPECT_OK(internal::Verify(pub, input, sig));
    }
  }
}

TEST(Rfc7515Test, A4Es512Verify) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::FromJson(kA4Key, Algorithm::kEs512));
  ASSERT_OK_AND_ASSIGN(std::string sig, Base64UrlDecode(kA4Signature));
  ASSERT_EQ(sig.size(), 132u);
  EXPECT_OK(internal::Verify(key, kA4SigningInput, sig));
  ASSERT_OK_AND_ASSIGN(Jwk pub, key.PublicOnly());
  EXPECT_OK(internal::Verify(pub, kA4SigningInput, sig));
  sig[70] ^= 1;
  EXPECT_STATUS(internal::Verify(pub, kA4SigningInput, sig),
                StatusCode::kUnauthenticated, "signature invalid");
  // A JWS whose payload is not a JSON object is not a JWT.
  const std::string token = Join(kA4SigningInput, kA4Signature);
  auto validator = JwtValidatorBuilder()
                       .IgnoreIssuer()
                       .AllowAlgorithms({Algorithm::kEs512})
                       .Build()
                       .value();
  EXPECT_STATUS(validator.Verify(token, pub, absl::Now()),
                StatusCode::kInvalidArgument, "payload is not a JSON object");
}

TEST(Rfc8037Test, Ed25519KeyAndDeterministicSignature) {
  ASSERT_OK_AND_ASSIGN(Jwk key,
                       Jwk::FromJson(kEd25519Private, Algorithm::kEdDsa));
  ASSERT_OK_AND_ASSIGN(Jwk pub,
                       Jwk::FromJson(kEd25519Public, Algorithm::kEdDsa));
  EXPECT_TRUE(key.has_private());
  EXPECT_FALSE(pub.has_private());
  // A.3: the thumbprint, which is also the default kid.
  EXPECT_EQ(pub.Thumbprint().value(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  EXPECT_EQ(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  // A.4: Ed25519 is deterministic.
  EXPECT_EQ(SignB64(key, kEd25519SigningInput), kEd25519Signature);
  // A.5: verification with the public key.
  EXPECT_OK(internal::Verify(pub, kEd25519SigningInput,
                             Base64UrlDecode(kEd25519Signature).value()));
  EXPECT_STATUS(internal::Verify(pub, "eyJhbGciOiJFZERTQSJ9.eA",
                                 Base64UrlDecode(kEd25519Signature).value()),
                StatusCode::kUnauthenticated, "signature invalid");
}

TEST(Rfc8037Test, MismatchedPrivateKeyRejected) {
  // d from A.1 with another x.
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":"OKP","crv":"Ed25519",
        "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURr"})",
                              Algorithm::kEdDsa),
                StatusCode::kInvalidArgument, "");
}

TEST(Rfc7638Test, RsaThumbprint) {
  // §3.1, including members that do not take part in the thumbprint.
  constexpr absl::string_view kKey = R"({"kty":"RSA",
   "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
   "e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::FromJson(kKey));
  EXPECT_EQ(key.kid(), "2011-04-29");
  EXPECT_EQ(key.Thumbprint().value(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

}  // namespace
}  // namespace tokend::jose
