#include "core/sessions/firebase_custom_token.h"

#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/algorithm.h"
#include "core/jose/bounded_json.h"
#include "core/jose/jwk.h"
#include "core/jose/raw_jwt.h"

namespace tokend::sessions {
namespace {

// firebase-admin's token-generator BLACKLISTED_CLAIMS.
constexpr std::array<absl::string_view, 14> kReservedDeveloperClaims = {
    "acr",    "amr", "at_hash", "aud", "auth_time", "azp", "cnf",
    "c_hash", "exp", "iat",     "iss", "jti",       "nbf", "nonce"};

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("Firebase service account key file: ", message));
}

// The member as a non-empty string, or an error naming it.
absl::StatusOr<std::string> StringMember(const nlohmann::json& file,
                                         const char* name) {
  auto it = file.find(name);
  if (it == file.end() || !it->is_string() ||
      it->get_ref<const std::string&>().empty()) {
    return Invalid(absl::StrCat("\"", name, "\" must be a non-empty string"));
  }
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<FirebaseTokenSigner>>
FirebaseTokenSigner::FromKeyFile(absl::string_view json) {
  if (json.size() > kMaxServiceAccountFileBytes) {
    return Invalid(
        absl::StrCat("larger than ", kMaxServiceAccountFileBytes, " bytes"));
  }
  absl::StatusOr<nlohmann::json> file = jose::ParseJsonObject(json);
  if (!file.ok()) return Invalid("not a JSON object");
  ASSIGN_OR_RETURN(std::string type, StringMember(*file, "type"));
  if (type != "service_account") {
    return Invalid("\"type\" must be \"service_account\"");
  }
  ASSIGN_OR_RETURN(std::string email, StringMember(*file, "client_email"));
  if (email.size() > 320 || !absl::StrContains(email, '@')) {
    return Invalid("\"client_email\" is not an email address");
  }
  ASSIGN_OR_RETURN(std::string pem, StringMember(*file, "private_key"));
  // Never quote the parser's detail: it could echo key material.
  absl::StatusOr<jose::Jwk> key =
      jose::Jwk::FromPem(pem, jose::Algorithm::kRs256);
  if (!key.ok() || !key->has_private()) {
    return Invalid(
        "\"private_key\" must be an unencrypted PKCS#8 PEM RSA private key "
        "of at least 2048 bits");
  }
  // No kid: firebase-admin sends none (Google looks the key up by iss).
  ASSIGN_OR_RETURN(std::unique_ptr<jose::JwtSigner> signer,
                   jose::JwtSigner::Create(key->WithKid("")));
  return std::unique_ptr<FirebaseTokenSigner>(
      new FirebaseTokenSigner(std::move(email), std::move(signer)));
}

FirebaseTokenSigner::FirebaseTokenSigner(
    std::string client_email, std::unique_ptr<jose::JwtSigner> signer)
    : client_email_(std::move(client_email)), signer_(std::move(signer)) {}

absl::StatusOr<std::string> FirebaseTokenSigner::Sign(
    absl::string_view uid, absl::Time now,
    const nlohmann::json& developer_claims) const {
  if (uid.empty() || uid.size() > kMaxFirebaseUidLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a Firebase uid must be 1 to ", kMaxFirebaseUidLength, " characters"));
  }
  if (!developer_claims.is_null() && !developer_claims.is_object()) {
    return absl::InvalidArgumentError(
        "Firebase developer claims must be a JSON object");
  }
  const absl::Time iat = absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  jose::RawJwtBuilder builder;
  builder.SetTypeHeader("JWT")
      .SetAudience(kFirebaseCustomTokenAudience)
      .SetIssuedAt(iat)
      .SetExpiration(iat + kFirebaseCustomTokenLifetime)
      .SetIssuer(client_email_)
      .SetSubject(client_email_)
      .AddStringClaim("uid", uid);
  if (developer_claims.is_object() && !developer_claims.empty()) {
    for (absl::string_view reserved : kReservedDeveloperClaims) {
      if (developer_claims.contains(std::string(reserved))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Firebase developer claim \"", reserved, "\" is reserved"));
      }
    }
    builder.AddJsonObjectClaim("claims", developer_claims);
  }
  ASSIGN_OR_RETURN(jose::RawJwt raw, builder.Build());
  return signer_->SignAndEncode(raw);
}

}  // namespace tokend::sessions
