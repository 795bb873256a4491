#include "core/iam/authorized_keys.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/iam/ids.h"
#include "core/jose/bounded_json.h"

namespace tokend::iam {
namespace {

constexpr char kExplanatoryPrefix[] =
    "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID ";

// Optional string member: "" when absent; InvalidArgument when not a string.
absl::StatusOr<std::string> StringMember(const nlohmann::json& obj,
                                         const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file: ", name, " is not a string"));
  }
  return it->get<std::string>();
}

}  // namespace

absl::string_view KeyAlgorithmName(KeyAlgorithm alg) {
  return store::AuthorizedKeyAlgorithmName(alg);
}

absl::StatusOr<KeyAlgorithm> KeyAlgorithmFromName(absl::string_view name) {
  if (std::optional<KeyAlgorithm> alg =
          store::ParseAuthorizedKeyAlgorithm(name)) {
    return *alg;
  }
  return absl::InvalidArgumentError(
      "key_algorithm must be RSA_2048 or RSA_4096");
}

std::string ExplanatoryLine(absl::string_view key_id) {
  return absl::StrCat(kExplanatoryPrefix, key_id);
}

absl::StatusOr<CreatedAuthorizedKey> CreateAuthorizedKey(
    store::ServiceAccountStore* store, const Clock& clock,
    absl::string_view service_account_id, KeyAlgorithm algorithm,
    absl::string_view description) {
  ASSIGN_OR_RETURN(store::ServiceAccountRecord account,
                   store->GetServiceAccount(service_account_id));
  if (account.deleted_at.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("service account '", service_account_id, "' is deleted"));
  }
  const int bits = algorithm == KeyAlgorithm::kRsa4096 ? 4096 : 2048;
  ASSIGN_OR_RETURN(jose::Jwk jwk,
                   jose::Jwk::GenerateRsa(jose::Algorithm::kPs256, bits));
  CreatedAuthorizedKey out;
  ASSIGN_OR_RETURN(out.key.id, NewResourceId());
  out.key.service_account_id = std::string(service_account_id);
  out.key.description = std::string(description);
  out.key.key_algorithm = algorithm;
  ASSIGN_OR_RETURN(out.key.public_key_pem, jwk.ToPublicPem());
  // Stored times are microseconds; keep the record equal to what is read.
  out.key.created_at = absl::FromUnixMicros(absl::ToUnixMicros(clock.Now()));
  ASSIGN_OR_RETURN(out.private_key_pem, jwk.ToPrivatePem());
  RETURN_IF_ERROR(store->InsertAuthorizedKey(out.key));
  out.key_file_json = KeyFileJson(out.key, out.private_key_pem);
  return out;
}

std::string KeyFileJson(const store::AuthorizedKeyRecord& key,
                        absl::string_view private_key_pem) {
  std::string private_key =
      absl::StartsWith(private_key_pem, "-----BEGIN")
          ? absl::StrCat(ExplanatoryLine(key.id), "\n", private_key_pem)
          : std::string(private_key_pem);
  // Key order as in the public format.
  nlohmann::ordered_json file;
  file["id"] = key.id;
  file["service_account_id"] = key.service_account_id;
  // RFC 3339 in UTC with "Z", as the public API writes it.
  file["created_at"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", key.created_at,
                                        absl::UTCTimeZone());
  file["key_algorithm"] = KeyAlgorithmName(key.key_algorithm);
  file["public_key"] = key.public_key_pem;
  file["private_key"] = std::move(private_key);
  return file.dump(2);
}

absl::StatusOr<AuthorizedKeyFile> ParseKeyFile(absl::string_view json) {
  jose::JsonLimits limits;
  limits.max_bytes = 64 * 1024;
  auto obj = jose::ParseJsonObject(json, limits);
  if (!obj.ok()) {
    return absl::InvalidArgumentError("key file is not a JSON object");
  }
  // Jwk has no empty state: fields are read first, the file built last.
  struct {
    std::string id, service_account_id, key_algorithm, public_key_pem,
        private_key_pem;
    absl::Time created_at = absl::UnixEpoch();
  } out;
  ASSIGN_OR_RETURN(out.id, StringMember(*obj, "id"));
  ASSIGN_OR_RETURN(out.service_account_id,
                   StringMember(*obj, "service_account_id"));
  if (out.service_account_id.empty()) {
    ASSIGN_OR_RETURN(out.service_account_id,
                     StringMember(*obj, "user_account_id"));
  }
  ASSIGN_OR_RETURN(std::string created_at, StringMember(*obj, "created_at"));
  ASSIGN_OR_RETURN(out.key_algorithm, StringMember(*obj, "key_algorithm"));
  ASSIGN_OR_RETURN(out.public_key_pem, StringMember(*obj, "public_key"));
  ASSIGN_OR_RETURN(out.private_key_pem, StringMember(*obj, "private_key"));
  if (out.id.empty()) return absl::InvalidArgumentError("key file: no id");
  if (out.service_account_id.empty()) {
    return absl::InvalidArgumentError("key file: no service_account_id");
  }
  if (out.private_key_pem.empty()) {
    return absl::InvalidArgumentError("key file: no private_key");
  }
  if (!created_at.empty()) {
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, created_at, &out.created_at,
                         &err)) {
      return absl::InvalidArgumentError("key file: created_at is not RFC 3339");
    }
  }
  if (!out.key_algorithm.empty()) {
    RETURN_IF_ERROR(KeyAlgorithmFromName(out.key_algorithm).status());
  }
  // Jwk::FromPem ignores text before "-----BEGIN" (the explanatory line).
  auto key = jose::Jwk::FromPem(out.private_key_pem, jose::Algorithm::kPs256);
  if (!key.ok() || !key->has_private()) {
    return absl::InvalidArgumentError(
        "key file: private_key is not a PKCS#8 RSA private key");
  }
  jose::Jwk private_key = key->WithKid(out.id);
  if (!out.public_key_pem.empty()) {
    auto pub = jose::Jwk::FromPem(out.public_key_pem, jose::Algorithm::kPs256);
    if (!pub.ok()) {
      return absl::InvalidArgumentError(
          "key file: public_key is not an RSA public key");
    }
    auto a = pub->Thumbprint();
    auto b = private_key.Thumbprint();
    if (!a.ok() || !b.ok() || *a != *b) {
      return absl::InvalidArgumentError(
          "key file: public_key does not match private_key");
    }
  }
  return AuthorizedKeyFile{out.id,
                           out.service_account_id,
                           out.created_at,
                           out.key_algorithm,
                           out.public_key_pem,
                           out.private_key_pem,
                           std::move(private_key)};
}

}  // namespace tokend::iam
