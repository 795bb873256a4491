// TLS and mTLS on the real tokend binary, with a throwaway CA made at test
// time (tests/testing/test_pki.h): who can and cannot connect, and which
// configurations tokend refuses to start with (DESIGN.md §2.5a, §7).
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/tokend_process.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"

namespace tokend {
namespace {

using ::testing::HasSubstr;
using ::tokend::keys::v1::KeyringService;
using ::tokend::testing::CertAndKey;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TestCa;
using ::tokend::testing::TokendProcess;

// Files of the test PKI, made once per test binary.
struct Pki {
  std::string dir;
  std::string ca_pem;        // The CA tokend's certificates chain to.
  std::string other_ca_pem;  // An unrelated CA.
  CertAndKey client;         // Client certificate from the CA.
  CertAndKey stranger;       // Client certificate from the other CA.
  std::string ca_file, other_ca_file, server_cert_file, server_key_file;
};

const Pki& TestPki() {
  static const Pki* pki = [] {
    auto* p = new Pki;
    p->dir = MakeTempDir("pki");
    absl::StatusOr<TestCa> ca = TestCa::Create("tokend test CA");
    absl::StatusOr<TestCa> other = TestCa::Create("some other CA");
    EXPECT_TRUE(ca.ok()) << ca.status();
    EXPECT_TRUE(other.ok()) << other.status();
    testing::CertRequest server_request;
    server_request.common_name = "tokend";
    server_request.dns = {"localhost"};
    server_request.ips = {"127.0.0.1"};
    server_request.server = true;
    absl::StatusOr<CertAndKey> server = ca->Issue(server_request);
    EXPECT_TRUE(server.ok()) << server.status();
    testing::CertRequest client_request;
    client_request.common_name = "tokenctl";
    client_request.client = true;
    absl::StatusOr<CertAndKey> client = ca->Issue(client_request);
    EXPECT_TRUE(client.ok()) << client.status();
    absl::StatusOr<CertAndKey> stranger = other->Issue(client_request);
    EXPECT_TRUE(stranger.ok()) << stranger.status();
    p->ca_pem = ca->cert_pem();
    p->other_ca_pem = other->cert_pem();
    p->client = *client;
    p->stranger = *stranger;
    p->ca_file = p->dir + "/ca.pem";
    p->other_ca_file = p->dir + "/other_ca.pem";
    p->server_cert_file = p->dir + "/server.pem";
    p->server_key_file = p->dir + "/server.key";
    for (const auto& [path, content] :
         std::vector<std::pair<std::string, std::string>>{
             {p->ca_file, p->ca_pem},
             {p->other_ca_file, p->other_ca_pem},
             {p->server_cert_file, server->cert_pem},
             {p->server_key_file, server->key_pem}}) {
      absl::Status written = testing::WriteTestFile(path, content);
      EXPECT_TRUE(written.ok()) << written;
    }
    return p;
  }();
  return *pki;
}

std::vector<std::string> TlsFlags() {
  return {"--tls_cert=" + TestPki().server_cert_file,
          "--tls_key=" + TestPki().server_key_file};
}

struct ClientTls {
  std::string roots;                 // Trusted CA bundle.
  const CertAndKey* cert = nullptr;  // Client certificate, if any.
  std::string target_name;  // Overrides the name checked against the SANs.
};

ClientTls Trusting(const std::string& roots) {
  ClientTls tls;
  tls.roots = roots;
  return tls;
}

ClientTls WithCert(ClientTls tls, const CertAndKey& cert) {
  tls.cert = &cert;
  return tls;
}

ClientTls ExpectingName(ClientTls tls, const std::string& name) {
  tls.target_name = name;
  return tls;
}

grpc::ChannelArguments Args() {
  grpc::ChannelArguments args;
  // Every channel gets its own connection: no reuse across test cases.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                          const ClientTls& tls) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.roots;
  if (tls.cert != nullptr) {
    ssl.pem_cert_chain = tls.cert->cert_pem;
    ssl.pem_private_key = tls.cert->key_pem;
  }
  grpc::ChannelArguments args = Args();
  if (!tls.target_name.empty()) {
    args.SetSslTargetNameOverride(tls.target_name);
  }
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

std::shared_ptr<grpc::Channel> PlaintextChannel(const std::string& address) {
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   Args());
}

grpc::Status GetJwks(const std::shared_ptr<grpc::Channel>& channel,
                     keys::v1::Jwks* jwks) {
  auto stub = KeyringService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(15));
  return stub->GetJwks(&context, {}, jwks);
}

// The call must fail at the transport, before reaching any handler.
void ExpectRefused(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& what) {
  keys::v1::Jwks jwks;
  grpc::Status status = GetJwks(channel, &jwks);
  EXPECT_FALSE(status.ok()) << what << ": got " << jwks.keys_size() << " keys";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << what << ": " << status.error_message();
  EXPECT_EQ(jwks.keys_size(), 0) << what;
}

void ExpectJwks(const std::shared_ptr<grpc::Channel>& channel,
                const std::string& what) {
  keys::v1::Jwks jwks;
  grpc::Status status = GetJwks(channel, &jwks);
  ASSERT_TRUE(status.ok()) << what << ": " << status.error_code() << " "
                           << status.error_message();
  // One key per default slot (DESIGN.md §3), each with a kid.
  EXPECT_EQ(jwks.keys_size(), 3) << what;
  for (const auto& key : jwks.keys()) EXPECT_FALSE(key.kid().empty()) << what;
}

TEST(TlsIntegration, TlsServesClientsThatTrustTheCaOnly) {
  auto p = TokendProcess::Start(MakeTempDir("tls"), TlsFlags());
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string addr = p->grpc_address();
  const Pki& pki = TestPki();

  // The certificate names 127.0.0.1 (IP SAN) and localhost (DNS SAN).
  ExpectJwks(TlsChannel(addr, Trusting(pki.ca_pem)), "TLS, IP SAN");
  ExpectJwks(TlsChannel(addr, ExpectingName(Trusting(pki.ca_pem), "localhost")),
             "TLS, DNS SAN");
  // Health is served over the same TLS port.
  {
    auto health = grpc::health::v1::Health::NewStub(
        TlsChannel(addr, Trusting(pki.ca_pem)));
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, {}, &response).ok());
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }
  // A client certificate is harmless when none is asked for.
  ExpectJwks(TlsChannel(addr, WithCert(Trusting(pki.ca_pem), pki.client)),
             "TLS with an unrequested client certificate");

  ExpectRefused(PlaintextChannel(addr), "plaintext client");
  ExpectRefused(TlsChannel(addr, Trusting(pki.other_ca_pem)),
                "client trusting another CA");
  ExpectRefused(
      TlsChannel(addr, ExpectingName(Trusting(pki.ca_pem), "tokend.example")),
      "name not in the certificate");

  EXPECT_EQ(p->Stop(), 0);
}

TEST(TlsIntegration, MutualTlsRequiresAClientCertificateFromTheCa) {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back("--tls_client_ca=" + TestPki().ca_file);
  auto p = TokendProcess::Start(MakeTempDir("mtls"), flags);
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string addr = p->grpc_address();
  const Pki& pki = TestPki();

  ExpectRefused(TlsChannel(addr, Trusting(pki.ca_pem)),
                "TLS client without a certificate");
  ExpectRefused(TlsChannel(addr, WithCert(Trusting(pki.ca_pem), pki.stranger)),
                "client certificate from another CA");
  ExpectRefused(PlaintextChannel(addr), "plaintext client");
  ExpectJwks(TlsChannel(addr, WithCert(Trusting(pki.ca_pem), pki.client)),
             "client certificate from the CA");
  // Refusals are per connection: the good client keeps working after them.
  ExpectRefused(TlsChannel(addr, Trusting(pki.ca_pem)),
                "TLS client without a certificate, again");
  ExpectJwks(TlsChannel(addr, WithCert(Trusting(pki.ca_pem), pki.client)),
             "client certificate from the CA, again");

  EXPECT_EQ(p->Stop(), 0);
}

TEST(TlsIntegration, TlsAllowsNonLoopbackAddresses) {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back("--grpc_listen=0.0.0.0:0");
  auto p = TokendProcess::Start(MakeTempDir("tls-any"), flags);
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string& bound = p->grpc_address();
  const std::string port = bound.substr(bound.rfind(':') + 1);
  ASSERT_NE(port, "0") << bound;
  ExpectJwks(TlsChannel("127.0.0.1:" + port, Trusting(TestPki().ca_pem)),
             "TLS on 0.0.0.0");
  ExpectRefused(PlaintextChannel("127.0.0.1:" + port), "plaintext on 0.0.0.0");
  EXPECT_EQ(p->Stop(), 0);
}

// tokend must exit non-zero, without ever becoming ready, and say why by
// naming `flag`.
void ExpectRefusesToStart(const std::vector<std::string>& flags,
                          const std::string& flag) {
  const std::string what = absl::StrJoin(flags, " ");
  auto exited = TokendProcess::RunUntilExit(MakeTempDir("refused"), flags);
  ASSERT_TRUE(exited.ok()) << what << ": " << exited.status();
  EXPECT_NE(exited->exit_code, 0) << what << "\n" << exited->log;
  EXPECT_FALSE(exited->ready) << what;
  EXPECT_THAT(exited->log, HasSubstr(flag)) << what;
}

TEST(TlsIntegration, RefusesPlaintextOnNonLoopbackAddresses) {
  ExpectRefusesToStart({"--grpc_listen=0.0.0.0:0"}, "--tls_cert");
  ExpectRefusesToStart({"--grpc_listen=[::]:0"}, "--tls_cert");
  // The REST side follows the same rule (the message names its address).
  ExpectRefusesToStart({"--http_listen=0.0.0.0:0"}, "0.0.0.0:0");
  ExpectRefusesToStart({"--http_listen=[::]:0"}, "--tls_cert");
}

TEST(TlsIntegration, RefusesHalfATlsConfiguration) {
  const Pki& pki = TestPki();
  ExpectRefusesToStart({"--tls_cert=" + pki.server_cert_file}, "--tls_key");
  ExpectRefusesToStart({"--tls_key=" + pki.server_key_file}, "--tls_cert");
  ExpectRefusesToStart({"--tls_client_ca=" + pki.ca_file}, "--tls_cert");
}

// As the master and admin keys are: a private key others can read is a
// leaked key.
TEST(TlsIntegration, RefusesAPrivateKeyOthersCanRead) {
  const Pki& pki = TestPki();
  const std::string key = pki.dir + "/world-readable.key";
  std::string pem;
  {
    std::ifstream in(pki.server_key_file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    pem = buffer.str();
  }
  ASSERT_TRUE(testing::WriteTestFile(key, pem).ok());
  ASSERT_EQ(chmod(key.c_str(), 0644), 0);
  ExpectRefusesToStart(
      {"--tls_cert=" + pki.server_cert_file, "--tls_key=" + key}, "chmod 600");
}

TEST(TlsIntegration, RefusesUnreadableCertificateFiles) {
  const std::string missing = TestPki().dir + "/no-such-cert.pem";
  ExpectRefusesToStart(
      {"--tls_cert=" + missing, "--tls_key=" + TestPki().server_key_file},
      missing);
}

}  // namespace
}  // namespace tokend
