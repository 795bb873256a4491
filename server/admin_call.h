// AdminCall: the shape of every admin-only unary handler. The caller is
// authenticated first (so an unauthenticated caller learns nothing about the
// request's shape), then the request is validated against its proto options,
// then `body` runs; its status ends the call.
#ifndef TOKEND_SERVER_ADMIN_CALL_H_
#define TOKEND_SERVER_ADMIN_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "server/auth.h"
#include "server/grpc_status.h"
#include "server/validation/request_validator.h"

namespace tokend::server {

template <typename Body>
grpc::ServerUnaryReactor* AdminCall(grpc::CallbackServerContext* context,
                                    const google::protobuf::Message& request,
                                    const AdminAuthenticator& admin,
                                    Body&& body) {
  absl::Status status = admin.Check(*context);
  if (status.ok()) status = validation::Validate(request);
  if (status.ok()) status = body();
  return FinishUnary(context, status);
}

}  // namespace tokend::server

#endif  // TOKEND_SERVER_ADMIN_CALL_H_
