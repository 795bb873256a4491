#include "core/iam/revocation_list.h"

#include <limits>
#include <utility>
#include <vector>

#include "core/common/status_macros.h"

namespace tokend::iam {

absl::StatusOr<std::unique_ptr<RevocationList>> RevocationList::Create(
    store::RevocationStore* store, const Clock* clock,
    RevocationListOptions options) {
  if (store == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("store and clock are required");
  }
  if (options.max_entries < 0) {
    return absl::InvalidArgumentError("max_entries must be >= 0");
  }
  std::unique_ptr<RevocationList> list(
      new RevocationList(store, clock, options));
  RETURN_IF_ERROR(list->Reload());
  return list;
}

RevocationList::RevocationList(store::RevocationStore* store,
                               const Clock* clock,
                               RevocationListOptions options)
    : store_(store), clock_(clock), options_(options) {}

absl::Status RevocationList::Revoke(const store::RevokedTokenRecord& rec) {
  absl::MutexLock write_lock(&write_mu_);
  // Durable first: memory never claims what the store does not have.
  RETURN_IF_ERROR(store_->InsertRevokedToken(rec));
  absl::MutexLock lock(&mu_);
  if (expiry_by_jti_.contains(rec.jti)) return absl::OkStatus();
  if (static_cast<int64_t>(expiry_by_jti_.size()) < options_.max_entries) {
    expiry_by_jti_.emplace(rec.jti, rec.expires_at);
  } else {
    complete_ = false;  // Recorded in the store only: misses ask the store.
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RevocationList::IsRevoked(absl::string_view jti) const {
  {
    absl::ReaderMutexLock lock(&mu_);
    if (expiry_by_jti_.contains(jti)) return true;
    if (complete_) return false;
  }
  return store_->IsTokenRevoked(jti);
}

absl::StatusOr<int> RevocationList::PurgeExpired(absl::Time now) {
  absl::MutexLock write_lock(&write_mu_);
  ASSIGN_OR_RETURN(int deleted, store_->DeleteExpiredRevokedTokens(now));
  // Writers are excluded by write_mu_, so the scan can run under the shared
  // lock (readers keep going) and only the erasing excludes them.
  std::vector<std::string> expired;
  bool complete = true;
  {
    absl::ReaderMutexLock lock(&mu_);
    complete = complete_;
    for (const auto& [jti, expires_at] : expiry_by_jti_) {
      if (expires_at <= now) expired.push_back(jti);
    }
  }
  if (!expired.empty()) {
    absl::MutexLock lock(&mu_);
    for (const std::string& jti : expired) expiry_by_jti_.erase(jti);
  }
  // Memory may have room again for what only the store holds.
  if (!complete) RETURN_IF_ERROR(ReloadLocked(now));
  return deleted;
}

absl::Status RevocationList::Reload() {
  absl::MutexLock write_lock(&write_mu_);
  return ReloadLocked(clock_->Now());
}

absl::Status RevocationList::ReloadLocked(absl::Time now) {
  const int64_t max = options_.max_entries;
  // One more than fits tells whether everything does.
  const int64_t limit =
      max < std::numeric_limits<int64_t>::max() ? max + 1 : max;
  ASSIGN_OR_RETURN(std::vector<store::RevokedTokenRecord> records,
                   store_->ListRevokedTokens(now, limit));
  const bool fits = static_cast<int64_t>(records.size()) <= max;
  if (!fits) records.resize(static_cast<size_t>(max));
  absl::flat_hash_map<std::string, absl::Time> loaded;
  loaded.reserve(records.size());
  for (store::RevokedTokenRecord& rec : records) {
    loaded.emplace(std::move(rec.jti), rec.expires_at);
  }
  absl::MutexLock lock(&mu_);
  expiry_by_jti_.swap(loaded);
  complete_ = fits;
  // `loaded` (the old map) is freed after the lock is released.
  return absl::OkStatus();
}

int64_t RevocationList::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return static_cast<int64_t>(expiry_by_jti_.size());
}

bool RevocationList::complete() const {
  absl::ReaderMutexLock lock(&mu_);
  return complete_;
}

}  // namespace tokend::iam
