#include "server/http/listen_address.h"

#include "gtest/gtest.h"

namespace tokend::http {
namespace {

TEST(ListenAddressTest, ParsesHostAndPort) {
  auto v4 = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);

  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);

  auto name = ParseListenAddress("localhost:65535");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 65535);
}

TEST(ListenAddressTest, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "8080", ":8080", "host:", "host:65536", "host:-1", "host:+80",
        "host:80x", "host:0x50", "::1:80", "[::1]", "[::1]80", "[::1:80",
        "[]:80", "host:123456"}) {
    auto parsed = ParseListenAddress(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << bad;
  }
}

}  // namespace
}  // namespace tokend::http
