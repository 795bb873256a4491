// RawJwt: the unsigned claims of a JWT (RFC 7519), built only by
// RawJwtBuilder and signed only by JwtSigner (Tink's model).
//
// The builder refuses what would make an ambiguous or unsafe token: it needs
// an explicit expiration decision (SetExpiration or WithoutExpiration, not
// both), keeps the registered claims (iss sub aud exp nbf iat jti) behind
// their typed setters, and accepts NumericDate times between 1970 and 9999
// only, truncated to whole seconds (floor). Errors are collected and reported
// by Build(), so setters chain.
//
// Claims are kept as JSON text, not as a DOM: a token's claims are written
// once, so the builder writes each value's text as it is set and Build()
// joins them, in name order, into the same bytes nlohmann's dump() of the
// equivalent object gives.
#ifndef TOKEND_CORE_JOSE_RAW_JWT_H_
#define TOKEND_CORE_JOSE_RAW_JWT_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::jose {

class RawJwtBuilder;

class RawJwt {
 public:
  // The claims as compact JSON, exactly the bytes that get signed.
  const std::string& GetJsonPayload() const { return payload_json_; }

  bool HasTypeHeader() const { return type_header_.has_value(); }
  const std::optional<std::string>& type_header() const { return type_header_; }

  // These read the payload back (not on any issuing path).
  bool HasExpiration() const { return HasClaim("exp"); }
  bool HasClaim(absl::string_view name) const;

 private:
  friend class RawJwtBuilder;
  RawJwt(std::string payload_json, std::optional<std::string> type_header);

  std::string payload_json_;
  std::optional<std::string> type_header_;
};

class RawJwtBuilder {
 public:
  RawJwtBuilder() = default;

  // The "typ" JOSE header (e.g. "JWT", "at+jwt"); absent unless set.
  RawJwtBuilder& SetTypeHeader(absl::string_view type);
  RawJwtBuilder& SetIssuer(absl::string_view issuer);
  RawJwtBuilder& SetSubject(absl::string_view subject);
  // "aud" as a single string.
  RawJwtBuilder& SetAudience(absl::string_view audience);
  // "aud" as an array (non-empty); cannot be combined with SetAudience.
  RawJwtBuilder& SetAudiences(const std::vector<std::string>& audiences);
  RawJwtBuilder& SetJwtId(absl::string_view jwt_id);
  RawJwtBuilder& SetIssuedAt(absl::Time t);
  RawJwtBuilder& SetNotBefore(absl::Time t);
  RawJwtBuilder& SetExpiration(absl::Time t);
  RawJwtBuilder& WithoutExpiration();

  // Private claims; registered names are refused.
  RawJwtBuilder& AddStringClaim(absl::string_view name,
                                absl::string_view value);
  // Finite numbers only.
  RawJwtBuilder& AddNumberClaim(absl::string_view name, double value);
  RawJwtBuilder& AddIntegerClaim(absl::string_view name, int64_t value);
  RawJwtBuilder& AddBoolClaim(absl::string_view name, bool value);
  RawJwtBuilder& AddNullClaim(absl::string_view name);
  // A JSON object, as text (bounded parse) or as a value.
  RawJwtBuilder& AddJsonObjectClaim(absl::string_view name,
                                    absl::string_view json_object);
  // (These two only resolve text arguments unambiguously.)
  RawJwtBuilder& AddJsonObjectClaim(absl::string_view name,
                                    const char* json_object) {
    return AddJsonObjectClaim(name, absl::string_view(json_object));
  }
  RawJwtBuilder& AddJsonObjectClaim(absl::string_view name,
                                    const std::string& json_object) {
    return AddJsonObjectClaim(name, absl::string_view(json_object));
  }
  RawJwtBuilder& AddJsonObjectClaim(absl::string_view name,
                                    const nlohmann::json& object);
  // A JSON array, as text (bounded parse) or as a value.
  RawJwtBuilder& AddJsonArrayClaim(absl::string_view name,
                                   absl::string_view json_array);
  RawJwtBuilder& AddJsonArrayClaim(absl::string_view name,
                                   const char* json_array) {
    return AddJsonArrayClaim(name, absl::string_view(json_array));
  }
  RawJwtBuilder& AddJsonArrayClaim(absl::string_view name,
                                   const std::string& json_array) {
    return AddJsonArrayClaim(name, absl::string_view(json_array));
  }
  RawJwtBuilder& AddJsonArrayClaim(absl::string_view name,
                                   const nlohmann::json& array);

  // The first error any setter met, or a RawJwt.
  absl::StatusOr<RawJwt> Build() const&;
  // The same, moving the type header out: std::move(builder).Build().
  absl::StatusOr<RawJwt> Build() &&;

 private:
  // A claim's name and its value as compact JSON text.
  struct Claim {
    std::string name;
    std::string value_json;
  };

  // The order of claims_ (byte-wise by name).
  static bool NameBefore(const Claim& claim, absl::string_view name);
  void Fail(absl::Status status);
  // The claims as JSON text, or the first error.
  absl::StatusOr<std::string> Payload() const;
  bool Has(absl::string_view name) const;
  // Sets (or replaces) a claim; `value_json` must be valid JSON text.
  void Set(absl::string_view name, std::string value_json);
  void SetString(const char* name, absl::string_view value);
  void SetTime(const char* name, absl::Time t);
  void AddPrivate(absl::string_view name, std::string value_json);
  void AddPrivateJson(absl::string_view name, const nlohmann::json& value);

  std::vector<Claim> claims_;  // Sorted by name, names unique.
  std::optional<std::string> type_header_;
  bool expiration_set_ = false;
  bool without_expiration_ = false;
  absl::Status status_;
};

// True for iss, sub, aud, exp, nbf, iat, jti (RFC 7519 §4.1).
bool IsRegisteredClaimName(absl::string_view name);

// NumericDate bounds shared by the builder and the validator.
inline constexpr int64_t kMaxNumericDate = 253402300799;  // 9999-12-31.

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_RAW_JWT_H_
