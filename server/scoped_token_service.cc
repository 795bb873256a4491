#include "server/scoped_token_service.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "server/grpc_status.h"

namespace tokend::server {
namespace {

using ::tokend::scoped::v1::IssueTokenRequest;
using ::tokend::scoped::v1::IssueTokenResponse;

// expires_in as vercel/ms text: a string as given, a whole number of
// seconds as its digits, absent or null as the default.
absl::StatusOr<std::string> ExpiresInText(const IssueTokenRequest& request) {
  constexpr absl::string_view kDefault = "1h";
  if (!request.has_expires_in()) return std::string(kDefault);
  const google::protobuf::Value& v = request.expires_in();
  switch (v.kind_case()) {
    case google::protobuf::Value::kNullValue:
    case google::protobuf::Value::KIND_NOT_SET:
      return std::string(kDefault);
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kNumberValue: {
      const double seconds = v.number_value();
      // Beyond 2^53 a double is not a whole number of seconds we could
      // tell apart; the maximum is far below anyway.
      if (!(seconds >= 1 && seconds <= 9007199254740992.0) ||
          seconds != std::floor(seconds)) {
        return absl::InvalidArgumentError(
            "expires_in: a number must be a whole, positive number of "
            "seconds");
      }
      return absl::StrCat(static_cast<int64_t>(seconds));
    }
    default:
      return absl::InvalidArgumentError(
          "expires_in must be a string (\"2 hours\") or a number of seconds");
  }
}

}  // namespace

grpc::ServerUnaryReactor* ScopedTokenServiceImpl::IssueToken(
    grpc::CallbackServerContext* context, const IssueTokenRequest* request,
    IssueTokenResponse* response) {
  return guard_->Unary(
      context, *request, *response,
      TOKEND_POLICY(tokend::scoped::v1::ScopedTokenService, IssueToken),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(const std::string expires_in, ExpiresInText(*request));
        ASSIGN_OR_RETURN(scoped::ScopedToken token,
                         issuer_->Issue(request->scope(), expires_in));
        response->set_token(std::move(token.token));
        return absl::OkStatus();
      });
}

}  // namespace tokend::server
