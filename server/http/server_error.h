// Responses the HTTP server produces itself (limits, malformed requests,
// broken handler contract): google.rpc.Status-style JSON, so a client of the
// gateway can read them like the gateway's own errors. The table of statuses
// and codes is in http_server.h.
#ifndef TOKEND_SERVER_HTTP_SERVER_ERROR_H_
#define TOKEND_SERVER_HTTP_SERVER_ERROR_H_

#include "absl/strings/string_view.h"
#include "server/http/http_message.h"

namespace tokend::http {

// The google.rpc.Code number reported with a server-produced `http_status`
// (13 INTERNAL for statuses outside the table).
int GrpcCodeForServerError(int http_status);

// `http_status` with `Content-Type: application/json` and the body
// {"code":<GrpcCodeForServerError>,"message":<message>}. `message` is fixed
// text chosen by the server, never request data.
HttpResponse ServerErrorResponse(int http_status, absl::string_view message);

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_SERVER_ERROR_H_
