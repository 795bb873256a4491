// The limits tokend puts on its public gRPC port, with gRPC 1.51's own
// knobs (issue 17). What each contains, and what none of them can (rapid
// reset, CONTINUATION floods, an oversized header block in one read, the
// listener dying on EMFILE: gRPC 1.51 has no setting for those), is
// measured in BENCHMARKS.md.
#ifndef TOKEND_SERVER_GRPC_LIMITS_H_
#define TOKEND_SERVER_GRPC_LIMITS_H_

#include <grpcpp/server_builder.h>

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tokend::server {

struct GrpcLimits {
  // SETTINGS_MAX_CONCURRENT_STREAMS: streams one connection may have open;
  // beyond it the client waits (a well-behaved one) or gets RST_STREAM.
  int max_concurrent_streams = 100;
  // The header block a request may carry (MAX_HEADER_LIST_SIZE).
  int max_metadata_bytes = 8 * 1024;
  // Memory gRPC may use for connections and calls in all, and its threads.
  size_t memory_quota_bytes = 256u << 20;
  int max_threads = 64;
  // A connection with no call this long is closed (GOAWAY): idle sockets
  // cannot pile up for ever.
  absl::Duration max_connection_idle = absl::Minutes(2);
  // Any connection is asked to reconnect after this (GOAWAY, then `grace`
  // for calls in flight), which also spreads clients over replicas.
  absl::Duration max_connection_age = absl::Minutes(30);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // Server pings on an idle connection, so a vanished peer is found.
  absl::Duration keepalive_time = absl::Minutes(1);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Client pings more often than this without data count as strikes; two
  // strikes and the connection goes (ping floods).
  absl::Duration min_client_ping_interval = absl::Seconds(10);
  int max_ping_strikes = 2;
};

// Sets `limits` on `builder` (channel arguments and a resource quota).
void ApplyGrpcLimits(const GrpcLimits& limits, grpc::ServerBuilder* builder);

// Raises the soft limit on open files to the hard one, so that connections,
// not a default 1,024, are what runs out; returns the limit now in force.
absl::StatusOr<size_t> RaiseOpenFileLimit();

}  // namespace tokend::server

#endif  // TOKEND_SERVER_GRPC_LIMITS_H_
