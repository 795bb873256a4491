// JwtSigner: turns a RawJwt into a compact JWS (RFC 7515 §7.1) with one
// private key.
//
// The protected header is {"alg":<the key's algorithm>,"kid":<the key's kid>}
// plus "typ" when the RawJwt has a type header; callers cannot choose the
// algorithm or add "crit"/"b64". A signer is immutable and thread-safe; the
// libcrypto contexts it needs are prepared once per thread and reused.
#ifndef TOKEND_CORE_JOSE_JWT_SIGNER_H_
#define TOKEND_CORE_JOSE_JWT_SIGNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/jose/jwk.h"
#include "core/jose/raw_jwt.h"

namespace tokend::jose {

class JwtSigner {
 public:
  // FailedPrecondition unless `private_key` holds a private (or oct) key.
  static absl::StatusOr<std::unique_ptr<JwtSigner>> Create(
      const Jwk& private_key);

  absl::StatusOr<std::string> SignAndEncode(const RawJwt& jwt) const;

  // For callers that render claims themselves (templates). `header_json` is
  // "" or a JSON object of extra protected-header members, which may not
  // include alg, kid, crit or b64 (the signer sets the first two itself);
  // `payload_json` must be a JSON object. Both are checked with the bounded
  // parser; the payload is signed byte for byte as given.
  absl::StatusOr<std::string> SignPayload(absl::string_view header_json,
                                          absl::string_view payload_json) const;

  const Jwk& key() const { return key_; }

 private:
  explicit JwtSigner(Jwk key);
  // Appends ".<signature>" for the signing input already in *out.
  absl::Status AppendSignature(std::string* out) const;

  const Jwk key_;
  // `{"alg":"..","kid":".."` without the closing brace, and the base64url of
  // the closed header, which is what most tokens use.
  std::string header_prefix_;
  std::string encoded_plain_header_;
};

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_JWT_SIGNER_H_
