#include "core/store/postgres_store.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/algorithm.h"
#include "core/store/postgres_internal.h"
#include "core/store/postgres_schema.h"
#include "core/store/stored_names.h"

namespace tokend::store {
namespace {

using pg::Connection;
using pg::Params;
using pg::Result;

constexpr int kLatestVersion =
    pg::kMigrations[sizeof(pg::kMigrations) / sizeof(pg::kMigrations[0]) - 1]
        .version;

// Reads of several statements that must agree: one snapshot (READ COMMITTED
// takes one per statement); a read-only REPEATABLE READ never fails to
// serialize.
constexpr char kSnapshotRead[] =
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

constexpr char kSigningKeyColumns[] =
    "kid, slot, algorithm, state, public_jwk, sealed_private, created_at_us, "
    "activate_at_us, retired_at_us, delete_after_us";

Params SigningKeyParams(const SigningKeyRecord& rec) {
  Params p;
  p.Text(rec.kid)
      .Text(rec.slot)
      .Text(jose::AlgorithmName(rec.algorithm))
      .Text(KeyStateName(rec.state))
      .Text(rec.public_jwk)
      .Bytes(rec.sealed_private)
      .Time(rec.created_at, "created_at")
      .Time(rec.activate_at, "activate_at")
      .OptionalTime(rec.retired_at, "retired_at")
      .OptionalTime(rec.delete_after, "delete_after");
  return p;
}

absl::StatusOr<SigningKeyRecord> ReadSigningKey(const Result& r, int i) {
  SigningKeyRecord rec;
  rec.kid = r.Text(i, 0);
  rec.slot = r.Text(i, 1);
  ASSIGN_OR_RETURN(rec.algorithm,
                   StoredAlgorithm("signing key algorithm", r.Text(i, 2)));
  const std::string state = r.Text(i, 3);
  ASSIGN_OR_RETURN(rec.state,
                   StoredEnum(ParseKeyState(state), "key state", state));
  rec.public_jwk = r.Text(i, 4);
  rec.sealed_private = r.Bytes(i, 5);
  rec.created_at = r.Time(i, 6);
  rec.activate_at = r.Time(i, 7);
  rec.retired_at = r.OptionalTime(i, 8);
  rec.delete_after = r.OptionalTime(i, 9);
  return rec;
}

constexpr char kApiKeyColumns[] =
    "id, surface, name, display_prefix, secret_hash, created_at_us, "
    "revoked_at_us";

absl::StatusOr<ApiKeyRecord> ReadApiKey(const Result& r, int i) {
  ApiKeyRecord rec;
  rec.id = r.Text(i, 0);
  const std::string surface = r.Text(i, 1);
  ASSIGN_OR_RETURN(rec.surface, StoredEnum(ParseApiKeySurface(surface),
                                           "API key surface", surface));
  rec.name = r.Text(i, 2);
  rec.display_prefix = r.Text(i, 3);
  rec.secret_hash = r.Bytes(i, 4);
  rec.created_at = r.Time(i, 5);
  rec.revoked_at = r.OptionalTime(i, 6);
  return rec;
}

constexpr char kServiceAccountColumns[] =
    "id, name, description, created_at_us, deleted_at_us";

ServiceAccountRecord ReadServiceAccount(const Result& r, int i) {
  ServiceAccountRecord rec;
  rec.id = r.Text(i, 0);
  rec.name = r.Text(i, 1);
  rec.description = r.Text(i, 2);
  rec.created_at = r.Time(i, 3);
  rec.deleted_at = r.OptionalTime(i, 4);
  return rec;
}

constexpr char kAuthorizedKeyColumns[] =
    "id, service_account_id, description, key_algorithm, public_key_pem, "
    "created_at_us, deleted_at_us";

absl::StatusOr<AuthorizedKeyRecord> ReadAuthorizedKey(const Result& r, int i) {
  AuthorizedKeyRecord rec;
  rec.id = r.Text(i, 0);
  rec.service_account_id = r.Text(i, 1);
  rec.description = r.Text(i, 2);
  const std::string algorithm = r.Text(i, 3);
  ASSIGN_OR_RETURN(rec.key_algorithm,
                   StoredEnum(ParseAuthorizedKeyAlgorithm(algorithm),
                              "authorized key algorithm", algorithm));
  rec.public_key_pem = r.Text(i, 4);
  rec.created_at = r.Time(i, 5);
  rec.deleted_at = r.OptionalTime(i, 6);
  return rec;
}

constexpr char kOAuthTokenColumns[] =
    "id, account_id, secret_hash, created_at_us, revoked_at_us";

OAuthTokenRecord ReadOAuthToken(const Result& r, int i) {
  OAuthTokenRecord rec;
  rec.id = r.Text(i, 0);
  rec.account_id = r.Text(i, 1);
  rec.secret_hash = r.Bytes(i, 2);
  rec.created_at = r.Time(i, 3);
  rec.revoked_at = r.OptionalTime(i, 4);
  return rec;
}

absl::Status WriteTokenCreators(Connection& conn, absl::string_view id,
                                const std::vector<std::string>& subject_ids) {
  RETURN_IF_ERROR(
      conn.Exec("DELETE FROM sa_token_creators WHERE account_id = $1",
                Params().Text(id))
          .status());
  absl::flat_hash_set<absl::string_view> seen;
  int64_t position = 0;
  for (const std::string& subject : subject_ids) {
    if (!seen.insert(subject).second) continue;
    RETURN_IF_ERROR(conn.Exec("INSERT INTO sa_token_creators (account_id, "
                              "position, subject_id) VALUES ($1, $2, $3)",
                              Params().Text(id).Int(position++).Text(subject))
                        .status());
  }
  return absl::OkStatus();
}

// Creates the lock row and the migrations table. Replicas starting at once
// race on CREATE TABLE IF NOT EXISTS (it can fail on the catalog's unique
// index), so a failure is retried: the loser then finds the tables.
absl::Status Bootstrap(pg::Pool& pool) {
  absl::Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    status = pool.Transact([](Connection& conn) {
      return conn.ExecScript(
          "CREATE TABLE IF NOT EXISTS schema_lock (id BIGINT PRIMARY KEY);"
          "INSERT INTO schema_lock (id) VALUES (1) ON CONFLICT DO NOTHING;"
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          "  version BIGINT NOT NULL PRIMARY KEY,"
          "  description TEXT NOT NULL,"
          "  applied_at_us BIGINT NOT NULL)");
    });
    if (status.ok() || absl::IsUnavailable(status) ||
        absl::IsDeadlineExceeded(status)) {
      return status;
    }
  }
  return status;
}

absl::StatusOr<int> ReadVersion(Connection& conn) {
  ASSIGN_OR_RETURN(
      Result r,
      conn.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(r.Int(0, 0));
}

}  // namespace

int PostgresStore::LatestSchemaVersion() { return kLatestVersion; }

PostgresStore::PostgresStore(std::unique_ptr<pg::Pool> pool, Options options)
    : pool_(std::move(pool)), options_(std::move(options)) {}

PostgresStore::~PostgresStore() = default;

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(
    Options options) {
  if (options.conninfo.empty()) {
    return absl::InvalidArgumentError(
        "postgres: a connection string is needed");
  }
  RETURN_IF_ERROR(pg::ValidateConninfo(options.conninfo));
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("postgres: max_connections must be >= 1");
  }
  pg::PoolOptions pool_options;
  pool_options.conninfo = options.conninfo;
  pool_options.max_connections = options.max_connections;
  pool_options.acquire_timeout = options.acquire_timeout;
  pool_options.statement_timeout = options.statement_timeout;
  std::unique_ptr<PostgresStore> store(new PostgresStore(
      std::make_unique<pg::Pool>(std::move(pool_options)), std::move(options)));
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

absl::Status PostgresStore::Migrate() {
  RETURN_IF_ERROR(Bootstrap(*pool_));
  int applied = 0;
  int version = 0;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    applied = 0;
    // Replicas queue here; the first applies, the rest find the work done.
    RETURN_IF_ERROR(
        conn.Exec("SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE")
            .status());
    ASSIGN_OR_RETURN(version, ReadVersion(conn));
    if (version > kLatestVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat("postgres: database schema version ", version,
                       " is newer than this binary supports (", kLatestVersion,
                       "); upgrade tokend"));
    }
    for (const pg::Migration& m : pg::kMigrations) {
      if (m.version <= version) continue;
      RETURN_IF_ERROR(conn.ExecScript(m.sql));
      RETURN_IF_ERROR(conn.Exec("INSERT INTO schema_migrations (version, "
                                "description, applied_at_us) "
                                "VALUES ($1, $2, $3)",
                                Params()
                                    .Int(m.version)
                                    .Text(m.description)
                                    .Time(absl::Now(), "applied_at"))
                          .status());
      version = m.version;
      ++applied;
    }
    return absl::OkStatus();
  }));
  schema_version_ = version;
  migrations_applied_ = applied;
  return absl::OkStatus();
}

// ---- Signing keys ----

absl::StatusOr<std::vector<SigningKeyRecord>> PostgresStore::ListSigningKeys() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kSigningKeyColumns,
      " FROM signing_keys ORDER BY slot COLLATE \"C\", created_at_us, "
      "kid COLLATE \"C\""));
  std::vector<SigningKeyRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) {
      ASSIGN_OR_RETURN(SigningKeyRecord rec, ReadSigningKey(r, i));
      out.push_back(std::move(rec));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::InsertSigningKey(const SigningKeyRecord& rec) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO signing_keys (", kSigningKeyColumns,
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"));
  return Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Exec(*kSql, SigningKeyParams(rec)).status());
    return AppendChange(conn, ChangeKind::kSigningKeys, "");
  });
}

absl::Status PostgresStore::UpdateSigningKeys(
    const Fence& fence, const std::vector<SigningKeyRecord>& changed,
    const std::vector<std::string>& deleted_kids) {
  RETURN_IF_ERROR(CheckDistinctKids(changed, deleted_kids));
  auto update = [](Connection& conn,
                   const SigningKeyRecord& rec) -> absl::Status {
    ASSIGN_OR_RETURN(
        Result r,
        conn.Exec("UPDATE signing_keys SET slot = $2, algorithm = $3, "
                  "state = $4, public_jwk = $5, sealed_private = $6, "
                  "created_at_us = $7, activate_at_us = $8, "
                  "retired_at_us = $9, delete_after_us = $10 "
                  "WHERE kid = $1",
                  SigningKeyParams(rec)));
    if (r.affected() == 0) {
      return absl::NotFoundError(
          absl::StrCat("signing key '", rec.kid, "' not found"));
    }
    return absl::OkStatus();
  };
  return Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(CheckFence(conn, fence));
    for (const std::string& kid : deleted_kids) {
      ASSIGN_OR_RETURN(Result r,
                       conn.Exec("DELETE FROM signing_keys WHERE kid = $1",
                                 Params().Text(kid)));
      if (r.affected() == 0) {
        return absl::NotFoundError(
            absl::StrCat("signing key '", kid, "' not found"));
      }
    }
    // Two passes, so that no order of `changed` trips the one-active or
    // one-next index midway (they are checked per statement): every changed
    // row is parked as retired, which no index limits, then written.
    for (const SigningKeyRecord& rec : changed) {
      SigningKeyRecord parked = rec;
      parked.state = KeyState::kRetired;
      RETURN_IF_ERROR(update(conn, parked));
    }
    for (const SigningKeyRecord& rec : changed) {
      RETURN_IF_ERROR(update(conn, rec));
    }
    return AppendChange(conn, ChangeKind::kSigningKeys, "");
  });
}

// ---- API keys ----

absl::Status PostgresStore::InsertApiKey(const ApiKeyRecord& rec) {
  static const std::string* const kSql =
      new std::string(absl::StrCat("INSERT INTO api_keys (", kApiKeyColumns,
                                   ") VALUES ($1, $2, $3, $4, $5, $6, $7)"));
  return Write([&](Connection& conn) {
    return conn
        .Exec(*kSql, Params()
                         .Text(rec.id)
                         .Text(ApiKeySurfaceName(rec.surface))
                         .Text(rec.name)
                         .Text(rec.display_prefix)
                         .Bytes(rec.secret_hash)
                         .Time(rec.created_at, "created_at")
                         .OptionalTime(rec.revoked_at, "revoked_at"))
        .status();
  });
}

absl::StatusOr<ApiKeyRecord> PostgresStore::FindApiKeyByHash(
    absl::string_view secret_hash) {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kApiKeyColumns, " FROM api_keys WHERE secret_hash = $1"));
  std::optional<ApiKeyRecord> found;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql, Params().Bytes(secret_hash)));
    if (r.rows() == 0) return absl::OkStatus();
    ASSIGN_OR_RETURN(found, ReadApiKey(r, 0));
    return absl::OkStatus();
  }));
  if (!found.has_value()) return absl::NotFoundError("API key not found");
  return *std::move(found);
}

absl::StatusOr<std::vector<ApiKeyRecord>> PostgresStore::ListApiKeys(
    std::optional<ApiKeySurface> surface) {
  static const std::string* const kAll = new std::string(
      absl::StrCat("SELECT ", kApiKeyColumns,
                   " FROM api_keys ORDER BY created_at_us, id COLLATE \"C\""));
  static const std::string* const kBySurface = new std::string(
      absl::StrCat("SELECT ", kApiKeyColumns,
                   " FROM api_keys WHERE surface = $1 ORDER BY created_at_us, "
                   "id COLLATE \"C\""));
  std::vector<ApiKeyRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    absl::StatusOr<Result> r =
        surface.has_value()
            ? conn.Exec(*kBySurface, Params().Text(ApiKeySurfaceName(*surface)))
            : conn.Exec(*kAll);
    if (!r.ok()) return r.status();
    out.clear();
    for (int i = 0; i < r->rows(); ++i) {
      ASSIGN_OR_RETURN(ApiKeyRecord rec, ReadApiKey(*r, i));
      out.push_back(std::move(rec));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::RevokeApiKey(absl::string_view id, absl::Time at) {
  return MarkTimeAndRecord(
      "UPDATE api_keys SET revoked_at_us = COALESCE(revoked_at_us, $1) "
      "WHERE id = $2",
      "API key", id, at, ChangeKind::kApiKey);
}

// ---- Service accounts ----

absl::Status PostgresStore::MarkTime(Connection& conn, absl::string_view sql,
                                     absl::string_view what,
                                     absl::string_view id, absl::Time at) {
  ASSIGN_OR_RETURN(Result r,
                   conn.Exec(sql, Params().Time(at, "time").Text(id)));
  if (r.affected() == 0) {
    return absl::NotFoundError(absl::StrCat(what, " '", id, "' not found"));
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::LoadTokenCreators(Connection& conn,
                                              ServiceAccountRecord* rec) {
  ASSIGN_OR_RETURN(Result r,
                   conn.Exec("SELECT subject_id FROM sa_token_creators WHERE "
                             "account_id = $1 ORDER BY position",
                             Params().Text(rec->id)));
  rec->token_creators.clear();
  for (int i = 0; i < r.rows(); ++i) {
    rec->token_creators.push_back(r.Text(i, 0));
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::InsertServiceAccount(
    const ServiceAccountRecord& rec) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO service_accounts (", kServiceAccountColumns,
                   ") VALUES ($1, $2, $3, $4, $5)"));
  return Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(
        conn.Exec(*kSql, Params()
                             .Text(rec.id)
                             .Text(rec.name)
                             .Text(rec.description)
                             .Time(rec.created_at, "created_at")
                             .OptionalTime(rec.deleted_at, "deleted_at"))
            .status());
    return WriteTokenCreators(conn, rec.id, rec.token_creators);
  });
}

absl::StatusOr<ServiceAccountRecord> PostgresStore::GetServiceAccount(
    absl::string_view id) {
  static const std::string* const kSql =
      new std::string(absl::StrCat("SELECT ", kServiceAccountColumns,
                                   " FROM service_accounts WHERE id = $1"));
  std::optional<ServiceAccountRecord> found;
  // One transaction: the account and its creators from one snapshot.
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.ExecScript(kSnapshotRead));
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql, Params().Text(id)));
    found.reset();
    if (r.rows() == 0) return absl::OkStatus();
    found = ReadServiceAccount(r, 0);
    return LoadTokenCreators(conn, &*found);
  }));
  if (!found.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("service account '", id, "' not found"));
  }
  return *std::move(found);
}

absl::StatusOr<std::vector<ServiceAccountRecord>>
PostgresStore::ListServiceAccounts() {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kServiceAccountColumns,
                   " FROM service_accounts WHERE deleted_at_us IS NULL "
                   "ORDER BY created_at_us, id COLLATE \"C\""));
  std::vector<ServiceAccountRecord> out;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.ExecScript(kSnapshotRead));
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(ReadServiceAccount(r, i));
      RETURN_IF_ERROR(LoadTokenCreators(conn, &out.back()));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::MarkServiceAccountDeleted(absl::string_view id,
                                                      absl::Time at) {
  return MarkTimeAndRecord(
      "UPDATE service_accounts SET deleted_at_us = COALESCE(deleted_at_us, $1) "
      "WHERE id = $2",
      "service account", id, at, ChangeKind::kServiceAccount);
}

absl::Status PostgresStore::SetTokenCreators(
    absl::string_view id, const std::vector<std::string>& subject_ids) {
  return Write([&](Connection& conn) -> absl::Status {
    // FOR UPDATE: a concurrent delete waits for us, or we see it.
    ASSIGN_OR_RETURN(Result r, conn.Exec("SELECT deleted_at_us FROM "
                                         "service_accounts WHERE id = $1 "
                                         "FOR UPDATE",
                                         Params().Text(id)));
    if (r.rows() == 0) {
      return absl::NotFoundError(
          absl::StrCat("service account '", id, "' not found"));
    }
    if (!r.IsNull(0, 0)) {
      return absl::FailedPreconditionError(
          absl::StrCat("service account '", id, "' is deleted"));
    }
    RETURN_IF_ERROR(WriteTokenCreators(conn, id, subject_ids));
    return AppendChange(conn, ChangeKind::kServiceAccount, id);
  });
}

// ---- Authorized keys ----

absl::Status PostgresStore::InsertAuthorizedKey(
    const AuthorizedKeyRecord& rec) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO authorized_keys (", kAuthorizedKeyColumns,
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7)"));
  absl::Status status = Write([&](Connection& conn) {
    return conn
        .Exec(*kSql, Params()
                         .Text(rec.id)
                         .Text(rec.service_account_id)
                         .Text(rec.description)
                         .Text(AuthorizedKeyAlgorithmName(rec.key_algorithm))
                         .Text(rec.public_key_pem)
                         .Time(rec.created_at, "created_at")
                         .OptionalTime(rec.deleted_at, "deleted_at"))
        .status();
  });
  // The only foreign key here is the account (SQLSTATE 23503 -> NotFound).
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(absl::StrCat(
        "service account '", rec.service_account_id, "' not found"));
  }
  return status;
}

absl::StatusOr<AuthorizedKeyRecord> PostgresStore::GetAuthorizedKey(
    absl::string_view id) {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kAuthorizedKeyColumns, " FROM authorized_keys WHERE id = $1"));
  std::optional<AuthorizedKeyRecord> found;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql, Params().Text(id)));
    if (r.rows() == 0) return absl::OkStatus();
    ASSIGN_OR_RETURN(found, ReadAuthorizedKey(r, 0));
    return absl::OkStatus();
  }));
  if (!found.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("authorized key '", id, "' not found"));
  }
  return *std::move(found);
}

absl::StatusOr<std::vector<AuthorizedKeyRecord>>
PostgresStore::ListAuthorizedKeys(absl::string_view service_account_id) {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kAuthorizedKeyColumns,
      " FROM authorized_keys WHERE service_account_id = $1 AND deleted_at_us "
      "IS NULL ORDER BY created_at_us, id COLLATE \"C\""));
  std::vector<AuthorizedKeyRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r,
                     conn.Exec(*kSql, Params().Text(service_account_id)));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) {
      ASSIGN_OR_RETURN(AuthorizedKeyRecord rec, ReadAuthorizedKey(r, i));
      out.push_back(std::move(rec));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::MarkAuthorizedKeyDeleted(absl::string_view id,
                                                     absl::Time at) {
  return MarkTimeAndRecord(
      "UPDATE authorized_keys SET deleted_at_us = COALESCE(deleted_at_us, $1) "
      "WHERE id = $2",
      "authorized key", id, at, ChangeKind::kAuthorizedKey);
}

// ---- OAuth tokens ----

absl::Status PostgresStore::InsertOAuthToken(const OAuthTokenRecord& rec) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO oauth_tokens (", kOAuthTokenColumns,
                   ") VALUES ($1, $2, $3, $4, $5)"));
  return Write([&](Connection& conn) {
    return conn
        .Exec(*kSql, Params()
                         .Text(rec.id)
                         .Text(rec.account_id)
                         .Bytes(rec.secret_hash)
                         .Time(rec.created_at, "created_at")
                         .OptionalTime(rec.revoked_at, "revoked_at"))
        .status();
  });
}

absl::StatusOr<OAuthTokenRecord> PostgresStore::FindOAuthTokenByHash(
    absl::string_view secret_hash) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kOAuthTokenColumns,
                   " FROM oauth_tokens WHERE secret_hash = $1"));
  std::optional<OAuthTokenRecord> found;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql, Params().Bytes(secret_hash)));
    if (r.rows() > 0) found = ReadOAuthToken(r, 0);
    return absl::OkStatus();
  }));
  if (!found.has_value()) return absl::NotFoundError("OAuth token not found");
  return *std::move(found);
}

absl::StatusOr<std::vector<OAuthTokenRecord>> PostgresStore::ListOAuthTokens() {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kOAuthTokenColumns,
      " FROM oauth_tokens ORDER BY created_at_us, id COLLATE \"C\""));
  std::vector<OAuthTokenRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSql));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadOAuthToken(r, i));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::RevokeOAuthToken(absl::string_view id,
                                             absl::Time at) {
  return MarkTimeAndRecord(
      "UPDATE oauth_tokens SET revoked_at_us = COALESCE(revoked_at_us, $1) "
      "WHERE id = $2",
      "OAuth token", id, at, ChangeKind::kOAuthToken);
}

// ---- Revoked IAM tokens ----

absl::Status PostgresStore::InsertRevokedToken(const RevokedTokenRecord& rec) {
  return Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Result r,
        conn.Exec("INSERT INTO revoked_tokens (jti, subject_id, expires_at_us) "
                  "VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING",
                  Params()
                      .Text(rec.jti)
                      .Text(rec.subject_id)
                      .Time(rec.expires_at, "expires_at")));
    if (r.affected() == 0) return absl::OkStatus();  // Already known.
    return AppendChange(conn, ChangeKind::kRevokedToken, rec.jti);
  });
}

absl::StatusOr<bool> PostgresStore::IsTokenRevoked(absl::string_view jti) {
  bool revoked = false;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r,
                     conn.Exec("SELECT 1 FROM revoked_tokens WHERE jti = $1",
                               Params().Text(jti)));
    revoked = r.rows() > 0;
    return absl::OkStatus();
  }));
  return revoked;
}

absl::StatusOr<std::vector<RevokedTokenRecord>>
PostgresStore::ListRevokedTokens(absl::Time now, int64_t limit) {
  if (limit < 0) return absl::InvalidArgumentError("limit must be >= 0");
  std::vector<RevokedTokenRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Result r,
        conn.Exec("SELECT jti, subject_id, expires_at_us FROM revoked_tokens "
                  "WHERE expires_at_us > $1 "
                  "ORDER BY expires_at_us, jti COLLATE \"C\" LIMIT $2",
                  Params().Time(now, "now").Int(limit)));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Text(i, 0), r.Text(i, 1), r.Time(i, 2)});
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int> PostgresStore::DeleteExpiredRevokedTokens(absl::Time now) {
  int deleted = 0;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        Result r, conn.Exec("DELETE FROM revoked_tokens WHERE expires_at_us <= "
                            "$1",
                            Params().Time(now, "now")));
    deleted = static_cast<int>(r.affected());
    return absl::OkStatus();
  }));
  return deleted;
}

// ---- Change feed ----

namespace {
// The changes appended by the Write running on this thread (a transaction
// runs wholly on its caller's thread).
thread_local std::vector<ChangeRecord>* appending = nullptr;
}  // namespace

absl::Status PostgresStore::Write(
    absl::FunctionRef<absl::Status(Connection&)> body) {
  std::vector<ChangeRecord> appended;
  std::vector<ChangeRecord>* const outer = appending;
  appending = &appended;
  absl::Status status = pool_->Transact([&](Connection& conn) {
    appended.clear();  // A retried attempt starts over.
    return body(conn);
  });
  appending = outer;
  RETURN_IF_ERROR(status);
  if (!appended.empty() && observer_) observer_(appended);
  return absl::OkStatus();
}

absl::Status PostgresStore::AppendChange(Connection& conn, ChangeKind kind,
                                         absl::string_view key) {
  if (appending == nullptr) {
    return absl::InternalError("change appended outside PostgresStore::Write");
  }
  const Params params = Params().Text(ChangeKindName(kind)).Text(key);
  if (!options_.notify) {
    RETURN_IF_ERROR(
        conn.Exec("INSERT INTO changes (kind, key) VALUES ($1, $2)", params)
            .status());
  } else {
    // One round trip; the notice is queued with the transaction and sent at
    // commit (several in one transaction fold into one).
    RETURN_IF_ERROR(
        conn.Exec("WITH c AS (INSERT INTO changes (kind, key) VALUES ($1, $2) "
                  "RETURNING seq) SELECT pg_notify('tokend_changes', '') "
                  "FROM c",
                  params)
            .status());
  }
  ChangeRecord change;
  change.kind = kind;
  change.key = std::string(key);
  appending->push_back(std::move(change));
  return absl::OkStatus();
}

absl::Status PostgresStore::MarkTimeAndRecord(absl::string_view sql,
                                              absl::string_view what,
                                              absl::string_view id,
                                              absl::Time at, ChangeKind kind) {
  return Write([&](Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(MarkTime(conn, sql, what, id, at));
    return AppendChange(conn, kind, id);
  });
}

absl::StatusOr<std::vector<ChangeRecord>> PostgresStore::ListChanges(
    int64_t after_seq, int64_t limit) {
  if (limit < 0) return absl::InvalidArgumentError("limit must be >= 0");
  std::vector<ChangeRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r,
                     conn.Exec("SELECT seq, kind, key, at_us FROM changes "
                               "WHERE seq > $1 ORDER BY seq LIMIT $2",
                               Params().Int(after_seq).Int(limit)));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) {
      ChangeRecord rec;
      rec.seq = r.Int(i, 0);
      const std::string kind = r.Text(i, 1);
      ASSIGN_OR_RETURN(rec.kind,
                       StoredEnum(ParseChangeKind(kind), "change kind", kind));
      rec.key = r.Text(i, 2);
      rec.at = r.Time(i, 3);
      out.push_back(std::move(rec));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> PostgresStore::LastChangeSeq() {
  int64_t seq = 0;
  RETURN_IF_ERROR(pool_->Run([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r,
                     conn.Exec("SELECT COALESCE(MAX(seq), 0) FROM changes"));
    seq = r.Int(0, 0);
    return absl::OkStatus();
  }));
  return seq;
}

absl::StatusOr<int> PostgresStore::DeleteChangesBefore(absl::Time before) {
  int deleted = 0;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(Result r, conn.Exec("DELETE FROM changes WHERE at_us < $1",
                                         Params().Time(before, "before")));
    deleted = static_cast<int>(r.affected());
    return absl::OkStatus();
  }));
  return deleted;
}

}  // namespace tokend::store
