// Store conformance: Sessions. Every backend runs these (store_conformance.h).
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

TEST_P(StoreConformanceTest, SessionRoundTripAndLookups) {
  ASSERT_NO_FATAL_FAILURE(AddSessionUsers());
  SessionRecord a = Session("sess_a", "user_u1", kT0);
  a.actor_json = R"({"sub":"user_admin","iss":"https://dashboard"})";
  a.status = SessionStatus::kExpired;
  a.updated_at = kT0 + absl::Seconds(1);
  a.last_active_at = kT0 + absl::Seconds(2);
  SessionRecord b = Session("sess_b", "user_u1", kT0);
  b.client_token_hash = "";  // No client token.
  ASSERT_TRUE(store_->InsertSession(a).ok());
  ASSERT_TRUE(store_->InsertSession(b).ok());

  absl::StatusOr<SessionRecord> got = store_->GetSession("sess_a");
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameSession(*got, a);
  got = store_->GetSession("sess_b");
  ASSERT_TRUE(got.ok());
  ExpectSameSession(*got, b);

  got = store_->FindSessionByClientTokenHash(a.client_token_hash);
  ASSERT_TRUE(got.ok());
  ExpectSameSession(*got, a);
  // An empty hash matches nothing, not even the session without a token.
  EXPECT_EQ(store_->FindSessionByClientTokenHash("").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store_->FindSessionByClientTokenHash(absl::string_view()).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->FindSessionByClientTokenHash(std::string(32, '\0'))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession("sess_zzz").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, SessionInsertErrors) {
  ASSERT_NO_FATAL_FAILURE(AddSessionUsers());
  SessionRecord a = Session("sess_a", "user_u1", kT0);
  ASSERT_TRUE(store_->InsertSession(a).ok());

  SessionRecord dup_id = Session("sess_a", "user_u2", kT0);
  EXPECT_EQ(store_->InsertSession(dup_id).code(),
            absl::StatusCode::kAlreadyExists);
  SessionRecord dup_hash = Session("sess_c", "user_u2", kT0);
  dup_hash.client_token_hash = a.client_token_hash;
  EXPECT_EQ(store_->InsertSession(dup_hash).code(),
            absl::StatusCode::kAlreadyExists);
  SessionRecord no_user = Session("sess_d", "user_nobody", kT0);
  EXPECT_EQ(store_->InsertSession(no_user).code(), absl::StatusCode::kNotFound);
  SessionRecord bad_time = Session("sess_e", "user_u1", kT0);
  bad_time.expire_at = absl::InfiniteFuture();
  EXPECT_EQ(store_->InsertSession(bad_time).code(),
            absl::StatusCode::kInvalidArgument);

  // Several sessions without a client token coexist.
  for (const char* id : {"sess_n1", "sess_n2"}) {
    SessionRecord r = Session(id, "user_u2", kT0);
    r.client_token_hash.clear();
    EXPECT_TRUE(store_->InsertSession(r).ok()) << id;
  }
  // Deleting a user revokes its active sessions in the same transaction;
  // ended ones stay ended, other users' are untouched.
  ASSERT_TRUE(
      store_->UpdateSessionStatus("sess_n2", SessionStatus::kEnded, kT0).ok());
  const absl::Time deleted_at = kT0 + absl::Hours(1);
  ASSERT_TRUE(store_->MarkUserDeleted("user_u2", deleted_at).ok());
  absl::StatusOr<SessionRecord> n1 = store_->GetSession("sess_n1");
  ASSERT_TRUE(n1.ok()) << n1.status();
  EXPECT_EQ(n1->status, SessionStatus::kRevoked);
  EXPECT_EQ(n1->updated_at, deleted_at);
  EXPECT_EQ(store_->GetSession("sess_n2")->status, SessionStatus::kEnded);
  EXPECT_EQ(store_->GetSession("sess_a")->status, SessionStatus::kActive);
  // Inserting a session for a deleted user is the caller's to refuse.
  EXPECT_TRUE(store_->InsertSession(Session("sess_f", "user_u2", kT0)).ok());
  absl::StatusOr<std::vector<SessionRecord>> all =
      store_->ListSessions("", std::nullopt, 100, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, SizeIs(4));
}

TEST_P(StoreConformanceTest, SessionListOrderFilterAndPaging) {
  ASSERT_NO_FATAL_FAILURE(AddSessionUsers());
  // created_at: s1 oldest ... s5 newest; s3a/s3b tie (ordered by id).
  ASSERT_TRUE(store_->InsertSession(Session("s1", "user_u1", kT0)).ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s2", "user_u2", kT0 + absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s3b", "user_u1", kT0 + absl::Seconds(2)))
          .ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s3a", "user_u1", kT0 + absl::Seconds(2)))
          .ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s5", "user_u2", kT0 + absl::Seconds(4)))
          .ok());
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("s3a", SessionStatus::kRevoked,
                                        kT0 + absl::Minutes(1))
                  .ok());
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("s2", SessionStatus::kEnded,
                                        kT0 + absl::Minutes(1))
                  .ok());

  auto list = [&](absl::string_view user, std::optional<SessionStatus> status,
                  int64_t limit, int64_t offset) {
    absl::StatusOr<std::vector<SessionRecord>> got =
        store_->ListSessions(user, status, limit, offset);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? Ids(*got) : std::vector<std::string>{"error"};
  };
  EXPECT_THAT(list("", std::nullopt, 100, 0),
              ElementsAre("s5", "s3a", "s3b", "s2", "s1"));
  EXPECT_THAT(list("user_u1", std::nullopt, 100, 0),
              ElementsAre("s3a", "s3b", "s1"));
  EXPECT_THAT(list("user_u2", std::nullopt, 100, 0), ElementsAre("s5", "s2"));
  EXPECT_THAT(list("", SessionStatus::kActive, 100, 0),
              ElementsAre("s5", "s3b", "s1"));
  EXPECT_THAT(list("user_u1", SessionStatus::kActive, 100, 0),
              ElementsAre("s3b", "s1"));
  EXPECT_THAT(list("user_u1", SessionStatus::kRevoked, 100, 0),
              ElementsAre("s3a"));
  EXPECT_THAT(list("user_u2", SessionStatus::kExpired, 100, 0), IsEmpty());
  EXPECT_THAT(list("user_nobody", std::nullopt, 100, 0), IsEmpty());

  // Paging walks the same order without gaps or repeats.
  EXPECT_THAT(list("", std::nullopt, 2, 0), ElementsAre("s5", "s3a"));
  EXPECT_THAT(list("", std::nullopt, 2, 2), ElementsAre("s3b", "s2"));
  EXPECT_THAT(list("", std::nullopt, 2, 4), ElementsAre("s1"));
  EXPECT_THAT(list("", std::nullopt, 2, 6), IsEmpty());
  EXPECT_THAT(list("", std::nullopt, 0, 0), IsEmpty());
  EXPECT_THAT(list("", std::nullopt, std::numeric_limits<int64_t>::max(),
                   std::numeric_limits<int64_t>::max()),
              IsEmpty());
  EXPECT_THAT(list("user_u1", SessionStatus::kActive, 1, 1), ElementsAre("s1"));

  // Counts walk the same filters, whatever the page.
  auto count = [&](absl::string_view user,
                   std::optional<SessionStatus> status) -> int64_t {
    absl::StatusOr<int64_t> got = store_->CountSessions(user, status);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : -1;
  };
  EXPECT_EQ(count("", std::nullopt), 5);
  EXPECT_EQ(count("user_u1", std::nullopt), 3);
  EXPECT_EQ(count("", SessionStatus::kActive), 3);
  EXPECT_EQ(count("user_u1", SessionStatus::kRevoked), 1);
  EXPECT_EQ(count("user_u2", SessionStatus::kExpired), 0);
  EXPECT_EQ(count("user_nobody", std::nullopt), 0);

  EXPECT_EQ(store_->ListSessions("", std::nullopt, -1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListSessions("", std::nullopt, 1, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, SessionStatusUpdatesAndTouch) {
  ASSERT_NO_FATAL_FAILURE(AddSessionUsers());
  SessionRecord a = Session("sess_a", "user_u1", kT0);
  ASSERT_TRUE(store_->InsertSession(a).ok());

  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("sess_a", SessionStatus::kRevoked,
                                        kT0 + absl::Minutes(3))
                  .ok());
  absl::StatusOr<SessionRecord> got = store_->GetSession("sess_a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, SessionStatus::kRevoked);
  EXPECT_EQ(got->updated_at, kT0 + absl::Minutes(3));
  EXPECT_EQ(got->last_active_at, a.last_active_at);
  EXPECT_EQ(got->created_at, a.created_at);

  // Any transition is stored as asked.
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("sess_a", SessionStatus::kActive,
                                        kT0 + absl::Minutes(4))
                  .ok());
  EXPECT_EQ(store_->GetSession("sess_a")->status, SessionStatus::kActive);

  ASSERT_TRUE(store_->TouchSession("sess_a", kT0 + absl::Minutes(10)).ok());
  ASSERT_TRUE(store_->TouchSession("sess_a", kT0 + absl::Minutes(5)).ok());
  got = store_->GetSession("sess_a");
  EXPECT_EQ(got->last_active_at, kT0 + absl::Minutes(10));  // Not backwards.
  EXPECT_EQ(got->updated_at, kT0 + absl::Minutes(4));       // Untouched.

  EXPECT_EQ(
      store_->UpdateSessionStatus("sess_x", SessionStatus::kEnded, kT0).code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->TouchSession("sess_x", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_
                ->UpdateSessionStatus("sess_a", SessionStatus::kEnded,
                                      absl::InfinitePast())
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokend::store::conformance
