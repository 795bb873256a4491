#include "server/cors.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tokend::server {
namespace {

// Request headers a preflight may ask for: an RFC 9110 token list, bounded.
constexpr size_t kMaxRequestHeadersBytes = 1024;

bool IsHeaderList(absl::string_view value) {
  if (value.size() > kMaxRequestHeadersBytes) return false;
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != ',' &&
        c != ' ') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool CorsPolicy::AppliesTo(absl::string_view path) {
  return absl::StartsWith(path, "/v1/client/") ||
         absl::StartsWith(path, "/v1/me/");
}

std::string CorsPolicy::AllowedOrigin(const http::HttpRequest& request) const {
  const std::string* origin = request.Header("origin");
  if (origin == nullptr || parties_ == nullptr || !parties_->Allows(*origin)) {
    return "";
  }
  return *origin;
}

std::optional<http::HttpResponse> CorsPolicy::Preflight(
    const http::HttpRequest& request, absl::string_view path) const {
  if (request.method != "OPTIONS" || !AppliesTo(path) ||
      request.Header("access-control-request-method") == nullptr) {
    return std::nullopt;
  }
  http::HttpResponse response;
  response.status = 204;
  response.headers.emplace_back(
      "vary",
      "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  const std::string origin = AllowedOrigin(request);
  if (origin.empty()) return response;  // No grant: the browser refuses.
  response.headers.emplace_back("access-control-allow-origin", origin);
  response.headers.emplace_back("access-control-allow-credentials", "true");
  response.headers.emplace_back("access-control-allow-methods",
                                "GET, POST, DELETE");
  const std::string* asked = request.Header("access-control-request-headers");
  if (asked != nullptr && IsHeaderList(*asked)) {
    response.headers.emplace_back("access-control-allow-headers", *asked);
  }
  response.headers.emplace_back("access-control-max-age", "600");
  return response;
}

void CorsPolicy::Decorate(absl::string_view allowed_origin,
                          http::HttpResponse* response) {
  response->headers.emplace_back("vary", "Origin");
  if (allowed_origin.empty()) return;
  response->headers.emplace_back("access-control-allow-origin",
                                 std::string(allowed_origin));
  response->headers.emplace_back("access-control-allow-credentials", "true");
}

}  // namespace tokend::server
