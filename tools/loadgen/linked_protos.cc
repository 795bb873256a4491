#include "tools/loadgen/linked_protos.h"

#include "grpc/health/v1/health.pb.h"
#include "tokend/admin/v1/api_keys.pb.h"
#include "tokend/keys/v1/keyring.pb.h"
#include "tokend/verify/v1/verification.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"

namespace tokend::loadgen {

void EnsureProtosLinked() {
  // Add one message per linked .proto file here (and its target to the
  // :linked_protos deps).
  static const void* const kLinked[] = {
      grpc::health::v1::HealthCheckRequest::descriptor(),
      tokend::admin::v1::CreateApiKeyRequest::descriptor(),
      tokend::keys::v1::GetJwksRequest::descriptor(),
      tokend::verify::v1::VerifyRequest::descriptor(),
      yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor(),
  };
  (void)kLinked;
}

}  // namespace tokend::loadgen
