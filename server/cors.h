// CORS for the browser-facing routes (Clerk's Frontend API: /v1/client/…
// and /v1/me/…, which clerk-js calls from the app's origin): an allow-list
// of exact origins (--allowed_origins, core/sessions/authorized_parties.h). A
// preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin
// is answered 204 with that origin echoed, credentials allowed (clerk-js sends
// the __client cookie) and the asked headers granted; a request from an allowed
// origin gets the origin echoed on its response. Anything from other origins
// gets no CORS header at all, so the browser withholds the response. Other
// routes are server-to-server and never carry CORS headers.
#ifndef TOKEND_SERVER_CORS_H_
#define TOKEND_SERVER_CORS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/sessions/authorized_parties.h"
#include "server/http/http_message.h"

namespace tokend::server {

class CorsPolicy {
 public:
  // `parties` (the allowed origins) must outlive the policy; null allows
  // none.
  explicit CorsPolicy(const sessions::AuthorizedParties* parties)
      : parties_(parties) {}
  CorsPolicy() = default;

  // Whether `path` is a browser-facing route CORS applies to.
  static bool AppliesTo(absl::string_view path);

  // The answer to a preflight for `path`, or nullopt when `request` is not
  // one (an OPTIONS without Access-Control-Request-Method, or another
  // route): the caller handles it as any other request.
  std::optional<http::HttpResponse> Preflight(const http::HttpRequest& request,
                                              absl::string_view path) const;

  // Adds the headers the response to a request on a route CORS applies to
  // gets; `allowed_origin` is AllowedOrigin(request) ("" for none).
  static void Decorate(absl::string_view allowed_origin,
                       http::HttpResponse* response);

  // The request's Origin if it is allowed, else "".
  std::string AllowedOrigin(const http::HttpRequest& request) const;

 private:
  const sessions::AuthorizedParties* parties_ = nullptr;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_CORS_H_
