// SqliteStore: the default store Backend, one SQLite file (DESIGN §4).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> db,
//                    store::SqliteStore::Open(data_dir + "/tokend.db"));
//
// The connection runs in WAL mode with synchronous=FULL (a committed
// transaction survives power loss), foreign_keys=ON and a 5 s busy timeout,
// so several processes may share the file. The schema is versioned: Open()
// applies each pending migration in its own transaction and records it in
// `schema_migrations`; an up-to-date file is left untouched, and a file written
// by a newer tokend (unknown version) is refused with FailedPrecondition.
//
// Statements are prepared once per connection and reused. One connection per
// SqliteStore, serialised by a mutex: every method is thread-safe. Do not use a
// SqliteStore across fork(); open a new one in the child.
//
// Times are stored as integer microseconds since the Unix epoch (sub-
// microsecond parts are dropped); an unset std::optional is stored as NULL.
// Infinite times are rejected (InvalidArgument). Enums are stored by name.
#ifndef TOKEND_CORE_STORE_SQLITE_STORE_H_
#define TOKEND_CORE_STORE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/store/backend.h"
#include "core/store/records.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tokend::store {

class SqliteStore final : public Backend {
 public:
  // Opens (creating if missing) the database at `path` and migrates it to
  // LatestSchemaVersion(). Errors: FailedPrecondition if the file's schema is
  // newer than this binary knows, or it is not in WAL mode; DataLoss if it is
  // not a database; Unavailable if it stays locked past the busy timeout;
  // Internal otherwise.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path);

  // The schema version this binary migrates to.
  static int LatestSchemaVersion();

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  // Schema version of the file after Open().
  int schema_version() const { return schema_version_; }
  // How many migrations this Open() applied (0 for an up-to-date file).
  int migrations_applied() const { return migrations_applied_; }
  // Number of distinct prepared statements held by this connection. It stops
  // growing once every query has run once (statements are reused).
  size_t prepared_statement_count() const;

  // PRAGMA integrity_check: OK, or DataLoss listing the problems.
  absl::Status CheckIntegrity();

  // Backend:
  absl::StatusOr<std::vector<SigningKeyRecord>> ListSigningKeys() override;
  absl::Status InsertSigningKey(const SigningKeyRecord& rec) override;
  absl::Status UpdateSigningKeys(
      const Fence& fence, const std::vector<SigningKeyRecord>& changed,
      const std::vector<std::string>& deleted_kids) override;
  absl::Status InsertApiKey(const ApiKeyRecord& rec) override;
  absl::StatusOr<ApiKeyRecord> FindApiKeyByHash(
      absl::string_view secret_hash) override;
  absl::StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(
      std::optional<ApiKeySurface> surface) override;
  absl::Status RevokeApiKey(absl::string_view id, absl::Time at) override;
  absl::Status InsertServiceAccount(const ServiceAccountRecord& rec) override;
  absl::StatusOr<ServiceAccountRecord> GetServiceAccount(
      absl::string_view id) override;
  absl::StatusOr<std::vector<ServiceAccountRecord>> ListServiceAccounts()
      override;
  absl::Status MarkServiceAccountDeleted(absl::string_view id,
                                         absl::Time at) override;
  absl::Status SetTokenCreators(
      absl::string_view id,
      const std::vector<std::string>& subject_ids) override;
  absl::Status InsertAuthorizedKey(const AuthorizedKeyRecord& rec) override;
  absl::StatusOr<AuthorizedKeyRecord> GetAuthorizedKey(
      absl::string_view id) override;
  absl::StatusOr<std::vector<AuthorizedKeyRecord>> ListAuthorizedKeys(
      absl::string_view service_account_id) override;
  absl::Status MarkAuthorizedKeyDeleted(absl::string_view id,
                                        absl::Time at) override;
  absl::Status InsertOAuthToken(const OAuthTokenRecord& rec) override;
  absl::StatusOr<OAuthTokenRecord> FindOAuthTokenByHash(
      absl::string_view secret_hash) override;
  absl::StatusOr<std::vector<OAuthTokenRecord>> ListOAuthTokens() override;
  absl::Status RevokeOAuthToken(absl::string_view id, absl::Time at) override;
  absl::Status InsertRevokedToken(const RevokedTokenRecord& rec) override;
  absl::StatusOr<bool> IsTokenRevoked(absl::string_view jti) override;
  absl::StatusOr<std::vector<RevokedTokenRecord>> ListRevokedTokens(
      absl::Time now, int64_t limit) override;
  absl::StatusOr<int> DeleteExpiredRevokedTokens(absl::Time now) override;
  // Users, sessions and JWT templates: sqlite_sessions.cc.
  absl::Status InsertUser(const UserRecord& rec) override;
  absl::StatusOr<UserRecord> GetUser(absl::string_view id) override;
  absl::StatusOr<std::vector<std::string>> ListUserIds() override;
  absl::StatusOr<std::vector<std::string>> FindUserIds(
      const UserQuery& query) override;
  absl::StatusOr<int64_t> CountUsers(const UserQuery& query) override;
  absl::Status UpdateUser(const UserRecord& rec) override;
  absl::Status MarkUserDeleted(absl::string_view id, absl::Time at) override;
  absl::Status InsertSession(const SessionRecord& rec) override;
  absl::StatusOr<SessionRecord> GetSession(absl::string_view id) override;
  absl::StatusOr<SessionRecord> FindSessionByClientTokenHash(
      absl::string_view client_token_hash) override;
  absl::StatusOr<std::vector<SessionRecord>> ListSessions(
      absl::string_view user_id, std::optional<SessionStatus> status,
      int64_t limit, int64_t offset) override;
  absl::StatusOr<int64_t> CountSessions(
      absl::string_view user_id, std::optional<SessionStatus> status) override;
  absl::Status UpdateSessionStatus(absl::string_view id, SessionStatus status,
                                   absl::Time now) override;
  absl::Status TouchSession(absl::string_view id, absl::Time at) override;
  absl::Status InsertJwtTemplate(const JwtTemplateRecord& rec) override;
  absl::StatusOr<JwtTemplateRecord> GetJwtTemplate(
      absl::string_view id) override;
  absl::StatusOr<JwtTemplateRecord> FindJwtTemplateByName(
      absl::string_view name) override;
  absl::StatusOr<std::vector<JwtTemplateRecord>> ListJwtTemplates() override;
  absl::Status UpdateJwtTemplate(const JwtTemplateRecord& rec) override;
  absl::Status DeleteJwtTemplate(absl::string_view id) override;
  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_seq,
                                                        int64_t limit) override;
  absl::StatusOr<int64_t> LastChangeSeq() override;
  absl::StatusOr<int> DeleteChangesBefore(absl::Time before) override;
  void SetCommitObserver(CommitObserver observer) override {
    observer_ = std::move(observer);
  }
  // Leases: sqlite_leases.cc.
  absl::StatusOr<Lease> AcquireLease(absl::string_view name,
                                     absl::string_view holder,
                                     absl::Duration ttl) override;
  absl::Status ReleaseLease(absl::string_view name,
                            absl::string_view holder) override;

 private:
  // Holds mu_; on release hands what committed meanwhile to the observer,
  // after unlocking (an observer may take locks that call back in here).
  class ABSL_SCOPED_LOCKABLE Lock {
   public:
    explicit Lock(const SqliteStore* store)
        ABSL_EXCLUSIVE_LOCK_FUNCTION(store->mu_)
        : store_(store) {
      store_->mu_.Lock();
    }
    ~Lock() ABSL_UNLOCK_FUNCTION();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    const SqliteStore* const store_;
  };

  explicit SqliteStore(sqlite3* db);

  absl::Status Configure(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int> ReadSchemaVersion() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The cached prepared statement for `sql`, preparing it on first use. The
  // statement is reset and its bindings cleared by the caller (see
  // sqlite_store.cc: ScopedStmt).
  absl::StatusOr<sqlite3_stmt*> Prepared(absl::string_view sql)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a statement that returns no rows.
  absl::Status Exec(absl::string_view sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // BEGIN IMMEDIATE; body(); COMMIT — or ROLLBACK if anything fails.
  absl::Status Transact(absl::FunctionRef<absl::Status()> body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // FailedPrecondition unless `fence` still holds its lease (inside a
  // transaction).
  absl::Status CheckFence(const Fence& fence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status UpdateOneSigningKey(const SigningKeyRecord& rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status DeleteOneSigningKey(const std::string& kid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends to the change feed; call inside the change's transaction.
  absl::Status AppendChange(ChangeKind kind, absl::string_view key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Transact(MarkTime, then AppendChange(kind, id)).
  absl::Status MarkTimeAndRecord(absl::string_view sql, absl::string_view what,
                                 absl::string_view id, absl::Time at,
                                 ChangeKind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fills rec->token_creators from sa_token_creators.
  absl::Status LoadTokenCreators(ServiceAccountRecord* rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteTokenCreators(absl::string_view id,
                                  const std::vector<std::string>& subject_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UPDATE <sql> binding (?1 at, ?2 id); NotFound naming `what` if no row.
  absl::Status MarkTime(absl::string_view sql, absl::string_view what,
                        absl::string_view id, absl::Time at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fills rec->email_addresses and rec->phone_numbers from their tables.
  absl::Status LoadUserContacts(UserRecord* rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces the stored email addresses and phone numbers of `rec.id` with
  // rec's. `live`: whether the user is not deleted (its addresses then count
  // for uniqueness).
  absl::Status WriteUserContacts(const UserRecord& rec, bool live)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a prepared single-row SELECT of sessions bound to one text value.
  absl::StatusOr<SessionRecord> QueryOneSession(absl::string_view sql,
                                                absl::string_view value,
                                                bool as_blob)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<JwtTemplateRecord> QueryOneJwtTemplate(absl::string_view sql,
                                                        absl::string_view key,
                                                        absl::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  sqlite3* const db_;  // Used only under mu_.
  CommitObserver observer_;
  // Changes appended by the open transaction, and those committed but not
  // yet handed to the observer.
  std::vector<ChangeRecord> uncommitted_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<ChangeRecord> committed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_
      ABSL_GUARDED_BY(mu_);
  int schema_version_ = 0;
  int migrations_applied_ = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_SQLITE_STORE_H_
