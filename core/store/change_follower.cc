#include "core/store/change_follower.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "core/common/status_macros.h"

namespace tokend::store {
namespace {

// At most this many missing seqs are waited for below a record: in-flight
// transactions are a few per connection, while a jump past purged records
// can be millions long (those are not gaps, and are not tracked).
constexpr int64_t kMaxTrackedGap = 1000;

}  // namespace

absl::StatusOr<std::unique_ptr<ChangeFollower>> ChangeFollower::Create(
    ChangeFeedStore* feed, const Clock* clock, ChangeFollowerOptions options) {
  if (feed == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("change follower: null dependency");
  }
  if (options.bound <= absl::ZeroDuration() || options.batch < 1) {
    return absl::InvalidArgumentError(
        "change follower: bound and batch must be positive");
  }
  const absl::Time start = clock->Now();
  ASSIGN_OR_RETURN(int64_t last, feed->LastChangeSeq());
  const int64_t position = std::max<int64_t>(0, last - kMaxTrackedGap);
  std::unique_ptr<ChangeFollower> follower(
      new ChangeFollower(feed, clock, options, position));
  absl::MutexLock lock(&follower->mu_);
  follower->last_confirmed_ = start;
  return follower;
}

ChangeFollower::ChangeFollower(ChangeFeedStore* feed, const Clock* clock,
                               ChangeFollowerOptions options, int64_t position)
    : feed_(feed), clock_(clock), options_(options), position_(position) {
  published_position_ = position;
}

void ChangeFollower::OnChange(ChangeKind kind, Handler handler) {
  handlers_[kind].push_back(std::move(handler));
}

void ChangeFollower::SetAfterDispatch(std::function<absl::Status()> hook) {
  after_dispatch_ = std::move(hook);
}

void ChangeFollower::SetResync(std::function<void()> resync) {
  resync_ = std::move(resync);
}

absl::Status ChangeFollower::Poll() {
  absl::MutexLock poll_lock(&poll_mu_);
  // Taken before reading: every change committed before this instant is
  // visible to the reads below.
  const absl::Time started = clock_->Now();
  int64_t after = position_;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<ChangeRecord> records,
                     feed_->ListChanges(after, options_.batch));
    int64_t expected = after + 1;
    for (const ChangeRecord& record : records) {
      // Seqs skipped over are gaps: a writer that has not committed yet.
      for (int64_t missing = std::max(expected, record.seq - kMaxTrackedGap);
           missing < record.seq; ++missing) {
        if (!seen_.contains(missing)) gaps_.emplace(missing, started);
      }
      expected = record.seq + 1;
      gaps_.erase(record.seq);
      if (!seen_.insert(record.seq).second) continue;  // Dispatched before.
      auto it = handlers_.find(record.kind);
      if (it == handlers_.end()) continue;
      for (const Handler& handler : it->second) handler(record);
    }
    if (static_cast<int64_t>(records.size()) < options_.batch) break;
    after = records.back().seq;
  }
  // Gaps that outlived the timeout belonged to transactions that rolled
  // back (or never will commit in time): stop waiting for them.
  bool gave_up = false;
  for (auto it = gaps_.begin(); it != gaps_.end();) {
    if (started - it->second >= options_.gap_timeout) {
      it = gaps_.erase(it);
      gave_up = true;
    } else {
      ++it;
    }
  }
  // Advance past everything seen with no pending gap below it.
  const int64_t first_gap = gaps_.empty() ? INT64_MAX : gaps_.begin()->first;
  while (position_ + 1 < first_gap) {
    auto it = seen_.find(position_ + 1);
    if (it == seen_.end()) {
      // Nothing known at position_ + 1: either the end of the feed or a
      // skipped gap; jump to the next seen seq below the first gap.
      int64_t next = INT64_MAX;
      for (int64_t s : seen_) {
        if (s > position_ && s < first_gap) next = std::min(next, s);
      }
      if (next == INT64_MAX) break;
      // Seqs between were never read: given up, or purged before we came.
      gave_up = true;
      position_ = next - 1;
      continue;
    }
    seen_.erase(it);
    ++position_;
  }
  {
    absl::MutexLock lock(&mu_);
    published_position_ = position_;
  }
  if (gave_up && resync_) resync_();
  if (after_dispatch_) RETURN_IF_ERROR(after_dispatch_());
  absl::MutexLock lock(&mu_);
  last_confirmed_ = std::max(last_confirmed_, started);
  return absl::OkStatus();
}

bool ChangeFollower::IsCurrent() const {
  absl::MutexLock lock(&mu_);
  return clock_->Now() - last_confirmed_ <= options_.bound;
}

absl::Time ChangeFollower::last_confirmed() const {
  absl::MutexLock lock(&mu_);
  return last_confirmed_;
}

int64_t ChangeFollower::position() const {
  absl::MutexLock lock(&mu_);
  return published_position_;
}

}  // namespace tokend::store
