#include "server/policy/client_address.h"

#include "gtest/gtest.h"

namespace tokend::server {
namespace {

std::vector<http::Cidr> Trusted() {
  return {*http::Cidr::Parse("10.0.0.0/8"), *http::Cidr::Parse("fd00::/8")};
}

TEST(ClientAddressTest, HostOfPeer) {
  EXPECT_EQ(HostOfPeer("192.0.2.1:443"), "192.0.2.1");
  EXPECT_EQ(HostOfPeer("[2001:db8::1]:443"), "2001:db8::1");
}

TEST(ClientAddressTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  // A client that is no proxy cannot name another address.
  EXPECT_EQ(ForwardedClient("192.0.2.7:1000", "198.51.100.1", Trusted()),
            "192.0.2.7");
  // From a trusted balancer: the rightmost address it did not add itself.
  EXPECT_EQ(ForwardedClient("10.1.2.3:1000", "198.51.100.1", Trusted()),
            "198.51.100.1");
  EXPECT_EQ(ForwardedClient("10.1.2.3:1000",
                            "203.0.113.9, 198.51.100.1, 10.9.9.9", Trusted()),
            "198.51.100.1")
      << "an address the client wrote to the left is never believed";
  // Nothing usable: the balancer's own address.
  EXPECT_EQ(ForwardedClient("10.1.2.3:1000", "", Trusted()), "10.1.2.3");
  EXPECT_EQ(ForwardedClient("10.1.2.3:1000", "unknown", Trusted()), "10.1.2.3");
  EXPECT_EQ(ForwardedClient("10.1.2.3:1000", "198.51.100.1, junk", Trusted()),
            "10.1.2.3");
  // Without trusted proxies the header means nothing.
  EXPECT_EQ(ForwardedClient("10.1.2.3:1000", "198.51.100.1", {}), "10.1.2.3");
  EXPECT_EQ(ForwardedClient("[fd00::5]:1000", "2001:db8::7", Trusted()),
            "2001:db8::7");
}

TEST(ClientAddressTest, KeysCountIpv6ByItsSlash64) {
  EXPECT_EQ(AddressKey("2001:db8:1:2::1"), AddressKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(AddressKey("2001:db8:1:2::1"), AddressKey("2001:db8:1:3::1"));
  EXPECT_NE(AddressKey("192.0.2.1"), AddressKey("192.0.2.2"));
  // A dual-stack socket's IPv4 client is that IPv4 address, not ::ffff:0/64
  // shared by every IPv4 client.
  EXPECT_EQ(AddressKey("::ffff:192.0.2.1"), AddressKey("192.0.2.1"));
  EXPECT_NE(AddressKey("::ffff:192.0.2.1"), AddressKey("::ffff:192.0.2.2"));
}

}  // namespace
}  // namespace tokend::server
