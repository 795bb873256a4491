// ExpiryOfJwt: when a token tokend minted expires, from the `exp` claim of
// its JWS payload. The signature is NOT verified: a client only needs to know
// when to ask for a new token; whoever accepts the token verifies it.
#ifndef TOKEND_CLIENT_JWT_EXPIRY_H_
#define TOKEND_CLIENT_JWT_EXPIRY_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/token_source.h"

namespace tokend::client {

// Longer input is refused before any decoding. tokend signs template
// payloads of up to 32 KiB (core/sessions kMaxRenderedClaimsBytes): ~43 KB
// of base64url, plus header and signature.
inline constexpr size_t kMaxJwtBytes = 64 * 1024;

// InvalidArgument unless `jwt` is at most kMaxJwtBytes, is three base64url
// parts, its payload is a JSON object (bounded parse), and its exp, when
// present, is a number of seconds from 0 to 253402300799 (9999-12-31, as
// core/jose writes them). InfiniteFuture when there is no exp: the token does
// not expire. Messages never echo the input.
absl::StatusOr<absl::Time> ExpiryOfJwt(absl::string_view jwt);

// A JWT tokend returned, as a Token expiring at its exp; Internal, naming
// `what` ("scoped token"), when ExpiryOfJwt refuses it: tokend sent it.
absl::StatusOr<Token> TokenFromJwt(std::string jwt, absl::string_view what);

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_JWT_EXPIRY_H_
