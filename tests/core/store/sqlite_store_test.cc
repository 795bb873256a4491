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

namespace tokend::store {
namespace {

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

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

SigningKeyRecord Key(std::string kid, std::string slot, KeyState state) {
  SigningKeyRecord rec;
  rec.kid = std::move(kid);
  rec.slot = std::move(slot);
  rec.algorithm = "ES256";
  rec.state = state;
  rec.public_jwk = absl::StrCat(R"({"kty":"EC","kid":")", rec.kid, R"("})");
  rec.sealed_private = std::string("\x01\x00\xff sealed", 10);
  rec.created_at = kT0;
  rec.activate_at = kT0 + absl::Minutes(15);
  return rec;
}

ApiKeyRecord ApiKey(std::string id, std::string surface) {
  ApiKeyRecord rec;
  rec.id = std::move(id);
  rec.surface = std::move(surface);
  rec.name = "name of " + rec.id;
  rec.display_prefix = "sk_ab";
  rec.secret_hash = std::string(31, '\0') + rec.id;  // Distinct, binary.
  rec.created_at = kT0;
  return rec;
}

void ExpectSameKey(const SigningKeyRecord& a, const SigningKeyRecord& b) {
  EXPECT_EQ(a.kid, b.kid);
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_EQ(a.algorithm, b.algorithm);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.public_jwk, b.public_jwk);
  EXPECT_EQ(a.sealed_private, b.sealed_private);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.activate_at, b.activate_at);
  EXPECT_EQ(a.retired_at, b.retired_at);
  EXPECT_EQ(a.delete_after, b.delete_after);
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

TEST(SqliteStoreTest, SigningKeyRoundTrip) {
  auto store = MustOpen(TempPath("keys"));
  ASSERT_NE(store, nullptr);

  SigningKeyRecord active = Key("k1", "iam", KeyState::kActive);
  SigningKeyRecord retired = Key("k0", "iam", KeyState::kRetired);
  retired.created_at = kT0 - absl::Hours(48);
  retired.retired_at = kT0 - absl::Hours(1);
  retired.delete_after = kT0 + absl::Hours(11) + absl::Microseconds(7);
  SigningKeyRecord session = Key("s1", "session", KeyState::kNext);
  session.algorithm = "RS256";
  session.activate_at = absl::InfiniteFuture();

  ASSERT_TRUE(store->InsertSigningKey(active).ok());
  ASSERT_TRUE(store->InsertSigningKey(retired).ok());
  ASSERT_TRUE(store->InsertSigningKey(session).ok());

  absl::StatusOr<std::vector<SigningKeyRecord>> keys = store->ListSigningKeys();
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_THAT(*keys, SizeIs(3));
  // Ordered by slot, then creation time.
  ExpectSameKey((*keys)[0], retired);
  ExpectSameKey((*keys)[1], active);
  ExpectSameKey((*keys)[2], session);
}

TEST(SqliteStoreTest, InsertSigningKeyRejectsDuplicates) {
  auto store = MustOpen(TempPath("dup"));
  ASSERT_TRUE(
      store->InsertSigningKey(Key("k1", "iam", KeyState::kActive)).ok());
  EXPECT_EQ(
      store->InsertSigningKey(Key("k1", "scoped", KeyState::kNext)).code(),
      absl::StatusCode::kAlreadyExists);
  // At most one active key per slot.
  EXPECT_EQ(store->InsertSigningKey(Key("k2", "iam", KeyState::kActive)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(
      store->InsertSigningKey(Key("k3", "scoped", KeyState::kActive)).ok());
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(2));
}

TEST(SqliteStoreTest, InsertSigningKeyRejectsInfiniteCreationTime) {
  auto store = MustOpen(TempPath("inf"));
  SigningKeyRecord rec = Key("k1", "iam", KeyState::kActive);
  rec.created_at = absl::InfiniteFuture();
  EXPECT_EQ(store->InsertSigningKey(rec).code(),
            absl::StatusCode::kInvalidArgument);
  rec.created_at = kT0;
  rec.retired_at = absl::InfinitePast();
  EXPECT_EQ(store->InsertSigningKey(rec).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(0));
}

TEST(SqliteStoreTest, UpdateSigningKeysAppliesRotationAtomically) {
  auto store = MustOpen(TempPath("rotate"));
  SigningKeyRecord old_key = Key("old", "iam", KeyState::kRetired);
  old_key.retired_at = kT0;
  old_key.delete_after = kT0 + absl::Hours(12);
  SigningKeyRecord active = Key("cur", "iam", KeyState::kActive);
  SigningKeyRecord next = Key("nxt", "iam", KeyState::kNext);
  next.created_at = kT0 + absl::Seconds(1);
  for (const auto& k : {old_key, active, next}) {
    ASSERT_TRUE(store->InsertSigningKey(k).ok());
  }

  // Promote next, retire active, drop the old one: one call. The new active
  // key is listed first here on purpose: the store orders the writes so the
  // one-active-per-slot index holds at every statement.
  next.state = KeyState::kActive;
  active.state = KeyState::kRetired;
  active.retired_at = kT0 + absl::Hours(1);
  active.delete_after = kT0 + absl::Hours(13);
  absl::Status status = store->UpdateSigningKeys({next, active}, {"old"});
  ASSERT_TRUE(status.ok()) << status;

  auto keys = store->ListSigningKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_THAT(*keys, SizeIs(2));
  ExpectSameKey((*keys)[0], active);
  ExpectSameKey((*keys)[1], next);
}

TEST(SqliteStoreTest, FailedUpdateSigningKeysLeavesNothingHalfApplied) {
  auto store = MustOpen(TempPath("atomic"));
  SigningKeyRecord a = Key("a", "iam", KeyState::kActive);
  SigningKeyRecord b = Key("b", "iam", KeyState::kNext);
  SigningKeyRecord c = Key("c", "scoped", KeyState::kActive);
  for (const auto& k : {a, b, c}) ASSERT_TRUE(store->InsertSigningKey(k).ok());
  auto before = store->ListSigningKeys();
  ASSERT_TRUE(before.ok());

  auto expect_unchanged = [&] {
    auto after = store->ListSigningKeys();
    ASSERT_TRUE(after.ok());
    ASSERT_EQ(after->size(), before->size());
    for (size_t i = 0; i < after->size(); ++i) {
      ExpectSameKey((*after)[i], (*before)[i]);
    }
  };

  SigningKeyRecord a2 = a;
  a2.state = KeyState::kRetired;
  a2.retired_at = kT0;
  SigningKeyRecord b2 = b;
  b2.state = KeyState::kActive;

  // A changed kid that does not exist: the valid changes before it roll back.
  EXPECT_EQ(store
                ->UpdateSigningKeys(
                    {a2, b2, Key("ghost", "iam", KeyState::kRetired)}, {})
                .code(),
            absl::StatusCode::kNotFound);
  expect_unchanged();

  // A deleted kid that does not exist.
  EXPECT_EQ(store->UpdateSigningKeys({a2, b2}, {"c", "ghost"}).code(),
            absl::StatusCode::kNotFound);
  expect_unchanged();

  // The same kid twice.
  EXPECT_EQ(store->UpdateSigningKeys({a2, a2}, {}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->UpdateSigningKeys({a2}, {"a"}).code(),
            absl::StatusCode::kInvalidArgument);
  expect_unchanged();

  // A constraint violation in the middle: two active keys in slot "iam"
  // (c moves to "iam" while b becomes active there); "a" was deleted first.
  SigningKeyRecord c2 = c;
  c2.slot = "iam";
  EXPECT_EQ(store->UpdateSigningKeys({b2, c2}, {"a"}).code(),
            absl::StatusCode::kAlreadyExists);
  expect_unchanged();

  // And the store still works afterwards.
  ASSERT_TRUE(store->UpdateSigningKeys({a2, b2}, {"c"}).ok());
  EXPECT_THAT(*store->ListSigningKeys(), SizeIs(2));
}

// ---- API keys ----

TEST(SqliteStoreTest, ApiKeyCrud) {
  auto store = MustOpen(TempPath("apikeys"));
  ApiKeyRecord admin = ApiKey("ak_1", "admin");
  ApiKeyRecord sessions = ApiKey("ak_2", "sessions");
  sessions.created_at = kT0 + absl::Seconds(1);
  ApiKeyRecord scoped = ApiKey("ak_3", "scoped");
  scoped.created_at = kT0 + absl::Seconds(2);
  scoped.revoked_at = kT0 + absl::Seconds(3);
  for (const auto& k : {admin, sessions, scoped}) {
    ASSERT_TRUE(store->InsertApiKey(k).ok());
  }

  absl::StatusOr<ApiKeyRecord> found =
      store->FindApiKeyByHash(sessions.secret_hash);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, "ak_2");
  EXPECT_EQ(found->surface, "sessions");
  EXPECT_EQ(found->name, sessions.name);
  EXPECT_EQ(found->display_prefix, "sk_ab");
  EXPECT_EQ(found->secret_hash, sessions.secret_hash);
  EXPECT_EQ(found->created_at, sessions.created_at);
  EXPECT_FALSE(found->revoked_at.has_value());

  found = store->FindApiKeyByHash(scoped.secret_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->revoked_at, scoped.revoked_at);

  EXPECT_EQ(store->FindApiKeyByHash(std::string(32, 'x')).status().code(),
            absl::StatusCode::kNotFound);
  // The hash is compared as bytes, not as text.
  EXPECT_EQ(store->FindApiKeyByHash("ak_2").status().code(),
            absl::StatusCode::kNotFound);

  // Duplicate id, duplicate hash.
  ApiKeyRecord dup = ApiKey("ak_1", "admin");
  dup.secret_hash = std::string(32, 'y');
  EXPECT_EQ(store->InsertApiKey(dup).code(), absl::StatusCode::kAlreadyExists);
  dup = ApiKey("ak_9", "admin");
  dup.secret_hash = admin.secret_hash;
  EXPECT_EQ(store->InsertApiKey(dup).code(), absl::StatusCode::kAlreadyExists);

  auto all = store->ListApiKeys(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(Field(&ApiKeyRecord::id, "ak_1"),
                                Field(&ApiKeyRecord::id, "ak_2"),
                                Field(&ApiKeyRecord::id, "ak_3")));
  auto only_sessions = store->ListApiKeys("sessions");
  ASSERT_TRUE(only_sessions.ok());
  EXPECT_THAT(*only_sessions, ElementsAre(Field(&ApiKeyRecord::id, "ak_2")));
  EXPECT_THAT(*store->ListApiKeys("nothing"), SizeIs(0));
}

TEST(SqliteStoreTest, RevokeApiKeyKeepsFirstTime) {
  auto store = MustOpen(TempPath("revoke"));
  ApiKeyRecord key = ApiKey("ak_1", "scoped");
  ASSERT_TRUE(store->InsertApiKey(key).ok());

  const absl::Time first = kT0 + absl::Minutes(5);
  ASSERT_TRUE(store->RevokeApiKey("ak_1", first).ok());
  ASSERT_TRUE(store->RevokeApiKey("ak_1", first + absl::Hours(1)).ok());
  auto found = store->FindApiKeyByHash(key.secret_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->revoked_at, first);

  EXPECT_EQ(store->RevokeApiKey("ak_unknown", first).code(),
            absl::StatusCode::kNotFound);
}

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
  ASSERT_TRUE(store->InsertApiKey(ApiKey("ak_1", "admin")).ok());
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
    ASSERT_TRUE(store->InsertApiKey(ApiKey("ak_1", "admin")).ok());
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
    ASSERT_TRUE(
        store->InsertApiKey(ApiKey(absl::StrCat("ak_", i), "admin")).ok());
    ASSERT_TRUE(store->ListApiKeys(std::nullopt).ok());
    ASSERT_TRUE(store->ListApiKeys("admin").ok());
    ASSERT_TRUE(store->RevokeApiKey(absl::StrCat("ak_", i), kT0).ok());
    SigningKeyRecord k = Key(absl::StrCat("k", i), "iam", KeyState::kNext);
    ASSERT_TRUE(store->InsertSigningKey(k).ok());
    k.state = KeyState::kRetired;
    ASSERT_TRUE(store->UpdateSigningKeys({k}, {}).ok());
    ASSERT_TRUE(store->UpdateSigningKeys({}, {k.kid}).ok());
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
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqliteStore* s = (t % 2 == 0) ? store.get() : second.get();
      for (int i = 0; i < kOps; ++i) {
        const std::string id = absl::StrCat("ak_", t, "_", i);
        if (!s->InsertApiKey(ApiKey(id, t % 3 == 0 ? "admin" : "scoped"))
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
        absl::Status st = s->UpdateSigningKeys(changed, {});
        if (!st.ok() && st.code() != absl::StatusCode::kAlreadyExists) {
          ++failures;
        }
        if (!s->FindApiKeyByHash(ApiKey(id, "").secret_hash).ok()) ++failures;
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
        if (!s.InsertApiKey(ApiKey(absl::StrCat("ak_", 100000 + i), "admin"))
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
        if (!s.UpdateSigningKeys(*keys, {}).ok()) _exit(7);
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

ServiceAccountRecord Account(std::string id, absl::Time created) {
  ServiceAccountRecord rec;
  rec.id = std::move(id);
  rec.name = "name-" + rec.id;
  rec.description = "about " + rec.id;
  rec.created_at = created;
  return rec;
}

AuthorizedKeyRecord AuthKey(std::string id, std::string account,
                            absl::Time created) {
  AuthorizedKeyRecord rec;
  rec.id = std::move(id);
  rec.service_account_id = std::move(account);
  rec.description = "key " + rec.id;
  rec.key_algorithm = "RSA_2048";
  rec.public_key_pem =
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  rec.created_at = created;
  return rec;
}

TEST(SqliteStoreIamTest, ServiceAccountRoundTripAndDeletedFiltering) {
  auto store = MustOpen(TempPath("sa"));
  ASSERT_NE(store, nullptr);
  ServiceAccountRecord a = Account("aje00000000000000001", kT0);
  a.token_creators = {"user-1", "user-2", "user-1"};
  ASSERT_TRUE(store->InsertServiceAccount(a).ok());
  ASSERT_TRUE(store
                  ->InsertServiceAccount(
                      Account("aje00000000000000002", kT0 + absl::Seconds(1)))
                  .ok());

  auto got = store->GetServiceAccount(a.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name, a.name);
  EXPECT_EQ(got->description, a.description);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_FALSE(got->deleted_at.has_value());
  EXPECT_THAT(got->token_creators, ElementsAre("user-1", "user-2"));

  EXPECT_EQ(store->InsertServiceAccount(a).code(),
            absl::StatusCode::kAlreadyExists);
  ServiceAccountRecord same_name = Account("aje00000000000000003", kT0);
  same_name.name = a.name;
  EXPECT_EQ(store->InsertServiceAccount(same_name).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->GetServiceAccount("aje-missing").status().code(),
            absl::StatusCode::kNotFound);

  auto list = store->ListServiceAccounts();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&ServiceAccountRecord::id, a.id),
                                 Field(&ServiceAccountRecord::id,
                                       "aje00000000000000002")));

  ASSERT_TRUE(
      store->MarkServiceAccountDeleted(a.id, kT0 + absl::Hours(1)).ok());
  // Idempotent; the first time is kept.
  ASSERT_TRUE(
      store->MarkServiceAccountDeleted(a.id, kT0 + absl::Hours(2)).ok());
  EXPECT_EQ(store->MarkServiceAccountDeleted("aje-missing", kT0).code(),
            absl::StatusCode::kNotFound);
  got = store->GetServiceAccount(a.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->deleted_at, kT0 + absl::Hours(1));
  list = store->ListServiceAccounts();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&ServiceAccountRecord::id,
                                       "aje00000000000000002")));
  // A deleted account frees its name.
  EXPECT_TRUE(store->InsertServiceAccount(same_name).ok());
}

TEST(SqliteStoreIamTest, SetTokenCreators) {
  auto store = MustOpen(TempPath("creators"));
  ASSERT_NE(store, nullptr);
  ServiceAccountRecord a = Account("aje00000000000000001", kT0);
  a.token_creators = {"x"};
  ASSERT_TRUE(store->InsertServiceAccount(a).ok());
  ASSERT_TRUE(store->SetTokenCreators(a.id, {"c", "a", "b", "a"}).ok());
  EXPECT_THAT(store->GetServiceAccount(a.id)->token_creators,
              ElementsAre("c", "a", "b"));
  ASSERT_TRUE(store->SetTokenCreators(a.id, {}).ok());
  EXPECT_THAT(store->GetServiceAccount(a.id)->token_creators, SizeIs(0));
  EXPECT_EQ(store->SetTokenCreators("aje-missing", {"a"}).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->MarkServiceAccountDeleted(a.id, kT0).ok());
  EXPECT_EQ(store->SetTokenCreators(a.id, {"a"}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SqliteStoreIamTest, AuthorizedKeys) {
  auto store = MustOpen(TempPath("authkeys"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->InsertServiceAccount(Account("sa1", kT0)).ok());
  ASSERT_TRUE(store->InsertServiceAccount(Account("sa2", kT0)).ok());
  AuthorizedKeyRecord k1 = AuthKey("k1", "sa1", kT0);
  k1.key_algorithm = "RSA_4096";
  ASSERT_TRUE(store->InsertAuthorizedKey(k1).ok());
  ASSERT_TRUE(
      store->InsertAuthorizedKey(AuthKey("k2", "sa1", kT0 + absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(store->InsertAuthorizedKey(AuthKey("k3", "sa2", kT0)).ok());
  EXPECT_EQ(store->InsertAuthorizedKey(k1).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->InsertAuthorizedKey(AuthKey("k4", "nope", kT0)).code(),
            absl::StatusCode::kNotFound);

  auto got = store->GetAuthorizedKey("k1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->service_account_id, "sa1");
  EXPECT_EQ(got->description, k1.description);
  EXPECT_EQ(got->key_algorithm, "RSA_4096");
  EXPECT_EQ(got->public_key_pem, k1.public_key_pem);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_FALSE(got->deleted_at.has_value());
  EXPECT_EQ(store->GetAuthorizedKey("k9").status().code(),
            absl::StatusCode::kNotFound);

  auto list = store->ListAuthorizedKeys("sa1");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&AuthorizedKeyRecord::id, "k1"),
                                 Field(&AuthorizedKeyRecord::id, "k2")));

  ASSERT_TRUE(store->MarkAuthorizedKeyDeleted("k1", kT0 + absl::Hours(1)).ok());
  ASSERT_TRUE(store->MarkAuthorizedKeyDeleted("k1", kT0 + absl::Hours(2)).ok());
  EXPECT_EQ(store->MarkAuthorizedKeyDeleted("k9", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetAuthorizedKey("k1")->deleted_at, kT0 + absl::Hours(1));
  list = store->ListAuthorizedKeys("sa1");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, ElementsAre(Field(&AuthorizedKeyRecord::id, "k2")));
}

TEST(SqliteStoreIamTest, OAuthTokens) {
  auto store = MustOpen(TempPath("oauth"));
  ASSERT_NE(store, nullptr);
  OAuthTokenRecord t;
  t.id = "ot1";
  t.account_id = "user-7";
  t.secret_hash = std::string("\x00\x01hash", 6);
  t.created_at = kT0;
  ASSERT_TRUE(store->InsertOAuthToken(t).ok());
  OAuthTokenRecord dup_hash = t;
  dup_hash.id = "ot2";
  EXPECT_EQ(store->InsertOAuthToken(dup_hash).code(),
            absl::StatusCode::kAlreadyExists);

  auto found = store->FindOAuthTokenByHash(t.secret_hash);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, "ot1");
  EXPECT_EQ(found->account_id, "user-7");
  EXPECT_EQ(found->created_at, kT0);
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_EQ(store->FindOAuthTokenByHash("other").status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(store->RevokeOAuthToken("ot1", kT0 + absl::Minutes(1)).ok());
  ASSERT_TRUE(store->RevokeOAuthToken("ot1", kT0 + absl::Minutes(2)).ok());
  EXPECT_EQ(store->RevokeOAuthToken("ot9", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->FindOAuthTokenByHash(t.secret_hash)->revoked_at,
            kT0 + absl::Minutes(1));
}

TEST(SqliteStoreIamTest, RevokedTokensIdempotentAndExpire) {
  auto store = MustOpen(TempPath("revoked"));
  ASSERT_NE(store, nullptr);
  RevokedTokenRecord r{"jti-1", "sa1", kT0 + absl::Hours(12)};
  ASSERT_TRUE(store->InsertRevokedToken(r).ok());
  ASSERT_TRUE(store->InsertRevokedToken(r).ok());  // Twice: not an error.
  ASSERT_TRUE(
      store->InsertRevokedToken({"jti-2", "sa1", kT0 + absl::Hours(1)}).ok());
  EXPECT_TRUE(*store->IsTokenRevoked("jti-1"));
  EXPECT_TRUE(*store->IsTokenRevoked("jti-2"));
  EXPECT_FALSE(*store->IsTokenRevoked("jti-3"));

  auto deleted = store->DeleteExpiredRevokedTokens(kT0 + absl::Hours(1));
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
  EXPECT_TRUE(*store->IsTokenRevoked("jti-1"));
  EXPECT_FALSE(*store->IsTokenRevoked("jti-2"));
  EXPECT_EQ(*store->DeleteExpiredRevokedTokens(kT0 + absl::Hours(1)), 0);
}

TEST(SqliteStoreIamTest, ListRevokedTokensUnexpiredOrderedAndLimited) {
  auto store = MustOpen(TempPath("revoked-list"));
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->ListRevokedTokens(kT0, 10)->empty());
  ASSERT_TRUE(
      store->InsertRevokedToken({"b", "sa1", kT0 + absl::Hours(2)}).ok());
  ASSERT_TRUE(
      store->InsertRevokedToken({"a", "sa2", kT0 + absl::Hours(2)}).ok());
  ASSERT_TRUE(
      store->InsertRevokedToken({"c", "sa1", kT0 + absl::Hours(1)}).ok());
  ASSERT_TRUE(store->InsertRevokedToken({"old", "sa1", kT0}).ok());

  auto all = store->ListRevokedTokens(kT0, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);  // "old" expires at kT0: not after it.
  EXPECT_EQ((*all)[0].jti, "c");
  EXPECT_EQ((*all)[0].subject_id, "sa1");
  EXPECT_EQ((*all)[0].expires_at, kT0 + absl::Hours(1));
  EXPECT_EQ((*all)[1].jti, "a");
  EXPECT_EQ((*all)[1].subject_id, "sa2");
  EXPECT_EQ((*all)[2].jti, "b");

  auto two = store->ListRevokedTokens(kT0, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].jti, "a");
  EXPECT_TRUE(store->ListRevokedTokens(kT0, 0)->empty());
  EXPECT_EQ(store->ListRevokedTokens(kT0, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ListRevokedTokens(kT0 + absl::Hours(1), 10)->size(), 2u);
  EXPECT_TRUE(store->ListRevokedTokens(kT0 + absl::Hours(2), 10)->empty());
}

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
