#include "core/jose/algorithm.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokend::jose {

absl::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHs256:
      return "HS256";
    case Algorithm::kHs384:
      return "HS384";
    case Algorithm::kHs512:
      return "HS512";
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kRs384:
      return "RS384";
    case Algorithm::kRs512:
      return "RS512";
    case Algorithm::kPs256:
      return "PS256";
    case Algorithm::kPs384:
      return "PS384";
    case Algorithm::kPs512:
      return "PS512";
    case Algorithm::kEs256:
      return "ES256";
    case Algorithm::kEs384:
      return "ES384";
    case Algorithm::kEs512:
      return "ES512";
    case Algorithm::kEdDsa:
      return "EdDSA";
  }
  return "";
}

absl::StatusOr<Algorithm> AlgorithmFromName(absl::string_view name) {
  for (Algorithm alg : kAllAlgorithms) {
    if (AlgorithmName(alg) == name) return alg;
  }
  // Unknown names may be attacker-chosen: do not echo long ones.
  if (name.size() > 16) {
    return absl::InvalidArgumentError("unsupported algorithm");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported algorithm: ", name));
}

bool IsHmac(Algorithm alg) {
  return alg == Algorithm::kHs256 || alg == Algorithm::kHs384 ||
         alg == Algorithm::kHs512;
}

bool IsRsaPss(Algorithm alg) {
  return alg == Algorithm::kPs256 || alg == Algorithm::kPs384 ||
         alg == Algorithm::kPs512;
}

bool IsRsa(Algorithm alg) {
  return alg == Algorithm::kRs256 || alg == Algorithm::kRs384 ||
         alg == Algorithm::kRs512 || IsRsaPss(alg);
}

bool IsEc(Algorithm alg) {
  return alg == Algorithm::kEs256 || alg == Algorithm::kEs384 ||
         alg == Algorithm::kEs512;
}

bool IsEdDsa(Algorithm alg) { return alg == Algorithm::kEdDsa; }

absl::string_view KeyTypeName(Algorithm alg) {
  if (IsHmac(alg)) return "oct";
  if (IsRsa(alg)) return "RSA";
  if (IsEc(alg)) return "EC";
  return "OKP";
}

absl::string_view CurveName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kEs256:
      return "P-256";
    case Algorithm::kEs384:
      return "P-384";
    case Algorithm::kEs512:
      return "P-521";
    case Algorithm::kEdDsa:
      return "Ed25519";
    default:
      return "";
  }
}

size_t HashLength(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHs256:
    case Algorithm::kRs256:
    case Algorithm::kPs256:
    case Algorithm::kEs256:
      return 32;
    case Algorithm::kHs384:
    case Algorithm::kRs384:
    case Algorithm::kPs384:
    case Algorithm::kEs384:
      return 48;
    default:
      return 64;
  }
}

}  // namespace tokend::jose
