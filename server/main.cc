// tokend: issues short-lived tokens over gRPC. Flags as in DESIGN.md §2.5a.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/grpc_limits.h"
#include "server/tokend_server.h"

ABSL_FLAG(std::string, data_dir, "./var",
          "SQLite database, master key and admin.key; created if missing");
ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:50051",
          "gRPC address; port 0 picks a free port");
ABSL_FLAG(std::string, http_listen, "127.0.0.1:8080",
          "REST gateway address (served once the gateway exists); also the "
          "default issuer's host");
ABSL_FLAG(std::string, issuer, "",
          "iss of every token; default http://<http_listen>");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain for TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for TLS");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; when set, clients must present a certificate (mTLS)");
ABSL_FLAG(std::string, store, "sqlite",
          "\"sqlite\" (one process, <data_dir>/tokend.db) or a PostgreSQL "
          "URL postgres://… shared by replicas (then --issuer, "
          "--master_key_file and --admin_key_file are required and must "
          "exist)");
ABSL_FLAG(std::string, master_key_file, "",
          "32-byte key sealing private keys; default <data_dir>/master.key");
ABSL_FLAG(std::string, admin_key_file, "",
          "the admin credential; default <data_dir>/admin.key");
ABSL_FLAG(absl::Duration, propagation_bound, absl::Seconds(1),
          "with a shared store: changes made through other replicas are "
          "enforced here within this; past it unconfirmed, revocation checks "
          "fail closed (UNAVAILABLE)");
ABSL_FLAG(bool, change_notify, true,
          "with a shared store: wake the other replicas with LISTEN/NOTIFY "
          "as soon as a change commits (polling every propagation_bound/5 "
          "stays the floor); false for databases without NOTIFY");
ABSL_FLAG(absl::Duration, lease_ttl, absl::Seconds(10),
          "with a shared store: how long the replica that activates and "
          "retires keys and purges holds that role without renewing it "
          "(renewed every third of it); another takes over within about "
          "this long after it dies");
ABSL_FLAG(absl::Duration, store_outage_grace, absl::Seconds(30),
          "while the database is unreachable, issuance goes on from what was "
          "last read for this long, then fails with UNAVAILABLE");
ABSL_FLAG(std::string, ready_file, "",
          "once serving, write {\"grpc\":\"host:port\"} here");
ABSL_FLAG(absl::Duration, jwks_max_age, absl::Minutes(5),
          "Cache-Control max-age of the JWKS");
ABSL_FLAG(absl::Duration, publish_lead_time, absl::Minutes(15),
          "how long a new key is published before it signs (>= jwks_max_age)");
ABSL_FLAG(std::vector<std::string>, allowed_origins, {},
          "browser origins (scheme://host[:port], comma-separated) that may "
          "call the Frontend API routes (/v1/client/..., /v1/me/...): CORS");
ABSL_FLAG(std::string, firebase_service_account, "",
          "Google service-account key file (JSON) that signs Firebase custom "
          "tokens (/v1/me/tokens service=firebase)");
ABSL_FLAG(absl::Duration, scoped_max_expires_in, absl::Hours(8766),
          "longest expires_in of a scoped token (POST /auth/issue-token); "
          "at most 8766h, a year of 365.25 days");
ABSL_FLAG(bool, log_requests, true, "one JSON log line per request on stderr");
ABSL_FLAG(std::string, audit_log, "",
          "append the audit log here: one JSON line per administrative "
          "change, token issued and revocation, and per-minute aggregates of "
          "refused calls, chained by keyed HMACs (tokenctl audit verify); "
          "reopened on SIGHUP");
ABSL_FLAG(std::string, audit_key_file, "",
          "the audit log's HMAC key; default <data_dir>/audit.key, created "
          "if missing (with a shared store it must exist)");
ABSL_FLAG(std::vector<std::string>, trusted_proxies, {},
          "comma-separated networks (CIDR) of load balancers: their "
          "connections may start with a PROXY protocol header, and their "
          "X-Forwarded-For (REST and gRPC) is believed, to name the client");
ABSL_FLAG(bool, grpc_front, true,
          "serve --grpc_listen through tokend's own HTTP/2 front (libnghttp2) "
          "instead of gRPC's listener");
ABSL_FLAG(std::string, rate_limits, "",
          "per-class rate limits over the defaults, as CLASS=N/PERIOD or "
          "CLASS=off, comma-separated; classes: admin, clerk_backend (per "
          "secret key; default 1000/10s), clerk_frontend (per client "
          "address; 600/1m), courier (per scoped key; 1000/10s), iam (per "
          "address, or per caller with a token; 500/10s), verify (per "
          "address; 10000/10s), all. Per replica: N replicas admit up to N "
          "times as much");
ABSL_FLAG(std::string, lockout, "100/6s",
          "brute-force lockout per client address: BUDGET/REFILL (a budget "
          "of failed credential checks, one forgiven every REFILL; spending "
          "it locks the address out for 30 s, doubling up to 15 min) or off");
ABSL_FLAG(absl::Duration, drain_delay, absl::Seconds(5),
          "on SIGTERM, how long health reports NOT_SERVING (/healthz 503) "
          "while everything is still served, before the listeners close; "
          "longer than the balancer's health-check period. A second signal "
          "ends it early");

namespace {

constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
// Key maintenance runs when a transition is due, and at least this often (to
// pick up rotations made by other processes sharing the store).
constexpr absl::Duration kMaxMaintenanceInterval = absl::Seconds(5);
constexpr absl::Duration kMinMaintenanceInterval = absl::Milliseconds(50);

bool WriteReadyFile(const std::string& path, const std::string& grpc,
                    const std::string& http) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << absl::StrFormat("{\"grpc\":\"%s\",\"http\":\"%s\"}\n", grpc, http);
    if (!out.good()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex deadlock
  // detection: a global graph updated on every lock, measurable per call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage("tokend: a short-lived token service");
  absl::ParseCommandLine(argc, argv);
  // The data directory holds sealed keys and credential hashes: nothing
  // tokend creates is for other users.
  umask(077);

  // Signals are taken synchronously by this thread; block them before gRPC
  // starts its threads so they inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // reopen the audit log
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Connections, not a default soft limit of 1,024 files, are what should
  // run out (HTTP's max_connections is below any usual hard limit).
  absl::StatusOr<size_t> open_files = tokend::server::RaiseOpenFileLimit();
  if (!open_files.ok()) {
    std::fprintf(
        stderr,
        "{\"msg\":\"cannot raise the open-file limit\",\"error\":\"%s\"}\n",
        std::string(open_files.status().message()).c_str());
  }

  tokend::server::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  options.http_listen = absl::GetFlag(FLAGS_http_listen);
  options.issuer = absl::GetFlag(FLAGS_issuer);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  options.store = absl::GetFlag(FLAGS_store);
  options.master_key_file = absl::GetFlag(FLAGS_master_key_file);
  options.admin_key_file = absl::GetFlag(FLAGS_admin_key_file);
  options.propagation_bound = absl::GetFlag(FLAGS_propagation_bound);
  options.lease_ttl = absl::GetFlag(FLAGS_lease_ttl);
  options.change_notify = absl::GetFlag(FLAGS_change_notify);
  options.store_outage_grace = absl::GetFlag(FLAGS_store_outage_grace);
  options.jwks_max_age = absl::GetFlag(FLAGS_jwks_max_age);
  options.publish_lead_time = absl::GetFlag(FLAGS_publish_lead_time);
  options.log_requests = absl::GetFlag(FLAGS_log_requests);
  options.audit_log = absl::GetFlag(FLAGS_audit_log);
  options.audit_key_file = absl::GetFlag(FLAGS_audit_key_file);
  options.grpc_front = absl::GetFlag(FLAGS_grpc_front);
  options.trusted_proxies = absl::GetFlag(FLAGS_trusted_proxies);
  options.scoped_max_expires_in = absl::GetFlag(FLAGS_scoped_max_expires_in);
  options.firebase_service_account =
      absl::GetFlag(FLAGS_firebase_service_account);
  options.allowed_origins = absl::GetFlag(FLAGS_allowed_origins);

  if (absl::Status s = options.guard.SetRates(absl::GetFlag(FLAGS_rate_limits));
      !s.ok()) {
    std::fprintf(stderr, "tokend: --rate_limits: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  absl::StatusOr<tokend::limits::LockoutOptions> lockout =
      tokend::limits::ParseLockout(absl::GetFlag(FLAGS_lockout));
  if (!lockout.ok()) {
    std::fprintf(stderr, "tokend: --lockout: %s\n",
                 std::string(lockout.status().message()).c_str());
    return 1;
  }
  options.guard.lockout = *lockout;

  auto server = tokend::server::TokendServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "tokend: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr,
               "{\"msg\":\"serving\",\"grpc\":\"%s\",\"http\":\"%s\","
               "\"issuer\":\"%s\"}\n",
               (*server)->grpc_address().c_str(),
               (*server)->http_address().c_str(), (*server)->issuer().c_str());
  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty() &&
      !WriteReadyFile(ready_file, (*server)->grpc_address(),
                      (*server)->http_address())) {
    std::fprintf(stderr, "tokend: cannot write %s\n", ready_file.c_str());
    return 1;
  }

  while (true) {
    const absl::Duration wait =
        std::clamp((*server)->NextMaintenance() - absl::Now(),
                   kMinMaintenanceInterval, kMaxMaintenanceInterval);
    const timespec tick = absl::ToTimespec(wait);
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      absl::Status reopened = (*server)->ReopenAuditLog();
      if (!reopened.ok()) {
        std::fprintf(stderr,
                     "{\"msg\":\"cannot reopen the audit log\","
                     "\"error\":\"%s\"}\n",
                     std::string(reopened.message()).c_str());
      }
    }
    absl::Status maintained = (*server)->Maintain();
    if (!maintained.ok()) {
      std::fprintf(stderr,
                   "{\"msg\":\"key maintenance failed\",\"error\":\"%s\"}\n",
                   std::string(maintained.message()).c_str());
    }
  }
  std::fprintf(stderr, "{\"msg\":\"draining\"}\n");
  (*server)->Drain();
  const absl::Duration drain_delay = absl::GetFlag(FLAGS_drain_delay);
  if (drain_delay > absl::ZeroDuration()) {
    const timespec delay = absl::ToTimespec(drain_delay);
    (void)sigtimedwait(&signals, nullptr, &delay);
  }
  (*server)->Shutdown(kShutdownGrace);
  std::fprintf(stderr, "{\"msg\":\"stopped\"}\n");
  return 0;
}
