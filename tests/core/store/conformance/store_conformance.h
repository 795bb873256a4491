// The store conformance suite (DESIGN §4): one set of tests that every
// Backend must pass. The suite lives in a library; each backend's test binary
// instantiates it with a factory that opens a fresh, empty backend:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(BackendFactory{"sqlite", Open}),
//                            BackendFactoryName);
//
// Each test gets its own backend, so tests share no rows.
#ifndef TOKEND_TESTS_CORE_STORE_CONFORMANCE_STORE_CONFORMANCE_H_
#define TOKEND_TESTS_CORE_STORE_CONFORMANCE_STORE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "core/store/backend.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/sample_records.h"

namespace tokend::store::conformance {

struct BackendFactory {
  std::string name;  // [A-Za-z0-9_]: it names the test instances.
  // A fresh backend with no rows.
  std::function<absl::StatusOr<std::unique_ptr<Backend>>()> open;
};

// gtest prints the parameter by its name, not as bytes.
inline void PrintTo(const BackendFactory& factory, std::ostream* os) {
  *os << factory.name;
}

std::string BackendFactoryName(
    const ::testing::TestParamInfo<BackendFactory>& info);

class StoreConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;

  // Inserts users "user_u1" and "user_u2" (for the session tests).
  void AddSessionUsers();
  // Takes the lease "maintenance" for an hour as "conformance": the fence
  // signing key transitions need.
  Fence LeaderFence();

  std::unique_ptr<Backend> store_;
};

}  // namespace tokend::store::conformance

#endif  // TOKEND_TESTS_CORE_STORE_CONFORMANCE_STORE_CONFORMANCE_H_
