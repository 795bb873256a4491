// IamKeyFileSource: IAM tokens for a service account from its authorized key
// file (the JSON `tokenctl key create --out` writes, core/iam/
// authorized_keys.h). Each GetToken signs a fresh PS256 service-account JWT
// locally (core/iam/sa_jwt_signer.h) and exchanges it with
// IamTokenService/Create (DESIGN §2.1): no admin key, and the private key
// never leaves the process. Token::expires_at is the response's expires_at.
// Thread-safe; no cache (wrap it in a CachingTokenSource).
#ifndef TOKEND_CLIENT_IAM_KEY_FILE_SOURCE_H_
#define TOKEND_CLIENT_IAM_KEY_FILE_SOURCE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/rpc_options.h"
#include "client/token_source.h"
#include "core/common/clock.h"
#include "core/iam/sa_jwt_signer.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend::client {

struct IamKeyFileSourceOptions {
  // aud of the JWT. tokend accepts this one and "<issuer>/iam/v1/tokens".
  std::string audience = iam::kYandexIamAudience;
  RpcOptions rpc;
  // iat of the JWT.
  const Clock* clock = RealClock::Get();
};

class IamKeyFileSource final : public TokenSource {
 public:
  // InvalidArgument if the JSON is not a usable key file (the message never
  // contains key material).
  static absl::StatusOr<std::unique_ptr<IamKeyFileSource>> FromJson(
      absl::string_view key_file_json, std::shared_ptr<grpc::Channel> channel,
      IamKeyFileSourceOptions options = {});
  // As FromJson; NotFound "cannot open PATH" if the file cannot be read, and
  // parse errors are prefixed with "PATH: ".
  static absl::StatusOr<std::unique_ptr<IamKeyFileSource>> FromFile(
      const std::string& path, std::shared_ptr<grpc::Channel> channel,
      IamKeyFileSourceOptions options = {});

  // `options.key` must be empty (InvalidArgument otherwise). Failed calls
  // keep tokend's code and message (e.g. UNAUTHENTICATED for a deleted key).
  absl::StatusOr<Token> GetToken(const GetTokenOptions& options) override;

  const std::string& service_account_id() const {
    return signer_->service_account_id();
  }

 private:
  IamKeyFileSource(std::unique_ptr<iam::SaJwtSigner> signer,
                   std::shared_ptr<grpc::Channel> channel,
                   IamKeyFileSourceOptions options);

  const std::unique_ptr<iam::SaJwtSigner> signer_;
  const std::unique_ptr<yandex::cloud::iam::v1::IamTokenService::Stub> stub_;
  const IamKeyFileSourceOptions options_;
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_IAM_KEY_FILE_SOURCE_H_
