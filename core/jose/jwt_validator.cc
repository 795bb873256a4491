#include "core/jose/jwt_validator.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"
#include "core/jose/jws.h"
#include "core/jose/raw_jwt.h"

namespace tokend::jose {
namespace {

using json = nlohmann::json;

constexpr absl::Duration kMaxClockSkew = absl::Minutes(10);
constexpr size_t kMaxTokenBytesLimit = 1 << 20;
constexpr int kHeaderDepth = 4;
constexpr int kPayloadDepth = 16;

absl::Status Malformed(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

absl::Status Rejected(absl::string_view message) {
  return absl::UnauthenticatedError(message);
}

// An attacker-chosen name, echoed only when short and printable.
std::string Printable(absl::string_view s) {
  if (s.size() > 16) return "(unrecognised)";
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return "(unrecognised)";
  }
  return std::string(s);
}

absl::StatusOr<std::optional<absl::Time>> TimeClaim(const json& claims,
                                                    const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<absl::Time>();
  if (!it->is_number()) {
    return Malformed(absl::StrCat("claim ", name, " is not a number"));
  }
  if (it->is_number_integer()) {
    // Unsigned values above INT64_MAX read back as negative: out of range.
    const int64_t v = it->get<int64_t>();
    if (v < 0 || v > kMaxNumericDate ||
        (it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX)) {
      return Malformed(absl::StrCat("claim ", name, " is out of range"));
    }
    return std::optional<absl::Time>(absl::FromUnixSeconds(v));
  }
  const double v = it->get<double>();
  if (!(v >= 0 && v <= static_cast<double>(kMaxNumericDate))) {
    return Malformed(absl::StrCat("claim ", name, " is out of range"));
  }
  return std::optional<absl::Time>(absl::UnixEpoch() + absl::Seconds(v));
}

absl::Status CheckStringClaim(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it != claims.end() && !it->is_string()) {
    return Malformed(absl::StrCat("claim ", name, " is not a string"));
  }
  return absl::OkStatus();
}

// "aud" as a list, or InvalidArgument when it is neither a string nor a
// non-empty array of strings.
absl::StatusOr<std::vector<std::string>> Audiences(const json& aud) {
  std::vector<std::string> out;
  if (aud.is_string()) {
    out.push_back(aud.get<std::string>());
    return out;
  }
  if (!aud.is_array() || aud.empty()) {
    return Malformed("claim aud is not a string or an array of strings");
  }
  for (const json& a : aud) {
    if (!a.is_string()) {
      return Malformed("claim aud is not a string or an array of strings");
    }
    out.push_back(a.get<std::string>());
  }
  return out;
}

}  // namespace

absl::StatusOr<VerifiedJwt> JwtValidator::Verify(absl::string_view compact,
                                                 const JwkSet& keys,
                                                 absl::Time now) const {
  return VerifyImpl(compact, &keys, nullptr, nullptr, now);
}

absl::StatusOr<VerifiedJwt> JwtValidator::Verify(absl::string_view compact,
                                                 const Jwk& key,
                                                 absl::Time now) const {
  return VerifyImpl(compact, nullptr, &key, nullptr, now);
}

absl::StatusOr<VerifiedJwt> JwtValidator::Verify(absl::string_view compact,
                                                 KeyLookup lookup,
                                                 absl::Time now) const {
  return VerifyImpl(compact, nullptr, nullptr, &lookup, now);
}

absl::StatusOr<VerifiedJwt> JwtValidator::VerifyImpl(absl::string_view compact,
                                                     const JwkSet* keys,
                                                     const Jwk* key,
                                                     const KeyLookup* lookup,
                                                     absl::Time now) const {
  const Policy& p = policy_;
  // --- 1. Shape. ---
  if (compact.size() > p.max_token_bytes) return Malformed("token too large");
  const size_t dot1 = compact.find('.');
  const size_t dot2 = dot1 == absl::string_view::npos
                          ? absl::string_view::npos
                          : compact.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos ||
      compact.find('.', dot2 + 1) != absl::string_view::npos) {
    return Malformed("token must have three parts");
  }
  auto header_bytes = Base64UrlDecode(compact.substr(0, dot1));
  auto payload_bytes =
      Base64UrlDecode(compact.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = Base64UrlDecode(compact.substr(dot2 + 1));
  if (!header_bytes.ok()) return Malformed("header is not base64url");
  if (!payload_bytes.ok()) return Malformed("payload is not base64url");
  if (!signature.ok()) return Malformed("signature is not base64url");
  auto header =
      ParseJsonObject(*header_bytes, {p.max_token_bytes, kHeaderDepth});
  if (!header.ok()) return Malformed("header is not a JSON object");
  auto claims =
      ParseJsonObject(*payload_bytes, {p.max_token_bytes, kPayloadDepth});
  if (!claims.ok()) return Malformed("payload is not a JSON object");

  if (lookup != nullptr) {
    ASSIGN_OR_RETURN(key, (*lookup)(*header));
    if (key == nullptr) return absl::InternalError("key lookup gave no key");
  }

  // --- 2. Header. ---
  auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->is_string()) {
    return Malformed("header has no alg");
  }
  const std::string& alg_name = alg_it->get_ref<const std::string&>();
  auto alg = AlgorithmFromName(alg_name);
  if (!alg.ok() || p.algorithms.count(*alg) == 0) {
    return Rejected(
        absl::StrCat("algorithm not allowed: ", Printable(alg_name)));
  }
  if (header->contains("crit")) {
    return Rejected("unsupported crit header");
  }
  auto b64 = header->find("b64");
  if (b64 != header->end() && *b64 != true) {
    return Rejected("unencoded payload (b64) not supported");
  }
  std::string kid;
  auto kid_it = header->find("kid");
  if (kid_it != header->end()) {
    if (!kid_it->is_string()) return Malformed("kid is not a string");
    kid = kid_it->get<std::string>();
  }
  std::optional<std::string> typ;
  auto typ_it = header->find("typ");
  if (typ_it != header->end()) {
    if (!typ_it->is_string()) return Malformed("typ is not a string");
    typ = typ_it->get<std::string>();
  }

  // --- 3. Key. ---
  const Jwk* selected = nullptr;
  if (key != nullptr) {
    if (kid_it != header->end() && kid != key->kid()) {
      return Rejected("unknown kid");
    }
    selected = key;
  } else if (kid_it != header->end()) {
    selected = keys->Find(kid);
    if (selected == nullptr) return Rejected("unknown kid");
  } else {
    // No kid: only unambiguous when one key could have signed it.
    for (const Jwk& candidate : *keys) {
      if (candidate.algorithm() != *alg) continue;
      if (selected != nullptr) {
        return Rejected("token has no kid and several keys match");
      }
      selected = &candidate;
    }
    if (selected == nullptr) return Rejected("no key for algorithm");
  }
  if (selected->algorithm() != *alg) {
    return Rejected(absl::StrCat("algorithm does not match key: token ",
                                 AlgorithmName(*alg), ", key ",
                                 AlgorithmName(selected->algorithm())));
  }

  // --- 4. Signature. ---
  RETURN_IF_ERROR(
      internal::Verify(*selected, compact.substr(0, dot2), *signature));

  // --- 5. Claims. ---
  const json& c = *claims;
  ASSIGN_OR_RETURN(std::optional<absl::Time> exp, TimeClaim(c, "exp"));
  ASSIGN_OR_RETURN(std::optional<absl::Time> nbf, TimeClaim(c, "nbf"));
  ASSIGN_OR_RETURN(std::optional<absl::Time> iat, TimeClaim(c, "iat"));
  RETURN_IF_ERROR(CheckStringClaim(c, "iss"));
  RETURN_IF_ERROR(CheckStringClaim(c, "sub"));
  RETURN_IF_ERROR(CheckStringClaim(c, "jti"));
  std::optional<std::vector<std::string>> aud;
  if (auto it = c.find("aud"); it != c.end()) {
    ASSIGN_OR_RETURN(aud, Audiences(*it));
  }

  if (!exp.has_value() && !p.allow_missing_expiration) {
    return Rejected("token has no expiration");
  }
  if (exp.has_value() && now >= *exp + p.clock_skew) {
    return Rejected("token expired");
  }
  if (nbf.has_value() && now < *nbf - p.clock_skew) {
    return Rejected("token not yet valid");
  }
  if (iat.has_value() && *iat > now + p.clock_skew) {
    return Rejected("token issued in the future");
  }
  if (p.max_lifetime.has_value()) {
    if (!iat.has_value()) return Rejected("token has no iat");
    if (*exp - *iat > *p.max_lifetime) {
      return Rejected("token lifetime exceeds maximum");
    }
  }
  if (!p.ignore_issuer) {
    auto iss = c.find("iss");
    if (iss == c.end()) return Rejected("token has no issuer");
    if (std::find(p.issuers.begin(), p.issuers.end(),
                  iss->get_ref<const std::string&>()) == p.issuers.end()) {
      return Rejected("issuer mismatch");
    }
  }
  if (!p.ignore_audiences) {
    if (p.audiences.empty()) {
      if (aud.has_value()) {
        return Rejected("token has an audience but the verifier expects none");
      }
    } else {
      if (!aud.has_value()) return Rejected("token has no audience");
      const bool match =
          std::any_of(aud->begin(), aud->end(), [&](const std::string& a) {
            return std::find(p.audiences.begin(), p.audiences.end(), a) !=
                   p.audiences.end();
          });
      if (!match) return Rejected("audience mismatch");
    }
  }
  if (p.type_header.has_value()) {
    if (!typ.has_value()) return Rejected("token has no typ header");
    if (!absl::EqualsIgnoreCase(*typ, *p.type_header)) {
      return Rejected("typ header mismatch");
    }
  }
  for (const std::string& name : p.required_claims) {
    if (!c.contains(name)) {
      return Rejected(absl::StrCat("missing required claim: ", name));
    }
  }
  return VerifiedJwt(*std::move(claims), std::move(kid), *alg, std::move(typ));
}

JwtValidatorBuilder& JwtValidatorBuilder::ExpectIssuer(
    absl::string_view issuer) {
  policy_.issuers.emplace_back(issuer);
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::IgnoreIssuer() {
  policy_.ignore_issuer = true;
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::ExpectAudience(
    absl::string_view audience) {
  policy_.audiences.emplace_back(audience);
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::IgnoreAudiences() {
  policy_.ignore_audiences = true;
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::ExpectTypeHeader(
    absl::string_view type) {
  if (policy_.type_header.has_value() && *policy_.type_header != type) {
    type_conflict_ = true;
  }
  policy_.type_header = std::string(type);
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::RequireClaim(absl::string_view name) {
  policy_.required_claims.emplace_back(name);
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::SetClockSkew(absl::Duration skew) {
  policy_.clock_skew = skew;
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::SetMaxLifetime(
    absl::Duration lifetime) {
  policy_.max_lifetime = lifetime;
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::AllowAlgorithms(
    const std::set<Algorithm>& algorithms) {
  policy_.algorithms.insert(algorithms.begin(), algorithms.end());
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::AllowMissingExpiration() {
  policy_.allow_missing_expiration = true;
  return *this;
}

JwtValidatorBuilder& JwtValidatorBuilder::SetMaxTokenBytes(size_t max_bytes) {
  policy_.max_token_bytes = max_bytes;
  return *this;
}

absl::StatusOr<JwtValidator> JwtValidatorBuilder::Build() const {
  const JwtValidator::Policy& p = policy_;
  if (p.algorithms.empty()) {
    return absl::InvalidArgumentError("AllowAlgorithms() is required");
  }
  if (p.ignore_issuer == !p.issuers.empty()) {
    return absl::InvalidArgumentError(
        p.ignore_issuer
            ? "ExpectIssuer() and IgnoreIssuer() contradict each other"
            : "one of ExpectIssuer() or IgnoreIssuer() is required");
  }
  if (p.ignore_audiences && !p.audiences.empty()) {
    return absl::InvalidArgumentError(
        "ExpectAudience() and IgnoreAudiences() contradict each other");
  }
  if (type_conflict_) {
    return absl::InvalidArgumentError(
        "ExpectTypeHeader() called with different types");
  }
  if (p.clock_skew < absl::ZeroDuration() || p.clock_skew > kMaxClockSkew) {
    return absl::InvalidArgumentError("clock skew must be within 0..10 min");
  }
  if (p.max_lifetime.has_value()) {
    if (*p.max_lifetime <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("max lifetime must be positive");
    }
    if (p.allow_missing_expiration) {
      return absl::InvalidArgumentError(
          "SetMaxLifetime() and AllowMissingExpiration() contradict each "
          "other");
    }
  }
  if (p.max_token_bytes == 0 || p.max_token_bytes > kMaxTokenBytesLimit) {
    return absl::InvalidArgumentError("max token bytes must be 1..1 MiB");
  }
  for (const std::string& name : p.required_claims) {
    if (name.empty()) {
      return absl::InvalidArgumentError("required claim name is empty");
    }
  }
  return JwtValidator(p);
}

}  // namespace tokend::jose
