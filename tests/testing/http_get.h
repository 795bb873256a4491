// HttpGet: one HTTP/1.1 GET over a fresh TCP connection, for tests that
// read what a load balancer or a sidecar would (JWKS bodies and ETags,
// /metrics, /healthz). Connection: close; the body ends at Content-Length or
// at EOF. Chunked responses are refused (tokend's front never sends them).
#ifndef TOKEND_TESTS_TESTING_HTTP_GET_H_
#define TOKEND_TESTS_TESTING_HTTP_GET_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tokend::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // Names lower-cased.
  std::string body;
};

// `address` is "host:port" (IPv4 or a name). Unavailable if it cannot
// connect, DeadlineExceeded past `timeout`, Internal on a malformed reply.
absl::StatusOr<HttpResponse> HttpGet(
    const std::string& address, const std::string& path,
    absl::Duration timeout = absl::Seconds(10));

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_TESTING_HTTP_GET_H_
