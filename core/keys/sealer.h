// Sealer: authenticated encryption of secrets at rest (AES-256-GCM under the
// master key, DESIGN §3).
//
//   ASSIGN_OR_RETURN(std::string sealed, sealer.Seal(private_jwk_json, kid));
//   ASSIGN_OR_RETURN(std::string json, sealer.Open(sealed, kid));
//
// Sealed format (all binary):
//   version (1 byte, kVersion) || nonce (12 random bytes) || ciphertext ||
//   tag (16 bytes)
// The version byte and `associated_data` are authenticated but not stored
// beyond the version byte: Open must be given the same associated data. Bind
// each secret to its identity through it (a signing key's sealed private part
// uses the kid), so a sealed blob copied onto another row does not open.
//
// Errors from Open: every authentication failure — wrong master key, wrong
// associated data, any modified byte, truncation, unknown version — is
// DataLoss. The cases are deliberately not told apart (GCM cannot tell a
// wrong key from tampering).
//
// Thread-safe; Seal and Open allocate a cipher context per call (sealing is
// not on any hot path).
#ifndef TOKEND_CORE_KEYS_SEALER_H_
#define TOKEND_CORE_KEYS_SEALER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::keys {

class Sealer {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr uint8_t kVersion = 1;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  // Bytes Seal adds to the plaintext.
  static constexpr size_t kOverhead = 1 + kNonceSize + kTagSize;

  // InvalidArgument unless `key` is kKeySize bytes.
  static absl::StatusOr<std::unique_ptr<Sealer>> Create(absl::string_view key);

  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;
  ~Sealer();  // Wipes the key.

  // A fresh random nonce per call: sealing the same input twice gives
  // different outputs.
  absl::StatusOr<std::string> Seal(absl::string_view plaintext,
                                   absl::string_view associated_data) const;

  // DataLoss unless `sealed` is an unmodified Seal output made with this key
  // and the same associated data.
  absl::StatusOr<std::string> Open(absl::string_view sealed,
                                   absl::string_view associated_data) const;

 private:
  explicit Sealer(absl::string_view key);

  std::array<uint8_t, kKeySize> key_;
};

}  // namespace tokend::keys

#endif  // TOKEND_CORE_KEYS_SEALER_H_
