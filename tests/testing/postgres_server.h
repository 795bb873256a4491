// PostgresServer: a throwaway PostgreSQL 15 cluster for one test binary,
// handing out fresh empty databases. It drives initdb, pg_ctl and psql as
// subprocesses (no libpq), so the harness does not share code with the store
// under test. See TOOLCHAIN.md, "PostgreSQL".
#ifndef TOKEND_TESTS_TESTING_POSTGRES_SERVER_H_
#define TOKEND_TESTS_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tokend::testing {

class PostgresServer {
 public:
  // initdb in a fresh /tmp/pg.XXXXXX (as the `postgres` user when running as
  // root: initdb and postgres refuse root, and TEST_TMPDIR is not reachable
  // by that user), then pg_ctl start on 127.0.0.1 with a free port, the Unix
  // socket in the data directory, fsync off and max_connections=200. Errors
  // carry the tail of the failing tool's output.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  // Stop(), then removes the data directory.
  ~PostgresServer();

  // CREATE DATABASE dbN (db1, db2, ... unique per server); returns its libpq
  // URL "postgresql://tokend@127.0.0.1:<port>/dbN". Thread-safe.
  absl::StatusOr<std::string> CreateDatabase();

  // Runs `sql` through `psql -At -X -v ON_ERROR_STOP=1 -c` against database
  // `db` (a name, e.g. "db1" or "postgres"); returns stdout without its final
  // newline. A failing statement is an error carrying psql's stderr;
  // Unavailable when psql cannot reach the server.
  absl::StatusOr<std::string> Psql(const std::string& db,
                                   const std::string& sql);

  // For outage tests. Stop() is `pg_ctl -m immediate stop` (a crash, as far
  // as clients can tell) and keeps the data; a no-op when already stopped.
  // Restart() stops if running and starts again on the same port and data
  // directory, so Stop(); ...; Restart(); is an outage of chosen length.
  absl::Status Stop();
  absl::Status Restart();

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  explicit PostgresServer(std::string data_dir);
  // pg_ctl start on port_ (the data directory must be initialised).
  absl::Status Launch();

  const std::string data_dir_;
  const pid_t owner_;  // Forked children must not stop the parent's server.
  int port_ = 0;
  pid_t postmaster_ = 0;  // 0 when stopped.
  std::atomic<int> next_db_{1};
};

// One server per test binary, started on first use and stopped when the
// binary exits. nullptr (and the status on stderr) if it cannot start.
PostgresServer* SharedPostgresServer();

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_TESTING_POSTGRES_SERVER_H_
