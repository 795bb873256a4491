#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {

std::string BackendFactoryName(
    const ::testing::TestParamInfo<BackendFactory>& info) {
  return info.param.name;
}

void StoreConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<Backend>> opened = GetParam().open();
  ASSERT_TRUE(opened.ok()) << opened.status();
  store_ = *std::move(opened);
}

void StoreConformanceTest::AddSessionUsers() {
  ASSERT_TRUE(store_->InsertUser(User("u1")).ok());
  ASSERT_TRUE(store_->InsertUser(User("u2")).ok());
}

Fence StoreConformanceTest::LeaderFence() {
  absl::StatusOr<Lease> lease =
      store_->AcquireLease("maintenance", "conformance", absl::Hours(1));
  EXPECT_TRUE(lease.ok()) << lease.status();
  if (!lease.ok()) return Fence{};
  EXPECT_EQ(lease->holder, "conformance");
  return FenceOf(*lease);
}

}  // namespace tokend::store::conformance
