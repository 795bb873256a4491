// Session tokens (DESIGN §2.2): the default Clerk-shaped session token and
// tokens rendered from JWT templates, for an active session of a user.
//
// Default token: RS256 (the keyring's "session" slot), header {alg, typ, kid},
// claims azp (the request's Origin, when given), exp = iat + 60 s (or
// expires_in), iat, iss, jti, nbf = iat - skew, sid, sub (user id), v = 2.
// Template token: the template's rendered claims plus azp, exp = iat +
// lifetime, iat, iss, jti, nbf = iat - allowed_clock_skew, sub; signed with
// the keyring's session key, or the template's own key (no kid of ours).
//
// Only active, unexpired sessions of existing users get tokens; anything else
// is NotFound "Session not found" (Clerk answers a revoked or ended session
// the same way). Lookups read the store; sessions and compiled templates are
// cached briefly (`cache_ttl`), and Invalidate* drops an entry at once; the
// server calls it for every committed change (server/cache_invalidator.h),
// so a revocation takes effect on the next request.
#ifndef TOKEND_CORE_SESSIONS_SESSION_TOKENS_H_
#define TOKEND_CORE_SESSIONS_SESSION_TOKENS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/bounded_cache.h"
#include "core/common/clock.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "core/keys/token_family.h"
#include "core/sessions/firebase_custom_token.h"
#include "core/sessions/jwt_template.h"
#include "core/store/jwt_template_store.h"
#include "core/store/records.h"
#include "core/store/session_store.h"
#include "core/store/user_store.h"
#include "nlohmann/json.hpp"

namespace tokend::sessions {

// Bounds of expires_in_seconds (Clerk's BAPI) and of template lifetimes.
inline constexpr int64_t kMinTokenLifetimeSeconds = 30;
inline constexpr int64_t kMaxTokenLifetimeSeconds = 315'360'000;
using keys::kHasuraClaimsNamespace;
// Largest rendered template payload (JSON bytes) that is signed.
inline constexpr size_t kMaxRenderedClaimsBytes = 32 * 1024;

// Associated data sealing a template's custom signing key (its private JWK
// JSON) to that template.
std::string SealingContextForTemplate(absl::string_view template_id);

struct SessionTokenOptions {
  std::string issuer;
  absl::Duration default_lifetime = absl::Seconds(60);
  // nbf = iat - skew for the default token.
  absl::Duration default_skew = absl::Seconds(5);
  // How long a session or template read from the store is reused.
  absl::Duration cache_ttl = absl::Seconds(1);
  // While the store is unreachable, a session or template read less than
  // cache_ttl + outage_grace ago still serves (a change the change feed
  // announced before the outage is never bridged: its entry is gone).
  absl::Duration outage_grace = absl::ZeroDuration();
  // Signs IssueFirebase's tokens; null when no Firebase service account is
  // configured.
  std::shared_ptr<const FirebaseTokenSigner> firebase;
};

struct IssueRequest {
  std::string session_id;
  std::string origin;  // the request's Origin header ("" if none) -> azp
  std::optional<int64_t> expires_in_seconds;
};

class SessionTokenIssuer {
 public:
  // What the issuer reads; one backend usually provides all three.
  struct Stores {
    store::SessionStore* sessions = nullptr;
    store::UserStore* users = nullptr;
    store::JwtTemplateStore* templates = nullptr;
  };

  // `sealer` unseals templates' custom signing keys. Pointers must outlive
  // the issuer. InvalidArgument without an issuer.
  static absl::StatusOr<std::unique_ptr<SessionTokenIssuer>> Create(
      Stores stores, const keys::Keyring* keyring, const keys::Sealer* sealer,
      const Clock* clock, SessionTokenOptions options);

  absl::StatusOr<std::string> IssueDefault(const IssueRequest& request) const;
  absl::StatusOr<std::string> IssueFromTemplate(
      const IssueRequest& request, absl::string_view template_name) const;
  // Hasura's claims (https://hasura.io/jwt/claims: x-hasura-default-role,
  // x-hasura-allowed-roles with the default inside, x-hasura-user-id), roles
  // from the user's public metadata hasura_roles / hasura_default_role
  // (default ["user"] / "user"); signed like the default token.
  absl::StatusOr<std::string> IssueHasura(const IssueRequest& request) const;
  // A Firebase custom token for the session's user (uid = user id), signed
  // with the configured service account (FailedPrecondition without one);
  // its lifetime is always Firebase's 1 h, so expires_in_seconds is refused.
  absl::StatusOr<std::string> IssueFirebase(const IssueRequest& request) const;

  // The active session whose client token this is (NotFound otherwise).
  absl::StatusOr<store::SessionRecord> SessionForClientToken(
      absl::string_view client_token) const;
  // The active session and its user (NotFound "Session not found").
  struct ActiveSession {
    store::SessionRecord session;
    store::UserRecord user;
    // TemplateContext(user, session), built once per store read rather than
    // per token (it parses the user's metadata JSON).
    std::shared_ptr<const nlohmann::json> context;
  };
  absl::StatusOr<ActiveSession> FindActiveSession(
      absl::string_view session_id) const;

  void InvalidateSession(absl::string_view session_id) const;
  // Drops every cached session of the user (a scan; deleting a user is rare).
  void InvalidateUser(absl::string_view user_id) const;
  // Templates are cached by name, changes arrive by id: a change drops them
  // all (templates change rarely).
  void InvalidateAllTemplates() const;
  // Sessions, users and templates alike.
  void InvalidateAll() const;

  // {"user": {...}, "session": {...}}: what template shortcodes resolve in.
  static nlohmann::json TemplateContext(const store::UserRecord& user,
                                        const store::SessionRecord& session);

 private:
  SessionTokenIssuer(Stores stores, const keys::Keyring* keyring,
                     const keys::Sealer* sealer, const Clock* clock,
                     SessionTokenOptions options);

  struct CachedTemplate {
    store::JwtTemplateRecord record;
    std::shared_ptr<const CompiledTemplate> compiled;
    // Set for a custom signing key.
    std::shared_ptr<const jose::JwtSigner> signer;
  };
  absl::StatusOr<std::shared_ptr<const CachedTemplate>> LoadTemplate(
      absl::string_view name) const;
  // Adds what every keyring-signed session-shaped token carries (typ, iss,
  // sub, iat, nbf, exp, jti, azp) to `builder`'s own claims and signs.
  absl::StatusOr<std::string> SignWithSessionKey(
      const ActiveSession& active, const IssueRequest& request,
      absl::Duration lifetime, jose::RawJwtBuilder&& builder) const;
  absl::StatusOr<absl::Duration> Lifetime(
      const std::optional<int64_t>& expires_in_seconds,
      absl::Duration fallback) const;

  const Stores stores_;
  const keys::Keyring* const keyring_;
  const keys::Sealer* const sealer_;
  const Clock* const clock_;
  const SessionTokenOptions options_;

  struct CachedSession {
    ActiveSession value;
  };
  // The session and its user from the store (cached), or through an outage
  // a copy read less than StaleLimit() ago.
  absl::StatusOr<std::shared_ptr<const CachedSession>> ReadSession(
      absl::string_view session_id) const;
  absl::Duration StaleLimit() const {
    return options_.cache_ttl + options_.outage_grace;
  }
  static constexpr size_t kMaxCachedSessions = 100'000;
  static constexpr size_t kMaxCachedTemplates = 10'000;
  // By session id and by template name.
  mutable BoundedCache<CachedSession> sessions_;
  mutable BoundedCache<CachedTemplate> templates_;
};

}  // namespace tokend::sessions

#endif  // TOKEND_CORE_SESSIONS_SESSION_TOKENS_H_
