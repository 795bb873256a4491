#include "core/sessions/client_handshake.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/common/error_reason.h"
#include "core/common/status_macros.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "nlohmann/json.hpp"

namespace tokend::sessions {
namespace {

// How long __client_uat lives in the browser (Clerk's: years).
constexpr absl::string_view kClientUatMaxAge = "315360000";
// The handshake token is used at once, by the redirect it rides on.
constexpr absl::Duration kHandshakeLifetime = absl::Minutes(1);

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

// `url` with `param` added to its query, before any fragment.
std::string AddQueryParameter(absl::string_view url, absl::string_view param) {
  const size_t hash = url.find('#');
  const absl::string_view base = url.substr(0, hash);
  const absl::string_view fragment =
      hash == absl::string_view::npos ? "" : url.substr(hash);
  const char* separator = "?";
  if (absl::StrContains(base, '?')) {
    separator =
        absl::EndsWith(base, "?") || absl::EndsWith(base, "&") ? "" : "&";
  }
  return absl::StrCat(base, separator, param, fragment);
}

}  // namespace

ClientHandshake::ClientHandshake(const SessionTokenIssuer* issuer,
                                 const keys::Keyring* keyring,
                                 const AuthorizedParties* parties,
                                 const Clock* clock, std::string issuer_url)
    : issuer_(issuer),
      keyring_(keyring),
      parties_(parties),
      clock_(clock),
      issuer_url_(std::move(issuer_url)) {}

absl::StatusOr<std::vector<std::string>> ClientHandshake::Directives(
    absl::string_view client_token, absl::string_view origin,
    bool secure) const {
  const std::string attributes =
      absl::StrCat("; Path=/; SameSite=Lax", secure ? "; Secure" : "");
  absl::StatusOr<store::SessionRecord> session =
      client_token.empty() ? absl::UnauthenticatedError("no client")
                           : issuer_->SessionForClientToken(client_token);
  if (absl::IsUnauthenticated(session.status()) ||
      absl::IsNotFound(session.status())) {
    return std::vector<std::string>{
        absl::StrCat("__session=; Max-Age=0", attributes),
        absl::StrCat("__client_uat=0; Max-Age=", kClientUatMaxAge, attributes)};
  }
  RETURN_IF_ERROR(session.status());
  // Read before the token is issued, so the token's iat is never earlier:
  // the SDK hand-shakes again for a token older than __client_uat.
  const int64_t now = absl::ToUnixSeconds(clock_->Now());
  ASSIGN_OR_RETURN(std::string jwt,
                   issuer_->IssueDefault({session->id, std::string(origin),
                                          /*expires_in_seconds=*/{}}));
  return std::vector<std::string>{
      absl::StrCat("__session=", jwt, attributes),
      absl::StrCat("__client_uat=", now, "; Max-Age=", kClientUatMaxAge,
                   attributes)};
}

absl::StatusOr<std::string> ClientHandshake::Redirect(
    absl::string_view client_token, absl::string_view redirect_url) const {
  if (redirect_url.empty()) {
    return WithParam(absl::InvalidArgumentError("redirect_url is required"),
                     "redirect_url");
  }
  if (redirect_url.size() > kMaxRedirectUrlBytes ||
      !IsPrintableAscii(redirect_url)) {
    return WithParam(
        absl::InvalidArgumentError(absl::StrCat(
            "redirect_url must be printable ASCII of at most ",
            kMaxRedirectUrlBytes, " bytes (percent-encode the rest)")),
        "redirect_url");
  }
  ASSIGN_OR_RETURN(std::string origin, parties_->AllowedOriginOf(redirect_url));
  ASSIGN_OR_RETURN(
      std::vector<std::string> directives,
      Directives(client_token, origin, absl::StartsWith(origin, "https://")));

  ASSIGN_OR_RETURN(std::shared_ptr<const jose::JwtSigner> signer,
                   keyring_->Signer(keys::kSessionSlot));
  const absl::Time now =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now()));
  jose::RawJwtBuilder builder;
  builder.SetTypeHeader("JWT")
      .SetIssuer(issuer_url_)
      .SetIssuedAt(now)
      .SetExpiration(now + kHandshakeLifetime)
      .AddJsonArrayClaim("handshake", nlohmann::json(directives));
  ASSIGN_OR_RETURN(jose::RawJwt raw, builder.Build());
  ASSIGN_OR_RETURN(std::string token, signer->SignAndEncode(raw));
  return AddQueryParameter(redirect_url,
                           absl::StrCat("__clerk_handshake=", token));
}

}  // namespace tokend::sessions
