#include "server/http/proxy_protocol.h"

#include <string>

#include "gtest/gtest.h"

namespace tokend::http {
namespace {

using State = ProxyHeader::State;

// The v2 signature and header bytes, written out from proxy-protocol.txt
// section 2.2 (not by the code under test).
std::string V2(uint8_t version_command, uint8_t family,
               const std::string& body) {
  std::string out("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
  out.push_back(static_cast<char>(version_command));
  out.push_back(static_cast<char>(family));
  out.push_back(static_cast<char>(body.size() >> 8));
  out.push_back(static_cast<char>(body.size() & 0xFF));
  return out + body;
}

TEST(ProxyHeaderTest, V1Tcp4FromTheSpec) {
  const std::string line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  const ProxyHeader header = ParseProxyHeader(line + "GET / HTTP/1.1\r\n");
  EXPECT_EQ(header.state, State::kComplete);
  EXPECT_EQ(header.length, line.size());
  EXPECT_EQ(header.address, "192.168.0.1");
  EXPECT_EQ(header.port, 56324);
}

TEST(ProxyHeaderTest, V1Tcp6AndUnknown) {
  ProxyHeader header =
      ParseProxyHeader("PROXY TCP6 2001:db8::1 2001:db8::2 4000 443\r\n");
  EXPECT_EQ(header.state, State::kComplete);
  EXPECT_EQ(header.address, "2001:db8::1");
  header = ParseProxyHeader("PROXY UNKNOWN\r\n");
  EXPECT_EQ(header.state, State::kComplete);
  EXPECT_EQ(header.length, 15u);
  EXPECT_EQ(header.address, "");  // The proxy's own address stands.
}

TEST(ProxyHeaderTest, V1Malformed) {
  for (const char* bad :
       {"PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n",
        "PROXY TCP4 2001:db8::1 192.168.0.11 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n", "PROXY UDP4 a b 1 2\r\n"}) {
    EXPECT_EQ(ParseProxyHeader(bad).state, State::kInvalid) << bad;
  }
  // No CRLF within the 107 bytes a v1 line may take.
  EXPECT_EQ(ParseProxyHeader("PROXY " + std::string(120, 'x')).state,
            State::kInvalid);
}

TEST(ProxyHeaderTest, PartialHeadersNeedMore) {
  EXPECT_EQ(ParseProxyHeader("PRO").state, State::kNeedMore);
  EXPECT_EQ(ParseProxyHeader("PROXY TCP4 1.2.3.4").state, State::kNeedMore);
  EXPECT_EQ(ParseProxyHeader(std::string("\r\n\r\n\0\r", 6)).state,
            State::kNeedMore);
  const std::string v2 = V2(0x21, 0x11, std::string(12, '\1'));
  EXPECT_EQ(ParseProxyHeader(v2.substr(0, 20)).state, State::kNeedMore);
}

TEST(ProxyHeaderTest, OtherProtocolsAreNoHeader) {
  for (const char* start :
       {"GET / HTTP/1.1\r\n", "PRI * HTTP/2.0\r\n", "\x16\x03\x01", "P"}) {
    const ProxyHeader header = ParseProxyHeader(start);
    // "P" alone may still become "PROXY ": only that one needs more.
    EXPECT_EQ(header.state,
              std::string(start) == "P" ? State::kNeedMore : State::kNone)
        << start;
  }
}

TEST(ProxyHeaderTest, V2Inet) {
  // 10.1.2.3:4660 -> 10.0.0.1:443, then a TLV the parser skips.
  std::string body("\x0A\x01\x02\x03\x0A\x00\x00\x01\x12\x34\x01\xBB", 12);
  body += std::string("\x04\x00\x01\x00", 4);  // PP2_TYPE_NOOP, 1 byte
  const std::string header_bytes = V2(0x21, 0x11, body);
  const ProxyHeader header = ParseProxyHeader(header_bytes + "PRI * HTTP/2.0");
  EXPECT_EQ(header.state, State::kComplete);
  EXPECT_EQ(header.length, header_bytes.size());
  EXPECT_EQ(header.address, "10.1.2.3");
  EXPECT_EQ(header.port, 0x1234);
}

TEST(ProxyHeaderTest, V2Inet6AndLocal) {
  std::string body(36, '\0');
  body[0] = '\x20';
  body[1] = '\x01';
  body[15] = '\x07';  // 2001::7
  body[32] = '\x00';
  body[33] = '\x50';  // port 80
  ProxyHeader header = ParseProxyHeader(V2(0x21, 0x21, body));
  EXPECT_EQ(header.state, State::kComplete);
  EXPECT_EQ(header.address, "2001::7");
  EXPECT_EQ(header.port, 80);
  header = ParseProxyHeader(V2(0x20, 0x00, ""));  // LOCAL: a health check
  EXPECT_EQ(header.state, State::kComplete);
  EXPECT_EQ(header.length, 16u);
  EXPECT_EQ(header.address, "");
}

TEST(ProxyHeaderTest, V2Malformed) {
  EXPECT_EQ(ParseProxyHeader(V2(0x11, 0x11, std::string(12, '\0'))).state,
            State::kInvalid);  // version 1 in a v2 signature
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x11, std::string(4, '\0'))).state,
            State::kInvalid);  // too short for two IPv4 addresses
  EXPECT_EQ(ParseProxyHeader(V2(0x21, 0x11, std::string(600, '\0'))).state,
            State::kInvalid);  // over kMaxProxyHeaderBytes
}

TEST(CidrTest, ContainsV4AndV6) {
  const Cidr ten = Cidr::Parse("10.0.0.0/8").value();
  EXPECT_TRUE(ten.Contains("10.200.3.4"));
  EXPECT_FALSE(ten.Contains("11.0.0.1"));
  EXPECT_TRUE(ten.Contains("::ffff:10.1.1.1"));  // v4-mapped, as Asio says
  EXPECT_FALSE(ten.Contains("fd00::1"));
  const Cidr host = Cidr::Parse("127.0.0.1").value();
  EXPECT_TRUE(host.Contains("127.0.0.1"));
  EXPECT_FALSE(host.Contains("127.0.0.2"));
  const Cidr ula = Cidr::Parse("fd00::/8").value();
  EXPECT_TRUE(ula.Contains("fd12:3456::1"));
  EXPECT_FALSE(ula.Contains("fe80::1"));
  const Cidr odd = Cidr::Parse("192.168.0.0/23").value();
  EXPECT_TRUE(odd.Contains("192.168.1.255"));
  EXPECT_FALSE(odd.Contains("192.168.2.0"));
}

TEST(CidrTest, Malformed) {
  for (const char* bad :
       {"", "10.0.0.0/33", "10.0.0/8", "fd00::/129", "::ffff:10.0.0.0/104",
        "host.example", "10.0.0.0/x"}) {
    EXPECT_FALSE(Cidr::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tokend::http
