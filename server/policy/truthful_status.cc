#include "server/policy/truthful_status.h"

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/json_string.h"

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
  // One JSON line, as the request log's.
  std::string line = "{\"msg\":\"failure hidden from the caller\",\"method\":";
  gateway::AppendJsonStringLossy(method, &line);
  line += ",\"error\":";
  gateway::AppendJsonStringLossy(status.ToString(), &line);
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
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
