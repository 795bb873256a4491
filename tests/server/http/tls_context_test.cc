#include "server/http/tls_context.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace tokend::http {
namespace {

using ::tokend::testing::CertAndKey;
using ::tokend::testing::CertRequest;
using ::tokend::testing::TestCa;

CertAndKey Issue(TestCa& ca, const std::string& name) {
  CertRequest request;
  request.common_name = name;
  request.server = true;
  auto issued = ca.Issue(request);
  EXPECT_TRUE(issued.ok()) << issued.status();
  return issued.ok() ? *issued : CertAndKey{};
}

TEST(TlsContextTest, BuildsFromMatchingPems) {
  auto ca = TestCa::Create("ca");
  ASSERT_TRUE(ca.ok());
  CertAndKey leaf = Issue(*ca, "server");
  // The leaf followed by its CA as a chain, and a client CA.
  auto ctx = NewServerTlsContext(
      {leaf.cert_pem + ca->cert_pem(), leaf.key_pem, ca->cert_pem()});
  ASSERT_TRUE(ctx.ok()) << ctx.status();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->get()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx->get()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);

  auto no_mtls = NewServerTlsContext({leaf.cert_pem, leaf.key_pem, ""});
  ASSERT_TRUE(no_mtls.ok()) << no_mtls.status();
  EXPECT_EQ(SSL_CTX_get_verify_mode(no_mtls->get()), SSL_VERIFY_NONE);
}

TEST(TlsContextTest, NamesTheFieldThatIsWrongWithoutEchoingIt) {
  auto ca = TestCa::Create("ca");
  ASSERT_TRUE(ca.ok());
  CertAndKey leaf = Issue(*ca, "server");
  CertAndKey other = Issue(*ca, "other");

  auto bad_cert = NewServerTlsContext({"garbage", leaf.key_pem, ""});
  EXPECT_TRUE(absl::IsInvalidArgument(bad_cert.status()));
  EXPECT_TRUE(absl::StrContains(bad_cert.status().message(), "tls_cert_pem"));

  auto bad_key = NewServerTlsContext({leaf.cert_pem, "garbage", ""});
  EXPECT_TRUE(absl::IsInvalidArgument(bad_key.status()));
  EXPECT_TRUE(absl::StrContains(bad_key.status().message(), "tls_key_pem"));

  auto mismatch = NewServerTlsContext({leaf.cert_pem, other.key_pem, ""});
  EXPECT_TRUE(absl::IsInvalidArgument(mismatch.status()));
  EXPECT_TRUE(absl::StrContains(mismatch.status().message(), "does not match"));
  EXPECT_FALSE(absl::StrContains(mismatch.status().message(), "PRIVATE KEY"));

  auto bad_ca = NewServerTlsContext({leaf.cert_pem, leaf.key_pem, "garbage"});
  EXPECT_TRUE(absl::IsInvalidArgument(bad_ca.status()));
  EXPECT_TRUE(
      absl::StrContains(bad_ca.status().message(), "tls_client_ca_pem"));
}

}  // namespace
}  // namespace tokend::http
