// Clerk's SSR handshake (Frontend API GET /v1/client/handshake): when a
// server-rendered app's __session cookie has expired, @clerk/backend's
// authenticateRequest sends the browser here; the browser brings the
// __client cookie, and goes back to the app with a fresh session token.
//
// The answer is the "token" form the SDK accepts for any `format` it asked
// for: redirect_url with `__clerk_handshake=<JWT>` added to its query, the
// JWT (RS256, the keyring's session key, so the SDK verifies it against
// /v1/jwks) carrying {"handshake": [Set-Cookie strings]} that the SDK hands
// to the browser:
//   signed in   __session=<a fresh default session token, azp = the
//               redirect's origin>; __client_uat=<now, seconds>
//   signed out  (no __client cookie, or its session ended) __session cleared,
//               __client_uat=0
// Cookies are Path=/; SameSite=Lax, Secure when redirect_url is https;
// neither is HttpOnly: clerk-js reads them. (Clerk's "nonce" form needs the
// directives stored for a Backend API call to fetch; the token form is
// stateless, which N replicas want.)
//
// redirect_url must be an absolute http(s) URL on an allowed origin (no
// open redirect), of printable ASCII and at most kMaxRedirectUrlBytes.
#ifndef TOKEND_CORE_SESSIONS_CLIENT_HANDSHAKE_H_
#define TOKEND_CORE_SESSIONS_CLIENT_HANDSHAKE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/common/clock.h"
#include "core/keys/keyring.h"
#include "core/sessions/authorized_parties.h"
#include "core/sessions/session_tokens.h"

namespace tokend::sessions {

inline constexpr size_t kMaxRedirectUrlBytes = 2048;

class ClientHandshake {
 public:
  // Pointers must outlive the handshake. `issuer_url` is the tokens' iss.
  ClientHandshake(const SessionTokenIssuer* issuer,
                  const keys::Keyring* keyring,
                  const AuthorizedParties* parties, const Clock* clock,
                  std::string issuer_url);

  // Where to send the browser: redirect_url carrying the handshake token.
  // `client_token` is the __client cookie ("" if none). InvalidArgument for
  // a redirect_url not allowed; store failures as they are (an outage does
  // not sign anyone out).
  absl::StatusOr<std::string> Redirect(absl::string_view client_token,
                                       absl::string_view redirect_url) const;

 private:
  // The Set-Cookie strings the handshake carries.
  absl::StatusOr<std::vector<std::string>> Directives(
      absl::string_view client_token, absl::string_view origin,
      bool secure) const;

  const SessionTokenIssuer* const issuer_;
  const keys::Keyring* const keyring_;
  const AuthorizedParties* const parties_;
  const Clock* const clock_;
  const std::string issuer_url_;
};

}  // namespace tokend::sessions

#endif  // TOKEND_CORE_SESSIONS_CLIENT_HANDSHAKE_H_
