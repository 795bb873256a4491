// Hooking RequestValidator into gRPC services: every handler validates its
// request first.
//
//   grpc::ServerUnaryReactor* IamTokenServiceImpl::Create(
//       grpc::CallbackServerContext* context, const Request* request,
//       Response* response) {
//     if (auto* rejected = RejectInvalidRequest(context, *request)) {
//       return rejected;
//     }
//     ...
//
// Why not a server interceptor (verified against gRPC 1.51's headers and
// library, and by tests/server/validation/grpc_validation_test.cc): an
// interceptor does see the request at POST_RECV_MESSAGE — for generated
// protobuf services GetRecvMessage() is the handler's RequestType*, hence a
// google::protobuf::Message* — but
//  - it cannot fail the call before the handler runs: Hijack() is client-only
//    (it asserts on a server), FailHijackedRecvMessage() requires a
//    PRE_RECV_MESSAGE hook that only hijacked client calls have, and nothing
//    else on InterceptorBatchMethods stops a server call. The most it could
//    do is ModifySendStatus at PRE_SEND_STATUS, after the handler had already
//    done the work. (Replacing the MethodHandler does not help either: the
//    callback unary handler answers any failed Deserialize with UNIMPLEMENTED
//    and an empty message.)
//  - the void* is untyped: the default health service (libgrpc++'s
//    DefaultHealthCheckService, callback methods over grpc::ByteBuffer) and
//    generic services receive a ByteBuffer there, so a blanket cast to
//    Message* is undefined behaviour for them.
// The gateway reaches the same handlers through the in-process channel, so
// REST requests are validated by the same call.
#ifndef TOKEND_SERVER_VALIDATION_GRPC_VALIDATION_H_
#define TOKEND_SERVER_VALIDATION_GRPC_VALIDATION_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

namespace tokend::server::validation {

// nullptr when `request` is valid; otherwise the context's default reactor,
// already finished with the validation status (INVALID_ARGUMENT, or INTERNAL
// for a malformed option), for the handler to return as is.
grpc::ServerUnaryReactor* RejectInvalidRequest(
    grpc::CallbackServerContext* context,
    const google::protobuf::Message& request);

// Validate() as a grpc::Status, for synchronous handlers.
grpc::Status ValidateRequest(const google::protobuf::Message& request);

}  // namespace tokend::server::validation

#endif  // TOKEND_SERVER_VALIDATION_GRPC_VALIDATION_H_
