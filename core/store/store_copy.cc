#include "core/store/store_copy.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tokend::store {
namespace {

// Sessions are listed per user, a page at a time.
constexpr int64_t kSessionPage = 1000;
// Revocations live at most as long as the longest IAM token (12 h); this is
// far above what that allows at any real rate, and bounds the read.
constexpr int64_t kMaxRevocations = 10'000'000;

absl::Status Context(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat("copying ", what, ": ", status.message()));
}

}  // namespace

absl::StatusOr<CopyCounts> CopyStore(Backend& from, Backend& to,
                                     absl::Time now) {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> existing,
                   to.ListSigningKeys());
  if (!existing.empty()) {
    return absl::FailedPreconditionError(
        "the destination already has signing keys: copy into an empty "
        "database");
  }
  CopyCounts n;

  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> keys, from.ListSigningKeys());
  for (const SigningKeyRecord& rec : keys) {
    RETURN_IF_ERROR(Context(to.InsertSigningKey(rec), "signing key"));
    ++n.signing_keys;
  }

  ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> api_keys,
                   from.ListApiKeys(std::nullopt));
  for (const ApiKeyRecord& rec : api_keys) {
    RETURN_IF_ERROR(Context(to.InsertApiKey(rec), "API key"));
    ++n.api_keys;
  }

  ASSIGN_OR_RETURN(std::vector<ServiceAccountRecord> accounts,
                   from.ListServiceAccounts());
  for (const ServiceAccountRecord& account : accounts) {
    RETURN_IF_ERROR(
        Context(to.InsertServiceAccount(account), "service account"));
    ++n.service_accounts;
    ASSIGN_OR_RETURN(std::vector<AuthorizedKeyRecord> authorized,
                     from.ListAuthorizedKeys(account.id));
    for (const AuthorizedKeyRecord& rec : authorized) {
      RETURN_IF_ERROR(Context(to.InsertAuthorizedKey(rec), "authorized key"));
      ++n.authorized_keys;
    }
  }

  ASSIGN_OR_RETURN(std::vector<OAuthTokenRecord> oauth, from.ListOAuthTokens());
  for (const OAuthTokenRecord& rec : oauth) {
    RETURN_IF_ERROR(Context(to.InsertOAuthToken(rec), "OAuth token"));
    ++n.oauth_tokens;
  }

  ASSIGN_OR_RETURN(std::vector<RevokedTokenRecord> revoked,
                   from.ListRevokedTokens(now, kMaxRevocations));
  for (const RevokedTokenRecord& rec : revoked) {
    RETURN_IF_ERROR(Context(to.InsertRevokedToken(rec), "revocation"));
    ++n.revoked_tokens;
  }

  ASSIGN_OR_RETURN(std::vector<std::string> user_ids, from.ListUserIds());
  for (const std::string& id : user_ids) {
    ASSIGN_OR_RETURN(UserRecord user, from.GetUser(id));
    RETURN_IF_ERROR(Context(to.InsertUser(user), "user"));
    ++n.users;
    for (int64_t offset = 0;; offset += kSessionPage) {
      ASSIGN_OR_RETURN(
          std::vector<SessionRecord> sessions,
          from.ListSessions(id, std::nullopt, kSessionPage, offset));
      for (const SessionRecord& rec : sessions) {
        RETURN_IF_ERROR(Context(to.InsertSession(rec), "session"));
        ++n.sessions;
      }
      if (static_cast<int64_t>(sessions.size()) < kSessionPage) break;
    }
  }

  ASSIGN_OR_RETURN(std::vector<JwtTemplateRecord> templates,
                   from.ListJwtTemplates());
  for (const JwtTemplateRecord& rec : templates) {
    RETURN_IF_ERROR(Context(to.InsertJwtTemplate(rec), "JWT template"));
    ++n.jwt_templates;
  }
  return n;
}

}  // namespace tokend::store
