// Admin calls the IAM integration tests share against a running tokend: a
// service account, and an authorized key as the key file a user downloads.
#ifndef TOKEND_TESTS_TESTING_IAM_ADMIN_H_
#define TOKEND_TESTS_TESTING_IAM_ADMIN_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"

namespace tokend::testing {

// Each call carries `admin_key` as Bearer and a 10 s deadline; a failed call
// fails the test (EXPECT) and returns an empty message.
tokend::iam::v1::ServiceAccount CreateServiceAccount(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_key,
    const std::string& name, const std::vector<std::string>& creators = {});

yandex::cloud::iam::v1::CreateKeyResponse CreateAuthorizedKey(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_key,
    const std::string& account_id);

// The key file JSON for a CreateKey response (iam::KeyFileJson's shape).
std::string KeyFileOf(const yandex::cloud::iam::v1::CreateKeyResponse& key);

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_TESTING_IAM_ADMIN_H_
