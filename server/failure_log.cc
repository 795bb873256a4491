#include "server/failure_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/gateway/json_string.h"

namespace tokend::server {

FailureLog::FailureLog(std::FILE* sink, AuditLog* audit,
                       absl::Duration interval, size_t max_addresses)
    : sink_(sink),
      audit_(audit),
      interval_(interval),
      max_addresses_(max_addresses) {}

FailureLog::~FailureLog() {
  absl::MutexLock lock(&mu_);
  WriteLocked(absl::Now());
}

bool FailureLog::ShouldLog(absl::string_view address, grpc::StatusCode code,
                           absl::Time now) {
  const bool unauthenticated = code == grpc::StatusCode::UNAUTHENTICATED;
  const bool rate_limited = code == grpc::StatusCode::RESOURCE_EXHAUSTED;
  if (!unauthenticated && !rate_limited) return true;
  absl::MutexLock lock(&mu_);
  if (now - start_ >= interval_) {
    WriteLocked(now);
    start_ = now;
  }
  Counts* counts = &other_;
  if (auto it = counts_.find(address); it != counts_.end()) {
    counts = &it->second;
  } else if (counts_.size() < max_addresses_) {
    counts = &counts_[address];
  }
  counts->unauthenticated += unauthenticated;
  counts->rate_limited += rate_limited;
  if (counts == &other_ || counts->logged > 0) return false;
  counts->logged = 1;
  return true;
}

void FailureLog::Flush(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (now - start_ < interval_) return;
  WriteLocked(now);
  start_ = now;
}

void FailureLog::WriteLocked(absl::Time end) {
  const std::string ts =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", end, absl::UTCTimeZone());
  auto write = [&](absl::string_view address, const Counts& c) {
    // The call logged in full is not counted again.
    const int64_t unauthenticated = c.unauthenticated;
    const int64_t rate_limited = c.rate_limited;
    if (audit_ != nullptr && unauthenticated + rate_limited > 0) {
      std::string fields = ",\"client\":";
      gateway::AppendJsonStringLossy(address, &fields);
      absl::StrAppend(&fields,
                      ",\"interval_s\":", absl::ToInt64Seconds(interval_),
                      ",\"unauthenticated\":", unauthenticated,
                      ",\"rate_limited\":", rate_limited);
      audit_->Append("refused", fields);
    }
    if (sink_ == nullptr || unauthenticated + rate_limited - c.logged <= 0) {
      return;
    }
    std::string line = absl::StrCat("{\"ts\":\"", ts,
                                    "\",\"msg\":\"refused calls\",\"client\":");
    gateway::AppendJsonStringLossy(address, &line);
    absl::StrAppend(&line, ",\"interval_s\":", absl::ToInt64Seconds(interval_),
                    ",\"unauthenticated\":", unauthenticated,
                    ",\"rate_limited\":", rate_limited,
                    ",\"logged_in_full\":", c.logged, "}\n");
    std::fwrite(line.data(), 1, line.size(), sink_);
  };
  for (const auto& [address, counts] : counts_) write(address, counts);
  write("other", other_);
  counts_.clear();
  other_ = Counts();
}

}  // namespace tokend::server
