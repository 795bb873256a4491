// Internal to core/jose: the JWS signature primitives (RFC 7515 §5, RFC 7518
// §3, RFC 8037 §3.1) over a signing input, with the algorithm taken from the
// key, never from a caller or a token.
//
// ECDSA signatures are the fixed-width r||s of RFC 7518 §3.4 (64/96/132
// bytes); other lengths never verify. RSASSA-PSS uses MGF1 with the same hash
// and a salt as long as the hash. Prepared libcrypto contexts are cached per
// thread and per key material, so repeated use of a key costs one hash plus
// the raw primitive; both functions are thread-safe. A thread keeps at most a
// few such contexts; one may hold a reference to a key (or a copy of an HMAC
// secret) until it is evicted or the thread exits.
#ifndef TOKEND_CORE_JOSE_JWS_H_
#define TOKEND_CORE_JOSE_JWS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/jose/jwk.h"

namespace tokend::jose::internal {

// Enough for RSA 8192 (the largest key Jwk accepts).
inline constexpr size_t kMaxSignatureBytes = 1024;

// Writes the signature of `signing_input` with `key` (a private or oct key)
// into `out[0..*out_len)`; `out` holds kMaxSignatureBytes.
absl::Status Sign(const Jwk& key, absl::string_view signing_input, uint8_t* out,
                  size_t* out_len);

// OK, or Unauthenticated("signature invalid") for any signature that does not
// verify (including wrong lengths); Internal only for libcrypto failures.
absl::Status Verify(const Jwk& key, absl::string_view signing_input,
                    absl::string_view signature);

}  // namespace tokend::jose::internal

#endif  // TOKEND_CORE_JOSE_JWS_H_
