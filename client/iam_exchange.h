// The one RPC both IAM sources make: IamTokenService/Create with an identity
// (a service-account JWT or an OAuth token), turned into a Token.
#ifndef TOKEND_CLIENT_IAM_EXCHANGE_H_
#define TOKEND_CLIENT_IAM_EXCHANGE_H_

#include "absl/status/statusor.h"
#include "client/rpc_options.h"
#include "client/token_source.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend::client {

// A failed call is its status (code and message as tokend sent them); an OK
// response without a token or expires_at is Internal.
absl::StatusOr<Token> ExchangeForIamToken(
    yandex::cloud::iam::v1::IamTokenService::StubInterface* stub,
    const yandex::cloud::iam::v1::CreateIamTokenRequest& request,
    const RpcOptions& options);

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_IAM_EXCHANGE_H_
