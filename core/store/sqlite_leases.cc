// SqliteStore: leases (schema migration 5). One process owns a SQLite data
// dir (server/data_dir.h), so its lease is always free or its own; the same
// rules as on PostgreSQL keep the keyring's code one path. The database's
// clock is this process's.

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "core/common/status_macros.h"
#include "core/store/sqlite_internal.h"
#include "core/store/sqlite_store.h"

namespace tokend::store {

using sqlite_internal::ScopedStmt;

absl::StatusOr<Lease> SqliteStore::AcquireLease(absl::string_view name,
                                                absl::string_view holder,
                                                absl::Duration ttl) {
  RETURN_IF_ERROR(CheckLeaseRequest(name, holder, ttl));
  Lock lock(this);
  Lease lease;
  RETURN_IF_ERROR(Transact([&]() -> absl::Status {
    const absl::Time now = absl::Now();
    lease = Lease{std::string(name), "", 0, absl::UnixEpoch()};
    {
      ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                       Prepared("SELECT holder, token, expires_at_us "
                                "FROM leases WHERE name = ?"));
      ScopedStmt s(db_, raw);
      RETURN_IF_ERROR(s.BindText(1, name));
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        lease.holder = s.Text(0);
        lease.token = s.Int(1);
        lease.expires_at = s.GetTime(2);
      }
    }
    const bool taken = lease.holder != holder && lease.expires_at > now;
    if (taken) return absl::OkStatus();  // Report the holder's lease.
    if (lease.holder != holder) ++lease.token;
    lease.holder = std::string(holder);
    // Whole microseconds, as stored.
    lease.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(now + ttl));
    ASSIGN_OR_RETURN(
        sqlite3_stmt * raw,
        Prepared("INSERT INTO leases (name, holder, token, expires_at_us) "
                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                 "holder = ?2, token = ?3, expires_at_us = ?4"));
    ScopedStmt s(db_, raw);
    RETURN_IF_ERROR(s.BindText(1, name));
    RETURN_IF_ERROR(s.BindText(2, holder));
    RETURN_IF_ERROR(s.BindInt(3, lease.token));
    RETURN_IF_ERROR(s.BindTime(4, lease.expires_at, "expires_at"));
    return s.Run();
  }));
  return lease;
}

absl::Status SqliteStore::ReleaseLease(absl::string_view name,
                                       absl::string_view holder) {
  Lock lock(this);
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("UPDATE leases SET expires_at_us = 0 "
                            "WHERE name = ? AND holder = ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, name));
  RETURN_IF_ERROR(s.BindText(2, holder));
  return s.Run();
}

absl::Status SqliteStore::CheckFence(const Fence& fence) {
  ASSIGN_OR_RETURN(sqlite3_stmt * raw,
                   Prepared("SELECT 1 FROM leases WHERE name = ? AND "
                            "token = ? AND expires_at_us > ?"));
  ScopedStmt s(db_, raw);
  RETURN_IF_ERROR(s.BindText(1, fence.name));
  RETURN_IF_ERROR(s.BindInt(2, fence.token));
  RETURN_IF_ERROR(s.BindTime(3, absl::Now(), "now"));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (row) return absl::OkStatus();
  return LeaseLostError(fence);
}

}  // namespace tokend::store
