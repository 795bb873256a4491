// SqliteStore: users, sessions and JWT templates (schema migration 3). The
// connection, migrations and the older tables are in sqlite_store.cc.
//
// Email addresses and phone numbers live in child tables
// (user_email_addresses, user_phone_numbers) keyed by their own ids, with a
// position column that keeps the caller's order. A user and its children are
// always written in one transaction.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/store/sqlite_internal.h"
#include "core/store/sqlite_store.h"
#include "core/store/user_query_sql.h"

namespace tokend::store {
namespace {

using sqlite_internal::BindOptionalTime;
using sqlite_internal::ScopedStmt;

// Binds `v`, or NULL when it is empty: for optional identifiers whose unset
// value must not collide in a unique index.
absl::Status BindTextOrNull(ScopedStmt& s, int i, absl::string_view v) {
  if (v.empty()) return absl::OkStatus();  // Cleared bindings are NULL.
  return s.BindText(i, v);
}

absl::Status BindBlobOrNull(ScopedStmt& s, int i, absl::string_view v) {
  if (v.empty()) return absl::OkStatus();
  return s.BindBlob(i, v);
}

// ---- Users ----

constexpr char kUserColumns[] =
    "id, external_id, first_name, last_name, username, image_url, "
    "primary_email_address_id, primary_phone_number_id, public_metadata, "
    "private_metadata, unsafe_metadata, updated_at_us, created_at_us, "
    "deleted_at_us, locale, legal_accepted_at_us";

// Binds parameters 1..12 in kUserColumns order: what an update may change
// but the last two columns, which BindUserTail binds. The insert binds
// created_at (13) and deleted_at (14) itself.
absl::Status BindUser(ScopedStmt& s, const UserRecord& rec) {
  RETURN_IF_ERROR(s.BindText(1, rec.id));
  RETURN_IF_ERROR(BindTextOrNull(s, 2, rec.external_id));
  RETURN_IF_ERROR(s.BindText(3, rec.first_name));
  RETURN_IF_ERROR(s.BindText(4, rec.last_name));
  RETURN_IF_ERROR(BindTextOrNull(s, 5, rec.username));
  RETURN_IF_ERROR(s.BindText(6, rec.image_url));
  RETURN_IF_ERROR(s.BindText(7, rec.primary_email_address_id));
  RETURN_IF_ERROR(s.BindText(8, rec.primary_phone_number_id));
  RETURN_IF_ERROR(s.BindText(9, rec.public_metadata_json));
  RETURN_IF_ERROR(s.BindText(10, rec.private_metadata_json));
  RETURN_IF_ERROR(s.BindText(11, rec.unsafe_metadata_json));
  RETURN_IF_ERROR(s.BindTime(12, rec.updated_at, "updated_at"));
  return absl::OkStatus();
}

// locale and legal_accepted_at, as parameters `first` and `first` + 1.
absl::Status BindUserTail(ScopedStmt& s, int first, const UserRecord& rec) {
  RETURN_IF_ERROR(s.BindText(first, rec.locale));
  return BindOptionalTime(s, first + 1, rec.legal_accepted_at,
                          "legal_accepted_at");
}

UserRecord ReadUser(const ScopedStmt& s) {
  UserRecord rec;
  rec.id = s.Text(0);
  rec.external_id = s.Text(1);  // NULL reads as "".
  rec.first_name = s.Text(2);
  rec.last_name = s.Text(3);
  rec.username = s.Text(4);
  rec.image_url = s.Text(5);
  rec.primary_email_address_id = s.Text(6);
  rec.primary_phone_number_id = s.Text(7);
  rec.public_metadata_json = s.Text(8);
  rec.private_metadata_json = s.Text(9);
  rec.unsafe_metadata_json = s.Text(10);
  rec.updated_at = s.GetTime(11);
  rec.created_at = s.GetTime(12);
  rec.deleted_at = s.GetOptionalTime(13);
  rec.locale = s.Text(14);
  rec.legal_accepted_at = s.GetOptionalTime(15);
  return rec;
}

absl::Status UserNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("user '", id, "' not found"));
}

// ---- Sessions ----

constexpr char kSessionColumns[] =
    "id, user_id, status, client_token_hash, actor, created_at_us, "
    "updated_at_us, last_active_at_us, expire_at_us";

absl::StatusOr<SessionRecord> ReadSession(const ScopedStmt& s) {
  SessionRecord rec;
  rec.id = s.Text(0);
  rec.user_id = s.Text(1);
  const std::string status = s.Text(2);
  std::optional<SessionStatus> parsed = ParseSessionStatus(status);
  if (!parsed.has_value()) {
    return absl::DataLossError(
        absl::StrCat("unknown session status '", status, "'"));
  }
  rec.status = *parsed;
  rec.client_token_hash = s.Blob(3);  // NULL reads as "".
  rec.actor_json = s.Text(4);
  rec.created_at = s.GetTime(5);
  rec.updated_at = s.GetTime(6);
  rec.last_active_at = s.GetTime(7);
  rec.expire_at = s.GetTime(8);
  return rec;
}

absl::Status SessionNotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("session '", id, "' not found"));
}

// ---- JWT templates ----

constexpr char kJwtTemplateColumns[] =
    "id, name, claims, lifetime_seconds, allowed_clock_skew_seconds, "
    "custom_signing_key, signing_algorithm, sealed_signing_key, "
    "updated_at_us, created_at_us";

// Binds parameters 1..9 in kJwtTemplateColumns order: what an update may
// change. The insert binds created_at (10) itself.
absl::Status BindJwtTemplate(ScopedStmt& s, const JwtTemplateRecord& rec) {
  RETURN_IF_ERROR(s.BindText(1, rec.id));
  RETURN_IF_ERROR(s.BindText(2, rec.name));
  RETURN_IF_ERROR(s.BindText(3, rec.claims_json));
  RETURN_IF_ERROR(s.BindInt(4, rec.lifetime_seconds));
  RETURN_IF_ERROR(s.BindInt(5, rec.allowed_clock_skew_seconds));
  RETURN_IF_ERROR(s.BindInt(6, rec.custom_signing_key ? 1 : 0));
  RETURN_IF_ERROR(
      s.BindText(7, rec.signing_algorithm.has_value()
                        ? jose::AlgorithmName(*rec.signing_algorithm)
                        : absl::string_view()));
  RETURN_IF_ERROR(s.BindBlob(8, rec.sealed_signing_key));
  RETURN_IF_ERROR(s.BindTime(9, rec.updated_at, "updated_at"));
  return absl::OkStatus();
}

absl::StatusOr<JwtTemplateRecord> ReadJwtTemplate(const ScopedStmt& s) {
  JwtTemplateRecord rec;
  rec.id = s.Text(0);
  rec.name = s.Text(1);
  rec.claims_json = s.Text(2);
  rec.lifetime_seconds = s.Int(3);
  rec.allowed_clock_skew_seconds = s.Int(4);
  rec.custom_signing_key = s.Int(5) != 0;
  if (const std::string alg = s.Text(6); !alg.empty()) {
    ASSIGN_OR_RETURN(rec.signing_algorithm,
                     StoredAlgorithm("template signing algorithm", alg));
  }
  rec.sealed_signing_key = s.Blob(7);
  rec.updated_at = s.GetTime(8);
  rec.created_at = s.GetTime(9);
  return rec;
}

}  // namespace

// ---- Users ----

absl::Status SqliteStore::WriteUserContacts(const UserRecord& rec, bool live) {
  for (const char* sql : {"DELETE FROM user_email_addresses WHERE user_id = ?",
                          "DELETE FROM user_phone_numbers WHERE user_id = ?"}) {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(sql));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, rec.id));
    RETURN_IF_ERROR(s.Run());
  }
  int64_t position = 0;
  for (const EmailAddressRecord& email : rec.email_addresses) {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                     Prepared("INSERT INTO user_email_addresses (id, user_id, "
                              "position, email_address, verified, user_live) "
                              "VALUES (?, ?, ?, ?, ?, ?)"));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, email.id));
    RETURN_IF_ERROR(s.BindText(2, rec.id));
    RETURN_IF_ERROR(s.BindInt(3, position++));
    RETURN_IF_ERROR(s.BindText(4, email.email_address));
    RETURN_IF_ERROR(s.BindInt(5, email.verified ? 1 : 0));
    RETURN_IF_ERROR(s.BindInt(6, live ? 1 : 0));
    RETURN_IF_ERROR(s.Run());
  }
  position = 0;
  for (const PhoneNumberRecord& phone : rec.phone_numbers) {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                     Prepared("INSERT INTO user_phone_numbers (id, user_id, "
                              "position, phone_number, verified) "
                              "VALUES (?, ?, ?, ?, ?)"));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, phone.id));
    RETURN_IF_ERROR(s.BindText(2, rec.id));
    RETURN_IF_ERROR(s.BindInt(3, position++));
    RETURN_IF_ERROR(s.BindText(4, phone.phone_number));
    RETURN_IF_ERROR(s.BindInt(5, phone.verified ? 1 : 0));
    RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::LoadUserContacts(UserRecord* rec) {
  rec->email_addresses.clear();
  rec->phone_numbers.clear();
  {
    ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        Prepared("SELECT id, email_address, verified FROM "
                 "user_email_addresses WHERE user_id = ? ORDER BY position"));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, rec->id));
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      EmailAddressRecord email;
      email.id = s.Text(0);
      email.email_address = s.Text(1);
      email.verified = s.Int(2) != 0;
      rec->email_addresses.push_back(std::move(email));
    }
  }
  ASSIGN_OR_RETURN(
      sqlite3_stmt * raw,
      Prepared("SELECT id, phone_number, verified FROM user_phone_numbers "
               "WHERE user_id = ? ORDER BY position"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, rec->id));
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return absl::OkStatus();
    PhoneNumberRecord phone;
    phone.id = s.Text(0);
    phone.phone_number = s.Text(1);
    phone.verified = s.Int(2) != 0;
    rec->phone_numbers.push_back(std::move(phone));
  }
}

absl::Status SqliteStore::InsertUser(const UserRecord& rec) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    static const std::string* const kSql = new std::string(
        absl::StrCat("INSERT INTO users (", kUserColumns,
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                     "?)"));
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(BindUser(s, rec));
    RETURN_IF_ERROR(s.BindTime(13, rec.created_at, "created_at"));
    RETURN_IF_ERROR(BindOptionalTime(s, 14, rec.deleted_at, "deleted_at"));
    RETURN_IF_ERROR(BindUserTail(s, 15, rec));
    RETURN_IF_ERROR(s.Run());
    return WriteUserContacts(rec, /*live=*/!rec.deleted_at.has_value());
  });
}

absl::StatusOr<UserRecord> SqliteStore::GetUser(absl::string_view id) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE id = ?"));
  UserRecord rec;
  {
    ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, id));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return UserNotFound(id);
    rec = ReadUser(s);
  }
  // The user row and its children are read under mu_ by this connection, and
  // every writer replaces them in one transaction; another process could
  // commit between the two reads, which at worst shows its newer contacts.
  RETURN_IF_ERROR(LoadUserContacts(&rec));
  return rec;
}

absl::StatusOr<std::vector<std::string>> SqliteStore::ListUserIds() {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT id FROM users ORDER BY created_at_us, id"));
  ScopedStmt s(db_, raw);
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.Text(0));
  }
}

namespace {

absl::Status BindUserFilter(ScopedStmt& s, const UserQuery& query) {
  int n = 1;
  for (const std::optional<std::string>& value : UserFilterParams(query)) {
    if (value.has_value()) RETURN_IF_ERROR(s.BindText(n, *value));
    ++n;  // Unbound parameters are NULL.
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SqliteStore::FindUserIds(
    const UserQuery& query) {
  if (query.limit < 0 || query.offset < 0) {
    return absl::InvalidArgumentError("limit and offset must be >= 0");
  }
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared(FindUserIdsSql(SqlDialect::kSqlite, query.order,
                                           query.descending)));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(BindUserFilter(s, query));
  RETURN_IF_ERROR(s.BindInt(7, query.limit));
  RETURN_IF_ERROR(s.BindInt(8, query.offset));
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.Text(0));
  }
}

absl::StatusOr<int64_t> SqliteStore::CountUsers(const UserQuery& query) {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared(CountUsersSql(SqlDialect::kSqlite)));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(BindUserFilter(s, query));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::InternalError("sqlite: no COUNT(*) row");
  return s.Int(0);
}

absl::Status SqliteStore::UpdateUser(const UserRecord& rec) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          Prepared("SELECT deleted_at_us FROM users WHERE id = ?"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, rec.id));
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return UserNotFound(rec.id);
      // A deleted user no longer holds its identifiers; writing them back
      // could collide with a newer user's.
      if (!s.IsNull(0)) {
        return absl::FailedPreconditionError(
            absl::StrCat("user '", rec.id, "' is deleted"));
      }
    }
    {
      ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          Prepared("UPDATE users SET external_id = ?2, first_name = ?3, "
                   "last_name = ?4, username = ?5, image_url = ?6, "
                   "primary_email_address_id = ?7, "
                   "primary_phone_number_id = ?8, public_metadata = ?9, "
                   "private_metadata = ?10, unsafe_metadata = ?11, "
                   "updated_at_us = ?12, locale = ?13, "
                   "legal_accepted_at_us = ?14 WHERE id = ?1"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(BindUser(s, rec));
      RETURN_IF_ERROR(BindUserTail(s, 13, rec));
      RETURN_IF_ERROR(s.Run());
    }
    RETURN_IF_ERROR(WriteUserContacts(rec, /*live=*/true));
    return AppendChange(ChangeKind::kUser, rec.id);
  });
}

absl::Status SqliteStore::MarkUserDeleted(absl::string_view id, absl::Time at) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    RETURN_IF_ERROR(
        MarkTime("UPDATE users SET deleted_at_us = COALESCE(deleted_at_us, ?1) "
                 "WHERE id = ?2",
                 "user", id, at));
    {
      ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                       Prepared("UPDATE user_email_addresses SET user_live = 0 "
                                "WHERE user_id = ?"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, id));
      RETURN_IF_ERROR(s.Run());
    }
    {
      ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          Prepared("UPDATE sessions SET status = 'revoked', updated_at_us = ?1 "
                   "WHERE user_id = ?2 AND status = 'active'"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindTime(1, at, "at"));
      RETURN_IF_ERROR(s.BindText(2, id));
      RETURN_IF_ERROR(s.Run());
    }
    return AppendChange(ChangeKind::kUser, id);
  });
}

// ---- Sessions ----

absl::Status SqliteStore::InsertSession(const SessionRecord& rec) {
  Lock lock(this);
  static const std::string* const kSql =
      new std::string(absl::StrCat("INSERT INTO sessions (", kSessionColumns,
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, rec.id));
  RETURN_IF_ERROR(s.BindText(2, rec.user_id));
  RETURN_IF_ERROR(s.BindText(3, SessionStatusName(rec.status)));
  // NULL, not an empty blob: sessions without a client token must neither
  // collide with each other nor be found by an empty hash.
  RETURN_IF_ERROR(BindBlobOrNull(s, 4, rec.client_token_hash));
  RETURN_IF_ERROR(s.BindText(5, rec.actor_json));
  RETURN_IF_ERROR(s.BindTime(6, rec.created_at, "created_at"));
  RETURN_IF_ERROR(s.BindTime(7, rec.updated_at, "updated_at"));
  RETURN_IF_ERROR(s.BindTime(8, rec.last_active_at, "last_active_at"));
  RETURN_IF_ERROR(s.BindTime(9, rec.expire_at, "expire_at"));
  absl::Status status = s.Run();
  if (!status.ok() &&
      sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return UserNotFound(rec.user_id);
  }
  return status;
}

absl::StatusOr<SessionRecord> SqliteStore::QueryOneSession(
    absl::string_view sql, absl::string_view value, bool as_blob) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(sql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(as_blob ? s.BindBlob(1, value) : s.BindText(1, value));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::NotFoundError("session not found");
  return ReadSession(s);
}

absl::StatusOr<SessionRecord> SqliteStore::GetSession(absl::string_view id) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kSessionColumns, " FROM sessions WHERE id = ?"));
  absl::StatusOr<SessionRecord> rec =
      QueryOneSession(*kSql, id, /*as_blob=*/false);
  if (absl::IsNotFound(rec.status())) return SessionNotFound(id);
  return rec;
}

absl::StatusOr<SessionRecord> SqliteStore::FindSessionByClientTokenHash(
    absl::string_view client_token_hash) {
  // Sessions without a client token store NULL, which no probe matches; an
  // empty hash is answered here so that it never reaches the index.
  if (client_token_hash.empty()) {
    return absl::NotFoundError("session not found");
  }
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT ", kSessionColumns,
                   " FROM sessions WHERE client_token_hash = ?"));
  // The message never names the hash: it derives from a bearer secret.
  return QueryOneSession(*kSql, client_token_hash, /*as_blob=*/true);
}

absl::StatusOr<std::vector<SessionRecord>> SqliteStore::ListSessions(
    absl::string_view user_id, std::optional<SessionStatus> status,
    int64_t limit, int64_t offset) {
  if (limit < 0) return absl::InvalidArgumentError("limit must be >= 0");
  if (offset < 0) return absl::InvalidArgumentError("offset must be >= 0");
  // One statement per filter combination, so each can use its index.
  static const std::string* const kQueries[2][2] = {
      {
          new std::string(
              absl::StrCat("SELECT ", kSessionColumns,
                           " FROM sessions ORDER BY created_at_us DESC, id "
                           "LIMIT ?3 OFFSET ?4")),
          new std::string(absl::StrCat(
              "SELECT ", kSessionColumns,
              " FROM sessions WHERE status = ?2 "
              "ORDER BY created_at_us DESC, id LIMIT ?3 OFFSET ?4")),
      },
      {
          new std::string(absl::StrCat(
              "SELECT ", kSessionColumns,
              " FROM sessions WHERE user_id = ?1 "
              "ORDER BY created_at_us DESC, id LIMIT ?3 OFFSET ?4")),
          new std::string(absl::StrCat(
              "SELECT ", kSessionColumns,
              // The unary + keeps the planner on sessions_by_user: a user
              // has few sessions, while one status may have millions.
              " FROM sessions WHERE user_id = ?1 AND +status = ?2 "
              "ORDER BY created_at_us DESC, id LIMIT ?3 OFFSET ?4")),
      },
  };
  const bool by_user = !user_id.empty();
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared(*kQueries[by_user][status.has_value()]));
  ScopedStmt s(db_, raw);
  if (by_user) RETURN_IF_ERROR(s.BindText(1, user_id));
  if (status.has_value()) {
    RETURN_IF_ERROR(s.BindText(2, SessionStatusName(*status)));
  }
  RETURN_IF_ERROR(s.BindInt(3, limit));
  RETURN_IF_ERROR(s.BindInt(4, offset));
  std::vector<SessionRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(SessionRecord rec, ReadSession(s));
    out.push_back(std::move(rec));
  }
}

absl::StatusOr<int64_t> SqliteStore::CountSessions(
    absl::string_view user_id, std::optional<SessionStatus> status) {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT COUNT(*) FROM sessions "
                            "WHERE (?1 = '' OR user_id = ?1) "
                            "AND (?2 IS NULL OR status = ?2)"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, user_id));
  if (status.has_value()) {
    RETURN_IF_ERROR(s.BindText(2, SessionStatusName(*status)));
  }
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return absl::InternalError("sqlite: no COUNT(*) row");
  return s.Int(0);
}

absl::Status SqliteStore::UpdateSessionStatus(absl::string_view id,
                                              SessionStatus status,
                                              absl::Time now) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                       Prepared("UPDATE sessions SET status = ?, "
                                "updated_at_us = ? WHERE id = ?"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, SessionStatusName(status)));
      RETURN_IF_ERROR(s.BindTime(2, now, "updated_at"));
      RETURN_IF_ERROR(s.BindText(3, id));
      RETURN_IF_ERROR(s.Run());
      if (sqlite3_changes(db_) == 0) return SessionNotFound(id);
    }
    return AppendChange(ChangeKind::kSession, id);
  });
}

absl::Status SqliteStore::TouchSession(absl::string_view id, absl::Time at) {
  Lock lock(this);
  return MarkTime(
      "UPDATE sessions SET last_active_at_us = MAX(last_active_at_us, ?1) "
      "WHERE id = ?2",
      "session", id, at);
}

// ---- JWT templates ----

absl::Status SqliteStore::InsertJwtTemplate(const JwtTemplateRecord& rec) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(
      absl::StrCat("INSERT INTO jwt_templates (", kJwtTemplateColumns,
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(BindJwtTemplate(s, rec));
  RETURN_IF_ERROR(s.BindTime(10, rec.created_at, "created_at"));
  return s.Run();
}

absl::StatusOr<JwtTemplateRecord> SqliteStore::QueryOneJwtTemplate(
    absl::string_view sql, absl::string_view key, absl::string_view what) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(sql));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, key));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat("JWT template ", what, " '", key, "' not found"));
  }
  return ReadJwtTemplate(s);
}

absl::StatusOr<JwtTemplateRecord> SqliteStore::GetJwtTemplate(
    absl::string_view id) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kJwtTemplateColumns, " FROM jwt_templates WHERE id = ?"));
  return QueryOneJwtTemplate(*kSql, id, "id");
}

absl::StatusOr<JwtTemplateRecord> SqliteStore::FindJwtTemplateByName(
    absl::string_view name) {
  Lock lock(this);
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kJwtTemplateColumns, " FROM jwt_templates WHERE name = ?"));
  return QueryOneJwtTemplate(*kSql, name, "name");
}

absl::StatusOr<std::vector<JwtTemplateRecord>> SqliteStore::ListJwtTemplates() {
  Lock lock(this);
  static const std::string* const kSql = new std::string(absl::StrCat(
      "SELECT ", kJwtTemplateColumns, " FROM jwt_templates ORDER BY name"));
  ASSIGN_OR_RETURN(sqlite3_stmt * raw, Prepared(*kSql));
  ScopedStmt s(db_, raw);
  std::vector<JwtTemplateRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(JwtTemplateRecord rec, ReadJwtTemplate(s));
    out.push_back(std::move(rec));
  }
}

absl::Status SqliteStore::UpdateJwtTemplate(const JwtTemplateRecord& rec) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          sqlite3_stmt * raw,
          Prepared("UPDATE jwt_templates SET name = ?2, claims = ?3, "
                   "lifetime_seconds = ?4, allowed_clock_skew_seconds = ?5, "
                   "custom_signing_key = ?6, signing_algorithm = ?7, "
                   "sealed_signing_key = ?8, updated_at_us = ?9 WHERE id = "
                   "?1"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(BindJwtTemplate(s, rec));
      RETURN_IF_ERROR(s.Run());
      if (sqlite3_changes(db_) == 0) {
        return absl::NotFoundError(
            absl::StrCat("JWT template id '", rec.id, "' not found"));
      }
    }
    return AppendChange(ChangeKind::kJwtTemplate, rec.id);
  });
}

absl::Status SqliteStore::DeleteJwtTemplate(absl::string_view id) {
  Lock lock(this);
  return Transact([&]() -> absl::Status {
    {
      ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                       Prepared("DELETE FROM jwt_templates WHERE id = ?"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, id));
      RETURN_IF_ERROR(s.Run());
      if (sqlite3_changes(db_) == 0) {
        return absl::NotFoundError(
            absl::StrCat("JWT template id '", id, "' not found"));
      }
    }
    return AppendChange(ChangeKind::kJwtTemplate, id);
  });
}

}  // namespace tokend::store
