#include "client/iam_key_file_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/iam_exchange.h"
#include "core/common/files.h"
#include "core/common/status_macros.h"
#include "core/iam/authorized_keys.h"

namespace tokend::client {

namespace yiam = ::yandex::cloud::iam::v1;

IamKeyFileSource::IamKeyFileSource(std::unique_ptr<iam::SaJwtSigner> signer,
                                   std::shared_ptr<grpc::Channel> channel,
                                   IamKeyFileSourceOptions options)
    : signer_(std::move(signer)),
      stub_(yiam::IamTokenService::NewStub(std::move(channel))),
      options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<IamKeyFileSource>> IamKeyFileSource::FromJson(
    absl::string_view key_file_json, std::shared_ptr<grpc::Channel> channel,
    IamKeyFileSourceOptions options) {
  ASSIGN_OR_RETURN(iam::AuthorizedKeyFile key_file,
                   iam::ParseKeyFile(key_file_json));
  ASSIGN_OR_RETURN(std::unique_ptr<iam::SaJwtSigner> signer,
                   iam::SaJwtSigner::Create(key_file));
  if (options.clock == nullptr) options.clock = RealClock::Get();
  return std::unique_ptr<IamKeyFileSource>(new IamKeyFileSource(
      std::move(signer), std::move(channel), std::move(options)));
}

absl::StatusOr<std::unique_ptr<IamKeyFileSource>> IamKeyFileSource::FromFile(
    const std::string& path, std::shared_ptr<grpc::Channel> channel,
    IamKeyFileSourceOptions options) {
  ASSIGN_OR_RETURN(std::string json, ReadFileToString(path));
  auto source = FromJson(json, std::move(channel), std::move(options));
  if (!source.ok()) {
    return absl::Status(source.status().code(),
                        absl::StrCat(path, ": ", source.status().message()));
  }
  return source;
}

absl::StatusOr<Token> IamKeyFileSource::GetToken(
    const GetTokenOptions& options) {
  RETURN_IF_ERROR(RequireDefaultKey(options, "IamKeyFileSource"));
  ASSIGN_OR_RETURN(std::string jwt,
                   signer_->Sign(options_.clock->Now(), options_.audience));
  yiam::CreateIamTokenRequest request;
  request.set_jwt(std::move(jwt));
  return ExchangeForIamToken(stub_.get(), request, options_.rpc);
}

}  // namespace tokend::client
