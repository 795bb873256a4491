// HttpServer: the HTTP/1.1 (and 1.0) server under tokend's REST gateway.
// Generic: it parses requests, enforces limits and timeouts, and writes
// responses; what a request means is the HttpHandler's business.
//
//   auto server = HttpServer::Start({.listen = "127.0.0.1:0"}, &handler);
//   if (!server.ok()) return server.status();
//   int port = (*server)->port();
//   ...
//   (*server)->Shutdown(absl::Seconds(5));
//
// Connections: keep-alive by default in HTTP/1.1 ("Connection: close"
// honoured), in HTTP/1.0 only when asked. Pipelined requests are answered in
// order: the next request is read only once the previous response is written.
// Chunked request bodies are accepted; other transfer codings are not.
//
// Errors the server answers itself carry `Content-Type: application/json` and
// a google.rpc.Status-style body `{"code":<grpc code>,"message":"..."}`:
//
//   400 malformed request, missing Host (1.1),
//       target not origin-form          3  INVALID_ARGUMENT
//   408 request not complete within read_timeout  4  DEADLINE_EXCEEDED
//   413 body over max_body_bytes (a Content-Length over it is refused before
//       any of the body is read)                   3  INVALID_ARGUMENT
//   417 Expect other than 100-continue             9  FAILED_PRECONDITION
//   431 header block over max_header_bytes         3  INVALID_ARGUMENT
//   500 handler broke the contract (bad status or header, dropped responder)
//                                                  13 INTERNAL
//   501 Transfer-Encoding other than "chunked"     12 UNIMPLEMENTED
//   503 over max_connections or max_connections_per_address
//                                                  14 UNAVAILABLE
//
// RESOURCE_EXHAUSTED (429) is kept for rate limits, which clients retry.
// After any of these except 500 the connection is closed, since the rest of
// the bytes on it cannot be trusted to frame a request.
//
// Every response carries `x-request-id` (HttpRequest::request_id) and
// Content-Length (except 204/304). HEAD responses carry the GET length and no
// body. `Expect: 100-continue` gets "100 Continue" before the body is read.
//
// Nothing is logged about requests (headers may carry credentials).
#ifndef TOKEND_SERVER_HTTP_HTTP_SERVER_H_
#define TOKEND_SERVER_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/http/h2_handler.h"
#include "server/http/http_message.h"

namespace tokend::http {

struct HttpServerOptions {
  // "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:8080";
  int threads = 1;                      // io threads; handlers run on them.
  size_t max_header_bytes = 16 * 1024;  // request line + headers -> 431.
  size_t max_body_bytes = 64 * 1024;    // -> 413.
  // The whole request, from its first byte, must arrive within this -> 408,
  // then close. The handler's own time is not bounded here.
  absl::Duration read_timeout = absl::Seconds(10);
  // A connection kept alive after a response with no next request started
  // is closed quietly after this.
  absl::Duration idle_timeout = absl::Seconds(60);
  // A new connection must start its first request (plaintext) or complete
  // its TLS handshake (at most read_timeout either way) within this, else it
  // is closed quietly. Short, so sockets that never send a byte cannot hold
  // the pool.
  absl::Duration first_byte_timeout = absl::Seconds(5);
  // Writing one response (then close).
  absl::Duration write_timeout = absl::Seconds(10);
  // Connections beyond this are accepted and answered at once: plaintext
  // gets a best-effort 503 written without reading the request, TLS is
  // closed (a 503 would need a handshake first). Either way the connection
  // is closed right after, so clients see a prompt failure rather than a
  // hang in the listen backlog.
  int max_connections = 4096;
  // Connections from one client address (the IP, any port) beyond this are
  // refused the same way, so one address cannot hold the whole pool.
  int max_connections_per_address = 256;
  // Networks ("10.0.0.0/8", "fd00::/8", a bare address) of TCP load
  // balancers whose connections may start with a PROXY protocol header (v1
  // or v2, proxy_protocol.h) naming the client: the per-address cap and
  // HttpRequest::peer / H2Request::peer then use the client's address. From
  // them the header is optional; from anyone else it is not read (a
  // "PROXY ..." line is a malformed request). INVALID_ARGUMENT at Start for
  // an entry that is not a network.
  std::vector<std::string> trusted_proxies;
  // TLS, PEM contents (not paths). With tls_cert_pem (the leaf first, then
  // any intermediates) and tls_key_pem set, every connection is TLS 1.2+;
  // with tls_client_ca_pem also set, clients must present a certificate that
  // chains to one of its CAs (mTLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string tls_client_ca_pem;

  // HTTP/2 mode only (StartH2). SETTINGS_MAX_CONCURRENT_STREAMS; the header
  // limit is max_header_bytes (SETTINGS_MAX_HEADER_LIST_SIZE, enforced), and
  // idle_timeout counts from the last stream's end.
  int h2_max_concurrent_streams = 100;
  // Request bytes a connection's stream handlers may hold at once (partial
  // messages; H2StreamHandler::OnData): past it, the stream that went over
  // is reset (ENHANCE_YOUR_CALM). Bounds what slow senders can pin.
  size_t h2_max_held_request_bytes = 1 << 20;
  // Response bytes one stream, and all of a connection's streams, may hold
  // for a client that does not take them (HTTP/2 flow control lets it
  // stall): past either, the stream is reset and its call cancelled.
  size_t h2_max_stream_output_bytes = 4 << 20;
  size_t h2_max_connection_output_bytes = 8 << 20;
};

class HttpServer {
 public:
  // Binds, listens and starts the io threads. `handler` is not owned and
  // must outlive the server. INVALID_ARGUMENT for bad options, listen
  // address or PEM; UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      HttpServerOptions options, HttpHandler* handler);
  // The same server speaking HTTP/2 only (RFC 9113, on libnghttp2): with
  // prior knowledge over plaintext, with ALPN "h2" over TLS. Every stream
  // goes to `handler`. Connection caps, the first-byte deadline, Drain
  // (which sends a GOAWAY notice on each connection's next stream) and
  // Shutdown (GOAWAY, streams in flight finish within the grace) work as
  // above; max_body_bytes, read_timeout and the 5xx answers do not apply
  // (the handler owns its streams).
  static absl::StatusOr<std::unique_ptr<HttpServer>> StartH2(
      HttpServerOptions options, H2Handler* handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Shutdown(absl::Seconds(1)).
  ~HttpServer();

  int port() const;  // The bound port.

  // Before a graceful stop: everything is served as before, but every
  // response closes its connection ("Connection: close"), so keep-alive
  // clients reconnect, to another server once a balancer has seen this one
  // unhealthy. Thread-safe; cheap.
  void Drain();

  // Graceful stop: stops accepting (new connections are refused), closes
  // keep-alive connections idle after a response, lets requests in flight
  // (and new connections' first requests) finish and their responses be
  // written (with "Connection: close") for up to `grace`, then closes
  // whatever is left and stops the io threads. Blocks until done.
  // Idempotent and thread-safe, but must not be called from a handler (it
  // waits for the io threads). Responders called afterwards do nothing.
  void Shutdown(absl::Duration grace);

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  static absl::StatusOr<std::unique_ptr<HttpServer>> StartEither(
      HttpServerOptions options, HttpHandler* handler, H2Handler* h2_handler);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_HTTP_SERVER_H_
