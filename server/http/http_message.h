// The request and response the HTTP server hands to and takes from its
// handler, and the handler interface itself. Plain data: nothing here knows
// about sockets, Beast, gRPC or routes.
#ifndef TOKEND_SERVER_HTTP_HTTP_MESSAGE_H_
#define TOKEND_SERVER_HTTP_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"

namespace tokend::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent (case-sensitive).
  // Origin-form, raw (not percent-decoded): path and optional "?query".
  std::string target;
  // Names lowercased, in the order received; repeated names stay repeated.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // De-chunked; at most HttpServerOptions::max_body_bytes.
  // The client's x-request-id when it is 1..128 characters of
  // [A-Za-z0-9._:-], else a fresh random id (32 lowercase hex digits). The
  // server echoes it on the response.
  std::string request_id;
  std::string peer;  // "ip:port", IPv6 as "[ip]:port".
  bool tls = false;

  // The first value of header `name` (lowercase), or null.
  const std::string* Header(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;  // 200..599; anything else is answered 500.
  // Content-Type and the like, set by the handler. The server owns framing:
  // Content-Length, Transfer-Encoding, Connection, Keep-Alive and
  // x-request-id given here are dropped ("Connection: close" is honoured).
  // A name that is not an RFC 9110 token, or a value holding CR, LF or
  // another control character, makes the response a 500.
  std::vector<std::pair<std::string, std::string>> headers;
  // For HEAD, the body GET would return: the server sends its length and
  // drops it. 204 and 304 are sent without a body or Content-Length.
  std::string body;
};

// Completes one request. Call it exactly once, from any thread: handlers may
// answer asynchronously (e.g. from a gRPC callback). Calling it after the
// connection closed or the server stopped does nothing. Destroying it
// uncalled answers 500, so a dropped request never wedges its connection.
using Responder = absl::AnyInvocable<void(HttpResponse) &&>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;

  // Called on an io thread for every well-formed request. It must not block:
  // while it runs, that thread serves no other connection. Slow work belongs
  // elsewhere, answering through `respond` when done. Requests on one
  // connection are handled one at a time, in order. Exceptions thrown from
  // here are swallowed (the request is answered 500 if `respond` was
  // dropped); do not rely on that.
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_HTTP_MESSAGE_H_
