// One accepted connection of HttpServer: TLS handshake, request reading with
// limits and timeouts, handing the request to the handler, writing the
// response, keep-alive and closing. Internal to server/http; only
// http_server.cc includes this (Asio headers are slow to compile).
#ifndef TOKEND_SERVER_HTTP_HTTP_CONNECTION_H_
#define TOKEND_SERVER_HTTP_HTTP_CONNECTION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "server/http/h2_handler.h"
#include "server/http/http_message.h"
#include "server/http/http_server.h"
#include "server/http/responder.h"

namespace tokend::http::internal {

class Connection;

// What connections need from the server. Outlives every io thread, but not
// necessarily every connection object: a connection must not call it from
// its destructor.
class ConnectionHost {
 public:
  virtual const HttpServerOptions& options() const = 0;
  virtual HttpHandler& handler() = 0;
  // Non-null when the server speaks HTTP/2 (HttpServer::StartH2).
  virtual H2Handler* h2_handler() = 0;
  virtual const std::shared_ptr<ResponderGate>& gate() const = 0;
  // Called once, on the connection's strand, when its socket is closed.
  virtual void OnConnectionClosed(Connection* connection) = 0;
  // True once the server drains (HttpServer::Drain): every response then
  // closes its connection, so clients move to another server.
  virtual bool draining() const = 0;

 protected:
  ~ConnectionHost() = default;
};

// Every method is thread-safe: each posts to the connection's strand.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Start() = 0;
  // Server shutdown: a connection idle after a response closes now; one
  // with a request in progress, or new and yet to send its first (it may be
  // sending it now: closing would reset it unanswered), closes after that
  // request's response or at its first-byte deadline.
  virtual void BeginShutdown() = 0;
  // Server shutdown after the grace period: close now.
  virtual void ForceClose() = 0;
};

// `socket`'s executor must never run two of its handlers at once (a
// strand, or the io_context's when one thread runs it): connections rely on
// it instead of locks. `peer` is "ip:port" for HttpRequest::peer.
std::shared_ptr<Connection> NewPlainConnection(
    boost::asio::ip::tcp::socket socket, ConnectionHost* host,
    std::string peer);
std::shared_ptr<Connection> NewTlsConnection(
    boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
    ConnectionHost* host, std::string peer);

}  // namespace tokend::http::internal

#endif  // TOKEND_SERVER_HTTP_HTTP_CONNECTION_H_
