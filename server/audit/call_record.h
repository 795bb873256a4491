// The audit line of a guarded call, as its method's declaration asks
// (tokend.api.v1.AuditRule): which resource, which secrets as keyed HMACs,
// and of a token issued or revoked only its header and identifying claims.
#ifndef TOKEND_SERVER_AUDIT_CALL_RECORD_H_
#define TOKEND_SERVER_AUDIT_CALL_RECORD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "server/audit/audit_log.h"
#include "server/policy/declared_policy.h"

namespace tokend::server {

// Who made the call, as the guard found it.
struct AuditedCaller {
  absl::string_view kind;        // "admin", "api_key", "iam_token", …
  absl::string_view id;          // the key id, the account, the session
  absl::string_view credential;  // what was presented; only its HMAC is kept
  absl::string_view address;     // the client address
};

// Whether a call with this outcome is recorded: issues when they succeed,
// changes and revocations once the caller was admitted, whatever followed.
bool ShouldAudit(const AuditPlan& plan, bool admitted,
                 const absl::Status& outcome);

// Appends the call's line to `log`.
void RecordCall(AuditLog& log, const MethodPolicy& policy,
                const AuditedCaller& caller,
                const google::protobuf::Message& request,
                const google::protobuf::Message& response,
                const absl::Status& outcome);

// The fields of a compact JWS worth auditing, as `,"token":{…}`; empty when
// `jwt` is not one.
std::string TokenFields(absl::string_view jwt);

}  // namespace tokend::server

#endif  // TOKEND_SERVER_AUDIT_CALL_RECORD_H_
