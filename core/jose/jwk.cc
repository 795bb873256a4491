#include "core/jose/jwk.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <atomic>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"
#include "core/jose/openssl_util.h"

namespace tokend::jose {

namespace {

uint64_t NextMaterialId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

struct Jwk::Material {
  Material(internal::EvpPkeyPtr key, std::string secret_bytes, bool priv)
      : pkey(std::move(key)),
        secret(std::move(secret_bytes)),
        has_private(priv),
        id(NextMaterialId()) {}

  const internal::EvpPkeyPtr pkey;     // Null for oct keys.
  const internal::SecretBytes secret;  // Only for oct keys.
  const bool has_private;
  const uint64_t id;
};

namespace {

using internal::BnCtxPtr;
using internal::BnPtr;
using internal::BnToBytes;
using internal::BytesToBn;
using internal::CryptoError;
using internal::EcKeyPtr;
using internal::EvpPkeyCtxPtr;
using internal::EvpPkeyPtr;
using internal::RsaPtr;
using json = nlohmann::json;

constexpr int kMinRsaBits = 2048;
// Larger moduli only make verification a denial-of-service lever.
constexpr int kMaxRsaBits = 8192;
constexpr size_t kEd25519Bytes = 32;
// A JWK is small; a 8192-bit private RSA JWK is about 6 KiB.
constexpr JsonLimits kJwkLimits{/*max_bytes=*/16384, /*max_depth=*/4};

std::shared_ptr<const Jwk::Material> NewMaterial(EvpPkeyPtr pkey,
                                                 bool has_private) {
  return std::make_shared<const Jwk::Material>(std::move(pkey), std::string(),
                                               has_private);
}

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Checks that a libcrypto key is of the kind `alg` needs and sane.
absl::Status CheckKeyFits(EVP_PKEY* pkey, Algorithm alg) {
  const int type = EVP_PKEY_id(pkey);
  if (IsRsa(alg)) {
    if (type != EVP_PKEY_RSA) return Invalid("key is not an RSA key");
    const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
    if (rsa == nullptr) return CryptoError("RSA key unreadable");
    const BIGNUM* n = nullptr;
    const BIGNUM* e = nullptr;
    RSA_get0_key(rsa, &n, &e, nullptr);
    if (n == nullptr || e == nullptr) return Invalid("RSA key incomplete");
    const int bits = BN_num_bits(n);
    if (bits < kMinRsaBits) {
      return Invalid("RSA modulus shorter than 2048 bits");
    }
    if (bits > kMaxRsaBits) {
      return Invalid("RSA modulus longer than 8192 bits");
    }
    if (!BN_is_odd(n) || !BN_is_odd(e) || BN_num_bits(e) < 2 ||
        BN_num_bits(e) > 33) {
      return Invalid("RSA public exponent or modulus invalid");
    }
    return absl::OkStatus();
  }
  if (IsEc(alg)) {
    if (type != EVP_PKEY_EC) return Invalid("key is not an EC key");
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
    if (ec == nullptr) return CryptoError("EC key unreadable");
    const EC_GROUP* group = EC_KEY_get0_group(ec);
    if (group == nullptr ||
        EC_GROUP_get_curve_name(group) != internal::CurveNidFor(alg)) {
      return Invalid(absl::StrCat("EC key is not on ", CurveName(alg)));
    }
    if (EC_KEY_get0_public_key(ec) == nullptr) {
      return Invalid("EC key has no public point");
    }
    return absl::OkStatus();
  }
  if (IsEdDsa(alg)) {
    if (type != EVP_PKEY_ED25519) return Invalid("key is not an Ed25519 key");
    return absl::OkStatus();
  }
  return Invalid("HMAC keys are not libcrypto keys");
}

// Imported private keys must be internally consistent: an RSA key whose CRT
// values disagree with n signs wrongly and can leak its factors through the
// faulty signatures; an EC scalar must match its point.
absl::Status CheckPrivateKey(EVP_PKEY* pkey, Algorithm alg) {
  int ok = 1;
  if (IsRsa(alg)) {
    ok = RSA_check_key(EVP_PKEY_get0_RSA(pkey));
  } else if (IsEc(alg)) {
    ok = EC_KEY_check_key(EVP_PKEY_get0_EC_KEY(pkey));
  }
  if (ok != 1) {
    ERR_clear_error();
    return Invalid("private key members are inconsistent");
  }
  return absl::OkStatus();
}

// Reads an optional base64url-encoded string member.
absl::StatusOr<std::optional<std::string>> OptionalB64(const json& obj,
                                                       const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Invalid(absl::StrCat("JWK member ", name, " is not a string"));
  }
  auto decoded = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!decoded.ok()) {
    return Invalid(absl::StrCat("JWK member ", name, " is not base64url"));
  }
  return std::optional<std::string>(std::move(*decoded));
}

absl::StatusOr<std::string> RequiredB64(const json& obj, const char* name) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, OptionalB64(obj, name));
  if (!value.has_value()) {
    return Invalid(absl::StrCat("JWK member ", name, " missing"));
  }
  return std::move(*value);
}

absl::StatusOr<std::string> OptionalString(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) {
    return Invalid(absl::StrCat("JWK member ", name, " is not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<BnPtr> PositiveBn(const std::string& bytes, const char* name) {
  BnPtr bn = BytesToBn(bytes);
  if (bn == nullptr) return CryptoError("bignum allocation");
  if (BN_is_zero(bn.get())) {
    return Invalid(absl::StrCat("JWK member ", name, " is zero"));
  }
  return bn;
}

absl::StatusOr<EvpPkeyPtr> RsaFromJwk(const json& obj, bool* has_private) {
  ASSIGN_OR_RETURN(std::string n_bytes, RequiredB64(obj, "n"));
  ASSIGN_OR_RETURN(std::string e_bytes, RequiredB64(obj, "e"));
  if (obj.contains("oth")) {
    return Invalid("multi-prime RSA keys are not supported");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> d_bytes, OptionalB64(obj, "d"));
  const char* kCrt[] = {"p", "q", "dp", "dq", "qi"};
  std::optional<std::string> crt[5];
  for (int i = 0; i < 5; ++i) {
    ASSIGN_OR_RETURN(crt[i], OptionalB64(obj, kCrt[i]));
    if (crt[i].has_value() != d_bytes.has_value()) {
      return Invalid("RSA private JWK needs all of d, p, q, dp, dq, qi");
    }
  }
  // Bound the work before any arithmetic on attacker-sized numbers.
  if (n_bytes.size() > kMaxRsaBits / 8 + 1 || e_bytes.size() > 8) {
    return Invalid("RSA key too large");
  }
  ASSIGN_OR_RETURN(BnPtr n, PositiveBn(n_bytes, "n"));
  ASSIGN_OR_RETURN(BnPtr e, PositiveBn(e_bytes, "e"));
  RsaPtr rsa(RSA_new());
  if (rsa == nullptr) return CryptoError("RSA allocation");
  BnPtr d;
  if (d_bytes.has_value()) {
    ASSIGN_OR_RETURN(d, PositiveBn(*d_bytes, "d"));
  }
  if (!RSA_set0_key(rsa.get(), n.get(), e.get(), d.get())) {
    return CryptoError("RSA_set0_key");
  }
  n.release();
  e.release();
  d.release();
  if (d_bytes.has_value()) {
    BnPtr parts[5];
    for (int i = 0; i < 5; ++i) {
      ASSIGN_OR_RETURN(parts[i], PositiveBn(*crt[i], kCrt[i]));
    }
    if (!RSA_set0_factors(rsa.get(), parts[0].get(), parts[1].get())) {
      return CryptoError("RSA_set0_factors");
    }
    parts[0].release();
    parts[1].release();
    if (!RSA_set0_crt_params(rsa.get(), parts[2].get(), parts[3].get(),
                             parts[4].get())) {
      return CryptoError("RSA_set0_crt_params");
    }
    parts[2].release();
    parts[3].release();
    parts[4].release();
  }
  EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || !EVP_PKEY_assign_RSA(pkey.get(), rsa.get())) {
    return CryptoError("EVP_PKEY_assign_RSA");
  }
  rsa.release();  // Owned by pkey now.
  *has_private = d_bytes.has_value();
  return pkey;
}

absl::StatusOr<EvpPkeyPtr> EcFromJwk(const json& obj, Algorithm alg,
                                     bool* has_private) {
  ASSIGN_OR_RETURN(std::string crv, OptionalString(obj, "crv"));
  if (crv != CurveName(alg)) {
    return Invalid(absl::StrCat("JWK crv must be ", CurveName(alg), " for ",
                                AlgorithmName(alg)));
  }
  const size_t field = internal::EcFieldBytes(alg);
  ASSIGN_OR_RETURN(std::string x_bytes, RequiredB64(obj, "x"));
  ASSIGN_OR_RETURN(std::string y_bytes, RequiredB64(obj, "y"));
  ASSIGN_OR_RETURN(std::optional<std::string> d_bytes, OptionalB64(obj, "d"));
  // RFC 7518 §6.2.1.2/§6.2.2.1: fixed-width coordinates and scalar.
  if (x_bytes.size() != field || y_bytes.size() != field ||
      (d_bytes.has_value() && d_bytes->size() != field)) {
    return Invalid("EC JWK coordinate has the wrong length");
  }
  EcKeyPtr ec(EC_KEY_new_by_curve_name(internal::CurveNidFor(alg)));
  if (ec == nullptr) return CryptoError("EC_KEY_new_by_curve_name");
  BnPtr x = BytesToBn(x_bytes);
  BnPtr y = BytesToBn(y_bytes);
  if (x == nullptr || y == nullptr) return CryptoError("bignum allocation");
  // Checks the coordinates are in range and the point is on the curve.
  if (EC_KEY_set_public_key_affine_coordinates(ec.get(), x.get(), y.get()) !=
      1) {
    ERR_clear_error();
    return Invalid("EC JWK point is not on the curve");
  }
  if (d_bytes.has_value()) {
    BnPtr d = BytesToBn(*d_bytes);
    if (d == nullptr) return CryptoError("bignum allocation");
    if (BN_is_zero(d.get()) ||
        BN_cmp(d.get(), EC_GROUP_get0_order(EC_KEY_get0_group(ec.get()))) >=
            0 ||
        EC_KEY_set_private_key(ec.get(), d.get()) != 1) {
      ERR_clear_error();
      return Invalid("EC JWK private scalar out of range");
    }
  }
  // With a private scalar, this also checks that it matches the point.
  if (EC_KEY_check_key(ec.get()) != 1) {
    ERR_clear_error();
    return Invalid("EC JWK is inconsistent");
  }
  EvpPkeyPtr pkey(EVP_PKEY_new());
  if (pkey == nullptr || !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.get())) {
    return CryptoError("EVP_PKEY_assign_EC_KEY");
  }
  ec.release();
  *has_private = d_bytes.has_value();
  return pkey;
}

absl::StatusOr<EvpPkeyPtr> OkpFromJwk(const json& obj, bool* has_private) {
  ASSIGN_OR_RETURN(std::string crv, OptionalString(obj, "crv"));
  if (crv != "Ed25519") return Invalid("OKP JWK crv must be Ed25519");
  ASSIGN_OR_RETURN(std::string x_bytes, RequiredB64(obj, "x"));
  ASSIGN_OR_RETURN(std::optional<std::string> d_bytes, OptionalB64(obj, "d"));
  if (x_bytes.size() != kEd25519Bytes ||
      (d_bytes.has_value() && d_bytes->size() != kEd25519Bytes)) {
    return Invalid("Ed25519 JWK member has the wrong length");
  }
  const auto* x = reinterpret_cast<const uint8_t*>(x_bytes.data());
  if (!d_bytes.has_value()) {
    EvpPkeyPtr pkey(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, x, 32));
    if (pkey == nullptr) return CryptoError("Ed25519 public key");
    *has_private = false;
    return pkey;
  }
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const uint8_t*>(d_bytes->data()), 32));
  OPENSSL_cleanse(d_bytes->data(), d_bytes->size());
  if (pkey == nullptr) return CryptoError("Ed25519 private key");
  uint8_t derived[kEd25519Bytes];
  size_t len = sizeof(derived);
  if (EVP_PKEY_get_raw_public_key(pkey.get(), derived, &len) != 1 ||
      len != kEd25519Bytes) {
    return CryptoError("Ed25519 public key derivation");
  }
  if (CRYPTO_memcmp(derived, x, kEd25519Bytes) != 0) {
    return Invalid("Ed25519 JWK d does not match x");
  }
  *has_private = true;
  return pkey;
}

absl::Status CheckSecretLength(size_t size, Algorithm alg) {
  if (size < HashLength(alg)) {
    return Invalid(absl::StrCat(AlgorithmName(alg), " secret must be at least ",
                                HashLength(alg), " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckUseAndOps(const json& obj) {
  auto use = obj.find("use");
  if (use != obj.end() && (!use->is_string() || *use != "sig")) {
    return Invalid("JWK use must be \"sig\"");
  }
  auto ops = obj.find("key_ops");
  if (ops != obj.end()) {
    if (!ops->is_array()) return Invalid("JWK key_ops is not an array");
    for (const json& op : *ops) {
      if (!op.is_string() || (op != "sign" && op != "verify")) {
        return Invalid("JWK key_ops may only hold sign and verify");
      }
    }
  }
  return absl::OkStatus();
}

// The members RFC 7638 hashes (and every export starts from).
absl::StatusOr<json> PublicMembers(const Jwk& key) {
  json out = json::object();
  const Algorithm alg = key.algorithm();
  out["kty"] = std::string(KeyTypeName(alg));
  if (IsHmac(alg)) {
    out["k"] = Base64UrlEncode(key.secret());
    return out;
  }
  EVP_PKEY* pkey = key.pkey();
  if (IsRsa(alg)) {
    const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
    if (rsa == nullptr) return CryptoError("RSA key unreadable");
    const BIGNUM* n = nullptr;
    const BIGNUM* e = nullptr;
    RSA_get0_key(rsa, &n, &e, nullptr);
    out["n"] = Base64UrlEncode(BnToBytes(n));
    out["e"] = Base64UrlEncode(BnToBytes(e));
    return out;
  }
  if (IsEc(alg)) {
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
    if (ec == nullptr) return CryptoError("EC key unreadable");
    BnPtr x(BN_new());
    BnPtr y(BN_new());
    BnCtxPtr ctx(BN_CTX_new());
    if (x == nullptr || y == nullptr || ctx == nullptr ||
        EC_POINT_get_affine_coordinates_GFp(EC_KEY_get0_group(ec),
                                            EC_KEY_get0_public_key(ec), x.get(),
                                            y.get(), ctx.get()) != 1) {
      return CryptoError("EC coordinates");
    }
    const size_t field = internal::EcFieldBytes(alg);
    ASSIGN_OR_RETURN(std::string xb, internal::BnToPaddedBytes(x.get(), field));
    ASSIGN_OR_RETURN(std::string yb, internal::BnToPaddedBytes(y.get(), field));
    out["crv"] = std::string(CurveName(alg));
    out["x"] = Base64UrlEncode(xb);
    out["y"] = Base64UrlEncode(yb);
    return out;
  }
  uint8_t raw[kEd25519Bytes];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 ||
      len != kEd25519Bytes) {
    return CryptoError("Ed25519 public key");
  }
  out["crv"] = "Ed25519";
  out["x"] = Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(raw), len));
  return out;
}

absl::Status AddPrivateMembers(const Jwk& key, json* out) {
  const Algorithm alg = key.algorithm();
  EVP_PKEY* pkey = key.pkey();
  if (IsHmac(alg)) return absl::OkStatus();  // "k" is already there.
  if (IsRsa(alg)) {
    const RSA* rsa = EVP_PKEY_get0_RSA(pkey);
    if (rsa == nullptr) return CryptoError("RSA key unreadable");
    const BIGNUM *d = nullptr, *p = nullptr, *q = nullptr, *dp = nullptr,
                 *dq = nullptr, *qi = nullptr;
    RSA_get0_key(rsa, nullptr, nullptr, &d);
    RSA_get0_factors(rsa, &p, &q);
    RSA_get0_crt_params(rsa, &dp, &dq, &qi);
    if (d == nullptr || p == nullptr || q == nullptr || dp == nullptr ||
        dq == nullptr || qi == nullptr) {
      return CryptoError("RSA private key incomplete");
    }
    (*out)["d"] = Base64UrlEncode(BnToBytes(d));
    (*out)["p"] = Base64UrlEncode(BnToBytes(p));
    (*out)["q"] = Base64UrlEncode(BnToBytes(q));
    (*out)["dp"] = Base64UrlEncode(BnToBytes(dp));
    (*out)["dq"] = Base64UrlEncode(BnToBytes(dq));
    (*out)["qi"] = Base64UrlEncode(BnToBytes(qi));
    return absl::OkStatus();
  }
  if (IsEc(alg)) {
    const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(pkey);
    const BIGNUM* d = ec == nullptr ? nullptr : EC_KEY_get0_private_key(ec);
    if (d == nullptr) return CryptoError("EC private key unreadable");
    ASSIGN_OR_RETURN(std::string db,
                     internal::BnToPaddedBytes(d, internal::EcFieldBytes(alg)));
    (*out)["d"] = Base64UrlEncode(db);
    OPENSSL_cleanse(db.data(), db.size());
    return absl::OkStatus();
  }
  uint8_t raw[kEd25519Bytes];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_private_key(pkey, raw, &len) != 1 ||
      len != kEd25519Bytes) {
    return CryptoError("Ed25519 private key");
  }
  (*out)["d"] = Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(raw), len));
  OPENSSL_cleanse(raw, sizeof(raw));
  return absl::OkStatus();
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return CryptoError("PEM output");
  return std::string(data, static_cast<size_t>(len));
}

int NoPassword(char*, int, int, void*) { return 0; }

// A kid set through WithKid may not be UTF-8; nlohmann throws on it.
absl::StatusOr<std::string> DumpJson(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception&) {
    return Invalid("JWK holds a string that is not valid UTF-8");
  }
}

}  // namespace

absl::StatusOr<Jwk> Jwk::Make(std::shared_ptr<const Material> material,
                              Algorithm alg, std::string kid) {
  Jwk key(std::move(material), alg, std::move(kid));
  if (key.kid_.empty()) {
    ASSIGN_OR_RETURN(key.kid_, key.Thumbprint());
  }
  return key;
}

absl::StatusOr<Jwk> Jwk::Generate(Algorithm alg) {
  if (IsHmac(alg)) {
    std::string secret(HashLength(alg), '\0');
    if (RAND_bytes(reinterpret_cast<uint8_t*>(secret.data()), secret.size()) !=
        1) {
      return CryptoError("RAND_bytes");
    }
    auto result = FromSecret(secret, alg);
    OPENSSL_cleanse(secret.data(), secret.size());
    return result;
  }
  if (IsRsa(alg)) return GenerateRsa(alg, 2048);
  EvpPkeyPtr pkey;
  if (IsEc(alg)) {
    EcKeyPtr ec(EC_KEY_new_by_curve_name(internal::CurveNidFor(alg)));
    if (ec == nullptr || EC_KEY_generate_key(ec.get()) != 1) {
      return CryptoError("EC key generation");
    }
    pkey.reset(EVP_PKEY_new());
    if (pkey == nullptr || !EVP_PKEY_assign_EC_KEY(pkey.get(), ec.get())) {
      return CryptoError("EVP_PKEY_assign_EC_KEY");
    }
    ec.release();
  } else {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
    EVP_PKEY* raw = nullptr;
    if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
      return CryptoError("Ed25519 key generation");
    }
    pkey.reset(raw);
  }
  return Make(NewMaterial(std::move(pkey), true), alg, "");
}

absl::StatusOr<Jwk> Jwk::GenerateRsa(Algorithm alg, int bits) {
  if (!IsRsa(alg)) {
    return Invalid("GenerateRsa needs an RS* or PS* algorithm");
  }
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    return Invalid("RSA key size must be 2048, 3072 or 4096 bits");
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr));
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return CryptoError("RSA key generation");
  }
  return Make(NewMaterial(EvpPkeyPtr(raw), true), alg, "");
}

absl::StatusOr<Jwk> Jwk::FromJson(absl::string_view text,
                                  std::optional<Algorithm> alg) {
  ASSIGN_OR_RETURN(json obj, ParseJsonObject(text, kJwkLimits));
  return FromJsonObject(obj, alg);
}

absl::StatusOr<Jwk> Jwk::FromJsonObject(const nlohmann::json& obj,
                                        std::optional<Algorithm> hint) {
  if (!obj.is_object()) return Invalid("JWK is not a JSON object");
  ASSIGN_OR_RETURN(std::string kty, OptionalString(obj, "kty"));
  if (kty.empty()) return Invalid("JWK kty missing");
  ASSIGN_OR_RETURN(std::string alg_name, OptionalString(obj, "alg"));
  std::optional<Algorithm> alg = hint;
  if (!alg_name.empty()) {
    auto named = AlgorithmFromName(alg_name);
    if (!named.ok()) return Invalid("JWK alg is not supported");
    if (hint.has_value() && *hint != *named) {
      return Invalid(absl::StrCat("JWK alg ", AlgorithmName(*named),
                                  " does not match expected ",
                                  AlgorithmName(*hint)));
    }
    alg = *named;
  }
  if (!alg.has_value()) {
    return Invalid("JWK has no alg and none was given");
  }
  if (kty != KeyTypeName(*alg)) {
    return Invalid(absl::StrCat("JWK kty does not fit ", AlgorithmName(*alg)));
  }
  RETURN_IF_ERROR(CheckUseAndOps(obj));
  ASSIGN_OR_RETURN(std::string kid, OptionalString(obj, "kid"));

  if (IsHmac(*alg)) {
    ASSIGN_OR_RETURN(std::string k, RequiredB64(obj, "k"));
    auto key = FromSecret(k, *alg);
    OPENSSL_cleanse(k.data(), k.size());
    if (!key.ok()) return key.status();
    return kid.empty() ? *key : key->WithKid(std::move(kid));
  }
  bool has_private = false;
  EvpPkeyPtr pkey;
  if (IsRsa(*alg)) {
    ASSIGN_OR_RETURN(pkey, RsaFromJwk(obj, &has_private));
  } else if (IsEc(*alg)) {
    ASSIGN_OR_RETURN(pkey, EcFromJwk(obj, *alg, &has_private));
  } else {
    ASSIGN_OR_RETURN(pkey, OkpFromJwk(obj, &has_private));
  }
  RETURN_IF_ERROR(CheckKeyFits(pkey.get(), *alg));
  if (has_private) RETURN_IF_ERROR(CheckPrivateKey(pkey.get(), *alg));
  return Make(NewMaterial(std::move(pkey), has_private), *alg, std::move(kid));
}

absl::StatusOr<Jwk> Jwk::FromPem(absl::string_view pem, Algorithm alg) {
  if (IsHmac(alg)) return Invalid("HMAC keys do not come as PEM");
  const size_t begin = pem.find("-----BEGIN ");
  if (begin == absl::string_view::npos) return Invalid("no PEM block found");
  pem.remove_prefix(begin);
  bool has_private;
  if (absl::StartsWith(pem, "-----BEGIN PRIVATE KEY-----")) {
    has_private = true;
  } else if (absl::StartsWith(pem, "-----BEGIN PUBLIC KEY-----")) {
    has_private = false;
  } else {
    return Invalid("PEM must be a PKCS#8 PRIVATE KEY or a PUBLIC KEY");
  }
  if (pem.size() > 64 * 1024) return Invalid("PEM too large");
  internal::BioPtr bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return CryptoError("BIO_new_mem_buf");
  EVP_PKEY* raw =
      has_private
          ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr)
          : PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return Invalid("PEM key could not be parsed");
  }
  EvpPkeyPtr pkey(raw);
  RETURN_IF_ERROR(CheckKeyFits(pkey.get(), alg));
  if (has_private) RETURN_IF_ERROR(CheckPrivateKey(pkey.get(), alg));
  return Make(NewMaterial(std::move(pkey), has_private), alg, "");
}

absl::StatusOr<Jwk> Jwk::FromSecret(absl::string_view secret, Algorithm alg) {
  if (!IsHmac(alg)) return Invalid("FromSecret needs an HS* algorithm");
  RETURN_IF_ERROR(CheckSecretLength(secret.size(), alg));
  return Make(std::make_shared<const Material>(nullptr, std::string(secret),
                                               /*priv=*/true),
              alg, "");
}

bool Jwk::has_private() const { return material_->has_private; }

Jwk Jwk::WithKid(std::string kid) const {
  return Jwk(material_, alg_, std::move(kid));
}

absl::StatusOr<Jwk> Jwk::PublicOnly() const {
  if (IsHmac(alg_)) {
    return absl::FailedPreconditionError("an HMAC key has no public half");
  }
  if (!has_private()) return *this;
  // SPKI round trip: one code path for every key type.
  uint8_t* der = nullptr;
  const int len = i2d_PUBKEY(pkey(), &der);
  if (len <= 0) return CryptoError("i2d_PUBKEY");
  const uint8_t* p = der;
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  if (pub == nullptr) return CryptoError("d2i_PUBKEY");
  return Jwk(NewMaterial(std::move(pub), false), alg_, kid_);
}

absl::StatusOr<nlohmann::json> Jwk::ToPublicJsonObject() const {
  if (IsHmac(alg_)) {
    return absl::FailedPreconditionError("HMAC keys are never published");
  }
  ASSIGN_OR_RETURN(json out, PublicMembers(*this));
  out["alg"] = std::string(AlgorithmName(alg_));
  if (!kid_.empty()) out["kid"] = kid_;
  out["use"] = "sig";
  return out;
}

absl::StatusOr<std::string> Jwk::ToPublicJson() const {
  ASSIGN_OR_RETURN(json out, ToPublicJsonObject());
  return DumpJson(out);
}

absl::StatusOr<std::string> Jwk::ToPrivateJson() const {
  if (!has_private()) {
    return absl::FailedPreconditionError("not a private key");
  }
  ASSIGN_OR_RETURN(json out, PublicMembers(*this));
  RETURN_IF_ERROR(AddPrivateMembers(*this, &out));
  out["alg"] = std::string(AlgorithmName(alg_));
  if (!kid_.empty()) out["kid"] = kid_;
  out["use"] = "sig";
  return DumpJson(out);
}

absl::StatusOr<std::string> Jwk::ToPrivatePem() const {
  if (IsHmac(alg_)) return absl::FailedPreconditionError("HMAC key has no PEM");
  if (!has_private()) {
    return absl::FailedPreconditionError("not a private key");
  }
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey(), nullptr, nullptr, 0,
                                    nullptr, nullptr) != 1) {
    return CryptoError("PEM_write_bio_PKCS8PrivateKey");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> Jwk::ToPublicPem() const {
  if (IsHmac(alg_)) return absl::FailedPreconditionError("HMAC key has no PEM");
  internal::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), pkey()) != 1) {
    return CryptoError("PEM_write_bio_PUBKEY");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> Jwk::Thumbprint() const {
  ASSIGN_OR_RETURN(json members, PublicMembers(*this));
  // nlohmann's object is a sorted map, and dump() without indent emits no
  // whitespace: exactly RFC 7638's canonical form for these ASCII members.
  const std::string canonical = members.dump();
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(canonical.data(), canonical.size(), digest, &len, EVP_sha256(),
                 nullptr) != 1) {
    return CryptoError("SHA-256");
  }
  return Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(digest), len));
}

EVP_PKEY* Jwk::pkey() const { return material_->pkey.get(); }

absl::string_view Jwk::secret() const { return material_->secret.get(); }

uint64_t Jwk::material_id() const { return material_->id; }

}  // namespace tokend::jose
