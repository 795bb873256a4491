// Failure lines an attacker cannot multiply: of the calls refused for a bad
// credential (UNAUTHENTICATED) or a rate limit (RESOURCE_EXHAUSTED), the
// first per client address in each interval is logged in full and the rest
// only counted, then written as one aggregate line per address when the
// interval ends. Addresses beyond `max_addresses` in one interval share one
// aggregate ("other"), so rotating addresses cannot grow memory or the log
// either. A 20 s guessing run used to write 150 MB; now it writes a line or
// two per address. The aggregates also go to the audit log, when there is
// one, as "refused" events.
#ifndef TOKEND_SERVER_FAILURE_LOG_H_
#define TOKEND_SERVER_FAILURE_LOG_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/audit/audit_log.h"

namespace tokend::server {

class FailureLog {
 public:
  // `sink` receives whole lines, `audit` the aggregates; either may be
  // null; neither is owned.
  FailureLog(std::FILE* sink, AuditLog* audit,
             absl::Duration interval = absl::Minutes(1),
             size_t max_addresses = 10000);
  ~FailureLog();

  // Whether a call ending with `code` from `address` is logged in full (it
  // is not a credential or rate-limit refusal, or it is the first of its
  // address in the interval); otherwise it is counted here.
  bool ShouldLog(absl::string_view address, grpc::StatusCode code,
                 absl::Time now);
  // Writes the aggregates of an interval that has ended (called
  // periodically, so a quiet server still reports).
  void Flush(absl::Time now);

 private:
  struct Counts {
    int64_t unauthenticated = 0;
    int64_t rate_limited = 0;
    int64_t logged = 0;  // lines written in full
  };
  void WriteLocked(absl::Time end) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::FILE* const sink_;
  AuditLog* const audit_;
  const absl::Duration interval_;
  const size_t max_addresses_;
  absl::Mutex mu_;
  absl::Time start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::flat_hash_map<std::string, Counts> counts_ ABSL_GUARDED_BY(mu_);
  Counts other_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_FAILURE_LOG_H_
