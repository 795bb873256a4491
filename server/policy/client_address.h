// The address a call comes from, for per-address limits and lockout. Calls
// through tokend's own fronts (the HTTP/2 front of the gRPC port, the REST
// gateway) arrive on the in-process channel carrying the address the front
// saw in kClientAddressMetadata; the fronts never forward that key from
// clients, and it is believed only on the in-process channel (whose peer
// gRPC 1.51 reports as "unknown"; network peers always name a scheme).
#ifndef TOKEND_SERVER_POLICY_CLIENT_ADDRESS_H_
#define TOKEND_SERVER_POLICY_CLIENT_ADDRESS_H_

#include <grpcpp/server_context.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/http/proxy_protocol.h"

namespace tokend::server {

inline constexpr char kClientAddressMetadata[] = "x-tokend-client-address";

// The client's IP address as text ("192.0.2.1", "2001:db8::1"), or the
// transport's peer string when it names none (a Unix socket).
std::string ClientAddress(const grpc::ServerContextBase& context);

// The address of "ip:port" or "[ipv6]:port" (as the fronts record peers).
absl::string_view HostOfPeer(absl::string_view peer);

// The client behind a REST request from `peer` ("ip:port"): the peer's
// address, or, when the peer is one of `trusted_proxies`, the rightmost
// address of X-Forwarded-For (`forwarded_for`, "" when absent) that is not
// itself a trusted proxy. Entries a client wrote to the left are never
// believed.
std::string ForwardedClient(absl::string_view peer,
                            absl::string_view forwarded_for,
                            const std::vector<http::Cidr>& trusted_proxies);

// A key for per-address state: an IPv6 address counts by its /64, the
// block one host is usually given, so that rotating within it gains
// nothing. Keyed per process (absl::Hash is seeded at start).
uint64_t AddressKey(absl::string_view address);

}  // namespace tokend::server

#endif  // TOKEND_SERVER_POLICY_CLIENT_ADDRESS_H_
