#include "server/policy/truthful_status.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace tokend::server {
namespace {

TEST(TruthfulStatusTest, StoreInternalsNeverReachTheCaller) {
  struct Case {
    absl::Status in;
    absl::StatusCode want;
  } cases[] = {
      {absl::ResourceExhaustedError(
           "sqlite: insert user: database or disk is full (INSERT INTO …)"),
       absl::StatusCode::kUnavailable},
      {absl::UnavailableError("postgres: cannot connect: host db:5432"),
       absl::StatusCode::kUnavailable},
      {absl::PermissionDeniedError("sqlite: open: attempt to write a readonly "
                                   "database"),
       absl::StatusCode::kUnavailable},
      {absl::DataLossError("sqlite: read: database disk image is malformed"),
       absl::StatusCode::kInternal},
      {absl::InvalidArgumentError("sqlite: insert: CHECK constraint failed"),
       absl::StatusCode::kInternal},
      {absl::AlreadyExistsError("postgres: insert: duplicate key value "
                                "violates unique constraint \"users_pkey\""),
       absl::StatusCode::kAlreadyExists},
  };
  for (const Case& c : cases) {
    absl::Status out = Truthful(c.in, "/test/Method");
    EXPECT_EQ(out.code(), c.want) << c.in;
    EXPECT_FALSE(absl::StrContains(out.message(), "sqlite")) << out;
    EXPECT_FALSE(absl::StrContains(out.message(), "postgres")) << out;
    EXPECT_FALSE(absl::StrContains(out.message(), "constraint")) << out;
  }
}

TEST(TruthfulStatusTest, OnlyARateLimitIsResourceExhausted) {
  absl::Status out =
      Truthful(absl::ResourceExhaustedError("sealer: no memory"), "/m");
  EXPECT_EQ(out.code(), absl::StatusCode::kUnavailable);
}

TEST(TruthfulStatusTest, TheServicesOwnWordsPass) {
  for (const absl::Status& s :
       {absl::NotFoundError("No session was found with id sess_1"),
        absl::InvalidArgumentError("scope: unknown scope x"),
        absl::UnauthenticatedError("invalid API key"),
        absl::UnavailableError("revocations not confirmed for 2 s")}) {
    EXPECT_EQ(Truthful(s, "/m"), s);
  }
  EXPECT_TRUE(Truthful(absl::OkStatus(), "/m").ok());
}

}  // namespace
}  // namespace tokend::server
