// Base64url (RFC 4648 §5) without padding, as JOSE uses it (RFC 7515 §2).
//
// Encoding never emits '='. Decoding is strict so that every byte string has
// exactly one accepted encoding: padding, whitespace and characters outside
// [A-Za-z0-9_-] are rejected, as are impossible lengths (len % 4 == 1) and
// encodings whose unused trailing bits are not zero.
#ifndef TOKEND_CORE_JOSE_BASE64URL_H_
#define TOKEND_CORE_JOSE_BASE64URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::jose {

std::string Base64UrlEncode(absl::string_view data);

// Appends the encoding of `data` to `*out`; the signer's hot path uses it to
// build a compact JWS in one buffer.
void AppendBase64UrlEncode(absl::string_view data, std::string* out);

// Length of the unpadded encoding of `n` bytes.
constexpr size_t Base64UrlEncodedLength(size_t n) {
  return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

// InvalidArgument on any deviation from the canonical unpadded encoding.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view encoded);

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_BASE64URL_H_
