// PostgresStore: leases (schema migration 3), timed by the database's clock
// (clock_timestamp(), not the transaction's start), so replicas' clocks never
// decide who leads. Row locks, not advisory locks (which CockroachDB stubs),
// order a takeover against a fenced write.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/store/postgres_internal.h"
#include "core/store/postgres_store.h"

namespace tokend::store {

using pg::Connection;
using pg::Params;
using pg::Result;

namespace {
constexpr char kNowMicros[] =
    "(extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT";
}  // namespace

absl::StatusOr<Lease> PostgresStore::AcquireLease(absl::string_view name,
                                                  absl::string_view holder,
                                                  absl::Duration ttl) {
  RETURN_IF_ERROR(CheckLeaseRequest(name, holder, ttl));
  static const std::string* const kSelect = new std::string(
      absl::StrCat("SELECT holder, token, expires_at_us, ", kNowMicros,
                   " FROM leases WHERE name = $1 FOR UPDATE"));
  Lease lease;
  RETURN_IF_ERROR(pool_->Transact([&](Connection& conn) -> absl::Status {
    // The row exists before it is locked, so two first acquirers queue on
    // its lock instead of racing on the insert.
    RETURN_IF_ERROR(conn.Exec("INSERT INTO leases (name, holder, token, "
                              "expires_at_us) VALUES ($1, '', 0, 0) "
                              "ON CONFLICT (name) DO NOTHING",
                              Params().Text(name))
                        .status());
    ASSIGN_OR_RETURN(Result r, conn.Exec(*kSelect, Params().Text(name)));
    if (r.rows() != 1) return absl::InternalError("lease row vanished");
    lease = Lease{std::string(name), r.Text(0, 0), r.Int(0, 1), r.Time(0, 2)};
    const absl::Time now = r.Time(0, 3);
    if (lease.holder != holder && lease.expires_at > now) {
      return absl::OkStatus();  // Another's: report it.
    }
    if (lease.holder != holder) ++lease.token;
    lease.holder = std::string(holder);
    // Whole microseconds, as stored.
    lease.expires_at = absl::FromUnixMicros(absl::ToUnixMicros(now + ttl));
    return conn
        .Exec(
            "UPDATE leases SET holder = $2, token = $3, expires_at_us = $4 "
            "WHERE name = $1",
            Params()
                .Text(name)
                .Text(holder)
                .Int(lease.token)
                .Time(lease.expires_at, "expires_at"))
        .status();
  }));
  return lease;
}

absl::Status PostgresStore::ReleaseLease(absl::string_view name,
                                         absl::string_view holder) {
  return pool_->Run([&](Connection& conn) {
    return conn
        .Exec(
            "UPDATE leases SET expires_at_us = 0 "
            "WHERE name = $1 AND holder = $2",
            Params().Text(name).Text(holder))
        .status();
  });
}

absl::Status PostgresStore::CheckFence(Connection& conn, const Fence& fence) {
  // FOR SHARE: a takeover's FOR UPDATE waits until this write commits.
  static const std::string* const kSql = new std::string(
      absl::StrCat("SELECT 1 FROM leases WHERE name = $1 AND token = $2 AND "
                   "expires_at_us > ",
                   kNowMicros, " FOR SHARE"));
  ASSIGN_OR_RETURN(
      Result r, conn.Exec(*kSql, Params().Text(fence.name).Int(fence.token)));
  if (r.rows() == 1) return absl::OkStatus();
  return LeaseLostError(fence);
}

}  // namespace tokend::store
