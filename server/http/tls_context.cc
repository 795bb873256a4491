#include "server/http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokend::http {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// libssl's reason for the last failure (never key material), and a clean
// error queue for whoever uses libssl next on this thread.
absl::Status TlsError(absl::string_view what) {
  const unsigned long code = ERR_peek_last_error();
  std::string reason;
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    reason = absl::StrCat(": ", buffer);
  }
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("TLS: ", what, reason));
}

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate in `pem`, in order. Reading stops at the first block
// that is not a certificate; the "no start line" error that ends the loop is
// expected, so it is cleared.
std::vector<X509Ptr> ReadCertificates(const std::string& pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio = MemoryBio(pem);
  if (!bio) return certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();
  return certs;
}

// ALPN protocol lists in wire form (length-prefixed).
constexpr unsigned char kHttp11[] = "\x08http/1.1";
constexpr unsigned char kH2[] = "\x02h2";

// Picks the server's protocol (`arg`: kHttp11 or kH2) when the client offers
// it; without ALPN, or when only others are offered, the handshake proceeds
// without a protocol (clients then speak HTTP/1.1, or fail the HTTP/2
// preface).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len,
               const unsigned char* in, unsigned int in_len, void* arg) {
  const auto* protocol = static_cast<const unsigned char*>(arg);
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, protocol, protocol[0] + 1u, in,
                            in_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

absl::StatusOr<SslCtxPtr> NewServerTlsContext(const TlsServerConfig& config) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return TlsError("SSL_CTX_new");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return TlsError("setting TLS 1.2 as the minimum");
  }
  // TLS 1.2: forward-secret AEAD suites only, gRPC's own default list (the
  // gRPC port offers these), so neither port offers CBC or SHA-1 MACs.
  // TLS 1.3's suites are all AEAD and stay as they are.
  if (SSL_CTX_set_cipher_list(ctx.get(),
                              "ECDHE-ECDSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:"
                              "ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-RSA-AES256-GCM-SHA384") != 1) {
    return TlsError("setting the TLS 1.2 cipher suites");
  }
  // No renegotiation (a DoS lever), no compression (CRIME).
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION |
                                     SSL_OP_NO_COMPRESSION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE);

  std::vector<X509Ptr> chain = ReadCertificates(config.cert_pem);
  if (chain.empty()) return TlsError("tls_cert_pem holds no certificate");
  if (SSL_CTX_use_certificate(ctx.get(), chain.front().get()) != 1) {
    return TlsError("tls_cert_pem: unusable certificate");
  }
  for (size_t i = 1; i < chain.size(); ++i) {
    // add1 takes its own reference, so `chain` can free ours.
    if (SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) != 1) {
      return TlsError("tls_cert_pem: unusable intermediate certificate");
    }
  }

  BioPtr key_bio = MemoryBio(config.key_pem);
  PkeyPtr key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr,
                                                nullptr)
                      : nullptr);
  if (!key) return TlsError("tls_key_pem holds no private key");
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return TlsError("tls_key_pem does not match tls_cert_pem");
  }

  if (!config.client_ca_pem.empty()) {
    std::vector<X509Ptr> cas = ReadCertificates(config.client_ca_pem);
    if (cas.empty()) return TlsError("tls_client_ca_pem holds no certificate");
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    for (const X509Ptr& ca : cas) {
      // Trusted for verification, and named in the CertificateRequest so
      // clients with several certificates pick the right one.
      if (X509_STORE_add_cert(store, ca.get()) != 1 ||
          SSL_CTX_add_client_CA(ctx.get(), ca.get()) != 1) {
        return TlsError("tls_client_ca_pem: unusable certificate");
      }
    }
    // Without a session id context OpenSSL refuses to resume sessions of
    // verified clients and fails the handshake instead.
    static const unsigned char kSessionContext[] = "tokend-http";
    if (SSL_CTX_set_session_id_context(ctx.get(), kSessionContext,
                                       sizeof(kSessionContext) - 1) != 1) {
      return TlsError("setting the session id context");
    }
    SSL_CTX_set_verify(
        ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }

  SSL_CTX_set_alpn_select_cb(
      ctx.get(), SelectAlpn,
      const_cast<unsigned char*>(config.h2 ? kH2 : kHttp11));
  return ctx;
}

}  // namespace tokend::http
