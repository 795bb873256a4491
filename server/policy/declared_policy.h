// The access policy each served method declares in its proto
// (tokend.api.v1.policy, proto/tokend/api/v1/policy.proto), read once from
// the generated descriptor pool.
#ifndef TOKEND_SERVER_POLICY_DECLARED_POLICY_H_
#define TOKEND_SERVER_POLICY_DECLARED_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "tokend/api/v1/policy.pb.h"

namespace tokend::server {

using api::v1::AuditEvent;
using api::v1::Credential;
using api::v1::RateLimitClass;

// A field an audit rule names, resolved against the method's messages.
struct AuditField {
  std::string name;  // as declared: "session_id", "response.api_key.id"
  bool in_response = false;
  // From the message down to the scalar field.
  std::vector<const google::protobuf::FieldDescriptor*> path;
};

struct AuditPlan {
  AuditEvent event = api::v1::AUDIT_EVENT_UNSPECIFIED;
  std::vector<AuditField> resource;
  std::vector<AuditField> secret;
  std::optional<AuditField> token;
};

struct MethodPolicy {
  std::string method;  // "/package.Service/Method"
  bool anyone = false;
  uint32_t credentials = 0;  // bit (1 << Credential)
  RateLimitClass rate_limit = api::v1::RATE_LIMIT_CLASS_UNSPECIFIED;
  AuditPlan audit;

  bool Accepts(Credential credential) const {
    return (credentials & (1u << credential)) != 0;
  }
};

// Every method of `services` declares a policy that is complete: `anyone`
// or at least one credential (not both), a rate-limit class, and an audit
// event whose fields exist and are scalars (secrets and tokens strings). The
// error names each method that does not.
absl::Status CheckDeclared(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services);

// The declaration of `service`'s `method` (full service name, method name);
// the process aborts if it has none, which CheckDeclared at start-up rules
// out for the served services.
const MethodPolicy& DeclaredPolicy(absl::string_view service,
                                   absl::string_view method);

}  // namespace tokend::server

// The declared policy of a generated service's method, looked up once per
// call site:  TOKEND_POLICY(yandex::cloud::iam::v1::IamTokenService, Create)
#define TOKEND_POLICY(service, method)                                 \
  ([]() -> const ::tokend::server::MethodPolicy& {                     \
    static const ::tokend::server::MethodPolicy& policy =              \
        ::tokend::server::DeclaredPolicy(service::service_full_name(), \
                                         #method);                     \
    return policy;                                                     \
  }())

#endif  // TOKEND_SERVER_POLICY_DECLARED_POLICY_H_
