#include "core/jose/verified_jwt.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokend::jose {
namespace {

absl::Status Missing(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("claim ", name, " not present"));
}

absl::Status WrongType(absl::string_view name, absl::string_view type) {
  return absl::InvalidArgumentError(
      absl::StrCat("claim ", name, " is not a ", type));
}

}  // namespace

const nlohmann::json* VerifiedJwt::Find(absl::string_view name) const {
  auto it = claims_.find(std::string(name));
  return it == claims_.end() ? nullptr : &*it;
}

bool VerifiedJwt::HasClaim(absl::string_view name) const {
  return Find(name) != nullptr;
}

bool VerifiedJwt::IsNullClaim(absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  return v != nullptr && v->is_null();
}

absl::StatusOr<std::string> VerifiedJwt::GetTypeHeader() const {
  if (!type_header_.has_value()) {
    return absl::NotFoundError("typ header not present");
  }
  return *type_header_;
}

absl::StatusOr<std::string> VerifiedJwt::GetStringClaim(
    absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Missing(name);
  if (!v->is_string()) return WrongType(name, "string");
  return v->get<std::string>();
}

absl::StatusOr<double> VerifiedJwt::GetNumberClaim(
    absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Missing(name);
  if (!v->is_number()) return WrongType(name, "number");
  return v->get<double>();
}

absl::StatusOr<int64_t> VerifiedJwt::GetIntegerClaim(
    absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Missing(name);
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() &&
        v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return WrongType(name, "64-bit integer");
    }
    return v->get<int64_t>();
  }
  return WrongType(name, "integer");
}

absl::StatusOr<bool> VerifiedJwt::GetBoolClaim(absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Missing(name);
  if (!v->is_boolean()) return WrongType(name, "boolean");
  return v->get<bool>();
}

absl::StatusOr<nlohmann::json> VerifiedJwt::GetJsonClaim(
    absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Missing(name);
  return *v;
}

absl::StatusOr<std::string> VerifiedJwt::GetIssuer() const {
  return GetStringClaim("iss");
}

absl::StatusOr<std::string> VerifiedJwt::GetSubject() const {
  return GetStringClaim("sub");
}

absl::StatusOr<std::string> VerifiedJwt::GetJwtId() const {
  return GetStringClaim("jti");
}

absl::StatusOr<std::vector<std::string>> VerifiedJwt::GetAudiences() const {
  const nlohmann::json* v = Find("aud");
  if (v == nullptr) return Missing("aud");
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) return WrongType("aud", "string or array");
  for (const nlohmann::json& a : *v) {
    if (!a.is_string()) return WrongType("aud", "array of strings");
    out.push_back(a.get<std::string>());
  }
  return out;
}

absl::StatusOr<absl::Time> VerifiedJwt::GetTime(absl::string_view name) const {
  const nlohmann::json* v = Find(name);
  if (v == nullptr) return Missing(name);
  if (!v->is_number()) return WrongType(name, "number");
  // The validator has checked the range (1970..9999).
  if (v->is_number_integer()) return absl::FromUnixSeconds(v->get<int64_t>());
  return absl::UnixEpoch() + absl::Seconds(v->get<double>());
}

absl::StatusOr<absl::Time> VerifiedJwt::GetIssuedAt() const {
  return GetTime("iat");
}

absl::StatusOr<absl::Time> VerifiedJwt::GetNotBefore() const {
  return GetTime("nbf");
}

absl::StatusOr<absl::Time> VerifiedJwt::GetExpiration() const {
  return GetTime("exp");
}

}  // namespace tokend::jose
