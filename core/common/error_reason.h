// A machine-readable reason on an absl::Status, for the API surfaces whose
// clients switch on error codes (Clerk's "resource_not_found",
// "jwt_template_reserved_claim", …). core/ attaches it as status payloads;
// server/ turns it into a google.rpc.ErrorInfo (grpc-status-details-bin),
// which the gateway renders in the service's error style.
#ifndef TOKEND_CORE_COMMON_ERROR_REASON_H_
#define TOKEND_CORE_COMMON_ERROR_REASON_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace tokend {

inline constexpr char kReasonPayload[] = "type.tokend/reason";
inline constexpr char kShortMessagePayload[] = "type.tokend/short_message";
inline constexpr char kParamPayload[] = "type.tokend/param_name";
inline constexpr char kNotAGuessPayload[] = "type.tokend/not_a_guess";

// `status` with `reason` (snake_case) and an optional short, human message
// (Clerk's "message"; the status message is the long one).
inline absl::Status WithReason(absl::Status status, absl::string_view reason,
                               absl::string_view short_message = "") {
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  if (!short_message.empty()) {
    status.SetPayload(kShortMessagePayload, absl::Cord(short_message));
  }
  return status;
}

// `status` naming the request parameter at fault (Clerk's meta.param_name).
inline absl::Status WithParam(absl::Status status, absl::string_view param) {
  if (!param.empty()) status.SetPayload(kParamPayload, absl::Cord(param));
  return status;
}

inline std::optional<std::string> ParamOf(const absl::Status& status) {
  auto payload = status.GetPayload(kParamPayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

inline std::optional<std::string> ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

inline std::optional<std::string> ShortMessageOf(const absl::Status& status) {
  auto payload = status.GetPayload(kShortMessagePayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

// An UNAUTHENTICATED `status` that is not a guessed credential (an
// expired or revoked token, which a verifier sees in ordinary use): it does
// not count towards the caller address's lockout (server/policy).
inline absl::Status NotAGuess(absl::Status status) {
  status.SetPayload(kNotAGuessPayload, absl::Cord("1"));
  return status;
}

inline bool IsNotAGuess(const absl::Status& status) {
  return status.GetPayload(kNotAGuessPayload).has_value();
}

}  // namespace tokend

#endif  // TOKEND_CORE_COMMON_ERROR_REASON_H_
