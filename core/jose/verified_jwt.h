// VerifiedJwt: the claims of a token whose signature, algorithm, times,
// issuer, audience and required claims a JwtValidator has checked. Only
// JwtValidator can create one, so holding a VerifiedJwt means "verified".
//
// Typed getters return NotFound when a claim is absent and InvalidArgument
// when it has another JSON type.
#ifndef TOKEND_CORE_JOSE_VERIFIED_JWT_H_
#define TOKEND_CORE_JOSE_VERIFIED_JWT_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jose/algorithm.h"

namespace tokend::jose {

class JwtValidator;

class VerifiedJwt {
 public:
  // The kid header of the token ("" when it had none) and the algorithm of
  // the key that verified it.
  const std::string& kid() const { return kid_; }
  Algorithm algorithm() const { return alg_; }
  bool HasTypeHeader() const { return type_header_.has_value(); }
  absl::StatusOr<std::string> GetTypeHeader() const;

  bool HasIssuer() const { return HasClaim("iss"); }
  absl::StatusOr<std::string> GetIssuer() const;
  bool HasSubject() const { return HasClaim("sub"); }
  absl::StatusOr<std::string> GetSubject() const;
  bool HasAudiences() const { return HasClaim("aud"); }
  // A string "aud" yields one element.
  absl::StatusOr<std::vector<std::string>> GetAudiences() const;
  bool HasJwtId() const { return HasClaim("jti"); }
  absl::StatusOr<std::string> GetJwtId() const;
  bool HasIssuedAt() const { return HasClaim("iat"); }
  absl::StatusOr<absl::Time> GetIssuedAt() const;
  bool HasNotBefore() const { return HasClaim("nbf"); }
  absl::StatusOr<absl::Time> GetNotBefore() const;
  bool HasExpiration() const { return HasClaim("exp"); }
  absl::StatusOr<absl::Time> GetExpiration() const;

  bool HasClaim(absl::string_view name) const;
  bool IsNullClaim(absl::string_view name) const;
  absl::StatusOr<std::string> GetStringClaim(absl::string_view name) const;
  absl::StatusOr<double> GetNumberClaim(absl::string_view name) const;
  absl::StatusOr<int64_t> GetIntegerClaim(absl::string_view name) const;
  absl::StatusOr<bool> GetBoolClaim(absl::string_view name) const;
  // Objects and arrays (and any other value) as a JSON value.
  absl::StatusOr<nlohmann::json> GetJsonClaim(absl::string_view name) const;

  // All claims, re-serialised compactly (not the signed bytes).
  std::string GetJsonPayload() const { return claims_.dump(); }
  const nlohmann::json& claims() const { return claims_; }

 private:
  friend class JwtValidator;
  VerifiedJwt(nlohmann::json claims, std::string kid, Algorithm alg,
              std::optional<std::string> type_header)
      : claims_(std::move(claims)),
        kid_(std::move(kid)),
        alg_(alg),
        type_header_(std::move(type_header)) {}

  const nlohmann::json* Find(absl::string_view name) const;
  absl::StatusOr<absl::Time> GetTime(absl::string_view name) const;

  nlohmann::json claims_;
  std::string kid_;
  Algorithm alg_;
  std::optional<std::string> type_header_;
};

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_VERIFIED_JWT_H_
