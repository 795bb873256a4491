// TokendServer: opens the data directory (store, master key, admin key),
// loads the keyring and serves every gRPC service, and the same services
// over REST (server/gateway) with /healthz and /metrics (server/http_front).
// main.cc only parses flags, handles signals and calls this; tests start it the
// same way through the binary.
#ifndef TOKEND_SERVER_TOKEND_SERVER_H_
#define TOKEND_SERVER_TOKEND_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "server/grpc_limits.h"
#include "server/policy/call_guard.h"

namespace tokend::server {

struct ServerOptions {
  std::string data_dir = "./var";
  std::string grpc_listen = "127.0.0.1:50051";
  std::string http_listen = "127.0.0.1:8080";
  // Defaults to http://<http_listen>.
  std::string issuer;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // "sqlite" (<data_dir>/tokend.db) or a PostgreSQL URL
  // ("postgres://…" or "postgresql://…", anything libpq accepts after the
  // scheme), shared by replicas. With PostgreSQL the issuer, the master key
  // file and the admin key file must be given and already exist: replicas
  // that each created their own would not understand one another.
  std::string store = "sqlite";
  // Defaults to <data_dir>/master.key.
  std::string master_key_file;
  // Defaults to <data_dir>/admin.key.
  std::string admin_key_file;
  // With a shared store: how soon a change made through another replica
  // (a revocation, a deletion, a key rotation) is enforced here. Past it
  // without confirmation, revocation-sensitive checks fail closed.
  absl::Duration propagation_bound = absl::Seconds(1);
  // With a shared store: changes also send a PostgreSQL NOTIFY that wakes
  // the other replicas' polls at once (the polls every bound / 5 remain the
  // floor). Off for PostgreSQL-compatible databases without NOTIFY.
  bool change_notify = true;
  // With a shared store: how long the replica doing the once-for-all work
  // (key activation and retirement, purges) holds that role without
  // renewing it. It renews every third of this; a replica that dies is
  // replaced by another within about this long.
  absl::Duration lease_ttl = absl::Seconds(10);
  // While the database is unreachable, issuance goes on from what was read
  // (API keys, authorized keys and accounts, sessions, templates) for this
  // long past each entry's cache ttl, then fails with UNAVAILABLE. Writes
  // fail at once; Verify of revocable tokens follows propagation_bound.
  absl::Duration store_outage_grace = absl::Seconds(30);
  // A Google service-account key file (JSON) whose key signs Firebase custom
  // tokens (POST /v1/me/tokens service=firebase); none when empty.
  std::string firebase_service_account;
  // Browser origins allowed to call the Frontend API routes (server/cors.h).
  std::vector<std::string> allowed_origins;
  // Longest expires_in of a scoped token (POST /auth/issue-token); at most
  // the scoped key slot's max token lifetime (a year of 365.25 days).
  absl::Duration scoped_max_expires_in = absl::Hours(8766);
  absl::Duration jwks_max_age = absl::Minutes(5);
  absl::Duration publish_lead_time = absl::Minutes(15);
  bool log_requests = true;
  // The audit log (server/audit/audit_log.h); none when empty.
  std::string audit_log;
  // The key of its HMACs; defaults to <data_dir>/audit.key, created when
  // missing (with a shared store it must exist: one key for all replicas).
  std::string audit_key_file;
  // The public gRPC port's limits (server/grpc_limits.h).
  GrpcLimits grpc_limits;
  // Serve the public gRPC port through tokend's own HTTP/2 front
  // (server/grpc_front/proxy.h, on libnghttp2) rather than gRPC's listener,
  // which then binds nothing: gRPC 1.51's HTTP/2 stack has no defence
  // against rapid reset, CONTINUATION floods or a failed accept.
  bool grpc_front = true;
  // Networks of TCP load balancers that may send a PROXY protocol header
  // (server/http/http_server.h), on both ports.
  std::vector<std::string> trusted_proxies;
  // Rate limits and lockout (server/policy/call_guard.h).
  GuardOptions guard = GuardOptions::Defaults();
};

class TokendServer {
 public:
  static absl::StatusOr<std::unique_ptr<TokendServer>> Start(
      ServerOptions options, const Clock* clock = RealClock::Get());
  ~TokendServer();

  // host:port actually bound (port 0 resolved).
  const std::string& grpc_address() const;
  // The REST gateway's host:port (port 0 resolved).
  const std::string& http_address() const;
  const std::string& issuer() const;

  // Takes or renews the maintenance lease; as its holder, advances key
  // rotation states and forgets revocations of expired tokens, otherwise
  // re-reads the keys. Called periodically by main.
  absl::Status Maintain();
  // When Maintain() next has work (InfiniteFuture when nothing is due).
  absl::Time NextMaintenance() const;

  // Says it is going away while still serving everything: health turns
  // NOT_SERVING (gRPC health and /healthz 503) for good, and every REST
  // response closes its connection. A balancer polling health then moves
  // traffic away before Shutdown closes the listeners.
  void Drain();
  // Stops accepting calls, lets in-flight ones finish within `grace`.
  // Drains first if Drain was not called.
  void Shutdown(absl::Duration grace);
  // Opens the audit log's path anew (SIGHUP, after a rotation); OK without
  // one.
  absl::Status ReopenAuditLog();

 private:
  struct State;
  explicit TokendServer(std::unique_ptr<State> state);
  // Health NOT_SERVING while, with a shared store, the store has been out
  // of reach past the outage grace, or the audit log's last write failed;
  // SERVING again once both are well.
  void UpdateHealth();
  std::unique_ptr<State> state_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_TOKEND_SERVER_H_
