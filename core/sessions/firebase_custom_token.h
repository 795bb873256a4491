// Firebase custom tokens (DESIGN §2.2): what `signInWithCustomToken` takes,
// signed with a Firebase (Google) service account's own key, exactly as
// firebase-admin's token-generator writes them:
//   header  {"alg":"RS256","typ":"JWT"}  (no kid: Google finds the key by iss)
//   claims  aud = kFirebaseCustomTokenAudience, iat, exp = iat + 3600,
//           iss = sub = the service account's client_email, uid, and
//           optionally `claims` (developer claims; reserved names refused).
#ifndef TOKEND_CORE_SESSIONS_FIREBASE_CUSTOM_TOKEN_H_
#define TOKEND_CORE_SESSIONS_FIREBASE_CUSTOM_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jose/jwt_signer.h"
#include "nlohmann/json.hpp"

namespace tokend::sessions {

inline constexpr char kFirebaseCustomTokenAudience[] =
    "https://identitytoolkit.googleapis.com/"
    "google.identity.identitytoolkit.v1.IdentityToolkit";
inline constexpr absl::Duration kFirebaseCustomTokenLifetime = absl::Hours(1);
inline constexpr size_t kMaxFirebaseUidLength = 128;
// A service-account key file is about 2.3 KB; anything far larger is not one.
inline constexpr size_t kMaxServiceAccountFileBytes = 64 * 1024;

class FirebaseTokenSigner {
 public:
  // A Google service-account key file (JSON with "type":"service_account",
  // "client_email", "private_key" as PKCS#8 PEM of an RSA key of at least
  // 2048 bits; other members are ignored). Errors are InvalidArgument and
  // never quote the key.
  static absl::StatusOr<std::unique_ptr<FirebaseTokenSigner>> FromKeyFile(
      absl::string_view json);

  // `developer_claims` is null or a JSON object whose members may not use
  // the names firebase-admin reserves (acr, amr, at_hash, aud, auth_time,
  // azp, cnf, c_hash, exp, iat, iss, jti, nbf, nonce); InvalidArgument for a
  // uid outside 1..128 characters.
  absl::StatusOr<std::string> Sign(
      absl::string_view uid, absl::Time now,
      const nlohmann::json& developer_claims = nullptr) const;

  const std::string& client_email() const { return client_email_; }

 private:
  FirebaseTokenSigner(std::string client_email,
                      std::unique_ptr<jose::JwtSigner> signer);

  const std::string client_email_;
  const std::unique_ptr<jose::JwtSigner> signer_;
};

}  // namespace tokend::sessions

#endif  // TOKEND_CORE_SESSIONS_FIREBASE_CUSTOM_TOKEN_H_
