// What answers on --http_listen: GET /healthz and GET /metrics here, every
// other request through the REST gateway. The HTTP server starts before the
// gRPC side exists (the default issuer needs its bound port), so the backends
// are attached later; until then every request gets 503.
#ifndef TOKEND_SERVER_HTTP_FRONT_H_
#define TOKEND_SERVER_HTTP_FRONT_H_

#include <grpcpp/channel.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "server/cors.h"
#include "server/gateway/gateway.h"
#include "server/http/http_server.h"

namespace tokend::server {

struct HttpBackends {
  std::unique_ptr<gateway::Gateway> gateway;
  // The server's in-process channel, for grpc.health.v1.Health/Check.
  std::shared_ptr<grpc::Channel> channel;
  // The Prometheus exposition (Metrics::RenderPrometheus plus gauges).
  std::function<std::string()> metrics;
  // Which browser origins may call the Frontend API routes.
  CorsPolicy cors;
};

class HttpFront : public http::HttpHandler {
 public:
  HttpFront() = default;
  ~HttpFront() override;

  // Once, before the server is reported ready.
  void Attach(HttpBackends backends);

  void Handle(http::HttpRequest request, http::Responder respond) override;

 private:
  void Healthz(const http::HttpRequest& request, http::Responder respond);

  HttpBackends backends_;
  std::atomic<bool> attached_{false};
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_HTTP_FRONT_H_
