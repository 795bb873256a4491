// Conversion of absl::Status (core/) to grpc::Status (the wire). The canonical
// codes are numerically identical, so this is a cast plus the message; a
// reason attached with WithReason (core/common/error_reason.h) travels as a
// google.rpc.ErrorInfo in the status details.
#ifndef TOKEND_SERVER_GRPC_STATUS_H_
#define TOKEND_SERVER_GRPC_STATUS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "core/common/error_reason.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace tokend::server {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::optional<std::string> reason = ReasonOf(status);
  std::optional<std::string> param = ParamOf(status);
  if (!reason.has_value() && !param.has_value()) {
    return grpc::Status(code, std::string(status.message()));
  }
  google::rpc::ErrorInfo info;
  if (reason.has_value()) info.set_reason(*reason);
  info.set_domain("tokend");
  if (std::optional<std::string> short_message = ShortMessageOf(status)) {
    (*info.mutable_metadata())["message"] = *short_message;
  }
  if (param.has_value()) (*info.mutable_metadata())["param_name"] = *param;
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  details.add_details()->PackFrom(info);
  return grpc::Status(code, std::string(status.message()),
                      details.SerializeAsString());
}

// Ends a callback-API unary call with `status`.
inline grpc::ServerUnaryReactor* FinishUnary(
    grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace tokend::server

#endif  // TOKEND_SERVER_GRPC_STATUS_H_
