// RETURN_IF_ERROR / ASSIGN_OR_RETURN: Debian's Abseil (20220623) predates
// absl/status/status_macros.h, so tokend carries these two.
#ifndef TOKEND_CORE_COMMON_STATUS_MACROS_H_
#define TOKEND_CORE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TOKEND_CONCAT_INNER_(a, b) a##b
#define TOKEND_CONCAT_(a, b) TOKEND_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    const absl::Status _tokend_status = (expr);      \
    if (!_tokend_status.ok()) return _tokend_status; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, rexpr)                                        \
  TOKEND_ASSIGN_OR_RETURN_IMPL_(TOKEND_CONCAT_(_tokend_or_, __LINE__), lhs, \
                                rexpr)

#define TOKEND_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();       \
  lhs = std::move(tmp).value()

#endif  // TOKEND_CORE_COMMON_STATUS_MACROS_H_
