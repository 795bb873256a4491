// The store conformance suite against SqliteStore: one fresh file per test.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/store/sqlite_store.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

absl::StatusOr<std::unique_ptr<Backend>> OpenFreshSqlite() {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/conformance-", getpid(),
                   "-", counter.fetch_add(1), ".db");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Backend>(*std::move(store));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(BackendFactory{"sqlite",
                                                          OpenFreshSqlite}),
                         BackendFactoryName);

}  // namespace
}  // namespace tokend::store::conformance
