#include "server/policy/truthful_status.h"

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tokend::server {
namespace {

bool FromStore(absl::string_view message) {
  return absl::StartsWith(message, "sqlite: ") ||
         absl::StartsWith(message, "postgres: ");
}

}  // namespace

absl::Status Truthful(absl::Status status, absl::string_view method) {
  if (status.ok()) return status;
  const bool store = FromStore(status.message());
  if (!store && !absl::IsResourceExhausted(status)) return status;
  std::cerr << absl::StrCat("tokend: ", method, ": ", status.message(), "\n");
  if (!store) {
    return absl::UnavailableError("temporarily out of resources; retry later");
  }
  switch (status.code()) {
    case absl::StatusCode::kAlreadyExists:
      return absl::AlreadyExistsError("already exists");
    case absl::StatusCode::kNotFound:
      return absl::NotFoundError("not found");
    case absl::StatusCode::kAborted:
      return absl::AbortedError("a concurrent change won; retry");
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kPermissionDenied:  // cannot open, read-only
    case absl::StatusCode::kDeadlineExceeded:
      return absl::UnavailableError("the store is unavailable; retry later");
    default:
      return absl::InternalError("internal error in the store");
  }
}

}  // namespace tokend::server
