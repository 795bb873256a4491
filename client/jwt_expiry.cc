#include "client/jwt_expiry.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"

namespace tokend::client {
namespace {

constexpr int64_t kMaxExp = 253402300799;  // 9999-12-31T23:59:59Z

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("malformed JWT: ", why));
}

}  // namespace

absl::StatusOr<absl::Time> ExpiryOfJwt(absl::string_view jwt) {
  if (jwt.size() > kMaxJwtBytes) {
    return Malformed(absl::StrCat("longer than ", kMaxJwtBytes, " bytes"));
  }
  if (absl::c_count(jwt, '.') != 2) {
    return Malformed("expected three parts");
  }
  const size_t start = jwt.find('.') + 1;
  const absl::string_view encoded =
      jwt.substr(start, jwt.find('.', start) - start);
  absl::StatusOr<std::string> payload = jose::Base64UrlDecode(encoded);
  if (!payload.ok()) return Malformed("payload is not base64url");
  jose::JsonLimits limits;
  limits.max_bytes = kMaxJwtBytes;
  auto claims = jose::ParseJsonObject(*payload, limits);
  if (!claims.ok()) return Malformed("payload is not a JSON object");

  auto exp = claims->find("exp");
  if (exp == claims->end()) return absl::InfiniteFuture();
  if (exp->is_number_unsigned()) {
    const uint64_t seconds = exp->get<uint64_t>();
    if (seconds <= static_cast<uint64_t>(kMaxExp)) {
      return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
    }
  } else if (exp->is_number_integer()) {
    // Signed only when negative (nlohmann stores non-negatives as unsigned).
  } else if (exp->is_number_float()) {
    const double seconds = exp->get<double>();
    if (std::isfinite(seconds) && seconds >= 0 &&
        seconds <= static_cast<double>(kMaxExp)) {
      return absl::UnixEpoch() + absl::Seconds(seconds);
    }
  } else {
    return Malformed("exp is not a number");
  }
  return Malformed("exp is out of range");
}

absl::StatusOr<Token> TokenFromJwt(std::string jwt, absl::string_view what) {
  absl::StatusOr<absl::Time> expires_at = ExpiryOfJwt(jwt);
  if (!expires_at.ok()) {
    return absl::InternalError(
        absl::StrCat(what, " from tokend: ", expires_at.status().message()));
  }
  return Token{std::move(jwt), *expires_at};
}

}  // namespace tokend::client
