#include "server/http_front.h"

#include <grpcpp/client_context.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/gateway/error_response.h"

namespace tokend::server {
namespace {

http::HttpResponse Json(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("content-type", "application/json");
  response.body = std::move(body);
  return response;
}

http::HttpResponse Error(grpc::StatusCode code, absl::string_view message,
                         absl::string_view request_id) {
  gateway::ErrorResponse error = gateway::RenderError(
      api::v1::ERROR_STYLE_UNSPECIFIED,
      grpc::Status(code, std::string(message)), request_id);
  http::HttpResponse response = Json(error.http_status, error.body);
  for (auto& header : error.headers) response.headers.push_back(header);
  return response;
}

// Target without its query string.
absl::string_view PathOf(absl::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

HttpFront::~HttpFront() = default;

void HttpFront::Attach(HttpBackends backends) {
  backends_ = std::move(backends);
  attached_.store(true, std::memory_order_release);
}

void HttpFront::Handle(http::HttpRequest request, http::Responder respond) {
  if (!attached_.load(std::memory_order_acquire)) {
    std::move(respond)(
        Error(grpc::StatusCode::UNAVAILABLE, "starting", request.request_id));
    return;
  }
  const absl::string_view path = PathOf(request.target);
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/healthz" || path == "/metrics") {
    if (!get) {
      http::HttpResponse response =
          Error(grpc::StatusCode::UNIMPLEMENTED,
                absl::StrCat(path, " only answers GET"), request.request_id);
      response.status = 405;
      response.headers.emplace_back("allow", "GET, HEAD");
      std::move(respond)(std::move(response));
      return;
    }
    if (path == "/healthz") {
      Healthz(request, std::move(respond));
      return;
    }
    http::HttpResponse response;
    response.headers.emplace_back("content-type",
                                  "text/plain; version=0.0.4; charset=utf-8");
    response.headers.emplace_back("cache-control", "no-store");
    response.body = backends_.metrics();
    std::move(respond)(std::move(response));
    return;
  }
  if (CorsPolicy::AppliesTo(path)) {
    if (std::optional<http::HttpResponse> preflight =
            backends_.cors.Preflight(request, path)) {
      std::move(respond)(*std::move(preflight));
      return;
    }
    respond = [origin = backends_.cors.AllowedOrigin(request),
               inner =
                   std::move(respond)](http::HttpResponse response) mutable {
      CorsPolicy::Decorate(origin, &response);
      std::move(inner)(std::move(response));
    };
  }
  backends_.gateway->Handle(std::move(request), std::move(respond));
}

// Reflects the gRPC health service (overall status, service ""): 200 while
// SERVING, 503 otherwise — including while draining after SIGTERM.
void HttpFront::Healthz(const http::HttpRequest& request,
                        http::Responder respond) {
  struct Call {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    http::Responder respond;
  };
  auto call = std::make_unique<Call>();
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  call->respond = std::move(respond);
  auto stub = grpc::health::v1::Health::NewStub(backends_.channel);
  Call* raw = call.release();
  stub->async()->Check(
      &raw->context, &raw->request, &raw->response, [raw](grpc::Status status) {
        std::unique_ptr<Call> call(raw);
        const bool serving =
            status.ok() && call->response.status() ==
                               grpc::health::v1::HealthCheckResponse::SERVING;
        http::HttpResponse response =
            Json(serving ? 200 : 503, serving ? R"({"status":"SERVING"})"
                                              : R"({"status":"NOT_SERVING"})");
        response.headers.emplace_back("cache-control", "no-store");
        std::move(call->respond)(std::move(response));
      });
}

}  // namespace tokend::server
