// The JWS algorithms tokend signs and verifies (RFC 7518 §3, RFC 8037).
//
// "none" is not an Algorithm and AlgorithmFromName never produces one; names
// are matched case-sensitively, as RFC 7515 §4.1.1 requires.
#ifndef TOKEND_CORE_JOSE_ALGORITHM_H_
#define TOKEND_CORE_JOSE_ALGORITHM_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::jose {

enum class Algorithm {
  kHs256,
  kHs384,
  kHs512,
  kRs256,
  kRs384,
  kRs512,
  kPs256,
  kPs384,
  kPs512,
  kEs256,
  kEs384,
  kEs512,
  kEdDsa,
};

// Every Algorithm, in declaration order; for tests and tools.
inline constexpr Algorithm kAllAlgorithms[] = {
    Algorithm::kHs256, Algorithm::kHs384, Algorithm::kHs512, Algorithm::kRs256,
    Algorithm::kRs384, Algorithm::kRs512, Algorithm::kPs256, Algorithm::kPs384,
    Algorithm::kPs512, Algorithm::kEs256, Algorithm::kEs384, Algorithm::kEs512,
    Algorithm::kEdDsa,
};

// "HS256", ..., "EdDSA".
absl::string_view AlgorithmName(Algorithm alg);

// InvalidArgument for "none" and every unknown name.
absl::StatusOr<Algorithm> AlgorithmFromName(absl::string_view name);

bool IsHmac(Algorithm alg);
// RSASSA-PKCS1-v1_5 or RSASSA-PSS.
bool IsRsa(Algorithm alg);
bool IsRsaPss(Algorithm alg);
bool IsEc(Algorithm alg);
bool IsEdDsa(Algorithm alg);

// The JWK "kty" a key for `alg` has: "oct", "RSA", "EC" or "OKP".
absl::string_view KeyTypeName(Algorithm alg);

// ES256 -> "P-256", ES384 -> "P-384", ES512 -> "P-521", EdDSA -> "Ed25519";
// empty for the others.
absl::string_view CurveName(Algorithm alg);

// Output size in bytes of the hash the algorithm uses (32, 48 or 64); for
// EdDSA, 64 (SHA-512 inside Ed25519).
size_t HashLength(Algorithm alg);

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_ALGORITHM_H_
