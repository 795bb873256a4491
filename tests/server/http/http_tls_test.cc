// HttpServer over TLS and mTLS, with certificates from a throwaway test CA.
#include <openssl/ssl.h>
#include <stdlib.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/http/http_server.h"
#include "tests/server/http/test_client.h"
#include "tests/server/http/test_server.h"
#include "tests/testing/test_pki.h"

namespace tokend::http::testing {
namespace {

using ::tokend::testing::CertAndKey;
using ::tokend::testing::CertRequest;
using ::tokend::testing::TestCa;

CertRequest ClientRequest(const std::string& name) {
  CertRequest request;
  request.common_name = name;
  request.client = true;
  return request;
}

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = TestCa::Create("http test CA");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<TestCa>(std::move(*ca));
    CertRequest server_request;
    server_request.common_name = "tokend";
    server_request.dns = {"localhost"};
    server_request.ips = {"127.0.0.1"};
    server_request.server = true;
    auto server_cert = ca_->Issue(server_request);
    ASSERT_TRUE(server_cert.ok()) << server_cert.status();
    server_cert_ = *server_cert;
    auto client_cert = ca_->Issue(ClientRequest("client"));
    ASSERT_TRUE(client_cert.ok()) << client_cert.status();
    client_cert_ = *client_cert;
  }

  HttpServerOptions TlsOptions(bool mtls) const {
    HttpServerOptions options;
    options.tls_cert_pem = server_cert_.cert_pem;
    options.tls_key_pem = server_cert_.key_pem;
    if (mtls) options.tls_client_ca_pem = ca_->cert_pem();
    return options;
  }

  TlsClientOptions ClientOptions(bool with_cert) const {
    TlsClientOptions options;
    options.ca_pem = ca_->cert_pem();
    if (with_cert) {
      options.cert_pem = client_cert_.cert_pem;
      options.key_pem = client_cert_.key_pem;
    }
    return options;
  }

  // One GET over a fresh TLS connection.
  absl::StatusOr<ParsedResponse> TlsGet(int port,
                                        const TlsClientOptions& options) {
    auto connection = TestConnection::ConnectTls(port, options);
    if (!connection.ok()) return connection.status();
    if (absl::Status sent = (*connection)->Send(Get("/")); !sent.ok()) {
      return sent;
    }
    return (*connection)->ReadResponse();
  }

  std::unique_ptr<TestCa> ca_;
  CertAndKey server_cert_;
  CertAndKey client_cert_;
};

TEST_F(HttpTlsTest, ServesHttpsWithKeepAlive) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(false), &handler);
  auto connection =
      TestConnection::ConnectTls(server->port(), ClientOptions(false));
  ASSERT_TRUE(connection.ok()) << connection.status();
  for (const char* body : {"one", "two"}) {
    ASSERT_TRUE((*connection)->Send(Post("/tls", body)).ok());
    auto response = (*connection)->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body);
  }
  auto requests = handler.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].tls);
  EXPECT_EQ(requests[0].peer, requests[1].peer);
}

TEST_F(HttpTlsTest, ServerErrorsAndCloseWorkOverTls) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(false), &handler);
  auto connection =
      TestConnection::ConnectTls(server->port(), ClientOptions(false));
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_TRUE((*connection)->Send("GET / HTTP/1.1\r\n\r\n").ok());  // No Host.
  ExpectServerError((*connection)->ReadResponse(), 400, 3);
  EXPECT_TRUE((*connection)->ExpectClosed().ok());
}

// A client still sending a body the server refused gets the refusal, not
// a reset: after close_notify the server reads and drops what arrives
// (lingering), as it does over plain TCP.
TEST_F(HttpTlsTest, ARefusedUploadStillGetsItsAnswer) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(false), &handler);
  auto connection =
      TestConnection::ConnectTls(server->port(), ClientOptions(false));
  ASSERT_TRUE(connection.ok()) << connection.status();
  // Over the 64 KiB body limit: refused from its Content-Length, while the
  // client goes on sending its body, also after the server has answered
  // and said close_notify.
  ASSERT_TRUE((*connection)
                  ->Send(absl::StrCat("POST /upload HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Length: 200000\r\n\r\n",
                                      std::string(10 * 1024, 'b')))
                  .ok());
  absl::SleepFor(absl::Milliseconds(200));  // the server has answered
  for (int i = 0; i < 4; ++i) {
    // Without lingering these meet a closed socket (and may fail); the
    // answer is what matters.
    (void)(*connection)->Send(std::string(16 * 1024, 'b'));
  }
  absl::SleepFor(absl::Milliseconds(200));
  ExpectServerError((*connection)->ReadResponse(), 413, 3);
}

TEST_F(HttpTlsTest, PlaintextClientGetsNoHttpResponse) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(false), &handler);
  auto connection = ConnectOrDie(server->port());
  ASSERT_TRUE(connection->Send(Get("/")).ok());
  auto rest = connection->ReadUntilClose();
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_FALSE(absl::StartsWith(*rest, "HTTP/")) << *rest;
  EXPECT_TRUE(handler.requests().empty());
}

TEST_F(HttpTlsTest, SilentClientIsDroppedAfterTheReadTimeout) {
  // A TCP connection that never starts its handshake must not hold a slot.
  EchoHandler handler;
  HttpServerOptions options = TlsOptions(false);
  options.read_timeout = absl::Milliseconds(300);
  auto server = StartServer(options, &handler);
  // Before connecting: the handshake deadline starts at accept.
  const absl::Time start = absl::Now();
  auto connection = ConnectOrDie(server->port());
  EXPECT_TRUE(connection->ExpectClosed().ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(HttpTlsTest, RefusesTlsBelow12) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(false), &handler);
  TlsClientOptions old = ClientOptions(false);
  old.max_version = TLS1_1_VERSION;
  auto response = TlsGet(server->port(), old);
  ASSERT_FALSE(response.ok());
  if (absl::StrContains(response.status().message(), "no protocols")) {
    GTEST_SKIP() << "this libssl cannot offer TLS 1.1: " << response.status();
  }
  EXPECT_TRUE(absl::StrContains(response.status().message(), "protocol"))
      << response.status();
  EXPECT_TRUE(handler.requests().empty());
}

// The suites the gRPC port offers, and nothing weaker: a TLS 1.2 client
// offering only CBC with SHA-1 MACs gets no handshake; one offering an
// ECDHE AEAD suite does.
TEST_F(HttpTlsTest, Tls12OffersForwardSecretAeadSuitesOnly) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(false), &handler);
  TlsClientOptions cbc = ClientOptions(false);
  cbc.max_version = TLS1_2_VERSION;
  cbc.cipher_list =
      "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA";
  EXPECT_FALSE(TlsGet(server->port(), cbc).ok());
  TlsClientOptions aead = ClientOptions(false);
  aead.max_version = TLS1_2_VERSION;
  aead.cipher_list =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
  auto response = TlsGet(server->port(), aead);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(handler.requests().size(), 1u);
}

TEST_F(HttpTlsTest, MutualTlsRequiresATrustedClientCertificate) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(true), &handler);

  auto with_cert = TlsGet(server->port(), ClientOptions(true));
  ASSERT_TRUE(with_cert.ok()) << with_cert.status();
  EXPECT_EQ(with_cert->status, 200);

  // Without a certificate: the handshake fails (TLS 1.2) or the server
  // aborts right after it (TLS 1.3); either way no HTTP response.
  auto without_cert = TlsGet(server->port(), ClientOptions(false));
  EXPECT_FALSE(without_cert.ok());

  // A certificate from a CA the server does not trust.
  auto other_ca = TestCa::Create("someone else's CA");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  auto stranger = other_ca->Issue(ClientRequest("stranger"));
  ASSERT_TRUE(stranger.ok()) << stranger.status();
  TlsClientOptions stranger_options = ClientOptions(false);
  stranger_options.cert_pem = stranger->cert_pem;
  stranger_options.key_pem = stranger->key_pem;
  EXPECT_FALSE(TlsGet(server->port(), stranger_options).ok());

  EXPECT_EQ(handler.requests().size(), 1u);
}

TEST_F(HttpTlsTest, CurlSpeaksHttp11OverTls) {
  EchoHandler handler;
  auto server = StartServer(TlsOptions(true), &handler);
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const std::string ca = dir + "/ca.pem", cert = dir + "/client.pem",
                    key = dir + "/client.key";
  ASSERT_TRUE(tokend::testing::WriteTestFile(ca, ca_->cert_pem()).ok());
  ASSERT_TRUE(tokend::testing::WriteTestFile(cert, client_cert_.cert_pem).ok());
  ASSERT_TRUE(tokend::testing::WriteTestFile(key, client_cert_.key_pem).ok());
  // curl offers h2 and http/1.1 by ALPN; the server must pick http/1.1.
  auto out = RunCurl(absl::StrCat(
      "-w '%{http_version} %{http_code}' ", "--cacert ", ca, " --cert ", cert,
      " --key ", key, " -o /dev/null https://127.0.0.1:", server->port(),
      "/curl"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "1.1 200");
  // And without its certificate curl fails.
  EXPECT_FALSE(RunCurl(absl::StrCat("--cacert ", ca,
                                    " https://127.0.0.1:", server->port(), "/"))
                   .ok());
}

}  // namespace
}  // namespace tokend::http::testing
