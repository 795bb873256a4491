// The store conformance suite against PostgresStore: one throwaway
// PostgreSQL 15 cluster for the binary (tests/testing/postgres_server.h), one
// fresh database per test.
#include <memory>
#include <string>

#include "core/store/postgres_store.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"
#include "tests/testing/postgres_server.h"

namespace tokend::store::conformance {
namespace {

absl::StatusOr<std::unique_ptr<Backend>> OpenFreshPostgres() {
  testing::PostgresServer* server = testing::SharedPostgresServer();
  if (server == nullptr) {
    return absl::UnavailableError("the test PostgreSQL server did not start");
  }
  absl::StatusOr<std::string> url = server->CreateDatabase();
  if (!url.ok()) return url.status();
  PostgresStore::Options options;
  options.conninfo = *url;
  absl::StatusOr<std::unique_ptr<PostgresStore>> store =
      PostgresStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Backend>(*std::move(store));
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(BackendFactory{"postgres",
                                                          OpenFreshPostgres}),
                         BackendFactoryName);

}  // namespace
}  // namespace tokend::store::conformance
