#include "server/policy/declared_policy.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace tokend::server {
namespace {

absl::Status Read(const google::protobuf::MethodDescriptor& method,
                  MethodPolicy* out) {
  out->method =
      absl::StrCat("/", method.service()->full_name(), "/", method.name());
  if (!method.options().HasExtension(api::v1::policy)) {
    return absl::FailedPreconditionError("no policy declared");
  }
  const api::v1::MethodPolicy& declared =
      method.options().GetExtension(api::v1::policy);
  out->anyone = declared.anyone();
  for (int c : declared.credentials()) {
    if (c == api::v1::CREDENTIAL_UNSPECIFIED || c < 0 || c > 31) {
      return absl::FailedPreconditionError("an unspecified credential");
    }
    out->credentials |= 1u << c;
  }
  out->rate_limit = declared.rate_limit();
  if (out->anyone == (out->credentials != 0)) {
    return absl::FailedPreconditionError(
        "exactly one of anyone and credentials");
  }
  if (out->rate_limit == api::v1::RATE_LIMIT_CLASS_UNSPECIFIED) {
    return absl::FailedPreconditionError("no rate-limit class");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDeclared(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  std::vector<std::string> problems;
  for (const auto* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      MethodPolicy policy;
      absl::Status s = Read(*service->method(i), &policy);
      if (!s.ok()) {
        problems.push_back(absl::StrCat(policy.method, ": ", s.message()));
      }
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("served methods without a complete tokend.api.v1.policy "
                   "declaration (proto/tokend/api/v1/policy.proto): ",
                   absl::StrJoin(problems, "; ")));
}

const MethodPolicy& DeclaredPolicy(absl::string_view service,
                                   absl::string_view method) {
  static absl::Mutex mu(absl::kConstInit);
  static auto* policies =
      new absl::node_hash_map<std::string, std::unique_ptr<MethodPolicy>>();
  const std::string key = absl::StrCat(service, "/", method);
  absl::MutexLock lock(&mu);
  auto& slot = (*policies)[key];
  if (slot == nullptr) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
            absl::StrCat(service, ".", method));
    auto policy = std::make_unique<MethodPolicy>();
    absl::Status s = descriptor == nullptr
                         ? absl::NotFoundError("no such method")
                         : Read(*descriptor, policy.get());
    if (!s.ok()) {
      std::cerr << "tokend: " << key << ": " << s.message() << "\n";
      std::abort();
    }
    slot = std::move(policy);
  }
  return *slot;
}

}  // namespace tokend::server
