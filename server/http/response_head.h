// The status line and header block of a response, formatted by hand: the
// server owns framing (Content-Length, Connection, x-request-id) and checks
// what the handler supplied, so the bytes on the wire follow from one small,
// testable function rather than from a serializer's defaults.
#ifndef TOKEND_SERVER_HTTP_RESPONSE_HEAD_H_
#define TOKEND_SERVER_HTTP_RESPONSE_HEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/http/http_message.h"

namespace tokend::http {

// What the head depends on besides the response itself.
struct ResponseContext {
  absl::string_view request_id;
  bool head_request = false;  // HEAD: Content-Length of the body, no body.
  bool http10 = false;        // An HTTP/1.0 request: keep-alive is explicit.
  bool close = false;         // The server will close after this response.
};

struct ResponseHead {
  std::string text;  // "HTTP/1.1 ...\r\n...\r\n\r\n"
  bool send_body = true;
  // The connection closes after this response: the context said so, or the
  // handler asked with "Connection: close".
  bool close = false;
};

// The RFC 9110 reason phrase, or "" for a status without one.
absl::string_view ReasonPhrase(int status);

// INTERNAL when the handler broke the contract in http_message.h (status
// outside 200..599, a header name that is not a token, a value with a
// control character); the caller then answers 500 instead.
absl::StatusOr<ResponseHead> FormatResponseHead(const HttpResponse& response,
                                                const ResponseContext& context);

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_RESPONSE_HEAD_H_
