// TestCa: a throwaway certificate authority for TLS tests, built in memory
// with libcrypto (no openssl CLI needed). ECDSA P-256 keys, SHA-256
// signatures, valid from an hour ago for a day.
//
//   auto ca = TestCa::Create("test CA");
//   auto server = ca->Issue({.common_name = "tokend", .dns = {"localhost"},
//                            .ips = {"127.0.0.1"}, .server = true});
#ifndef TOKEND_TESTS_TESTING_TEST_PKI_H_
#define TOKEND_TESTS_TESTING_TEST_PKI_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tokend::testing {

// A certificate and its private key, both PEM.
struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

struct CertRequest {
  std::string common_name;
  std::vector<std::string> dns;  // subjectAltName DNS entries.
  std::vector<std::string> ips;  // subjectAltName IP entries.
  bool server = false;           // extendedKeyUsage serverAuth.
  bool client = false;           // extendedKeyUsage clientAuth.
};

class TestCa {
 public:
  static absl::StatusOr<TestCa> Create(const std::string& common_name);

  TestCa(TestCa&&) noexcept;
  TestCa& operator=(TestCa&&) noexcept;
  ~TestCa();

  // The self-signed CA certificate (what a peer trusts).
  const std::string& cert_pem() const { return ca_.cert_pem; }

  // A leaf certificate signed by this CA.
  absl::StatusOr<CertAndKey> Issue(const CertRequest& request);

 private:
  struct Impl;
  TestCa(std::unique_ptr<Impl> impl, CertAndKey ca);
  std::unique_ptr<Impl> impl_;
  CertAndKey ca_;
};

// Writes `content` to `path` (mode 0600).
absl::Status WriteTestFile(const std::string& path, const std::string& content);

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_TESTING_TEST_PKI_H_
