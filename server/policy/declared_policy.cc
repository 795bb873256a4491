#include "server/policy/declared_policy.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "core/common/status_macros.h"

namespace tokend::server {
namespace {

using google::protobuf::FieldDescriptor;

absl::StatusOr<AuditField> ResolveField(
    const google::protobuf::MethodDescriptor& method, absl::string_view name,
    bool must_be_string) {
  AuditField field;
  field.name = std::string(name);
  const google::protobuf::Descriptor* message = method.input_type();
  std::vector<absl::string_view> parts = absl::StrSplit(name, '.');
  if (parts.size() > 1 && parts[0] == "response") {
    field.in_response = true;
    message = method.output_type();
    parts.erase(parts.begin());
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f =
        message == nullptr ? nullptr
                           : message->FindFieldByName(std::string(parts[i]));
    if (f == nullptr || f->is_repeated()) {
      return absl::FailedPreconditionError(
          absl::StrCat("audit field ", name, ": no such singular field"));
    }
    field.path.push_back(f);
    const bool last = i + 1 == parts.size();
    const bool is_message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (last == is_message ||
        (last && must_be_string &&
         f->cpp_type() != FieldDescriptor::CPPTYPE_STRING)) {
      return absl::FailedPreconditionError(
          absl::StrCat("audit field ", name,
                       must_be_string ? ": not a string" : ": not a scalar"));
    }
    message = is_message ? f->message_type() : nullptr;
  }
  return field;
}

absl::Status ReadAudit(const google::protobuf::MethodDescriptor& method,
                       const api::v1::AuditRule& rule, AuditPlan* out) {
  out->event = rule.event();
  if (out->event == api::v1::AUDIT_EVENT_UNSPECIFIED) {
    return absl::FailedPreconditionError("no audit event");
  }
  if (out->event == api::v1::AUDIT_EVENT_NONE &&
      (rule.resource_size() + rule.secret_size() > 0 ||
       !rule.token().empty())) {
    return absl::FailedPreconditionError("fields for an unaudited method");
  }
  for (const std::string& name : rule.resource()) {
    ASSIGN_OR_RETURN(AuditField field, ResolveField(method, name, false));
    out->resource.push_back(std::move(field));
  }
  for (const std::string& name : rule.secret()) {
    ASSIGN_OR_RETURN(AuditField field, ResolveField(method, name, true));
    out->secret.push_back(std::move(field));
  }
  if (!rule.token().empty()) {
    ASSIGN_OR_RETURN(out->token, ResolveField(method, rule.token(), true));
  }
  return absl::OkStatus();
}

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
  return ReadAudit(method, declared.audit(), &out->audit);
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
