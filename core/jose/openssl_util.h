// Internal to core/jose: RAII owners and small helpers over the libcrypto API
// subset shared by OpenSSL 3 and BoringSSL (TOOLCHAIN.md). Nothing here
// reports key material; errors are Internal and the libcrypto error queue is
// cleared so failures do not leak into unrelated callers on this thread.
#ifndef TOKEND_CORE_JOSE_OPENSSL_UTIL_H_
#define TOKEND_CORE_JOSE_OPENSSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#if defined(OPENSSL_IS_BORINGSSL)
#include <openssl/ec_key.h>
#endif

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/jose/algorithm.h"

namespace tokend::jose::internal {

template <typename T, void (*kFree)(T*)>
struct Deleter {
  void operator()(T* p) const { kFree(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using EvpPkeyCtxPtr =
    std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr =
    std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX, BN_CTX_free>>;
using RsaPtr = std::unique_ptr<RSA, Deleter<RSA, RSA_free>>;
using EcKeyPtr = std::unique_ptr<EC_KEY, Deleter<EC_KEY, EC_KEY_free>>;
using EcPointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using EcdsaSigPtr =
    std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

// Clears the thread's libcrypto error queue and returns Internal("<what>").
absl::Status CryptoError(absl::string_view what);

// SHA-256/384/512 as the algorithm requires (EdDSA: SHA-512, unused).
const EVP_MD* HashFor(Algorithm alg);

// NID of the curve for ES256/384/512; NID_undef otherwise.
int CurveNidFor(Algorithm alg);

// Bytes per coordinate / scalar for ES256/384/512: 32, 48, 66.
size_t EcFieldBytes(Algorithm alg);

// Big-endian bytes of `bn`, without leading zeros ("0" encodes as one zero
// byte, as RFC 7518 §6.3.1.2 wants for e.g. exponents).
std::string BnToBytes(const BIGNUM* bn);

// Big-endian bytes of `bn`, left-padded to exactly `len`.
absl::StatusOr<std::string> BnToPaddedBytes(const BIGNUM* bn, size_t len);

BnPtr BytesToBn(absl::string_view bytes);

// Secret bytes that are wiped when dropped.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();
  const std::string& get() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace tokend::jose::internal

#endif  // TOKEND_CORE_JOSE_OPENSSL_UTIL_H_
