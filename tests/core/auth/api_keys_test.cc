#include "core/auth/api_keys.h"

#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using ::testing::UnorderedElementsAre;

constexpr store::ApiKeySurface kSessions = store::ApiKeySurface::kSessions;
constexpr store::ApiKeySurface kScoped = store::ApiKeySurface::kScoped;
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  static std::atomic<int> counter{0};
  std::string dir = absl::StrCat(base != nullptr ? base : "/tmp",
                                 "/api_keys_test-", getpid(), "-", ++counter);
  EXPECT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  return dir;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// SHA-256 computed here, independently of core/auth.
std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof digest);
}

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    db_path_ = dir_ + "/tokend.db";
    auto store = store::SqliteStore::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    keys_ = std::make_unique<ApiKeyManager>(store_.get(), &clock_);
  }

  NewApiKey MustCreate(absl::string_view surface, absl::string_view name) {
    absl::StatusOr<NewApiKey> key = keys_->Create(surface, name);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *std::move(key) : NewApiKey{};
  }

  std::string dir_;
  std::string db_path_;
  FakeClock clock_{kT0};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<ApiKeyManager> keys_;
};

void ExpectInvalidApiKey(const absl::StatusOr<store::ApiKeyRecord>& result) {
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated)
      << result.status();
  // Every failure looks the same: no oracle for "exists but wrong surface" or
  // "revoked".
  EXPECT_EQ(result.status().message(), "invalid API key");
}

TEST(ApiKeySurfacesTest, PrefixesBySurface) {
  absl::StatusOr<absl::string_view> sessions =
      ApiKeyManager::SecretPrefix("sessions");
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  EXPECT_EQ(*sessions, "sk_");
  absl::StatusOr<absl::string_view> scoped =
      ApiKeyManager::SecretPrefix("scoped");
  ASSERT_TRUE(scoped.ok()) << scoped.status();
  EXPECT_EQ(*scoped, "sck_");
  for (absl::string_view other :
       {"admin", "iam", "", "Sessions", "sessions "}) {
    EXPECT_EQ(ApiKeyManager::SecretPrefix(other).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "'" << other << "'";
  }
  EXPECT_EQ(ApiKeyManager::SecretPrefix(absl::string_view("scoped\0", 7))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ApiKeysTest, CreateFillsTheRecord) {
  NewApiKey key = MustCreate("sessions", "billing backend");
  EXPECT_TRUE(absl::StartsWith(key.secret, "sk_")) << key.secret;
  EXPECT_GE(key.secret.size(), 3u + 43u);  // ≥ 256 bits after the prefix.
  EXPECT_TRUE(absl::StartsWith(key.record.id, "ak_")) << key.record.id;
  EXPECT_EQ(key.record.surface, kSessions);
  EXPECT_EQ(key.record.name, "billing backend");
  EXPECT_EQ(key.record.display_prefix, key.secret.substr(0, 7));
  EXPECT_EQ(key.record.secret_hash, Sha256(key.secret));
  EXPECT_EQ(key.record.created_at, kT0);
  EXPECT_EQ(key.record.revoked_at, std::nullopt);

  clock_.Advance(absl::Seconds(1));  // List orders by creation time.
  NewApiKey scoped = MustCreate("scoped", "ci");
  EXPECT_TRUE(absl::StartsWith(scoped.secret, "sck_")) << scoped.secret;
  EXPECT_EQ(scoped.record.display_prefix, scoped.secret.substr(0, 8));
  EXPECT_NE(scoped.record.id, key.record.id);
  EXPECT_NE(scoped.secret.substr(4), key.secret.substr(3));

  // What was stored is what Create returned.
  auto listed = keys_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, key.record.id);
  EXPECT_EQ((*listed)[0].secret_hash, key.record.secret_hash);
  EXPECT_EQ((*listed)[0].display_prefix, key.record.display_prefix);
  EXPECT_EQ((*listed)[0].created_at, kT0);
}

TEST_F(ApiKeysTest, CreateRejectsOtherSurfacesAndStoresNothing) {
  for (absl::string_view surface : {"admin", "iam", "", "SCOPED"}) {
    absl::StatusOr<NewApiKey> key = keys_->Create(surface, "x");
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument)
        << surface;
  }
  auto listed = keys_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->empty());
}

TEST_F(ApiKeysTest, NameValidation) {
  EXPECT_TRUE(keys_->Create("scoped", std::string(100, 'n')).ok());
  EXPECT_TRUE(keys_->Create("scoped", "").ok());
  EXPECT_TRUE(keys_->Create("scoped", " ~ all printable ! ").ok());

  const std::vector<std::string> bad = {
      std::string(101, 'n'), std::string(1000, 'n'),      "line\nbreak",
      "tab\there",           std::string("nul\0byte", 8), "del\x7f",
      "esc\x1b[31m",
      "caf\xc3\xa9",  // Non-ASCII (UTF-8 é) is not printable ASCII.
  };
  for (const std::string& name : bad) {
    absl::StatusOr<NewApiKey> key = keys_->Create("scoped", name);
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument)
        << "name of " << name.size() << " bytes";
  }
  auto listed = keys_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), 3u);  // Only the valid ones.
}

TEST_F(ApiKeysTest, AuthenticateSucceedsForTheRightSurface) {
  NewApiKey sessions = MustCreate("sessions", "a");
  NewApiKey scoped = MustCreate("scoped", "b");

  absl::StatusOr<store::ApiKeyRecord> got =
      keys_->Authenticate(sessions.secret, kSessions);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, sessions.record.id);
  EXPECT_EQ(got->surface, kSessions);

  got = keys_->Authenticate(scoped.secret, kScoped);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, scoped.record.id);

  // Repeated (cached) authentication keeps working.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(keys_->Authenticate(sessions.secret, kSessions).ok());
  }
}

TEST_F(ApiKeysTest, AuthenticateRejectsEverythingElse) {
  NewApiKey sessions = MustCreate("sessions", "a");
  NewApiKey scoped = MustCreate("scoped", "b");

  // Wrong surface, both ways, before and after the key is cached.
  ExpectInvalidApiKey(keys_->Authenticate(sessions.secret, kScoped));
  ExpectInvalidApiKey(keys_->Authenticate(scoped.secret, kSessions));
  ASSERT_TRUE(keys_->Authenticate(sessions.secret, kSessions).ok());
  ExpectInvalidApiKey(keys_->Authenticate(sessions.secret, kScoped));
  ExpectInvalidApiKey(
      keys_->Authenticate(sessions.secret, store::ApiKeySurface::kAdmin));

  // Unknown secrets, including near misses of a real one.
  ExpectInvalidApiKey(keys_->Authenticate("sk_unknown", kSessions));
  std::string flipped = sessions.secret;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  ExpectInvalidApiKey(keys_->Authenticate(flipped, kSessions));
  ExpectInvalidApiKey(keys_->Authenticate(
      sessions.secret.substr(0, sessions.secret.size() - 1), kSessions));
  ExpectInvalidApiKey(keys_->Authenticate(sessions.secret + "x", kSessions));
  ExpectInvalidApiKey(
      keys_->Authenticate(sessions.record.display_prefix, kSessions));
  // The stored hash is not a credential.
  ExpectInvalidApiKey(
      keys_->Authenticate(sessions.record.secret_hash, kSessions));

  // Empty and oversized.
  ExpectInvalidApiKey(keys_->Authenticate("", kSessions));
  ExpectInvalidApiKey(
      keys_->Authenticate(sessions.secret + std::string(300, 'a'), kSessions));
  ExpectInvalidApiKey(
      keys_->Authenticate(std::string(1 << 20, 'a'), kSessions));
}

TEST_F(ApiKeysTest, RevokeTakesEffectImmediatelyEvenWhenCached) {
  NewApiKey key = MustCreate("sessions", "soon revoked");
  NewApiKey other = MustCreate("sessions", "survivor");
  ASSERT_TRUE(keys_->Authenticate(key.secret, kSessions).ok());  // Cached.
  ASSERT_TRUE(keys_->Authenticate(other.secret, kSessions).ok());

  clock_.Advance(absl::Seconds(1));  // Still well inside the cache TTL.
  absl::StatusOr<store::ApiKeyRecord> revoked = keys_->Revoke(key.record.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->id, key.record.id);
  EXPECT_THAT(revoked->revoked_at, Optional(kT0 + absl::Seconds(1)));

  // No clock movement: the cache must not serve the revoked key.
  ExpectInvalidApiKey(keys_->Authenticate(key.secret, kSessions));
  // Other keys are unaffected.
  EXPECT_TRUE(keys_->Authenticate(other.secret, kSessions).ok());
}

TEST_F(ApiKeysTest, RevocationByAnotherReplicaWithinTheCacheTtl) {
  NewApiKey key = MustCreate("scoped", "shared");
  ASSERT_TRUE(keys_->Authenticate(key.secret, kScoped).ok());  // Cached here.

  // Another replica (its own manager over the same database) revokes.
  ApiKeyManager replica(store_.get(), &clock_);
  ASSERT_TRUE(replica.Revoke(key.record.id).ok());
  ExpectInvalidApiKey(replica.Authenticate(key.secret, kScoped));

  // This manager may serve its cached copy for at most cache_ttl (5 s).
  clock_.Advance(absl::Seconds(5));
  ExpectInvalidApiKey(keys_->Authenticate(key.secret, kScoped));
}

TEST_F(ApiKeysTest, RevokedKeyStaysListedWithRevokedAt) {
  NewApiKey a = MustCreate("sessions", "a");
  clock_.Advance(absl::Seconds(10));
  NewApiKey b = MustCreate("scoped", "b");
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(keys_->Revoke(a.record.id).ok());
  const absl::Time revoked_at = kT0 + absl::Seconds(10) + absl::Minutes(1);

  auto all = keys_->List("");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, a.record.id);
  EXPECT_THAT((*all)[0].revoked_at, Optional(revoked_at));
  EXPECT_EQ((*all)[0].created_at, kT0);
  EXPECT_EQ((*all)[1].id, b.record.id);
  EXPECT_EQ((*all)[1].revoked_at, std::nullopt);

  auto sessions = keys_->List("sessions");
  ASSERT_TRUE(sessions.ok()) << sessions.status();
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ((*sessions)[0].id, a.record.id);
  EXPECT_THAT((*sessions)[0].revoked_at, Optional(revoked_at));

  auto scoped = keys_->List("scoped");
  ASSERT_TRUE(scoped.ok()) << scoped.status();
  ASSERT_EQ(scoped->size(), 1u);
  EXPECT_EQ((*scoped)[0].id, b.record.id);

  EXPECT_EQ(keys_->List("admin").status().code(),
            absl::StatusCode::kInvalidArgument);

  // Revoking again keeps the first revocation time.
  clock_.Advance(absl::Hours(1));
  auto again = keys_->Revoke(a.record.id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->revoked_at, Optional(revoked_at));
}

TEST_F(ApiKeysTest, RevokeUnknownIdIsNotFound) {
  MustCreate("sessions", "a");
  EXPECT_EQ(keys_->Revoke("ak_nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(keys_->Revoke("").status().code(), absl::StatusCode::kNotFound);
}

// A store that, in the middle of a lookup, lets another thread act: here
// the change feed's poller forgetting the key (another replica revoked it
// just after this read began).
class InterleavingStore final : public store::ApiKeyStore {
 public:
  explicit InterleavingStore(store::ApiKeyStore* inner) : inner_(inner) {}
  std::function<void()> during_find;
  // When not OK, every lookup fails with it (a database outage).
  absl::Status fail_finds;

  absl::Status InsertApiKey(const store::ApiKeyRecord& rec) override {
    return inner_->InsertApiKey(rec);
  }
  absl::StatusOr<store::ApiKeyRecord> FindApiKeyByHash(
      absl::string_view hash) override {
    if (!fail_finds.ok()) return fail_finds;
    absl::StatusOr<store::ApiKeyRecord> found = inner_->FindApiKeyByHash(hash);
    if (during_find) during_find();
    return found;
  }
  absl::StatusOr<std::vector<store::ApiKeyRecord>> ListApiKeys(
      std::optional<store::ApiKeySurface> surface) override {
    return inner_->ListApiKeys(surface);
  }
  absl::Status RevokeApiKey(absl::string_view id, absl::Time at) override {
    return inner_->RevokeApiKey(id, at);
  }

 private:
  store::ApiKeyStore* inner_;
};

// A read that began before a Forget may hold the key as it was before the
// change: it answers that call, but is not cached, so the next call sees
// the revocation at once rather than after the cache TTL.
TEST_F(ApiKeysTest, AReadOverlappingAForgetIsNotCached) {
  InterleavingStore interleaving(store_.get());
  ApiKeyManager manager(&interleaving, &clock_);
  absl::StatusOr<NewApiKey> key = manager.Create("sessions", "raced");
  ASSERT_TRUE(key.ok()) << key.status();
  interleaving.during_find = [&] {
    // Another replica revokes; the feed tells this one to forget.
    ASSERT_TRUE(store_->RevokeApiKey(key->record.id, kT0).ok());
    manager.Forget(key->record.id);
  };
  EXPECT_TRUE(manager.Authenticate(key->secret, kSessions).ok());
  interleaving.during_find = nullptr;
  ExpectInvalidApiKey(manager.Authenticate(key->secret, kSessions));
}

// Through a database outage a key read less than ttl + grace ago still
// authenticates; after that, and for keys never read, the outage shows as
// UNAVAILABLE (never "invalid API key").
TEST_F(ApiKeysTest, AnOutageIsBridgedForTheGraceThenFailsClosed) {
  InterleavingStore outage(store_.get());
  ApiKeyManager manager(&outage, &clock_, absl::Seconds(5), absl::Seconds(30));
  absl::StatusOr<NewApiKey> read = manager.Create("sessions", "read");
  absl::StatusOr<NewApiKey> unread = manager.Create("sessions", "unread");
  ASSERT_TRUE(read.ok() && unread.ok());
  ASSERT_TRUE(manager.Authenticate(read->secret, kSessions).ok());

  outage.fail_finds = absl::UnavailableError("database down");
  clock_.Advance(absl::Seconds(34));
  EXPECT_TRUE(manager.Authenticate(read->secret, kSessions).ok());
  // The stale copy is still checked: the wrong surface is refused.
  ExpectInvalidApiKey(manager.Authenticate(read->secret, kScoped));
  EXPECT_EQ(manager.Authenticate(unread->secret, kSessions).status().code(),
            absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Seconds(1));  // 35 s after the read: past the grace.
  EXPECT_EQ(manager.Authenticate(read->secret, kSessions).status().code(),
            absl::StatusCode::kUnavailable);

  // Not an outage: an answer, so no stale copy is used.
  ApiKeyManager strict(&outage, &clock_, absl::Seconds(5), absl::Hours(1));
  outage.fail_finds = absl::OkStatus();
  ASSERT_TRUE(strict.Authenticate(read->secret, kSessions).ok());
  clock_.Advance(absl::Seconds(6));
  outage.fail_finds = absl::InternalError("corrupt row");
  EXPECT_EQ(strict.Authenticate(read->secret, kSessions).status().code(),
            absl::StatusCode::kInternal);
  // A revocation the replica heard of is never bridged.
  outage.fail_finds = absl::UnavailableError("database down");
  strict.Forget(read->record.id);
  EXPECT_EQ(strict.Authenticate(read->secret, kSessions).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ApiKeysTest, SecretNeverStored) {
  std::vector<NewApiKey> created;
  for (int i = 0; i < 20; ++i) {
    created.push_back(MustCreate(i % 2 ? "sessions" : "scoped",
                                 absl::StrCat("marker-name-", i)));
    ASSERT_TRUE(
        keys_
            ->Authenticate(created.back().secret, created.back().record.surface)
            .ok());
  }
  ASSERT_TRUE(keys_->Revoke(created[3].record.id).ok());

  // No field of any stored record holds the secret.
  auto listed = keys_->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), created.size());
  for (const store::ApiKeyRecord& rec : *listed) {
    for (const NewApiKey& key : created) {
      for (const std::string* field :
           {&rec.id, &rec.name, &rec.display_prefix, &rec.secret_hash}) {
        EXPECT_THAT(*field, Not(HasSubstr(key.secret.substr(8))));
      }
    }
  }

  // Nor do the database files (main file, WAL, shared memory), before or
  // after the connection is closed and checkpointed.
  auto check_files = [&](const char* when) {
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      bytes += ReadAll(db_path_ + suffix);
    }
    // Sanity: we are reading the file the records went to.
    ASSERT_THAT(bytes, HasSubstr("marker-name-19")) << when;
    for (const NewApiKey& key : created) {
      // The random part alone, so a prefix-stripping encoding is caught too.
      const std::string random = key.secret.substr(key.secret.find('_') + 1);
      EXPECT_THAT(bytes, Not(HasSubstr(random))) << when;
      EXPECT_THAT(bytes, Not(HasSubstr(random.substr(0, 16)))) << when;
      EXPECT_THAT(bytes, HasSubstr(Sha256(key.secret))) << when;
    }
  };
  check_files("open");
  keys_.reset();
  store_.reset();
  check_files("closed");
}

TEST_F(ApiKeysTest, ConcurrentAuthenticateCreateAndRevoke) {
  std::vector<NewApiKey> keys;
  for (int i = 0; i < 8; ++i) keys.push_back(MustCreate("sessions", "k"));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        // Keys 0..3 are never revoked.
        if (!keys_->Authenticate(keys[(t + i) % 4].secret, kSessions).ok()) {
          ++failures;
        }
      }
    });
  }
  for (int i = 4; i < 8; ++i) {
    ASSERT_TRUE(keys_->Revoke(keys[i].record.id).ok());
    MustCreate("scoped", "new");
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  for (int i = 4; i < 8; ++i) {
    ExpectInvalidApiKey(keys_->Authenticate(keys[i].secret, kSessions));
  }
}

}  // namespace
}  // namespace tokend::auth
