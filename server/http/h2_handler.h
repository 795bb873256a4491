// What HttpServer in HTTP/2 mode (HttpServer::StartH2) hands its handler:
// one request stream at a time, as headers, then data as it arrives, and a
// sink for the response. Plain data and interfaces: nothing here knows about
// sockets, nghttp2 or gRPC (server/grpc_proxy.h is the handler tokend uses).
#ifndef TOKEND_SERVER_HTTP_H2_HANDLER_H_
#define TOKEND_SERVER_HTTP_H2_HANDLER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokend::http {

// Field names lowercase, in the order received or to be sent.
using H2Fields = std::vector<std::pair<std::string, std::string>>;

struct H2Request {
  std::string method;     // :method
  std::string path;       // :path
  std::string authority;  // :authority (may be empty)
  H2Fields headers;       // Every regular field; no pseudo-headers.
  std::string peer;       // "ip:port", IPv6 as "[ip]:port".
  bool tls = false;
  // The header block exceeded HttpServerOptions::max_header_bytes (counted
  // as in RFC 9113's SETTINGS_MAX_HEADER_LIST_SIZE): fields past the limit
  // were dropped, and the handler should refuse the request.
  bool headers_too_large = false;
};

// Where a stream's response goes. Thread-safe; calls after the stream ended
// (reset by the client, the connection closed, the server stopped) do
// nothing.
class H2ResponseStream {
 public:
  struct Output {
    // Sent once, first, with ":status" first.
    std::optional<H2Fields> headers;
    std::string data;
    // Ends the stream. With headers and no data in the same Output, the
    // whole response is one HEADERS frame (gRPC's "trailers-only").
    std::optional<H2Fields> trailers;
  };
  virtual ~H2ResponseStream() = default;
  // Parts of one Send go out in order, after those of earlier Sends.
  virtual void Send(Output output) = 0;
};

// One request stream's reader, owned by the connection. Its methods run on
// the connection's thread, one at a time; they must not block.
class H2StreamHandler {
 public:
  virtual ~H2StreamHandler() = default;
  // Request body bytes; `end_of_stream` once, with the last of them (which
  // may be none). Returns how many request bytes the handler holds now
  // (received, not yet handed on): the connection caps their sum over its
  // streams (HttpServerOptions::h2_max_held_request_bytes) and resets the
  // stream that goes past it.
  virtual size_t OnData(absl::string_view data, bool end_of_stream) = 0;
  // The client reset the stream, or the connection closed, before the
  // response ended. The last call; the handler is destroyed right after.
  virtual void OnCancel() = 0;
};

class H2Handler {
 public:
  virtual ~H2Handler() = default;
  // A new stream whose header block is complete. Returns its reader (never
  // null), which may answer through `response` at once or later.
  virtual std::unique_ptr<H2StreamHandler> OnRequest(
      H2Request request, std::shared_ptr<H2ResponseStream> response) = 0;
};

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_H2_HANDLER_H_
