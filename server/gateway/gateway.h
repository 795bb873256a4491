// The REST gateway: an http::HttpHandler that transcodes HTTP/JSON to the
// gRPC methods annotated with google.api.http, grpc-gateway style, and calls
// them through a generic stub on the server's in-process channel. It knows no
// concrete service: routes come from the descriptors, error bodies from the
// service's (tokend.api.v1.error_style).
//
// Per request: match the route (404/405), translate the request (400/415;
// parameters named in the method's (tokend.api.v1.ignored_parameters) are
// dropped), forward a fixed set of headers as metadata, call, and write the
// response in proto3 JSON or the error in the service's style. Response
// metadata `cache-control` and `etag` become headers (with If-None-Match ->
// 304), and a `retry-after` trailer becomes Retry-After on 429. GET responses
// the service marks public are reused briefly (ResponseCache).
#ifndef TOKEND_SERVER_GATEWAY_GATEWAY_H_
#define TOKEND_SERVER_GATEWAY_GATEWAY_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "google/protobuf/descriptor.h"
#include "server/gateway/error_response.h"
#include "server/gateway/path_matcher.h"
#include "server/gateway/response_cache.h"
#include "server/http/http_server.h"
#include "server/http/proxy_protocol.h"

namespace tokend::gateway {

struct GatewayOptions {
  // Services whose annotated methods get REST routes.
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  // Where calls go: the server's in-process channel.
  std::shared_ptr<grpc::Channel> channel;
  // Deadline of each call made for a REST request.
  absl::Duration deadline = absl::Seconds(30);
  // GET responses the service marks `Cache-Control: public, max-age=N` are
  // reused for min(N, cache.max_ttl) by requests without credentials.
  ResponseCacheOptions cache;
  const Clock* clock = RealClock::Get();
  // The largest request message the services take (the in-process server's
  // receive limit): a REST body whose message comes out larger is 413.
  size_t max_message_bytes = 64 * 1024;
  // Balancers whose X-Forwarded-For names the client (server/policy/
  // client_address.h); the client's address reaches the services as
  // kClientAddressMetadata.
  std::vector<http::Cidr> trusted_proxies;
};

class Gateway : public http::HttpHandler {
 public:
  // InvalidArgument when a rule or a method's ignored_parameters does not
  // hold (PathMatcher::Build).
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(
      GatewayOptions options);

  void Handle(http::HttpRequest request, http::Responder respond) override;

  const PathMatcher& matcher() const { return *matcher_; }

 private:
  Gateway(GatewayOptions options, std::unique_ptr<PathMatcher> matcher);

  // The error style of a request that matched no route: that of most
  // routes under its first path segment ("/v1": Clerk's), so an SDK gets
  // its own error shape for a route tokend lacks.
  api::v1::ErrorStyle UnroutedStyle(absl::string_view path) const;

  const GatewayOptions options_;
  const std::unique_ptr<PathMatcher> matcher_;
  // Methods whose responses print every field (PrintsAllFields), worked out
  // once.
  absl::flat_hash_set<const google::protobuf::MethodDescriptor*>
      print_all_fields_;
  // First path segment -> the style most of its routes' services declare.
  absl::flat_hash_map<std::string, api::v1::ErrorStyle> segment_styles_;
  grpc::GenericStub stub_;
  ResponseCache cache_;
};

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_GATEWAY_H_
