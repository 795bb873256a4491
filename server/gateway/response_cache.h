// A small shared cache in front of GET routes, as a CDN or Envoy's cache
// filter would be: it keeps a 200 response only when the service marked it
// `Cache-Control: public, max-age=N` (N > 0), and for at most
// min(N, max_ttl). Requests carrying credentials (Authorization, Cookie) are
// never answered from it nor stored in it. The JWKS and discovery documents
// are what it is for: sidecars fetch them in tight loops, and the service's
// max-age already allows every client to reuse them that long.
#ifndef TOKEND_SERVER_GATEWAY_RESPONSE_CACHE_H_
#define TOKEND_SERVER_GATEWAY_RESPONSE_CACHE_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/clock.h"

namespace tokend::gateway {

struct CachedResponse {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string etag;
};

struct ResponseCacheOptions {
  // Upper bound on how long any response is reused; 0 disables the cache.
  absl::Duration max_ttl = absl::Seconds(1);
  size_t max_entries = 64;
  size_t max_body_bytes = 64 * 1024;
};

class ResponseCache {
 public:
  ResponseCache(ResponseCacheOptions options, const Clock* clock);

  // The max-age of a Cache-Control value that allows shared caching
  // ("public" and max-age > 0, no no-store/no-cache/private), else nullopt.
  static std::optional<absl::Duration> SharedMaxAge(
      absl::string_view cache_control);

  // A fresh entry for `key`, or null.
  std::shared_ptr<const CachedResponse> Find(absl::string_view key) const;

  // Stores `response` under `key` when its Cache-Control allows it.
  void MaybeStore(std::string key, absl::string_view cache_control,
                  CachedResponse response);

 private:
  struct Entry {
    std::shared_ptr<const CachedResponse> response;
    absl::Time expires;
  };

  const ResponseCacheOptions options_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_RESPONSE_CACHE_H_
