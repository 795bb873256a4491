// The libpq layer under PostgresStore (postgres_store.h): statement
// parameters, results, pooled connections and transactions with retry. Not
// part of the store's API; only the postgres_*.cc files include it.
//
// Everything goes in binary format: parameters carry explicit type OIDs
// (bigint, bytea, text, boolean), so the server never guesses a type, and
// results are read as raw bytes with no text parsing. Times are BIGINT
// microseconds since the epoch, as in SQLite; NULL is "not yet".
#ifndef TOKEND_CORE_STORE_POSTGRES_INTERNAL_H_
#define TOKEND_CORE_STORE_POSTGRES_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;

namespace tokend::store::pg {

// Statement parameters $1, $2, ... in the order they are added. A finite-
// time check that fails is remembered and returned by Connection::Exec, so
// call sites stay one line per parameter.
class Params {
 public:
  Params& Text(absl::string_view v);
  Params& Bytes(absl::string_view v);
  Params& Int(int64_t v);
  Params& Bool(bool v);
  // InvalidArgument (at Exec) for an infinite time.
  Params& Time(absl::Time t, absl::string_view field);
  Params& OptionalTime(const std::optional<absl::Time>& t,
                       absl::string_view field);
  // NULL of type text (e.g. an unset external id).
  Params& NullText();

  int size() const { return static_cast<int>(types_.size()); }
  const absl::Status& error() const { return error_; }

 private:
  friend class Connection;
  Params& Add(unsigned int type, std::optional<std::string> value);

  std::vector<unsigned int> types_;
  std::vector<std::optional<std::string>> values_;
  absl::Status error_;
};

// A statement's rows, read by (row, column). Column types are the schema's:
// Int() expects bigint, Bool() boolean; Text() and Bytes() return the raw
// bytes of text and bytea columns.
class Result {
 public:
  explicit Result(pg_result* res) : res_(res) {}
  Result(Result&& other) noexcept : res_(other.res_) { other.res_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;
  ~Result();

  int rows() const;
  // Rows an INSERT/UPDATE/DELETE touched.
  int64_t affected() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  std::string Bytes(int row, int col) const { return Text(row, col); }
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const;
  absl::Time Time(int row, int col) const {
    return absl::FromUnixMicros(Int(row, col));
  }
  std::optional<absl::Time> OptionalTime(int row, int col) const;

 private:
  friend class Connection;
  pg_result* res_;
};

// InvalidArgument when libpq cannot parse `conninfo`. The message never
// repeats the string, nor libpq's complaint about it (which quotes the
// offending text): it may hold a password.
absl::Status ValidateConninfo(const std::string& conninfo);

// SQLSTATE classes the store reacts to (PostgreSQL Appendix A).
bool IsRetryable(const absl::Status& status);  // 40001, 40P01

// One connection with its prepared statements. Not thread-safe: a pool
// lends it to one caller at a time.
class Connection {
 public:
  // Connects with PQconnectdbParams: our defaults (TCP keepalives, connect
  // and statement timeouts), then `conninfo` (a libpq URL or key=value
  // string), whose settings win.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& conninfo, absl::Duration statement_timeout);
  ~Connection();

  // Prepares `sql` on first use (per connection) and runs it.
  absl::StatusOr<Result> Exec(absl::string_view sql, const Params& params);
  absl::StatusOr<Result> Exec(absl::string_view sql) {
    return Exec(sql, Params());
  }
  // Unprepared, possibly several statements, no parameters (DDL,
  // BEGIN/COMMIT).
  absl::Status ExecScript(absl::string_view sql);
  // COMMIT; an error (Aborted) when the server rolled back instead.
  absl::Status Commit();
  // After LISTEN: waits at most `timeout` for a notification and consumes
  // every one pending. True if any arrived; Unavailable if the connection
  // failed.
  absl::StatusOr<bool> WaitForNotification(absl::Duration timeout);

  // The connection is unusable (reset by the server, network failure).
  bool broken() const;
  // Inside a transaction block (or a failed one).
  bool in_transaction() const;
  size_t prepared_count() const { return prepared_.size(); }

 private:
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  absl::Status Error(pg_result* res, absl::string_view what) const;

  pg_conn* const conn_;
  absl::flat_hash_map<std::string, std::string> prepared_;  // sql -> name
};

struct PoolOptions {
  std::string conninfo;
  int max_connections = 8;
  // A caller waiting longer than this for a connection gets
  // DEADLINE_EXCEEDED: a saturated pool refuses, it never hangs.
  absl::Duration acquire_timeout = absl::Seconds(5);
  absl::Duration statement_timeout = absl::Seconds(5);
};

// A bounded set of connections, opened on demand and dropped when broken.
class Pool {
 public:
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs `body`, which only reads, on a connection in autocommit mode. A
  // connection found broken (a database restart since it was last used) is
  // replaced and `body` retried once. Writes go through Transact, where a
  // retry cannot apply a change twice.
  absl::Status Run(absl::FunctionRef<absl::Status(Connection&)> body);
  // BEGIN; body; COMMIT. The whole body is retried on serialization
  // failures and deadlocks (a few times, with a short backoff) and once on
  // a connection lost before COMMIT was sent. A connection lost during
  // COMMIT is UNAVAILABLE: the outcome is unknown.
  absl::Status Transact(absl::FunctionRef<absl::Status(Connection&)> body);

  const PoolOptions& options() const { return options_; }

 private:
  absl::StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);

  const PoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // Idle plus lent out.
};

}  // namespace tokend::store::pg

#endif  // TOKEND_CORE_STORE_POSTGRES_INTERNAL_H_
