#include "server/tokend_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/audit/audit_chain.h"
#include "core/auth/api_keys.h"
#include "core/auth/secret_file.h"
#include "core/auth/secrets.h"
#include "core/common/files.h"
#include "core/common/net.h"
#include "core/common/status_macros.h"
#include "core/iam/iam_token_issuer.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/keys/keyring.h"
#include "core/keys/master_key.h"
#include "core/keys/sealer.h"
#include "core/scoped/scoped_token_issuer.h"
#include "core/sessions/firebase_custom_token.h"
#include "core/sessions/session_tokens.h"
#include "core/store/change_notifier.h"
#include "core/store/postgres_store.h"
#include "core/store/sqlite_store.h"
#include "core/verify/token_verifier.h"
#include "grpc/health/v1/health.pb.h"
#include "server/api_key_service.h"
#include "server/audit/audit_log.h"
#include "server/auth.h"
#include "server/cache_invalidator.h"
#include "server/data_dir.h"
#include "server/gateway/gateway.h"
#include "server/gateway/json_string.h"
#include "server/grpc_front/proxy.h"
#include "server/grpc_limits.h"
#include "server/http/http_server.h"
#include "server/http_front.h"
#include "server/iam_admin_services.h"
#include "server/iam_token_service.h"
#include "server/keyring_service.h"
#include "server/metrics.h"
#include "server/policy/call_guard.h"
#include "server/policy/declared_policy.h"
#include "server/replica_sync.h"
#include "server/request_log.h"
#include "server/scoped_token_service.h"
#include "server/served_services.h"
#include "server/session_services.h"
#include "server/verification_service.h"

namespace tokend::server {

struct TokendServer::State {
  // Declared first so it is released last, after the store is closed.
  std::optional<DataDirLock> data_dir_lock;
  ServerOptions options;
  const Clock* clock = nullptr;
  std::string grpc_address;
  std::unique_ptr<store::Backend> store;
  std::unique_ptr<keys::Sealer> sealer;
  std::unique_ptr<keys::Keyring> keyring;
  std::unique_ptr<AdminAuthenticator> admin;
  std::unique_ptr<auth::ApiKeyManager> api_keys;
  std::unique_ptr<verify::TokenVerifier> verifier;
  std::unique_ptr<iam::SaJwtChecker> sa_jwt_checker;
  std::unique_ptr<iam::IamTokenIssuer> iam_issuer;
  std::unique_ptr<sessions::SessionTokenIssuer> session_issuer;
  sessions::AuthorizedParties parties;  // --allowed_origins
  std::unique_ptr<sessions::ClientHandshake> handshake;
  std::unique_ptr<scoped::ScopedTokenIssuer> scoped_issuer;
  // Admits every call under its method's declared policy.
  std::unique_ptr<CallGuard> guard;
  // Drops cached copies of what changed: this process's commits (the store's
  // observer) and, with a shared store, other replicas' (`sync`).
  std::unique_ptr<CacheInvalidator> caches;
  // With a shared store; stopped before the caches it invalidates go.
  std::unique_ptr<ReplicaSync> sync;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<Metrics> metrics;
  // With --audit_log; outlives the server (the guard writes to it) and the
  // failure log (whose last aggregates go to it).
  std::unique_ptr<AuditLog> audit;
  // With --log_requests or --audit_log; outlives the server, whose
  // interceptors use it.
  std::unique_ptr<FailureLog> failure_log;
  std::unique_ptr<grpc::Server> server;
  std::string http_address;
  // Declared after `server`: destroyed first, since its requests call into
  // the gRPC side.
  std::unique_ptr<HttpFront> http_front;
  std::unique_ptr<http::HttpServer> http_server;
  // With ServerOptions::grpc_front: the public gRPC port.
  std::unique_ptr<grpc_front::GrpcProxy> grpc_proxy;
  std::unique_ptr<http::HttpServer> grpc_front;
  absl::Time last_purge = absl::InfinitePast();
  // This process among the replicas: the maintenance lease's holder name.
  std::string replica_id;
  std::atomic<bool> leader{false};
  absl::Time last_maintained = absl::InfinitePast();
  // What health last said, and why (main's thread only: Maintain and
  // ReopenAuditLog).
  bool store_serving = true;
  bool audit_serving = true;
  bool serving = true;
};

namespace {

// A request message at most, on either port (REST bodies have their own
// limit, HttpServerOptions::max_body_bytes).
constexpr int kMaxRequestMessageBytes = 64 * 1024;

bool IsPostgresUrl(absl::string_view store) {
  return absl::StartsWith(store, "postgres://") ||
         absl::StartsWith(store, "postgresql://");
}

// The shared store and, with --change_notify, the wake-up for its feed.
absl::Status OpenSharedStore(const ServerOptions& options,
                             std::unique_ptr<store::Backend>* store,
                             std::unique_ptr<store::ChangeNotifier>* notifier) {
  store::PostgresStore::Options pg;
  pg.conninfo = options.store;
  pg.notify = options.change_notify;
  ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresStore> opened,
                   store::PostgresStore::Open(std::move(pg)));
  if (options.change_notify) {
    ASSIGN_OR_RETURN(*notifier, opened->OpenChangeNotifier());
  }
  *store = std::move(opened);
  return absl::OkStatus();
}

absl::Status EnsureDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot create data directory ", path, ": ", std::strerror(errno)));
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (options.tls_cert.empty()) {
    if (!options.tls_client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca needs --tls_cert and --tls_key");
    }
    if (!IsLoopbackHostPort(options.grpc_listen)) {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing plaintext on non-loopback address ",
                       options.grpc_listen, "; give --tls_cert and --tls_key"));
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl(
      options.tls_client_ca.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ASSIGN_OR_RETURN(std::string cert, ReadFileToString(options.tls_cert));
  ASSIGN_OR_RETURN(std::string key, ReadPrivateFile(options.tls_key));
  ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  if (!options.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs,
                     ReadFileToString(options.tls_client_ca));
  }
  return grpc::SslServerCredentials(ssl);
}

// The HTTP side takes the same TLS flags as gRPC, and the same refusal of
// plaintext off loopback.
absl::StatusOr<http::HttpServerOptions> HttpOptions(
    const ServerOptions& options) {
  http::HttpServerOptions http;
  http.listen = options.http_listen;
  http.trusted_proxies = options.trusted_proxies;
  if (options.tls_cert.empty()) {
    if (!IsLoopbackHostPort(options.http_listen)) {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing plaintext on non-loopback address ",
                       options.http_listen, "; give --tls_cert and --tls_key"));
    }
    return http;
  }
  ASSIGN_OR_RETURN(http.tls_cert_pem, ReadFileToString(options.tls_cert));
  ASSIGN_OR_RETURN(http.tls_key_pem, ReadPrivateFile(options.tls_key));
  if (!options.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(http.tls_client_ca_pem,
                     ReadFileToString(options.tls_client_ca));
  }
  return http;
}

// Every service the gRPC server answers: ours, health and reflection.
std::vector<const google::protobuf::ServiceDescriptor*> AllServices() {
  std::vector<const google::protobuf::ServiceDescriptor*> services =
      ServedServices();
  services.push_back(grpc::health::v1::HealthCheckRequest::descriptor()
                         ->file()
                         ->FindServiceByName("Health"));
  services.push_back(
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "grpc.reflection.v1alpha.ServerReflection"));
  return services;
}

// The public gRPC port on tokend's HTTP/2 front, forwarding to `state`'s
// in-process channel; returns the bound port. `http` carries the TLS
// material (the same files as the REST port).
absl::StatusOr<int> StartGrpcFront(
    const ServerOptions& options, const http::HttpServerOptions& http,
    grpc::Server* server, std::unique_ptr<grpc_front::GrpcProxy>* proxy,
    std::unique_ptr<http::HttpServer>* listener) {
  grpc_front::GrpcProxyOptions proxy_options;
  proxy_options.channel = server->InProcessChannel(grpc::ChannelArguments());
  proxy_options.max_message_bytes = kMaxRequestMessageBytes;
  proxy_options.services = AllServices();
  for (const std::string& network : options.trusted_proxies) {
    ASSIGN_OR_RETURN(http::Cidr cidr, http::Cidr::Parse(network));
    proxy_options.trusted_proxies.push_back(std::move(cidr));
  }
  *proxy = std::make_unique<grpc_front::GrpcProxy>(std::move(proxy_options));
  http::HttpServerOptions front;
  front.listen = options.grpc_listen;
  front.tls_cert_pem = http.tls_cert_pem;
  front.tls_key_pem = http.tls_key_pem;
  front.tls_client_ca_pem = http.tls_client_ca_pem;
  front.trusted_proxies = http.trusted_proxies;
  const GrpcLimits& limits = options.grpc_limits;
  front.max_header_bytes = static_cast<size_t>(limits.max_metadata_bytes);
  front.h2_max_concurrent_streams = limits.max_concurrent_streams;
  front.idle_timeout = limits.max_connection_idle;
  ASSIGN_OR_RETURN(*listener,
                   http::HttpServer::StartH2(std::move(front), proxy->get()));
  return (*listener)->port();
}

// Every method the server answers, and which of them issue tokens of which
// kind.
MetricsOptions MetricsFor(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  MetricsOptions options;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      options.methods.push_back(absl::StrCat("/", service->full_name(), "/",
                                             service->method(i)->name()));
    }
  }
  options.token_kinds = {
      {"/yandex.cloud.iam.v1.IamTokenService/Create", "iam"},
      {"/yandex.cloud.iam.v1.IamTokenService/CreateForServiceAccount", "iam"},
      {"/tokend.sessions.v1.SessionTokenService/CreateSessionToken", "session"},
      {"/tokend.sessions.v1.SessionTokenService/"
       "CreateSessionTokenFromTemplate",
       "session_template"},
      {"/tokend.sessions.v1.SessionTokenService/CreateClientSessionToken",
       "session"},
      {"/tokend.sessions.v1.SessionTokenService/"
       "CreateClientSessionTokenFromTemplate",
       "session_template"},
      {"/tokend.sessions.v1.SessionTokenService/CreateServiceToken", "service"},
      {"/tokend.scoped.v1.ScopedTokenService/IssueToken", "scoped"},
  };
  return options;
}

// The lease whose holder does the once-for-all maintenance.
constexpr char kMaintenanceLease[] = "maintenance";

// host/pid/random: unique among replicas, and says to an operator reading
// the leases table which process leads.
std::string NewReplicaId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  uint8_t random[6];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    std::memset(random, 0, sizeof(random));
  }
  return absl::StrCat(
      host, "/", getpid(), "/",
      absl::BytesToHexString(absl::string_view(
          reinterpret_cast<const char*>(random), sizeof(random))));
}

void AppendLeaderGauge(bool leader, std::string* out) {
  absl::StrAppend(out,
                  "# HELP tokend_maintenance_leader 1 if this replica holds "
                  "the maintenance lease (activates and retires keys, "
                  "purges).\n"
                  "# TYPE tokend_maintenance_leader gauge\n"
                  "tokend_maintenance_leader ",
                  leader ? 1 : 0, "\n");
}

// With a shared store: how current this replica is, against the grace.
void AppendStoreGauges(const ReplicaSync& sync, absl::Duration grace,
                       std::string* out) {
  absl::StrAppend(
      out,
      "# HELP tokend_change_feed_lag_seconds Age of what this replica knows "
      "of the shared store (since its last complete read of the change "
      "feed).\n"
      "# TYPE tokend_change_feed_lag_seconds gauge\n"
      "tokend_change_feed_lag_seconds ",
      absl::ToDoubleSeconds(sync.Lag()),
      "\n"
      "# HELP tokend_change_feed_current 1 while the lag is within the "
      "propagation bound; 0 means revocation checks fail closed.\n"
      "# TYPE tokend_change_feed_current gauge\n"
      "tokend_change_feed_current ",
      sync.IsCurrent() ? 1 : 0,
      "\n"
      "# HELP tokend_store_outage_grace_seconds How long issuance goes on "
      "from cached reads while the store is unreachable.\n"
      "# TYPE tokend_store_outage_grace_seconds gauge\n"
      "tokend_store_outage_grace_seconds ",
      absl::ToDoubleSeconds(grace), "\n");
}

// Gauges read at scrape time: keys per slot and state.
void AppendKeyringGauges(const keys::Keyring& keyring, std::string* out) {
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const keys::KeyInfo& key : keyring.List()) {
    ++counts[{key.slot, std::string(store::KeyStateName(key.state))}];
  }
  *out +=
      "# HELP tokend_signing_keys Signing keys in the keyring, by slot and "
      "state.\n"
      "# TYPE tokend_signing_keys gauge\n";
  for (const auto& [key, n] : counts) {
    absl::StrAppend(out, "tokend_signing_keys{slot=\"", key.first,
                    "\",state=\"", key.second, "\"} ", n, "\n");
  }
}

// Errors name the file, never its contents.
absl::StatusOr<std::shared_ptr<const sessions::FirebaseTokenSigner>>
LoadFirebaseServiceAccount(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("--firebase_service_account: cannot open ", path));
  }
  if (static_cast<size_t>(st.st_size) > sessions::kMaxServiceAccountFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--firebase_service_account: ", path, " is larger than ",
                     sessions::kMaxServiceAccountFileBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(std::string json, ReadFileToString(path));
  absl::StatusOr<std::unique_ptr<sessions::FirebaseTokenSigner>> signer =
      sessions::FirebaseTokenSigner::FromKeyFile(json);
  if (!signer.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--firebase_service_account ", path, ": ", signer.status().message()));
  }
  return std::shared_ptr<const sessions::FirebaseTokenSigner>(
      *std::move(signer));
}

// "host:port" with the port the server actually bound.
std::string BoundAddress(absl::string_view listen, int port) {
  size_t colon = listen.rfind(':');
  return absl::StrCat(listen.substr(0, colon), ":", port);
}

}  // namespace

TokendServer::TokendServer(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

TokendServer::~TokendServer() { Shutdown(absl::ZeroDuration()); }

namespace {

// The audit log, its key loaded or (single process) created.
absl::StatusOr<std::unique_ptr<AuditLog>> OpenAuditLog(
    const ServerOptions& options, bool shared_store, const Clock* clock) {
  const std::string key_file = options.audit_key_file.empty()
                                   ? options.data_dir + "/audit.key"
                                   : options.audit_key_file;
  ASSIGN_OR_RETURN(
      std::string secret,
      auth::LoadOrCreateSecretFile(
          key_file, [&]() -> absl::StatusOr<std::string> {
            if (shared_store) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "--audit_key_file ", key_file,
                  " does not exist; with a shared store every replica is "
                  "given the same audit key file, so their HMACs agree"));
            }
            return auth::GenerateSecret("tkau_");
          }));
  absl::StatusOr<audit::AuditKeys> keys = audit::AuditKeys::FromSecret(secret);
  auth::WipeSecret(secret);
  if (!keys.ok()) return keys.status();
  return AuditLog::Open(options.audit_log, *std::move(keys), clock);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokendServer>> TokendServer::Start(
    ServerOptions options, const Clock* clock) {
  auto state = std::make_unique<State>();
  state->clock = clock;
  // A served method without a declared policy would be open by omission.
  RETURN_IF_ERROR(CheckDeclared(ServedServices()));
  ASSIGN_OR_RETURN(auto credentials, Credentials(options));
  ASSIGN_OR_RETURN(http::HttpServerOptions http_options, HttpOptions(options));
  // The gRPC front takes the same TLS material.
  const http::HttpServerOptions tls_material = http_options;
  // Before any port is bound: a second process on this data directory is
  // refused with nothing else touched.
  RETURN_IF_ERROR(EnsureDirectory(options.data_dir));
  ASSIGN_OR_RETURN(std::vector<std::string> warnings,
                   CheckDataDirPermissions(options.data_dir));
  for (const std::string& warning : warnings) {
    std::string line = "{\"msg\":\"warning\",\"detail\":";
    gateway::AppendJsonStringLossy(warning, &line);
    std::fprintf(stderr, "%s}\n", line.c_str());
  }
  ASSIGN_OR_RETURN(DataDirLock lock, DataDirLock::Acquire(options.data_dir));
  state->data_dir_lock.emplace(std::move(lock));
  // HTTP listens first: the default issuer is its bound address. Requests get
  // 503 until the backends are attached below.
  state->http_front = std::make_unique<HttpFront>();
  ASSIGN_OR_RETURN(state->http_server,
                   http::HttpServer::Start(std::move(http_options),
                                           state->http_front.get()));
  state->http_address =
      BoundAddress(options.http_listen, state->http_server->port());
  if (options.issuer.empty() && IsPostgresUrl(options.store)) {
    // Replicas behind one balancer must sign with one public issuer, which
    // no replica can guess from its own listen address.
    return absl::InvalidArgumentError(
        "--issuer is required with a shared store: the one public URL of "
        "all replicas");
  }
  if (!IsPostgresUrl(options.store)) {
    ASSIGN_OR_RETURN(options.issuer,
                     ResolveIssuer(options.data_dir, options.issuer,
                                   DefaultIssuer(!options.tls_cert.empty(),
                                                 state->http_address)));
  }
  if (options.master_key_file.empty()) {
    options.master_key_file = options.data_dir + "/master.key";
  }
  if (options.admin_key_file.empty()) {
    options.admin_key_file = options.data_dir + "/admin.key";
  }
  const bool shared_store = IsPostgresUrl(options.store);
  if (options.store_outage_grace < absl::ZeroDuration() ||
      options.store_outage_grace > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "--store_outage_grace: between 0 and 1 hour");
  }
  if (options.lease_ttl < absl::Seconds(1) ||
      options.lease_ttl > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "--lease_ttl: between 1 second and 1 hour");
  }
  state->replica_id = NewReplicaId();
  if (options.store != "sqlite" && !shared_store) {
    return absl::InvalidArgumentError(
        "--store: \"sqlite\" or a postgres:// (postgresql://) URL");
  }

  std::string master_key;
  std::unique_ptr<store::ChangeNotifier> notifier;
  if (shared_store) {
    RETURN_IF_ERROR(OpenSharedStore(options, &state->store, &notifier));
    ASSIGN_OR_RETURN(master_key, keys::LoadMasterKey(options.master_key_file));
  } else {
    ASSIGN_OR_RETURN(state->store,
                     store::SqliteStore::Open(options.data_dir + "/tokend.db"));
    ASSIGN_OR_RETURN(master_key,
                     keys::LoadOrCreateMasterKey(options.master_key_file));
  }
  store::Backend* const db = state->store.get();
  if (shared_store) {
    // Positioned at the feed's end before any cache loads, so no change
    // committed from here on is missed.
    ASSIGN_OR_RETURN(state->sync,
                     ReplicaSync::Create(db, clock, options.propagation_bound));
  }
  ASSIGN_OR_RETURN(state->sealer, keys::Sealer::Create(master_key));
  keys::KeyringOptions keyring_options;
  keyring_options.jwks_max_age = options.jwks_max_age;
  keyring_options.publish_lead_time = options.publish_lead_time;
  if (shared_store) {
    keyring_options.propagation_bound = options.propagation_bound;
  }
  ASSIGN_OR_RETURN(state->keyring,
                   keys::Keyring::Open(state->store.get(), state->sealer.get(),
                                       keyring_options, clock));

  ASSIGN_OR_RETURN(
      std::string admin_key,
      auth::LoadOrCreateSecretFile(
          options.admin_key_file,
          [shared_store, &options]() -> absl::StatusOr<std::string> {
            if (shared_store) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "--admin_key_file ", options.admin_key_file,
                  " does not exist; with a shared store every replica is "
                  "given the same admin key file"));
            }
            return auth::GenerateSecret("tka_");
          }));
  state->admin = std::make_unique<AdminAuthenticator>(admin_key);
  auth::WipeSecret(admin_key);  // only its hash is kept
  if (!options.audit_log.empty()) {
    ASSIGN_OR_RETURN(state->audit, OpenAuditLog(options, shared_store, clock));
  }
  state->api_keys = std::make_unique<auth::ApiKeyManager>(
      state->store.get(), clock, absl::Seconds(5), options.store_outage_grace);
  ASSIGN_OR_RETURN(verify::TokenVerifier verifier,
                   verify::TokenVerifier::Create(state->keyring.get(),
                                                 options.issuer, clock));
  state->verifier =
      std::make_unique<verify::TokenVerifier>(std::move(verifier));

  iam::SaJwtCheckerOptions checker_options;
  checker_options.audiences =
      iam::SaJwtCheckerOptions::DefaultAudiences(options.issuer);
  checker_options.outage_grace = options.store_outage_grace;
  ASSIGN_OR_RETURN(state->sa_jwt_checker,
                   iam::SaJwtChecker::Create(state->store.get(), clock,
                                             std::move(checker_options)));
  iam::IamTokenIssuerOptions issuer_options;
  issuer_options.issuer = options.issuer;
  issuer_options.outage_grace = options.store_outage_grace;
  ASSIGN_OR_RETURN(
      state->iam_issuer,
      iam::IamTokenIssuer::Create(
          {/*accounts=*/db, /*oauth_tokens=*/db, /*revocations=*/db},
          state->keyring.get(), clock, std::move(issuer_options)));
  // Verify rejects revoked IAM tokens (set before serving starts).
  // A replica that cannot confirm it knows every revocation refuses rather
  // than trust what it has.
  state->verifier->SetRevocationCheck(
      [issuer = state->iam_issuer.get(), sync = state->sync.get()](
          absl::string_view jti) -> absl::StatusOr<bool> {
        if (sync != nullptr && !sync->IsCurrent()) return sync->NotCurrent();
        return issuer->IsRevoked(jti);
      });

  sessions::SessionTokenOptions session_options;
  session_options.issuer = options.issuer;
  session_options.outage_grace = options.store_outage_grace;
  if (!options.firebase_service_account.empty()) {
    ASSIGN_OR_RETURN(
        session_options.firebase,
        LoadFirebaseServiceAccount(options.firebase_service_account));
  }
  ASSIGN_OR_RETURN(
      state->session_issuer,
      sessions::SessionTokenIssuer::Create(
          {/*sessions=*/db, /*users=*/db, /*templates=*/db},
          state->keyring.get(), state->sealer.get(), clock, session_options));
  // Verify rejects session tokens of sessions no longer active.
  state->verifier->SetSessionCheck(
      [issuer = state->session_issuer.get(),
       sync = state->sync.get()](absl::string_view sid) -> absl::Status {
        if (sync != nullptr && !sync->IsCurrent()) return sync->NotCurrent();
        return issuer->FindActiveSession(sid).status();
      });

  CacheTargets cache_targets;
  cache_targets.api_keys = state->api_keys.get();
  cache_targets.checker = state->sa_jwt_checker.get();
  cache_targets.iam = state->iam_issuer.get();
  cache_targets.sessions = state->session_issuer.get();
  state->caches = std::make_unique<CacheInvalidator>(cache_targets);
  db->SetCommitObserver([caches = state->caches.get()](
                            const std::vector<store::ChangeRecord>& changes) {
    caches->Apply(changes);
  });

  ASSIGN_OR_RETURN(state->parties, sessions::AuthorizedParties::Create(
                                       options.allowed_origins));
  state->handshake = std::make_unique<sessions::ClientHandshake>(
      state->session_issuer.get(), state->keyring.get(), &state->parties, clock,
      options.issuer);
  GuardDeps guard_deps;
  guard_deps.clock = clock;
  guard_deps.admin = state->admin.get();
  guard_deps.api_keys = state->api_keys.get();
  guard_deps.iam = state->iam_issuer.get();
  guard_deps.sessions = state->session_issuer.get();
  guard_deps.audit = state->audit.get();
  state->guard = std::make_unique<CallGuard>(guard_deps, options.guard);
  CallGuard* guard = state->guard.get();
  auto keyring_service = std::make_unique<KeyringServiceImpl>(
      state->keyring.get(), guard, options.issuer);
  SessionDeps session_deps;
  session_deps.users = state->store.get();
  session_deps.sessions = state->store.get();
  session_deps.templates = state->store.get();
  session_deps.clock = clock;
  session_deps.sealer = state->sealer.get();
  session_deps.issuer = state->session_issuer.get();
  session_deps.guard = guard;
  session_deps.keyring_service = keyring_service.get();
  session_deps.parties = &state->parties;
  session_deps.handshake = state->handshake.get();
  state->services.push_back(std::move(keyring_service));
  state->services.push_back(
      std::make_unique<SessionTokenServiceImpl>(session_deps));
  state->services.push_back(std::make_unique<UserServiceImpl>(session_deps));
  state->services.push_back(std::make_unique<SessionServiceImpl>(session_deps));
  state->services.push_back(
      std::make_unique<JwtTemplateServiceImpl>(session_deps));
  state->services.push_back(
      std::make_unique<VerificationServiceImpl>(state->verifier.get(), guard));
  state->services.push_back(
      std::make_unique<ApiKeyServiceImpl>(state->api_keys.get(), guard));
  state->services.push_back(std::make_unique<IamTokenServiceImpl>(
      state->sa_jwt_checker.get(), state->iam_issuer.get(), guard));
  scoped::ScopedTokenOptions scoped_options;
  scoped_options.issuer = options.issuer;
  scoped_options.max_expires_in = options.scoped_max_expires_in;
  ASSIGN_OR_RETURN(state->scoped_issuer,
                   scoped::ScopedTokenIssuer::Create(state->keyring.get(),
                                                     clock, scoped_options));
  state->services.push_back(std::make_unique<ScopedTokenServiceImpl>(
      state->scoped_issuer.get(), guard));
  IamAdminDeps iam_admin;
  iam_admin.accounts = state->store.get();
  iam_admin.oauth_tokens = state->store.get();
  iam_admin.clock = clock;
  iam_admin.checker = state->sa_jwt_checker.get();
  iam_admin.issuer = state->iam_issuer.get();
  iam_admin.guard = guard;
  state->services.push_back(std::make_unique<KeyServiceImpl>(iam_admin));
  state->services.push_back(std::make_unique<OperationServiceImpl>(iam_admin));
  state->services.push_back(
      std::make_unique<ServiceAccountServiceImpl>(iam_admin));
  state->services.push_back(std::make_unique<OAuthTokenServiceImpl>(iam_admin));
  state->metrics = std::make_unique<Metrics>(MetricsFor(AllServices()));
  if (state->sync != nullptr) {
    SyncTargets targets;
    targets.caches = state->caches.get();
    targets.iam = state->iam_issuer.get();
    targets.keyring = state->keyring.get();
    state->sync->Start(targets, std::move(notifier));
  }

  // libgrpc++'s health service does not use protobuf, so its descriptor is
  // not in the pool unless we link and touch it; reflection clients (buf
  // curl, grpcurl) need it to call Health/Check.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  if (!options.grpc_front) {
    builder.AddListeningPort(options.grpc_listen, credentials, &port);
  }
  builder.SetMaxReceiveMessageSize(kMaxRequestMessageBytes);
  ApplyGrpcLimits(options.grpc_limits, &builder);
  for (auto& service : state->services) builder.RegisterService(service.get());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<MetricsInterceptorFactory>(state->metrics.get()));
  if (options.log_requests || state->audit != nullptr) {
    state->failure_log = std::make_unique<FailureLog>(
        options.log_requests ? stderr : nullptr, state->audit.get());
    interceptors.push_back(std::make_unique<RequestLogFactory>(
        options.log_requests ? stderr : nullptr, state->failure_log.get()));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  state->server = builder.BuildAndStart();
  if (state->server == nullptr || (port == 0 && !options.grpc_front)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.grpc_listen));
  }
  if (options.grpc_front) {
    ASSIGN_OR_RETURN(port,
                     StartGrpcFront(options, tls_material, state->server.get(),
                                    &state->grpc_proxy, &state->grpc_front));
  }
  state->grpc_address = BoundAddress(options.grpc_listen, port);

  // REST: the gateway calls the services through the in-process channel, so
  // every interceptor (metrics, log) and handler sees REST calls as gRPC.
  HttpBackends backends;
  backends.cors = CorsPolicy(&state->parties);
  backends.channel = state->server->InProcessChannel(grpc::ChannelArguments());
  gateway::GatewayOptions gateway_options;
  gateway_options.channel = backends.channel;
  gateway_options.services = ServedServices();
  gateway_options.max_message_bytes = kMaxRequestMessageBytes;
  for (const std::string& network : options.trusted_proxies) {
    ASSIGN_OR_RETURN(http::Cidr cidr, http::Cidr::Parse(network));
    gateway_options.trusted_proxies.push_back(std::move(cidr));
  }
  ASSIGN_OR_RETURN(backends.gateway,
                   gateway::Gateway::Create(std::move(gateway_options)));
  backends.metrics = [metrics = state->metrics.get(),
                      keyring = state->keyring.get(), leader = &state->leader,
                      sync = state->sync.get(), guard = state->guard.get(),
                      audit = state->audit.get(),
                      grace = options.store_outage_grace] {
    return metrics->RenderPrometheus([=](std::string* out) {
      AppendKeyringGauges(*keyring, out);
      guard->AppendMetrics(out);
      if (audit != nullptr) audit->AppendMetrics(out);
      AppendLeaderGauge(leader->load(), out);
      if (sync != nullptr) AppendStoreGauges(*sync, grace, out);
    });
  };
  state->http_front->Attach(std::move(backends));
  state->options = std::move(options);
  return std::unique_ptr<TokendServer>(new TokendServer(std::move(state)));
}

const std::string& TokendServer::grpc_address() const {
  return state_->grpc_address;
}

const std::string& TokendServer::http_address() const {
  return state_->http_address;
}

const std::string& TokendServer::issuer() const {
  return state_->options.issuer;
}

// How long change feed records are kept (a follower further behind than this
// has lost its database for an hour and fails closed anyway).
constexpr absl::Duration kChangeFeedRetention = absl::Hours(1);

void TokendServer::UpdateHealth() {
  if (state_->server == nullptr) return;  // Shut down.
  // Past the bound revocation checks already fail closed; past the grace
  // too, issuance does: nothing is left to serve, so the balancer is told.
  const bool store_ok =
      state_->sync == nullptr ||
      state_->sync->Lag() <= state_->options.propagation_bound +
                                 state_->options.store_outage_grace;
  // Tokens issued while the audit log cannot be written go unrecorded: the
  // balancer should prefer a replica that records them.
  const bool audit_ok = state_->audit == nullptr || state_->audit->healthy();
  if (store_ok != state_->store_serving) {
    state_->store_serving = store_ok;
    std::fprintf(stderr, "tokend: the store %s\n",
                 store_ok ? "is followed again"
                          : "has been out of reach past --store_outage_grace");
  }
  if (audit_ok != state_->audit_serving) {
    state_->audit_serving = audit_ok;
    std::fprintf(stderr, "tokend: the audit log %s\n",
                 audit_ok ? "is written again" : "cannot be written");
  }
  const bool serving = store_ok && audit_ok;
  if (serving == state_->serving) return;
  state_->serving = serving;
  std::fprintf(stderr, "tokend: health %s\n",
               serving ? "SERVING" : "NOT_SERVING");
  auto* health = state_->server->GetHealthCheckService();
  if (health != nullptr) health->SetServingStatus(serving);
}

absl::Status TokendServer::ReopenAuditLog() {
  if (state_->audit == nullptr) return absl::OkStatus();
  absl::Status reopened = state_->audit->Reopen();
  UpdateHealth();
  return reopened;
}

absl::Status TokendServer::Maintain() {
  state_->last_maintained = state_->clock->Now();
  if (state_->failure_log != nullptr) state_->failure_log->Flush(absl::Now());
  UpdateHealth();
  // Once for all replicas: only the lease holder advances keys and purges.
  absl::StatusOr<store::Lease> lease = state_->store->AcquireLease(
      kMaintenanceLease, state_->replica_id, state_->options.lease_ttl);
  state_->leader = lease.ok() && lease->holder == state_->replica_id;
  if (!state_->leader) {
    absl::Status refreshed = state_->keyring->Refresh();
    return lease.ok() ? refreshed : lease.status();
  }
  absl::Status status = state_->keyring->Tick(store::FenceOf(*lease));
  // Revoked IAM tokens need recording only until they expire.
  constexpr absl::Duration kPurgeInterval = absl::Minutes(1);
  const absl::Time now = state_->clock->Now();
  if (now - state_->last_purge >= kPurgeInterval) {
    state_->last_purge = now;
    // Through the issuer, so its in-memory revocation list forgets them too.
    absl::StatusOr<int> purged =
        state_->iam_issuer->PurgeExpiredRevocations(now);
    if (!purged.ok() && status.ok()) status = purged.status();
    // The change feed only has to outlive the followers' polls; an hour is
    // ample, and keeps the table small.
    absl::StatusOr<int> changes =
        state_->store->DeleteChangesBefore(now - kChangeFeedRetention);
    if (!changes.ok() && status.ok()) status = changes.status();
  }
  return status;
}

absl::Time TokendServer::NextMaintenance() const {
  // The lease is renewed three times per ttl, so one slow renewal does not
  // lose it.
  return std::min(state_->keyring->NextTransition(),
                  state_->last_maintained + state_->options.lease_ttl / 3);
}

void TokendServer::Drain() {
  if (state_->server != nullptr) {
    // For good: later SetServingStatus calls (Maintain) are ignored.
    auto* health = state_->server->GetHealthCheckService();
    if (health != nullptr) health->Shutdown();
  }
  if (state_->http_server != nullptr) state_->http_server->Drain();
  if (state_->grpc_front != nullptr) state_->grpc_front->Drain();
}

void TokendServer::Shutdown(absl::Duration grace) {
  const absl::Time deadline = absl::Now() + grace;
  Drain();
  // HTTP first: its requests in flight still need the gRPC side.
  if (state_->http_server != nullptr) {
    state_->http_server->Shutdown(
        std::max(absl::ZeroDuration(), deadline - absl::Now()));
    state_->http_server.reset();
  }
  // Then the gRPC front: GOAWAY, calls in flight finish.
  if (state_->grpc_front != nullptr) {
    state_->grpc_front->Shutdown(
        std::max(absl::ZeroDuration(), deadline - absl::Now()));
    state_->grpc_front.reset();
  }
  if (state_->server == nullptr) return;
  state_->server->Shutdown(absl::ToChronoTime(deadline));
  state_->server->Wait();
  state_->server.reset();
  // Another replica takes the maintenance over at once, not after the ttl.
  if (state_->leader.exchange(false)) {
    (void)state_->store->ReleaseLease(kMaintenanceLease, state_->replica_id);
  }
}

}  // namespace tokend::server
