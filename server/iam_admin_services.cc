#include "server/iam_admin_services.h"

#include <google/protobuf/empty.pb.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/auth/secrets.h"
#include "core/common/status_macros.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/ids.h"
#include "server/grpc_status.h"
#include "server/proto_time.h"

namespace tokend::server {
namespace {

namespace yiam = ::yandex::cloud::iam::v1;
namespace tiam = ::tokend::iam::v1;

constexpr int64_t kDefaultPageSize = 100;

// Offset paging: the page token is the decimal index of the next item.
struct Page {
  size_t begin = 0;
  size_t end = 0;
  std::string next_token;
};

absl::StatusOr<Page> Paginate(size_t total, int64_t page_size,
                              const std::string& page_token) {
  Page page;
  if (!page_token.empty()) {
    uint64_t offset = 0;
    if (!absl::SimpleAtoi(page_token, &offset) || offset > total) {
      return absl::InvalidArgumentError("page_token: invalid page token");
    }
    page.begin = static_cast<size_t>(offset);
  }
  const size_t size =
      static_cast<size_t>(page_size > 0 ? page_size : kDefaultPageSize);
  page.end = std::min(total, page.begin + size);
  if (page.end < total) page.next_token = absl::StrCat(page.end);
  return page;
}

yiam::Key::Algorithm ToProtoAlgorithm(store::AuthorizedKeyAlgorithm alg) {
  switch (alg) {
    case store::AuthorizedKeyAlgorithm::kRsa2048:
      return yiam::Key::RSA_2048;
    case store::AuthorizedKeyAlgorithm::kRsa4096:
      return yiam::Key::RSA_4096;
  }
  return yiam::Key::ALGORITHM_UNSPECIFIED;
}

void ToProto(const store::AuthorizedKeyRecord& record, yiam::Key* out) {
  out->set_id(record.id);
  out->set_service_account_id(record.service_account_id);
  *out->mutable_created_at() = ToTimestamp(record.created_at);
  out->set_description(record.description);
  out->set_key_algorithm(ToProtoAlgorithm(record.key_algorithm));
  out->set_public_key(record.public_key_pem);
}

void ToProto(const store::ServiceAccountRecord& record,
             tiam::ServiceAccount* out) {
  out->set_id(record.id);
  out->set_name(record.name);
  out->set_description(record.description);
  *out->mutable_created_at() = ToTimestamp(record.created_at);
  for (const std::string& subject : record.token_creators) {
    out->add_token_creators(subject);
  }
}

void ToProto(const store::OAuthTokenRecord& record, tiam::OAuthToken* out) {
  out->set_id(record.id);
  out->set_account_id(record.account_id);
  *out->mutable_created_at() = ToTimestamp(record.created_at);
  if (record.revoked_at) {
    *out->mutable_revoked_at() = ToTimestamp(*record.revoked_at);
  }
}

absl::StatusOr<store::ServiceAccountRecord> LiveAccount(
    store::ServiceAccountStore* store, absl::string_view id) {
  ASSIGN_OR_RETURN(store::ServiceAccountRecord record,
                   store->GetServiceAccount(id));
  if (record.deleted_at) {
    return absl::NotFoundError(
        absl::StrCat("service account ", id, " not found"));
  }
  return record;
}

// Store times at microsecond precision, as the store keeps them.
absl::Time Now(const Clock* clock) {
  return absl::FromUnixMicros(absl::ToUnixMicros(clock->Now()));
}

// The operation of a key's deletion is named after the key, so that
// OperationService.Get rebuilds it from the key's record: nothing else to
// store, and any replica answers.
constexpr absl::string_view kDeleteKeyOperationPrefix = "op-delete-key-";

void DeleteKeyOperation(const store::AuthorizedKeyRecord& key,
                        yandex::cloud::operation::Operation* out) {
  const absl::Time at = key.deleted_at.value_or(key.created_at);
  out->set_id(absl::StrCat(kDeleteKeyOperationPrefix, key.id));
  out->set_description("Delete key");
  *out->mutable_created_at() = ToTimestamp(at);
  *out->mutable_modified_at() = ToTimestamp(at);
  // Deletion takes effect at once, so the operation is already done.
  out->set_done(true);
  yiam::DeleteKeyMetadata metadata;
  metadata.set_key_id(key.id);
  out->mutable_metadata()->PackFrom(metadata);
  out->mutable_response()->PackFrom(google::protobuf::Empty());
}

// Who calls KeyService and OperationService (admitted by the CallGuard): the
// admin (every account), or a service account through its IAM token (its
// own keys only: Yandex Cloud's account managing itself).
struct KeyCaller {
  bool admin = false;
  std::string service_account_id;  // when not admin

  // The account a request names, or the caller's own when it names none.
  absl::StatusOr<std::string> Account(absl::string_view requested) const {
    if (!requested.empty()) {
      RETURN_IF_ERROR(MayManage(requested));
      return std::string(requested);
    }
    if (admin) {
      // The public API defaults to the caller's account; the admin has none.
      return absl::InvalidArgumentError(
          "service_account_id: Field is required");
    }
    return service_account_id;
  }

  absl::Status MayManage(absl::string_view account) const {
    if (admin || account == service_account_id) return absl::OkStatus();
    return absl::PermissionDeniedError(
        "Permission denied: a service account manages only its own keys");
  }
};

KeyCaller KeyCallerOf(const Caller& caller) {
  KeyCaller out;
  out.admin = caller.kind == Caller::Kind::kAdmin;
  if (!out.admin) out.service_account_id = caller.id;
  return out;
}

absl::StatusOr<store::AuthorizedKeyRecord> LiveKey(
    store::ServiceAccountStore* store, absl::string_view id) {
  ASSIGN_OR_RETURN(store::AuthorizedKeyRecord record,
                   store->GetAuthorizedKey(id));
  if (record.deleted_at) {
    return absl::NotFoundError(absl::StrCat("key ", id, " not found"));
  }
  return record;
}

}  // namespace

// ---- KeyService ----

grpc::ServerUnaryReactor* KeyServiceImpl::Get(
    grpc::CallbackServerContext* context, const yiam::GetKeyRequest* request,
    yiam::Key* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(yiam::KeyService, Get),
      [&](const Caller& admitted) -> absl::Status {
        const KeyCaller caller = KeyCallerOf(admitted);
        ASSIGN_OR_RETURN(store::AuthorizedKeyRecord record,
                         LiveKey(deps_.accounts, request->key_id()));
        RETURN_IF_ERROR(caller.MayManage(record.service_account_id));
        ToProto(record, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KeyServiceImpl::List(
    grpc::CallbackServerContext* context, const yiam::ListKeysRequest* request,
    yiam::ListKeysResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(yiam::KeyService, List),
      [&](const Caller& admitted) -> absl::Status {
        const KeyCaller caller = KeyCallerOf(admitted);
        ASSIGN_OR_RETURN(std::string account,
                         caller.Account(request->service_account_id()));
        ASSIGN_OR_RETURN(std::vector<store::AuthorizedKeyRecord> records,
                         deps_.accounts->ListAuthorizedKeys(account));
        ASSIGN_OR_RETURN(Page page,
                         Paginate(records.size(), request->page_size(),
                                  request->page_token()));
        for (size_t i = page.begin; i < page.end; ++i) {
          ToProto(records[i], response->add_keys());
        }
        response->set_next_page_token(page.next_token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KeyServiceImpl::Create(
    grpc::CallbackServerContext* context, const yiam::CreateKeyRequest* request,
    yiam::CreateKeyResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(yiam::KeyService, Create),
      [&](const Caller& admitted) -> absl::Status {
        const KeyCaller caller = KeyCallerOf(admitted);
        ASSIGN_OR_RETURN(std::string account,
                         caller.Account(request->service_account_id()));
        iam::KeyAlgorithm algorithm = iam::KeyAlgorithm::kRsa2048;
        switch (request->key_algorithm()) {
          case yiam::Key::ALGORITHM_UNSPECIFIED:
          case yiam::Key::RSA_2048:
            break;
          case yiam::Key::RSA_4096:
            algorithm = iam::KeyAlgorithm::kRsa4096;
            break;
          default:
            return absl::InvalidArgumentError(
                "key_algorithm: unsupported algorithm");
        }
        ASSIGN_OR_RETURN(
            iam::CreatedAuthorizedKey created,
            iam::CreateAuthorizedKey(deps_.accounts, *deps_.clock, account,
                                     algorithm, request->description()));
        ToProto(created.key, response->mutable_key());
        response->set_private_key(
            absl::StrCat(iam::ExplanatoryLine(created.key.id), "\n",
                         created.private_key_pem));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* KeyServiceImpl::Delete(
    grpc::CallbackServerContext* context, const yiam::DeleteKeyRequest* request,
    yandex::cloud::operation::Operation* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(yiam::KeyService, Delete),
      [&](const Caller& admitted) -> absl::Status {
        const KeyCaller caller = KeyCallerOf(admitted);
        ASSIGN_OR_RETURN(store::AuthorizedKeyRecord record,
                         LiveKey(deps_.accounts, request->key_id()));
        RETURN_IF_ERROR(caller.MayManage(record.service_account_id));
        RETURN_IF_ERROR(deps_.checker->DeleteKey(request->key_id()));
        ASSIGN_OR_RETURN(record,
                         deps_.accounts->GetAuthorizedKey(request->key_id()));
        DeleteKeyOperation(record, response);
        return absl::OkStatus();
      });
}

// ---- OperationService ----

grpc::ServerUnaryReactor* OperationServiceImpl::Get(
    grpc::CallbackServerContext* context,
    const yandex::cloud::operation::GetOperationRequest* request,
    yandex::cloud::operation::Operation* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(yandex::cloud::operation::OperationService, Get),
      [&](const Caller& admitted) -> absl::Status {
        const KeyCaller caller = KeyCallerOf(admitted);
        const absl::Status not_found = absl::NotFoundError(
            absl::StrCat("Operation ", request->operation_id(), " not found"));
        absl::string_view key_id = request->operation_id();
        if (!absl::ConsumePrefix(&key_id, kDeleteKeyOperationPrefix)) {
          return not_found;
        }
        absl::StatusOr<store::AuthorizedKeyRecord> record =
            deps_.accounts->GetAuthorizedKey(key_id);
        if (absl::IsNotFound(record.status())) return not_found;
        RETURN_IF_ERROR(record.status());
        if (!record->deleted_at) return not_found;
        RETURN_IF_ERROR(caller.MayManage(record->service_account_id));
        DeleteKeyOperation(*record, response);
        return absl::OkStatus();
      });
}

// ---- ServiceAccountService ----

grpc::ServerUnaryReactor* ServiceAccountServiceImpl::Create(
    grpc::CallbackServerContext* context,
    const tiam::CreateServiceAccountRequest* request,
    tiam::ServiceAccount* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(tiam::ServiceAccountService, Create),
      [&](const Caller&) -> absl::Status {
        store::ServiceAccountRecord record;
        ASSIGN_OR_RETURN(record.id, iam::NewResourceId());
        record.name = request->name();
        record.description = request->description();
        record.created_at = Now(deps_.clock);
        record.token_creators.assign(request->token_creators().begin(),
                                     request->token_creators().end());
        RETURN_IF_ERROR(deps_.accounts->InsertServiceAccount(record));
        ToProto(record, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ServiceAccountServiceImpl::Get(
    grpc::CallbackServerContext* context,
    const tiam::GetServiceAccountRequest* request,
    tiam::ServiceAccount* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(tiam::ServiceAccountService, Get),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(
            store::ServiceAccountRecord record,
            LiveAccount(deps_.accounts, request->service_account_id()));
        ToProto(record, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ServiceAccountServiceImpl::List(
    grpc::CallbackServerContext* context,
    const tiam::ListServiceAccountsRequest* request,
    tiam::ListServiceAccountsResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(tiam::ServiceAccountService, List),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<store::ServiceAccountRecord> records,
                         deps_.accounts->ListServiceAccounts());
        ASSIGN_OR_RETURN(Page page,
                         Paginate(records.size(), request->page_size(),
                                  request->page_token()));
        for (size_t i = page.begin; i < page.end; ++i) {
          ToProto(records[i], response->add_service_accounts());
        }
        response->set_next_page_token(page.next_token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* ServiceAccountServiceImpl::Delete(
    grpc::CallbackServerContext* context,
    const tiam::DeleteServiceAccountRequest* request,
    google::protobuf::Empty* response) {
  return deps_.guard->Unary(context, *request, *response,
                            TOKEND_POLICY(tiam::ServiceAccountService, Delete),
                            [&](const Caller&) -> absl::Status {
                              return deps_.checker->DeleteServiceAccount(
                                  request->service_account_id());
                            });
}

grpc::ServerUnaryReactor* ServiceAccountServiceImpl::SetTokenCreators(
    grpc::CallbackServerContext* context,
    const tiam::SetTokenCreatorsRequest* request,
    tiam::ServiceAccount* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(tiam::ServiceAccountService, SetTokenCreators),
      [&](const Caller&) -> absl::Status {
        std::vector<std::string> creators(request->token_creators().begin(),
                                          request->token_creators().end());
        RETURN_IF_ERROR(deps_.accounts->SetTokenCreators(
            request->service_account_id(), creators));
        ASSIGN_OR_RETURN(
            store::ServiceAccountRecord record,
            LiveAccount(deps_.accounts, request->service_account_id()));
        ToProto(record, response);
        return absl::OkStatus();
      });
}

// ---- OAuthTokenService ----

grpc::ServerUnaryReactor* OAuthTokenServiceImpl::Create(
    grpc::CallbackServerContext* context,
    const tiam::CreateOAuthTokenRequest* request,
    tiam::CreateOAuthTokenResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(tiam::OAuthTokenService, Create),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(iam::CreatedOAuthToken created,
                         deps_.issuer->CreateOAuthToken(request->account_id()));
        ToProto(created.record, response->mutable_oauth_token());
        response->mutable_oauth_token()->set_description(
            request->description());
        response->mutable_oauth_token()->set_display_prefix(
            auth::DisplayPrefix(created.secret));
        response->set_token(std::move(created.secret));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* OAuthTokenServiceImpl::Revoke(
    grpc::CallbackServerContext* context,
    const tiam::RevokeOAuthTokenRequest* request, tiam::OAuthToken* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(tiam::OAuthTokenService, Revoke),
      [&](const Caller&) -> absl::Status {
        const absl::Time now = Now(deps_.clock);
        if (request->target_case() ==
            tiam::RevokeOAuthTokenRequest::kOauthToken) {
          auto record = deps_.oauth_tokens->FindOAuthTokenByHash(
              auth::HashSecret(request->oauth_token()));
          if (absl::IsNotFound(record.status())) {
            return absl::NotFoundError("OAuth token not found");
          }
          RETURN_IF_ERROR(record.status());
          RETURN_IF_ERROR(
              deps_.oauth_tokens->RevokeOAuthToken(record->id, now));
          if (!record->revoked_at) record->revoked_at = now;
          ToProto(*record, response);
          return absl::OkStatus();
        }
        RETURN_IF_ERROR(deps_.oauth_tokens->RevokeOAuthToken(
            request->oauth_token_id(), now));
        response->set_id(request->oauth_token_id());
        *response->mutable_revoked_at() = ToTimestamp(now);
        return absl::OkStatus();
      });
}

}  // namespace tokend::server
