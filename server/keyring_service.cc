#include "server/keyring_service.h"

#include <google/protobuf/util/json_util.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/common/status_macros.h"
#include "core/jose/algorithm.h"
#include "server/grpc_status.h"
#include "server/proto_time.h"

namespace tokend::server {
namespace {

using tokend::keys::v1::SigningKey;

constexpr size_t kMaxSlotBytes = 32;

SigningKey::State ToProtoState(store::KeyState state) {
  switch (state) {
    case store::KeyState::kNext:
      return SigningKey::NEXT;
    case store::KeyState::kActive:
      return SigningKey::ACTIVE;
    case store::KeyState::kRetired:
      return SigningKey::RETIRED;
  }
  return SigningKey::STATE_UNSPECIFIED;
}

void ToProto(const keys::KeyInfo& key, SigningKey* out) {
  out->set_kid(key.kid);
  out->set_slot(key.slot);
  out->set_algorithm(std::string(jose::AlgorithmName(key.algorithm)));
  out->set_state(ToProtoState(key.state));
  *out->mutable_created_at() = ToTimestamp(key.created_at);
  *out->mutable_activate_at() = ToTimestamp(key.activate_at);
  if (key.retired_at.has_value()) {
    *out->mutable_retired_at() = ToTimestamp(*key.retired_at);
  }
  if (key.delete_after.has_value()) {
    *out->mutable_delete_after() = ToTimestamp(*key.delete_after);
  }
}

}  // namespace

KeyringServiceImpl::KeyringServiceImpl(keys::Keyring* keyring, CallGuard* guard,
                                       std::string issuer)
    : keyring_(keyring), guard_(guard), issuer_(std::move(issuer)) {}

KeyringServiceImpl::CachedJwks KeyringServiceImpl::CurrentJwks() {
  std::shared_ptr<const keys::PublishedJwks> published = keyring_->Published();
  {
    absl::MutexLock lock(&mu_);
    if (jwks_ != nullptr && published->etag == jwks_etag_) {
      return {jwks_, jwks_etag_};
    }
  }
  auto jwks = std::make_shared<tokend::keys::v1::Jwks>();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // Members outside the message.
  if (!google::protobuf::util::JsonStringToMessage(published->json, jwks.get(),
                                                   options)
           .ok()) {
    return {nullptr, ""};
  }
  absl::MutexLock lock(&mu_);
  jwks_etag_ = published->etag;
  jwks_ = jwks;
  return {jwks, published->etag};
}

// Over REST (GET /.well-known/jwks.json) the gateway turns the etag and
// cache-control metadata into headers and answers If-None-Match with 304.
// max-age is the keyring's jwks_max_age, which never exceeds the lead time a
// new key is published before it signs, so no cache can miss a signing key.
grpc::ServerUnaryReactor* KeyringServiceImpl::GetJwks(
    grpc::CallbackServerContext* context,
    const tokend::keys::v1::GetJwksRequest* request,
    tokend::keys::v1::Jwks* response) {
  return guard_->Unary(
      context, *request, *response,
      TOKEND_POLICY(tokend::keys::v1::KeyringService, GetJwks),
      [&](const Caller&) -> absl::Status {
        CachedJwks current = CurrentJwks();
        if (current.jwks == nullptr) {
          return absl::InternalError("JWKS does not convert");
        }
        context->AddInitialMetadata("etag", current.etag);
        context->AddInitialMetadata(
            "cache-control",
            absl::StrCat(
                "public, max-age=",
                absl::ToInt64Seconds(keyring_->options().jwks_max_age)));
        *response = *current.jwks;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KeyringServiceImpl::GetOpenIdConfiguration(
    grpc::CallbackServerContext* context,
    const tokend::keys::v1::GetOpenIdConfigurationRequest* request,
    tokend::keys::v1::OpenIdConfiguration* response) {
  return guard_->Unary(
      context, *request, *response,
      TOKEND_POLICY(tokend::keys::v1::KeyringService, GetOpenIdConfiguration),
      [&](const Caller&) -> absl::Status {
        // Cacheable like the JWKS it points to.
        context->AddInitialMetadata(
            "cache-control",
            absl::StrCat(
                "public, max-age=",
                absl::ToInt64Seconds(keyring_->options().jwks_max_age)));
        response->set_issuer(issuer_);
        response->set_authorization_endpoint(
            "urn:tokend:programmatic_authorization");
        // An issuer given with a trailing slash still names one JWKS path.
        response->set_jwks_uri(absl::StrCat(absl::StripSuffix(issuer_, "/"),
                                            "/.well-known/jwks.json"));
        std::set<std::string> algorithms;
        for (const auto& key : keyring_->List()) {
          algorithms.insert(std::string(jose::AlgorithmName(key.algorithm)));
        }
        for (const auto& alg : algorithms) {
          response->add_id_token_signing_alg_values_supported(alg);
        }
        response->add_response_types_supported("id_token");
        response->add_subject_types_supported("public");
        for (const char* claim :
             {"iss", "sub", "aud", "exp", "iat", "nbf", "jti"}) {
          response->add_claims_supported(claim);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KeyringServiceImpl::ListSigningKeys(
    grpc::CallbackServerContext* context,
    const tokend::keys::v1::ListSigningKeysRequest* request,
    tokend::keys::v1::ListSigningKeysResponse* response) {
  return guard_->Unary(
      context, *request, *response,
      TOKEND_POLICY(tokend::keys::v1::KeyringService, ListSigningKeys),
      [&](const Caller&) -> absl::Status {
        for (const auto& key : keyring_->List()) {
          ToProto(key, response->add_keys());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KeyringServiceImpl::RotateSigningKeys(
    grpc::CallbackServerContext* context,
    const tokend::keys::v1::RotateSigningKeysRequest* request,
    tokend::keys::v1::RotateSigningKeysResponse* response) {
  return guard_->Unary(
      context, *request, *response,
      TOKEND_POLICY(tokend::keys::v1::KeyringService, RotateSigningKeys),
      [&](const Caller&) -> absl::Status {
        if (request->slot().size() > kMaxSlotBytes) {
          return absl::InvalidArgumentError("slot: at most 32 characters");
        }
        RETURN_IF_ERROR(request->slot().empty()
                            ? keyring_->RotateAll()
                            : keyring_->Rotate(request->slot()));
        for (const auto& key : keyring_->List())
          ToProto(key, response->add_keys());
        return absl::OkStatus();
      });
}

}  // namespace tokend::server
