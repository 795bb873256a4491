// Store conformance: racing writers. Replicas share one database, so two of
// them can make the same change at the same moment; the store, not luck,
// decides the outcome (DESIGN §4).
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

using ::testing::SizeIs;

// Runs every function on its own thread, released together, and returns
// their results in order.
std::vector<absl::Status> Race(
    const std::vector<std::function<absl::Status()>>& fns) {
  std::vector<absl::Status> results(fns.size());
  std::atomic<size_t> waiting{fns.size()};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < fns.size(); ++i) {
    threads.emplace_back([&, i] {
      waiting.fetch_sub(1);
      while (waiting.load() != 0) std::this_thread::yield();
      results[i] = fns[i]();
    });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

int CountOk(const std::vector<absl::Status>& results) {
  int ok = 0;
  for (const absl::Status& s : results) ok += s.ok() ? 1 : 0;
  return ok;
}

// Two replicas rotate one slot at once (a leader that lost its lease racing
// its successor, before either write lands), each promoting the slot's next
// key at its own time and deleting the same expired key: exactly one
// rotation applies, the other changes nothing (Dex #976: racing rotations
// must not leave a slot with no key, or two).
TEST_P(StoreConformanceTest, ConcurrentRotationsOfOneSlotExactlyOneWins) {
  constexpr int kRounds = 20;
  const Fence fence = LeaderFence();
  for (int round = 0; round < kRounds; ++round) {
    const std::string slot = absl::StrCat("slot", round);
    auto kid = [&](absl::string_view name) {
      return absl::StrCat(slot, "-", name);
    };
    SigningKeyRecord expired = Key(kid("old"), slot, KeyState::kRetired);
    expired.retired_at = kT0 - absl::Hours(13);
    expired.delete_after = kT0 - absl::Hours(1);
    SigningKeyRecord active = Key(kid("cur"), slot, KeyState::kActive);
    SigningKeyRecord next = Key(kid("next"), slot, KeyState::kNext);
    for (const SigningKeyRecord& k : {expired, active, next}) {
      ASSERT_TRUE(store_->InsertSigningKey(k).ok());
    }

    auto rotation = [&](absl::Time at) {
      SigningKeyRecord promoted = next;
      promoted.state = KeyState::kActive;
      SigningKeyRecord retired = active;
      retired.state = KeyState::kRetired;
      retired.retired_at = at;
      retired.delete_after = at + absl::Hours(12);
      return std::function<absl::Status()>(
          [this, fence, promoted, retired, old = expired.kid] {
            return store_->UpdateSigningKeys(fence, {promoted, retired}, {old});
          });
    };
    const absl::Time at_a = kT0 + absl::Seconds(1);
    const absl::Time at_b = kT0 + absl::Seconds(2);
    const std::vector<absl::Status> results =
        Race({rotation(at_a), rotation(at_b)});
    ASSERT_EQ(CountOk(results), 1)
        << "round " << round << ": " << results[0] << " / " << results[1];
    const bool a_won = results[0].ok();
    const absl::Status& lost = a_won ? results[1] : results[0];
    EXPECT_EQ(lost.code(), absl::StatusCode::kNotFound) << lost;

    absl::StatusOr<std::vector<SigningKeyRecord>> keys =
        store_->ListSigningKeys();
    ASSERT_TRUE(keys.ok()) << keys.status();
    std::vector<SigningKeyRecord> in_slot;
    for (const SigningKeyRecord& k : *keys) {
      if (k.slot == slot) in_slot.push_back(k);
    }
    // "old" gone once; "cur" retired at the winner's time, not overwritten
    // by the loser; "next" the one active key.
    ASSERT_THAT(in_slot, SizeIs(2));
    for (const SigningKeyRecord& k : in_slot) {
      if (k.kid == active.kid) {
        EXPECT_EQ(k.state, KeyState::kRetired);
        EXPECT_EQ(k.retired_at, a_won ? at_a : at_b);
      } else {
        EXPECT_EQ(k.kid, next.kid);
        EXPECT_EQ(k.state, KeyState::kActive);
      }
    }
  }
}

// Two replicas start a rotation of one slot at once, each inserting the
// next key it generated: one is kept, the other refused.
TEST_P(StoreConformanceTest, ConcurrentRotationStartsOfOneSlotKeepOne) {
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string slot = absl::StrCat("slot", round);
    auto start = [&](absl::string_view name) {
      SigningKeyRecord next =
          Key(absl::StrCat(slot, "-", name), slot, KeyState::kNext);
      return std::function<absl::Status()>(
          [this, next] { return store_->InsertSigningKey(next); });
    };
    const std::vector<absl::Status> results = Race({start("a"), start("b")});
    ASSERT_EQ(CountOk(results), 1)
        << "round " << round << ": " << results[0] << " / " << results[1];
    EXPECT_EQ((results[0].ok() ? results[1] : results[0]).code(),
              absl::StatusCode::kAlreadyExists);
  }
  absl::StatusOr<std::vector<SigningKeyRecord>> keys =
      store_->ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, SizeIs(kRounds));
}

// Replicas asking for a free lease at once: one gets it, and every one is
// told the same holder and token.
TEST_P(StoreConformanceTest, ConcurrentLeaseAcquisitionsHaveOneWinner) {
  constexpr int kReplicas = 4;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = absl::StrCat("lease", round);
    std::vector<absl::StatusOr<Lease>> leases(kReplicas);
    std::vector<std::function<absl::Status()>> acquires;
    for (int i = 0; i < kReplicas; ++i) {
      acquires.push_back([this, &leases, name, i] {
        leases[i] = store_->AcquireLease(name, absl::StrCat("replica", i),
                                         absl::Hours(1));
        return leases[i].status();
      });
    }
    const std::vector<absl::Status> results = Race(acquires);
    ASSERT_EQ(CountOk(results), kReplicas) << "round " << round;
    int holders = 0;
    for (int i = 0; i < kReplicas; ++i) {
      EXPECT_EQ(leases[i]->holder, leases[0]->holder);
      EXPECT_EQ(leases[i]->token, 1);
      if (leases[i]->holder == absl::StrCat("replica", i)) ++holders;
    }
    EXPECT_EQ(holders, 1) << "round " << round;
  }
}

// Four replicas revoke one IAM token at once: one record, and the first
// one written stays whatever later revocations say.
TEST_P(StoreConformanceTest, ConcurrentRevocationsOfOneTokenLeaveOneRecord) {
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    const std::string jti = absl::StrCat("jti-", round);
    std::vector<std::function<absl::Status()>> revokes;
    std::vector<absl::Time> written;
    for (int i = 0; i < 4; ++i) {
      const absl::Time exp = kT0 + absl::Hours(1) + absl::Seconds(i);
      written.push_back(exp);
      revokes.push_back([this, jti, exp] {
        return store_->InsertRevokedToken({jti, "sa1", exp});
      });
    }
    const std::vector<absl::Status> results = Race(revokes);
    EXPECT_EQ(CountOk(results), 4);

    auto listed = store_->ListRevokedTokens(kT0, 1000);
    ASSERT_TRUE(listed.ok()) << listed.status();
    std::optional<absl::Time> kept;
    int records = 0;
    for (const RevokedTokenRecord& r : *listed) {
      if (r.jti != jti) continue;
      ++records;
      kept = r.expires_at;
    }
    ASSERT_EQ(records, 1);
    EXPECT_THAT(written, ::testing::Contains(*kept));

    ASSERT_TRUE(
        store_->InsertRevokedToken({jti, "sa1", kT0 + absl::Hours(5)}).ok());
    // A named result: a range-for over `*Temporary()` would outlive it.
    absl::StatusOr<std::vector<RevokedTokenRecord>> again =
        store_->ListRevokedTokens(kT0, 1000);
    ASSERT_TRUE(again.ok()) << again.status();
    for (const RevokedTokenRecord& r : *again) {
      if (r.jti == jti) {
        EXPECT_EQ(r.expires_at, *kept);
      }
    }
  }
}

// Racing writers: each committed change reaches the commit observer exactly
// once, on the thread that wrote it (the writer acts on its own change
// before its call returns), and matches the feed; a retried or idempotent
// write reports nothing twice.
TEST_P(StoreConformanceTest, CommitObserverSeesEachChangeOnceOnItsWriter) {
  absl::Mutex mu;
  std::map<std::string, std::vector<std::thread::id>> observed;
  store_->SetCommitObserver([&](const std::vector<ChangeRecord>& changes) {
    absl::MutexLock lock(&mu);
    for (const ChangeRecord& r : changes) {
      observed[r.key].push_back(std::this_thread::get_id());
    }
  });
  const int64_t start = *store_->LastChangeSeq();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread::id> writer(kThreads);
  std::vector<std::function<absl::Status()>> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.push_back([&, t]() -> absl::Status {
      writer[t] = std::this_thread::get_id();
      for (int i = 0; i < kPerThread; ++i) {
        // Every thread also repeats one jti all share: logged once in all.
        for (const std::string& jti :
             {absl::StrCat("t", t, "-", i), absl::StrCat("shared-", i)}) {
          absl::Status s = store_->InsertRevokedToken({jti, "sa1", kT0});
          if (!s.ok()) return s;
        }
      }
      return absl::OkStatus();
    });
  }
  EXPECT_EQ(CountOk(Race(writers)), kThreads);
  store_->SetCommitObserver(nullptr);

  absl::StatusOr<std::vector<ChangeRecord>> feed =
      store_->ListChanges(start, 10000);
  ASSERT_TRUE(feed.ok()) << feed.status();
  ASSERT_THAT(*feed, SizeIs(kThreads * kPerThread + kPerThread));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(observed.size(), feed->size());
  for (const ChangeRecord& r : *feed) {
    ASSERT_TRUE(observed.count(r.key)) << r.key;
    ASSERT_THAT(observed[r.key], SizeIs(1)) << r.key;
  }
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(observed[absl::StrCat("t", t, "-", i)][0], writer[t]);
    }
  }
}

// Racing revocations of one API key or OAuth token: all succeed, one time
// is recorded, and it is one that was sent.
TEST_P(StoreConformanceTest, ConcurrentCredentialRevocationsKeepOneTime) {
  ApiKeyRecord key = ApiKey("ak_race", ApiKeySurface::kSessions);
  ASSERT_TRUE(store_->InsertApiKey(key).ok());
  OAuthTokenRecord token;
  token.id = "ot_race";
  token.account_id = "user-1";
  token.secret_hash = std::string(32, '\x07');
  token.created_at = kT0;
  ASSERT_TRUE(store_->InsertOAuthToken(token).ok());

  std::vector<std::function<absl::Status()>> revokes;
  std::vector<absl::Time> sent;
  for (int i = 0; i < 4; ++i) {
    const absl::Time at = kT0 + absl::Minutes(1 + i);
    sent.push_back(at);
    revokes.push_back(
        [this, at] { return store_->RevokeApiKey("ak_race", at); });
    revokes.push_back(
        [this, at] { return store_->RevokeOAuthToken("ot_race", at); });
  }
  EXPECT_EQ(CountOk(Race(revokes)), 8);

  auto found_key = store_->FindApiKeyByHash(key.secret_hash);
  ASSERT_TRUE(found_key.ok()) << found_key.status();
  ASSERT_TRUE(found_key->revoked_at.has_value());
  EXPECT_THAT(sent, ::testing::Contains(*found_key->revoked_at));
  auto found_token = store_->FindOAuthTokenByHash(token.secret_hash);
  ASSERT_TRUE(found_token.ok()) << found_token.status();
  ASSERT_TRUE(found_token->revoked_at.has_value());
  EXPECT_THAT(sent, ::testing::Contains(*found_token->revoked_at));
}

// Racing inserts under one unique identifier: exactly one succeeds, the
// others are AlreadyExists, and the survivor is whole.
TEST_P(StoreConformanceTest, ConcurrentInsertsOfOneIdentifierExactlyOneWins) {
  ASSERT_NO_FATAL_FAILURE(AddSessionUsers());
  std::vector<std::function<absl::Status()>> inserts;
  for (int i = 0; i < 4; ++i) {
    inserts.push_back([this, i] {
      SessionRecord s = Session("sess_race", "user_u1", kT0);
      s.client_token_hash = std::string(32, static_cast<char>('a' + i));
      return store_->InsertSession(s);
    });
  }
  std::vector<absl::Status> results = Race(inserts);
  EXPECT_EQ(CountOk(results), 1);
  for (const absl::Status& s : results) {
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
    }
  }
  EXPECT_TRUE(store_->GetSession("sess_race").ok());

  // Different users claiming one email address.
  std::vector<std::function<absl::Status()>> claims;
  for (int i = 0; i < 4; ++i) {
    claims.push_back([this, i] {
      UserRecord u = User(absl::StrCat("claim", i));
      u.email_addresses = {
          {absl::StrCat("idn_claim", i), "taken@example.com", true}};
      u.primary_email_address_id = u.email_addresses[0].id;
      return store_->InsertUser(u);
    });
  }
  results = Race(claims);
  EXPECT_EQ(CountOk(results), 1);
  for (const absl::Status& s : results) {
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
    }
  }
}

// Many writers at once: every acknowledged write is there afterwards.
TEST_P(StoreConformanceTest, ConcurrentWritersLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::function<absl::Status()>> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.push_back([this, t] {
      for (int i = 0; i < kEach; ++i) {
        ApiKeyRecord rec =
            ApiKey(absl::StrCat("ak_", t, "_", i), ApiKeySurface::kScoped);
        rec.secret_hash = absl::StrCat("hash-", t, "-", i);
        absl::Status s = store_->InsertApiKey(rec);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    });
  }
  for (const absl::Status& s : Race(writers)) EXPECT_TRUE(s.ok()) << s;
  auto all = store_->ListApiKeys(ApiKeySurface::kScoped);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, SizeIs(kThreads * kEach));
}

}  // namespace
}  // namespace tokend::store::conformance
