// Store conformance: Service accounts, authorized keys, OAuth tokens, revoked
// IAM tokens. Every backend runs these (store_conformance.h).
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST_P(StoreConformanceTest, ServiceAccountRoundTripAndDeletedFiltering) {
  Backend* const store = store_.get();
  ServiceAccountRecord a = Account("aje00000000000000001", kT0);
  a.token_creators = {"user-1", "user-2", "user-1"};
  ASSERT_TRUE(store->InsertServiceAccount(a).ok());
  ASSERT_TRUE(store
                  ->InsertServiceAccount(
                      Account("aje00000000000000002", kT0 + absl::Seconds(1)))
                  .ok());

  auto got = store->GetServiceAccount(a.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name, a.name);
  EXPECT_EQ(got->description, a.description);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_FALSE(got->deleted_at.has_value());
  EXPECT_THAT(got->token_creators, ElementsAre("user-1", "user-2"));

  EXPECT_EQ(store->InsertServiceAccount(a).code(),
            absl::StatusCode::kAlreadyExists);
  ServiceAccountRecord same_name = Account("aje00000000000000003", kT0);
  same_name.name = a.name;
  EXPECT_EQ(store->InsertServiceAccount(same_name).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->GetServiceAccount("aje-missing").status().code(),
            absl::StatusCode::kNotFound);

  auto list = store->ListServiceAccounts();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&ServiceAccountRecord::id, a.id),
                                 Field(&ServiceAccountRecord::id,
                                       "aje00000000000000002")));

  ASSERT_TRUE(
      store->MarkServiceAccountDeleted(a.id, kT0 + absl::Hours(1)).ok());
  // Idempotent; the first time is kept.
  ASSERT_TRUE(
      store->MarkServiceAccountDeleted(a.id, kT0 + absl::Hours(2)).ok());
  EXPECT_EQ(store->MarkServiceAccountDeleted("aje-missing", kT0).code(),
            absl::StatusCode::kNotFound);
  got = store->GetServiceAccount(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->deleted_at, kT0 + absl::Hours(1));
  list = store->ListServiceAccounts();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&ServiceAccountRecord::id,
                                       "aje00000000000000002")));
  // A deleted account frees its name.
  EXPECT_TRUE(store->InsertServiceAccount(same_name).ok());
}

TEST_P(StoreConformanceTest, SetTokenCreators) {
  Backend* const store = store_.get();
  ServiceAccountRecord a = Account("aje00000000000000001", kT0);
  a.token_creators = {"x"};
  ASSERT_TRUE(store->InsertServiceAccount(a).ok());
  ASSERT_TRUE(store->SetTokenCreators(a.id, {"c", "a", "b", "a"}).ok());
  EXPECT_THAT(store->GetServiceAccount(a.id)->token_creators,
              ElementsAre("c", "a", "b"));
  ASSERT_TRUE(store->SetTokenCreators(a.id, {}).ok());
  EXPECT_THAT(store->GetServiceAccount(a.id)->token_creators, SizeIs(0));
  EXPECT_EQ(store->SetTokenCreators("aje-missing", {"a"}).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->MarkServiceAccountDeleted(a.id, kT0).ok());
  EXPECT_EQ(store->SetTokenCreators(a.id, {"a"}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(StoreConformanceTest, AuthorizedKeys) {
  Backend* const store = store_.get();
  ASSERT_TRUE(store->InsertServiceAccount(Account("sa1", kT0)).ok());
  ASSERT_TRUE(store->InsertServiceAccount(Account("sa2", kT0)).ok());
  AuthorizedKeyRecord k1 = AuthKey("k1", "sa1", kT0);
  k1.key_algorithm = AuthorizedKeyAlgorithm::kRsa4096;
  ASSERT_TRUE(store->InsertAuthorizedKey(k1).ok());
  ASSERT_TRUE(
      store->InsertAuthorizedKey(AuthKey("k2", "sa1", kT0 + absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(store->InsertAuthorizedKey(AuthKey("k3", "sa2", kT0)).ok());
  EXPECT_EQ(store->InsertAuthorizedKey(k1).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->InsertAuthorizedKey(AuthKey("k4", "nope", kT0)).code(),
            absl::StatusCode::kNotFound);

  auto got = store->GetAuthorizedKey("k1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->service_account_id, "sa1");
  EXPECT_EQ(got->description, k1.description);
  EXPECT_EQ(got->key_algorithm, AuthorizedKeyAlgorithm::kRsa4096);
  EXPECT_EQ(got->public_key_pem, k1.public_key_pem);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_FALSE(got->deleted_at.has_value());
  EXPECT_EQ(store->GetAuthorizedKey("k9").status().code(),
            absl::StatusCode::kNotFound);

  auto list = store->ListAuthorizedKeys("sa1");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&AuthorizedKeyRecord::id, "k1"),
                                 Field(&AuthorizedKeyRecord::id, "k2")));

  ASSERT_TRUE(store->MarkAuthorizedKeyDeleted("k1", kT0 + absl::Hours(1)).ok());
  ASSERT_TRUE(store->MarkAuthorizedKeyDeleted("k1", kT0 + absl::Hours(2)).ok());
  EXPECT_EQ(store->MarkAuthorizedKeyDeleted("k9", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetAuthorizedKey("k1")->deleted_at, kT0 + absl::Hours(1));
  list = store->ListAuthorizedKeys("sa1");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&AuthorizedKeyRecord::id, "k2")));
}

TEST_P(StoreConformanceTest, OAuthTokens) {
  Backend* const store = store_.get();
  OAuthTokenRecord t;
  t.id = "ot1";
  t.account_id = "user-7";
  t.secret_hash = std::string("\x00\x01hash", 6);
  t.created_at = kT0;
  ASSERT_TRUE(store->InsertOAuthToken(t).ok());
  OAuthTokenRecord dup_hash = t;
  dup_hash.id = "ot2";
  EXPECT_EQ(store->InsertOAuthToken(dup_hash).code(),
            absl::StatusCode::kAlreadyExists);

  auto found = store->FindOAuthTokenByHash(t.secret_hash);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, "ot1");
  EXPECT_EQ(found->account_id, "user-7");
  EXPECT_EQ(found->created_at, kT0);
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_EQ(store->FindOAuthTokenByHash("other").status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(store->RevokeOAuthToken("ot1", kT0 + absl::Minutes(1)).ok());
  ASSERT_TRUE(store->RevokeOAuthToken("ot1", kT0 + absl::Minutes(2)).ok());
  EXPECT_EQ(store->RevokeOAuthToken("ot9", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->FindOAuthTokenByHash(t.secret_hash)->revoked_at,
            kT0 + absl::Minutes(1));
}

TEST_P(StoreConformanceTest, RevokedTokensIdempotentAndExpire) {
  Backend* const store = store_.get();
  RevokedTokenRecord r{"jti-1", "sa1", kT0 + absl::Hours(12)};
  ASSERT_TRUE(store->InsertRevokedToken(r).ok());
  ASSERT_TRUE(store->InsertRevokedToken(r).ok());  // Twice: not an error.
  ASSERT_TRUE(
      store->InsertRevokedToken({"jti-2", "sa1", kT0 + absl::Hours(1)}).ok());
  EXPECT_TRUE(*store->IsTokenRevoked("jti-1"));
  EXPECT_TRUE(*store->IsTokenRevoked("jti-2"));
  EXPECT_FALSE(*store->IsTokenRevoked("jti-3"));

  auto deleted = store->DeleteExpiredRevokedTokens(kT0 + absl::Hours(1));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
  EXPECT_TRUE(*store->IsTokenRevoked("jti-1"));
  EXPECT_FALSE(*store->IsTokenRevoked("jti-2"));
  EXPECT_EQ(*store->DeleteExpiredRevokedTokens(kT0 + absl::Hours(1)), 0);
}

TEST_P(StoreConformanceTest, ListRevokedTokensUnexpiredOrderedAndLimited) {
  Backend* const store = store_.get();
  EXPECT_TRUE(store->ListRevokedTokens(kT0, 10)->empty());
  ASSERT_TRUE(
      store->InsertRevokedToken({"b", "sa1", kT0 + absl::Hours(2)}).ok());
  ASSERT_TRUE(
      store->InsertRevokedToken({"a", "sa2", kT0 + absl::Hours(2)}).ok());
  ASSERT_TRUE(
      store->InsertRevokedToken({"c", "sa1", kT0 + absl::Hours(1)}).ok());
  ASSERT_TRUE(store->InsertRevokedToken({"old", "sa1", kT0}).ok());

  auto all = store->ListRevokedTokens(kT0, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);  // "old" expires at kT0: not after it.
  EXPECT_EQ((*all)[0].jti, "c");
  EXPECT_EQ((*all)[0].subject_id, "sa1");
  EXPECT_EQ((*all)[0].expires_at, kT0 + absl::Hours(1));
  EXPECT_EQ((*all)[1].jti, "a");
  EXPECT_EQ((*all)[1].subject_id, "sa2");
  EXPECT_EQ((*all)[2].jti, "b");

  auto two = store->ListRevokedTokens(kT0, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].jti, "a");
  EXPECT_TRUE(store->ListRevokedTokens(kT0, 0)->empty());
  EXPECT_EQ(store->ListRevokedTokens(kT0, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ListRevokedTokens(kT0 + absl::Hours(1), 10)->size(), 2u);
  EXPECT_TRUE(store->ListRevokedTokens(kT0 + absl::Hours(2), 10)->empty());
}

}  // namespace
}  // namespace tokend::store::conformance
