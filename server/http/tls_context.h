// The server-side TLS configuration, built from PEM contents with libssl
// alone (no Asio), so it is quick to compile and test: TLS 1.2 or later,
// ALPN "http/1.1" (or "h2"), and client certificates required when a client CA
// is set.
#ifndef TOKEND_SERVER_HTTP_TLS_CONTEXT_H_
#define TOKEND_SERVER_HTTP_TLS_CONTEXT_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tokend::http {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct TlsServerConfig {
  std::string cert_pem;       // Leaf first, then intermediates.
  std::string key_pem;        // The leaf's private key.
  std::string client_ca_pem;  // Empty: no client certificates asked for.
  // ALPN "h2" (HTTP/2 only: a client not offering it gets no protocol, and
  // fails at the preface if it speaks another); else "http/1.1".
  bool h2 = false;
};

// INVALID_ARGUMENT naming the field when a PEM does not parse or the key does
// not match the certificate (never echoing the PEM).
absl::StatusOr<SslCtxPtr> NewServerTlsContext(const TlsServerConfig& config);

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_TLS_CONTEXT_H_
