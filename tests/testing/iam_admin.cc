#include "tests/testing/iam_admin.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/iam/authorized_keys.h"
#include "core/store/records.h"

namespace tokend::testing {
namespace {

namespace tiam = ::tokend::iam::v1;
namespace yiam = ::yandex::cloud::iam::v1;

void Admin(const std::string& admin_key, grpc::ClientContext* context) {
  context->AddMetadata("authorization", "Bearer " + admin_key);
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
}

}  // namespace

tiam::ServiceAccount CreateServiceAccount(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_key,
    const std::string& name, const std::vector<std::string>& creators) {
  tiam::CreateServiceAccountRequest request;
  request.set_name(name);
  for (const std::string& c : creators) request.add_token_creators(c);
  tiam::ServiceAccount account;
  grpc::ClientContext context;
  Admin(admin_key, &context);
  grpc::Status status = tiam::ServiceAccountService::NewStub(channel)->Create(
      &context, request, &account);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return account;
}

yiam::CreateKeyResponse CreateAuthorizedKey(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_key,
    const std::string& account_id) {
  yiam::CreateKeyRequest request;
  request.set_service_account_id(account_id);
  yiam::CreateKeyResponse response;
  grpc::ClientContext context;
  Admin(admin_key, &context);
  grpc::Status status =
      yiam::KeyService::NewStub(channel)->Create(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

std::string KeyFileOf(const yiam::CreateKeyResponse& key) {
  store::AuthorizedKeyRecord record;
  record.id = key.key().id();
  record.service_account_id = key.key().service_account_id();
  record.key_algorithm = store::AuthorizedKeyAlgorithm::kRsa2048;
  record.public_key_pem = key.key().public_key();
  record.created_at = absl::FromUnixSeconds(key.key().created_at().seconds());
  return iam::KeyFileJson(record, key.private_key());
}

}  // namespace tokend::testing
