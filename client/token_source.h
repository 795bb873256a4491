// TokenSource: where a client gets the token it attaches to its calls
// (DESIGN §6). Sources fetch from tokend (IAM, session, scoped tokens);
// CachingTokenSource wraps any source with getToken() semantics (reuse until
// within an expiration buffer of expiry, skip_cache, one fetch in flight);
// TokenCallCredentials attaches the token to every gRPC call.
//
// Implementations are thread-safe.
#ifndef TOKEND_CLIENT_TOKEN_SOURCE_H_
#define TOKEND_CLIENT_TOKEN_SOURCE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::client {

struct Token {
  std::string value;      // what goes after "Bearer "
  absl::Time expires_at;  // InfiniteFuture when the token has no expiry
};

struct GetTokenOptions {
  // Which token of the source: e.g. a JWT template's name for session
  // tokens; "" for the source's default. Also the cache key.
  std::string key;
  // Fetch a new token even if a cached one is still good, and replace it.
  bool skip_cache = false;
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual absl::StatusOr<Token> GetToken(const GetTokenOptions& options) = 0;
};

// For sources with a single token: InvalidArgument naming `source` unless
// options.key is empty.
inline absl::Status RequireDefaultKey(const GetTokenOptions& options,
                                      absl::string_view source) {
  if (options.key.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      source, " has a single token; GetTokenOptions::key must be empty"));
}

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_TOKEN_SOURCE_H_
