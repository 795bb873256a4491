// Address checks shared by the server (refusing plaintext off loopback) and
// the CLI (refusing to send credentials in the clear).
#ifndef TOKEND_CORE_COMMON_NET_H_
#define TOKEND_CORE_COMMON_NET_H_

#include <arpa/inet.h>

#include <string>

#include "absl/strings/string_view.h"

namespace tokend {

// True for "localhost:P", "[::1]:P" and an IPv4 literal in 127/8 — parsed,
// so that a name such as "127.example.com:P" does not pass.
inline bool IsLoopbackHostPort(absl::string_view host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = host_port.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  in_addr addr;
  return inet_pton(AF_INET, std::string(host).c_str(), &addr) == 1 &&
         (ntohl(addr.s_addr) >> 24) == 127;
}

}  // namespace tokend

#endif  // TOKEND_CORE_COMMON_NET_H_
