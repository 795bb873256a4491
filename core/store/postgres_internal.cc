#include "core/store/postgres_internal.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tokend::store::pg {
namespace {

// Type OIDs (pg_type.dat); fixed since PostgreSQL 7.
constexpr unsigned int kBoolOid = 16;
constexpr unsigned int kByteaOid = 17;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kTextOid = 25;

constexpr int kMaxRetryableAttempts = 5;

std::string BigEndian64(int64_t v) {
  std::string out(8, '\0');
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

// The SQLSTATE of a failed statement as a status code. Only the primary
// message is kept: DETAIL may quote the row (a secret's hash, a name).
absl::Status StatusFromSqlState(absl::string_view state,
                                absl::string_view message,
                                absl::string_view what) {
  const std::string text = absl::StrCat("postgres: ", what, ": ", message,
                                        " (SQLSTATE ", state, ")");
  if (state == "23505") return absl::AlreadyExistsError(text);
  if (state == "23503") return absl::NotFoundError(text);
  if (state == "40001" || state == "40P01") return absl::AbortedError(text);
  if (state == "57014") return absl::DeadlineExceededError(text);
  if (state == "25006") return absl::UnavailableError(text);  // Read-only.
  if (absl::StartsWith(state, "23") || absl::StartsWith(state, "22")) {
    return absl::InvalidArgumentError(text);
  }
  if (absl::StartsWith(state, "08") || absl::StartsWith(state, "53") ||
      absl::StartsWith(state, "57P")) {
    return absl::UnavailableError(text);
  }
  return absl::InternalError(text);
}

}  // namespace

// ---- Params ----

Params& Params::Add(unsigned int type, std::optional<std::string> value) {
  types_.push_back(type);
  values_.push_back(std::move(value));
  return *this;
}

Params& Params::Text(absl::string_view v) {
  return Add(kTextOid, std::string(v));
}
Params& Params::Bytes(absl::string_view v) {
  return Add(kByteaOid, std::string(v));
}
Params& Params::Int(int64_t v) { return Add(kInt8Oid, BigEndian64(v)); }
Params& Params::Bool(bool v) {
  return Add(kBoolOid, std::string(1, v ? '\1' : '\0'));
}
Params& Params::NullText() { return Add(kTextOid, std::nullopt); }

Params& Params::Time(absl::Time t, absl::string_view field) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    if (error_.ok()) {
      error_ = absl::InvalidArgumentError(
          absl::StrCat(field, " must be a finite time"));
    }
    return Add(kInt8Oid, std::nullopt);
  }
  return Int(absl::ToUnixMicros(t));
}

Params& Params::OptionalTime(const std::optional<absl::Time>& t,
                             absl::string_view field) {
  if (!t.has_value()) return Add(kInt8Oid, std::nullopt);
  return Time(*t, field);
}

// ---- Result ----

Result::~Result() {
  if (res_ != nullptr) PQclear(res_);
}

int Result::rows() const { return PQntuples(res_); }

int64_t Result::affected() const {
  const char* n = PQcmdTuples(res_);
  return (n == nullptr || *n == '\0') ? 0 : std::strtoll(n, nullptr, 10);
}

bool Result::IsNull(int row, int col) const {
  return PQgetisnull(res_, row, col) != 0;
}

std::string Result::Text(int row, int col) const {
  return std::string(PQgetvalue(res_, row, col), PQgetlength(res_, row, col));
}

int64_t Result::Int(int row, int col) const {
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(PQgetvalue(res_, row, col));
  const int n = PQgetlength(res_, row, col);
  uint64_t u = 0;
  for (int i = 0; i < n; ++i) u = (u << 8) | p[i];
  // Sign-extend narrower integers (count(*) is bigint; int4 is 4 bytes).
  if (n > 0 && n < 8 && (p[0] & 0x80) != 0) u |= ~uint64_t{0} << (8 * n);
  return static_cast<int64_t>(u);
}

bool Result::Bool(int row, int col) const {
  return PQgetlength(res_, row, col) == 1 && PQgetvalue(res_, row, col)[0] != 0;
}

std::optional<absl::Time> Result::OptionalTime(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Time(row, col);
}

absl::Status ValidateConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) {
    return absl::InvalidArgumentError(
        "postgres: the connection string does not parse (it is not repeated "
        "here: it may hold a password)");
  }
  PQconninfoFree(options);
  return absl::OkStatus();
}

bool IsRetryable(const absl::Status& status) { return absl::IsAborted(status); }

// ---- Connection ----

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& conninfo, absl::Duration statement_timeout) {
  const std::string options = absl::StrCat(
      "-c statement_timeout=", absl::ToInt64Milliseconds(statement_timeout));
  // Ours first, then the operator's string (expanded in place), whose
  // settings override ours (libpq: later keywords win).
  const char* keywords[] = {
      "keepalives",       "keepalives_idle", "keepalives_interval",
      "keepalives_count", "connect_timeout", "application_name",
      "options",          "dbname",          nullptr};
  const char* values[] = {
      "1",    "30", "10", "3", "5", "tokend", options.c_str(), conninfo.c_str(),
      nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("postgres: out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("postgres: cannot connect: ", message));
  }
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

bool Connection::in_transaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

absl::Status Connection::Error(PGresult* res, absl::string_view what) const {
  const char* state =
      res == nullptr ? nullptr : PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = res == nullptr
                            ? nullptr
                            : PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  if (state == nullptr || broken()) {
    std::string message =
        primary != nullptr ? std::string(primary) : PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::UnavailableError(
        absl::StrCat("postgres: ", what, ": ", message));
  }
  return StatusFromSqlState(state, primary != nullptr ? primary : "", what);
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql,
                                        const Params& params) {
  RETURN_IF_ERROR(params.error());
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = absl::StrCat("s", prepared_.size());
    const std::string text(sql);
    Result prep(PQprepare(conn_, name.c_str(), text.c_str(), params.size(),
                          params.types_.data()));
    if (PQresultStatus(prep.res_) != PGRES_COMMAND_OK) {
      return Error(prep.res_, "prepare");
    }
    it = prepared_.emplace(text, std::move(name)).first;
  }
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size());
  std::vector<int> formats(params.size(), 1);
  for (int i = 0; i < params.size(); ++i) {
    const std::optional<std::string>& v = params.values_[i];
    values[i] = v.has_value() ? v->data() : nullptr;
    lengths[i] = v.has_value() ? static_cast<int>(v->size()) : 0;
  }
  Result res(PQexecPrepared(conn_, it->second.c_str(), params.size(),
                            values.data(), lengths.data(), formats.data(),
                            /*resultFormat=*/1));
  const ExecStatusType status = PQresultStatus(res.res_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return Error(res.res_, "statement");
  }
  return res;
}

absl::Status Connection::Commit() {
  Result res(PQexec(conn_, "COMMIT"));
  if (PQresultStatus(res.res_) != PGRES_COMMAND_OK) {
    return Error(res.res_, "COMMIT");
  }
  // PostgreSQL answers COMMIT of a failed transaction with "ROLLBACK".
  if (std::strcmp(PQcmdStatus(res.res_), "COMMIT") != 0) {
    return absl::AbortedError(
        "postgres: the transaction had failed and was rolled back");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Connection::WaitForNotification(absl::Duration timeout) {
  auto drain = [this]() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      PQfreemem(n);
      any = true;
    }
    return any;
  };
  auto lost = [this]() {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::UnavailableError(
        absl::StrCat("postgres: notification channel lost: ", message));
  };
  // Other messages (a notice, a parameter change, an error before the
  // server closes) also make the socket readable: wait on until the
  // deadline unless a notification came or the connection failed.
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    // Notices may already sit in libpq's buffer, read along with a result.
    if (drain()) return true;
    const int fd = PQsocket(conn_);
    if (fd < 0 || broken()) return lost();
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int ms = static_cast<int>(
        absl::ToInt64Milliseconds(std::min(left, absl::Hours(1))));
    const int ready = poll(&pfd, 1, ms + 1);
    if (ready < 0 && errno != EINTR) return lost();
    if (ready > 0 && PQconsumeInput(conn_) == 0) return lost();
  }
}

absl::Status Connection::ExecScript(absl::string_view sql) {
  const std::string text(sql);
  Result res(PQexec(conn_, text.c_str()));
  const ExecStatusType status = PQresultStatus(res.res_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return Error(res.res_, absl::StrCat("'", sql.substr(0, 40), "'"));
  }
  return absl::OkStatus();
}

// ---- Pool ----

Pool::~Pool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<Connection>> Pool::Acquire() {
  const absl::Time deadline = absl::Now() + options_.acquire_timeout;
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.max_connections;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&available), deadline)) {
      return absl::DeadlineExceededError(
          absl::StrCat("postgres: no connection free within ",
                       absl::FormatDuration(options_.acquire_timeout), " (all ",
                       options_.max_connections, " in use)"));
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;  // Reserve the slot while connecting outside the lock.
  }
  absl::StatusOr<std::unique_ptr<Connection>> conn =
      Connection::Open(options_.conninfo, options_.statement_timeout);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
  }
  return conn;
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  absl::MutexLock lock(&mu_);
  if (conn->broken()) {
    // The server went away (a restart, a failover): the idle connections
    // are as dead as this one, but would only say so on their next use, so
    // the retry after this failure would draw another dead one.
    open_ -= 1 + static_cast<int>(idle_.size());
    idle_.clear();
    return;
  }
  if (conn->in_transaction()) {
    --open_;  // Dropped: the next Acquire opens a fresh one.
    return;
  }
  idle_.push_back(std::move(conn));
}

absl::Status Pool::Run(absl::FunctionRef<absl::Status(Connection&)> body) {
  absl::Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Acquire());
    status = body(*conn);
    const bool broken = conn->broken();
    Release(std::move(conn));
    // A pooled connection that died while idle (a database restart) fails
    // on first use; one fresh connection tells whether the database is back.
    if (status.ok() || !broken) return status;
  }
  return status;
}

absl::Status Pool::Transact(absl::FunctionRef<absl::Status(Connection&)> body) {
  absl::Status status;
  bool retried_broken = false;
  for (int attempt = 0; attempt < kMaxRetryableAttempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(1 << attempt));
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Acquire());
    status = conn->ExecScript("BEGIN");
    if (status.ok()) status = body(*conn);
    if (!status.ok()) {
      const bool broken = conn->broken();
      if (!broken) (void)conn->ExecScript("ROLLBACK");
      Release(std::move(conn));
      if (IsRetryable(status)) continue;
      if (broken && !retried_broken) {
        retried_broken = true;  // Nothing was committed: safe to redo once.
        continue;
      }
      return status;
    }
    status = conn->Commit();
    const bool broken = conn->broken();
    Release(std::move(conn));
    if (status.ok()) return status;
    if (broken) {
      return absl::UnavailableError(absl::StrCat(
          "postgres: connection lost during COMMIT; the change may or may "
          "not have been applied: ",
          status.message()));
    }
    if (!IsRetryable(status)) return status;
  }
  return status;
}

}  // namespace tokend::store::pg
