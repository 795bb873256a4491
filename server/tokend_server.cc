#include "server/tokend_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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
#include "core/store/sqlite_store.h"
#include "core/verify/token_verifier.h"
#include "grpc/health/v1/health.pb.h"
#include "server/api_key_service.h"
#include "server/auth.h"
#include "server/iam_admin_services.h"
#include "server/iam_token_service.h"
#include "server/keyring_service.h"
#include "server/request_log.h"
#include "server/verification_service.h"

namespace tokend::server {

struct TokendServer::State {
  ServerOptions options;
  const Clock* clock = nullptr;
  std::string grpc_address;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<keys::Sealer> sealer;
  std::unique_ptr<keys::Keyring> keyring;
  std::unique_ptr<AdminAuthenticator> admin;
  std::unique_ptr<auth::ApiKeyManager> api_keys;
  std::unique_ptr<verify::TokenVerifier> verifier;
  std::unique_ptr<iam::SaJwtChecker> sa_jwt_checker;
  std::unique_ptr<iam::IamTokenIssuer> iam_issuer;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> server;
  absl::Time last_purge = absl::InfinitePast();
};

namespace {

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
  ASSIGN_OR_RETURN(std::string key, ReadFileToString(options.tls_key));
  ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  if (!options.tls_client_ca.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs,
                     ReadFileToString(options.tls_client_ca));
  }
  return grpc::SslServerCredentials(ssl);
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

absl::StatusOr<std::unique_ptr<TokendServer>> TokendServer::Start(
    ServerOptions options, const Clock* clock) {
  auto state = std::make_unique<State>();
  state->clock = clock;
  if (options.issuer.empty()) {
    options.issuer = absl::StrCat("http://", options.http_listen);
  }
  if (options.master_key_file.empty()) {
    options.master_key_file = options.data_dir + "/master.key";
  }
  if (options.store != "sqlite") {
    return absl::InvalidArgumentError(
        "--store: only \"sqlite\" is available in this build");
  }
  ASSIGN_OR_RETURN(auto credentials, Credentials(options));
  RETURN_IF_ERROR(EnsureDirectory(options.data_dir));

  ASSIGN_OR_RETURN(state->store,
                   store::SqliteStore::Open(options.data_dir + "/tokend.db"));
  ASSIGN_OR_RETURN(std::string master_key,
                   keys::LoadOrCreateMasterKey(options.master_key_file));
  ASSIGN_OR_RETURN(state->sealer, keys::Sealer::Create(master_key));
  keys::KeyringOptions keyring_options;
  keyring_options.jwks_max_age = options.jwks_max_age;
  keyring_options.publish_lead_time = options.publish_lead_time;
  ASSIGN_OR_RETURN(state->keyring,
                   keys::Keyring::Open(state->store.get(), state->sealer.get(),
                                       keyring_options, clock));

  ASSIGN_OR_RETURN(
      std::string admin_key,
      auth::LoadOrCreateSecretFile(options.data_dir + "/admin.key", [] {
        return auth::GenerateSecret("tka_");
      }));
  state->admin = std::make_unique<AdminAuthenticator>(admin_key);
  state->api_keys =
      std::make_unique<auth::ApiKeyManager>(state->store.get(), clock);
  ASSIGN_OR_RETURN(verify::TokenVerifier verifier,
                   verify::TokenVerifier::Create(state->keyring.get(),
                                                 options.issuer, clock));
  state->verifier =
      std::make_unique<verify::TokenVerifier>(std::move(verifier));

  iam::SaJwtCheckerOptions checker_options;
  checker_options.audiences =
      iam::SaJwtCheckerOptions::DefaultAudiences(options.issuer);
  ASSIGN_OR_RETURN(state->sa_jwt_checker,
                   iam::SaJwtChecker::Create(state->store.get(), clock,
                                             std::move(checker_options)));
  iam::IamTokenIssuerOptions issuer_options;
  issuer_options.issuer = options.issuer;
  ASSIGN_OR_RETURN(
      state->iam_issuer,
      iam::IamTokenIssuer::Create(state->store.get(), state->keyring.get(),
                                  clock, std::move(issuer_options)));
  // Verify rejects revoked IAM tokens (set before serving starts).
  state->verifier->SetRevocationCheck(
      [issuer = state->iam_issuer.get()](absl::string_view jti) {
        return issuer->IsRevoked(jti);
      });

  state->services.push_back(std::make_unique<KeyringServiceImpl>(
      state->keyring.get(), state->admin.get(), options.issuer));
  state->services.push_back(
      std::make_unique<VerificationServiceImpl>(state->verifier.get()));
  state->services.push_back(std::make_unique<ApiKeyServiceImpl>(
      state->api_keys.get(), state->admin.get()));
  state->services.push_back(std::make_unique<IamTokenServiceImpl>(
      state->sa_jwt_checker.get(), state->iam_issuer.get()));
  IamAdminDeps iam_admin;
  iam_admin.store = state->store.get();
  iam_admin.clock = clock;
  iam_admin.checker = state->sa_jwt_checker.get();
  iam_admin.issuer = state->iam_issuer.get();
  iam_admin.admin = state->admin.get();
  state->services.push_back(std::make_unique<KeyServiceImpl>(iam_admin));
  state->services.push_back(
      std::make_unique<ServiceAccountServiceImpl>(iam_admin));
  state->services.push_back(std::make_unique<OAuthTokenServiceImpl>(iam_admin));

  // libgrpc++'s health service does not use protobuf, so its descriptor is
  // not in the pool unless we link and touch it; reflection clients (buf
  // curl, grpcurl) need it to call Health/Check.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.grpc_listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(64 * 1024);
  for (auto& service : state->services) builder.RegisterService(service.get());
  if (options.log_requests) {
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<RequestLogFactory>(stderr));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  state->server = builder.BuildAndStart();
  if (state->server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.grpc_listen));
  }
  state->grpc_address = BoundAddress(options.grpc_listen, port);
  state->options = std::move(options);
  return std::unique_ptr<TokendServer>(new TokendServer(std::move(state)));
}

const std::string& TokendServer::grpc_address() const {
  return state_->grpc_address;
}

const std::string& TokendServer::issuer() const {
  return state_->options.issuer;
}

absl::Status TokendServer::Maintain() {
  absl::Status status = state_->keyring->Tick();
  // Revoked IAM tokens need recording only until they expire.
  constexpr absl::Duration kPurgeInterval = absl::Minutes(1);
  const absl::Time now = state_->clock->Now();
  if (now - state_->last_purge >= kPurgeInterval) {
    state_->last_purge = now;
    // Through the issuer, so its in-memory revocation list forgets them too.
    absl::StatusOr<int> purged =
        state_->iam_issuer->PurgeExpiredRevocations(now);
    if (!purged.ok() && status.ok()) status = purged.status();
  }
  return status;
}

absl::Time TokendServer::NextMaintenance() const {
  return state_->keyring->NextTransition();
}

void TokendServer::Shutdown(absl::Duration grace) {
  if (state_->server == nullptr) return;
  auto* health = state_->server->GetHealthCheckService();
  if (health != nullptr) health->Shutdown();
  state_->server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  state_->server->Wait();
  state_->server.reset();
}

}  // namespace tokend::server
