#include "core/iam/revocation_list.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/store/sqlite_store.h"
#include "gtest/gtest.h"
#include "tests/core/iam/test_util.h"

namespace tokend::iam {
namespace {

using testing::kT0;

store::RevokedTokenRecord Rec(std::string jti, absl::Time expires_at) {
  return {std::move(jti), "sa1", expires_at};
}

// Forwards to a real store and counts the revocation reads and writes that
// reach it; can be told to fail them.
class CountingStore : public store::RevocationStore {
 public:
  explicit CountingStore(store::RevocationStore* inner) : inner_(inner) {}

  absl::Status InsertRevokedToken(
      const store::RevokedTokenRecord& rec) override {
    if (fail) return absl::UnavailableError("store down");
    return inner_->InsertRevokedToken(rec);
  }
  absl::StatusOr<bool> IsTokenRevoked(absl::string_view jti) override {
    ++is_revoked_calls;
    if (fail) return absl::UnavailableError("store down");
    return inner_->IsTokenRevoked(jti);
  }
  absl::StatusOr<std::vector<store::RevokedTokenRecord>> ListRevokedTokens(
      absl::Time now, int64_t limit) override {
    ++list_calls;
    if (fail) return absl::UnavailableError("store down");
    return inner_->ListRevokedTokens(now, limit);
  }
  absl::StatusOr<int> DeleteExpiredRevokedTokens(absl::Time now) override {
    if (fail) return absl::UnavailableError("store down");
    return inner_->DeleteExpiredRevokedTokens(now);
  }

  std::atomic<int> is_revoked_calls{0};
  std::atomic<int> list_calls{0};
  std::atomic<bool> fail{false};

 private:
  store::RevocationStore* const inner_;
};

class RevocationListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/revocations-",
                         getpid(), "-", ++counter_, ".db");
    Reopen();
  }

  // A fresh connection to the same file (as after a restart).
  void Reopen() {
    counting_.reset();
    sqlite_.reset();
    auto opened = store::SqliteStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    sqlite_ = *std::move(opened);
    counting_ = std::make_unique<CountingStore>(sqlite_.get());
  }

  std::unique_ptr<RevocationList> MustCreate(int64_t max_entries = 1000) {
    RevocationListOptions options;
    options.max_entries = max_entries;
    auto list = RevocationList::Create(counting_.get(), &clock_, options);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *std::move(list) : nullptr;
  }

  bool Revoked(const RevocationList& list, absl::string_view jti) {
    auto revoked = list.IsRevoked(jti);
    EXPECT_TRUE(revoked.ok()) << revoked.status();
    return revoked.ok() && *revoked;
  }

  static int counter_;
  FakeClock clock_{kT0};
  std::string path_;
  std::unique_ptr<store::SqliteStore> sqlite_;
  std::unique_ptr<CountingStore> counting_;
};

int RevocationListTest::counter_ = 0;

TEST_F(RevocationListTest, RevokedJtiIsReportedFromMemory) {
  auto list = MustCreate();
  ASSERT_NE(list, nullptr);
  EXPECT_FALSE(Revoked(*list, "j1"));
  ASSERT_TRUE(list->Revoke(Rec("j1", kT0 + absl::Hours(12))).ok());
  EXPECT_TRUE(Revoked(*list, "j1"));
  EXPECT_FALSE(Revoked(*list, "j2"));
  EXPECT_EQ(list->size(), 1);
  EXPECT_TRUE(list->complete());
  // Durable: the store has it too.
  EXPECT_TRUE(*sqlite_->IsTokenRevoked("j1"));
  // The hot path never asked the store.
  EXPECT_EQ(counting_->is_revoked_calls, 0);
}

TEST_F(RevocationListTest, SurvivesReload) {
  {
    auto list = MustCreate();
    ASSERT_NE(list, nullptr);
    ASSERT_TRUE(list->Revoke(Rec("j1", kT0 + absl::Hours(12))).ok());
    ASSERT_TRUE(list->Revoke(Rec("j2", kT0 + absl::Hours(1))).ok());
  }
  Reopen();
  clock_.Advance(absl::Minutes(30));
  auto list = MustCreate();
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->size(), 2);
  EXPECT_TRUE(list->complete());
  EXPECT_TRUE(Revoked(*list, "j1"));
  EXPECT_TRUE(Revoked(*list, "j2"));
  EXPECT_FALSE(Revoked(*list, "j3"));
  EXPECT_EQ(counting_->is_revoked_calls, 0);

  // Records already expired at load time are not loaded.
  Reopen();
  clock_.Set(kT0 + absl::Hours(2));
  list = MustCreate();
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->size(), 1);
  EXPECT_TRUE(Revoked(*list, "j1"));
}

TEST_F(RevocationListTest, ReloadSeesOtherWriters) {
  auto list = MustCreate();
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(
      sqlite_->InsertRevokedToken(Rec("other", kT0 + absl::Hours(1))).ok());
  EXPECT_FALSE(Revoked(*list, "other"));  // Not ours: unseen until Reload.
  ASSERT_TRUE(list->Reload().ok());
  EXPECT_TRUE(Revoked(*list, "other"));
}

TEST_F(RevocationListTest, ExpiredArePurgedFromMemoryAndStore) {
  auto list = MustCreate();
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->Revoke(Rec("short", kT0 + absl::Hours(1))).ok());
  ASSERT_TRUE(list->Revoke(Rec("long", kT0 + absl::Hours(12))).ok());

  auto purged = list->PurgeExpired(kT0 + absl::Hours(1) - absl::Seconds(1));
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 0);
  EXPECT_EQ(list->size(), 2);

  purged = list->PurgeExpired(kT0 + absl::Hours(1));  // expires_at <= now.
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(list->size(), 1);
  EXPECT_FALSE(Revoked(*list, "short"));
  EXPECT_TRUE(Revoked(*list, "long"));
  EXPECT_FALSE(*sqlite_->IsTokenRevoked("short"));
  EXPECT_TRUE(*sqlite_->IsTokenRevoked("long"));

  EXPECT_EQ(*list->PurgeExpired(kT0 + absl::Hours(13)), 1);
  EXPECT_EQ(list->size(), 0);
  EXPECT_FALSE(Revoked(*list, "long"));
  EXPECT_FALSE(*sqlite_->IsTokenRevoked("long"));
  EXPECT_TRUE(list->complete());
}

TEST_F(RevocationListTest, RevokingTwiceIsFine) {
  auto list = MustCreate();
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->Revoke(Rec("j1", kT0 + absl::Hours(12))).ok());
  ASSERT_TRUE(list->Revoke(Rec("j1", kT0 + absl::Hours(12))).ok());
  EXPECT_EQ(list->size(), 1);
  EXPECT_TRUE(Revoked(*list, "j1"));
  EXPECT_EQ(sqlite_->ListRevokedTokens(kT0, 10)->size(), 1u);
}

TEST_F(RevocationListTest, StoreFailureLeavesMemoryUntouched) {
  auto list = MustCreate();
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->Revoke(Rec("j1", kT0 + absl::Hours(1))).ok());
  counting_->fail = true;
  // Not durable, so not claimed.
  EXPECT_EQ(list->Revoke(Rec("j2", kT0 + absl::Hours(1))).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(Revoked(*list, "j2"));
  // A failed purge forgets nothing.
  EXPECT_EQ(list->PurgeExpired(kT0 + absl::Hours(2)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Revoked(*list, "j1"));
  EXPECT_EQ(list->Reload().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Revoked(*list, "j1"));
  // Loading errors surface from Create.
  EXPECT_EQ(RevocationList::Create(counting_.get(), &clock_).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(RevocationListTest, RejectsBadArguments) {
  EXPECT_EQ(RevocationList::Create(nullptr, &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RevocationList::Create(counting_.get(), nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  RevocationListOptions options;
  options.max_entries = -1;
  EXPECT_EQ(
      RevocationList::Create(counting_.get(), &clock_, options).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(RevocationListTest, CapFallsBackToStoreAndRecovers) {
  auto list = MustCreate(/*max_entries=*/2);
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->Revoke(Rec("a", kT0 + absl::Hours(1))).ok());
  ASSERT_TRUE(list->Revoke(Rec("b", kT0 + absl::Hours(1))).ok());
  EXPECT_TRUE(list->complete());
  ASSERT_TRUE(list->Revoke(Rec("c", kT0 + absl::Hours(12))).ok());
  EXPECT_FALSE(list->complete());
  EXPECT_EQ(list->size(), 2);

  // Nothing is forgotten: memory hits stay in memory, the rest asks the store.
  EXPECT_TRUE(Revoked(*list, "a"));
  EXPECT_EQ(counting_->is_revoked_calls, 0);
  EXPECT_TRUE(Revoked(*list, "c"));
  EXPECT_FALSE(Revoked(*list, "z"));
  EXPECT_EQ(counting_->is_revoked_calls, 2);
  ASSERT_TRUE(list->Revoke(Rec("c", kT0 + absl::Hours(12))).ok());  // Again.
  EXPECT_TRUE(Revoked(*list, "c"));

  // A reload that still does not fit stays incomplete and correct.
  ASSERT_TRUE(list->Reload().ok());
  EXPECT_FALSE(list->complete());
  EXPECT_EQ(list->size(), 2);
  for (const char* jti : {"a", "b", "c"}) EXPECT_TRUE(Revoked(*list, jti));
  EXPECT_FALSE(Revoked(*list, "z"));

  // Once the purge makes room, the list is complete again.
  auto purged = list->PurgeExpired(kT0 + absl::Hours(1));
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 2);
  EXPECT_TRUE(list->complete());
  EXPECT_EQ(list->size(), 1);
  const int store_reads = counting_->is_revoked_calls;
  EXPECT_TRUE(Revoked(*list, "c"));
  EXPECT_FALSE(Revoked(*list, "a"));
  EXPECT_FALSE(Revoked(*list, "z"));
  EXPECT_EQ(counting_->is_revoked_calls, store_reads);

  // Too many at load time: incomplete from the start, still correct.
  ASSERT_TRUE(list->Revoke(Rec("d", kT0 + absl::Hours(12))).ok());
  ASSERT_TRUE(list->Revoke(Rec("e", kT0 + absl::Hours(12))).ok());
  auto reloaded = MustCreate(/*max_entries=*/2);
  ASSERT_NE(reloaded, nullptr);
  EXPECT_FALSE(reloaded->complete());
  for (const char* jti : {"c", "d", "e"}) {
    EXPECT_TRUE(Revoked(*reloaded, jti)) << jti;
  }
  EXPECT_FALSE(Revoked(*reloaded, "a"));

  // max_entries = 0: memory holds nothing, the store answers everything.
  auto none = MustCreate(/*max_entries=*/0);
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->size(), 0);
  EXPECT_TRUE(Revoked(*none, "d"));
  EXPECT_FALSE(Revoked(*none, "a"));
}

TEST_F(RevocationListTest, ConcurrentReadersAndWriters) {
  auto list = MustCreate(/*max_entries=*/50);
  ASSERT_NE(list, nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!done) {
        auto revoked = list->IsRevoked("never");
        if (!revoked.ok() || *revoked) ++errors;
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    const std::string jti = absl::StrCat("j", i);
    ASSERT_TRUE(list->Revoke(Rec(jti, kT0 + absl::Minutes(i + 1))).ok());
    ASSERT_TRUE(Revoked(*list, jti)) << jti;  // Visible once Revoke returns.
    if (i % 10 == 9) {
      ASSERT_TRUE(list->PurgeExpired(kT0 + absl::Minutes(i - 5)).ok());
    }
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(errors, 0);
  for (int i = 94; i < 100; ++i) {
    EXPECT_TRUE(Revoked(*list, absl::StrCat("j", i))) << i;
  }
}

}  // namespace
}  // namespace tokend::iam
