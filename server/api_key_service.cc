#include "server/api_key_service.h"

#include "core/common/status_macros.h"
#include "server/grpc_status.h"
#include "server/proto_time.h"

namespace tokend::server {
namespace {

using tokend::admin::v1::ApiKey;
using tokend::admin::v1::ApiKeyService;

constexpr size_t kMaxIdBytes = 64;

void ToProto(const store::ApiKeyRecord& record, ApiKey* out) {
  out->set_id(record.id);
  out->set_surface(std::string(store::ApiKeySurfaceName(record.surface)));
  out->set_name(record.name);
  out->set_display_prefix(record.display_prefix);
  *out->mutable_created_at() = ToTimestamp(record.created_at);
  if (record.revoked_at)
    *out->mutable_revoked_at() = ToTimestamp(*record.revoked_at);
}

}  // namespace

grpc::ServerUnaryReactor* ApiKeyServiceImpl::CreateApiKey(
    grpc::CallbackServerContext* context,
    const tokend::admin::v1::CreateApiKeyRequest* request,
    tokend::admin::v1::CreateApiKeyResponse* response) {
  return guard_->Unary(
      context, *request, *response, TOKEND_POLICY(ApiKeyService, CreateApiKey),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(auth::NewApiKey key,
                         keys_->Create(request->surface(), request->name()));
        ToProto(key.record, response->mutable_api_key());
        response->set_secret(std::move(key.secret));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ApiKeyServiceImpl::ListApiKeys(
    grpc::CallbackServerContext* context,
    const tokend::admin::v1::ListApiKeysRequest* request,
    tokend::admin::v1::ListApiKeysResponse* response) {
  return guard_->Unary(
      context, *request, *response, TOKEND_POLICY(ApiKeyService, ListApiKeys),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<store::ApiKeyRecord> records,
                         keys_->List(request->surface()));
        for (const auto& record : records)
          ToProto(record, response->add_api_keys());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ApiKeyServiceImpl::RevokeApiKey(
    grpc::CallbackServerContext* context,
    const tokend::admin::v1::RevokeApiKeyRequest* request, ApiKey* response) {
  return guard_->Unary(
      context, *request, *response, TOKEND_POLICY(ApiKeyService, RevokeApiKey),
      [&](const Caller&) -> absl::Status {
        if (request->id().empty() || request->id().size() > kMaxIdBytes) {
          return absl::InvalidArgumentError(
              "id: required, at most 64 characters");
        }
        ASSIGN_OR_RETURN(store::ApiKeyRecord record,
                         keys_->Revoke(request->id()));
        ToProto(record, response);
        return absl::OkStatus();
      });
}

}  // namespace tokend::server
