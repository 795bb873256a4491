// The origins a deployment's browser apps run on (--allowed_origins), in the
// three places Clerk uses them: CORS on the Frontend API (server/cors.h),
// the `azp` ("authorized party") claim of session tokens, which
// @clerk/backend's verifyToken checks against its `authorizedParties`, and
// where the SSR handshake may send a browser back to.
//
// azp, with a list:
//   Frontend API: the request's Origin when listed; no Origin (native apps)
//     gives no azp; an unlisted Origin is PermissionDenied: a token naming
//     an origin the deployment never allowed is refused, not minted.
//   Backend API: the request's Origin when listed, else the first listed
//     origin (the app's own): servers send no Origin, and a token without
//     azp fails verifyToken whenever authorizedParties is set.
// Without a list both give the Origin as sent, or none, as before.
#ifndef TOKEND_CORE_SESSIONS_AUTHORIZED_PARTIES_H_
#define TOKEND_CORE_SESSIONS_AUTHORIZED_PARTIES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::sessions {

inline constexpr size_t kMaxAllowedOrigins = 100;
inline constexpr size_t kMaxOriginBytes = 256;

class AuthorizedParties {
 public:
  // `origins`: "scheme://host[:port]" each (http or https), as browsers send
  // Origin: no path, user info or trailing slash. InvalidArgument naming a
  // malformed one, or for more than kMaxAllowedOrigins.
  static absl::StatusOr<AuthorizedParties> Create(
      const std::vector<std::string>& origins);
  AuthorizedParties() = default;

  bool empty() const { return ordered_.empty(); }
  // Case-insensitive, as scheme and host are.
  bool Allows(absl::string_view origin) const;

  absl::StatusOr<std::string> AzpForFrontend(absl::string_view origin) const;
  std::string AzpForBackend(absl::string_view origin) const;

  // The origin of `url`, an absolute http(s) URL whose origin is listed
  // (lowercased, as the list holds it); InvalidArgument otherwise, and
  // FailedPrecondition when there is no list at all.
  absl::StatusOr<std::string> AllowedOriginOf(absl::string_view url) const;

 private:
  std::vector<std::string> ordered_;  // lowercased, as given
  absl::flat_hash_set<std::string> set_;
};

}  // namespace tokend::sessions

#endif  // TOKEND_CORE_SESSIONS_AUTHORIZED_PARTIES_H_
