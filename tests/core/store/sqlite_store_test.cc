#include "core/store/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/sample_records.h"

namespace tokend::store {
namespace {

using conformance::Account;
using conformance::ApiKey;
using conformance::AuthKey;
using conformance::ExpectSameKey;
using conformance::ExpectSameSession;
using conformance::ExpectSameTemplate;
using conformance::ExpectSameUser;
using conformance::Key;
using conformance::kT0;
using conformance::Session;
using conformance::Template;
using conformance::User;

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-",
                                  getpid(), "-", ++counter, ".db");
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

std::unique_ptr<SqliteStore> MustOpen(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// The maintenance lease, for signing key transitions.
Fence Lead(SqliteStore& store) {
  absl::StatusOr<Lease> lease =
      store.AcquireLease("maintenance", "sqlite-test", absl::Hours(1));
  return lease.ok() ? FenceOf(*lease) : Fence{};
}

// Runs one query on a separate raw connection, returning the first column of
// every row.
std::vector<std::string> RawQuery(const std::string& path,
                                  const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
  }
  EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// ---- Signing keys ----

// ---- API keys ----

// ---- Schema, files, statements ----

TEST(SqliteStoreTest, MigrationsAreVersionedAndRunOnce) {
  const std::string path = TempPath("migrations");
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), SqliteStore::LatestSchemaVersion());
    EXPECT_EQ(store->migrations_applied(), SqliteStore::LatestSchemaVersion());
  }
  const std::vector<std::string> recorded =
      RawQuery(path,
               "SELECT version || ':' || applied_at_us FROM schema_migrations "
               "ORDER BY version");
  ASSERT_THAT(recorded, SizeIs(SqliteStore::LatestSchemaVersion()));
  const std::vector<std::string> schema =
      RawQuery(path, "SELECT sql FROM sqlite_master ORDER BY name");

  for (int i = 0; i < 3; ++i) {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), SqliteStore::LatestSchemaVersion());
    EXPECT_EQ(store->migrations_applied(), 0);
  }
  EXPECT_EQ(RawQuery(path,
                     "SELECT version || ':' || applied_at_us FROM "
                     "schema_migrations ORDER BY version"),
            recorded);
  EXPECT_EQ(RawQuery(path, "SELECT sql FROM sqlite_master ORDER BY name"),
            schema);
}

// Migration 5 makes one next key per slot a rule. A file from before it may
// hold several (replicas that raced a rotation); it keeps the one the keyring
// would have activated (latest activate_at, then created_at, then kid), since
// the others never signed anything.
TEST(SqliteStoreTest, Migration5KeepsTheLatestOfRacingNextKeys) {
  const std::string path = TempPath("migration5");
  ASSERT_NE(MustOpen(path), nullptr);
  // Back to version 4 (undoing 6, then 5).
  RawQuery(path, "ALTER TABLE users DROP COLUMN locale");
  RawQuery(path, "ALTER TABLE users DROP COLUMN legal_accepted_at_us");
  RawQuery(path, "DROP INDEX signing_keys_one_next");
  RawQuery(path, "DROP TABLE leases");
  RawQuery(path, "DELETE FROM schema_migrations WHERE version >= 5");
  auto insert = [&](const std::string& kid, const std::string& state,
                    int64_t created, int64_t activate) {
    RawQuery(path,
             absl::StrCat("INSERT INTO signing_keys (kid, slot, "
                          "algorithm, state, public_jwk, "
                          "sealed_private, created_at_us, "
                          "activate_at_us) VALUES ('",
                          kid, "', 'iam', 'ES256', '", state,
                          "', '{}', x'00', ", created, ", ", activate, ")"));
  };
  insert("active", "active", 1, 1);
  insert("early", "next", 5, 10);
  insert("late-b", "next", 6, 20);
  insert("late-a", "next", 6, 20);  // Ties on both times: kid decides.
  insert("late-old", "next", 2, 20);
  insert("other-slot", "next", 1, 1);
  RawQuery(path,
           "UPDATE signing_keys SET slot = 'scoped' "
           "WHERE kid = 'other-slot'");

  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), SqliteStore::LatestSchemaVersion());
  EXPECT_EQ(store->migrations_applied(), 2);  // 5 and 6.
  EXPECT_EQ(RawQuery(path, "SELECT kid FROM signing_keys ORDER BY kid"),
            (std::vector<std::string>{"active", "late-b", "other-slot"}));
}

TEST(SqliteStoreTest, RefusesNewerSchema) {
  const std::string path = TempPath("newer");
  { ASSERT_NE(MustOpen(path), nullptr); }
  RawQuery(path, absl::StrCat("INSERT INTO schema_migrations VALUES (",
                              SqliteStore::LatestSchemaVersion() + 1,
                              ", 'from the future', 0)"));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer"));
}

TEST(SqliteStoreTest, FileIsInWalMode) {
  const std::string path = TempPath("wal");
  auto store = MustOpen(path);
  ASSERT_TRUE(store->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kAdmin)).ok());
  EXPECT_THAT(RawQuery(path, "PRAGMA journal_mode"), ElementsAre("wal"));
}

TEST(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  const std::string path = TempPath("garbage");
  {
    std::ofstream out(path, std::ios::binary);
    out << std::string(4096, 'G');
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss)
      << store.status();
}

TEST(SqliteStoreTest, MissingDirectoryIsAnError) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open("/nonexistent-dir/for/sure/tokend.db");
  EXPECT_FALSE(store.ok());
}

TEST(SqliteStoreTest, ReopenPersists) {
  const std::string path = TempPath("reopen");
  SigningKeyRecord key = Key("k1", "iam", KeyState::kActive);
  {
    auto store = MustOpen(path);
    ASSERT_TRUE(store->InsertSigningKey(key).ok());
    ASSERT_TRUE(
        store->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kAdmin)).ok());
    ASSERT_TRUE(store->RevokeApiKey("ak_1", kT0).ok());
  }
  auto store = MustOpen(path);
  auto keys = store->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_THAT(*keys, SizeIs(1));
  ExpectSameKey((*keys)[0], key);
  auto api_keys = store->ListApiKeys(std::nullopt);
  ASSERT_TRUE(api_keys.ok());
  ASSERT_THAT(*api_keys, SizeIs(1));
  EXPECT_EQ((*api_keys)[0].revoked_at, kT0);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST(SqliteStoreTest, PreparedStatementsAreReused) {
  auto store = MustOpen(TempPath("stmts"));
  auto exercise = [&](int i) {
    ASSERT_TRUE(store
                    ->InsertApiKey(
                        ApiKey(absl::StrCat("ak_", i), ApiKeySurface::kAdmin))
                    .ok());
    ASSERT_TRUE(store->ListApiKeys(std::nullopt).ok());
    ASSERT_TRUE(store->ListApiKeys(ApiKeySurface::kAdmin).ok());
    ASSERT_TRUE(store->RevokeApiKey(absl::StrCat("ak_", i), kT0).ok());
    SigningKeyRecord k = Key(absl::StrCat("k", i), "iam", KeyState::kNext);
    ASSERT_TRUE(store->InsertSigningKey(k).ok());
    k.state = KeyState::kRetired;
    ASSERT_TRUE(store->UpdateSigningKeys(Lead(*store), {k}, {}).ok());
    ASSERT_TRUE(store->UpdateSigningKeys(Lead(*store), {}, {k.kid}).ok());
    ASSERT_TRUE(store->ListSigningKeys().ok());
  };
  exercise(0);
  const size_t count = store->prepared_statement_count();
  EXPECT_GT(count, 0u);
  for (int i = 1; i < 20; ++i) exercise(i);
  EXPECT_EQ(store->prepared_statement_count(), count);
}

TEST(SqliteStoreTest, ConcurrentUseFromManyThreadsAndConnections) {
  const std::string path = TempPath("threads");
  auto store = MustOpen(path);
  auto second = MustOpen(path);  // Another connection to the same file.
  ASSERT_NE(second, nullptr);
  for (const char* slot : {"a", "b"}) {
    ASSERT_TRUE(store
                    ->InsertSigningKey(
                        Key(absl::StrCat(slot, "-0"), slot, KeyState::kActive))
                    .ok());
    ASSERT_TRUE(store
                    ->InsertSigningKey(
                        Key(absl::StrCat(slot, "-1"), slot, KeyState::kNext))
                    .ok());
  }

  constexpr int kThreads = 6;
  constexpr int kOps = 40;
  std::atomic<int> failures{0};
  const Fence fence = Lead(*store);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqliteStore* s = (t % 2 == 0) ? store.get() : second.get();
      for (int i = 0; i < kOps; ++i) {
        const std::string id = absl::StrCat("ak_", t, "_", i);
        if (!s->InsertApiKey(ApiKey(id, t % 3 == 0 ? ApiKeySurface::kAdmin
                                                   : ApiKeySurface::kScoped))
                 .ok()) {
          ++failures;
        }
        // Swap the active key of this thread's slot, atomically, reading
        // the current state first (several threads race on each slot, so a
        // stale read may fail with NotFound/AlreadyExists — never corrupt).
        auto keys = s->ListSigningKeys();
        if (!keys.ok()) {
          ++failures;
          continue;
        }
        std::vector<SigningKeyRecord> changed;
        for (SigningKeyRecord k : *keys) {
          if (k.slot != (t < kThreads / 2 ? "a" : "b")) continue;
          k.state = k.state == KeyState::kActive ? KeyState::kNext
                                                 : KeyState::kActive;
          changed.push_back(k);
        }
        absl::Status st = s->UpdateSigningKeys(fence, changed, {});
        if (!st.ok() && st.code() != absl::StatusCode::kAlreadyExists) {
          ++failures;
        }
        if (!s->FindApiKeyByHash(ApiKey(id, ApiKeySurface::kAdmin).secret_hash)
                 .ok())
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  auto all = store->ListApiKeys(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, SizeIs(kThreads * kOps));
  auto keys = second->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  int active_a = 0, active_b = 0;
  for (const auto& k : *keys) {
    if (k.state != KeyState::kActive) continue;
    (k.slot == "a" ? active_a : active_b)++;
  }
  EXPECT_EQ(active_a, 1);
  EXPECT_EQ(active_b, 1);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

// A child process writes in a tight loop of transactions and is killed with
// SIGKILL at an arbitrary point; the file must open, pass integrity_check and
// show only whole transactions.
TEST(SqliteStoreTest, SurvivesSigkillMidTransaction) {
  const std::string path = TempPath("sigkill");
  constexpr int kRounds = 4;
  for (int round = 0; round < kRounds; ++round) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(ready[0]);
      absl::StatusOr<std::unique_ptr<SqliteStore>> opened =
          SqliteStore::Open(path);
      if (!opened.ok()) _exit(2);
      SqliteStore& s = **opened;
      auto existing = s.ListApiKeys(std::nullopt);
      if (!existing.ok()) _exit(3);
      if (existing->empty()) {
        if (!s.InsertSigningKey(Key("x", "slot", KeyState::kActive)).ok() ||
            !s.InsertSigningKey(Key("y", "slot", KeyState::kNext)).ok()) {
          _exit(4);
        }
      }
      for (int i = static_cast<int>(existing->size());; ++i) {
        // Each iteration: one API key, then one atomic swap of x and y.
        if (!s.InsertApiKey(ApiKey(absl::StrCat("ak_", 100000 + i),
                                   ApiKeySurface::kAdmin))
                 .ok()) {
          _exit(5);
        }
        auto keys = s.ListSigningKeys();
        if (!keys.ok()) _exit(6);
        for (auto& k : *keys) {
          k.state = k.state == KeyState::kActive ? KeyState::kNext
                                                 : KeyState::kActive;
          k.activate_at = kT0 + absl::Seconds(i);
        }
        if (!s.UpdateSigningKeys(Lead(s), *keys, {}).ok()) _exit(7);
        if (i % 25 == 0) (void)!write(ready[1], "r", 1);
      }
    }
    close(ready[1]);
    char c;
    // Wait until the child has committed something, then let it run on a
    // little and kill it wherever it is.
    ASSERT_EQ(read(ready[0], &c, 1), 1) << "child failed to start";
    usleep(20000 + round * 15000);
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    close(ready[0]);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "child exited with " << wstatus;

    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    absl::Status integrity = store->CheckIntegrity();
    EXPECT_TRUE(integrity.ok()) << integrity;
    auto api_keys = store->ListApiKeys(std::nullopt);
    ASSERT_TRUE(api_keys.ok());
    ASSERT_FALSE(api_keys->empty());
    // Contiguous ids: no transaction is missing from the middle.
    for (size_t i = 0; i < api_keys->size(); ++i) {
      EXPECT_EQ((*api_keys)[i].id, absl::StrCat("ak_", 100000 + i));
    }
    auto keys = store->ListSigningKeys();
    ASSERT_TRUE(keys.ok());
    ASSERT_THAT(*keys, SizeIs(2));
    // Both keys were always written together.
    EXPECT_EQ((*keys)[0].activate_at, (*keys)[1].activate_at);
    EXPECT_NE((*keys)[0].state, (*keys)[1].state);
  }
}

// ---- Service accounts, authorized keys, OAuth tokens, revoked tokens ----

TEST(SqliteStoreIamTest, NewTablesSurviveReopen) {
  const std::string path = TempPath("iam-reopen");
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertServiceAccount(Account("sa1", kT0)).ok());
    ASSERT_TRUE(store->InsertAuthorizedKey(AuthKey("k1", "sa1", kT0)).ok());
  }
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->migrations_applied(), 0);
  EXPECT_TRUE(store->GetAuthorizedKey("k1").ok());
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

}  // namespace
}  // namespace tokend::store
