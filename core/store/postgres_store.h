// PostgresStore: the store Backend on PostgreSQL 15, shared by N replicas
// (DESIGN §4).
//
//   PostgresStore::Options options;
//   options.conninfo = "postgresql://tokend@db1,db2/tokend"
//                      "?target_session_attrs=read-write";
//   ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresStore> db,
//                    store::PostgresStore::Open(options));
//
// `conninfo` is anything libpq accepts (a URL or key=value pairs); with
// several hosts and target_session_attrs=read-write a new connection follows
// a failover to the new primary. Connections come from a bounded pool (a
// caller that waits past acquire_timeout gets DEADLINE_EXCEEDED), every
// statement has a server-side timeout, TCP keepalives detect dead peers, and
// transactions are retried on serialization failures and deadlocks.
//
// Open() migrates the schema once for all replicas: each migration runs in a
// transaction that first locks the row of `schema_lock` (SELECT … FOR
// UPDATE, portable where advisory locks are not), so replicas started at
// once on an empty database queue behind the first and find the work done.
//
// The schema mirrors SQLite's (sqlite_store.h): times are BIGINT
// microseconds since the epoch, NULL meaning "not yet"; enums are stored by
// name. Text columns are PostgreSQL TEXT, which holds valid UTF-8 without
// NUL bytes only: other text is refused with InvalidArgument.
#ifndef TOKEND_CORE_STORE_POSTGRES_STORE_H_
#define TOKEND_CORE_STORE_POSTGRES_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/backend.h"
#include "core/store/change_notifier.h"
#include "core/store/records.h"

namespace tokend::store {

namespace pg {
class Connection;
class Pool;
class Result;
}  // namespace pg

class PostgresStore final : public Backend {
 public:
  struct Options {
    std::string conninfo;
    int max_connections = 8;
    absl::Duration acquire_timeout = absl::Seconds(5);
    absl::Duration statement_timeout = absl::Seconds(5);
    // Every change also sends NOTIFY tokend_changes (delivered at commit)
    // so that followers listening through OpenChangeNotifier() poll at
    // once. Off for PostgreSQL-compatible databases without NOTIFY: the
    // feed is then followed by polling alone.
    bool notify = true;
  };

  // Connects and migrates to LatestSchemaVersion(). FailedPrecondition if
  // the database's schema is newer than this binary knows; Unavailable if
  // the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(Options options);

  static int LatestSchemaVersion();

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  ~PostgresStore() override;

  // A wake-up for a follower of this store's change feed, on its own
  // connection (LISTEN holds one), opened lazily and reopened after a
  // failure. FailedPrecondition when Options::notify is off.
  absl::StatusOr<std::unique_ptr<ChangeNotifier>> OpenChangeNotifier() const;

  int schema_version() const { return schema_version_; }
  int migrations_applied() const { return migrations_applied_; }

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
  // Users, sessions and JWT templates: postgres_sessions.cc.
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
  // Leases: postgres_leases.cc.
  absl::StatusOr<Lease> AcquireLease(absl::string_view name,
                                     absl::string_view holder,
                                     absl::Duration ttl) override;
  absl::Status ReleaseLease(absl::string_view name,
                            absl::string_view holder) override;

 private:
  PostgresStore(std::unique_ptr<pg::Pool> pool, Options options);

  absl::Status Migrate();

  // pool_->Transact(body), then the changes the committed attempt appended
  // go to the observer. Every write goes through here.
  absl::Status Write(absl::FunctionRef<absl::Status(pg::Connection&)> body);

  // FailedPrecondition unless `fence` still holds its lease; call inside the
  // write's transaction. Locks the lease row until commit, so the lease
  // cannot change hands before the write lands.
  static absl::Status CheckFence(pg::Connection& conn, const Fence& fence);
  // Appends to the change feed (and notifies, if on); call inside the
  // change's transaction, inside Write (Internal otherwise).
  absl::Status AppendChange(pg::Connection& conn, ChangeKind kind,
                            absl::string_view key);
  // One transaction: MarkTime, then AppendChange(kind, id).
  absl::Status MarkTimeAndRecord(absl::string_view sql, absl::string_view what,
                                 absl::string_view id, absl::Time at,
                                 ChangeKind kind);
  // UPDATE <sql> with $1 = at, $2 = id; NotFound naming `what` if no row.
  static absl::Status MarkTime(pg::Connection& conn, absl::string_view sql,
                               absl::string_view what, absl::string_view id,
                               absl::Time at);
  // Fills rec->token_creators.
  static absl::Status LoadTokenCreators(pg::Connection& conn,
                                        ServiceAccountRecord* rec);
  // Fills rec->email_addresses and rec->phone_numbers.
  static absl::Status LoadUserContacts(pg::Connection& conn, UserRecord* rec);
  // Replaces the stored email addresses and phone numbers of `rec.id`.
  // `live`: whether the user is not deleted.
  static absl::Status WriteUserContacts(pg::Connection& conn,
                                        const UserRecord& rec, bool live);

  const std::unique_ptr<pg::Pool> pool_;
  // The conninfo and settings Open() was given (the notifier's connection).
  const Options options_;
  CommitObserver observer_;
  int schema_version_ = 0;
  int migrations_applied_ = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_POSTGRES_STORE_H_
