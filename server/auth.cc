#include "server/auth.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "core/auth/secrets.h"

namespace tokend::server {

absl::StatusOr<absl::string_view> BearerCredential(
    const grpc::ServerContextBase& context) {
  const auto& md = context.client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return BearerCredential(std::nullopt);
  return BearerCredential(
      absl::string_view(it->second.data(), it->second.size()));
}

absl::StatusOr<absl::string_view> BearerCredential(
    std::optional<absl::string_view> authorization) {
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(
        "missing credentials: send authorization: Bearer <credential>");
  }
  absl::string_view value = *authorization;
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(value, kScheme)) {
    return absl::UnauthenticatedError(
        "authorization metadata must use the Bearer scheme");
  }
  absl::string_view credential = value.substr(kScheme.size());
  if (credential.size() > kMaxCredentialBytes) {
    return absl::UnauthenticatedError("credential too long");
  }
  return credential;
}

AdminAuthenticator::AdminAuthenticator(absl::string_view admin_key)
    : admin_key_hash_(auth::HashSecret(admin_key)) {}

absl::Status AdminAuthenticator::Check(
    const grpc::ServerContextBase& context) const {
  auto credential = BearerCredential(context);
  if (!credential.ok()) return credential.status();
  if (!Matches(*credential)) {
    return absl::UnauthenticatedError("invalid admin credential");
  }
  return absl::OkStatus();
}

bool AdminAuthenticator::Matches(absl::string_view credential) const {
  return MatchesHash(auth::HashSecret(credential));
}

bool AdminAuthenticator::MatchesHash(absl::string_view credential_hash) const {
  return auth::HashesEqual(credential_hash, admin_key_hash_);
}

}  // namespace tokend::server
