#include "client/iam_exchange.h"

namespace tokend::client {

namespace yiam = ::yandex::cloud::iam::v1;

absl::StatusOr<Token> ExchangeForIamToken(
    yiam::IamTokenService::StubInterface* stub,
    const yiam::CreateIamTokenRequest& request, const RpcOptions& options) {
  grpc::ClientContext context;
  ApplyRpcOptions(options, &context);
  yiam::CreateIamTokenResponse response;
  const grpc::Status status = stub->Create(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  if (response.iam_token().empty() || !response.has_expires_at()) {
    return absl::InternalError(
        "IamTokenService/Create answered without iam_token or expires_at");
  }
  const google::protobuf::Timestamp& expires_at = response.expires_at();
  return Token{response.iam_token(),
               absl::FromUnixSeconds(expires_at.seconds()) +
                   absl::Nanoseconds(expires_at.nanos())};
}

}  // namespace tokend::client
