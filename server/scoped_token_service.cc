#include "server/scoped_token_service.h"

#include <string>
#include <utility>

#include "core/common/status_macros.h"
#include "server/grpc_status.h"

namespace tokend::server {
namespace {

using ::tokend::scoped::v1::IssueTokenRequest;
using ::tokend::scoped::v1::IssueTokenResponse;

// Courier's SDK shows "<status> <message>"; say what to fix, never echo the
// credential.
absl::Status Unauthenticated() {
  return absl::UnauthenticatedError(
      "Unauthorized: send a scoped API key (sck_…) as "
      "'Authorization: Bearer <key>'");
}

}  // namespace

grpc::ServerUnaryReactor* ScopedTokenServiceImpl::IssueToken(
    grpc::CallbackServerContext* context, const IssueTokenRequest* request,
    IssueTokenResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    absl::StatusOr<absl::string_view> credential = BearerCredential(*context);
    if (!credential.ok()) return Unauthenticated();
    if (!admin_->Check(*context).ok()) {
      absl::StatusOr<store::ApiKeyRecord> key =
          api_keys_->Authenticate(*credential, store::ApiKeySurface::kScoped);
      if (absl::IsUnauthenticated(key.status())) return Unauthenticated();
      RETURN_IF_ERROR(key.status());  // the store failed: not the caller
    }
    ASSIGN_OR_RETURN(scoped::ScopedToken token,
                     issuer_->Issue(request->scope(), request->expires_in()));
    response->set_token(std::move(token.token));
    return absl::OkStatus();
  }());
}

}  // namespace tokend::server
