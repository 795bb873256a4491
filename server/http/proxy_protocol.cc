#include "server/http/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokend::http {
namespace {

constexpr absl::string_view kV1Prefix = "PROXY ";
constexpr char kV2Signature[] = "\r\n\r\n\0\r\nQUIT\n";
constexpr size_t kV2SignatureBytes = 12;
constexpr size_t kV1MaxBytes = 107;  // proxy-protocol.txt 2.1

// 4 or 16 bytes of `text` (an IPv4-mapped IPv6 address as its IPv4).
std::optional<std::vector<uint8_t>> AddressBytes(absl::string_view text) {
  const std::string s(text);
  uint8_t v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    return std::vector<uint8_t>(v4, v4 + 4);
  }
  uint8_t v6[16];
  if (inet_pton(AF_INET6, s.c_str(), v6) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                          0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6, kMapped, sizeof(kMapped)) == 0) {
    return std::vector<uint8_t>(v6 + 12, v6 + 16);
  }
  return std::vector<uint8_t>(v6, v6 + 16);
}

std::string AddressText(int family, const uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes, text, sizeof(text)) == nullptr) return "";
  return text;
}

ProxyHeader Invalid() {
  ProxyHeader header;
  header.state = ProxyHeader::State::kInvalid;
  return header;
}

ProxyHeader NeedMore() {
  ProxyHeader header;
  header.state = ProxyHeader::State::kNeedMore;
  return header;
}

// "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
ProxyHeader ParseV1(absl::string_view bytes) {
  const size_t end = bytes.substr(0, kV1MaxBytes).find("\r\n");
  if (end == absl::string_view::npos) {
    return bytes.size() < kV1MaxBytes ? NeedMore() : Invalid();
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(bytes.substr(0, end), ' ');
  ProxyHeader header;
  header.state = ProxyHeader::State::kComplete;
  header.length = end + 2;
  if (parts.size() >= 2 && parts[1] == "UNKNOWN") return header;
  if (parts.size() != 6 || (parts[1] != "TCP4" && parts[1] != "TCP6")) {
    return Invalid();
  }
  const std::optional<std::vector<uint8_t>> source = AddressBytes(parts[2]);
  const size_t want = parts[1] == "TCP4" ? 4 : 16;
  int port = 0;
  if (!source.has_value() || source->size() != want ||
      !AddressBytes(parts[3]).has_value() ||
      !absl::SimpleAtoi(parts[4], &port) || port < 0 || port > 65535) {
    return Invalid();
  }
  header.address = AddressText(want == 4 ? AF_INET : AF_INET6, source->data());
  header.port = static_cast<uint16_t>(port);
  return header;
}

// 12-byte signature, version/command, family/protocol, 2-byte length,
// addresses (and TLVs, skipped).
ProxyHeader ParseV2(absl::string_view bytes) {
  if (bytes.size() < 16) return NeedMore();
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t body = static_cast<size_t>(p[14]) << 8 | p[15];
  if (16 + body > kMaxProxyHeaderBytes) return Invalid();
  if (bytes.size() < 16 + body) return NeedMore();
  const uint8_t version = p[12] >> 4;
  const uint8_t command = p[12] & 0xF;
  if (version != 2 || command > 1) return Invalid();
  ProxyHeader header;
  header.state = ProxyHeader::State::kComplete;
  header.length = 16 + body;
  if (command == 0) return header;  // LOCAL: the proxy's own connection.
  const uint8_t family = p[13] >> 4;
  const uint8_t* a = p + 16;
  if (family == 1) {  // AF_INET: src, dst, sport, dport.
    if (body < 12) return Invalid();
    header.address = AddressText(AF_INET, a);
    header.port = static_cast<uint16_t>(a[8] << 8 | a[9]);
  } else if (family == 2) {  // AF_INET6
    if (body < 36) return Invalid();
    header.address = AddressText(AF_INET6, a);
    header.port = static_cast<uint16_t>(a[32] << 8 | a[33]);
  }
  // AF_UNSPEC or AF_UNIX: no address to use; the proxy's own stands.
  return header;
}

}  // namespace

absl::StatusOr<Cidr> Cidr::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  const absl::string_view address = text.substr(0, slash);
  std::optional<std::vector<uint8_t>> bytes;
  // An IPv4-mapped network would be stored as IPv4: refuse it rather than
  // let its prefix mean something else.
  if (address.find(':') == absl::string_view::npos ||
      address.find('.') == absl::string_view::npos) {
    bytes = AddressBytes(address);
  }
  if (!bytes.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not an IP network"));
  }
  Cidr cidr;
  cidr.prefix_bits_ = static_cast<int>(bytes->size() * 8);
  if (slash != absl::string_view::npos &&
      (!absl::SimpleAtoi(text.substr(slash + 1), &cidr.prefix_bits_) ||
       cidr.prefix_bits_ < 0 ||
       cidr.prefix_bits_ > static_cast<int>(bytes->size() * 8))) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" has a bad prefix length"));
  }
  cidr.network_ = *std::move(bytes);
  return cidr;
}

bool Cidr::Contains(absl::string_view address) const {
  const std::optional<std::vector<uint8_t>> bytes = AddressBytes(address);
  if (!bytes.has_value() || bytes->size() != network_.size()) return false;
  int bits = prefix_bits_;
  for (size_t i = 0; i < network_.size() && bits > 0; ++i, bits -= 8) {
    const uint8_t mask =
        bits >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - bits));
    if (((*bytes)[i] & mask) != (network_[i] & mask)) return false;
  }
  return true;
}

bool AnyContains(const std::vector<Cidr>& cidrs, absl::string_view address) {
  return std::any_of(cidrs.begin(), cidrs.end(),
                     [&](const Cidr& cidr) { return cidr.Contains(address); });
}

ProxyHeader ParseProxyHeader(absl::string_view bytes) {
  const absl::string_view v2(kV2Signature, kV2SignatureBytes);
  if (bytes.size() >= kV1Prefix.size() &&
      bytes.substr(0, kV1Prefix.size()) == kV1Prefix) {
    return ParseV1(bytes);
  }
  if (bytes.size() >= kV2SignatureBytes &&
      bytes.substr(0, kV2SignatureBytes) == v2) {
    return ParseV2(bytes);
  }
  // Too short to tell, and still a prefix of one of them.
  const size_t n = bytes.size();
  if ((n < kV1Prefix.size() && kV1Prefix.substr(0, n) == bytes) ||
      (n < kV2SignatureBytes && v2.substr(0, n) == bytes)) {
    return NeedMore();
  }
  return ProxyHeader();
}

}  // namespace tokend::http
