// --audit_log: one JSON line per audited event, appended with one write(2)
// each (a crash loses no line that was acknowledged), chained by keyed
// HMACs (core/audit/audit_chain.h).
//
// What is recorded, and when, comes from each method's declaration
// (tokend.api.v1.AuditRule; call_record.h) and from the per-minute
// aggregates of refused calls (server/failure_log.h). The log is reopened
// on SIGHUP, for rotation: the new file's first line links to the old
// file's last. A failed write is counted, and reported by healthy() until a
// write succeeds again; the call that caused it is still answered.
#ifndef TOKEND_SERVER_AUDIT_AUDIT_LOG_H_
#define TOKEND_SERVER_AUDIT_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "core/audit/audit_chain.h"
#include "core/common/clock.h"

namespace tokend::server {

class AuditLog {
 public:
  // Opens `path` for appending (created 0600), continuing the chain of the
  // lines already there, and writes an opening line.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(std::string path,
                                                        audit::AuditKeys keys,
                                                        const Clock* clock);
  ~AuditLog();

  // Appends {"prev":…,"event":"<event>","ts":…<fields>}; `fields` is empty
  // or starts with a comma, and holds no secret (SecretId them).
  void Append(absl::string_view event, absl::string_view fields);
  // Opens the path anew (after a rotation moved the file away).
  absl::Status Reopen();

  std::string SecretId(absl::string_view secret) const {
    return keys_.SecretId(secret);
  }
  // False from a failed write until one succeeds.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  // Prometheus families for GET /metrics.
  void AppendMetrics(std::string* out) const;

 private:
  AuditLog(std::string path, audit::AuditKeys keys, const Clock* clock);
  absl::Status OpenLocked(absl::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLocked(absl::string_view event, absl::string_view fields)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const audit::AuditKeys keys_;
  const Clock* const clock_;
  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::string prev_ ABSL_GUARDED_BY(mu_);
  // A failed write may have left part of a line: the next starts on a new
  // line, so lines stay separable (the chain shows the loss).
  bool torn_ ABSL_GUARDED_BY(mu_) = false;
  // The timestamp's text up to its second, for that second.
  int64_t ts_second_ ABSL_GUARDED_BY(mu_) = INT64_MIN;
  std::string ts_prefix_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> failures_{0};
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_AUDIT_AUDIT_LOG_H_
