#include "core/jose/jwk.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "core/jose/base64url.h"
#include "core/jose/jws.h"
#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;
using nlohmann::json;

// Sign with `priv`, verify with `pub`: the two halves belong together.
void ExpectPair(const Jwk& priv, const Jwk& pub) {
  uint8_t sig[internal::kMaxSignatureBytes];
  size_t len = 0;
  ASSERT_OK(internal::Sign(priv, "a.b", sig, &len));
  const std::string s(reinterpret_cast<const char*>(sig), len);
  EXPECT_OK(internal::Verify(pub, "a.b", s));
  EXPECT_STATUS(internal::Verify(pub, "a.c", s), StatusCode::kUnauthenticated,
                "signature invalid");
}

class JwkRoundTripTest : public testing::TestWithParam<Algorithm> {};

TEST_P(JwkRoundTripTest, GenerateExportImport) {
  const Algorithm alg = GetParam();
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(alg));
  EXPECT_EQ(key.algorithm(), alg);
  EXPECT_TRUE(key.has_private());
  ASSERT_OK_AND_ASSIGN(std::string thumb, key.Thumbprint());
  EXPECT_EQ(key.kid(), thumb);  // Default kid.
  EXPECT_EQ(thumb.size(), 43u);

  // Private JSON round trip (the at-rest form).
  ASSERT_OK_AND_ASSIGN(std::string priv_json, key.ToPrivateJson());
  ASSERT_OK_AND_ASSIGN(Jwk priv2, Jwk::FromJson(priv_json));
  EXPECT_EQ(priv2.algorithm(), alg);
  EXPECT_EQ(priv2.kid(), key.kid());
  EXPECT_TRUE(priv2.has_private());
  EXPECT_EQ(priv2.ToPrivateJson().value(), priv_json);

  if (IsHmac(alg)) {
    EXPECT_STATUS(key.PublicOnly(), StatusCode::kFailedPrecondition, "");
    EXPECT_STATUS(key.ToPublicJsonObject(), StatusCode::kFailedPrecondition,
                  "");
    EXPECT_STATUS(key.ToPublicPem(), StatusCode::kFailedPrecondition, "");
    EXPECT_STATUS(key.ToPrivatePem(), StatusCode::kFailedPrecondition, "");
    EXPECT_EQ(key.secret().size(), HashLength(alg));
    ExpectPair(key, priv2);
    return;
  }

  // Public JSON round trip.
  ASSERT_OK_AND_ASSIGN(json pub_obj, key.ToPublicJsonObject());
  EXPECT_EQ(pub_obj["alg"], std::string(AlgorithmName(alg)));
  EXPECT_EQ(pub_obj["kty"], std::string(KeyTypeName(alg)));
  EXPECT_EQ(pub_obj["use"], "sig");
  EXPECT_EQ(pub_obj["kid"], key.kid());
  EXPECT_FALSE(pub_obj.contains("d"));
  ASSERT_OK_AND_ASSIGN(Jwk pub, Jwk::FromJsonObject(pub_obj));
  EXPECT_FALSE(pub.has_private());
  EXPECT_EQ(pub.Thumbprint().value(), thumb);
  EXPECT_STATUS(pub.ToPrivateJson(), StatusCode::kFailedPrecondition, "");
  EXPECT_STATUS(pub.ToPrivatePem(), StatusCode::kFailedPrecondition, "");
  ExpectPair(key, pub);
  ExpectPair(priv2, pub);

  ASSERT_OK_AND_ASSIGN(Jwk pub_only, key.PublicOnly());
  EXPECT_FALSE(pub_only.has_private());
  EXPECT_EQ(pub_only.kid(), key.kid());
  EXPECT_EQ(pub_only.ToPublicJson().value(), key.ToPublicJson().value());

  // PEM round trips, with an explanatory line before the block.
  ASSERT_OK_AND_ASSIGN(std::string priv_pem, key.ToPrivatePem());
  EXPECT_EQ(priv_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  ASSERT_OK_AND_ASSIGN(
      Jwk from_pem,
      Jwk::FromPem("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID "
                   "<ajexxxxx>\n" +
                       priv_pem,
                   alg));
  EXPECT_TRUE(from_pem.has_private());
  EXPECT_EQ(from_pem.kid(), thumb);
  ExpectPair(from_pem, pub);

  ASSERT_OK_AND_ASSIGN(std::string pub_pem, key.ToPublicPem());
  EXPECT_EQ(pub_pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  ASSERT_OK_AND_ASSIGN(Jwk pub_from_pem, Jwk::FromPem(pub_pem, alg));
  EXPECT_FALSE(pub_from_pem.has_private());
  EXPECT_EQ(pub_from_pem.Thumbprint().value(), thumb);
  ExpectPair(key, pub_from_pem);
  EXPECT_EQ(pub_from_pem.ToPublicPem().value(), pub_pem);
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwkRoundTripTest,
                         testing::ValuesIn(kAllAlgorithms),
                         [](const testing::TestParamInfo<Algorithm>& info) {
                           return std::string(AlgorithmName(info.param));
                         });

TEST(JwkTest, AlgorithmMustBeKnown) {
  constexpr char kOct[] =
      R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
  EXPECT_STATUS(Jwk::FromJson(kOct), StatusCode::kInvalidArgument, "no alg");
  EXPECT_OK(Jwk::FromJson(kOct, Algorithm::kHs256));
  EXPECT_OK(Jwk::FromJson(kOct, Algorithm::kHs512));  // 64 bytes.
  const std::string with_alg =
      R"({"kty":"oct","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
  EXPECT_OK(Jwk::FromJson(with_alg));
  EXPECT_OK(Jwk::FromJson(with_alg, Algorithm::kHs256));
  EXPECT_STATUS(Jwk::FromJson(with_alg, Algorithm::kHs384),
                StatusCode::kInvalidArgument, "does not match");
  EXPECT_STATUS(Jwk::FromJson(with_alg, Algorithm::kRs256),
                StatusCode::kInvalidArgument, "does not match");
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":"oct","alg":"none","k":"AAAA"})"),
                StatusCode::kInvalidArgument, "alg is not supported");
}

TEST(JwkTest, KeyTypeMustFitAlgorithm) {
  ASSERT_OK_AND_ASSIGN(Jwk ec, Jwk::Generate(Algorithm::kEs256));
  json obj = ec.ToPublicJsonObject().value();
  obj.erase("alg");
  EXPECT_OK(Jwk::FromJsonObject(obj, Algorithm::kEs256));
  EXPECT_STATUS(Jwk::FromJsonObject(obj, Algorithm::kRs256),
                StatusCode::kInvalidArgument, "kty");
  EXPECT_STATUS(Jwk::FromJsonObject(obj, Algorithm::kEs384),
                StatusCode::kInvalidArgument, "crv");
  EXPECT_STATUS(Jwk::FromJsonObject(obj, Algorithm::kHs256),
                StatusCode::kInvalidArgument, "kty");
}

TEST(JwkTest, UseAndKeyOps) {
  ASSERT_OK_AND_ASSIGN(Jwk ec, Jwk::Generate(Algorithm::kEs256));
  json obj = ec.ToPublicJsonObject().value();
  obj["use"] = "enc";
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument, "use");
  obj["use"] = 1;
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument, "use");
  obj.erase("use");
  EXPECT_OK(Jwk::FromJsonObject(obj));
  obj["key_ops"] = json::array({"verify"});
  EXPECT_OK(Jwk::FromJsonObject(obj));
  obj["key_ops"] = json::array({"verify", "encrypt"});
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "key_ops");
}

TEST(JwkTest, EcCoordinateChecks) {
  ASSERT_OK_AND_ASSIGN(Jwk ec, Jwk::Generate(Algorithm::kEs256));
  const json good = ec.ToPublicJsonObject().value();
  std::string x = Base64UrlDecode(good["x"].get<std::string>()).value();
  std::string y = Base64UrlDecode(good["y"].get<std::string>()).value();

  json obj = good;
  obj["x"] = Base64UrlEncode(std::string(1, '\0') + x);  // 33 bytes.
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "wrong length");
  obj = good;
  obj["y"] = Base64UrlEncode(y.substr(1));  // 31 bytes.
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "wrong length");
  obj = good;
  y[31] ^= 1;
  obj["y"] = Base64UrlEncode(y);
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "not on the curve");
  obj = good;
  obj.erase("y");
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "y missing");
}

TEST(JwkTest, EcPrivateScalarMustMatch) {
  ASSERT_OK_AND_ASSIGN(Jwk a, Jwk::Generate(Algorithm::kEs256));
  ASSERT_OK_AND_ASSIGN(Jwk b, Jwk::Generate(Algorithm::kEs256));
  json obj = json::parse(a.ToPrivateJson().value());
  obj["d"] = json::parse(b.ToPrivateJson().value())["d"];
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "inconsistent");
}

TEST(JwkTest, RsaPrivateNeedsAllMembersAndConsistency) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kRs256));
  const json full = json::parse(key.ToPrivateJson().value());
  for (const char* member : {"p", "q", "dp", "dq", "qi"}) {
    json obj = full;
    obj.erase(member);
    EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                  "needs all of");
  }
  json obj = full;
  obj["oth"] = json::array();
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "multi-prime");
  obj = full;
  std::swap(obj["dp"], obj["dq"]);
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "inconsistent");
}

// A 1024-bit key made on the spot with libcrypto.
std::string SmallRsaPublicPem() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr);
  EVP_PKEY* pkey = nullptr;
  EXPECT_EQ(EVP_PKEY_keygen_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024), 1);
  EXPECT_EQ(EVP_PKEY_keygen(ctx, &pkey), 1);
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio, pkey), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(ctx);
  return pem;
}

TEST(JwkTest, RsaShorterThan2048Rejected) {
  const std::string pem = SmallRsaPublicPem();
  EXPECT_STATUS(Jwk::FromPem(pem, Algorithm::kRs256),
                StatusCode::kInvalidArgument, "shorter than 2048");
  // The same modulus as a JWK: take a real 2048-bit JWK and truncate n.
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kRs256));
  json obj = key.ToPublicJsonObject().value();
  std::string n = Base64UrlDecode(obj["n"].get<std::string>()).value();
  n.resize(128);
  n.back() |= 1;
  obj["n"] = Base64UrlEncode(n);
  EXPECT_STATUS(Jwk::FromJsonObject(obj), StatusCode::kInvalidArgument,
                "shorter than 2048");
}

TEST(JwkTest, GenerateRsaSizes) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::GenerateRsa(Algorithm::kPs256, 3072));
  json obj = key.ToPublicJsonObject().value();
  EXPECT_EQ(Base64UrlDecode(obj["n"].get<std::string>())->size(), 384u);
  EXPECT_STATUS(Jwk::GenerateRsa(Algorithm::kPs256, 1024),
                StatusCode::kInvalidArgument, "2048, 3072 or 4096");
  EXPECT_STATUS(Jwk::GenerateRsa(Algorithm::kEs256, 2048),
                StatusCode::kInvalidArgument, "");
}

TEST(JwkTest, PemMustFitAlgorithm) {
  ASSERT_OK_AND_ASSIGN(Jwk rsa, Jwk::Generate(Algorithm::kRs256));
  ASSERT_OK_AND_ASSIGN(Jwk p384, Jwk::Generate(Algorithm::kEs384));
  const std::string rsa_pem = rsa.ToPrivatePem().value();
  EXPECT_OK(Jwk::FromPem(rsa_pem, Algorithm::kPs512));
  EXPECT_STATUS(Jwk::FromPem(rsa_pem, Algorithm::kEs256),
                StatusCode::kInvalidArgument, "not an EC key");
  EXPECT_STATUS(Jwk::FromPem(rsa_pem, Algorithm::kEdDsa),
                StatusCode::kInvalidArgument, "not an Ed25519 key");
  EXPECT_STATUS(Jwk::FromPem(rsa_pem, Algorithm::kHs256),
                StatusCode::kInvalidArgument, "");
  EXPECT_STATUS(Jwk::FromPem(p384.ToPublicPem().value(), Algorithm::kEs256),
                StatusCode::kInvalidArgument, "P-256");
}

TEST(JwkTest, PemRejectsOtherBlocks) {
  EXPECT_STATUS(Jwk::FromPem("no pem here", Algorithm::kRs256),
                StatusCode::kInvalidArgument, "no PEM block");
  EXPECT_STATUS(
      Jwk::FromPem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA "
                   "PRIVATE KEY-----\n",
                   Algorithm::kRs256),
      StatusCode::kInvalidArgument, "PKCS#8");
  EXPECT_STATUS(
      Jwk::FromPem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END "
                   "ENCRYPTED PRIVATE KEY-----\n",
                   Algorithm::kRs256),
      StatusCode::kInvalidArgument, "PKCS#8");
  EXPECT_STATUS(Jwk::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END "
                             "PRIVATE KEY-----\n",
                             Algorithm::kRs256),
                StatusCode::kInvalidArgument, "could not be parsed");
}

TEST(JwkTest, SecretLength) {
  EXPECT_OK(Jwk::FromSecret(std::string(32, 'k'), Algorithm::kHs256));
  EXPECT_STATUS(Jwk::FromSecret(std::string(31, 'k'), Algorithm::kHs256),
                StatusCode::kInvalidArgument, "at least 32 bytes");
  EXPECT_STATUS(Jwk::FromSecret(std::string(47, 'k'), Algorithm::kHs384),
                StatusCode::kInvalidArgument, "at least 48 bytes");
  EXPECT_STATUS(Jwk::FromSecret(std::string(63, 'k'), Algorithm::kHs512),
                StatusCode::kInvalidArgument, "at least 64 bytes");
  EXPECT_STATUS(Jwk::FromSecret(std::string(64, 'k'), Algorithm::kEs256),
                StatusCode::kInvalidArgument, "");
}

TEST(JwkTest, WithKidSharesMaterial) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kEs256));
  Jwk renamed = key.WithKid("k1");
  EXPECT_EQ(renamed.kid(), "k1");
  EXPECT_EQ(key.kid(), key.Thumbprint().value());
  EXPECT_EQ(renamed.material_id(), key.material_id());
  EXPECT_EQ(renamed.ToPublicJsonObject().value()["kid"], "k1");
  ASSERT_OK_AND_ASSIGN(Jwk parsed,
                       Jwk::FromJson(renamed.ToPrivateJson().value()));
  EXPECT_EQ(parsed.kid(), "k1");
}

TEST(JwkTest, ErrorsNeverContainKeyMaterial) {
  ASSERT_OK_AND_ASSIGN(Jwk key, Jwk::Generate(Algorithm::kEs256));
  json obj = json::parse(key.ToPrivateJson().value());
  const std::string d = obj["d"];
  obj["d"] = d + "A";  // Bad length.
  auto result = Jwk::FromJsonObject(obj);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(std::string(result.status().message()).find(d), std::string::npos);
}

TEST(JwkTest, MalformedJson) {
  EXPECT_STATUS(Jwk::FromJson("[]", Algorithm::kEs256),
                StatusCode::kInvalidArgument, "");
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":"EC","kty":"EC"})", Algorithm::kEs256),
                StatusCode::kInvalidArgument, "duplicate");
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":1})", Algorithm::kEs256),
                StatusCode::kInvalidArgument, "kty");
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":"EC","crv":"P-256","x":5,"y":"AA"})",
                              Algorithm::kEs256),
                StatusCode::kInvalidArgument, "x is not a string");
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":"EC","crv":"P-256","x":"A=","y":"AA"})",
                              Algorithm::kEs256),
                StatusCode::kInvalidArgument, "not base64url");
  EXPECT_STATUS(Jwk::FromJson(R"({"kty":"OKP","crv":"Ed448","x":"AA"})",
                              Algorithm::kEdDsa),
                StatusCode::kInvalidArgument, "Ed25519");
}

}  // namespace
}  // namespace tokend::jose
