// --audit_log: one JSON line per audited event, chained by keyed HMACs
// (core/audit/audit_chain.h). A call returns once its line is written: a
// crash loses no line of a call that was answered. Lines queued while
// another call writes go out together in the next write(2) (group commit),
// so concurrent calls share the system call.
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
#include <vector>

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
  // Chains a line after the last one queued; returns its sequence number.
  uint64_t Queue(absl::string_view event, absl::string_view fields)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns once line `seq` is written or lost: written by this call with
  // every line queued so far (one write(2) for all: group commit), or by
  // the call writing when it came.
  void Settle(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Pending {
    std::string text;  // without its newline
    std::string link;  // what the next line carries as prev
  };

  const std::string path_;
  const audit::AuditKeys keys_;
  const Clock* const clock_;
  absl::Mutex mu_;
  absl::CondVar settled_cv_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  // The link of the last line queued, and of the last line written.
  std::string prev_ ABSL_GUARDED_BY(mu_);
  std::string written_prev_ ABSL_GUARDED_BY(mu_);
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t settled_ ABSL_GUARDED_BY(mu_) = 0;  // written or lost
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
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
