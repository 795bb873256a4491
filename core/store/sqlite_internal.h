// Helpers shared by the files that implement SqliteStore (sqlite_store.cc,
// sqlite_sessions.cc). Not part of the store's API: only those files include
// it, which is why it is a private source of the sqlite_store target.
#ifndef TOKEND_CORE_STORE_SQLITE_INTERNAL_H_
#define TOKEND_CORE_STORE_SQLITE_INTERNAL_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/status_macros.h"
#include "core/store/stored_names.h"

namespace tokend::store::sqlite_internal {

// Maps a SQLite result code to a Status: PRIMARY KEY / UNIQUE violations are
// AlreadyExists, other constraint failures InvalidArgument, BUSY/LOCKED
// Unavailable, CORRUPT/NOTADB DataLoss, FULL ResourceExhausted, open and
// permission failures PermissionDenied, the rest Internal.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view what);

// ---- Time encoding: microseconds since the epoch; NULL for "not yet". ----

inline absl::StatusOr<int64_t> EncodeTime(absl::Time t,
                                          absl::string_view field) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a finite time"));
  }
  return absl::ToUnixMicros(t);
}

// A cached statement in use: resets it and clears its bindings when done, so
// the next user starts clean (and its read transaction, if any, ends).
class ScopedStmt {
 public:
  ScopedStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ScopedStmt(const ScopedStmt&) = delete;
  ScopedStmt& operator=(const ScopedStmt&) = delete;
  ~ScopedStmt() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  absl::Status BindText(int i, absl::string_view v) {
    // An empty string_view may have a null data(), which SQLite would bind
    // as NULL; "" must stay a string.
    return Check(sqlite3_bind_text64(stmt_, i, v.empty() ? "" : v.data(),
                                     v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  absl::Status BindBlob(int i, absl::string_view v) {
    // A zero-length blob must still be a blob, not NULL.
    return Check(sqlite3_bind_blob64(stmt_, i, v.empty() ? "" : v.data(),
                                     v.size(), SQLITE_TRANSIENT));
  }
  absl::Status BindInt(int i, int64_t v) {
    return Check(sqlite3_bind_int64(stmt_, i, v));
  }
  absl::Status BindTime(int i, absl::Time t, absl::string_view field) {
    ASSIGN_OR_RETURN(int64_t us, EncodeTime(t, field));
    return BindInt(i, us);
  }

  // true: a row is available; false: done.
  absl::StatusOr<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, rc, sqlite3_sql(stmt_));
  }
  // Steps a statement that must not return rows.
  absl::Status Run() {
    ASSIGN_OR_RETURN(bool row, Step());
    if (row) return absl::InternalError("sqlite: unexpected row");
    return absl::OkStatus();
  }

  bool IsNull(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p), n);
  }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p), n);
  }
  absl::Time GetTime(int col) const { return absl::FromUnixMicros(Int(col)); }
  std::optional<absl::Time> GetOptionalTime(int col) const {
    if (IsNull(col)) return std::nullopt;
    return absl::FromUnixMicros(Int(col));
  }

 private:
  absl::Status Check(int rc) {
    if (rc == SQLITE_OK) return absl::OkStatus();
    return SqliteError(db_, rc, "bind");
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Binds `t`, or leaves parameter `i` NULL when it is unset.
inline absl::Status BindOptionalTime(ScopedStmt& s, int i,
                                     const std::optional<absl::Time>& t,
                                     absl::string_view field) {
  if (!t.has_value()) return absl::OkStatus();  // Cleared bindings are NULL.
  return s.BindTime(i, *t, field);
}

}  // namespace tokend::store::sqlite_internal

#endif  // TOKEND_CORE_STORE_SQLITE_INTERNAL_H_
