#include "server/policy/client_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tokend::server {

absl::string_view HostOfPeer(absl::string_view peer) {
  if (absl::ConsumePrefix(&peer, "[")) {
    return peer.substr(0, peer.find(']'));
  }
  const size_t colon = peer.rfind(':');
  return colon == absl::string_view::npos ? peer : peer.substr(0, colon);
}

std::string ClientAddress(const grpc::ServerContextBase& context) {
  std::string peer = context.peer();
  absl::string_view p = peer;
  // gRPC 1.51's in-process transport reports its peer as "unknown"; every
  // network transport names a scheme ("ipv4:", "ipv6:", "unix:").
  if (p == "unknown" || absl::StartsWith(p, "inproc")) {
    const auto& md = context.client_metadata();
    auto it = md.find(kClientAddressMetadata);
    if (it != md.end())
      return std::string(it->second.data(), it->second.size());
    return peer;
  }
  // gRPC's own listener: "ipv4:192.0.2.1:5000", "ipv6:[::1]:5000".
  if (absl::ConsumePrefix(&p, "ipv4:") || absl::ConsumePrefix(&p, "ipv6:")) {
    return std::string(HostOfPeer(p));
  }
  return peer;
}

std::string ForwardedClient(absl::string_view peer,
                            absl::string_view forwarded_for,
                            const std::vector<http::Cidr>& trusted_proxies) {
  absl::string_view client = HostOfPeer(peer);
  if (trusted_proxies.empty() || forwarded_for.empty() ||
      !http::AnyContains(trusted_proxies, client)) {
    return std::string(client);
  }
  std::vector<absl::string_view> hops =
      absl::StrSplit(forwarded_for, ',', absl::SkipWhitespace());
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    absl::string_view hop = absl::StripAsciiWhitespace(*it);
    // Only an address: "unknown", ports and junk end the walk.
    in6_addr scratch;
    const std::string text(hop);
    if (inet_pton(AF_INET, text.c_str(), &scratch) != 1 &&
        inet_pton(AF_INET6, text.c_str(), &scratch) != 1) {
      break;
    }
    client = hop;
    if (!http::AnyContains(trusted_proxies, hop)) break;
  }
  return std::string(client);
}

uint64_t AddressKey(absl::string_view address) {
  in6_addr v6;
  const std::string text(address);
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {  // a dual-stack socket's IPv4 client
      uint32_t v4 = 0;
      std::memcpy(&v4, v6.s6_addr + 12, sizeof(v4));
      in_addr a;
      a.s_addr = v4;
      char buf[INET_ADDRSTRLEN];
      if (inet_ntop(AF_INET, &a, buf, sizeof(buf)) != nullptr) {
        return absl::HashOf(4, absl::string_view(buf));
      }
    }
    uint64_t prefix = 0;
    std::memcpy(&prefix, v6.s6_addr, sizeof(prefix));
    return absl::HashOf(6, prefix);
  }
  return absl::HashOf(4, address);
}

}  // namespace tokend::server
