#include "core/jose/jws.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "core/jose/openssl_util.h"

namespace tokend::jose::internal {
namespace {

absl::Status BadSignature() {
  ERR_clear_error();
  return absl::UnauthenticatedError("signature invalid");
}

// Low-level hashing: OpenSSL 3's one-shot and EVP digests fetch an
// implementation per call, which costs several times the hash of a token.
size_t Digest(Algorithm alg, absl::string_view data, uint8_t* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  switch (HashLength(alg)) {
    case 32: {
      SHA256_CTX c;
      SHA256_Init(&c);
      SHA256_Update(&c, p, data.size());
      SHA256_Final(out, &c);
      return 32;
    }
    case 48: {
      SHA512_CTX c;
      SHA384_Init(&c);
      SHA384_Update(&c, p, data.size());
      SHA384_Final(out, &c);
      return 48;
    }
    default: {
      SHA512_CTX c;
      SHA512_Init(&c);
      SHA512_Update(&c, p, data.size());
      SHA512_Final(out, &c);
      return 64;
    }
  }
}

// A libcrypto context prepared for one key and one direction.
struct Prepared {
  uint64_t material_id = 0;  // 0: empty slot.
  bool sign = false;
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // RSA, ECDSA: EVP_PKEY_sign/verify.
  EVP_MD_CTX* md_ctx = nullptr;      // Ed25519: initialised template.
  HMAC_CTX* hmac_ctx = nullptr;      // HMAC: keyed.

  void Clear() {
    EVP_PKEY_CTX_free(pkey_ctx);
    EVP_MD_CTX_free(md_ctx);
    HMAC_CTX_free(hmac_ctx);
    *this = Prepared();
  }
};

// A few prepared contexts per thread, evicted round robin. Each holds a
// reference to its key, so an entry never dangles; material ids are never
// reused, so a stale entry is simply never found again.
class PreparedCache {
 public:
  static constexpr int kSlots = 8;

  ~PreparedCache() {
    for (Prepared& p : slots_) p.Clear();
    EVP_MD_CTX_free(scratch_);
  }

  Prepared* Find(uint64_t id, bool sign) {
    for (Prepared& p : slots_) {
      if (p.material_id == id && p.sign == sign) return &p;
    }
    return nullptr;
  }

  Prepared* Evict() {
    Prepared* p = &slots_[next_];
    next_ = (next_ + 1) % kSlots;
    p->Clear();
    return p;
  }

  // A reusable context for Ed25519 operations (copied from a template).
  EVP_MD_CTX* scratch() {
    if (scratch_ == nullptr) scratch_ = EVP_MD_CTX_new();
    return scratch_;
  }

 private:
  Prepared slots_[kSlots];
  int next_ = 0;
  EVP_MD_CTX* scratch_ = nullptr;
};

thread_local PreparedCache t_cache;

absl::Status PrepareRsaOrEc(const Jwk& key, bool sign, Prepared* p) {
  const Algorithm alg = key.algorithm();
  p->pkey_ctx = EVP_PKEY_CTX_new(key.pkey(), nullptr);
  if (p->pkey_ctx == nullptr) return CryptoError("EVP_PKEY_CTX_new");
  const EVP_MD* md = HashFor(alg);
  if ((sign ? EVP_PKEY_sign_init(p->pkey_ctx)
            : EVP_PKEY_verify_init(p->pkey_ctx)) != 1 ||
      EVP_PKEY_CTX_set_signature_md(p->pkey_ctx, md) != 1) {
    return CryptoError("signature context");
  }
  if (IsRsa(alg)) {
    const bool pss = IsRsaPss(alg);
    if (EVP_PKEY_CTX_set_rsa_padding(
            p->pkey_ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) !=
        1) {
      return CryptoError("RSA padding");
    }
    // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
    if (pss && (EVP_PKEY_CTX_set_rsa_pss_saltlen(
                    p->pkey_ctx, static_cast<int>(HashLength(alg))) != 1 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(p->pkey_ctx, md) != 1)) {
      return CryptoError("RSA-PSS parameters");
    }
  }
  return absl::OkStatus();
}

absl::Status Prepare(const Jwk& key, bool sign, Prepared* p) {
  const Algorithm alg = key.algorithm();
  absl::Status status;
  if (IsHmac(alg)) {
    const absl::string_view secret = key.secret();
    p->hmac_ctx = HMAC_CTX_new();
    if (p->hmac_ctx == nullptr || HMAC_Init_ex(p->hmac_ctx, secret.data(),
                                               static_cast<int>(secret.size()),
                                               HashFor(alg), nullptr) != 1) {
      status = CryptoError("HMAC init");
    }
  } else if (IsEdDsa(alg)) {
    p->md_ctx = EVP_MD_CTX_new();
    if (p->md_ctx == nullptr ||
        (sign ? EVP_DigestSignInit(p->md_ctx, nullptr, nullptr, nullptr,
                                   key.pkey())
              : EVP_DigestVerifyInit(p->md_ctx, nullptr, nullptr, nullptr,
                                     key.pkey())) != 1) {
      status = CryptoError("Ed25519 init");
    }
  } else {
    status = PrepareRsaOrEc(key, sign, p);
  }
  if (!status.ok()) {
    p->Clear();
    return status;
  }
  p->material_id = key.material_id();
  p->sign = sign;
  return absl::OkStatus();
}

absl::StatusOr<Prepared*> GetPrepared(const Jwk& key, bool sign) {
  Prepared* p = t_cache.Find(key.material_id(), sign);
  if (p != nullptr) return p;
  p = t_cache.Evict();
  absl::Status status = Prepare(key, sign, p);
  if (!status.ok()) return status;
  return p;
}

absl::Status Hmac(Prepared* p, absl::string_view input, uint8_t* out,
                  unsigned int* len) {
  // A null key and digest reuse the prepared key (both libraries).
  if (HMAC_Init_ex(p->hmac_ctx, nullptr, 0, nullptr, nullptr) != 1 ||
      HMAC_Update(p->hmac_ctx, reinterpret_cast<const uint8_t*>(input.data()),
                  input.size()) != 1 ||
      HMAC_Final(p->hmac_ctx, out, len) != 1) {
    return CryptoError("HMAC");
  }
  return absl::OkStatus();
}

// Parses one DER INTEGER at *p and writes it as a `width`-byte big-endian
// number at out. Used on libcrypto's own output only.
bool DerIntegerToFixed(const uint8_t** p, const uint8_t* end, size_t width,
                       uint8_t* out) {
  if (end - *p < 2 || (*p)[0] != 0x02) return false;
  size_t len = (*p)[1];
  *p += 2;
  if (len & 0x80) return false;  // Integers of at most 66 bytes: short form.
  if (static_cast<size_t>(end - *p) < len || len == 0) return false;
  const uint8_t* v = *p;
  *p += len;
  while (len > 0 && *v == 0) {  // Strip the sign byte and any padding.
    ++v;
    --len;
  }
  if (len > width) return false;
  memset(out, 0, width - len);
  memcpy(out + width - len, v, len);
  return true;
}

// ECDSA-Sig-Value DER (as libcrypto emits) -> r||s, each `width` bytes.
bool DerToRaw(const uint8_t* der, size_t der_len, size_t width, uint8_t* out) {
  const uint8_t* p = der;
  const uint8_t* end = der + der_len;
  if (end - p < 2 || p[0] != 0x30) return false;
  size_t seq_len = p[1];
  p += 2;
  if (seq_len == 0x81) {  // P-521 signatures need the long form.
    if (end - p < 1) return false;
    seq_len = *p++;
  } else if (seq_len & 0x80) {
    return false;
  }
  if (static_cast<size_t>(end - p) != seq_len) return false;
  return DerIntegerToFixed(&p, end, width, out) &&
         DerIntegerToFixed(&p, end, width, out + width) && p == end;
}

// The curve's order n, big-endian in `width` bytes (P-521's top byte is
// 0x01), read from libcrypto once per curve.
const uint8_t* CurveOrder(Algorithm alg, size_t width) {
  struct Order {
    uint8_t bytes[66] = {};
    bool ok = false;
  };
  auto load = [](Algorithm curve, size_t width) {
    Order order;
    EC_GROUP* group = EC_GROUP_new_by_curve_name(CurveNidFor(curve));
    if (group != nullptr) {
      order.ok =
          BN_bn2binpad(EC_GROUP_get0_order(group), order.bytes,
                       static_cast<int>(width)) == static_cast<int>(width);
      EC_GROUP_free(group);
    }
    return order;
  };
  static const Order p256 = load(Algorithm::kEs256, 32);
  static const Order p384 = load(Algorithm::kEs384, 48);
  static const Order p521 = load(Algorithm::kEs512, 66);
  const Order& order = alg == Algorithm::kEs256   ? p256
                       : alg == Algorithm::kEs384 ? p384
                                                  : p521;
  return order.ok && width <= sizeof(order.bytes) ? order.bytes : nullptr;
}

// ECDSA signatures are malleable: (r, n - s) verifies wherever (r, s) does.
// Ours always carry the low one (s <= n - s), as Bitcoin's BIP 62 and
// Ethereum do, so a token has one signature and verifiers could in time
// refuse the other (issue 17; refusing now would break tokens issued before
// this, half of which carry the high one). `s` is big-endian, `width` bytes.
bool ToLowS(Algorithm alg, size_t width, uint8_t* s) {
  const uint8_t* n = CurveOrder(alg, width);
  if (n == nullptr) return false;
  uint8_t negated[66];
  int borrow = 0;
  for (size_t i = width; i-- > 0;) {
    const int d = n[i] - s[i] - borrow;
    borrow = d < 0;
    negated[i] = static_cast<uint8_t>(d + (borrow << 8));
  }
  if (memcmp(s, negated, width) > 0) memcpy(s, negated, width);
  return true;
}

absl::Status SignEcdsa(const Jwk& key, Prepared* p, const uint8_t* digest,
                       size_t digest_len, uint8_t* out, size_t* out_len) {
  uint8_t der[160];  // P-521: 2 * (66 + 1 + 2) + 3.
  size_t der_len = sizeof(der);
  if (EVP_PKEY_sign(p->pkey_ctx, der, &der_len, digest, digest_len) != 1) {
    return CryptoError("ECDSA sign");
  }
  const size_t width = EcFieldBytes(key.algorithm());
  if (!DerToRaw(der, der_len, width, out)) {
    return CryptoError("ECDSA signature encoding");
  }
  if (!ToLowS(key.algorithm(), width, out + width)) {
    return CryptoError("ECDSA curve order");
  }
  *out_len = 2 * width;
  return absl::OkStatus();
}

// r||s -> DER through ECDSA_SIG, which also normalises the integers.
absl::Status VerifyEcdsa(const Jwk& key, Prepared* p, const uint8_t* digest,
                         size_t digest_len, absl::string_view signature) {
  const size_t width = EcFieldBytes(key.algorithm());
  if (signature.size() != 2 * width) return BadSignature();
  const auto* raw = reinterpret_cast<const uint8_t*>(signature.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(raw, static_cast<int>(width), nullptr));
  BnPtr s(BN_bin2bn(raw + width, static_cast<int>(width), nullptr));
  if (sig == nullptr || r == nullptr || s == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return CryptoError("ECDSA_SIG");
  }
  r.release();
  s.release();
  uint8_t* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return CryptoError("i2d_ECDSA_SIG");
  const int ok = EVP_PKEY_verify(p->pkey_ctx, der, static_cast<size_t>(der_len),
                                 digest, digest_len);
  OPENSSL_free(der);
  return ok == 1 ? absl::OkStatus() : BadSignature();
}

}  // namespace

absl::Status Sign(const Jwk& key, absl::string_view signing_input, uint8_t* out,
                  size_t* out_len) {
  if (!key.has_private()) {
    return absl::FailedPreconditionError("signing needs a private key");
  }
  auto prepared = GetPrepared(key, /*sign=*/true);
  if (!prepared.ok()) return prepared.status();
  Prepared* p = *prepared;
  const Algorithm alg = key.algorithm();
  if (IsHmac(alg)) {
    unsigned int len = 0;
    absl::Status status = Hmac(p, signing_input, out, &len);
    *out_len = len;
    return status;
  }
  if (IsEdDsa(alg)) {
    EVP_MD_CTX* ctx = t_cache.scratch();
    *out_len = kMaxSignatureBytes;
    if (ctx == nullptr || EVP_MD_CTX_copy_ex(ctx, p->md_ctx) != 1 ||
        EVP_DigestSign(ctx, out, out_len,
                       reinterpret_cast<const uint8_t*>(signing_input.data()),
                       signing_input.size()) != 1) {
      return CryptoError("Ed25519 sign");
    }
    return absl::OkStatus();
  }
  uint8_t digest[64];
  const size_t digest_len = Digest(alg, signing_input, digest);
  if (IsEc(alg)) {
    return SignEcdsa(key, p, digest, digest_len, out, out_len);
  }
  *out_len = kMaxSignatureBytes;
  if (EVP_PKEY_sign(p->pkey_ctx, out, out_len, digest, digest_len) != 1) {
    return CryptoError("RSA sign");
  }
  return absl::OkStatus();
}

absl::Status Verify(const Jwk& key, absl::string_view signing_input,
                    absl::string_view signature) {
  auto prepared = GetPrepared(key, /*sign=*/false);
  if (!prepared.ok()) return prepared.status();
  Prepared* p = *prepared;
  const Algorithm alg = key.algorithm();
  if (IsHmac(alg)) {
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    absl::Status status = Hmac(p, signing_input, mac, &len);
    if (!status.ok()) return status;
    // Constant time: a timing oracle on the MAC would forge tokens.
    if (signature.size() != len ||
        CRYPTO_memcmp(mac, signature.data(), len) != 0) {
      return BadSignature();
    }
    return absl::OkStatus();
  }
  const auto* sig = reinterpret_cast<const uint8_t*>(signature.data());
  if (IsEdDsa(alg)) {
    if (signature.size() != 64) return BadSignature();
    EVP_MD_CTX* ctx = t_cache.scratch();
    if (ctx == nullptr || EVP_MD_CTX_copy_ex(ctx, p->md_ctx) != 1) {
      return CryptoError("Ed25519 verify init");
    }
    return EVP_DigestVerify(
               ctx, sig, signature.size(),
               reinterpret_cast<const uint8_t*>(signing_input.data()),
               signing_input.size()) == 1
               ? absl::OkStatus()
               : BadSignature();
  }
  uint8_t digest[64];
  const size_t digest_len = Digest(alg, signing_input, digest);
  if (IsEc(alg)) {
    return VerifyEcdsa(key, p, digest, digest_len, signature);
  }
  // RSA: the signature is exactly as long as the modulus (RFC 8017 §8.2.2).
  if (signature.size() != static_cast<size_t>(EVP_PKEY_size(key.pkey()))) {
    return BadSignature();
  }
  return EVP_PKEY_verify(p->pkey_ctx, sig, signature.size(), digest,
                         digest_len) == 1
             ? absl::OkStatus()
             : BadSignature();
}

}  // namespace tokend::jose::internal
