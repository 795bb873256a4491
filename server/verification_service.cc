#include "server/verification_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "core/common/error_reason.h"
#include "core/jose/algorithm.h"
#include "core/keys/token_family.h"
#include "server/grpc_status.h"
#include "server/json_struct.h"

namespace tokend::server {
namespace {

constexpr size_t kMaxTokenBytes = 8000;

absl::Status FillResponse(const jose::VerifiedJwt& jwt,
                          tokend::verify::v1::VerifyResponse* response) {
  JsonToStruct(jwt.claims(), response->mutable_claims());
  response->set_kid(jwt.kid());
  response->set_algorithm(std::string(jose::AlgorithmName(jwt.algorithm())));
  if (auto exp = jwt.GetExpiration(); exp.ok()) {
    *response->mutable_expires_at() =
        google::protobuf::util::TimeUtil::SecondsToTimestamp(
            absl::ToUnixSeconds(*exp));
  }
  return absl::OkStatus();
}

// A verifier sees expired, revoked and foreign tokens in ordinary use; only
// a token that claims tokend's keys and fails them (a forged signature, an
// unknown key, a key used with another algorithm) counts as a guess towards
// the caller's lockout.
absl::Status AsVerifierSaw(absl::Status status) {
  if (!absl::IsUnauthenticated(status)) return status;
  const absl::string_view m = status.message();
  const bool forged = m == "signature invalid" || m == "unknown kid" ||
                      m == "no key for algorithm" ||
                      absl::StartsWith(m, "algorithm does not match key");
  return forged ? status : NotAGuess(std::move(status));
}

}  // namespace

grpc::ServerUnaryReactor* VerificationServiceImpl::Verify(
    grpc::CallbackServerContext* context,
    const tokend::verify::v1::VerifyRequest* request,
    tokend::verify::v1::VerifyResponse* response) {
  return guard_->Unary(
      context, *request, *response,
      TOKEND_POLICY(tokend::verify::v1::VerificationService, Verify),
      [&](const Caller&) -> absl::Status {
        if (request->token().empty()) {
          return absl::InvalidArgumentError("token: required");
        }
        if (request->token().size() > kMaxTokenBytes) {
          return absl::InvalidArgumentError("token: longer than 8000 bytes");
        }
        std::optional<keys::TokenFamily> family;
        if (!request->family().empty()) {
          family = keys::ParseFamily(request->family());
          if (!family.has_value()) {
            return absl::InvalidArgumentError(
                "family: one of iam, session, template, hasura, scoped");
          }
        } else if (request->audience().empty()) {
          return absl::InvalidArgumentError(
              "name the audience or the family the token must have: a token "
              "of one family is not valid where another is meant");
        }
        auto jwt =
            verifier_->Verify(request->token(), request->audience(), family);
        if (!jwt.ok()) return AsVerifierSaw(jwt.status());
        return FillResponse(*jwt, response);
      });
}

}  // namespace tokend::server
