#include "core/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_macros.h"
#include "core/store/sqlite_internal.h"

namespace tokend::store {
namespace sqlite_internal {

absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what) {
  const int code = rc & 0xff;
  std::string msg = absl::StrCat("sqlite: ", what, ": ", sqlite3_errstr(rc));
  if (db != nullptr && sqlite3_extended_errcode(db) == rc) {
    absl::StrAppend(&msg, " (", sqlite3_errmsg(db), ")");
  }
  switch (code) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
          rc == SQLITE_CONSTRAINT_UNIQUE) {
        return absl::AlreadyExistsError(msg);
      }
      return absl::InvalidArgumentError(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace sqlite_internal

namespace {

using sqlite_internal::BindOptionalTime;
using sqlite_internal::ScopedStmt;
using sqlite_internal::SqliteError;

constexpr int kBusyTimeoutMs = 5000;

struct Migration {
  int version;
  const char* description;
  const char* sql;  // May hold several statements.
};

// Append-only: never edit a migration that has shipped; add a new one.
constexpr Migration kMigrations[] = {
    {1, "signing keys and API keys", R"sql(
CREATE TABLE signing_keys (
  kid             TEXT    NOT NULL PRIMARY KEY,
  slot            TEXT    NOT NULL,
  algorithm       TEXT    NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('next', 'active', 'retired')),
  public_jwk      TEXT    NOT NULL,
  sealed_private  BLOB    NOT NULL,
  created_at_us   INTEGER NOT NULL,
  activate_at_us  INTEGER,          -- NULL: never
  retired_at_us   INTEGER,          -- NULL: not retired
  delete_after_us INTEGER           -- NULL: not retired
) STRICT;
-- At most one signing key per slot.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (slot)
  WHERE state = 'active';

CREATE TABLE api_keys (
  id             TEXT    NOT NULL PRIMARY KEY,
  surface        TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  display_prefix TEXT    NOT NULL,
  secret_hash    BLOB    NOT NULL UNIQUE,
  created_at_us  INTEGER NOT NULL,
  revoked_at_us  INTEGER            -- NULL: valid
) STRICT;
CREATE INDEX api_keys_by_surface ON api_keys (surface, created_at_us, id);
)sql"},
    {2, "service accounts, authorized keys, OAuth tokens, revoked tokens",
     R"sql(
CREATE TABLE service_accounts (
  id            TEXT    NOT NULL PRIMARY KEY,
  name          TEXT    NOT NULL,
  description   TEXT    NOT NULL,
  created_at_us INTEGER NOT NULL,
  deleted_at_us INTEGER            -- NULL: not deleted
) STRICT;
-- Names are unique among live accounts; a deleted account frees its name.
CREATE UNIQUE INDEX service_accounts_live_name ON service_accounts (name)
  WHERE deleted_at_us IS NULL;
CREATE INDEX service_accounts_by_time ON service_accounts (created_at_us, id);

CREATE TABLE sa_token_creators (
  account_id TEXT    NOT NULL REFERENCES service_accounts (id),
  position   INTEGER NOT NULL,
  subject_id TEXT    NOT NULL,
  PRIMARY KEY (account_id, position),
  UNIQUE (account_id, subject_id)
) STRICT;

CREATE TABLE authorized_keys (
  id                 TEXT    NOT NULL PRIMARY KEY,
  service_account_id TEXT    NOT NULL REFERENCES service_accounts (id),
  description        TEXT    NOT NULL,
  key_algorithm      TEXT    NOT NULL,
  public_key_pem     TEXT    NOT NULL,
  created_at_us      INTEGER NOT NULL,
  deleted_at_us      INTEGER            -- NULL: not deleted
) STRICT;
CREATE INDEX authorized_keys_by_account
  ON authorized_keys (service_account_id, created_at_us, id);

-- account_id is any subject (service or user account): no foreign key.
CREATE TABLE oauth_tokens (
  id            TEXT    NOT NULL PRIMARY KEY,
  account_id    TEXT    NOT NULL,
  secret_hash   BLOB    NOT NULL UNIQUE,
  created_at_us INTEGER NOT NULL,
  revoked_at_us INTEGER            -- NULL: valid
) STRICT;

CREATE TABLE revoked_tokens (
  jti           TEXT    NOT NULL PRIMARY KEY,
  subject_id    TEXT    NOT NULL,
  expires_at_us INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_us);
)sql"},
    {3, "users, sessions, JWT templates", R"sql(
-- external_id and username are NULL when unset, so unset values never
-- collide. Identifiers are unique among users not deleted: deleting a user
-- frees them (as for service account names).
CREATE TABLE users (
  id                       TEXT    NOT NULL PRIMARY KEY,
  external_id              TEXT,             -- NULL: none
  first_name               TEXT    NOT NULL,
  last_name                TEXT    NOT NULL,
  username                 TEXT,             -- NULL: none
  image_url                TEXT    NOT NULL,
  primary_email_address_id TEXT    NOT NULL,
  primary_phone_number_id  TEXT    NOT NULL,
  public_metadata          TEXT    NOT NULL, -- JSON, stored verbatim
  private_metadata         TEXT    NOT NULL,
  unsafe_metadata          TEXT    NOT NULL,
  created_at_us            INTEGER NOT NULL,
  updated_at_us            INTEGER NOT NULL,
  deleted_at_us            INTEGER           -- NULL: not deleted
) STRICT;
CREATE UNIQUE INDEX users_live_external_id ON users (external_id)
  WHERE deleted_at_us IS NULL;
CREATE UNIQUE INDEX users_live_username ON users (username)
  WHERE deleted_at_us IS NULL;

-- Child tables rather than JSON columns: the schema itself enforces email
-- uniqueness, and a later lookup by address is an index away. user_live
-- copies "the user is not deleted" because a partial index cannot look at
-- another table.
CREATE TABLE user_email_addresses (
  id            TEXT    NOT NULL PRIMARY KEY,
  user_id       TEXT    NOT NULL REFERENCES users (id),
  position      INTEGER NOT NULL,
  email_address TEXT    NOT NULL,
  verified      INTEGER NOT NULL CHECK (verified IN (0, 1)),
  user_live     INTEGER NOT NULL CHECK (user_live IN (0, 1)),
  UNIQUE (user_id, position)
) STRICT;
-- NOCASE folds ASCII only: mail domains are case-insensitive, and Clerk
-- treats the local part the same way.
CREATE UNIQUE INDEX user_email_addresses_live
  ON user_email_addresses (email_address COLLATE NOCASE) WHERE user_live = 1;

CREATE TABLE user_phone_numbers (
  id           TEXT    NOT NULL PRIMARY KEY,
  user_id      TEXT    NOT NULL REFERENCES users (id),
  position     INTEGER NOT NULL,
  phone_number TEXT    NOT NULL,
  verified     INTEGER NOT NULL CHECK (verified IN (0, 1)),
  UNIQUE (user_id, position)
) STRICT;

CREATE TABLE sessions (
  id                TEXT    NOT NULL PRIMARY KEY,
  user_id           TEXT    NOT NULL REFERENCES users (id),
  status            TEXT    NOT NULL
    CHECK (status IN ('active', 'revoked', 'ended', 'expired')),
  client_token_hash BLOB    UNIQUE,   -- NULL: none (never found by hash)
  actor             TEXT    NOT NULL, -- '' or a JSON object
  created_at_us     INTEGER NOT NULL,
  updated_at_us     INTEGER NOT NULL,
  last_active_at_us INTEGER NOT NULL,
  expire_at_us      INTEGER NOT NULL
) STRICT;
-- ListSessions walks one of these in its order (newest first).
CREATE INDEX sessions_by_user ON sessions (user_id, created_at_us DESC, id);
CREATE INDEX sessions_by_status ON sessions (status, created_at_us DESC, id);
CREATE INDEX sessions_by_time ON sessions (created_at_us DESC, id);

CREATE TABLE jwt_templates (
  id                         TEXT    NOT NULL PRIMARY KEY,
  name                       TEXT    NOT NULL UNIQUE,
  claims                     TEXT    NOT NULL,
  lifetime_seconds           INTEGER NOT NULL,
  allowed_clock_skew_seconds INTEGER NOT NULL,
  custom_signing_key         INTEGER NOT NULL
    CHECK (custom_signing_key IN (0, 1)),
  signing_algorithm          TEXT    NOT NULL, -- '' when none
  sealed_signing_key         BLOB    NOT NULL, -- empty when none
  created_at_us              INTEGER NOT NULL,
  updated_at_us              INTEGER NOT NULL
) STRICT;
)sql"},
    {4, "change feed", R"sql(
-- AUTOINCREMENT: a seq is never reused, even after the newest rows are
-- purged, so a follower's position stays meaningful.
CREATE TABLE changes (
  seq   INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  kind  TEXT    NOT NULL,
  key   TEXT    NOT NULL,
  at_us INTEGER NOT NULL
    DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))
) STRICT;
CREATE INDEX changes_by_time ON changes (at_us);
)sql"},
    {5, "leases; at most one next signing key per slot", R"sql(
-- holder '' and expires_at_us 0: never held. token grows at each change of
-- hands (lease_store.h).
CREATE TABLE leases (
  name          TEXT    NOT NULL PRIMARY KEY,
  holder        TEXT    NOT NULL,
  token         INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL
) STRICT;
-- Two processes rotating one slot at once used to leave two next keys; the
-- keyring activates the latest-scheduled one, so the others, which never
-- signed, go.
DELETE FROM signing_keys WHERE state = 'next' AND EXISTS (
  SELECT 1 FROM signing_keys AS later
  WHERE later.slot = signing_keys.slot AND later.state = 'next' AND
    (later.activate_at_us, later.created_at_us, later.kid) >
    (signing_keys.activate_at_us, signing_keys.created_at_us,
     signing_keys.kid));
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (slot)
  WHERE state = 'next';
)sql"},
    {6, "users keep a locale and when they accepted the legal terms", R"sql(
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN legal_accepted_at_us INTEGER;
)sql"},
};

constexpr int kLatestVersion =
    kMigrations[sizeof(kMigrations) / sizeof(kMigrations[0]) - 1].version;

constexpr char kSigningKeyColumns[] =
    "kid, slot, algorithm, state, public_jwk, sealed_private, created_at_us, "
    "activate_at_us, retired_at_us, delete_after_us";

absl::Status BindSigningKey(ScopedStmt& s, const SigningKeyRecord& rec) {
  // Parameter order matches kSigningKeyColumns.
  RETURN_IF_ERROR(s.BindText(1, rec.kid));
  RETURN_IF_ERROR(s.BindText(2, rec.slot));
  RETURN_IF_ERROR(s.BindText(3, jose::AlgorithmName(rec.algorithm)));
  RETURN_IF_ERROR(s.BindText(4, KeyStateName(rec.state)));
  RETURN_IF_ERROR(s.BindText(5, rec.public_jwk));
  RETURN_IF_ERROR(s.BindBlob(6, rec.sealed_private));
  RETURN_IF_ERROR(s.BindTime(7, rec.created_at, "created_at"));
  RETURN_IF_ERROR(s.BindTime(8, rec.activate_at, "activate_at"));
  RETURN_IF_ERROR(BindOptionalTime(s, 9, rec.retired_at, "retired_at"));
  RETURN_IF_ERROR(BindOptionalTime(s, 10, rec.delete_after, "delete_after"));
  return absl::OkStatus();
}

absl::StatusOr<SigningKeyRecord> ReadSigningKey(const ScopedStmt& s) {
  SigningKeyRecord rec;
  rec.kid = s.Text(0);
  rec.slot = s.Text(1);
  ASSIGN_OR_RETURN(rec.algorithm,
                   StoredAlgorithm("signing key algorithm", s.Text(2)));
  const std::string state = s.Text(3);
  ASSIGN_OR_RETURN(rec.state,
                   StoredEnum(ParseKeyState(state), "key state", state));
  rec.public_jwk = s.Text(4);
  rec.sealed_private = s.Blob(5);
  rec.created_at = s.GetTime(6);
  rec.activate_at = s.GetTime(7);
  rec.retired_at = s.GetOptionalTime(8);
  rec.delete_after = s.GetOptionalTime(9);
  return rec;
}

constexpr char kApiKeyColumns[] =
    "id, surface, name, display_prefix, secret_hash, created_at_us, "
    "revoked_at_us";

absl::StatusOr<ApiKeyRecord> ReadApiKey(const ScopedStmt& s) {
  ApiKeyRecord rec;
  rec.id = s.Text(0);
  const std::string surface = s.Text(1);
  ASSIGN_OR_RETURN(rec.surface, StoredEnum(ParseApiKeySurface(surface),
                                           "API key surface", surface));
  rec.name = s.Text(2);
  rec.display_prefix = s.Text(3);
  rec.secret_hash = s.Blob(4);
  rec.created_at = s.GetTime(5);
  rec.revoked_at = s.GetOptionalTime(6);
  return rec;
}

constexpr char kServiceAccountColumns[] =
    "id, name, description, created_at_us, deleted_at_us";

ServiceAccountRecord ReadServiceAccount(const ScopedStmt& s) {
  ServiceAccountRecord rec;
  rec.id = s.Text(0);
  rec.name = s.Text(1);
  rec.description = s.Text(2);
  rec.created_at = s.GetTime(3);
  rec.deleted_at = s.GetOptionalTime(4);
  return rec;
}

constexpr char kAuthorizedKeyColumns[] =
    "id, service_account_id, description, key_algorithm, public_key_pem, "
    "created_at_us, deleted_at_us";

absl::StatusOr<AuthorizedKeyRecord> ReadAuthorizedKey(const ScopedStmt& s) {
  AuthorizedKeyRecord rec;
  rec.id = s.Text(0);
  rec.service_account_id = s.Text(1);
  rec.description = s.Text(2);
  const std::string algorithm = s.Text(3);
  ASSIGN_OR_RETURN(rec.key_algorithm,
                   StoredEnum(ParseAuthorizedKeyAlgorithm(algorithm),
                              "authorized key algorithm", algorithm));
  rec.public_key_pem = s.Text(4);
  rec.created_at = s.GetTime(5);
  rec.deleted_at = s.GetOptionalTime(6);
  return rec;
}

constexpr char kOAuthTokenColumns[] =
    "id, account_id, secret_hash, created_at_us, revoked_at_us";

OAuthTokenRecord ReadOAuthToken(const ScopedStmt& s) {
  OAuthTokenRecord rec;
  rec.id = s.Text(0);
  rec.account_id = s.Text(1);
  rec.secret_hash = s.Blob(2);
  rec.created_at = s.GetTime(3);
  rec.revoked_at = s.GetOptionalTime(4);
  return rec;
}

}  // namespace

int SqliteStore::LatestSchemaVersion() { return kLatestVersion; }

SqliteStore::SqliteStore(sqlite3* db) : db_(db) {}

SqliteStore::~SqliteStore() {
  Lock lock(this);
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(db, rc, absl::StrCat("open ", path));
    sqlite3_close_v2(db);  // Harmless on nullptr.
    return status;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  {
    Lock lock(store.get());
    RETURN_IF_ERROR(store->Configure(path));
    RETURN_IF_ERROR(store->Migrate());
  }
  return store;
}

absl::Status SqliteStore::Configure(const std::string& path) {
  sqlite3_extended_result_codes(db_, 1);
  const int rc = sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "busy_timeout");

  // journal_mode answers with the mode now in force.
  {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared("PRAGMA journal_mode=WAL"));
    ScopedStmt s(db_, raw);
    ASSIGN_OR_RETURN(bool row, s.Step());
    const std::string mode = row ? s.Text(0) : "";
    if (mode != "wal" && !(path == ":memory:" && mode == "memory")) {
      return absl::FailedPreconditionError(
          absl::StrCat("sqlite: ", path,
                       ": cannot enable WAL journal mode (got '", mode, "')"));
    }
  }
  RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
  // The pragmas above run once; drop them from the cache.
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  return absl::OkStatus();
}

absl::StatusOr<int> SqliteStore::ReadSchemaVersion() {
  {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                     Prepared("SELECT 1 FROM sqlite_master WHERE type = "
                              "'table' AND name = 'schema_migrations'"));
    ScopedStmt s(db_, raw);
    ASSIGN_OR_RETURN(bool exists, s.Step());
    if (!exists) return 0;
  }
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT COALESCE(MAX(version), 0) "
                            "FROM schema_migrations"));
  ScopedStmt s(db_, raw);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::InternalError("sqlite: no schema version row");
  return static_cast<int>(s.Int(0));
}

// Reads only, unless a migration is pending: an up-to-date file is not
// written to.
absl::Status SqliteStore::Migrate() {
  ASSIGN_OR_RETURN(int version, ReadSchemaVersion());
  if (version > kLatestVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite: database schema version ", version,
                     " is newer than this binary supports (", kLatestVersion,
                     "); upgrade tokend"));
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    bool applied = false;
    RETURN_IF_ERROR(Transact([&]() -> absl::Status {
      RETURN_IF_ERROR(
          Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
               "version INTEGER NOT NULL PRIMARY KEY, "
               "description TEXT NOT NULL, "
               "applied_at_us INTEGER NOT NULL) STRICT"));
      // Another process may have migrated since we looked.
      ASSIGN_OR_RETURN(int current, ReadSchemaVersion());
      if (current >= m.version) return absl::OkStatus();
      char* err = nullptr;
      const int rc = sqlite3_exec(db_, m.sql, nullptr, nullptr, &err);
      if (rc != SQLITE_OK) {
        absl::Status status = SqliteError(
            db_, rc,
            absl::StrCat("migration ", m.version, " (", m.description, ")"));
        sqlite3_free(err);
        return status;
      }
      ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                       Prepared("INSERT INTO schema_migrations "
                                "(version, description, applied_at_us) "
                                "VALUES (?, ?, ?)"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindInt(1, m.version));
      RETURN_IF_ERROR(s.BindText(2, m.description));
      RETURN_IF_ERROR(s.BindInt(3, absl::ToUnixMicros(absl::Now())));
      RETURN_IF_ERROR(s.Run());
      applied = true;
      return absl::OkStatus();
    }));
    if (applied) ++migrations_applied_;
  }
  ASSIGN_OR_RETURN(schema_version_, ReadSchemaVersion());
  return absl::OkStatus();
}

size_t SqliteStore::prepared_statement_count() const {
  Lock lock(this);
  return statements_.size();
}

absl::StatusOr<sqlite3_stmt*> SqliteStore::Prepared(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc, absl::StrCat("prepare: ", sql));
  }
  statements_.emplace(std::string(sql), stmt);
  return stmt;
}

absl::Status SqliteStore::Exec(absl::string_view sql) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(sql));
  ScopedStmt s(db_, raw);
  // Some pragmas answer with a row; drain it.
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
  }
}

SqliteStore::Lock::~Lock() {
  std::vector<ChangeRecord> committed;
  committed.swap(store_->committed_);
  store_->mu_.Unlock();
  if (!committed.empty() && store_->observer_) store_->observer_(committed);
}

absl::Status SqliteStore::Transact(absl::FunctionRef<absl::Status()> body) {
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status status = body();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok() && !sqlite3_get_autocommit(db_)) {
    // Still inside the transaction: undo everything. A failed ROLLBACK leaves
    // SQLite to roll back when the connection next needs to.
    (void)Exec("ROLLBACK");
  }
  if (status.ok()) {
    for (ChangeRecord& change : uncommitted_) {
      committed_.push_back(std::move(change));
    }
  }
  uncommitted_.clear();
  return status;
}

absl::Status SqliteStore::CheckIntegrity() {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared("PRAGMA integrity_check"));
  ScopedStmt s(db_, raw);
  std::vector<std::string> problems;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    std::string line = s.Text(0);
    if (line != "ok") problems.push_back(std::move(line));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("sqlite: integrity_check: ", absl::StrJoin(problems, "; ")));
}

// ---- Signing keys ----

absl::StatusOr<std::vector<SigningKeyRecord>> SqliteStore::ListSigningKeys() {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kSigningKeyColumns,
                   " FROM signing_keys ORDER BY slot, created_at_us, kid"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  std::vector<SigningKeyRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(SigningKeyRecord rec, ReadSigningKey(s));
    out.push_back(std::move(rec));
  }
  return out;
}

absl::Status SqliteStore::InsertSigningKey(const SigningKeyRecord& rec) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO signing_keys (", kSigningKeyColumns,
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(BindSigningKey(s, rec));
      RETURN_IF_ERROR(s.Run());
    }
    return AppendChange(ChangeKind::kSigningKeys, "");
  });
}

absl::Status SqliteStore::UpdateOneSigningKey(const SigningKeyRecord& rec) {
  static constexpr char kSql[] =
      "UPDATE signing_keys SET slot = ?2, algorithm = ?3, state = ?4, "
      "public_jwk = ?5, sealed_private = ?6, created_at_us = ?7, "
      "activate_at_us = ?8, retired_at_us = ?9, delete_after_us = ?10 "
      "WHERE kid = ?1";
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(BindSigningKey(s, rec));
  RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(
        absl::StrCat("signing key '", rec.kid, "' not found"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::DeleteOneSigningKey(const std::string& kid) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("DELETE FROM signing_keys WHERE kid = ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, kid));
  RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(
        absl::StrCat("signing key '", kid, "' not found"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::UpdateSigningKeys(
    const Fence& fence, const std::vector<SigningKeyRecord>& changed,
    const std::vector<std::string>& deleted_kids) {
  RETURN_IF_ERROR(CheckDistinctKids(changed, deleted_kids));
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    RETURN_IF_ERROR(CheckFence(fence));
    for (const std::string& kid : deleted_kids) {
      RETURN_IF_ERROR(DeleteOneSigningKey(kid));
    }
    // Two passes, so that no order of `changed` trips the one-active or
    // one-next index midway (they are checked per statement): every changed
    // row is parked as retired, which no index limits, then written.
    for (const SigningKeyRecord& rec : changed) {
      SigningKeyRecord parked = rec;
      parked.state = KeyState::kRetired;
      RETURN_IF_ERROR(UpdateOneSigningKey(parked));
    }
    for (const SigningKeyRecord& rec : changed) {
      RETURN_IF_ERROR(UpdateOneSigningKey(rec));
    }
    return AppendChange(ChangeKind::kSigningKeys, "");
  });
}

// ---- API keys ----

absl::Status SqliteStore::InsertApiKey(const ApiKeyRecord& rec) {
  Lock lock(this);
  static const std::string* const kSql =
      new std::string(absl::StrCat("INSERT INTO api_keys (", kApiKeyColumns,
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, rec.id));
  RETURN_IF_ERROR(s.BindText(2, ApiKeySurfaceName(rec.surface)));
  RETURN_IF_ERROR(s.BindText(3, rec.name));
  RETURN_IF_ERROR(s.BindText(4, rec.display_prefix));
  RETURN_IF_ERROR(s.BindBlob(5, rec.secret_hash));
  RETURN_IF_ERROR(s.BindTime(6, rec.created_at, "created_at"));
  if (rec.revoked_at.has_value()) {
    RETURN_IF_ERROR(s.BindTime(7, *rec.revoked_at, "revoked_at"));
  }
  return s.Run();
}

absl::StatusOr<ApiKeyRecord> SqliteStore::FindApiKeyByHash(
    absl::string_view secret_hash) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kApiKeyColumns, " FROM api_keys WHERE secret_hash = ?"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindBlob(1, secret_hash));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError("API key not found");
  return ReadApiKey(s);
}

absl::StatusOr<std::vector<ApiKeyRecord>> SqliteStore::ListApiKeys(
    std::optional<ApiKeySurface> surface) {
  Lock lock(this);
  static const std::string* const kAll = new std::string(absl::StrCat(
      "SELECT ", kApiKeyColumns, " FROM api_keys ORDER BY created_at_us, id"));
  static const std::string* const kBySurface = new std::string(
      absl::StrCat("SELECT ", kApiKeyColumns,
                   " FROM api_keys WHERE surface = ? ORDER BY created_at_us, "
                   "id"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared(surface.has_value() ? *kBySurface : *kAll));
  ScopedStmt s(db_, raw);
  if (surface.has_value()) {
    RETURN_IF_ERROR(s.BindText(1, ApiKeySurfaceName(*surface)));
  }
  std::vector<ApiKeyRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(ApiKeyRecord rec, ReadApiKey(s));
    out.push_back(std::move(rec));
  }
  return out;
}

absl::Status SqliteStore::RevokeApiKey(absl::string_view id, absl::Time at) {
  Lock lock(this);
  return MarkTimeAndRecord(
      "UPDATE api_keys SET revoked_at_us = COALESCE(revoked_at_us, ?1) "
      "WHERE id = ?2",
      "API key", id, at, ChangeKind::kApiKey);
}

// ---- Service accounts ----

absl::Status SqliteStore::InsertServiceAccount(
    const ServiceAccountRecord& rec) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    static const std::string* const kSql = new std::string(
        absl::StrCat("INSERT INTO service_accounts (", kServiceAccountColumns,
                     ") VALUES (?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, rec.id));
    RETURN_IF_ERROR(s.BindText(2, rec.name));
    RETURN_IF_ERROR(s.BindText(3, rec.description));
    RETURN_IF_ERROR(s.BindTime(4, rec.created_at, "created_at"));
    RETURN_IF_ERROR(BindOptionalTime(s, 5, rec.deleted_at, "deleted_at"));
    RETURN_IF_ERROR(s.Run());
    return WriteTokenCreators(rec.id, rec.token_creators);
  });
}

absl::Status SqliteStore::LoadTokenCreators(ServiceAccountRecord* rec) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT subject_id FROM sa_token_creators WHERE "
                            "account_id = ? ORDER BY position"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, rec->id));
  rec->token_creators.clear();
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
    rec->token_creators.push_back(s.Text(0));
  }
}

absl::Status SqliteStore::WriteTokenCreators(
    absl::string_view id, const std::vector<std::string>& subject_ids) {
  {
    ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        Prepared("DELETE FROM sa_token_creators WHERE account_id = ?"));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, id));
    RETURN_IF_ERROR(s.Run());
  }
  absl::flat_hash_set<absl::string_view> seen;
  int position = 0;
  for (const std::string& subject : subject_ids) {
    if (!seen.insert(subject).second) continue;
    ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                     Prepared("INSERT INTO sa_token_creators "
                              "(account_id, position, subject_id) "
                              "VALUES (?, ?, ?)"));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, id));
    RETURN_IF_ERROR(s.BindInt(2, position++));
    RETURN_IF_ERROR(s.BindText(3, subject));
    RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<ServiceAccountRecord> SqliteStore::GetServiceAccount(
    absl::string_view id) {
  Lock lock(this);
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kServiceAccountColumns,
                                   " FROM service_accounts WHERE id = ?"));
  ServiceAccountRecord rec;
  {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return absl::NotFoundError(
          absl::StrCat("service account '", id, "' not found"));
    }
    rec = ReadServiceAccount(s);
  }
  RETURN_IF_ERROR(LoadTokenCreators(&rec));
  return rec;
}

absl::StatusOr<std::vector<ServiceAccountRecord>>
SqliteStore::ListServiceAccounts() {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kServiceAccountColumns,
                   " FROM service_accounts WHERE deleted_at_us IS NULL "
                   "ORDER BY created_at_us, id"));
  std::vector<ServiceAccountRecord> out;
  {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
    ScopedStmt s(db_, raw);
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(ReadServiceAccount(s));
    }
  }
  for (ServiceAccountRecord& rec : out) {
    RETURN_IF_ERROR(LoadTokenCreators(&rec));
  }
  return out;
}

absl::Status SqliteStore::MarkTime(absl::string_view sql,
                                   absl::string_view what, absl::string_view id,
                                   absl::Time at) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(sql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindTime(1, at, "time"));
  RETURN_IF_ERROR(s.BindText(2, id));
  RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(absl::StrCat(what, " '", id, "' not found"));
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::MarkServiceAccountDeleted(absl::string_view id,
                                                    absl::Time at) {
  Lock lock(this);
  return MarkTimeAndRecord(
      "UPDATE service_accounts SET deleted_at_us = COALESCE(deleted_at_us, ?1) "
      "WHERE id = ?2",
      "service account", id, at, ChangeKind::kServiceAccount);
}

absl::Status SqliteStore::SetTokenCreators(
    absl::string_view id, const std::vector<std::string>& subject_ids) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          Prepared("SELECT deleted_at_us FROM service_accounts WHERE id = ?"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, id));
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) {
        return absl::NotFoundError(
            absl::StrCat("service account '", id, "' not found"));
      }
      if (!s.IsNull(0)) {
        return absl::FailedPreconditionError(
            absl::StrCat("service account '", id, "' is deleted"));
      }
    }
    RETURN_IF_ERROR(WriteTokenCreators(id, subject_ids));
    return AppendChange(ChangeKind::kServiceAccount, id);
  });
}

// ---- Authorized keys ----

absl::Status SqliteStore::InsertAuthorizedKey(const AuthorizedKeyRecord& rec) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO authorized_keys (", kAuthorizedKeyColumns,
                   ") VALUES (?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, rec.id));
  RETURN_IF_ERROR(s.BindText(2, rec.service_account_id));
  RETURN_IF_ERROR(s.BindText(3, rec.description));
  RETURN_IF_ERROR(s.BindText(4, AuthorizedKeyAlgorithmName(rec.key_algorithm)));
  RETURN_IF_ERROR(s.BindText(5, rec.public_key_pem));
  RETURN_IF_ERROR(s.BindTime(6, rec.created_at, "created_at"));
  RETURN_IF_ERROR(BindOptionalTime(s, 7, rec.deleted_at, "deleted_at"));
  absl::Status status = s.Run();
  if (!status.ok() &&
      sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return absl::NotFoundError(absl::StrCat(
        "service account '", rec.service_account_id, "' not found"));
  }
  return status;
}

absl::StatusOr<AuthorizedKeyRecord> SqliteStore::GetAuthorizedKey(
    absl::string_view id) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kAuthorizedKeyColumns, " FROM authorized_keys WHERE id = ?"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, id));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("authorized key '", id, "' not found"));
  }
  return ReadAuthorizedKey(s);
}

absl::StatusOr<std::vector<AuthorizedKeyRecord>>
SqliteStore::ListAuthorizedKeys(absl::string_view service_account_id) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kAuthorizedKeyColumns,
      " FROM authorized_keys WHERE service_account_id = ? AND deleted_at_us "
      "IS NULL ORDER BY created_at_us, id"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, service_account_id));
  std::vector<AuthorizedKeyRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(AuthorizedKeyRecord rec, ReadAuthorizedKey(s));
    out.push_back(std::move(rec));
  }
}

absl::Status SqliteStore::MarkAuthorizedKeyDeleted(absl::string_view id,
                                                   absl::Time at) {
  Lock lock(this);
  return MarkTimeAndRecord(
      "UPDATE authorized_keys SET deleted_at_us = COALESCE(deleted_at_us, ?1) "
      "WHERE id = ?2",
      "authorized key", id, at, ChangeKind::kAuthorizedKey);
}

// ---- OAuth tokens ----

absl::Status SqliteStore::InsertOAuthToken(const OAuthTokenRecord& rec) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO oauth_tokens (", kOAuthTokenColumns,
                   ") VALUES (?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, rec.id));
  RETURN_IF_ERROR(s.BindText(2, rec.account_id));
  RETURN_IF_ERROR(s.BindBlob(3, rec.secret_hash));
  RETURN_IF_ERROR(s.BindTime(4, rec.created_at, "created_at"));
  RETURN_IF_ERROR(BindOptionalTime(s, 5, rec.revoked_at, "revoked_at"));
  return s.Run();
}

absl::StatusOr<OAuthTokenRecord> SqliteStore::FindOAuthTokenByHash(
    absl::string_view secret_hash) {
  Lock lock(this);
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kOAuthTokenColumns,
                                   " FROM oauth_tokens WHERE secret_hash = ?"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindBlob(1, secret_hash));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError("OAuth token not found");
  return ReadOAuthToken(s);
}

absl::StatusOr<std::vector<OAuthTokenRecord>> SqliteStore::ListOAuthTokens() {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kOAuthTokenColumns,
                   " FROM oauth_tokens ORDER BY created_at_us, id"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  std::vector<OAuthTokenRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadOAuthToken(s));
  }
}

absl::Status SqliteStore::RevokeOAuthToken(absl::string_view id,
                                           absl::Time at) {
  Lock lock(this);
  return MarkTimeAndRecord(
      "UPDATE oauth_tokens SET revoked_at_us = COALESCE(revoked_at_us, ?1) "
      "WHERE id = ?2",
      "OAuth token", id, at, ChangeKind::kOAuthToken);
}

// ---- Revoked IAM tokens ----

absl::Status SqliteStore::InsertRevokedToken(const RevokedTokenRecord& rec) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                       Prepared("INSERT INTO revoked_tokens (jti, subject_id, "
                                "expires_at_us) VALUES (?, ?, ?) "
                                "ON CONFLICT (jti) DO NOTHING"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, rec.jti));
      RETURN_IF_ERROR(s.BindText(2, rec.subject_id));
      RETURN_IF_ERROR(s.BindTime(3, rec.expires_at, "expires_at"));
      RETURN_IF_ERROR(s.Run());
      if (sqlite3_changes(db_) == 0) return absl::OkStatus();  // Known.
    }
    return AppendChange(ChangeKind::kRevokedToken, rec.jti);
  });
}

absl::StatusOr<bool> SqliteStore::IsTokenRevoked(absl::string_view jti) {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT 1 FROM revoked_tokens WHERE jti = ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, jti));
  return s.Step();
}

absl::StatusOr<std::vector<RevokedTokenRecord>> SqliteStore::ListRevokedTokens(
    absl::Time now, int64_t limit) {
  if (limit < 0) return absl::InvalidArgumentError("limit must be >= 0");
  Lock lock(this);
  ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      Prepared("SELECT jti, subject_id, expires_at_us FROM revoked_tokens "
               "WHERE expires_at_us > ? ORDER BY expires_at_us, jti LIMIT ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindTime(1, now, "now"));
  RETURN_IF_ERROR(s.BindInt(2, limit));
  std::vector<RevokedTokenRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    RevokedTokenRecord rec;
    rec.jti = s.Text(0);
    rec.subject_id = s.Text(1);
    rec.expires_at = s.GetTime(2);
    out.push_back(std::move(rec));
  }
}

absl::StatusOr<int> SqliteStore::DeleteExpiredRevokedTokens(absl::Time now) {
  Lock lock(this);
  ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      Prepared("DELETE FROM revoked_tokens WHERE expires_at_us <= ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindTime(1, now, "now"));
  RETURN_IF_ERROR(s.Run());
  return sqlite3_changes(db_);
}

// ---- Change feed ----

absl::Status SqliteStore::AppendChange(ChangeKind kind, absl::string_view key) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("INSERT INTO changes (kind, key) VALUES (?, ?)"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, ChangeKindName(kind)));
  RETURN_IF_ERROR(s.BindText(2, key));
  RETURN_IF_ERROR(s.Run());
  ChangeRecord change;
  change.kind = kind;
  change.key = std::string(key);
  // Outside a transaction the insert has already committed.
  (sqlite3_get_autocommit(db_) ? committed_ : uncommitted_)
      .push_back(std::move(change));
  return absl::OkStatus();
}

absl::Status SqliteStore::MarkTimeAndRecord(absl::string_view sql,
                                            absl::string_view what,
                                            absl::string_view id, absl::Time at,
                                            ChangeKind kind) {
  return Transact([&]() -> absl::Status {
    RETURN_IF_ERROR(MarkTime(sql, what, id, at));
    return AppendChange(kind, id);
  });
}

absl::StatusOr<std::vector<ChangeRecord>> SqliteStore::ListChanges(
    int64_t after_seq, int64_t limit) {
  if (limit < 0) return absl::InvalidArgumentError("limit must be >= 0");
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT seq, kind, key, at_us FROM changes "
                            "WHERE seq > ? ORDER BY seq LIMIT ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindInt(1, after_seq));
  RETURN_IF_ERROR(s.BindInt(2, limit));
  std::vector<ChangeRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    ChangeRecord rec;
    rec.seq = s.Int(0);
    const std::string kind = s.Text(1);
    ASSIGN_OR_RETURN(rec.kind,
                     StoredEnum(ParseChangeKind(kind), "change kind", kind));
    rec.key = s.Text(2);
    rec.at = s.GetTime(3);
    out.push_back(std::move(rec));
  }
}

absl::StatusOr<int64_t> SqliteStore::LastChangeSeq() {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT COALESCE(MAX(seq), 0) FROM changes"));
  ScopedStmt s(db_, raw);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::InternalError("sqlite: no MAX(seq) row");
  return s.Int(0);
}

absl::StatusOr<int> SqliteStore::DeleteChangesBefore(absl::Time before) {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("DELETE FROM changes WHERE at_us < ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindTime(1, before, "before"));
  RETURN_IF_ERROR(s.Run());
  return sqlite3_changes(db_);
}

}  // namespace tokend::store
