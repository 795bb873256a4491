#include "core/keys/sealer.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokend::keys {
namespace {

const uint8_t* Bytes(absl::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

absl::Status AuthFailure() {
  return absl::DataLossError(
      "sealed data failed authentication: wrong master key, wrong associated "
      "data, or corrupted");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Sealer>> Sealer::Create(absl::string_view key) {
  if (key.size() != kKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sealer key must be ", kKeySize, " bytes, got ", key.size()));
  }
  return std::unique_ptr<Sealer>(new Sealer(key));
}

Sealer::Sealer(absl::string_view key) {
  std::memcpy(key_.data(), key.data(), kKeySize);
}

Sealer::~Sealer() {
  volatile uint8_t* p = key_.data();
  for (size_t i = 0; i < key_.size(); ++i) p[i] = 0;
}

absl::StatusOr<std::string> Sealer::Seal(
    absl::string_view plaintext, absl::string_view associated_data) const {
  if (plaintext.size() > INT_MAX - kOverhead ||
      associated_data.size() > INT_MAX) {
    return absl::InvalidArgumentError("sealer: input too large");
  }
  std::string out(kOverhead + plaintext.size(), '\0');
  uint8_t* const version = reinterpret_cast<uint8_t*>(out.data());
  uint8_t* const nonce = version + 1;
  uint8_t* const ciphertext = nonce + kNonceSize;
  uint8_t* const tag = ciphertext + plaintext.size();
  *version = kVersion;
  if (RAND_bytes(nonce, kNonceSize) != 1) {
    return absl::InternalError("sealer: RAND_bytes failed");
  }

  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return absl::ResourceExhaustedError("sealer: no memory");
  absl::Cleanup free_ctx = [ctx] { EVP_CIPHER_CTX_free(ctx); };
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) ==
          1 &&
      EVP_EncryptInit_ex(ctx, nullptr, nullptr, key_.data(), nonce) == 1 &&
      // Additional data: the version byte, then the caller's.
      EVP_EncryptUpdate(ctx, nullptr, &len, version, 1) == 1;
  if (ok && !associated_data.empty()) {
    ok = EVP_EncryptUpdate(ctx, nullptr, &len, Bytes(associated_data),
                           static_cast<int>(associated_data.size())) == 1;
  }
  int written = 0;
  if (ok && !plaintext.empty()) {
    ok = EVP_EncryptUpdate(ctx, ciphertext, &len, Bytes(plaintext),
                           static_cast<int>(plaintext.size())) == 1;
    written = len;
  }
  if (ok) {
    ok = EVP_EncryptFinal_ex(ctx, ciphertext + written, &len) == 1;
    written += len;
  }
  ok = ok && static_cast<size_t>(written) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, tag) == 1;
  if (!ok) return absl::InternalError("sealer: AES-256-GCM encryption failed");
  return out;
}

absl::StatusOr<std::string> Sealer::Open(
    absl::string_view sealed, absl::string_view associated_data) const {
  if (sealed.size() < kOverhead || sealed.size() > INT_MAX ||
      associated_data.size() > INT_MAX) {
    return AuthFailure();
  }
  const uint8_t* const version = Bytes(sealed);
  if (*version != kVersion) return AuthFailure();
  const uint8_t* const nonce = version + 1;
  const uint8_t* const ciphertext = nonce + kNonceSize;
  const size_t ciphertext_size = sealed.size() - kOverhead;
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; copy the tag.
  uint8_t tag[kTagSize];
  std::memcpy(tag, ciphertext + ciphertext_size, kTagSize);

  std::string plaintext(ciphertext_size, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return absl::ResourceExhaustedError("sealer: no memory");
  absl::Cleanup free_ctx = [ctx] { EVP_CIPHER_CTX_free(ctx); };
  int len = 0;
  bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) ==
          1 &&
      EVP_DecryptInit_ex(ctx, nullptr, nullptr, key_.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, version, 1) == 1;
  if (!ok) return absl::InternalError("sealer: AES-256-GCM setup failed");
  if (!associated_data.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1) {
    return AuthFailure();
  }
  int written = 0;
  if (ciphertext_size > 0) {
    if (EVP_DecryptUpdate(ctx, reinterpret_cast<uint8_t*>(plaintext.data()),
                          &len, ciphertext,
                          static_cast<int>(ciphertext_size)) != 1) {
      return AuthFailure();
    }
    written = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1 ||
      EVP_DecryptFinal_ex(
          ctx, reinterpret_cast<uint8_t*>(plaintext.data()) + written, &len) !=
          1) {
    // Do not hand back unauthenticated plaintext, not even in memory.
    volatile char* p = plaintext.data();
    for (size_t i = 0; i < plaintext.size(); ++i) p[i] = 0;
    return AuthFailure();
  }
  return plaintext;
}

}  // namespace tokend::keys
