// PostgresStore::OpenChangeNotifier: LISTEN tokend_changes on a connection
// of its own, outside the pool (a listening connection is held for good).
#include <memory>
#include <string>
#include <utility>

#include "core/common/status_macros.h"
#include "core/store/postgres_internal.h"
#include "core/store/postgres_store.h"

namespace tokend::store {
namespace {

class PostgresNotifier final : public ChangeNotifier {
 public:
  PostgresNotifier(std::string conninfo, absl::Duration statement_timeout)
      : conninfo_(std::move(conninfo)), statement_timeout_(statement_timeout) {}

  absl::StatusOr<bool> Wait(absl::Duration timeout) override {
    if (conn_ == nullptr || conn_->broken()) {
      conn_.reset();
      ASSIGN_OR_RETURN(std::unique_ptr<pg::Connection> conn,
                       pg::Connection::Open(conninfo_, statement_timeout_));
      RETURN_IF_ERROR(conn->ExecScript("LISTEN tokend_changes"));
      conn_ = std::move(conn);
      return true;  // Whatever was sent while not listening is unknown.
    }
    absl::StatusOr<bool> woken = conn_->WaitForNotification(timeout);
    if (!woken.ok()) conn_.reset();
    return woken;
  }

 private:
  const std::string conninfo_;
  const absl::Duration statement_timeout_;
  std::unique_ptr<pg::Connection> conn_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ChangeNotifier>>
PostgresStore::OpenChangeNotifier() const {
  if (!options_.notify) {
    return absl::FailedPreconditionError(
        "postgres: change notices are off for this store");
  }
  return std::make_unique<PostgresNotifier>(options_.conninfo,
                                            options_.statement_timeout);
}

}  // namespace tokend::store
