// How the gateway reads a request body, as grpc-gateway does: JSON whatever
// the Content-Type says (none, text/plain, anything it does not know), except
// a form body labelled as one. A body labelled a form that starts with '{' or
// '[' is JSON after all: a form's first byte never is (it would be
// percent-encoded), but curl's `-d '{...}'` labels JSON
// application/x-www-form-urlencoded by default. Only a charset other than
// UTF-8 is refused (415): the bytes would be misread.
#ifndef TOKEND_SERVER_GATEWAY_CONTENT_TYPE_H_
#define TOKEND_SERVER_GATEWAY_CONTENT_TYPE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {

enum class BodyFormat { kJson, kForm };

// The format of a non-empty `body` sent with Content-Type `raw` (the header's
// value, possibly empty), or UnsupportedMediaType's error.
absl::StatusOr<BodyFormat> ParseContentType(absl::string_view raw,
                                            absl::string_view body);

// INVALID_ARGUMENT "unsupported Content-Type <raw>: <why>", marked so that
// IsUnsupportedMediaType() tells it apart (the HTTP layer's 415).
absl::Status UnsupportedMediaType(absl::string_view content_type,
                                  absl::string_view why);

bool IsUnsupportedMediaType(const absl::Status& status);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_CONTENT_TYPE_H_
