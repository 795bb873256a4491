#include "server/audit/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace tokend::server {
namespace {

// Lines are far shorter (each logged value is bounded); the last line of
// an existing log is looked for within this many final bytes.
constexpr size_t kMaxTail = 64 * 1024;

// The last line of the file open at `fd` (without its newline) and whether
// the file ends with one; empty for an empty file.
absl::StatusOr<std::pair<std::string, bool>> LastLine(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return absl::InternalError(std::strerror(errno));
  const size_t size = static_cast<size_t>(st.st_size);
  const size_t n = std::min(size, kMaxTail);
  std::string tail(n, '\0');
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, tail.data() + done, n - done, size - n + done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return absl::InternalError("cannot read the audit log's end");
    done += static_cast<size_t>(r);
  }
  const bool terminated = !tail.empty() && tail.back() == '\n';
  if (terminated) tail.pop_back();
  const size_t start = tail.rfind('\n');
  if (start == std::string::npos && size > n) {
    return absl::FailedPreconditionError(
        "the audit log's last line is longer than 64 KiB: not an audit log");
  }
  return std::make_pair(
      start == std::string::npos ? tail : tail.substr(start + 1), terminated);
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t w = write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data.remove_prefix(static_cast<size_t>(w));
  }
  return true;
}

}  // namespace

AuditLog::AuditLog(std::string path, audit::AuditKeys keys, const Clock* clock)
    : path_(std::move(path)), keys_(std::move(keys)), clock_(clock) {}

AuditLog::~AuditLog() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(std::string path,
                                                         audit::AuditKeys keys,
                                                         const Clock* clock) {
  std::unique_ptr<AuditLog> log(
      new AuditLog(std::move(path), std::move(keys), clock));
  absl::MutexLock lock(&log->mu_);
  absl::Status opened = log->OpenLocked("start");
  if (!opened.ok()) return opened;
  if (!log->healthy()) {
    return absl::UnavailableError(
        absl::StrCat("--audit_log ", log->path_, ": cannot write"));
  }
  return log;
}

absl::Status AuditLog::Reopen() {
  absl::MutexLock lock(&mu_);
  return OpenLocked("reopen");
}

absl::Status AuditLog::OpenLocked(absl::string_view reason) {
  const int fd =
      open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    healthy_.store(false, std::memory_order_relaxed);
    return absl::UnavailableError(absl::StrCat(
        "--audit_log ", path_, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st;
  const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  // A torn line belongs to the file it was written to.
  torn_ = false;
  if (regular) {
    // A file that already has lines (a restart, or SIGHUP without a
    // rotation) is continued from its own last line.
    absl::StatusOr<std::pair<std::string, bool>> last = LastLine(fd);
    if (!last.ok()) {
      close(fd);
      return last.status();
    }
    if (!last->first.empty()) {
      prev_ = keys_.Link(last->first);
      torn_ = !last->second;
    }
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  AppendLocked(audit::kOpenedEvent,
               absl::StrCat(",\"reason\":\"", reason, "\",\"pid\":", getpid()));
  return absl::OkStatus();
}

void AuditLog::Append(absl::string_view event, absl::string_view fields) {
  absl::MutexLock lock(&mu_);
  AppendLocked(event, fields);
}

void AuditLog::AppendLocked(absl::string_view event, absl::string_view fields) {
  // absl::FormatTime costs a microsecond; the second's text is kept.
  const int64_t micros = absl::ToUnixMicros(clock_->Now());
  const int64_t second =
      micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
  if (second != ts_second_) {
    ts_second_ = second;
    ts_prefix_ =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second),
                         absl::UTCTimeZone());
  }
  const std::string line = audit::ChainedLine(
      prev_, event,
      absl::StrCat(",\"ts\":\"", ts_prefix_, ".",
                   absl::Dec(micros - second * 1000000, absl::kZeroPad6), "Z\"",
                   fields));
  const std::string record = absl::StrCat(torn_ ? "\n" : "", line, "\n");
  if (!WriteAll(fd_, record)) {
    torn_ = true;
    failures_.fetch_add(1, std::memory_order_relaxed);
    healthy_.store(false, std::memory_order_relaxed);
    return;
  }
  torn_ = false;
  prev_ = keys_.Link(line);
  lines_.fetch_add(1, std::memory_order_relaxed);
  healthy_.store(true, std::memory_order_relaxed);
}

void AuditLog::AppendMetrics(std::string* out) const {
  absl::StrAppend(
      out,
      "# HELP tokend_audit_lines_total Lines written to the audit log.\n"
      "# TYPE tokend_audit_lines_total counter\ntokend_audit_lines_total ",
      lines_.load(std::memory_order_relaxed),
      "\n# HELP tokend_audit_write_failures_total Audit lines that could not "
      "be written (each is lost).\n"
      "# TYPE tokend_audit_write_failures_total counter\n"
      "tokend_audit_write_failures_total ",
      failures_.load(std::memory_order_relaxed),
      "\n# HELP tokend_audit_log_healthy 1 unless the last audit write "
      "failed.\n# TYPE tokend_audit_log_healthy gauge\n"
      "tokend_audit_log_healthy ",
      healthy() ? 1 : 0, "\n");
}

}  // namespace tokend::server
