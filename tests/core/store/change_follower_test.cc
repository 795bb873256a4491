// ChangeFollower's bookkeeping against a scripted feed: out-of-order
// commits, gaps that fill or time out, purges, errors. The real backends'
// feeds are covered by the conformance suite and the replica tests.
#include "core/store/change_follower.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A feed whose records are whatever the test commits, in any seq order.
class ScriptedFeed final : public ChangeFeedStore {
 public:
  void Commit(int64_t seq, std::string key) {
    records_[seq] = ChangeRecord{seq, ChangeKind::kSession, std::move(key),
                                 absl::UnixEpoch()};
  }
  void Purge() { records_.clear(); }
  bool fail = false;

  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(
      int64_t after_seq, int64_t limit) override {
    if (fail) return absl::UnavailableError("down");
    std::vector<ChangeRecord> out;
    for (auto it = records_.upper_bound(after_seq);
         it != records_.end() && static_cast<int64_t>(out.size()) < limit;
         ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  absl::StatusOr<int64_t> LastChangeSeq() override {
    if (fail) return absl::UnavailableError("down");
    return records_.empty() ? 0 : records_.rbegin()->first;
  }
  absl::StatusOr<int> DeleteChangesBefore(absl::Time) override { return 0; }
  void SetCommitObserver(CommitObserver) override {}

 private:
  std::map<int64_t, ChangeRecord> records_;
};

class ChangeFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    feed_.Commit(1, "before-start");
    ChangeFollowerOptions options;
    options.bound = absl::Seconds(1);
    options.gap_timeout = absl::Seconds(10);
    options.batch = 2;  // Several queries per poll.
    auto follower = ChangeFollower::Create(&feed_, &clock_, options);
    ASSERT_TRUE(follower.ok()) << follower.status();
    follower_ = *std::move(follower);
    follower_->OnChange(ChangeKind::kSession, [this](const ChangeRecord& r) {
      seen_.push_back(r.key);
    });
    follower_->OnChange(ChangeKind::kApiKey,
                        [](const ChangeRecord&) { FAIL() << "wrong kind"; });
  }

  std::vector<std::string> Poll() {
    seen_.clear();
    EXPECT_TRUE(follower_->Poll().ok());
    return seen_;
  }

  ScriptedFeed feed_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<ChangeFollower> follower_;
  std::vector<std::string> seen_;
};

TEST_F(ChangeFollowerTest, DispatchesEachRecordOnce) {
  // Record 1 predates the follower: dispatched again from the start window
  // (harmless: handlers only drop caches), then never again.
  EXPECT_THAT(Poll(), ElementsAre("before-start"));
  for (int64_t seq = 2; seq <= 6; ++seq) {
    feed_.Commit(seq, absl::StrCat("s", seq));
  }
  EXPECT_THAT(Poll(), ElementsAre("s2", "s3", "s4", "s5", "s6"));
  EXPECT_THAT(Poll(), IsEmpty());
  EXPECT_EQ(follower_->position(), 6);
}

// Seq 3 was handed out first but commits last: 4 and 5 are dispatched at
// once, 3 when it lands, and nothing twice.
TEST_F(ChangeFollowerTest, OutOfOrderCommitsAreNotMissed) {
  feed_.Commit(2, "s2");
  feed_.Commit(4, "s4");
  feed_.Commit(5, "s5");
  EXPECT_THAT(Poll(), ElementsAre("before-start", "s2", "s4", "s5"));
  EXPECT_EQ(follower_->position(), 2);  // Held below the gap.
  clock_.Advance(absl::Seconds(2));
  EXPECT_THAT(Poll(), IsEmpty());
  feed_.Commit(3, "s3");
  EXPECT_THAT(Poll(), ElementsAre("s3"));
  EXPECT_EQ(follower_->position(), 5);
  EXPECT_THAT(Poll(), IsEmpty());
}

// A seq that never commits (a rolled-back transaction) is given up after
// gap_timeout; later records still flow.
TEST_F(ChangeFollowerTest, AGapThatNeverFillsIsSkippedAfterTheTimeout) {
  feed_.Commit(3, "s3");
  EXPECT_THAT(Poll(), ElementsAre("before-start", "s3"));
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(Poll(), IsEmpty());
  EXPECT_EQ(follower_->position(), 1);
  clock_.Advance(absl::Seconds(1));
  feed_.Commit(4, "s4");
  EXPECT_THAT(Poll(), ElementsAre("s4"));
  EXPECT_EQ(follower_->position(), 4);
}

// After the feed is purged below the follower, new records still arrive,
// and the purged span is not waited for seq by seq.
TEST_F(ChangeFollowerTest, ARecordFarAboveThePositionIsTakenAtOnce) {
  feed_.Purge();
  feed_.Commit(5'000'000, "far");
  EXPECT_THAT(Poll(), ElementsAre("far"));
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(Poll(), IsEmpty());
  EXPECT_EQ(follower_->position(), 5'000'000);
}

TEST_F(ChangeFollowerTest, IsCurrentOnlyWithinTheBoundOfTheLastSuccess) {
  EXPECT_TRUE(follower_->IsCurrent());
  clock_.Advance(absl::Milliseconds(1001));
  EXPECT_FALSE(follower_->IsCurrent());
  EXPECT_TRUE(follower_->Poll().ok());
  EXPECT_TRUE(follower_->IsCurrent());

  feed_.fail = true;
  clock_.Advance(absl::Milliseconds(600));
  EXPECT_EQ(follower_->Poll().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(follower_->IsCurrent());  // 600 ms since the last success.
  clock_.Advance(absl::Milliseconds(600));
  EXPECT_FALSE(follower_->IsCurrent());  // Fails closed.

  feed_.fail = false;
  feed_.Commit(2, "after-outage");
  EXPECT_THAT(Poll(), ElementsAre("after-outage"));
  EXPECT_TRUE(follower_->IsCurrent());
}

// Work the hook does not finish keeps the follower unconfirmed until a
// later poll's hook succeeds, even with nothing new to read.
TEST_F(ChangeFollowerTest, AFailedAfterDispatchHookLeavesThePollUnconfirmed) {
  bool reload_pending = false;
  bool reload_works = false;
  follower_->OnChange(ChangeKind::kSession,
                      [&](const ChangeRecord&) { reload_pending = true; });
  follower_->SetAfterDispatch([&]() -> absl::Status {
    if (!reload_pending) return absl::OkStatus();
    if (!reload_works) return absl::UnavailableError("reload failed");
    reload_pending = false;
    return absl::OkStatus();
  });
  feed_.Commit(2, "s2");
  clock_.Advance(absl::Milliseconds(900));
  EXPECT_EQ(follower_->Poll().code(), absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Milliseconds(200));
  EXPECT_FALSE(follower_->IsCurrent());
  reload_works = true;
  EXPECT_TRUE(follower_->Poll().ok());  // Nothing new; the reload is done.
  EXPECT_TRUE(follower_->IsCurrent());
  EXPECT_FALSE(reload_pending);
}

// A writer that took seq 2 before the follower started and commits after
// it: found, because the follower starts a window below the feed's end.
TEST_F(ChangeFollowerTest, AWriterInFlightAtStartIsNotMissed) {
  ScriptedFeed feed;
  feed.Commit(1, "s1");
  feed.Commit(3, "s3");  // 2 is in flight.
  auto follower = ChangeFollower::Create(&feed, &clock_);
  ASSERT_TRUE(follower.ok()) << follower.status();
  std::vector<std::string> seen;
  (*follower)->OnChange(ChangeKind::kSession,
                        [&](const ChangeRecord& r) { seen.push_back(r.key); });
  ASSERT_TRUE((*follower)->Poll().ok());
  feed.Commit(2, "late");
  ASSERT_TRUE((*follower)->Poll().ok());
  EXPECT_THAT(seen, ElementsAre("s1", "s3", "late"));
}

// Giving up on a seq it never read (a gap that timed out, or records purged
// before this replica read them) makes the follower resync: any change may
// be among the unseen ones.
TEST_F(ChangeFollowerTest, SkippingUnreadSeqsTriggersAResync) {
  int resyncs = 0;
  follower_->SetResync([&] { ++resyncs; });
  EXPECT_THAT(Poll(), ElementsAre("before-start"));
  feed_.Commit(2, "s2");
  EXPECT_THAT(Poll(), ElementsAre("s2"));
  EXPECT_EQ(resyncs, 0);  // Nothing skipped.

  feed_.Commit(4, "s4");  // 3 never commits.
  EXPECT_THAT(Poll(), ElementsAre("s4"));
  EXPECT_EQ(resyncs, 0);  // Still waiting for 3.
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(Poll(), IsEmpty());
  EXPECT_EQ(resyncs, 1);  // 3 given up.
  EXPECT_EQ(follower_->position(), 4);

  feed_.Purge();  // Records 5..99 were purged before we read them.
  feed_.Commit(100, "after-purge");
  EXPECT_THAT(Poll(), ElementsAre("after-purge"));
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(Poll(), IsEmpty());
  EXPECT_EQ(resyncs, 2);
  EXPECT_EQ(follower_->position(), 100);
}

}  // namespace
}  // namespace tokend::store
