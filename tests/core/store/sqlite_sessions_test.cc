// SqliteStore: users, sessions and JWT templates in the file (schema
// migration 3). What every backend does is in conformance/.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/store/sqlite_store.h"
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
using ::testing::IsEmpty;
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

// Runs `sql` on a separate raw connection; returns the first column of every
// row.
std::vector<std::string> RawQuery(const std::string& path,
                                  const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
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

// ---- Files, statements, migrations ----

TEST(SqliteSessionsFileTest, EverythingSurvivesReopen) {
  const std::string path = TempPath("sessions-reopen");
  UserRecord user = User("r");
  SessionRecord session = Session("sess_r", "user_r", kT0);
  JwtTemplateRecord tmpl = Template("jtmp_r", "reopen");
  tmpl.sealed_signing_key = std::string("\x00key", 4);
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertUser(user).ok());
    ASSERT_TRUE(store->InsertSession(session).ok());
    ASSERT_TRUE(store->InsertJwtTemplate(tmpl).ok());
    ASSERT_TRUE(store
                    ->UpdateSessionStatus("sess_r", SessionStatus::kEnded,
                                          kT0 + absl::Hours(1))
                    .ok());
    ASSERT_TRUE(store->MarkUserDeleted("user_r", kT0 + absl::Hours(2)).ok());
  }
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->migrations_applied(), 0);
  user.deleted_at = kT0 + absl::Hours(2);
  ExpectSameUser(*store->GetUser("user_r"), user);
  session.status = SessionStatus::kEnded;
  session.updated_at = kT0 + absl::Hours(1);
  ExpectSameSession(*store->GetSession("sess_r"), session);
  ExpectSameSession(
      *store->FindSessionByClientTokenHash(session.client_token_hash), session);
  ExpectSameTemplate(*store->FindJwtTemplateByName("reopen"), tmpl);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST(SqliteSessionsFileTest, PreparedStatementsAreReused) {
  auto store = MustOpen(TempPath("sessions-stmts"));
  auto exercise = [&](int i) {
    const std::string tag = absl::StrCat(i);
    UserRecord user = User(tag);
    ASSERT_TRUE(store->InsertUser(user).ok());
    ASSERT_TRUE(store->GetUser(user.id).ok());
    user.first_name = "again";
    ASSERT_TRUE(store->UpdateUser(user).ok());
    SessionRecord s = Session(absl::StrCat("sess_", i), user.id, kT0);
    ASSERT_TRUE(store->InsertSession(s).ok());
    ASSERT_TRUE(store->GetSession(s.id).ok());
    ASSERT_TRUE(store->FindSessionByClientTokenHash(s.client_token_hash).ok());
    ASSERT_TRUE(store->ListSessions("", std::nullopt, 5, 0).ok());
    ASSERT_TRUE(store->ListSessions(user.id, std::nullopt, 5, 0).ok());
    ASSERT_TRUE(store->ListSessions("", SessionStatus::kActive, 5, 0).ok());
    ASSERT_TRUE(
        store->ListSessions(user.id, SessionStatus::kActive, 5, 0).ok());
    ASSERT_TRUE(
        store->UpdateSessionStatus(s.id, SessionStatus::kRevoked, kT0).ok());
    ASSERT_TRUE(store->TouchSession(s.id, kT0).ok());
    ASSERT_TRUE(store->MarkUserDeleted(user.id, kT0).ok());
    JwtTemplateRecord t = Template(absl::StrCat("jtmp_", i), tag);
    ASSERT_TRUE(store->InsertJwtTemplate(t).ok());
    ASSERT_TRUE(store->GetJwtTemplate(t.id).ok());
    ASSERT_TRUE(store->FindJwtTemplateByName(t.name).ok());
    ASSERT_TRUE(store->ListJwtTemplates().ok());
    ASSERT_TRUE(store->UpdateJwtTemplate(t).ok());
    ASSERT_TRUE(store->DeleteJwtTemplate(t.id).ok());
  };
  exercise(0);
  const size_t count = store->prepared_statement_count();
  for (int i = 1; i < 10; ++i) exercise(i);
  EXPECT_EQ(store->prepared_statement_count(), count);
}

std::string ReadRunfile(const std::string& path) {
  const char* dir = std::getenv("TEST_SRCDIR");
  std::ifstream in(absl::StrCat(dir != nullptr ? dir : ".", "/tokend/", path),
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes the database described by an SQL dump into a new file at `path`.
void LoadDump(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
      SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// A file written by the previous release (schema version 2,
// testdata/schema_v2.sql) is upgraded in place: migrations 3 to 5 run, the
// old rows stay readable, the new tables work, and the resulting schema is
// exactly that of a freshly created database.
TEST(SqliteSessionsFileTest, UpgradesAVersion2Database) {
  const std::string path = TempPath("from-v2");
  LoadDump(path, ReadRunfile("tests/core/store/testdata/schema_v2.sql"));
  ASSERT_THAT(RawQuery(path, "SELECT MAX(version) FROM schema_migrations"),
              ElementsAre("2"));
  ASSERT_EQ(SqliteStore::LatestSchemaVersion(), 6);

  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), 6);
    EXPECT_EQ(store->migrations_applied(), 4);

    // Rows written at version 2 are intact.
    absl::StatusOr<ServiceAccountRecord> sa = store->GetServiceAccount("sa1");
    ASSERT_TRUE(sa.ok()) << sa.status();
    EXPECT_EQ(sa->name, "name-sa1");
    EXPECT_THAT(sa->token_creators, ElementsAre("user-1"));
    EXPECT_TRUE(store->GetAuthorizedKey("k1").ok());
    absl::StatusOr<std::vector<SigningKeyRecord>> keys =
        store->ListSigningKeys();
    ASSERT_TRUE(keys.ok());
    ASSERT_THAT(*keys, SizeIs(1));
    EXPECT_EQ((*keys)[0].sealed_private,
              std::string("\x01\x00\xff sealed", 10));
    absl::StatusOr<std::vector<ApiKeyRecord>> api_keys =
        store->ListApiKeys(std::nullopt);
    ASSERT_TRUE(api_keys.ok());
    ASSERT_THAT(*api_keys, SizeIs(1));
    EXPECT_EQ((*api_keys)[0].revoked_at, kT0);
    EXPECT_TRUE(
        store->FindOAuthTokenByHash(std::string("\x00\x11\x22\x33", 4)).ok());
    EXPECT_TRUE(*store->IsTokenRevoked("jti-1"));

    // The new tables work.
    ASSERT_TRUE(store->InsertUser(User("up")).ok());
    ASSERT_TRUE(store->InsertSession(Session("sess_up", "user_up", kT0)).ok());
    ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_up", "up")).ok());
    EXPECT_TRUE(store->CheckIntegrity().ok());
  }
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->migrations_applied(), 0);
    EXPECT_TRUE(store->GetSession("sess_up").ok());
  }

  const std::string fresh = TempPath("fresh-v4");
  { ASSERT_NE(MustOpen(fresh), nullptr); }
  const std::string kSchema =
      "SELECT type || ' ' || name || ' ' || tbl_name || ': ' || "
      "COALESCE(sql, '') FROM sqlite_master ORDER BY type, name";
  EXPECT_EQ(RawQuery(path, kSchema), RawQuery(fresh, kSchema));
  EXPECT_EQ(RawQuery(path,
                     "SELECT version || ' ' || description FROM "
                     "schema_migrations ORDER BY version"),
            RawQuery(fresh,
                     "SELECT version || ' ' || description FROM "
                     "schema_migrations ORDER BY version"));
}

}  // namespace
}  // namespace tokend::store
