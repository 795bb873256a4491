// One structured log line per request: method, status code, latency, request
// id, client address (server/policy/client_address.h); credential and
// rate-limit refusals are aggregated per address (server/failure_log.h).
// Implemented as a gRPC server interceptor so no handler can forget it. Request
// bodies, metadata values and tokens are never logged; status messages are,
// because core/ never puts secrets in them.
//
// The request id is the client's `x-request-id` (when it is short and
// printable) or a fresh random one, and is echoed in the response's initial
// metadata.
#ifndef TOKEND_SERVER_REQUEST_LOG_H_
#define TOKEND_SERVER_REQUEST_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <cstdio>
#include <memory>

#include "server/failure_log.h"

namespace tokend::server {

class RequestLogFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `sink` receives whole lines (one fwrite each), or nothing when null:
  // then only `failures` counts refusals (for the audit log). Not owned.
  RequestLogFactory(std::FILE* sink, FailureLog* failures)
      : sink_(sink), failures_(failures) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::FILE* sink_;
  FailureLog* failures_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_REQUEST_LOG_H_
