#include "core/scoped/scoped_token_issuer.h"

#include <memory>
#include <string>

#include "core/jose/jwk_set.h"
#include "core/jose/jwt_validator.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "core/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/iam/test_util.h"

namespace tokend::scoped {
namespace {

using iam::testing::kT0;
using iam::testing::OpenTempStore;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://tokend.test";

class ScopedTokenIssuerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenTempStore("scoped");
    ASSERT_NE(store_, nullptr);
    auto sealer =
        keys::Sealer::Create(std::string(keys::Sealer::kKeySize, 's'));
    ASSERT_TRUE(sealer.ok());
    sealer_ = *std::move(sealer);
    auto keyring = keys::Keyring::Open(store_.get(), sealer_.get(),
                                       keys::KeyringOptions(), &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    ScopedTokenOptions options;
    options.issuer = kIssuer;
    auto issuer = ScopedTokenIssuer::Create(keyring_.get(), &clock_, options);
    ASSERT_TRUE(issuer.ok()) << issuer.status();
    issuer_ = *std::move(issuer);
  }

  absl::StatusOr<jose::VerifiedJwt> Verify(const std::string& token) {
    auto jwks = jose::JwkSet::FromJson(keyring_->PublicJwksJson());
    if (!jwks.ok()) return jwks.status();
    auto validator = jose::JwtValidatorBuilder()
                         .AllowAlgorithms({jose::Algorithm::kEs256})
                         .ExpectIssuer(kIssuer)
                         .ExpectTypeHeader("JWT")
                         .Build();
    if (!validator.ok()) return validator.status();
    return validator->Verify(token, *jwks, clock_.Now());
  }

  FakeClock clock_{kT0 + absl::Milliseconds(700)};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<keys::Sealer> sealer_;
  std::unique_ptr<keys::Keyring> keyring_;
  std::unique_ptr<ScopedTokenIssuer> issuer_;
};

TEST_F(ScopedTokenIssuerTest, TokenHasExactlyTheScopedClaims) {
  auto token = issuer_->Issue(
      "read:brands:b1 user_id:u2 inbox:read:messages user_id:u1 user_id:u2",
      "2 hours");
  ASSERT_TRUE(token.ok()) << token.status();
  auto jwt = Verify(token->token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  // Normalised by hand: user ids first in their order, then byte order.
  EXPECT_EQ(*jwt->GetStringClaim("scope"),
            "user_id:u2 user_id:u1 inbox:read:messages read:brands:b1");
  EXPECT_EQ(*jwt->GetSubject(), "u2");
  EXPECT_EQ(*jwt->GetIssuedAt(), kT0);  // whole seconds
  EXPECT_EQ(*jwt->GetExpiration(), kT0 + absl::Hours(2));
  EXPECT_EQ(token->expires_at, kT0 + absl::Hours(2));
  EXPECT_EQ(jwt->GetJwtId()->size(), 22u);  // 16 random bytes, base64url
  EXPECT_EQ(*jwt->GetStringClaim("tkd_family"), "scoped");
  EXPECT_EQ(jwt->claims().size(), 7u) << jwt->GetJsonPayload();
}

TEST_F(ScopedTokenIssuerTest, NoUserMeansNoSubject) {
  auto token = issuer_->Issue("read:brands tenants:read", "1d");
  ASSERT_TRUE(token.ok()) << token.status();
  auto jwt = Verify(token->token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_FALSE(jwt->HasSubject());
  EXPECT_EQ(*jwt->GetStringClaim("scope"), "read:brands tenants:read");
}

TEST_F(ScopedTokenIssuerTest, JtiIsFreshPerToken) {
  auto a = issuer_->Issue("user_id:u1", "1h");
  auto b = issuer_->Issue("user_id:u1", "1h");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*Verify(a->token)->GetJwtId(), *Verify(b->token)->GetJwtId());
}

TEST_F(ScopedTokenIssuerTest, MaximumIsAYearAsMsCountsIt) {
  auto year = issuer_->Issue("user_id:u1", "1y");
  ASSERT_TRUE(year.ok()) << year.status();
  EXPECT_EQ(year->expires_at, kT0 + absl::Hours(8766));
  auto over = issuer_->Issue("user_id:u1", "8767h");
  EXPECT_TRUE(absl::IsInvalidArgument(over.status()));
  EXPECT_THAT(over.status().message(), HasSubstr("8767h"));
}

TEST_F(ScopedTokenIssuerTest, BadInputsAreInvalidArgumentNamingThem) {
  auto scope = issuer_->Issue("user_id:u1 read:everything", "1h");
  EXPECT_TRUE(absl::IsInvalidArgument(scope.status()));
  EXPECT_THAT(scope.status().message(), HasSubstr("read:everything"));
  auto duration = issuer_->Issue("user_id:u1", "2 fortnights");
  EXPECT_TRUE(absl::IsInvalidArgument(duration.status()));
  EXPECT_THAT(duration.status().message(), HasSubstr("2 fortnights"));
}

TEST_F(ScopedTokenIssuerTest, OptionsAreChecked) {
  ScopedTokenOptions no_issuer;
  EXPECT_TRUE(absl::IsInvalidArgument(
      ScopedTokenIssuer::Create(keyring_.get(), &clock_, no_issuer).status()));
  ScopedTokenOptions too_long;
  too_long.issuer = kIssuer;
  too_long.max_expires_in = absl::Hours(8767);  // beyond the slot's keys
  EXPECT_TRUE(absl::IsInvalidArgument(
      ScopedTokenIssuer::Create(keyring_.get(), &clock_, too_long).status()));
  ScopedTokenOptions shorter;
  shorter.issuer = kIssuer;
  shorter.max_expires_in = absl::Hours(1);
  auto issuer = ScopedTokenIssuer::Create(keyring_.get(), &clock_, shorter);
  ASSERT_TRUE(issuer.ok());
  EXPECT_TRUE((*issuer)->Issue("user_id:u", "60m").ok());
  EXPECT_TRUE(
      absl::IsInvalidArgument((*issuer)->Issue("user_id:u", "61m").status()));
}

}  // namespace
}  // namespace tokend::scoped
