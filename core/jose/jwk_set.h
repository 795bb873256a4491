// JwkSet: the public keys a verifier trusts, indexed by kid (RFC 7517 §5).
//
// Strict by design: every key must be a public asymmetric key bound to an
// algorithm (its own "alg", or the set is rejected), with a unique non-empty
// kid. HMAC keys can never be in a set, so a token can never make a verifier
// use public key bytes as an HMAC secret. FromJson rejects the whole set when
// any key is unusable rather than skipping it silently, so a typo in a JWKS
// shows up as an error instead of as "unknown kid" later. Immutable after
// construction apart from Add; copies are independent.
#ifndef TOKEND_CORE_JOSE_JWK_SET_H_
#define TOKEND_CORE_JOSE_JWK_SET_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/jose/jwk.h"

namespace tokend::jose {

class JwkSet {
 public:
  using const_iterator = std::vector<Jwk>::const_iterator;

  JwkSet() = default;

  // {"keys":[...]}, at most 1 MiB and 1000 keys. Private members make the
  // whole set invalid (a JWKS is published; a private key in it is a leak).
  static absl::StatusOr<JwkSet> FromJson(absl::string_view json);

  // InvalidArgument for oct keys, private keys, empty kids; AlreadyExists
  // for a kid already in the set.
  absl::Status Add(Jwk key);

  // nullptr when no key has that kid.
  const Jwk* Find(absl::string_view kid) const;

  // {"keys":[<public JWK>...]}, in insertion order.
  std::string ToJson() const;

  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  const_iterator begin() const { return keys_.begin(); }
  const_iterator end() const { return keys_.end(); }

 private:
  std::vector<Jwk> keys_;
  absl::flat_hash_map<std::string, size_t> by_kid_;
};

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_JWK_SET_H_
