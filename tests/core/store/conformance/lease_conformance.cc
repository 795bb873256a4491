// Store conformance: leases (lease_store.h). Expiry is by the database's
// clock, so the tests that need a lease to expire give it a few milliseconds
// and then wait longer than that; none depends on how long anything takes.
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

using ::testing::AllOf;
using ::testing::Ge;
using ::testing::Le;

// The database's clock may differ a little from this process's (PostgreSQL
// runs beside the test, on the same machine).
constexpr absl::Duration kClockSlack = absl::Seconds(1);

TEST_P(StoreConformanceTest, AcquireLeaseTakesAFreeLeaseAndRenewsIt) {
  const absl::Time before = absl::Now();
  absl::StatusOr<Lease> first =
      store_->AcquireLease("maintenance", "a", absl::Minutes(1));
  const absl::Time after = absl::Now();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->name, "maintenance");
  EXPECT_EQ(first->holder, "a");
  EXPECT_EQ(first->token, 1);
  EXPECT_THAT(first->expires_at,
              AllOf(Ge(before + absl::Minutes(1) - kClockSlack),
                    Le(after + absl::Minutes(1) + kClockSlack)));

  // A renewal extends the lease and keeps the token: no change of hands.
  absl::StatusOr<Lease> renewed =
      store_->AcquireLease("maintenance", "a", absl::Hours(1));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->holder, "a");
  EXPECT_EQ(renewed->token, 1);
  EXPECT_GT(renewed->expires_at, first->expires_at);

  // Leases are independent by name.
  absl::StatusOr<Lease> other =
      store_->AcquireLease("other", "b", absl::Hours(1));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->holder, "b");
  EXPECT_EQ(other->token, 1);
}

TEST_P(StoreConformanceTest, AcquireLeaseReportsAnotherHoldersLease) {
  absl::StatusOr<Lease> held =
      store_->AcquireLease("maintenance", "a", absl::Hours(1));
  ASSERT_TRUE(held.ok()) << held.status();
  absl::StatusOr<Lease> refused =
      store_->AcquireLease("maintenance", "b", absl::Hours(1));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->holder, "a");
  EXPECT_EQ(refused->token, held->token);
  EXPECT_EQ(refused->expires_at, held->expires_at);
}

TEST_P(StoreConformanceTest, AnExpiredLeaseChangesHandsWithANewToken) {
  absl::StatusOr<Lease> a =
      store_->AcquireLease("maintenance", "a", absl::Milliseconds(20));
  ASSERT_TRUE(a.ok()) << a.status();
  absl::SleepFor(absl::Milliseconds(100));
  absl::StatusOr<Lease> b =
      store_->AcquireLease("maintenance", "b", absl::Hours(1));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->holder, "b");
  EXPECT_EQ(b->token, a->token + 1);
  // The old holder is told it lost, and its fence no longer writes.
  absl::StatusOr<Lease> a_again =
      store_->AcquireLease("maintenance", "a", absl::Hours(1));
  ASSERT_TRUE(a_again.ok()) << a_again.status();
  EXPECT_EQ(a_again->holder, "b");
  ASSERT_TRUE(
      store_->InsertSigningKey(Key("k", "iam", KeyState::kActive)).ok());
  EXPECT_EQ(store_
                ->UpdateSigningKeys(FenceOf(*a),
                                    {Key("k", "iam", KeyState::kRetired)}, {})
                .code(),
            absl::StatusCode::kFailedPrecondition);

  // A holder renewing after its own lease lapsed, with nobody in between,
  // keeps its token.
  absl::StatusOr<Lease> c =
      store_->AcquireLease("lapsed", "c", absl::Milliseconds(20));
  ASSERT_TRUE(c.ok()) << c.status();
  absl::SleepFor(absl::Milliseconds(100));
  absl::StatusOr<Lease> c_again =
      store_->AcquireLease("lapsed", "c", absl::Hours(1));
  ASSERT_TRUE(c_again.ok()) << c_again.status();
  EXPECT_EQ(c_again->holder, "c");
  EXPECT_EQ(c_again->token, c->token);
}

TEST_P(StoreConformanceTest, ReleaseLeaseLetsAnotherTakeOverAtOnce) {
  absl::StatusOr<Lease> a =
      store_->AcquireLease("maintenance", "a", absl::Hours(1));
  ASSERT_TRUE(a.ok()) << a.status();
  // Only the holder can release it.
  ASSERT_TRUE(store_->ReleaseLease("maintenance", "b").ok());
  EXPECT_EQ(store_->AcquireLease("maintenance", "b", absl::Hours(1))->holder,
            "a");
  ASSERT_TRUE(store_->ReleaseLease("maintenance", "a").ok());
  absl::StatusOr<Lease> b =
      store_->AcquireLease("maintenance", "b", absl::Hours(1));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->holder, "b");
  EXPECT_EQ(b->token, a->token + 1);
  // Releasing a lease never taken is fine too.
  EXPECT_TRUE(store_->ReleaseLease("never", "a").ok());
}

TEST_P(StoreConformanceTest, AcquireLeaseChecksItsArguments) {
  const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(store_->AcquireLease("", "a", absl::Hours(1)).status().code(),
            kInvalid);
  EXPECT_EQ(store_->AcquireLease("m", "", absl::Hours(1)).status().code(),
            kInvalid);
  EXPECT_EQ(store_->AcquireLease(std::string(201, 'm'), "a", absl::Hours(1))
                .status()
                .code(),
            kInvalid);
  EXPECT_EQ(
      store_->AcquireLease("m", "a", absl::ZeroDuration()).status().code(),
      kInvalid);
  EXPECT_EQ(store_->AcquireLease("m", "a", absl::Hours(25)).status().code(),
            kInvalid);
  EXPECT_EQ(
      store_->AcquireLease("m", "a", absl::InfiniteDuration()).status().code(),
      kInvalid);
}

}  // namespace
}  // namespace tokend::store::conformance
