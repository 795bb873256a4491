// Conversion of absl::Status (core/) to grpc::Status (the wire). The canonical
// codes are numerically identical, so this is a cast plus the message.
#ifndef TOKEND_SERVER_GRPC_STATUS_H_
#define TOKEND_SERVER_GRPC_STATUS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace tokend::server {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
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
