#include "client/iam_oauth_source.h"

#include <utility>

#include "client/iam_exchange.h"
#include "core/common/status_macros.h"

namespace tokend::client {

namespace yiam = ::yandex::cloud::iam::v1;

IamOAuthSource::IamOAuthSource(std::shared_ptr<grpc::Channel> channel,
                               std::string oauth_token, RpcOptions options)
    : stub_(yiam::IamTokenService::NewStub(std::move(channel))),
      oauth_token_(std::move(oauth_token)),
      options_(options) {}

absl::StatusOr<Token> IamOAuthSource::GetToken(const GetTokenOptions& options) {
  RETURN_IF_ERROR(RequireDefaultKey(options, "IamOAuthSource"));
  yiam::CreateIamTokenRequest request;
  request.set_yandex_passport_oauth_token(oauth_token_);
  return ExchangeForIamToken(stub_.get(), request, options_);
}

}  // namespace tokend::client
