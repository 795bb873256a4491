#include "tests/testing/test_pki.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tokend::testing {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

absl::Status CryptoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("test PKI: ", what, " failed"));
}

PkeyPtr NewP256Key() {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? n : 0);
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return CryptoError("PEM_write_bio_X509");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                       nullptr, nullptr) != 1) {
    return CryptoError("PEM_write_bio_PrivateKey");
  }
  return BioContents(bio.get());
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid,
                          const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return CryptoError(absl::StrCat("extension ", value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? absl::OkStatus() : CryptoError("X509_add_ext");
}

// A certificate for `key` named `common_name`, not yet signed. `issuer` is
// null for a self-signed one.
absl::StatusOr<X509Ptr> NewCert(EVP_PKEY* key, const std::string& common_name,
                                X509* issuer, long serial) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 ||
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return CryptoError("X509 setup");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
          0) != 1) {
    return CryptoError("subject name");
  }
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) !=
      1) {
    return CryptoError("issuer name");
  }
  return cert;
}

}  // namespace

struct TestCa::Impl {
  PkeyPtr key;
  X509Ptr cert;
  long next_serial = 2;
};

TestCa::TestCa(std::unique_ptr<Impl> impl, CertAndKey ca)
    : impl_(std::move(impl)), ca_(std::move(ca)) {}
TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;
TestCa::~TestCa() = default;

absl::StatusOr<TestCa> TestCa::Create(const std::string& common_name) {
  auto impl = std::make_unique<Impl>();
  impl->key = NewP256Key();
  if (!impl->key) return CryptoError("EC key generation");
  absl::StatusOr<X509Ptr> cert =
      NewCert(impl->key.get(), common_name, nullptr, 1);
  if (!cert.ok()) return cert.status();
  impl->cert = *std::move(cert);
  X509* x = impl->cert.get();
  for (auto [nid, value] :
       {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
        std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
        std::pair{NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExtension(x, x, nid, value); !s.ok()) return s;
  }
  if (X509_sign(x, impl->key.get(), EVP_sha256()) <= 0) {
    return CryptoError("X509_sign");
  }
  CertAndKey pem;
  absl::StatusOr<std::string> cert_pem = CertPem(x);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = KeyPem(impl->key.get());
  if (!key_pem.ok()) return key_pem.status();
  pem.cert_pem = *std::move(cert_pem);
  pem.key_pem = *std::move(key_pem);
  return TestCa(std::move(impl), std::move(pem));
}

absl::StatusOr<CertAndKey> TestCa::Issue(const CertRequest& request) {
  PkeyPtr key = NewP256Key();
  if (!key) return CryptoError("EC key generation");
  absl::StatusOr<X509Ptr> cert = NewCert(
      key.get(), request.common_name, impl_->cert.get(), impl_->next_serial++);
  if (!cert.ok()) return cert.status();
  X509* x = cert->get();
  X509* ca = impl_->cert.get();
  std::vector<std::string> san;
  for (const auto& dns : request.dns) san.push_back("DNS:" + dns);
  for (const auto& ip : request.ips) san.push_back("IP:" + ip);
  std::vector<std::string> eku;
  if (request.server) eku.push_back("serverAuth");
  if (request.client) eku.push_back("clientAuth");
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  if (!san.empty()) {
    extensions.push_back({NID_subject_alt_name, absl::StrJoin(san, ",")});
  }
  if (!eku.empty()) {
    extensions.push_back({NID_ext_key_usage, absl::StrJoin(eku, ",")});
  }
  for (const auto& [nid, value] : extensions) {
    if (absl::Status s = AddExtension(x, ca, nid, value); !s.ok()) return s;
  }
  if (X509_sign(x, impl_->key.get(), EVP_sha256()) <= 0) {
    return CryptoError("X509_sign");
  }
  CertAndKey pem;
  absl::StatusOr<std::string> cert_pem = CertPem(x);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = KeyPem(key.get());
  if (!key_pem.ok()) return key_pem.status();
  pem.cert_pem = *std::move(cert_pem);
  pem.key_pem = *std::move(key_pem);
  return pem;
}

absl::Status WriteTestFile(const std::string& path,
                           const std::string& content) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.good()) return absl::InternalError("cannot write " + path);
  }
  if (chmod(path.c_str(), 0600) != 0) {
    return absl::InternalError("cannot chmod " + path);
  }
  return absl::OkStatus();
}

}  // namespace tokend::testing
