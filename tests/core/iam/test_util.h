// Shared fixtures for the core/iam tests: a SqliteStore in TEST_TMPDIR.
#ifndef TOKEND_TESTS_CORE_IAM_TEST_UTIL_H_
#define TOKEND_TESTS_CORE_IAM_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/store/sqlite_store.h"
#include "gtest/gtest.h"

namespace tokend::iam::testing {

inline const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

inline std::unique_ptr<store::SqliteStore> OpenTempStore(
    absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-", getpid(), "-",
                   ++counter, ".db");
  auto store = store::SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

inline store::ServiceAccountRecord Account(std::string id) {
  store::ServiceAccountRecord rec;
  rec.id = std::move(id);
  rec.name = "sa-" + rec.id;
  rec.created_at = kT0;
  return rec;
}

}  // namespace tokend::iam::testing

#endif  // TOKEND_TESTS_CORE_IAM_TEST_UTIL_H_
