#include "core/sessions/firebase_custom_token.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jwt_validator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tokend::sessions {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEmail[] =
    "firebase-adminsdk-x1@demo-project.iam.gserviceaccount.com";
const absl::Time kNow = absl::FromUnixSeconds(1'780'000'000);

// The shape of a key file Google's console hands out.
std::string KeyFile(const std::string& pem, const std::string& email = kEmail,
                    const std::string& type = "service_account") {
  return nlohmann::json{{"type", type},
                        {"project_id", "demo-project"},
                        {"private_key_id", "0123abcd"},
                        {"private_key", pem},
                        {"client_email", email},
                        {"client_id", "1234567890"},
                        {"token_uri", "https://oauth2.googleapis.com/token"}}
      .dump();
}

class FirebaseCustomTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = jose::Jwk::Generate(jose::Algorithm::kRs256);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = *std::move(key);
    auto pem = key_->ToPrivatePem();
    ASSERT_TRUE(pem.ok());
    pem_ = *std::move(pem);
    auto signer = FirebaseTokenSigner::FromKeyFile(KeyFile(pem_));
    ASSERT_TRUE(signer.ok()) << signer.status();
    signer_ = *std::move(signer);
  }

  // Verified with the service account's public key only, as Google does.
  absl::StatusOr<jose::VerifiedJwt> Verify(const std::string& token) {
    auto validator = jose::JwtValidatorBuilder()
                         .AllowAlgorithms({jose::Algorithm::kRs256})
                         .ExpectIssuer(kEmail)
                         .ExpectAudience(kFirebaseCustomTokenAudience)
                         .ExpectTypeHeader("JWT")
                         .Build();
    if (!validator.ok()) return validator.status();
    auto public_key = key_->PublicOnly();
    if (!public_key.ok()) return public_key.status();
    return validator->Verify(token, public_key->WithKid(""), kNow);
  }

  std::optional<jose::Jwk> key_;
  std::string pem_;
  std::unique_ptr<FirebaseTokenSigner> signer_;
};

TEST_F(FirebaseCustomTokenTest, HasFirebaseAdminClaimsAndHeader) {
  auto token = signer_->Sign("user_2abc", kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  std::vector<std::string> parts = absl::StrSplit(*token, '.');
  ASSERT_EQ(parts.size(), 3u);
  auto header = jose::Base64UrlDecode(parts[0]);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(nlohmann::json::parse(*header),
            nlohmann::json::parse(R"({"alg":"RS256","typ":"JWT"})"));

  auto jwt = Verify(*token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetSubject(), kEmail);
  EXPECT_EQ(*jwt->GetStringClaim("uid"), "user_2abc");
  EXPECT_EQ(*jwt->GetIssuedAt(), kNow);
  EXPECT_EQ(*jwt->GetExpiration() - *jwt->GetIssuedAt(), absl::Seconds(3600));
  EXPECT_EQ(jwt->GetAudiences()->size(), 1u);
  // Exactly firebase-admin's claim set: no jti, nbf or claims unless given.
  EXPECT_EQ(jwt->claims().size(), 6u) << jwt->GetJsonPayload();
}

TEST_F(FirebaseCustomTokenTest, IatIsWholeSeconds) {
  auto token = signer_->Sign("u", kNow + absl::Milliseconds(900));
  ASSERT_TRUE(token.ok());
  auto jwt = Verify(*token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetIssuedAt(), kNow);
}

TEST_F(FirebaseCustomTokenTest, DeveloperClaims) {
  auto token = signer_->Sign("u", kNow, {{"premium", true}, {"level", 3}});
  ASSERT_TRUE(token.ok()) << token.status();
  auto jwt = Verify(*token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetJsonClaim("claims"),
            (nlohmann::json{{"premium", true}, {"level", 3}}));
  // An empty object adds nothing.
  auto plain = signer_->Sign("u", kNow, nlohmann::json::object());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(Verify(*plain)->HasClaim("claims"));
}

TEST_F(FirebaseCustomTokenTest, RefusesReservedDeveloperClaims) {
  for (const char* reserved :
       {"acr", "amr", "at_hash", "aud", "auth_time", "azp", "cnf", "c_hash",
        "exp", "iat", "iss", "jti", "nbf", "nonce"}) {
    auto token = signer_->Sign("u", kNow, {{reserved, "x"}});
    EXPECT_TRUE(absl::IsInvalidArgument(token.status())) << reserved;
    EXPECT_THAT(token.status().message(), HasSubstr(reserved));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer_->Sign("u", kNow, nlohmann::json::array({1})).status()));
}

TEST_F(FirebaseCustomTokenTest, UidLengthBounds) {
  EXPECT_TRUE(signer_->Sign(std::string(128, 'u'), kNow).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      signer_->Sign(std::string(129, 'u'), kNow).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(signer_->Sign("", kNow).status()));
}

TEST_F(FirebaseCustomTokenTest, RejectsBrokenKeyFiles) {
  auto ec = jose::Jwk::Generate(jose::Algorithm::kEs256);
  ASSERT_TRUE(ec.ok());
  auto ec_pem = ec->ToPrivatePem();
  ASSERT_TRUE(ec_pem.ok());
  auto public_pem = key_->ToPublicPem();
  ASSERT_TRUE(public_pem.ok());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not a JSON object"},
      {"[]", "not a JSON object"},
      {KeyFile(pem_, kEmail, "authorized_user"), "\"type\""},
      {KeyFile(pem_, ""), "\"client_email\""},
      {KeyFile(pem_, "no-at-sign"), "\"client_email\""},
      {KeyFile(""), "\"private_key\""},
      {KeyFile(*ec_pem), "RSA private key"},
      {KeyFile(*public_pem), "RSA private key"},
      {KeyFile("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
       "RSA private key"},
      {std::string(kMaxServiceAccountFileBytes + 1, ' '), "larger than"},
  };
  for (const auto& [file, want] : cases) {
    auto signer = FirebaseTokenSigner::FromKeyFile(file);
    ASSERT_TRUE(absl::IsInvalidArgument(signer.status())) << file.substr(0, 80);
    EXPECT_THAT(signer.status().message(), HasSubstr(want));
    // No key material in errors.
    EXPECT_THAT(signer.status().message(), Not(HasSubstr("BEGIN")));
  }
}

}  // namespace
}  // namespace tokend::sessions
