// Caller authentication for the gRPC services: bearer credentials from the
// `authorization` metadata, and the admin check. Every failure is
// UNAUTHENTICATED and says what was wrong without echoing the credential.
#ifndef TOKEND_SERVER_AUTH_H_
#define TOKEND_SERVER_AUTH_H_

#include <grpcpp/server_context.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::server {

// Longest credential accepted in `authorization` (an IAM token is ≤ 8000).
inline constexpr size_t kMaxCredentialBytes = 8192;

// The credential of `authorization: Bearer <credential>` (scheme matched
// case-insensitively). The view points into the context's metadata.
absl::StatusOr<absl::string_view> BearerCredential(
    const grpc::ServerContextBase& context);
// The same from the metadata's value (nullopt: no `authorization`).
absl::StatusOr<absl::string_view> BearerCredential(
    std::optional<absl::string_view> authorization);

// Admits the holder of the admin key. Holds only the key's hash.
class AdminAuthenticator {
 public:
  explicit AdminAuthenticator(absl::string_view admin_key);
  absl::Status Check(const grpc::ServerContextBase& context) const;
  // Whether `credential` is the admin key (compared as SHA-256 digests in
  // constant time).
  bool Matches(absl::string_view credential) const;
  // The same for a credential's auth::HashSecret, computed once by a caller
  // that also looks it up as an API key.
  bool MatchesHash(absl::string_view credential_hash) const;

 private:
  std::string admin_key_hash_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_AUTH_H_
