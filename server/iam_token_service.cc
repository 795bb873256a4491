#include "server/iam_token_service.h"

#include <string>
#include <utility>

#include "core/common/status_macros.h"
#include "server/grpc_status.h"
#include "server/proto_time.h"

namespace tokend::server {
namespace {

using ::yandex::cloud::iam::v1::CreateIamTokenForServiceAccountRequest;
using ::yandex::cloud::iam::v1::CreateIamTokenRequest;
using ::yandex::cloud::iam::v1::CreateIamTokenResponse;
using ::yandex::cloud::iam::v1::IamTokenService;
using ::yandex::cloud::iam::v1::RevokeIamTokenRequest;
using ::yandex::cloud::iam::v1::RevokeIamTokenResponse;

void ToResponse(iam::IamToken token, CreateIamTokenResponse* response) {
  response->set_iam_token(std::move(token.token));
  *response->mutable_expires_at() = ToTimestamp(token.expires_at);
}

}  // namespace

grpc::ServerUnaryReactor* IamTokenServiceImpl::Create(
    grpc::CallbackServerContext* context, const CreateIamTokenRequest* request,
    CreateIamTokenResponse* response) {
  return guard_->Unary(
      context, *request, *response, TOKEND_POLICY(IamTokenService, Create),
      [&](const Caller&) -> absl::Status {
        switch (request->identity_case()) {
          case CreateIamTokenRequest::kJwt: {
            ASSIGN_OR_RETURN(iam::CheckedSaJwt checked,
                             checker_->Check(request->jwt()));
            ASSIGN_OR_RETURN(iam::IamToken token,
                             issuer_->Issue(checked.service_account_id,
                                            iam::AccountKind::kServiceAccount));
            ToResponse(std::move(token), response);
            return absl::OkStatus();
          }
          case CreateIamTokenRequest::kYandexPassportOauthToken: {
            ASSIGN_OR_RETURN(std::string account_id,
                             issuer_->ExchangeOAuthToken(
                                 request->yandex_passport_oauth_token()));
            ASSIGN_OR_RETURN(
                iam::IamToken token,
                issuer_->Issue(account_id, iam::AccountKind::kUserAccount));
            ToResponse(std::move(token), response);
            return absl::OkStatus();
          }
          default:
            // The validator already rejects this; kept for safety.
            return absl::InvalidArgumentError(
                "identity: One of the options must be selected");
        }
      });
}

grpc::ServerUnaryReactor* IamTokenServiceImpl::CreateForServiceAccount(
    grpc::CallbackServerContext* context,
    const CreateIamTokenForServiceAccountRequest* request,
    CreateIamTokenResponse* response) {
  return guard_->Unary(context, *request, *response,
                       TOKEND_POLICY(IamTokenService, CreateForServiceAccount),
                       [&](const Caller& caller) -> absl::Status {
                         ASSIGN_OR_RETURN(
                             iam::IamToken token,
                             issuer_->IssueForServiceAccount(
                                 *caller.iam, request->service_account_id()));
                         ToResponse(std::move(token), response);
                         return absl::OkStatus();
                       });
}

grpc::ServerUnaryReactor* IamTokenServiceImpl::Revoke(
    grpc::CallbackServerContext* context, const RevokeIamTokenRequest* request,
    RevokeIamTokenResponse* response) {
  return guard_->Unary(
      context, *request, *response, TOKEND_POLICY(IamTokenService, Revoke),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(std::string subject_id,
                         issuer_->Revoke(request->iam_token()));
        response->set_subject_id(std::move(subject_id));
        return absl::OkStatus();
      });
}

}  // namespace tokend::server
