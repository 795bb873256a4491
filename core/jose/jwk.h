// Jwk: one signing or verification key, bound to exactly one JWS algorithm.
//
// A Jwk is immutable and cheap to copy (copies share the key material). It is
// created by generating a key, or by importing a JWK (RFC 7517/7518/8037), a
// PEM (PKCS#8 private key or SPKI public key) or an HMAC secret; every import
// checks that the key fits its algorithm:
//   HS256/384/512  oct, secret at least as long as the hash output
//   RS*/PS*        RSA, modulus 2048..8192 bits
//   ES256/384/512  EC P-256 / P-384 / P-521, point on the curve
//   EdDSA          OKP Ed25519 (Ed448 is not supported)
// Keys never leave the process through error messages. A key created without
// a kid gets its RFC 7638 thumbprint as kid.
#ifndef TOKEND_CORE_JOSE_JWK_H_
#define TOKEND_CORE_JOSE_JWK_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/jose/algorithm.h"

// Forward declaration shared by OpenSSL and BoringSSL, so that users of this
// header need no libcrypto headers.
typedef struct evp_pkey_st EVP_PKEY;

namespace tokend::jose {

class Jwk {
 public:
  // A fresh private key: RSA 2048 for RS*/PS*, the algorithm's curve for
  // ES*, Ed25519 for EdDSA, a random secret of the hash length for HS*.
  static absl::StatusOr<Jwk> Generate(Algorithm alg);
  // RS*/PS* only; bits is 2048, 3072 or 4096.
  static absl::StatusOr<Jwk> GenerateRsa(Algorithm alg, int bits);

  // Imports a JWK. Its "alg" member and `alg` must agree when both are
  // present, and at least one must be: a key is never usable with an
  // algorithm chosen later. "use", if present, must be "sig"; "key_ops", if
  // present, may only hold "sign" and "verify". Private members make a
  // private key (RSA needs all of d, p, q, dp, dq, qi; "oth" is refused).
  static absl::StatusOr<Jwk> FromJson(absl::string_view json,
                                      std::optional<Algorithm> alg = {});
  static absl::StatusOr<Jwk> FromJsonObject(const nlohmann::json& jwk,
                                            std::optional<Algorithm> alg = {});

  // PKCS#8 "PRIVATE KEY" or SPKI "PUBLIC KEY" PEM; text before the first
  // "-----BEGIN" (e.g. an explanatory line) is ignored. Encrypted keys and
  // other PEM labels are refused.
  static absl::StatusOr<Jwk> FromPem(absl::string_view pem, Algorithm alg);

  // HS256/384/512 only; the secret must be at least the hash length.
  static absl::StatusOr<Jwk> FromSecret(absl::string_view secret,
                                        Algorithm alg);

  Algorithm algorithm() const { return alg_; }
  const std::string& kid() const { return kid_; }
  bool has_private() const;
  bool is_symmetric() const { return IsHmac(alg_); }

  // The same key under another kid (an empty kid omits "kid" in tokens).
  Jwk WithKid(std::string kid) const;

  // The public half, same kid; FailedPrecondition for oct keys.
  absl::StatusOr<Jwk> PublicOnly() const;

  // {kty, kid, alg, use: "sig", <public members>}; FailedPrecondition for oct
  // keys, which are never published.
  absl::StatusOr<nlohmann::json> ToPublicJsonObject() const;
  absl::StatusOr<std::string> ToPublicJson() const;
  // The full JWK including private members (and "k" for oct keys), for
  // sealing at rest. FailedPrecondition for public keys.
  absl::StatusOr<std::string> ToPrivateJson() const;
  // PKCS#8 / SPKI PEM; FailedPrecondition for oct keys (and for public keys
  // in ToPrivatePem).
  absl::StatusOr<std::string> ToPrivatePem() const;
  absl::StatusOr<std::string> ToPublicPem() const;

  // RFC 7638 JWK thumbprint: base64url(SHA-256(canonical required members)).
  absl::StatusOr<std::string> Thumbprint() const;

  // --- For core/jose's signer and verifier only. ---
  // The libcrypto key; null for oct keys.
  EVP_PKEY* pkey() const;
  // The HMAC secret; empty for asymmetric keys.
  absl::string_view secret() const;
  // Identifies this key material (shared by copies and WithKid) for
  // per-thread caches of prepared contexts; never reused in a process.
  uint64_t material_id() const;

  struct Material;  // Defined in jwk.cc.

 private:
  Jwk(std::shared_ptr<const Material> material, Algorithm alg, std::string kid)
      : material_(std::move(material)), alg_(alg), kid_(std::move(kid)) {}
  // Builds a Jwk and defaults its kid to the thumbprint when empty.
  static absl::StatusOr<Jwk> Make(std::shared_ptr<const Material> material,
                                  Algorithm alg, std::string kid);

  std::shared_ptr<const Material> material_;
  Algorithm alg_;
  std::string kid_;
};

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_JWK_H_
