#include "server/replica_sync.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tokend::server {

absl::StatusOr<std::unique_ptr<ReplicaSync>> ReplicaSync::Create(
    store::ChangeFeedStore* feed, const Clock* clock, absl::Duration bound) {
  store::ChangeFollowerOptions options;
  options.bound = bound;
  ASSIGN_OR_RETURN(std::unique_ptr<store::ChangeFollower> follower,
                   store::ChangeFollower::Create(feed, clock, options));
  return std::unique_ptr<ReplicaSync>(
      new ReplicaSync(std::move(follower), clock, bound));
}

ReplicaSync::~ReplicaSync() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
  if (listener_.joinable()) listener_.join();
}

absl::Status ReplicaSync::NotCurrent() const {
  return absl::UnavailableError(absl::StrCat(
      "this replica has not confirmed within ", absl::FormatDuration(bound_),
      " that it knows every revocation (is the database reachable?)"));
}

absl::Status ReplicaSync::AfterDispatch() {
  if (reload_revocations_) {
    RETURN_IF_ERROR(targets_.iam->ReloadRevocations());
    reload_revocations_ = false;
  }
  if (reload_keys_) {
    RETURN_IF_ERROR(targets_.keyring->Refresh());
    reload_keys_ = false;
  }
  return absl::OkStatus();
}

void ReplicaSync::Start(SyncTargets targets,
                        std::unique_ptr<store::ChangeNotifier> notifier) {
  targets_ = targets;
  using store::ChangeKind;
  using store::ChangeRecord;
  store::ChangeFollower& f = *follower_;
  for (ChangeKind kind :
       {ChangeKind::kApiKey, ChangeKind::kServiceAccount,
        ChangeKind::kAuthorizedKey, ChangeKind::kUser, ChangeKind::kSession,
        ChangeKind::kJwtTemplate, ChangeKind::kOAuthToken}) {
    f.OnChange(kind,
               [this](const ChangeRecord& r) { targets_.caches->Apply(r); });
  }
  f.OnChange(ChangeKind::kRevokedToken,
             [this](const ChangeRecord&) { reload_revocations_ = true; });
  f.OnChange(ChangeKind::kSigningKeys,
             [this](const ChangeRecord&) { reload_keys_ = true; });
  // Changes the follower never read (given up, purged before it came):
  // forget everything and reload what is kept whole.
  f.SetResync([this] {
    targets_.caches->DropAll();
    reload_revocations_ = true;
    reload_keys_ = true;
  });
  f.SetAfterDispatch([this] { return AfterDispatch(); });

  const absl::Duration interval = bound_ / 5;
  poller_ = std::thread([this, interval] { PollLoop(interval); });
  if (notifier != nullptr) {
    notifier_ = std::move(notifier);
    listener_ = std::thread([this] { ListenLoop(); });
  }
}

void ReplicaSync::PollLoop(absl::Duration interval) {
  absl::Status last = absl::OkStatus();
  while (true) {
    absl::Status status = follower_->Poll();
    // One line per change of health, not per failed poll.
    if (status.ok() != last.ok()) {
      std::fprintf(stderr, "tokend: change feed %s%s\n",
                   status.ok() ? "followed again" : "unreachable: ",
                   status.ok() ? "" : std::string(status.message()).c_str());
    }
    last = std::move(status);
    absl::MutexLock lock(&mu_);
    auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return woken_ || stopping_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&wake), interval);
    if (stopping_) return;
    woken_ = false;
  }
}

void ReplicaSync::ListenLoop() {
  // Short waits keep shutdown prompt; a channel that is down is retried
  // once a second (polling carries on meanwhile).
  constexpr absl::Duration kWaitSlice = absl::Milliseconds(100);
  constexpr absl::Duration kRetry = absl::Seconds(1);
  bool down = false;
  while (true) {
    absl::StatusOr<bool> woken = notifier_->Wait(kWaitSlice);
    if (woken.ok() != !down) {
      down = !woken.ok();
      std::fprintf(stderr, "tokend: change notices %s%s\n",
                   down ? "lost, polling only: " : "back",
                   down ? std::string(woken.status().message()).c_str() : "");
    }
    absl::MutexLock lock(&mu_);
    if (woken.ok() && *woken) woken_ = true;
    auto stop = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (!woken.ok()) mu_.AwaitWithTimeout(absl::Condition(&stop), kRetry);
    if (stopping_) return;
  }
}

}  // namespace tokend::server
