// TokenVerifier: the policy behind VerificationService/Verify. A token is
// valid when it was signed by a key the keyring publishes (selected by kid,
// algorithm bound to the key), carries this server's issuer, is inside its
// validity window (with a small skew) and, when an audience is asked for,
// names it. Later issues add revocation (IAM Revoke, revoked sessions).
#ifndef TOKEND_CORE_VERIFY_TOKEN_VERIFIER_H_
#define TOKEND_CORE_VERIFY_TOKEN_VERIFIER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/jose/jwt_validator.h"
#include "core/jose/verified_jwt.h"
#include "core/keys/keyring.h"

namespace tokend::verify {

class TokenVerifier {
 public:
  static absl::StatusOr<TokenVerifier> Create(
      const keys::Keyring* keyring, std::string issuer, const Clock* clock,
      absl::Duration clock_skew = absl::Seconds(30));

  // `audience` empty: the token's audience is not checked.
  absl::StatusOr<jose::VerifiedJwt> Verify(absl::string_view token,
                                           absl::string_view audience) const;

 private:
  TokenVerifier(const keys::Keyring* keyring, const Clock* clock,
                jose::JwtValidator any_audience)
      : keyring_(keyring),
        clock_(clock),
        any_audience_(std::move(any_audience)) {}

  const keys::Keyring* keyring_;
  const Clock* clock_;
  jose::JwtValidator any_audience_;
};

}  // namespace tokend::verify

#endif  // TOKEND_CORE_VERIFY_TOKEN_VERIFIER_H_
