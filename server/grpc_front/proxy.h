// GrpcProxy: what answers on the public gRPC port when tokend's own HTTP/2
// front serves it (HttpServer::StartH2, on libnghttp2) instead of gRPC
// 1.51's listener, whose HTTP/2 stack cannot be hardened (issue 17,
// BENCHMARKS.md). Each stream becomes a call on the server's in-process
// channel through a generic stub, the way the REST gateway dispatches:
//
// - unary methods (of GrpcProxyOptions::services) as one unary call;
//   anything else (server reflection, unknown methods) as a bidirectional
//   stream, message by message;
// - request headers become metadata ("-bin" values base64-decoded), except
//   those HTTP/2 and gRPC reserve; grpc-timeout becomes the deadline;
// - a stream reset by the client cancels its call;
// - responses carry the server's metadata, trailers grpc-status,
//   grpc-message (percent-encoded) and grpc-status-details-bin; a call that
//   fails before any message is answered "trailers-only", as gRPC does.
//
// Refused here, before any call: a header block over the limit
// (RESOURCE_EXHAUSTED), a request message over max_message_bytes
// (RESOURCE_EXHAUSTED), compressed messages (UNIMPLEMENTED; the front
// announces grpc-accept-encoding: identity), a content-type not
// application/grpc* (HTTP 415), a method other than POST (HTTP 405).
#ifndef TOKEND_SERVER_GRPC_FRONT_PROXY_H_
#define TOKEND_SERVER_GRPC_FRONT_PROXY_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "server/http/h2_handler.h"
#include "server/http/proxy_protocol.h"

namespace tokend::grpc_front {

struct GrpcProxyOptions {
  // The server's in-process channel.
  std::shared_ptr<grpc::Channel> channel;
  // The services it answers: their unary methods are called as such;
  // anything else (and any method not listed) as a bidirectional stream.
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  // One request message at most; the in-process server's own limit.
  size_t max_message_bytes = 64 * 1024;
  // Request messages a streaming call may hold not yet taken by the server.
  size_t max_queued_bytes = 256 * 1024;
  // A grpc-timeout longer than this is treated as none.
  absl::Duration max_timeout = absl::Hours(24 * 365);
  // L7 proxies whose `x-forwarded-for` names the client (as for REST,
  // server/policy/client_address.h); the client's address reaches the
  // server as kClientAddressMetadata.
  std::vector<http::Cidr> trusted_proxies;
};

class GrpcProxy final : public http::H2Handler {
 public:
  explicit GrpcProxy(GrpcProxyOptions options);

  std::unique_ptr<http::H2StreamHandler> OnRequest(
      http::H2Request request,
      std::shared_ptr<http::H2ResponseStream> response) override;

 private:
  enum class Shape { kUnary, kServerStreaming, kClientStreaming };

  const GrpcProxyOptions options_;
  // "/pkg.Service/Method" -> its shape; built once, read without a lock.
  const absl::flat_hash_map<std::string, Shape> methods_;
  grpc::GenericStub stub_;
};

}  // namespace tokend::grpc_front

#endif  // TOKEND_SERVER_GRPC_FRONT_PROXY_H_
