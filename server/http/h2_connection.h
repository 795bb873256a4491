// One accepted connection of HttpServer in HTTP/2 mode: TLS handshake, an
// nghttp2 server session, streams handed to the H2Handler, their responses
// written back. Internal to server/http; only http_server.cc includes this.
#ifndef TOKEND_SERVER_HTTP_H2_CONNECTION_H_
#define TOKEND_SERVER_HTTP_H2_CONNECTION_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "server/http/http_connection.h"

namespace tokend::http::internal {

// As NewPlainConnection and NewTlsConnection (http_connection.h), for
// host->h2_handler().
std::shared_ptr<Connection> NewPlainH2Connection(
    boost::asio::ip::tcp::socket socket, ConnectionHost* host,
    std::string peer);
std::shared_ptr<Connection> NewTlsH2Connection(
    boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
    ConnectionHost* host, std::string peer);

}  // namespace tokend::http::internal

#endif  // TOKEND_SERVER_HTTP_H2_CONNECTION_H_
