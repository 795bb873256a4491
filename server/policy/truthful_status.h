// What a handler's failure may tell the caller. Store errors carry the
// database's own text ("sqlite: …", "postgres: …"), which is for the
// operator: the caller gets UNAVAILABLE (try again) or INTERNAL (do not)
// without internals. Only a rate limit is RESOURCE_EXHAUSTED, which SDKs
// retry: anything else reporting it (a full disk, an allocation) becomes
// UNAVAILABLE.
#ifndef TOKEND_SERVER_POLICY_TRUTHFUL_STATUS_H_
#define TOKEND_SERVER_POLICY_TRUTHFUL_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokend::server {

// `status` as the caller may see it; logs what it hides (never a
// credential: store messages carry no bound parameters) under `method`.
absl::Status Truthful(absl::Status status, absl::string_view method);

}  // namespace tokend::server

#endif  // TOKEND_SERVER_POLICY_TRUTHFUL_STATUS_H_
