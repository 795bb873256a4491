#include "core/sessions/authorized_parties.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/common/error_reason.h"

namespace tokend::sessions {
namespace {

// Letters, digits, '.', '-', ':' (port) and IPv6 brackets after the scheme;
// nothing that could start a path, a query or user info.
bool IsOrigin(absl::string_view origin) {
  absl::string_view rest = origin;
  if (!absl::ConsumePrefix(&rest, "https://") &&
      !absl::ConsumePrefix(&rest, "http://")) {
    return false;
  }
  if (rest.empty() || origin.size() > kMaxOriginBytes) return false;
  for (char c : rest) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<AuthorizedParties> AuthorizedParties::Create(
    const std::vector<std::string>& origins) {
  if (origins.size() > kMaxAllowedOrigins) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--allowed_origins: at most ", kMaxAllowedOrigins, " origins"));
  }
  AuthorizedParties parties;
  for (const std::string& origin : origins) {
    if (!IsOrigin(origin)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--allowed_origins: \"", absl::CHexEscape(origin),
          "\" is not an origin (scheme://host[:port], no path or slash)"));
    }
    std::string lower = absl::AsciiStrToLower(origin);
    if (parties.set_.insert(lower).second) {
      parties.ordered_.push_back(std::move(lower));
    }
  }
  return parties;
}

bool AuthorizedParties::Allows(absl::string_view origin) const {
  return origin.size() <= kMaxOriginBytes &&
         set_.contains(absl::AsciiStrToLower(origin));
}

absl::StatusOr<std::string> AuthorizedParties::AzpForFrontend(
    absl::string_view origin) const {
  if (empty() || origin.empty()) return std::string(origin);
  if (!Allows(origin)) {
    return WithReason(
        absl::PermissionDeniedError(absl::StrCat(
            "Origin ", absl::CHexEscape(origin.substr(0, kMaxOriginBytes)),
            " is not among this instance's allowed origins")),
        "origin_invalid", "Invalid origin");
  }
  return absl::AsciiStrToLower(origin);
}

std::string AuthorizedParties::AzpForBackend(absl::string_view origin) const {
  if (empty()) return std::string(origin);
  if (Allows(origin)) return absl::AsciiStrToLower(origin);
  return ordered_.front();
}

absl::StatusOr<std::string> AuthorizedParties::AllowedOriginOf(
    absl::string_view url) const {
  if (empty()) {
    return absl::FailedPreconditionError(
        "no allowed origins are configured (--allowed_origins), so there is "
        "nowhere a browser may be sent back to");
  }
  // scheme://authority, the authority ending at the first '/', '?' or '#'.
  const size_t scheme_end = url.find("://");
  const size_t authority_end = scheme_end == absl::string_view::npos
                                   ? absl::string_view::npos
                                   : url.find_first_of("/?#", scheme_end + 3);
  const absl::string_view origin = url.substr(0, authority_end);
  if (!IsOrigin(origin) || !Allows(origin)) {
    return WithParam(
        absl::InvalidArgumentError(
            "redirect_url must be an absolute URL on one of this instance's "
            "allowed origins"),
        "redirect_url");
  }
  return absl::AsciiStrToLower(origin);
}

}  // namespace tokend::sessions
