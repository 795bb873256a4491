// JwtValidator: verifies a compact JWS/JWT and checks its claims against a
// policy fixed at Build() time; the only way to get a VerifiedJwt.
//
// Verify() applies, in order (first failure wins):
//  1. size <= max token bytes, three base64url parts, header and payload
//     bounded JSON objects                         -> InvalidArgument
//  2. header: "alg" allowed by the policy ("none" never is), no "crit"
//     (no extension is understood), no "b64" other than true
//                                                  -> Unauthenticated
//  3. key: by "kid" in the JwkSet; a token without kid uses the set's only
//     key for its alg, if exactly one exists (or the one key given, or the
//     one the caller's KeyLookup picks from the header). The key's bound
//     algorithm must equal the header's "alg": the token never picks how a
//     key is used.
//  4. signature                                    -> Unauthenticated
//  5. claims: exp/nbf/iat are numbers in 1970..9999, iss/sub/jti strings,
//     aud a string or an array of strings           -> InvalidArgument;
//     now < exp + skew (exp required unless allowed), now >= nbf - skew,
//     iat <= now + skew, exp - iat <= max lifetime (needs both), issuer,
//     audience, typ, required claims              -> Unauthenticated
// Messages name the rule ("token expired", "audience mismatch", ...), never
// key material. HMAC tokens verify only through Verify(compact, Jwk, now),
// because a JwkSet never holds oct keys.
#ifndef TOKEND_CORE_JOSE_JWT_VALIDATOR_H_
#define TOKEND_CORE_JOSE_JWT_VALIDATOR_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jose/algorithm.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/verified_jwt.h"

namespace tokend::jose {

class JwtValidatorBuilder;

class JwtValidator {
 public:
  absl::StatusOr<VerifiedJwt> Verify(absl::string_view compact,
                                     const JwkSet& keys, absl::Time now) const;
  // With one explicit key (the only way to verify HS* tokens). A "kid" in the
  // token, if present, must equal the key's kid.
  absl::StatusOr<VerifiedJwt> Verify(absl::string_view compact, const Jwk& key,
                                     absl::Time now) const;
  // With a key the caller picks from the token's protected header (a JSON
  // object, parsed once for both), e.g. by looking its kid up in a store
  // and applying rules of its own first. `lookup` runs after step 1 and
  // before any header rule; its error is returned as is. The key it returns
  // must outlive the call and is then used as Verify(compact, key, now)
  // uses its key: the header rules and the key's algorithm and kid still
  // apply.
  using KeyLookup = absl::FunctionRef<absl::StatusOr<const Jwk*>(
      const nlohmann::json& header)>;
  absl::StatusOr<VerifiedJwt> Verify(absl::string_view compact,
                                     KeyLookup lookup, absl::Time now) const;

 private:
  friend class JwtValidatorBuilder;
  struct Policy {
    std::set<Algorithm> algorithms;
    std::vector<std::string> issuers;
    bool ignore_issuer = false;
    std::vector<std::string> audiences;
    bool ignore_audiences = false;
    std::optional<std::string> type_header;
    std::vector<std::string> required_claims;
    absl::Duration clock_skew = absl::ZeroDuration();
    std::optional<absl::Duration> max_lifetime;
    bool allow_missing_expiration = false;
    size_t max_token_bytes = 8000;
  };
  explicit JwtValidator(Policy policy) : policy_(std::move(policy)) {}

  // Exactly one of keys, key and lookup is set.
  absl::StatusOr<VerifiedJwt> VerifyImpl(absl::string_view compact,
                                         const JwkSet* keys, const Jwk* key,
                                         const KeyLookup* lookup,
                                         absl::Time now) const;

  Policy policy_;
};

// Every setter records a choice; contradictions and missing mandatory
// choices (algorithms; issuer expected or ignored) make Build() fail.
class JwtValidatorBuilder {
 public:
  // Repeatable: the token's "iss" must equal one of them.
  JwtValidatorBuilder& ExpectIssuer(absl::string_view issuer);
  JwtValidatorBuilder& IgnoreIssuer();
  // Repeatable: the token's "aud" (string or array) must contain one of
  // them. Without ExpectAudience or IgnoreAudiences a token carrying "aud"
  // is rejected, as in Tink: a token meant for someone must not be accepted
  // by a verifier that does not know who it is.
  JwtValidatorBuilder& ExpectAudience(absl::string_view audience);
  JwtValidatorBuilder& IgnoreAudiences();
  // The "typ" header must equal this (ASCII case-insensitively, as media
  // types compare); without it, "typ" is not checked.
  JwtValidatorBuilder& ExpectTypeHeader(absl::string_view type);
  JwtValidatorBuilder& RequireClaim(absl::string_view name);
  // At most 10 minutes; default zero.
  JwtValidatorBuilder& SetClockSkew(absl::Duration skew);
  // exp - iat must not exceed it; tokens must then carry both.
  JwtValidatorBuilder& SetMaxLifetime(absl::Duration lifetime);
  // Required and non-empty; repeated calls add to the set.
  JwtValidatorBuilder& AllowAlgorithms(const std::set<Algorithm>& algorithms);
  JwtValidatorBuilder& AllowMissingExpiration();
  // Default 8000 bytes (DESIGN.md §7).
  JwtValidatorBuilder& SetMaxTokenBytes(size_t max_bytes);

  absl::StatusOr<JwtValidator> Build() const;

 private:
  JwtValidator::Policy policy_;
  bool type_conflict_ = false;
};

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_JWT_VALIDATOR_H_
