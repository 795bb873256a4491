// Splitting HttpServerOptions::listen into host and port, before any socket
// exists, so a typo fails Start() with a message rather than a bind error.
#ifndef TOKEND_SERVER_HTTP_LISTEN_ADDRESS_H_
#define TOKEND_SERVER_HTTP_LISTEN_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::http {

struct ListenAddress {
  std::string host;  // An IP literal (brackets removed) or a name.
  uint16_t port = 0;
};

// "host:port" or "[v6]:port"; port 0..65535 in decimal. INVALID_ARGUMENT
// otherwise (also for an empty host: say 0.0.0.0 or [::] to mean "all").
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view listen);

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_LISTEN_ADDRESS_H_
