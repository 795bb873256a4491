#include "server/verification_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/time/time.h"
#include "core/jose/algorithm.h"
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

}  // namespace

grpc::ServerUnaryReactor* VerificationServiceImpl::Verify(
    grpc::CallbackServerContext* context,
    const tokend::verify::v1::VerifyRequest* request,
    tokend::verify::v1::VerifyResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->token().empty()) {
    reactor->Finish(
        ToGrpcStatus(absl::InvalidArgumentError("token: required")));
    return reactor;
  }
  if (request->token().size() > kMaxTokenBytes) {
    reactor->Finish(ToGrpcStatus(
        absl::InvalidArgumentError("token: longer than 8000 bytes")));
    return reactor;
  }
  auto jwt = verifier_->Verify(request->token(), request->audience());
  if (!jwt.ok()) {
    reactor->Finish(ToGrpcStatus(jwt.status()));
    return reactor;
  }
  reactor->Finish(ToGrpcStatus(FillResponse(*jwt, response)));
  return reactor;
}

}  // namespace tokend::server
