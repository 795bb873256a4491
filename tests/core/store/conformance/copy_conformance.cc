// Store conformance: moving in. A SQLite store holding one of everything is
// copied (core/store/store_copy.h) into the backend under test, and every
// row arrives as it was.
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/store/sqlite_store.h"
#include "core/store/store_copy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

std::unique_ptr<SqliteStore> FreshSqlite() {
  static int counter = 0;
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/copy-source-", getpid(),
                   "-", ++counter, ".db");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

OAuthTokenRecord OAuthToken(std::string id, std::string hash) {
  OAuthTokenRecord t;
  t.id = std::move(id);
  t.account_id = "user-7";
  t.secret_hash = std::move(hash);
  t.created_at = kT0;
  return t;
}

TEST_P(StoreConformanceTest, ListUserIdsAndOAuthTokensListEveryRow) {
  Backend* const store = store_.get();
  UserRecord later = User("later");
  later.created_at = kT0 + absl::Seconds(1);
  ASSERT_TRUE(store->InsertUser(later).ok());
  ASSERT_TRUE(store->InsertUser(User("first")).ok());
  ASSERT_TRUE(store->MarkUserDeleted("user_first", kT0).ok());
  EXPECT_THAT(*store->ListUserIds(), ElementsAre("user_first", "user_later"));

  ASSERT_TRUE(store->InsertOAuthToken(OAuthToken("ot2", "h2")).ok());
  ASSERT_TRUE(store->InsertOAuthToken(OAuthToken("ot1", "h1")).ok());
  ASSERT_TRUE(store->RevokeOAuthToken("ot2", kT0).ok());
  auto tokens = store->ListOAuthTokens();
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_THAT(*tokens, ElementsAre(Field(&OAuthTokenRecord::id, "ot1"),
                                   Field(&OAuthTokenRecord::id, "ot2")));
  EXPECT_EQ((*tokens)[1].revoked_at, kT0);
}

TEST_P(StoreConformanceTest, CopyStoreBringsEveryLiveRowAcross) {
  std::unique_ptr<SqliteStore> source = FreshSqlite();
  ASSERT_NE(source, nullptr);
  SigningKeyRecord retired = Key("k-retired", "iam", KeyState::kRetired);
  retired.retired_at = kT0;
  retired.delete_after = kT0 + absl::Hours(13);
  for (const SigningKeyRecord& k :
       {Key("k-active", "iam", KeyState::kActive),
        Key("k-next", "iam", KeyState::kNext), retired,
        Key("k-session", "session", KeyState::kActive)}) {
    ASSERT_TRUE(source->InsertSigningKey(k).ok());
  }
  ASSERT_TRUE(
      source->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kSessions)).ok());
  ASSERT_TRUE(
      source->InsertApiKey(ApiKey("ak_2", ApiKeySurface::kScoped)).ok());
  ASSERT_TRUE(source->RevokeApiKey("ak_2", kT0).ok());
  ServiceAccountRecord account = Account("sa1", kT0);
  account.token_creators = {"user-1", "user-2"};
  ASSERT_TRUE(source->InsertServiceAccount(account).ok());
  ASSERT_TRUE(source->InsertAuthorizedKey(AuthKey("key1", "sa1", kT0)).ok());
  ASSERT_TRUE(source->InsertAuthorizedKey(AuthKey("key2", "sa1", kT0)).ok());
  ASSERT_TRUE(source->MarkAuthorizedKeyDeleted("key2", kT0).ok());
  ASSERT_TRUE(source->InsertServiceAccount(Account("sa2", kT0)).ok());
  ASSERT_TRUE(source->MarkServiceAccountDeleted("sa2", kT0).ok());
  ASSERT_TRUE(source->InsertOAuthToken(OAuthToken("ot1", "h1")).ok());
  ASSERT_TRUE(
      source->InsertRevokedToken({"jti-live", "sa1", kT0 + absl::Hours(12)})
          .ok());
  ASSERT_TRUE(
      source->InsertRevokedToken({"jti-expired", "sa1", kT0 - absl::Seconds(1)})
          .ok());
  ASSERT_TRUE(source->InsertUser(User("u1")).ok());
  UserRecord gone = User("u2");
  gone.created_at = kT0 + absl::Seconds(1);
  ASSERT_TRUE(source->InsertUser(gone).ok());
  ASSERT_TRUE(source->MarkUserDeleted("user_u2", kT0).ok());
  ASSERT_TRUE(source->InsertSession(Session("sess_1", "user_u1", kT0)).ok());
  ASSERT_TRUE(
      source
          ->InsertSession(Session("sess_2", "user_u1", kT0 + absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(source->InsertJwtTemplate(Template("jtmp_1", "t1")).ok());

  absl::StatusOr<CopyCounts> copied = CopyStore(*source, *store_, kT0);
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(copied->signing_keys, 4);
  EXPECT_EQ(copied->api_keys, 2);
  EXPECT_EQ(copied->service_accounts, 1);  // The deleted one stays behind.
  EXPECT_EQ(copied->authorized_keys, 1);   // So does the deleted key.
  EXPECT_EQ(copied->oauth_tokens, 1);
  EXPECT_EQ(copied->revoked_tokens, 1);  // Only the live revocation.
  EXPECT_EQ(copied->users, 2);
  EXPECT_EQ(copied->sessions, 2);
  EXPECT_EQ(copied->jwt_templates, 1);

  Backend* const to = store_.get();
  auto from_keys = source->ListSigningKeys();
  auto to_keys = to->ListSigningKeys();
  ASSERT_TRUE(from_keys.ok() && to_keys.ok());
  ASSERT_EQ(to_keys->size(), from_keys->size());
  for (size_t i = 0; i < to_keys->size(); ++i) {
    ExpectSameKey((*to_keys)[i], (*from_keys)[i]);
  }
  auto api_keys = to->ListApiKeys(std::nullopt);
  ASSERT_TRUE(api_keys.ok());
  ASSERT_EQ(api_keys->size(), 2u);
  EXPECT_EQ((*api_keys)[1].revoked_at, kT0);
  EXPECT_EQ(to->FindApiKeyByHash((*api_keys)[0].secret_hash)->id, "ak_1");
  auto sa = to->GetServiceAccount("sa1");
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_EQ(sa->token_creators, account.token_creators);
  EXPECT_EQ(to->GetServiceAccount("sa2").status().code(),
            absl::StatusCode::kNotFound);
  auto key1 = to->GetAuthorizedKey("key1");
  ASSERT_TRUE(key1.ok()) << key1.status();
  EXPECT_EQ(key1->public_key_pem, AuthKey("key1", "sa1", kT0).public_key_pem);
  EXPECT_EQ(to->GetAuthorizedKey("key2").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(to->FindOAuthTokenByHash("h1")->id, "ot1");
  EXPECT_TRUE(*to->IsTokenRevoked("jti-live"));
  EXPECT_FALSE(*to->IsTokenRevoked("jti-expired"));
  auto u1 = to->GetUser("user_u1");
  ASSERT_TRUE(u1.ok()) << u1.status();
  ExpectSameUser(*u1, *source->GetUser("user_u1"));
  EXPECT_EQ(to->GetUser("user_u2")->deleted_at, kT0);
  ExpectSameSession(*to->GetSession("sess_2"), *source->GetSession("sess_2"));
  ExpectSameTemplate(*to->GetJwtTemplate("jtmp_1"),
                     *source->GetJwtTemplate("jtmp_1"));

  // Never into a store that has keys: two keyrings must not mix.
  EXPECT_EQ(CopyStore(*source, *store_, kT0).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tokend::store::conformance
