// PostgresStore beyond the conformance suite: what only a shared database
// has (replicas migrating at once, a saturated pool, a restarted server).
#include "core/store/postgres_store.h"

#include <libpq-fe.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/sample_records.h"
#include "tests/testing/postgres_server.h"

namespace tokend::store {
namespace {

using conformance::ApiKey;
using conformance::kT0;

std::string NewDatabase() {
  testing::PostgresServer* server = testing::SharedPostgresServer();
  EXPECT_NE(server, nullptr);
  if (server == nullptr) return "";
  absl::StatusOr<std::string> url = server->CreateDatabase();
  EXPECT_TRUE(url.ok()) << url.status();
  return url.ok() ? *url : "";
}

std::unique_ptr<PostgresStore> MustOpen(PostgresStore::Options options) {
  absl::StatusOr<std::unique_ptr<PostgresStore>> store =
      PostgresStore::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// Three replicas started at the same moment on an empty database: all come
// up, exactly one applies the migrations, all see the latest schema.
TEST(PostgresStoreTest, ReplicasStartedAtOnceMigrateOnce) {
  for (int round = 0; round < 3; ++round) {
    const std::string url = NewDatabase();
    constexpr int kReplicas = 3;
    std::vector<absl::StatusOr<std::unique_ptr<PostgresStore>>> opened(
        kReplicas);
    std::atomic<int> waiting{kReplicas};
    std::vector<std::thread> threads;
    for (int i = 0; i < kReplicas; ++i) {
      threads.emplace_back([&, i] {
        waiting.fetch_sub(1);
        while (waiting.load() != 0) std::this_thread::yield();
        PostgresStore::Options options;
        options.conninfo = url;
        opened[i] = PostgresStore::Open(options);
      });
    }
    for (std::thread& t : threads) t.join();
    int applied = 0;
    for (const auto& store : opened) {
      ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status();
      EXPECT_EQ((*store)->schema_version(),
                PostgresStore::LatestSchemaVersion());
      applied += (*store)->migrations_applied();
    }
    EXPECT_EQ(applied, PostgresStore::LatestSchemaVersion());
    // And they share one database.
    ASSERT_TRUE(
        (*opened[0])->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kAdmin)).ok());
    EXPECT_TRUE((*opened[2])
                    ->FindApiKeyByHash(
                        ApiKey("ak_1", ApiKeySurface::kAdmin).secret_hash)
                    .ok());
  }
}

TEST(PostgresStoreTest, RefusesANewerSchema) {
  const std::string url = NewDatabase();
  PostgresStore::Options options;
  options.conninfo = url;
  ASSERT_NE(MustOpen(options), nullptr);
  const std::string db = url.substr(url.rfind('/') + 1);
  ASSERT_TRUE(
      testing::SharedPostgresServer()
          ->Psql(db, absl::StrCat("INSERT INTO schema_migrations "
                                  "VALUES (",
                                  PostgresStore::LatestSchemaVersion() + 1,
                                  ", 'from the future', 0)"))
          .ok());
  absl::StatusOr<std::unique_ptr<PostgresStore>> store =
      PostgresStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition)
      << store.status();
  EXPECT_THAT(store.status().message(), ::testing::HasSubstr("newer"));
}

// Whatever goes wrong with a connection string, the password in it does not
// reach the error (which tokend prints at start-up). Port 1: nothing
// listens there.
TEST(PostgresStoreTest, ErrorsNeverRepeatThePassword) {
  for (const char* url :
       {"postgresql://tokend:Hunter%zz@127.0.0.1:1/db?connect_timeout=2",
        "postgresql://tokend:Hunter 2@127.0.0.1:1/db?connect_timeout=2",
        "postgresql://tokend:Hunter2@127.0.0.1:1/db?sslmode=bogus",
        "host=127.0.0.1 port=1 password='Hunter2 user=tokend"}) {
    PostgresStore::Options options;
    options.conninfo = url;
    absl::StatusOr<std::unique_ptr<PostgresStore>> store =
        PostgresStore::Open(options);
    EXPECT_FALSE(store.ok()) << url;
    EXPECT_THAT(store.status().message(),
                ::testing::Not(::testing::HasSubstr("Hunter")))
        << store.status();
  }
}

TEST(PostgresStoreTest, UnreachableDatabaseIsUnavailable) {
  PostgresStore::Options options;
  // A port nothing listens on (the shared server's, plus one, is a guess;
  // port 1 is privileged and never a PostgreSQL).
  options.conninfo = "postgresql://tokend@127.0.0.1:1/none?connect_timeout=2";
  absl::StatusOr<std::unique_ptr<PostgresStore>> store =
      PostgresStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable)
      << store.status();
}

// More writers than connections, while a row lock stalls the one in use:
// the writer stuck on the lock ends at the statement timeout and the one
// waiting for a connection at the acquire timeout, both DEADLINE_EXCEEDED;
// nothing hangs, and the store works once the lock is gone.
TEST(PostgresStoreTest, PoolExhaustionEndsInDeadlineErrorsNeverAHang) {
  const std::string url = NewDatabase();
  PostgresStore::Options options;
  options.conninfo = url;
  options.max_connections = 1;
  options.acquire_timeout = absl::Milliseconds(300);
  options.statement_timeout = absl::Seconds(2);
  std::unique_ptr<PostgresStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kAdmin)).ok());

  // Another client holds the row's lock.
  PGconn* locker = PQconnectdb(url.c_str());
  ASSERT_EQ(PQstatus(locker), CONNECTION_OK) << PQerrorMessage(locker);
  auto run = [&](const char* sql) {
    PGresult* res = PQexec(locker, sql);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
                    PQresultStatus(res) == PGRES_TUPLES_OK;
    std::string text = ok ? "" : PQresultErrorMessage(res);
    PQclear(res);
    return text;
  };
  ASSERT_EQ(run("BEGIN"), "");
  ASSERT_EQ(run("SELECT id FROM api_keys WHERE id = 'ak_1' FOR UPDATE"), "");

  absl::Status blocked;
  std::thread writer(
      [&] { blocked = store->RevokeApiKey("ak_1", kT0 + absl::Minutes(1)); });
  // Wait until the writer is waiting on the lock (its connection is then
  // the pool's only one, lent out).
  bool waiting_on_lock = false;
  for (int i = 0; i < 500 && !waiting_on_lock; ++i) {
    PGresult* res = PQexec(
        locker,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND application_name = 'tokend'");
    waiting_on_lock = PQresultStatus(res) == PGRES_TUPLES_OK &&
                      std::string(PQgetvalue(res, 0, 0)) == "1";
    PQclear(res);
    if (!waiting_on_lock) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(waiting_on_lock);

  const absl::Status starved =
      store->InsertApiKey(ApiKey("ak_2", ApiKeySurface::kAdmin));
  EXPECT_EQ(starved.code(), absl::StatusCode::kDeadlineExceeded) << starved;
  writer.join();
  EXPECT_EQ(blocked.code(), absl::StatusCode::kDeadlineExceeded) << blocked;

  ASSERT_EQ(run("ROLLBACK"), "");
  PQfinish(locker);
  EXPECT_TRUE(store->InsertApiKey(ApiKey("ak_2", ApiKeySurface::kAdmin)).ok());
  EXPECT_TRUE(store->RevokeApiKey("ak_1", kT0).ok());
}

// A database restart breaks every pooled connection; the store notices on
// first use, reconnects, and nothing acknowledged before is lost.
TEST(PostgresStoreTest, RecoversAfterADatabaseRestart) {
  PostgresStore::Options options;
  options.conninfo = NewDatabase();
  std::unique_ptr<PostgresStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kAdmin)).ok());

  ASSERT_TRUE(testing::SharedPostgresServer()->Stop().ok());
  // While it is down: reads and writes are UNAVAILABLE, never NotFound.
  EXPECT_EQ(
      store->FindApiKeyByHash(ApiKey("ak_1", ApiKeySurface::kAdmin).secret_hash)
          .status()
          .code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(store->InsertApiKey(ApiKey("ak_2", ApiKeySurface::kAdmin)).code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(testing::SharedPostgresServer()->Restart().ok());

  EXPECT_TRUE(
      store->FindApiKeyByHash(ApiKey("ak_1", ApiKeySurface::kAdmin).secret_hash)
          .ok());
  EXPECT_TRUE(store->InsertApiKey(ApiKey("ak_2", ApiKeySurface::kAdmin)).ok());
}

// "woken", "quiet" or the error, so a failure says which.
std::string Outcome(const absl::StatusOr<bool>& woken) {
  if (!woken.ok()) return woken.status().ToString();
  return *woken ? "woken" : "quiet";
}

// LISTEN/NOTIFY as a wake-up: a committed change wakes a listener on
// another connection once; a store with notices off sends none; a restart
// is reported and the next wait reconnects.
TEST(PostgresStoreTest, ChangeNotifierWakesOnCommittedChanges) {
  PostgresStore::Options options;
  options.conninfo = NewDatabase();
  std::unique_ptr<PostgresStore> writer = MustOpen(options);
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->InsertApiKey(ApiKey("ak_1", ApiKeySurface::kAdmin)).ok());
  absl::StatusOr<std::unique_ptr<ChangeNotifier>> notifier =
      writer->OpenChangeNotifier();
  ASSERT_TRUE(notifier.ok()) << notifier.status();
  ChangeNotifier& listener = **notifier;
  // The first wait connects and LISTENs; it wakes, since it cannot know
  // what was sent before.
  EXPECT_EQ(Outcome(listener.Wait(absl::ZeroDuration())), "woken");
  EXPECT_EQ(Outcome(listener.Wait(absl::Milliseconds(50))), "quiet");

  ASSERT_TRUE(writer->RevokeApiKey("ak_1", kT0).ok());
  // Sent at commit, before RevokeApiKey returned.
  EXPECT_EQ(Outcome(listener.Wait(absl::Seconds(10))), "woken");
  EXPECT_EQ(Outcome(listener.Wait(absl::Milliseconds(50))), "quiet");

  // A failed transaction sends nothing.
  EXPECT_FALSE(writer->RevokeApiKey("ak_missing", kT0).ok());
  EXPECT_EQ(Outcome(listener.Wait(absl::Milliseconds(50))), "quiet");

  PostgresStore::Options quiet = options;
  quiet.notify = false;
  std::unique_ptr<PostgresStore> quiet_writer = MustOpen(quiet);
  ASSERT_NE(quiet_writer, nullptr);
  EXPECT_EQ(quiet_writer->OpenChangeNotifier().status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(
      quiet_writer->InsertApiKey(ApiKey("ak_2", ApiKeySurface::kAdmin)).ok());
  ASSERT_TRUE(quiet_writer->RevokeApiKey("ak_2", kT0).ok());
  EXPECT_EQ(Outcome(listener.Wait(absl::Milliseconds(50))), "quiet");

  ASSERT_TRUE(testing::SharedPostgresServer()->Stop().ok());
  EXPECT_EQ(listener.Wait(absl::Seconds(10)).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(testing::SharedPostgresServer()->Restart().ok());
  EXPECT_EQ(Outcome(listener.Wait(absl::ZeroDuration())), "woken");
  ASSERT_TRUE(writer->InsertApiKey(ApiKey("ak_3", ApiKeySurface::kAdmin)).ok());
  ASSERT_TRUE(writer->RevokeApiKey("ak_3", kT0).ok());
  EXPECT_EQ(Outcome(listener.Wait(absl::Seconds(10))), "woken");
}

}  // namespace
}  // namespace tokend::store
