#include "core/iam/iam_token_issuer.h"

#include <memory>
#include <set>
#include <string>

#include "core/auth/secrets.h"
#include "core/common/clock.h"
#include "core/jose/jwt_validator.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/iam/test_util.h"

namespace tokend::iam {
namespace {

using testing::Account;
using ::testing::HasSubstr;
using testing::kT0;
using ::testing::StartsWith;

constexpr char kIssuer[] = "https://tokend.test";

class IamTokenIssuerTest : public ::testing::Test {
 protected:
  IamTokenIssuer::Stores AllStores() {
    return {store_.get(), store_.get(), store_.get()};
  }

  void SetUp() override {
    store_ = testing::OpenTempStore("issuer");
    ASSERT_NE(store_, nullptr);
    auto sealer =
        keys::Sealer::Create(std::string(keys::Sealer::kKeySize, 'm'));
    ASSERT_TRUE(sealer.ok());
    sealer_ = *std::move(sealer);
    keys::KeyringOptions options;
    options.slots = {{"iam", jose::Algorithm::kEs256, absl::Hours(12)}};
    auto keyring =
        keys::Keyring::Open(store_.get(), sealer_.get(), options, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    IamTokenIssuerOptions issuer_options;
    issuer_options.issuer = kIssuer;
    auto issuer = IamTokenIssuer::Create(AllStores(), keyring_.get(), &clock_,
                                         issuer_options);
    ASSERT_TRUE(issuer.ok()) << issuer.status();
    issuer_ = *std::move(issuer);
  }

  absl::StatusOr<jose::VerifiedJwt> VerifyWithJwks(absl::string_view token) {
    auto validator = jose::JwtValidatorBuilder()
                         .AllowAlgorithms({jose::Algorithm::kEs256})
                         .ExpectIssuer(kIssuer)
                         .ExpectAudience("https://tokend.test/iam")
                         .ExpectTypeHeader("JWT")
                         .Build();
    if (!validator.ok()) return validator.status();
    auto jwks = jose::JwkSet::FromJson(keyring_->PublicJwksJson());
    if (!jwks.ok()) return jwks.status();
    return validator->Verify(token, *jwks, clock_.Now());
  }

  FakeClock clock_{kT0 + absl::Milliseconds(700)};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<keys::Sealer> sealer_;
  std::unique_ptr<keys::Keyring> keyring_;
  std::unique_ptr<IamTokenIssuer> issuer_;
};

TEST_F(IamTokenIssuerTest, IssuedTokenClaims) {
  EXPECT_EQ(issuer_->audience(), "https://tokend.test/iam");
  auto token = issuer_->Issue("ajesa1", AccountKind::kServiceAccount);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->expires_at, kT0 + absl::Hours(12));

  auto jwt = VerifyWithJwks(token->token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetSubject(), "ajesa1");
  EXPECT_EQ(*jwt->GetIssuedAt(), kT0);
  EXPECT_EQ(*jwt->GetExpiration(), *jwt->GetIssuedAt() + absl::Hours(12));
  EXPECT_EQ(*jwt->GetExpiration(), token->expires_at);
  EXPECT_EQ(*jwt->GetStringClaim("kind"), "service_account");
  EXPECT_EQ(jwt->GetJwtId()->size(), 22u);
  EXPECT_EQ(jwt->kid(), (*keyring_->Signer("iam"))->key().kid());

  std::set<std::string> jtis;
  for (int i = 0; i < 20; ++i) {
    auto t = issuer_->Issue("u1", AccountKind::kUserAccount);
    ASSERT_TRUE(t.ok());
    auto v = issuer_->Verify(t->token);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->kind, AccountKind::kUserAccount);
    EXPECT_EQ(v->subject_id, "u1");
    jtis.insert(v->jti);
  }
  EXPECT_EQ(jtis.size(), 20u);
  EXPECT_EQ(issuer_->Issue("", AccountKind::kUserAccount).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(IamTokenIssuerTest, ConfigurableLifetimeBoundedBySlot) {
  IamTokenIssuerOptions options;
  options.issuer = kIssuer;
  options.lifetime = absl::Hours(1);
  auto issuer =
      IamTokenIssuer::Create(AllStores(), keyring_.get(), &clock_, options);
  ASSERT_TRUE(issuer.ok());
  EXPECT_EQ((*issuer)->Issue("a", AccountKind::kServiceAccount)->expires_at,
            kT0 + absl::Hours(1));
  options.lifetime = absl::Hours(13);
  EXPECT_EQ(
      IamTokenIssuer::Create(AllStores(), keyring_.get(), &clock_, options)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  options.lifetime = absl::Hours(1);
  options.issuer = "";
  EXPECT_FALSE(
      IamTokenIssuer::Create(AllStores(), keyring_.get(), &clock_, options)
          .ok());
}

TEST_F(IamTokenIssuerTest, VerifyRejectsExpiredAndForeignTokens) {
  auto token = issuer_->Issue("ajesa1", AccountKind::kServiceAccount);
  ASSERT_TRUE(token.ok());
  clock_.Advance(absl::Hours(12) + absl::Minutes(6));
  auto v = issuer_->Verify(token->token);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("expired"));
  EXPECT_EQ(issuer_->Verify("garbage").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(IamTokenIssuerTest, RevokeTwiceIsOkAndVerifyRejects) {
  auto token = issuer_->Issue("ajesa1", AccountKind::kServiceAccount);
  ASSERT_TRUE(token.ok());
  auto v = issuer_->Verify(token->token);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(*issuer_->IsRevoked(v->jti));

  auto subject = issuer_->Revoke(token->token);
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(*subject, "ajesa1");
  subject = issuer_->Revoke(token->token);
  ASSERT_TRUE(subject.ok()) << subject.status();
  EXPECT_EQ(*subject, "ajesa1");
  EXPECT_TRUE(*issuer_->IsRevoked(v->jti));

  auto again = issuer_->Verify(token->token);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("revoked"));

  // Recorded until exp (+ skew), then garbage-collectable.
  EXPECT_EQ(*store_->DeleteExpiredRevokedTokens(kT0 + absl::Hours(12)), 0);
  EXPECT_EQ(*store_->DeleteExpiredRevokedTokens(kT0 + absl::Hours(13)), 1);

  EXPECT_EQ(issuer_->Revoke("not.a.token").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(IamTokenIssuerTest, RevocationsSurviveRestartAndArePurged) {
  auto token = issuer_->Issue("ajesa1", AccountKind::kServiceAccount);
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(issuer_->Revoke(token->token).ok());
  auto jti = VerifyWithJwks(token->token)->GetJwtId();
  ASSERT_TRUE(jti.ok());

  // A new issuer over the same store (a restart) loads the revocation.
  IamTokenIssuerOptions options;
  options.issuer = kIssuer;
  auto restarted =
      IamTokenIssuer::Create(AllStores(), keyring_.get(), &clock_, options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_TRUE(*(*restarted)->IsRevoked(*jti));
  EXPECT_THAT(
      std::string((*restarted)->Verify(token->token).status().message()),
      HasSubstr("revoked"));

  // Kept until exp + skew, then forgotten by memory and store alike.
  auto purged = issuer_->PurgeExpiredRevocations(kT0 + absl::Hours(12));
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 0);
  EXPECT_TRUE(*issuer_->IsRevoked(*jti));
  purged = issuer_->PurgeExpiredRevocations(kT0 + absl::Hours(13));
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(*issuer_->IsRevoked(*jti));
  EXPECT_FALSE(*store_->IsTokenRevoked(*jti));
}

TEST_F(IamTokenIssuerTest, OAuthExchange) {
  auto created = issuer_->CreateOAuthToken("ajeuser1");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->secret, StartsWith("y0_"));
  EXPECT_EQ(created->record.secret_hash, auth::HashSecret(created->secret));

  auto account = issuer_->ExchangeOAuthToken(created->secret);
  ASSERT_TRUE(account.ok()) << account.status();
  EXPECT_EQ(*account, "ajeuser1");

  auto bad = issuer_->ExchangeOAuthToken(created->secret + "x");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(issuer_->ExchangeOAuthToken("").status().code(),
            absl::StatusCode::kUnauthenticated);

  // Revoked behind the issuer's back: what it read serves until it is told
  // (ForgetOAuthToken: the revoking handler, or the change feed).
  ASSERT_TRUE(store_->RevokeOAuthToken(created->record.id, clock_.Now()).ok());
  EXPECT_TRUE(issuer_->ExchangeOAuthToken(created->secret).ok());
  issuer_->ForgetOAuthToken(created->record.id);
  auto revoked = issuer_->ExchangeOAuthToken(created->secret);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(revoked.status().message()), HasSubstr("revoked"));
}

// Exchanges read the store once per cache ttl (5 s), so they do not wait
// for a shared database; a change nobody announced lives at most the ttl.
TEST_F(IamTokenIssuerTest, OAuthTokensAreReadOncePerCacheTtl) {
  auto created = issuer_->CreateOAuthToken("ajeuser2");
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(issuer_->ExchangeOAuthToken(created->secret).ok());
  ASSERT_TRUE(store_->RevokeOAuthToken(created->record.id, clock_.Now()).ok());
  clock_.Advance(absl::Seconds(5) - absl::Milliseconds(1));
  EXPECT_TRUE(issuer_->ExchangeOAuthToken(created->secret).ok());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(issuer_->ExchangeOAuthToken(created->secret).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(IamTokenIssuerTest, IssueForServiceAccount) {
  store::ServiceAccountRecord sa = Account("ajesa1");
  sa.token_creators = {"ajecaller"};
  ASSERT_TRUE(store_->InsertServiceAccount(sa).ok());
  auto caller = issuer_->Issue("ajecaller", AccountKind::kUserAccount);
  auto stranger = issuer_->Issue("ajestranger", AccountKind::kUserAccount);
  ASSERT_TRUE(caller.ok() && stranger.ok());

  auto token = issuer_->IssueForServiceAccount(caller->token, "ajesa1");
  ASSERT_TRUE(token.ok()) << token.status();
  auto v = issuer_->Verify(token->token);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->subject_id, "ajesa1");
  EXPECT_EQ(v->kind, AccountKind::kServiceAccount);

  EXPECT_EQ(issuer_->IssueForServiceAccount(stranger->token, "ajesa1")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      issuer_->IssueForServiceAccount(caller->token, "ajenope").status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(issuer_->IssueForServiceAccount("bad", "ajesa1").status().code(),
            absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(issuer_->Revoke(caller->token).ok());
  EXPECT_EQ(
      issuer_->IssueForServiceAccount(caller->token, "ajesa1").status().code(),
      absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace tokend::iam
