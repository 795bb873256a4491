// PostgresStore: users, sessions and JWT templates. The pool, migrations and
// the other tables are in postgres_store.cc. This is sqlite_sessions.cc on
// the libpq layer (postgres_internal.h), with the same semantics and
// messages.
//
// Email addresses and phone numbers live in child tables
// (user_email_addresses, user_phone_numbers) keyed by their own ids, with a
// position column that keeps the caller's order. A user and its children are
// always written in one transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/status_macros.h"
#include "core/jose/algorithm.h"
#include "core/store/postgres_internal.h"
#include "core/store/postgres_store.h"
#include "core/store/records.h"
#include "core/store/stored_names.h"
#include "core/store/user_query_sql.h"

namespace tokend::store {
namespace {

// Adds `v`, or NULL when it is empty: for optional identifiers whose unset
// value must not collide in a unique index.
pg::Params& TextOrNull(pg::Params& p, absl::string_view v) {
  return v.empty() ? p.NullText() : p.Text(v);
}

// ---- Users ----

constexpr char kUserColumns[] =
    "id, external_id, first_name, last_name, username, image_url, "
    "primary_email_address_id, primary_phone_number_id, public_metadata, "
    "private_metadata, unsafe_metadata, updated_at_us, created_at_us, "
    "deleted_at_us, locale, legal_accepted_at_us";

// Parameters $1..$12 in kUserColumns order: what an update may change. The
// insert adds created_at ($13) and deleted_at ($14) itself.
pg::Params UserParams(const UserRecord& rec) {
  pg::Params p;
  p.Text(rec.id);
  TextOrNull(p, rec.external_id);
  p.Text(rec.first_name).Text(rec.last_name);
  TextOrNull(p, rec.username);
  p.Text(rec.image_url)
      .Text(rec.primary_email_address_id)
      .Text(rec.primary_phone_number_id)
      .Text(rec.public_metadata_json)
      .Text(rec.private_metadata_json)
      .Text(rec.unsafe_metadata_json)
      .Time(rec.updated_at, "updated_at");
  return p;
}

UserRecord ReadUser(const pg::Result& r, int row) {
  UserRecord rec;
  rec.id = r.Text(row, 0);
  rec.external_id = r.Text(row, 1);  // NULL reads as "".
  rec.first_name = r.Text(row, 2);
  rec.last_name = r.Text(row, 3);
  rec.username = r.Text(row, 4);
  rec.image_url = r.Text(row, 5);
  rec.primary_email_address_id = r.Text(row, 6);
  rec.primary_phone_number_id = r.Text(row, 7);
  rec.public_metadata_json = r.Text(row, 8);
  rec.private_metadata_json = r.Text(row, 9);
  rec.unsafe_metadata_json = r.Text(row, 10);
  rec.updated_at = r.Time(row, 11);
  rec.created_at = r.Time(row, 12);
  rec.deleted_at = r.OptionalTime(row, 13);
  rec.locale = r.Text(row, 14);
  rec.legal_accepted_at = r.OptionalTime(row, 15);
  return rec;
}

absl::Status UserNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("user '", id, "' not found"));
}

// ---- Sessions ----

constexpr char kSessionColumns[] =
    "id, user_id, status, client_token_hash, actor, created_at_us, "
    "updated_at_us, last_active_at_us, expire_at_us";

// Newest first, ties by id bytewise whatever the database's locale.
constexpr char kSessionOrder[] =
    " ORDER BY created_at_us DESC, id COLLATE \"C\"";

absl::StatusOr<SessionRecord> ReadSession(const pg::Result& r, int row) {
  SessionRecord rec;
  rec.id = r.Text(row, 0);
  rec.user_id = r.Text(row, 1);
  const std::string status = r.Text(row, 2);
  ASSIGN_OR_RETURN(rec.status, StoredEnum(ParseSessionStatus(status),
                                          "session status", status));
  rec.client_token_hash = r.Bytes(row, 3);  // NULL reads as "".
  rec.actor_json = r.Text(row, 4);
  rec.created_at = r.Time(row, 5);
  rec.updated_at = r.Time(row, 6);
  rec.last_active_at = r.Time(row, 7);
  rec.expire_at = r.Time(row, 8);
  return rec;
}

absl::Status SessionNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("session '", id, "' not found"));
}

// The session `sql` finds by $1 = `value`; NotFound("session not found").
absl::StatusOr<SessionRecord> QueryOneSession(pg::Pool& pool,
                                              absl::string_view sql,
                                              absl::string_view value,
                                              bool as_blob) {
  pg::Params params;
  if (as_blob) {
    params.Bytes(value);
  } else {
    params.Text(value);
  }
  SessionRecord rec;
  RETURN_IF_ERROR(pool.Run([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result res, conn.Exec(sql, params));
    if (res.rows() == 0) return absl::NotFoundError("session not found");
    ASSIGN_OR_RETURN(rec, ReadSession(res, 0));
    return absl::OkStatus();
  }));
  return rec;
}

// ---- JWT templates ----

constexpr char kJwtTemplateColumns[] =
    "id, name, claims, lifetime_seconds, allowed_clock_skew_seconds, "
    "custom_signing_key, signing_algorithm, sealed_signing_key, "
    "updated_at_us, created_at_us";

// Parameters $1..$9 in kJwtTemplateColumns order: what an update may change.
// The insert adds created_at ($10) itself.
pg::Params JwtTemplateParams(const JwtTemplateRecord& rec) {
  pg::Params p;
  p.Text(rec.id)
      .Text(rec.name)
      .Text(rec.claims_json)
      .Int(rec.lifetime_seconds)
      .Int(rec.allowed_clock_skew_seconds)
      .Bool(rec.custom_signing_key)
      .Text(rec.signing_algorithm.has_value()
                ? jose::AlgorithmName(*rec.signing_algorithm)
                : absl::string_view())
      .Bytes(rec.sealed_signing_key)
      .Time(rec.updated_at, "updated_at");
  return p;
}

absl::StatusOr<JwtTemplateRecord> ReadJwtTemplate(const pg::Result& r,
                                                  int row) {
  JwtTemplateRecord rec;
  rec.id = r.Text(row, 0);
  rec.name = r.Text(row, 1);
  rec.claims_json = r.Text(row, 2);
  rec.lifetime_seconds = r.Int(row, 3);
  rec.allowed_clock_skew_seconds = r.Int(row, 4);
  rec.custom_signing_key = r.Bool(row, 5);
  if (const std::string alg = r.Text(row, 6); !alg.empty()) {
    ASSIGN_OR_RETURN(rec.signing_algorithm,
                     StoredAlgorithm("template signing algorithm", alg));
  }
  rec.sealed_signing_key = r.Bytes(row, 7);
  rec.updated_at = r.Time(row, 8);
  rec.created_at = r.Time(row, 9);
  return rec;
}

absl::Status JwtTemplateNotFound(absl::string_view what,
                                 absl::string_view key) {
  return absl::NotFoundError(
      absl::StrCat("JWT template ", what, " '", key, "' not found"));
}

// The template `sql` finds by $1 = `key`; NotFound naming `what` and `key`.
absl::StatusOr<JwtTemplateRecord> QueryOneJwtTemplate(pg::Pool& pool,
                                                      absl::string_view sql,
                                                      absl::string_view key,
                                                      absl::string_view what) {
  JwtTemplateRecord rec;
  RETURN_IF_ERROR(pool.Run([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result res, conn.Exec(sql, pg::Params().Text(key)));
    if (res.rows() == 0) return JwtTemplateNotFound(what, key);
    ASSIGN_OR_RETURN(rec, ReadJwtTemplate(res, 0));
    return absl::OkStatus();
  }));
  return rec;
}

}  // namespace

// ---- Users ----

absl::Status PostgresStore::WriteUserContacts(pg::Connection& conn,
                                              const UserRecord& rec,
                                              bool live) {
  // Deleting first is safe within the transaction: unique checks ignore rows
  // this transaction deleted, so kept addresses can be inserted again.
  for (const char* sql :
       {"DELETE FROM user_email_addresses WHERE user_id = $1",
        "DELETE FROM user_phone_numbers WHERE user_id = $1"}) {
    RETURN_IF_ERROR(conn.Exec(sql, pg::Params().Text(rec.id)).status());
  }
  int64_t position = 0;
  for (const EmailAddressRecord& email : rec.email_addresses) {
    RETURN_IF_ERROR(
        conn.Exec("INSERT INTO user_email_addresses (id, user_id, position, "
                  "email_address, verified, user_live) "
                  "VALUES ($1, $2, $3, $4, $5, $6)",
                  pg::Params()
                      .Text(email.id)
                      .Text(rec.id)
                      .Int(position++)
                      .Text(email.email_address)
                      .Bool(email.verified)
                      .Bool(live))
            .status());
  }
  position = 0;
  for (const PhoneNumberRecord& phone : rec.phone_numbers) {
    RETURN_IF_ERROR(
        conn.Exec("INSERT INTO user_phone_numbers (id, user_id, position, "
                  "phone_number, verified) VALUES ($1, $2, $3, $4, $5)",
                  pg::Params()
                      .Text(phone.id)
                      .Text(rec.id)
                      .Int(position++)
                      .Text(phone.phone_number)
                      .Bool(phone.verified))
            .status());
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::LoadUserContacts(pg::Connection& conn,
                                             UserRecord* rec) {
  rec->email_addresses.clear();
  rec->phone_numbers.clear();
  {
    ASSIGN_OR_RETURN(
        pg::Result res,
        conn.Exec("SELECT id, email_address, verified FROM "
                  "user_email_addresses WHERE user_id = $1 ORDER BY position",
                  pg::Params().Text(rec->id)));
    for (int row = 0; row < res.rows(); ++row) {
      EmailAddressRecord email;
      email.id = res.Text(row, 0);
      email.email_address = res.Text(row, 1);
      email.verified = res.Bool(row, 2);
      rec->email_addresses.push_back(std::move(email));
    }
  }
  ASSIGN_OR_RETURN(
      pg::Result res,
      conn.Exec("SELECT id, phone_number, verified FROM user_phone_numbers "
                "WHERE user_id = $1 ORDER BY position",
                pg::Params().Text(rec->id)));
  for (int row = 0; row < res.rows(); ++row) {
    PhoneNumberRecord phone;
    phone.id = res.Text(row, 0);
    phone.phone_number = res.Text(row, 1);
    phone.verified = res.Bool(row, 2);
    rec->phone_numbers.push_back(std::move(phone));
  }
  return absl::OkStatus();
}

absl::Status PostgresStore::InsertUser(const UserRecord& rec) {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "INSERT INTO users (", kUserColumns,
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
      "$14, $15, $16)"));
  pg::Params params = UserParams(rec);
  params.Time(rec.created_at, "created_at")
      .OptionalTime(rec.deleted_at, "deleted_at")
      .Text(rec.locale)
      .OptionalTime(rec.legal_accepted_at, "legal_accepted_at");
  return Write([&](pg::Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(conn.Exec(*kSql, params).status());
    return WriteUserContacts(conn, rec, /*live=*/!rec.deleted_at.has_value());
  });
}

absl::StatusOr<UserRecord> PostgresStore::GetUser(absl::string_view id) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE id = $1"));
  UserRecord rec;
  RETURN_IF_ERROR(Write([&](pg::Connection& conn) -> absl::Status {
    // One snapshot for the user row and its children (READ COMMITTED takes
    // one per statement), so a concurrent UpdateUser is seen whole or not
    // at all. Read-only REPEATABLE READ never fails to serialize.
    RETURN_IF_ERROR(conn.ExecScript(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
    ASSIGN_OR_RETURN(pg::Result res, conn.Exec(*kSql, pg::Params().Text(id)));
    if (res.rows() == 0) return UserNotFound(id);
    rec = ReadUser(res, 0);
    return LoadUserContacts(conn, &rec);
  }));
  return rec;
}

absl::StatusOr<std::vector<std::string>> PostgresStore::ListUserIds() {
  std::vector<std::string> out;
  RETURN_IF_ERROR(pool_->Run([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        pg::Result r,
        conn.Exec(
            "SELECT id FROM users ORDER BY created_at_us, id COLLATE \"C\""));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Text(i, 0));
    return absl::OkStatus();
  }));
  return out;
}

namespace {

pg::Params UserFilterParamsFor(const UserQuery& query) {
  pg::Params params;
  for (const std::optional<std::string>& value : UserFilterParams(query)) {
    if (value.has_value()) {
      params.Text(*value);
    } else {
      params.NullText();
    }
  }
  return params;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PostgresStore::FindUserIds(
    const UserQuery& query) {
  if (query.limit < 0 || query.offset < 0) {
    return absl::InvalidArgumentError("limit and offset must be >= 0");
  }
  const std::string& sql =
      FindUserIdsSql(SqlDialect::kPostgres, query.order, query.descending);
  pg::Params params = UserFilterParamsFor(query);
  params.Int(query.limit).Int(query.offset);
  std::vector<std::string> out;
  RETURN_IF_ERROR(pool_->Run([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r, conn.Exec(sql, params));
    out.clear();
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Text(i, 0));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> PostgresStore::CountUsers(const UserQuery& query) {
  const pg::Params params = UserFilterParamsFor(query);
  int64_t count = 0;
  RETURN_IF_ERROR(pool_->Run([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec(CountUsersSql(SqlDialect::kPostgres), params));
    count = r.Int(0, 0);
    return absl::OkStatus();
  }));
  return count;
}

absl::Status PostgresStore::UpdateUser(const UserRecord& rec) {
  pg::Params params = UserParams(rec);
  params.Text(rec.locale)
      .OptionalTime(rec.legal_accepted_at, "legal_accepted_at");
  return Write([&](pg::Connection& conn) -> absl::Status {
    {
      // FOR UPDATE holds off a concurrent MarkUserDeleted until we commit;
      // otherwise it could commit between this check and the writes below,
      // and the contacts would be rewritten live on a deleted user.
      ASSIGN_OR_RETURN(
          pg::Result res,
          conn.Exec("SELECT deleted_at_us FROM users WHERE id = $1 FOR UPDATE",
                    pg::Params().Text(rec.id)));
      if (res.rows() == 0) return UserNotFound(rec.id);
      // A deleted user no longer holds its identifiers; writing them back
      // could collide with a newer user's.
      if (!res.IsNull(0, 0)) {
        return absl::FailedPreconditionError(
            absl::StrCat("user '", rec.id, "' is deleted"));
      }
    }
    RETURN_IF_ERROR(
        conn.Exec("UPDATE users SET external_id = $2, first_name = $3, "
                  "last_name = $4, username = $5, image_url = $6, "
                  "primary_email_address_id = $7, "
                  "primary_phone_number_id = $8, public_metadata = $9, "
                  "private_metadata = $10, unsafe_metadata = $11, "
                  "updated_at_us = $12, locale = $13, "
                  "legal_accepted_at_us = $14 WHERE id = $1",
                  params)
            .status());
    RETURN_IF_ERROR(WriteUserContacts(conn, rec, /*live=*/true));
    return AppendChange(conn, ChangeKind::kUser, rec.id);
  });
}

absl::Status PostgresStore::MarkUserDeleted(absl::string_view id,
                                            absl::Time at) {
  return Write([&](pg::Connection& conn) -> absl::Status {
    RETURN_IF_ERROR(
        MarkTime(conn,
                 "UPDATE users SET deleted_at_us = COALESCE(deleted_at_us, $1) "
                 "WHERE id = $2",
                 "user", id, at));
    RETURN_IF_ERROR(conn.Exec("UPDATE user_email_addresses SET user_live = "
                              "FALSE WHERE user_id = $1",
                              pg::Params().Text(id))
                        .status());
    RETURN_IF_ERROR(
        conn.Exec("UPDATE sessions SET status = 'revoked', updated_at_us = $1 "
                  "WHERE user_id = $2 AND status = 'active'",
                  pg::Params().Time(at, "at").Text(id))
            .status());
    return AppendChange(conn, ChangeKind::kUser, id);
  });
}

// ---- Sessions ----

absl::Status PostgresStore::InsertSession(const SessionRecord& rec) {
  // NULL, not an empty bytea, for no client token: sessions without one must
  // neither collide with each other nor be found by an empty hash.
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO sessions (", kSessionColumns,
                   ") VALUES ($1, $2, $3, NULLIF($4, ''::bytea), $5, $6, $7, "
                   "$8, $9)"));
  pg::Params params;
  params.Text(rec.id)
      .Text(rec.user_id)
      .Text(SessionStatusName(rec.status))
      .Bytes(rec.client_token_hash)
      .Text(rec.actor_json)
      .Time(rec.created_at, "created_at")
      .Time(rec.updated_at, "updated_at")
      .Time(rec.last_active_at, "last_active_at")
      .Time(rec.expire_at, "expire_at");
  absl::Status status = Write([&](pg::Connection& conn) -> absl::Status {
    return conn.Exec(*kSql, params).status();
  });
  // The only foreign key of sessions is user_id (SQLSTATE 23503 maps to
  // NotFound).
  if (absl::IsNotFound(status)) return UserNotFound(rec.user_id);
  return status;
}

absl::StatusOr<SessionRecord> PostgresStore::GetSession(absl::string_view id) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kSessionColumns, " FROM sessions WHERE id = $1"));
  absl::StatusOr<SessionRecord> rec =
      QueryOneSession(*pool_, *kSql, id, /*as_blob=*/false);
  if (absl::IsNotFound(rec.status())) return SessionNotFound(id);
  return rec;
}

absl::StatusOr<SessionRecord> PostgresStore::FindSessionByClientTokenHash(
    absl::string_view client_token_hash) {
  // Sessions without a client token store NULL, which no probe matches; an
  // empty hash is answered here so that it never reaches the index.
  if (client_token_hash.empty()) {
    return absl::NotFoundError("session not found");
  }
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kSessionColumns,
                   " FROM sessions WHERE client_token_hash = $1"));
  // The message never names the hash: it derives from a bearer secret.
  return QueryOneSession(*pool_, *kSql, client_token_hash, /*as_blob=*/true);
}

absl::StatusOr<std::vector<SessionRecord>> PostgresStore::ListSessions(
    absl::string_view user_id, std::optional<SessionStatus> status,
    int64_t limit, int64_t offset) {
  if (limit < 0) return absl::InvalidArgumentError("limit must be >= 0");
  if (offset < 0) return absl::InvalidArgumentError("offset must be >= 0");
  // One statement per filter combination, so each can use its index (the
  // created_at prefix of its order; ties are sorted, as the indexes are not
  // in the "C" collation). Parameters are numbered in the order added below.
  static const std::string* const kQueries[2][2] = {
      {
          new std::string(absl::StrCat("SELECT ", kSessionColumns,
                                       " FROM sessions", kSessionOrder,
                                       " LIMIT $1 OFFSET $2")),
          new std::string(absl::StrCat("SELECT ", kSessionColumns,
                                       " FROM sessions WHERE status = $1",
                                       kSessionOrder, " LIMIT $2 OFFSET $3")),
      },
      {
          new std::string(absl::StrCat("SELECT ", kSessionColumns,
                                       " FROM sessions WHERE user_id = $1",
                                       kSessionOrder, " LIMIT $2 OFFSET $3")),
          new std::string(
              absl::StrCat("SELECT ", kSessionColumns,
                           " FROM sessions WHERE user_id = $1 AND status = $2",
                           kSessionOrder, " LIMIT $3 OFFSET $4")),
      },
  };
  const bool by_user = !user_id.empty();
  pg::Params params;
  if (by_user) params.Text(user_id);
  if (status.has_value()) params.Text(SessionStatusName(*status));
  params.Int(limit).Int(offset);
  std::vector<SessionRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](pg::Connection& conn) -> absl::Status {
    out.clear();  // Run may call this again on a fresh connection.
    ASSIGN_OR_RETURN(pg::Result res,
                     conn.Exec(*kQueries[by_user][status.has_value()], params));
    for (int row = 0; row < res.rows(); ++row) {
      ASSIGN_OR_RETURN(SessionRecord rec, ReadSession(res, row));
      out.push_back(std::move(rec));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> PostgresStore::CountSessions(
    absl::string_view user_id, std::optional<SessionStatus> status) {
  pg::Params params;
  params.Text(user_id);
  if (status.has_value()) {
    params.Text(SessionStatusName(*status));
  } else {
    params.NullText();
  }
  int64_t count = 0;
  RETURN_IF_ERROR(pool_->Run([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.Exec("SELECT COUNT(*) FROM sessions "
                               "WHERE ($1 = '' OR user_id = $1) "
                               "AND ($2::text IS NULL OR status = $2)",
                               params));
    count = r.Int(0, 0);
    return absl::OkStatus();
  }));
  return count;
}

absl::Status PostgresStore::UpdateSessionStatus(absl::string_view id,
                                                SessionStatus status,
                                                absl::Time now) {
  pg::Params params;
  params.Text(SessionStatusName(status)).Time(now, "updated_at").Text(id);
  return Write([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        pg::Result res,
        conn.Exec("UPDATE sessions SET status = $1, updated_at_us = $2 "
                  "WHERE id = $3",
                  params));
    if (res.affected() == 0) return SessionNotFound(id);
    return AppendChange(conn, ChangeKind::kSession, id);
  });
}

absl::Status PostgresStore::TouchSession(absl::string_view id, absl::Time at) {
  return Write([&](pg::Connection& conn) -> absl::Status {
    return MarkTime(conn,
                    "UPDATE sessions SET last_active_at_us = "
                    "GREATEST(last_active_at_us, $1) WHERE id = $2",
                    "session", id, at);
  });
}

// ---- JWT templates ----

absl::Status PostgresStore::InsertJwtTemplate(const JwtTemplateRecord& rec) {
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO jwt_templates (", kJwtTemplateColumns,
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"));
  pg::Params params = JwtTemplateParams(rec);
  params.Time(rec.created_at, "created_at");
  return Write([&](pg::Connection& conn) -> absl::Status {
    return conn.Exec(*kSql, params).status();
  });
}

absl::StatusOr<JwtTemplateRecord> PostgresStore::GetJwtTemplate(
    absl::string_view id) {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kJwtTemplateColumns, " FROM jwt_templates WHERE id = $1"));
  return QueryOneJwtTemplate(*pool_, *kSql, id, "id");
}

absl::StatusOr<JwtTemplateRecord> PostgresStore::FindJwtTemplateByName(
    absl::string_view name) {
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kJwtTemplateColumns, " FROM jwt_templates WHERE name = $1"));
  return QueryOneJwtTemplate(*pool_, *kSql, name, "name");
}

absl::StatusOr<std::vector<JwtTemplateRecord>>
PostgresStore::ListJwtTemplates() {
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kJwtTemplateColumns,
                   " FROM jwt_templates ORDER BY name COLLATE \"C\""));
  std::vector<JwtTemplateRecord> out;
  RETURN_IF_ERROR(pool_->Run([&](pg::Connection& conn) -> absl::Status {
    out.clear();  // Run may call this again on a fresh connection.
    ASSIGN_OR_RETURN(pg::Result res, conn.Exec(*kSql));
    for (int row = 0; row < res.rows(); ++row) {
      ASSIGN_OR_RETURN(JwtTemplateRecord rec, ReadJwtTemplate(res, row));
      out.push_back(std::move(rec));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PostgresStore::UpdateJwtTemplate(const JwtTemplateRecord& rec) {
  const pg::Params params = JwtTemplateParams(rec);
  return Write([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(
        pg::Result res,
        conn.Exec("UPDATE jwt_templates SET name = $2, claims = $3, "
                  "lifetime_seconds = $4, allowed_clock_skew_seconds = $5, "
                  "custom_signing_key = $6, signing_algorithm = $7, "
                  "sealed_signing_key = $8, updated_at_us = $9 WHERE id = $1",
                  params));
    if (res.affected() == 0) return JwtTemplateNotFound("id", rec.id);
    return AppendChange(conn, ChangeKind::kJwtTemplate, rec.id);
  });
}

absl::Status PostgresStore::DeleteJwtTemplate(absl::string_view id) {
  return Write([&](pg::Connection& conn) -> absl::Status {
    ASSIGN_OR_RETURN(pg::Result res,
                     conn.Exec("DELETE FROM jwt_templates WHERE id = $1",
                               pg::Params().Text(id)));
    if (res.affected() == 0) return JwtTemplateNotFound("id", id);
    return AppendChange(conn, ChangeKind::kJwtTemplate, id);
  });
}

}  // namespace tokend::store
