#include "core/jose/openssl_util.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace tokend::jose::internal {

absl::Status CryptoError(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("crypto: ", what));
}

const EVP_MD* HashFor(Algorithm alg) {
  switch (HashLength(alg)) {
    case 32:
      return EVP_sha256();
    case 48:
      return EVP_sha384();
    default:
      return EVP_sha512();
  }
}

int CurveNidFor(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256:
      return NID_X9_62_prime256v1;
    case Algorithm::kEs384:
      return NID_secp384r1;
    case Algorithm::kEs512:
      return NID_secp521r1;
    default:
      return NID_undef;
  }
}

size_t EcFieldBytes(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256:
      return 32;
    case Algorithm::kEs384:
      return 48;
    case Algorithm::kEs512:
      return 66;
    default:
      return 0;
  }
}

std::string BnToBytes(const BIGNUM* bn) {
  const int n = BN_num_bytes(bn);
  if (n == 0) return std::string(1, '\0');
  std::string out(static_cast<size_t>(n), '\0');
  BN_bn2bin(bn, reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

absl::StatusOr<std::string> BnToPaddedBytes(const BIGNUM* bn, size_t len) {
  std::string out(len, '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<uint8_t*>(out.data()),
                   static_cast<int>(len)) != static_cast<int>(len)) {
    return CryptoError("number too large for its field");
  }
  return out;
}

BnPtr BytesToBn(absl::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const uint8_t*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

SecretBytes::~SecretBytes() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

}  // namespace tokend::jose::internal
