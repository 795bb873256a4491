// Enums read back from the database by name (records.h's Parse* functions),
// shared by every backend. DataLoss when a stored name is unknown: only
// tokend writes these columns, so an unknown name is a damaged or foreign
// database, not bad input.
#ifndef TOKEND_CORE_STORE_STORED_NAMES_H_
#define TOKEND_CORE_STORE_STORED_NAMES_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/jose/algorithm.h"

namespace tokend::store {

template <typename E>
absl::StatusOr<E> StoredEnum(std::optional<E> parsed, absl::string_view column,
                             absl::string_view stored) {
  if (parsed.has_value()) return *parsed;
  return absl::DataLossError(
      absl::StrCat("unknown ", column, " '", stored, "' in the database"));
}

inline absl::StatusOr<jose::Algorithm> StoredAlgorithm(
    absl::string_view column, absl::string_view stored) {
  absl::StatusOr<jose::Algorithm> alg = jose::AlgorithmFromName(stored);
  return StoredEnum(alg.ok() ? std::optional(*alg) : std::nullopt, column,
                    stored);
}

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_STORED_NAMES_H_
