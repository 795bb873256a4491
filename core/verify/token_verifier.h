// TokenVerifier: the policy behind VerificationService/Verify. A token is
// valid when it was signed by a key the keyring publishes (selected by kid,
// algorithm bound to the key), carries this server's issuer, is inside its
// validity window (with a small skew) and, when an audience is asked for,
// names it, when a family is asked for, is of it (core/keys/token_family.h),
// and its jti (when it has one) is not revoked according to the revocation
// check, if one is set (IAM Revoke), nor its session ended (sid, tkd_sid).
// A token's stated family must be one its key's slot signs, whatever is
// asked; a token from before families had the claim is judged by its slot
// and claims.
#ifndef TOKEND_CORE_VERIFY_TOKEN_VERIFIER_H_
#define TOKEND_CORE_VERIFY_TOKEN_VERIFIER_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/jose/jwt_validator.h"
#include "core/jose/verified_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/token_family.h"

namespace tokend::verify {

class TokenVerifier {
 public:
  // Whether a token id has been revoked; errors are passed through.
  using RevocationCheck =
      std::function<absl::StatusOr<bool>(absl::string_view jti)>;
  // Whether the session a token names (its "sid") still holds: OK, or the
  // reason it does not (NotFound for a revoked, ended or expired session).
  using SessionCheck = std::function<absl::Status(absl::string_view sid)>;

  static absl::StatusOr<TokenVerifier> Create(
      const keys::Keyring* keyring, std::string issuer, const Clock* clock,
      absl::Duration clock_skew = absl::Seconds(30));

  // `audience` empty: the token's audience is not checked; `family` unset:
  // nor its family. A revoked token is UNAUTHENTICATED "token revoked".
  absl::StatusOr<jose::VerifiedJwt> Verify(
      absl::string_view token, absl::string_view audience,
      std::optional<keys::TokenFamily> family = std::nullopt) const;

  // Consulted for every token that carries a jti. Not thread-safe with
  // Verify(): set it before the verifier is shared.
  void SetRevocationCheck(RevocationCheck check) {
    revocation_check_ = std::move(check);
  }
  // Consulted for every token that carries a string "sid" (session tokens)
  // or "tkd_sid" (template and Hasura tokens);
  // a failed check is UNAUTHENTICATED "session is not active". Set it before
  // the verifier is shared.
  void SetSessionCheck(SessionCheck check) {
    session_check_ = std::move(check);
  }

 private:
  TokenVerifier(const keys::Keyring* keyring, const Clock* clock,
                jose::JwtValidator any_audience)
      : keyring_(keyring),
        clock_(clock),
        any_audience_(std::move(any_audience)) {}

  const keys::Keyring* keyring_;
  const Clock* clock_;
  jose::JwtValidator any_audience_;
  RevocationCheck revocation_check_;
  SessionCheck session_check_;
};

}  // namespace tokend::verify

#endif  // TOKEND_CORE_VERIFY_TOKEN_VERIFIER_H_
