#include "server/validation/grpc_validation.h"

#include "absl/status/status.h"
#include "server/grpc_status.h"
#include "server/validation/request_validator.h"

namespace tokend::server::validation {

grpc::ServerUnaryReactor* RejectInvalidRequest(
    grpc::CallbackServerContext* context,
    const google::protobuf::Message& request) {
  absl::Status status = Validate(request);
  if (status.ok()) return nullptr;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::Status ValidateRequest(const google::protobuf::Message& request) {
  return ToGrpcStatus(Validate(request));
}

}  // namespace tokend::server::validation
