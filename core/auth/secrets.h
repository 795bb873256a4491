// Bearer secrets (admin key, API keys, client tokens, OAuth tokens): how they
// are generated, hashed for storage, and compared. Secrets are only ever
// compared, so only their SHA-256 is stored; comparison is constant-time.
#ifndef TOKEND_CORE_AUTH_SECRETS_H_
#define TOKEND_CORE_AUTH_SECRETS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::auth {

// `prefix` followed by base64url of `random_bytes` CSPRNG bytes.
absl::StatusOr<std::string> GenerateSecret(absl::string_view prefix,
                                           int random_bytes = 32);

// A token id (jti): base64url of 16 CSPRNG bytes, 22 characters. The bytes
// come from a per-thread buffer refilled 32 ids at a time: an id must be
// unique and unguessable but is no secret (it travels in the token), and
// one RAND_bytes call costs more than the 16 bytes it makes (issue 19).
absl::StatusOr<std::string> GenerateTokenId();

// SHA-256 of the secret, 32 raw bytes.
std::string HashSecret(absl::string_view secret);

// Overwrites a secret's bytes (OPENSSL_cleanse, which the compiler cannot
// elide) before the string is dropped or reused.
void WipeSecret(std::string& secret);

// Constant-time equality of two hashes (false when the sizes differ).
bool HashesEqual(absl::string_view a, absl::string_view b);

// The first characters of a secret, safe to display (prefix + 4 chars).
std::string DisplayPrefix(absl::string_view secret);

}  // namespace tokend::auth

#endif  // TOKEND_CORE_AUTH_SECRETS_H_
