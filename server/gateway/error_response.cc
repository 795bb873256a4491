#include "server/gateway/error_response.h"

#include <string>

#include "absl/strings/numbers.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "nlohmann/json.hpp"

namespace tokend::gateway {
namespace {

using api::v1::ErrorStyle;

// Clerk's error codes (clerk-docs data/api_errors.json) for errors that
// carry no google.rpc.ErrorInfo, with their short messages.
struct ClerkDefault {
  const char* code;
  const char* message;
};

ClerkDefault ClerkDefaultFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return {"authentication_invalid", "Invalid authentication"};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {"authorization_invalid", "Unauthorized request"};
    case grpc::StatusCode::NOT_FOUND:
      return {"resource_not_found", "Resource not found"};
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return {"form_param_value_invalid", "is invalid"};
    case grpc::StatusCode::FAILED_PRECONDITION:
      return {"precondition_failed", "Precondition failed"};
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return {"conflict", "Conflict"};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {"too_many_requests", "Too many requests"};
    default:
      return {"internal_clerk_error", "Oops, an unexpected error occurred"};
  }
}

// The google.rpc.Status the server sent in grpc-status-details-bin, or one
// built from the code and message.
google::rpc::Status RpcStatusOf(const grpc::Status& status) {
  google::rpc::Status rpc;
  if (status.error_details().empty() ||
      !rpc.ParseFromString(status.error_details())) {
    rpc.Clear();
  }
  rpc.set_code(static_cast<int>(status.error_code()));
  rpc.set_message(status.error_message());
  return rpc;
}

std::string GoogleRpcBody(const grpc::Status& status) {
  google::rpc::Status rpc = RpcStatusOf(status);
  std::string body;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;  // "code" and "message"
  if (google::protobuf::util::MessageToJsonString(rpc, &body, options).ok()) {
    return body;
  }
  // A detail whose type is not linked in cannot be printed; drop details.
  rpc.clear_details();
  body.clear();
  if (google::protobuf::util::MessageToJsonString(rpc, &body, options).ok()) {
    return body;
  }
  // Not UTF-8: protobuf refuses; nlohmann replaces the bad bytes.
  nlohmann::json fallback = {{"code", rpc.code()}, {"message", rpc.message()}};
  return fallback.dump(-1, ' ', false,
                       nlohmann::json::error_handler_t::replace);
}

std::string ClerkBody(const grpc::Status& status, absl::string_view trace_id) {
  const ClerkDefault fallback = ClerkDefaultFor(status.error_code());
  nlohmann::json error = {{"code", fallback.code},
                          {"message", fallback.message},
                          {"long_message", status.error_message()},
                          {"meta", nlohmann::json::object()}};
  google::rpc::Status rpc = RpcStatusOf(status);
  for (const google::protobuf::Any& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    if (!info.reason().empty()) error["code"] = info.reason();
    for (const auto& [key, value] : info.metadata()) {
      if (key == "message") {
        error["message"] = value;
      } else {
        error["meta"][key] = value;
      }
    }
    break;
  }
  nlohmann::json body = {{"errors", nlohmann::json::array({error})},
                         {"meta", nlohmann::json::object()},
                         {"clerk_trace_id", std::string(trace_id)}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CourierBody(const grpc::Status& status, int http_status) {
  nlohmann::json body = {
      {"message", status.error_message()},
      {"type", http_status < 500 ? "invalid_request_error" : "api_error"}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int HttpStatusFromGrpc(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS, and codes outside the enum
      return 500;
  }
}

api::v1::ErrorStyle ErrorStyleOf(
    const google::protobuf::ServiceDescriptor* service) {
  if (service == nullptr) return api::v1::ERROR_STYLE_UNSPECIFIED;
  return service->options().GetExtension(api::v1::error_style);
}

ErrorResponse RenderError(api::v1::ErrorStyle style, const grpc::Status& status,
                          absl::string_view request_id,
                          absl::string_view retry_after_seconds) {
  ErrorResponse out;
  out.http_status = HttpStatusFromGrpc(status.error_code());
  switch (style) {
    case api::v1::ERROR_STYLE_CLERK:
      // Clerk answers invalid parameters 422 (form_param_*), not 400.
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        out.http_status = 422;
      }
      out.body = ClerkBody(status, request_id);
      break;
    case api::v1::ERROR_STYLE_COURIER:
      out.body = CourierBody(status, out.http_status);
      // The SDK retries 408, 409, 429 and 5xx unless told; only a rate
      // limit is worth retrying among the 4xx.
      if (out.http_status == 429) {
        out.headers.emplace_back("x-should-retry", "true");
      } else if (out.http_status >= 400 && out.http_status < 500) {
        out.headers.emplace_back("x-should-retry", "false");
      }
      break;
    default:
      out.body = GoogleRpcBody(status);
      break;
  }
  if (out.http_status == 429) {
    int seconds = 0;
    const bool valid = absl::SimpleAtoi(retry_after_seconds, &seconds) &&
                       seconds >= 0 && seconds <= 86400;
    out.headers.emplace_back("retry-after",
                             valid ? std::to_string(seconds) : "1");
  }
  return out;
}

}  // namespace tokend::gateway
