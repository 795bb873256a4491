// Test helpers for core/jose: status assertions (Debian's GoogleTest has no
// absl matchers).
#ifndef TOKEND_TESTS_CORE_JOSE_TEST_UTIL_H_
#define TOKEND_TESTS_CORE_JOSE_TEST_UTIL_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

#define TOKEND_TEST_CONCAT_INNER_(a, b) a##b
#define TOKEND_TEST_CONCAT_(a, b) TOKEND_TEST_CONCAT_INNER_(a, b)

#define EXPECT_OK(expr)                                    \
  do {                                                     \
    const auto& _s = (expr);                               \
    EXPECT_TRUE(_s.ok()) << ::tokend::jose::test::Str(_s); \
  } while (0)

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const auto& _s = (expr);                               \
    ASSERT_TRUE(_s.ok()) << ::tokend::jose::test::Str(_s); \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(TOKEND_TEST_CONCAT_(_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                  \
  auto tmp = (expr);                                                \
  ASSERT_TRUE(tmp.ok()) << ::tokend::jose::test::Str(tmp.status()); \
  lhs = std::move(tmp).value()

// Expects `expr` (Status or StatusOr) to fail with `code` and a message
// containing `substr`.
#define EXPECT_STATUS(expr, code, substr) \
  EXPECT_TRUE(::tokend::jose::test::StatusIs((expr), (code), (substr)))

namespace tokend::jose::test {

inline std::string Str(const absl::Status& s) { return s.ToString(); }
template <typename T>
std::string Str(const absl::StatusOr<T>& s) {
  return s.status().ToString();
}

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

template <typename S>
::testing::AssertionResult StatusIs(const S& result, absl::StatusCode code,
                                    absl::string_view substr) {
  const absl::Status s = StatusOf(result);
  if (s.code() == code &&
      std::string(s.message()).find(std::string(substr)) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << s << ", want code " << absl::StatusCodeToString(code)
         << " with a message containing \"" << substr << "\"";
}

}  // namespace tokend::jose::test

#endif  // TOKEND_TESTS_CORE_JOSE_TEST_UTIL_H_
