#include "core/jose/raw_jwt.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/bounded_json.h"

namespace tokend::jose {
namespace {

using json = nlohmann::json;

// Claim values supplied as text get the same bounds as token payloads.
constexpr JsonLimits kClaimLimits{/*max_bytes=*/16384, /*max_depth=*/15};

// nlohmann serialises NaN and infinities as null; refuse them instead.
bool AllNumbersFinite(const json& value) {
  if (value.is_number_float()) return std::isfinite(value.get<double>());
  if (value.is_structured()) {
    for (const json& child : value) {
      if (!AllNumbersFinite(child)) return false;
    }
  }
  return true;
}

}  // namespace

bool IsRegisteredClaimName(absl::string_view name) {
  return name == "iss" || name == "sub" || name == "aud" || name == "exp" ||
         name == "nbf" || name == "iat" || name == "jti";
}

RawJwt::RawJwt(nlohmann::json claims, std::string payload_json,
               std::optional<std::string> type_header)
    : claims_(std::move(claims)),
      payload_json_(std::move(payload_json)),
      type_header_(std::move(type_header)) {}

bool RawJwt::HasClaim(absl::string_view name) const {
  return claims_.find(std::string(name)) != claims_.end();
}

void RawJwtBuilder::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

void RawJwtBuilder::SetRegistered(const char* name, json value) {
  claims_[name] = std::move(value);
}

RawJwtBuilder& RawJwtBuilder::SetTypeHeader(absl::string_view type) {
  if (!IsValidUtf8(type)) {
    Fail(absl::InvalidArgumentError("typ header is not valid UTF-8"));
  } else {
    type_header_ = std::string(type);
  }
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetIssuer(absl::string_view issuer) {
  if (!IsValidUtf8(issuer)) {
    Fail(absl::InvalidArgumentError("iss is not valid UTF-8"));
  } else {
    SetRegistered("iss", std::string(issuer));
  }
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetSubject(absl::string_view subject) {
  if (!IsValidUtf8(subject)) {
    Fail(absl::InvalidArgumentError("sub is not valid UTF-8"));
  } else {
    SetRegistered("sub", std::string(subject));
  }
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetAudience(absl::string_view audience) {
  if (claims_.contains("aud")) {
    Fail(absl::InvalidArgumentError("aud set twice"));
  } else if (!IsValidUtf8(audience)) {
    Fail(absl::InvalidArgumentError("aud is not valid UTF-8"));
  } else {
    SetRegistered("aud", std::string(audience));
  }
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetAudiences(
    const std::vector<std::string>& audiences) {
  if (claims_.contains("aud")) {
    Fail(absl::InvalidArgumentError("aud set twice"));
    return *this;
  }
  if (audiences.empty()) {
    Fail(absl::InvalidArgumentError("audiences must not be empty"));
    return *this;
  }
  json array = json::array();
  for (const std::string& a : audiences) {
    if (!IsValidUtf8(a)) {
      Fail(absl::InvalidArgumentError("aud is not valid UTF-8"));
      return *this;
    }
    array.push_back(a);
  }
  SetRegistered("aud", std::move(array));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetJwtId(absl::string_view jwt_id) {
  if (!IsValidUtf8(jwt_id)) {
    Fail(absl::InvalidArgumentError("jti is not valid UTF-8"));
  } else {
    SetRegistered("jti", std::string(jwt_id));
  }
  return *this;
}

void RawJwtBuilder::SetTime(const char* name, absl::Time t) {
  // absl::ToUnixSeconds rounds towards negative infinity (floor).
  const int64_t seconds = absl::ToUnixSeconds(t);
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture() || seconds < 0 ||
      seconds > kMaxNumericDate) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat(name, " is outside 1970..9999")));
    return;
  }
  SetRegistered(name, seconds);
}

RawJwtBuilder& RawJwtBuilder::SetIssuedAt(absl::Time t) {
  SetTime("iat", t);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetNotBefore(absl::Time t) {
  SetTime("nbf", t);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetExpiration(absl::Time t) {
  expiration_set_ = true;
  SetTime("exp", t);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::WithoutExpiration() {
  without_expiration_ = true;
  return *this;
}

void RawJwtBuilder::AddPrivate(absl::string_view name, json value) {
  if (IsRegisteredClaimName(name)) {
    Fail(absl::InvalidArgumentError(absl::StrCat(
        "claim ", name, " is registered; use its dedicated setter")));
    return;
  }
  if (!IsValidUtf8(name)) {
    Fail(absl::InvalidArgumentError("claim name is not valid UTF-8"));
    return;
  }
  claims_[std::string(name)] = std::move(value);
}

RawJwtBuilder& RawJwtBuilder::AddStringClaim(absl::string_view name,
                                             absl::string_view value) {
  if (!IsValidUtf8(value)) {
    Fail(absl::InvalidArgumentError("claim value is not valid UTF-8"));
    return *this;
  }
  AddPrivate(name, std::string(value));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddNumberClaim(absl::string_view name,
                                             double value) {
  if (!std::isfinite(value)) {
    Fail(absl::InvalidArgumentError("claim value is not a finite number"));
    return *this;
  }
  AddPrivate(name, value);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddIntegerClaim(absl::string_view name,
                                              int64_t value) {
  AddPrivate(name, value);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddBoolClaim(absl::string_view name, bool value) {
  AddPrivate(name, value);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddNullClaim(absl::string_view name) {
  AddPrivate(name, nullptr);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddJsonObjectClaim(
    absl::string_view name, absl::string_view json_object) {
  auto parsed = ParseJsonObject(json_object, kClaimLimits);
  if (!parsed.ok()) {
    Fail(parsed.status());
    return *this;
  }
  AddPrivate(name, *std::move(parsed));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddJsonObjectClaim(absl::string_view name,
                                                 const nlohmann::json& object) {
  if (!object.is_object()) {
    Fail(absl::InvalidArgumentError("claim value is not a JSON object"));
    return *this;
  }
  AddPrivate(name, object);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddJsonArrayClaim(absl::string_view name,
                                                absl::string_view json_array) {
  auto parsed = ParseJsonValue(json_array, kClaimLimits);
  if (!parsed.ok()) {
    Fail(parsed.status());
    return *this;
  }
  return AddJsonArrayClaim(name, *parsed);
}

RawJwtBuilder& RawJwtBuilder::AddJsonArrayClaim(absl::string_view name,
                                                const nlohmann::json& array) {
  if (!array.is_array()) {
    Fail(absl::InvalidArgumentError("claim value is not a JSON array"));
    return *this;
  }
  AddPrivate(name, array);
  return *this;
}

absl::StatusOr<RawJwt> RawJwtBuilder::Build() const& {
  ASSIGN_OR_RETURN(std::string payload, Payload());
  return RawJwt(claims_, std::move(payload), type_header_);
}

absl::StatusOr<RawJwt> RawJwtBuilder::Build() && {
  ASSIGN_OR_RETURN(std::string payload, Payload());
  return RawJwt(std::move(claims_), std::move(payload),
                std::move(type_header_));
}

absl::StatusOr<std::string> RawJwtBuilder::Payload() const {
  if (!status_.ok()) return status_;
  if (expiration_set_ == without_expiration_) {
    return absl::InvalidArgumentError(
        expiration_set_
            ? "both SetExpiration() and WithoutExpiration() were called"
            : "neither SetExpiration() nor WithoutExpiration() was called");
  }
  // Values handed in as nlohmann::json may hold invalid UTF-8 or non-finite
  // numbers; find out here rather than when signing.
  if (!AllNumbersFinite(claims_)) {
    return absl::InvalidArgumentError("claims hold a non-finite number");
  }
  try {
    return claims_.dump();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError("claims are not valid JSON text");
  }
}

}  // namespace tokend::jose
