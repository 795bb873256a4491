// Store conformance: Signing keys. Every backend runs these
// (store_conformance.h).
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
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST_P(StoreConformanceTest, SigningKeyRoundTrip) {
  Backend* const store = store_.get();

  SigningKeyRecord active = Key("k1", "iam", KeyState::kActive);
  SigningKeyRecord retired = Key("k0", "iam", KeyState::kRetired);
  retired.created_at = kT0 - absl::Hours(48);
  retired.retired_at = kT0 - absl::Hours(1);
  retired.delete_after = kT0 + absl::Hours(11) + absl::Microseconds(7);
  SigningKeyRecord session = Key("s1", "session", KeyState::kNext);
  session.algorithm = jose::Algorithm::kRs256;
  session.activate_at = kT0 + absl::Hours(1);

  ASSERT_TRUE(store->InsertSigningKey(active).ok());
  ASSERT_TRUE(store->InsertSigningKey(retired).ok());
  ASSERT_TRUE(store->InsertSigningKey(session).ok());

  absl::StatusOr<std::vector<SigningKeyRecord>> keys = store->ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_THAT(*keys, SizeIs(3));
  // Ordered by slot, then creation time.
  ExpectSameKey((*keys)[0], retired);
  ExpectSameKey((*keys)[1], active);
  ExpectSameKey((*keys)[2], session);
}

TEST_P(StoreConformanceTest, InsertSigningKeyRejectsDuplicates) {
  Backend* const store = store_.get();
  ASSERT_TRUE(
      store->InsertSigningKey(Key("k1", "iam", KeyState::kActive)).ok());
  EXPECT_EQ(
      store->InsertSigningKey(Key("k1", "scoped", KeyState::kNext)).code(),
      absl::StatusCode::kAlreadyExists);
  // At most one active key per slot.
  EXPECT_EQ(store->InsertSigningKey(Key("k2", "iam", KeyState::kActive)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(
      store->InsertSigningKey(Key("k3", "scoped", KeyState::kActive)).ok());
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(2));
}

TEST_P(StoreConformanceTest, InsertSigningKeyRejectsInfiniteCreationTime) {
  Backend* const store = store_.get();
  SigningKeyRecord rec = Key("k1", "iam", KeyState::kActive);
  rec.created_at = absl::InfiniteFuture();
  EXPECT_EQ(store->InsertSigningKey(rec).code(),
            absl::StatusCode::kInvalidArgument);
  rec.created_at = kT0;
  rec.retired_at = absl::InfinitePast();
  EXPECT_EQ(store->InsertSigningKey(rec).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(0));
}

TEST_P(StoreConformanceTest, UpdateSigningKeysAppliesRotationAtomically) {
  Backend* const store = store_.get();
  SigningKeyRecord old_key = Key("old", "iam", KeyState::kRetired);
  old_key.retired_at = kT0;
  old_key.delete_after = kT0 + absl::Hours(12);
  SigningKeyRecord active = Key("cur", "iam", KeyState::kActive);
  SigningKeyRecord next = Key("nxt", "iam", KeyState::kNext);
  next.created_at = kT0 + absl::Seconds(1);
  for (const auto& k : {old_key, active, next}) {
    ASSERT_TRUE(store->InsertSigningKey(k).ok());
  }

  // Promote next, retire active, drop the old one: one call. The new active
  // key is listed first here on purpose: the store orders the writes so the
  // one-active-per-slot index holds at every statement.
  next.state = KeyState::kActive;
  active.state = KeyState::kRetired;
  active.retired_at = kT0 + absl::Hours(1);
  active.delete_after = kT0 + absl::Hours(13);
  absl::Status status =
      store->UpdateSigningKeys(LeaderFence(), {next, active}, {"old"});
  ASSERT_TRUE(status.ok()) << status;

  auto keys = store->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_THAT(*keys, SizeIs(2));
  ExpectSameKey((*keys)[0], active);
  ExpectSameKey((*keys)[1], next);
}

TEST_P(StoreConformanceTest, FailedUpdateSigningKeysLeavesNothingHalfApplied) {
  Backend* const store = store_.get();
  SigningKeyRecord a = Key("a", "iam", KeyState::kActive);
  SigningKeyRecord b = Key("b", "iam", KeyState::kNext);
  SigningKeyRecord c = Key("c", "scoped", KeyState::kActive);
  for (const auto& k : {a, b, c}) ASSERT_TRUE(store->InsertSigningKey(k).ok());
  auto before = store->ListSigningKeys();
  ASSERT_TRUE(before.ok());

  auto expect_unchanged = [&] {
    auto after = store->ListSigningKeys();
    ASSERT_TRUE(after.ok());
    ASSERT_EQ(after->size(), before->size());
    for (size_t i = 0; i < after->size(); ++i) {
      ExpectSameKey((*after)[i], (*before)[i]);
    }
  };

  SigningKeyRecord a2 = a;
  a2.state = KeyState::kRetired;
  a2.retired_at = kT0;
  SigningKeyRecord b2 = b;
  b2.state = KeyState::kActive;

  // A changed kid that does not exist: the valid changes before it roll back.
  EXPECT_EQ(store
                ->UpdateSigningKeys(
                    LeaderFence(),
                    {a2, b2, Key("ghost", "iam", KeyState::kRetired)}, {})
                .code(),
            absl::StatusCode::kNotFound);
  expect_unchanged();

  // A deleted kid that does not exist.
  EXPECT_EQ(
      store->UpdateSigningKeys(LeaderFence(), {a2, b2}, {"c", "ghost"}).code(),
      absl::StatusCode::kNotFound);
  expect_unchanged();

  // The same kid twice.
  EXPECT_EQ(store->UpdateSigningKeys(LeaderFence(), {a2, a2}, {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->UpdateSigningKeys(LeaderFence(), {a2}, {"a"}).code(),
            absl::StatusCode::kInvalidArgument);
  expect_unchanged();

  // A constraint violation in the middle: two active keys in slot "iam"
  // (c moves to "iam" while b becomes active there); "a" was deleted first.
  SigningKeyRecord c2 = c;
  c2.slot = "iam";
  EXPECT_EQ(store->UpdateSigningKeys(LeaderFence(), {b2, c2}, {"a"}).code(),
            absl::StatusCode::kAlreadyExists);
  expect_unchanged();

  // And the store still works afterwards.
  ASSERT_TRUE(store->UpdateSigningKeys(LeaderFence(), {a2, b2}, {"c"}).ok());
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(2));
}

// Two replicas starting a rotation of one slot at once: the second next key
// is refused, so one rotation is in flight (Dex #976).
TEST_P(StoreConformanceTest, AtMostOneNextKeyPerSlot) {
  Backend* const store = store_.get();
  ASSERT_TRUE(store->InsertSigningKey(Key("n1", "iam", KeyState::kNext)).ok());
  EXPECT_EQ(store->InsertSigningKey(Key("n2", "iam", KeyState::kNext)).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(
      store->InsertSigningKey(Key("n3", "scoped", KeyState::kNext)).ok());
  // Retired keys are many.
  ASSERT_TRUE(
      store->InsertSigningKey(Key("r1", "iam", KeyState::kRetired)).ok());
  ASSERT_TRUE(
      store->InsertSigningKey(Key("r2", "iam", KeyState::kRetired)).ok());
  SigningKeyRecord r1_next = Key("r1", "iam", KeyState::kNext);
  EXPECT_EQ(store->UpdateSigningKeys(LeaderFence(), {r1_next}, {}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(4));
}

// Transitions are the lease holder's: a fence that no longer holds the lease
// (taken over, released, or never held) changes nothing.
TEST_P(StoreConformanceTest, UpdateSigningKeysNeedsTheLeaseItIsFencedBy) {
  Backend* const store = store_.get();
  ASSERT_TRUE(store->InsertSigningKey(Key("a", "iam", KeyState::kActive)).ok());
  SigningKeyRecord retired = Key("a", "iam", KeyState::kRetired);
  retired.retired_at = kT0;

  const Fence held = LeaderFence();
  EXPECT_EQ(store->UpdateSigningKeys({held.name, held.token + 1}, {retired}, {})
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->UpdateSigningKeys({"other-lease", held.token}, {retired}, {})
                .code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->ReleaseLease("maintenance", "conformance").ok());
  const absl::Status released = store->UpdateSigningKeys(held, {retired}, {});
  EXPECT_EQ(released.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(released.message()), HasSubstr("no longer held"));
  absl::StatusOr<Lease> other =
      store->AcquireLease("maintenance", "other", absl::Hours(1));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(store->UpdateSigningKeys(held, {retired}, {}).code(),
            absl::StatusCode::kFailedPrecondition);
  auto keys = store->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_THAT(*keys, SizeIs(1));
  EXPECT_EQ((*keys)[0].state, KeyState::kActive);

  EXPECT_TRUE(store->UpdateSigningKeys(FenceOf(*other), {retired}, {}).ok());
}

}  // namespace
}  // namespace tokend::store::conformance
