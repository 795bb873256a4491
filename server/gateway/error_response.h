// How a failed call looks over REST: the HTTP status from the canonical
// gRPC -> HTTP table (google/rpc/code.proto, as Envoy maps it), and a body in
// the error style the service declares with (tokend.api.v1.error_style) —
// google.rpc.Status JSON by default, Clerk's or Courier's for the services
// that mirror them, so their SDKs parse our errors as they parse theirs.
#ifndef TOKEND_SERVER_GATEWAY_ERROR_RESPONSE_H_
#define TOKEND_SERVER_GATEWAY_ERROR_RESPONSE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/status.h"
#include "tokend/api/v1/gateway.pb.h"

namespace tokend::gateway {

struct ErrorResponse {
  int http_status = 500;
  // Besides Content-Type: application/json, which every error carries.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// OK 200, CANCELLED 499, INVALID_ARGUMENT/FAILED_PRECONDITION/OUT_OF_RANGE
// 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
// ALREADY_EXISTS/ABORTED 409, RESOURCE_EXHAUSTED 429, UNIMPLEMENTED 501,
// UNAVAILABLE 503, DEADLINE_EXCEEDED 504, everything else 500.
int HttpStatusFromGrpc(grpc::StatusCode code);

// The style declared on `service`, ERROR_STYLE_UNSPECIFIED (google.rpc.Status)
// when none is.
api::v1::ErrorStyle ErrorStyleOf(
    const google::protobuf::ServiceDescriptor* service);

// Renders `status` (not OK) in `style`. `retry_after_seconds` is sent as
// Retry-After on a 429 (1 when empty). A google.rpc.ErrorInfo among the
// status details (grpc-status-details-bin) refines a Clerk error: its reason
// is the error `code`, its metadata "message" the short `message`, any other
// metadata goes to `meta`; without one, the code and short message come from
// the gRPC code. `request_id` becomes Clerk's clerk_trace_id.
ErrorResponse RenderError(api::v1::ErrorStyle style, const grpc::Status& status,
                          absl::string_view request_id,
                          absl::string_view retry_after_seconds = "");

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_ERROR_RESPONSE_H_
