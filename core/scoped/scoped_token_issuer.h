// Scoped client tokens (DESIGN §2.3), Courier's issue-token: a backend holding
// a "scoped" API key mints a JWT bound to one user and a few capabilities,
// for a browser or mobile client.
//
// Token: the keyring's "scoped" slot (ES256 by default), header {alg, kid,
// typ: "JWT"}, claims iss, sub (the first user_id; absent when the scope
// names no user), scope (ParseScope's normalised string), iat, exp = iat +
// expires_in, jti.
#ifndef TOKEND_CORE_SCOPED_SCOPED_TOKEN_ISSUER_H_
#define TOKEND_CORE_SCOPED_SCOPED_TOKEN_ISSUER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/keys/keyring.h"

namespace tokend::scoped {

// A year as vercel/ms counts it (365.25 days): "1y" is the documented
// default maximum, and must be accepted.
inline constexpr absl::Duration kDefaultMaxExpiresIn = absl::Hours(8766);

struct ScopedTokenOptions {
  std::string issuer;  // Required.
  // Longest expires_in accepted; at most the scoped slot's
  // max_token_lifetime (so no token outlives its key's publication).
  absl::Duration max_expires_in = kDefaultMaxExpiresIn;
};

struct ScopedToken {
  std::string token;
  absl::Time expires_at;  // == exp.
};

class ScopedTokenIssuer {
 public:
  // InvalidArgument for bad options; NotFound without a "scoped" slot.
  // Pointers must outlive the issuer.
  static absl::StatusOr<std::unique_ptr<ScopedTokenIssuer>> Create(
      const keys::Keyring* keyring, const Clock* clock,
      ScopedTokenOptions options);

  // InvalidArgument naming the bad scope or expires_in (scope.h,
  // duration.h); Unavailable while the slot has no active key.
  absl::StatusOr<ScopedToken> Issue(absl::string_view scope,
                                    absl::string_view expires_in) const;

  const ScopedTokenOptions& options() const { return options_; }

 private:
  ScopedTokenIssuer(const keys::Keyring* keyring, const Clock* clock,
                    ScopedTokenOptions options)
      : keyring_(keyring), clock_(clock), options_(std::move(options)) {}

  const keys::Keyring* const keyring_;
  const Clock* const clock_;
  const ScopedTokenOptions options_;
};

}  // namespace tokend::scoped

#endif  // TOKEND_CORE_SCOPED_SCOPED_TOKEN_ISSUER_H_
