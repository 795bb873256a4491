#include "core/auth/secrets.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/jose/base64url.h"

namespace tokend::auth {

absl::StatusOr<std::string> GenerateSecret(absl::string_view prefix,
                                           int random_bytes) {
  std::string raw(random_bytes, '\0');
  if (RAND_bytes(reinterpret_cast<uint8_t*>(raw.data()), raw.size()) != 1) {
    return absl::InternalError("CSPRNG failure");
  }
  return absl::StrCat(prefix, jose::Base64UrlEncode(raw));
}

absl::StatusOr<std::string> GenerateTokenId() {
  constexpr size_t kIdBytes = 16;
  struct Buffer {
    uint8_t bytes[32 * kIdBytes];
    size_t used = sizeof(bytes);  // empty: filled on first use
  };
  thread_local Buffer buffer;
  if (buffer.used == sizeof(buffer.bytes)) {
    if (RAND_bytes(buffer.bytes, sizeof(buffer.bytes)) != 1) {
      return absl::InternalError("CSPRNG failure");
    }
    buffer.used = 0;
  }
  const absl::string_view id(
      reinterpret_cast<const char*>(buffer.bytes + buffer.used), kIdBytes);
  buffer.used += kIdBytes;
  return jose::Base64UrlEncode(id);
}

std::string HashSecret(absl::string_view secret) {
  // The low-level calls: OpenSSL 3's one-shot SHA256() fetches an
  // implementation on every call, which costs more than hashing a secret
  // (several of these run per token request).
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, secret.data(), secret.size());
  SHA256_Final(reinterpret_cast<uint8_t*>(digest.data()), &ctx);
  OPENSSL_cleanse(&ctx, sizeof(ctx));
  return digest;
}

void WipeSecret(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
}

bool HashesEqual(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string DisplayPrefix(absl::string_view secret) {
  // Keep the type prefix (up to the first '_' in the first 8 chars) + 4. Not
  // the last: base64url secrets contain '_' themselves.
  size_t cut = secret.substr(0, 8).find('_');
  size_t keep = (cut == absl::string_view::npos ? 0 : cut + 1) + 4;
  return std::string(secret.substr(0, std::min(keep, secret.size())));
}

}  // namespace tokend::auth
