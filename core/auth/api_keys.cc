#include "core/auth/api_keys.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/common/status_macros.h"

namespace tokend::auth {
namespace {

constexpr size_t kMaxNameBytes = 100;
constexpr size_t kMaxSecretBytes = 256;

absl::Status ValidateName(absl::string_view name) {
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError("name: at most 100 characters");
  }
  for (char c : name) {
    if (!absl::ascii_isprint(c)) {
      return absl::InvalidArgumentError("name: printable ASCII only");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<store::ApiKeySurface> ApiKeyManager::IssuableSurface(
    absl::string_view name) {
  const std::optional<store::ApiKeySurface> surface =
      store::ParseApiKeySurface(name);
  if (surface == store::ApiKeySurface::kSessions ||
      surface == store::ApiKeySurface::kScoped) {
    return *surface;
  }
  return absl::InvalidArgumentError(
      "surface: must be \"sessions\" or \"scoped\"");
}

absl::StatusOr<absl::string_view> ApiKeyManager::SecretPrefix(
    absl::string_view surface) {
  ASSIGN_OR_RETURN(store::ApiKeySurface parsed, IssuableSurface(surface));
  return parsed == store::ApiKeySurface::kSessions ? absl::string_view("sk_")
                                                   : absl::string_view("sck_");
}

absl::StatusOr<NewApiKey> ApiKeyManager::Create(absl::string_view surface,
                                                absl::string_view name) {
  ASSIGN_OR_RETURN(store::ApiKeySurface parsed, IssuableSurface(surface));
  ASSIGN_OR_RETURN(absl::string_view prefix, SecretPrefix(surface));
  RETURN_IF_ERROR(ValidateName(name));
  NewApiKey key;
  ASSIGN_OR_RETURN(key.secret, GenerateSecret(prefix));
  ASSIGN_OR_RETURN(std::string id_suffix, GenerateSecret("", 12));
  key.record.id = absl::StrCat("ak_", id_suffix);
  key.record.surface = parsed;
  key.record.name = std::string(name);
  key.record.display_prefix = DisplayPrefix(key.secret);
  key.record.secret_hash = HashSecret(key.secret);
  key.record.created_at = clock_->Now();
  RETURN_IF_ERROR(store_->InsertApiKey(key.record));
  return key;
}

absl::StatusOr<store::ApiKeyRecord> ApiKeyManager::Authenticate(
    absl::string_view secret, store::ApiKeySurface surface) {
  return AuthenticateHashed(secret, HashSecret(secret), surface);
}

absl::StatusOr<store::ApiKeyRecord> ApiKeyManager::AuthenticateHashed(
    absl::string_view secret, absl::string_view hash,
    store::ApiKeySurface surface) {
  const absl::Status invalid = absl::UnauthenticatedError("invalid API key");
  if (secret.empty() || secret.size() > kMaxSecretBytes) return invalid;

  std::shared_ptr<const store::ApiKeyRecord> record = cache_.Get(hash);
  if (record == nullptr) {
    auto ticket = cache_.Begin();
    auto found = store_->FindApiKeyByHash(hash);
    if (absl::IsNotFound(found.status())) return invalid;
    if (found.ok()) {
      record = std::make_shared<const store::ApiKeyRecord>(*std::move(found));
      cache_.Put(hash, record, ticket);
    } else if (IsOutage(found.status())) {
      record = cache_.GetStale(hash, stale_limit_);
      if (record == nullptr) return found.status();
    } else {
      return found.status();
    }
  }
  // Lookups are keyed by the secret's SHA-256, so their timing can reveal
  // bits of a hash at most, never of the secret.
  if (record->revoked_at || record->surface != surface) {
    return invalid;
  }
  return *record;
}

absl::StatusOr<std::vector<store::ApiKeyRecord>> ApiKeyManager::List(
    absl::string_view surface_filter) {
  if (surface_filter.empty()) return store_->ListApiKeys(std::nullopt);
  ASSIGN_OR_RETURN(store::ApiKeySurface surface,
                   IssuableSurface(surface_filter));
  return store_->ListApiKeys(surface);
}

absl::StatusOr<store::ApiKeyRecord> ApiKeyManager::Revoke(
    absl::string_view id) {
  RETURN_IF_ERROR(store_->RevokeApiKey(id, clock_->Now()));
  Forget(id);
  ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> all,
                   store_->ListApiKeys(std::nullopt));
  for (auto& record : all) {
    if (record.id == id) return std::move(record);
  }
  return absl::NotFoundError("API key not found");
}

void ApiKeyManager::ForgetAll() { cache_.Clear(); }

void ApiKeyManager::Forget(absl::string_view id) {
  cache_.EraseIf(
      [id](const store::ApiKeyRecord& record) { return record.id == id; });
}

}  // namespace tokend::auth
