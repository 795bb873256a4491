#include "core/jose/raw_jwt.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

RawJwt::RawJwt(std::string payload_json, std::optional<std::string> type_header)
    : payload_json_(std::move(payload_json)),
      type_header_(std::move(type_header)) {}

bool RawJwt::HasClaim(absl::string_view name) const {
  // Bounded by what the builder wrote, not by what a token may hold.
  auto claims = ParseJsonObject(
      payload_json_, {payload_json_.size(), std::numeric_limits<int>::max()});
  return claims.ok() && claims->contains(name);
}

void RawJwtBuilder::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

bool RawJwtBuilder::NameBefore(const Claim& claim, absl::string_view name) {
  return claim.name < name;
}

bool RawJwtBuilder::Has(absl::string_view name) const {
  auto it = std::lower_bound(claims_.begin(), claims_.end(), name, NameBefore);
  return it != claims_.end() && it->name == name;
}

void RawJwtBuilder::Set(absl::string_view name, std::string value_json) {
  // Name order (byte-wise, as std::map orders nlohmann's objects) keeps the
  // payload independent of the order of the setters.
  // Reserved before `it` is taken: reserving would invalidate it.
  if (claims_.empty()) claims_.reserve(12);
  auto it = std::lower_bound(claims_.begin(), claims_.end(), name, NameBefore);
  if (it != claims_.end() && it->name == name) {
    it->value_json = std::move(value_json);
    return;
  }
  claims_.insert(it, Claim{std::string(name), std::move(value_json)});
}

void RawJwtBuilder::SetString(const char* name, absl::string_view value) {
  if (!IsValidUtf8(value)) {
    Fail(absl::InvalidArgumentError(absl::StrCat(name, " is not valid UTF-8")));
    return;
  }
  std::string text;
  AppendJsonString(value, &text);
  Set(name, std::move(text));
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
  SetString("iss", issuer);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetSubject(absl::string_view subject) {
  SetString("sub", subject);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetAudience(absl::string_view audience) {
  if (Has("aud")) {
    Fail(absl::InvalidArgumentError("aud set twice"));
  } else {
    SetString("aud", audience);
  }
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetAudiences(
    const std::vector<std::string>& audiences) {
  if (Has("aud")) {
    Fail(absl::InvalidArgumentError("aud set twice"));
    return *this;
  }
  if (audiences.empty()) {
    Fail(absl::InvalidArgumentError("audiences must not be empty"));
    return *this;
  }
  std::string array = "[";
  for (const std::string& a : audiences) {
    if (!IsValidUtf8(a)) {
      Fail(absl::InvalidArgumentError("aud is not valid UTF-8"));
      return *this;
    }
    if (array.size() > 1) array.push_back(',');
    AppendJsonString(a, &array);
  }
  array.push_back(']');
  Set("aud", std::move(array));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::SetJwtId(absl::string_view jwt_id) {
  SetString("jti", jwt_id);
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
  Set(name, absl::StrCat(seconds));
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

void RawJwtBuilder::AddPrivate(absl::string_view name, std::string value_json) {
  if (IsRegisteredClaimName(name)) {
    Fail(absl::InvalidArgumentError(absl::StrCat(
        "claim ", name, " is registered; use its dedicated setter")));
    return;
  }
  if (!IsValidUtf8(name)) {
    Fail(absl::InvalidArgumentError("claim name is not valid UTF-8"));
    return;
  }
  Set(name, std::move(value_json));
}

void RawJwtBuilder::AddPrivateJson(absl::string_view name,
                                   const nlohmann::json& value) {
  // Values handed in as nlohmann::json may hold invalid UTF-8 (dump throws)
  // or non-finite numbers (dump writes null); refuse both here.
  if (!AllNumbersFinite(value)) {
    Fail(absl::InvalidArgumentError("claim value holds a non-finite number"));
    return;
  }
  std::string text;
  try {
    text = value.dump();
  } catch (const nlohmann::json::exception&) {
    Fail(absl::InvalidArgumentError("claim value is not valid JSON text"));
    return;
  }
  AddPrivate(name, std::move(text));
}

RawJwtBuilder& RawJwtBuilder::AddStringClaim(absl::string_view name,
                                             absl::string_view value) {
  if (!IsValidUtf8(value)) {
    Fail(absl::InvalidArgumentError("claim value is not valid UTF-8"));
    return *this;
  }
  std::string text;
  AppendJsonString(value, &text);
  AddPrivate(name, std::move(text));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddNumberClaim(absl::string_view name,
                                             double value) {
  if (!std::isfinite(value)) {
    Fail(absl::InvalidArgumentError("claim value is not a finite number"));
    return *this;
  }
  AddPrivateJson(name, json(value));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddIntegerClaim(absl::string_view name,
                                              int64_t value) {
  AddPrivate(name, absl::StrCat(value));
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddBoolClaim(absl::string_view name, bool value) {
  AddPrivate(name, value ? "true" : "false");
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddNullClaim(absl::string_view name) {
  AddPrivate(name, "null");
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddJsonObjectClaim(
    absl::string_view name, absl::string_view json_object) {
  auto parsed = ParseJsonObject(json_object, kClaimLimits);
  if (!parsed.ok()) {
    Fail(parsed.status());
    return *this;
  }
  AddPrivateJson(name, *parsed);
  return *this;
}

RawJwtBuilder& RawJwtBuilder::AddJsonObjectClaim(absl::string_view name,
                                                 const nlohmann::json& object) {
  if (!object.is_object()) {
    Fail(absl::InvalidArgumentError("claim value is not a JSON object"));
    return *this;
  }
  AddPrivateJson(name, object);
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
  AddPrivateJson(name, array);
  return *this;
}

absl::StatusOr<RawJwt> RawJwtBuilder::Build() const& {
  ASSIGN_OR_RETURN(std::string payload, Payload());
  return RawJwt(std::move(payload), type_header_);
}

absl::StatusOr<RawJwt> RawJwtBuilder::Build() && {
  ASSIGN_OR_RETURN(std::string payload, Payload());
  return RawJwt(std::move(payload), std::move(type_header_));
}

absl::StatusOr<std::string> RawJwtBuilder::Payload() const {
  if (!status_.ok()) return status_;
  if (expiration_set_ == without_expiration_) {
    return absl::InvalidArgumentError(
        expiration_set_
            ? "both SetExpiration() and WithoutExpiration() were called"
            : "neither SetExpiration() nor WithoutExpiration() was called");
  }
  size_t size = 2;
  for (const Claim& c : claims_) {
    size += c.name.size() + c.value_json.size() + 4;  // "name":value,
  }
  std::string out;
  out.reserve(size + 8);  // Room for escapes in names, rarely needed.
  out.push_back('{');
  for (const Claim& c : claims_) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(c.name, &out);
    out.push_back(':');
    out.append(c.value_json);
  }
  out.push_back('}');
  return out;
}

}  // namespace tokend::jose
