// One structured log line per request: method, status code, latency, request
// id, peer. Implemented as a gRPC server interceptor so no handler can forget
// it. Request bodies, metadata values and tokens are never logged; status
// messages are, because core/ never puts secrets in them.
//
// The request id is the client's `x-request-id` (when it is short and
// printable) or a fresh random one, and is echoed in the response's initial
// metadata.
#ifndef TOKEND_SERVER_REQUEST_LOG_H_
#define TOKEND_SERVER_REQUEST_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <cstdio>
#include <memory>

namespace tokend::server {

class RequestLogFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `sink` receives whole lines (one fwrite each); not owned.
  explicit RequestLogFactory(std::FILE* sink) : sink_(sink) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::FILE* sink_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_REQUEST_LOG_H_
