// --audit_log: one JSON line per audited event, chained by keyed HMACs
// (core/audit/audit_chain.h), written by one writer thread.
//
// A call's line is written before the call is answered: the guard passes
// its answer as the line's `written` callback, which the writer runs after
// the write(2) that carried the line. So a crash loses no line of a call
// that was answered, and no gRPC thread ever blocks on the disk: calls
// queue their lines and return to the pool; the writer takes everything
// queued and writes it at once (group commit), then answers those calls.
//
// What is recorded, and when, comes from each method's declaration
// (tokend.api.v1.AuditRule; call_record.h) and from the per-minute
// aggregates of refused calls (server/failure_log.h). The log is reopened
// on SIGHUP, for rotation: the new file's first line links to the old
// file's last. A failed write is counted, and reported by healthy() until a
// write succeeds again; its calls are still answered, and the lines that
// follow link to the last line written, so the chain in the files stays
// whole.
#ifndef TOKEND_SERVER_AUDIT_AUDIT_LOG_H_
#define TOKEND_SERVER_AUDIT_AUDIT_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
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
  // lines already there, writes an opening line and starts the writer.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(std::string path,
                                                        audit::AuditKeys keys,
                                                        const Clock* clock);
  // Writes what is queued, answering its calls, then stops the writer.
  ~AuditLog();

  // Queues {"prev":…,"event":"<event>","ts":<now>…<fields>}; `fields` is
  // empty or starts with a comma, and holds no secret (SecretId them).
  // `written`, if any, runs on the writer thread once the line is written
  // or lost.
  void Append(absl::string_view event, std::string fields,
              std::function<void()> written = nullptr);
  // Opens the path anew (after a rotation moved the file away), once what
  // is queued is written to the old file.
  absl::Status Reopen();
  // Returns once every line queued so far is written (or lost).
  void Flush();

  std::string SecretId(absl::string_view secret) const {
    return keys_.SecretId(secret);
  }
  // False from a failed write until one succeeds.
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }
  // Prometheus families for GET /metrics.
  void AppendMetrics(std::string* out) const;

 private:
  struct Pending {
    std::string event;
    std::string fields;
    int64_t micros = 0;  // when it was queued
    std::function<void()> written;
  };

  AuditLog(std::string path, audit::AuditKeys keys, const Clock* clock);
  absl::Status OpenLocked(absl::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status OpenParkedLocked(absl::string_view reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Parks the writer and writes what is queued to the current file here:
  // then the descriptor is this thread's to change. Calls may go on
  // queueing; they are not waited for (a busy server would never be idle).
  void ParkWriterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Formats, chains and writes `lines` with one write(2); runs their
  // callbacks. The writer thread's, or under mu_ with the writer idle.
  void Write(std::vector<Pending>& lines);
  std::string Line(const Pending& pending);
  void Run();

  const std::string path_;
  const audit::AuditKeys keys_;
  const Clock* const clock_;

  absl::Mutex mu_;
  absl::CondVar queued_cv_;  // something queued, or stopping
  absl::CondVar idle_cv_;    // the writer finished a batch
  std::vector<Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool parked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t queued_ ABSL_GUARDED_BY(mu_) = 0;   // lines ever queued
  uint64_t settled_ ABSL_GUARDED_BY(mu_) = 0;  // of those, written or lost

  // Touched only by whoever writes: the writer thread while writing_, or
  // OpenLocked under mu_ while the writer is idle.
  int fd_ = -1;
  std::string prev_;   // the link of the last line written
  bool torn_ = false;  // a failed write may have left part of a line
  int64_t ts_second_ = INT64_MIN;  // the timestamp's text up to its second
  std::string ts_prefix_;

  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> failures_{0};
  std::thread writer_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_AUDIT_AUDIT_LOG_H_
