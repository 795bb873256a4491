// Store conformance: the change feed. Every change other replicas must act
// on is logged with its key in the same transaction; nothing else is, and a
// failed change logs nothing. The commit observer sees exactly what the feed
// logs, before the write returns.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using Changes = std::vector<std::pair<std::string, std::string>>;

class ChangeFeed {
 public:
  explicit ChangeFeed(Backend* store) : store_(store) {
    last_ = *store_->LastChangeSeq();
    store_->SetCommitObserver([this](const std::vector<ChangeRecord>& changes) {
      // Called with no store lock held: reading the store here must not
      // deadlock, and sees the change committed.
      absl::StatusOr<int64_t> seq = store_->LastChangeSeq();
      EXPECT_TRUE(seq.ok()) << seq.status();
      EXPECT_GT(*seq, last_);
      for (const ChangeRecord& r : changes) {
        observed_.emplace_back(std::string(ChangeKindName(r.kind)), r.key);
      }
    });
  }
  ~ChangeFeed() { store_->SetCommitObserver(nullptr); }

  // (kind, key) of every record since the previous call, checking that
  // sequence numbers only grow and that the observer saw the same.
  Changes Since() {
    Changes out = Read();
    EXPECT_EQ(observed_, out) << "the commit observer saw other changes";
    observed_.clear();
    return out;
  }

 private:
  Changes Read() {
    absl::StatusOr<std::vector<ChangeRecord>> records =
        store_->ListChanges(last_, 1000);
    EXPECT_TRUE(records.ok()) << records.status();
    Changes out;
    if (!records.ok()) return out;
    for (const ChangeRecord& r : *records) {
      EXPECT_GT(r.seq, last_);
      // Appended by the database clock: now-ish, not the records' kT0.
      EXPECT_GT(r.at, absl::FromUnixSeconds(1700000000) + absl::Hours(24));
      last_ = r.seq;
      out.emplace_back(std::string(ChangeKindName(r.kind)), r.key);
    }
    EXPECT_EQ(*store_->LastChangeSeq(), last_);
    return out;
  }

  Backend* store_;
  int64_t last_ = 0;
  Changes observed_;
};

TEST_P(StoreConformanceTest, ChangeFeedLogsEveryEnforcedChangeWithItsKey) {
  Backend* const store = store_.get();
  ChangeFeed feed(store);
  EXPECT_THAT(feed.Since(), IsEmpty());

  SigningKeyRecord key = Key("k1", "iam", KeyState::kActive);
  ASSERT_TRUE(store->InsertSigningKey(key).ok());
  key.state = KeyState::kRetired;
  key.retired_at = kT0;
  key.delete_after = kT0 + absl::Hours(1);
  ASSERT_TRUE(store->UpdateSigningKeys(LeaderFence(), {key}, {}).ok());
  EXPECT_THAT(feed.Since(),
              ElementsAre(Pair("signing_keys", ""), Pair("signing_keys", "")));

  ASSERT_TRUE(
      store->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kSessions)).ok());
  EXPECT_THAT(feed.Since(), IsEmpty());  // New rows invalidate nothing.
  ASSERT_TRUE(store->RevokeApiKey("ak_1", kT0).ok());
  EXPECT_THAT(feed.Since(), ElementsAre(Pair("api_key", "ak_1")));

  ASSERT_TRUE(store->InsertServiceAccount(Account("sa1", kT0)).ok());
  ASSERT_TRUE(store->InsertAuthorizedKey(AuthKey("ak", "sa1", kT0)).ok());
  EXPECT_THAT(feed.Since(), IsEmpty());
  ASSERT_TRUE(store->SetTokenCreators("sa1", {"user-1"}).ok());
  ASSERT_TRUE(store->MarkAuthorizedKeyDeleted("ak", kT0).ok());
  ASSERT_TRUE(store->MarkServiceAccountDeleted("sa1", kT0).ok());
  EXPECT_THAT(feed.Since(), ElementsAre(Pair("service_account", "sa1"),
                                        Pair("authorized_key", "ak"),
                                        Pair("service_account", "sa1")));

  OAuthTokenRecord token;
  token.id = "ot1";
  token.account_id = "user-1";
  token.secret_hash = std::string(32, '\x01');
  token.created_at = kT0;
  ASSERT_TRUE(store->InsertOAuthToken(token).ok());
  ASSERT_TRUE(store->RevokeOAuthToken("ot1", kT0).ok());
  ASSERT_TRUE(store->InsertRevokedToken({"jti-1", "sa1", kT0}).ok());
  // A jti already revoked changes nothing, so logs nothing.
  ASSERT_TRUE(store->InsertRevokedToken({"jti-1", "sa1", kT0}).ok());
  EXPECT_THAT(feed.Since(), ElementsAre(Pair("oauth_token", "ot1"),
                                        Pair("revoked_token", "jti-1")));

  UserRecord user = User("u");
  ASSERT_TRUE(store->InsertUser(user).ok());
  ASSERT_TRUE(store->InsertSession(Session("sess_1", user.id, kT0)).ok());
  ASSERT_TRUE(store->TouchSession("sess_1", kT0 + absl::Seconds(1)).ok());
  EXPECT_THAT(feed.Since(), IsEmpty());
  user.first_name = "Renamed";
  ASSERT_TRUE(store->UpdateUser(user).ok());
  ASSERT_TRUE(
      store->UpdateSessionStatus("sess_1", SessionStatus::kRevoked, kT0).ok());
  ASSERT_TRUE(store->MarkUserDeleted(user.id, kT0).ok());
  EXPECT_THAT(feed.Since(),
              ElementsAre(Pair("user", user.id), Pair("session", "sess_1"),
                          Pair("user", user.id)));

  JwtTemplateRecord tmpl = Template("jtmp_1", "one");
  ASSERT_TRUE(store->InsertJwtTemplate(tmpl).ok());
  tmpl.lifetime_seconds = 120;
  ASSERT_TRUE(store->UpdateJwtTemplate(tmpl).ok());
  ASSERT_TRUE(store->DeleteJwtTemplate("jtmp_1").ok());
  EXPECT_THAT(feed.Since(), ElementsAre(Pair("jwt_template", "jtmp_1"),
                                        Pair("jwt_template", "jtmp_1")));
}

TEST_P(StoreConformanceTest, ChangeFeedLogsNothingForAFailedChange) {
  Backend* const store = store_.get();
  ASSERT_TRUE(store->InsertSigningKey(Key("a", "iam", KeyState::kActive)).ok());
  ChangeFeed feed(store);

  EXPECT_EQ(store->RevokeApiKey("ak_none", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->RevokeOAuthToken("ot_none", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->MarkServiceAccountDeleted("sa_none", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpdateSessionStatus("sess_none", SessionStatus::kEnded, kT0)
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->DeleteJwtTemplate("jtmp_none").code(),
            absl::StatusCode::kNotFound);
  // Two active keys in a slot: rolled back with its log record.
  EXPECT_EQ(store->InsertSigningKey(Key("b", "iam", KeyState::kActive)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->UpdateSigningKeys(LeaderFence(), {}, {"ghost"}).code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(feed.Since(), IsEmpty());
}

TEST_P(StoreConformanceTest, ChangeFeedPagesAndPurgesWithoutReusingSeqs) {
  Backend* const store = store_.get();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        store->InsertRevokedToken({absl::StrCat("j", i), "sa", kT0}).ok());
  }
  absl::StatusOr<std::vector<ChangeRecord>> first = store->ListChanges(0, 2);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].key, "j0");
  EXPECT_EQ((*first)[1].key, "j1");
  absl::StatusOr<std::vector<ChangeRecord>> rest =
      store->ListChanges((*first)[1].seq, 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[2].key, "j4");
  EXPECT_EQ(store->ListChanges(0, -1).status().code(),
            absl::StatusCode::kInvalidArgument);

  const int64_t last = (*rest)[2].seq;
  EXPECT_EQ(*store->DeleteChangesBefore(absl::FromUnixSeconds(1)), 0);
  EXPECT_EQ(*store->DeleteChangesBefore(absl::Now() + absl::Hours(1)), 5);
  EXPECT_TRUE(store->ListChanges(0, 100)->empty());
  // After a purge, new records still number above every old one: a
  // follower's position stays meaningful.
  ASSERT_TRUE(store->InsertRevokedToken({"j5", "sa", kT0}).ok());
  absl::StatusOr<std::vector<ChangeRecord>> after = store->ListChanges(0, 100);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_GT((*after)[0].seq, last);
}

}  // namespace
}  // namespace tokend::store::conformance
