// The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): the
// header a TCP load balancer writes before the client's bytes, naming the
// client's address. HttpServer honours it only from connections whose peer
// is in HttpServerOptions::trusted_proxies, and there only when present, so
// the same proxies may also be HTTP proxies sending no header. Plain
// functions on bytes, tested without sockets.
#ifndef TOKEND_SERVER_HTTP_PROXY_PROTOCOL_H_
#define TOKEND_SERVER_HTTP_PROXY_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::http {

// An IPv4 or IPv6 network, "10.0.0.0/8", "fd00::/8" or a bare address.
class Cidr {
 public:
  static absl::StatusOr<Cidr> Parse(absl::string_view text);
  // `address`: dotted IPv4 or IPv6 text, as Asio prints it.
  bool Contains(absl::string_view address) const;

 private:
  std::vector<uint8_t> network_;  // 4 or 16 bytes.
  int prefix_bits_ = 0;
};

// Any of `cidrs` contains `address`.
bool AnyContains(const std::vector<Cidr>& cidrs, absl::string_view address);

struct ProxyHeader {
  enum class State {
    kNone,      // The bytes do not start with a PROXY header.
    kNeedMore,  // They may: more bytes are needed to tell, or to finish it.
    kInvalid,   // A malformed or oversized header.
    kComplete,
  };
  State state = State::kNone;
  size_t length = 0;    // kComplete: the header's bytes, to consume.
  std::string address;  // kComplete: the client's IP; empty for
                        // LOCAL / UNKNOWN (the proxy's own connection).
  uint16_t port = 0;
};

// Reads a header at the start of `bytes` (what has arrived so far).
ProxyHeader ParseProxyHeader(absl::string_view bytes);

// Bytes to peek to tell whether a header is complete: the longest v1 line,
// or a v2 header with addresses and a little room for TLVs.
inline constexpr size_t kMaxProxyHeaderBytes = 536;

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_PROXY_PROTOCOL_H_
