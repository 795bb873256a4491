// tokend replicas over one PostgreSQL (DESIGN §4): real binaries on real
// sockets sharing a database from tests/testing/postgres_server.h.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/auth/secret_file.h"
#include "core/auth/secrets.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/jose/base64url.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/master_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/http_get.h"
#include "tests/testing/iam_admin.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/tokend_process.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;
namespace yiam = ::yandex::cloud::iam::v1;

constexpr char kIssuer[] = "https://tokend.replicas.test";

// What every replica is given alike: the database, the master key and the
// admin key (created once, as an operator would).
struct SharedConfig {
  std::string store;
  std::string master_key_file;
  std::string admin_key_file;
  std::vector<std::string> extra_args;

  std::vector<std::string> Args() const {
    std::vector<std::string> args = {
        "--store=" + store, "--issuer=" + std::string(kIssuer),
        "--master_key_file=" + master_key_file,
        "--admin_key_file=" + admin_key_file, "--log_requests=false",
        // Outage phases call as fast as refusals come back; rate limits
        // are not what these tests are about.
        "--rate_limits=all=off"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return args;
  }
  // The database's name: the URL's last path segment.
  std::string Database() const { return store.substr(store.rfind('/') + 1); }
};

SharedConfig MakeSharedConfig() {
  SharedConfig config;
  testing::PostgresServer* server = testing::SharedPostgresServer();
  EXPECT_NE(server, nullptr);
  if (server == nullptr) return config;
  absl::StatusOr<std::string> url = server->CreateDatabase();
  EXPECT_TRUE(url.ok()) << url.status();
  config.store = url.ok() ? *url : "";
  const std::string dir = MakeTempDir("shared_keys");
  config.master_key_file = dir + "/master.key";
  config.admin_key_file = dir + "/admin.key";
  EXPECT_TRUE(keys::LoadOrCreateMasterKey(config.master_key_file).ok());
  EXPECT_TRUE(auth::LoadOrCreateSecretFile(config.admin_key_file, [] {
                return auth::GenerateSecret("tka_");
              }).ok());
  return config;
}

std::string SignSaJwt(const std::string& key_file_json) {
  absl::StatusOr<iam::AuthorizedKeyFile> key = iam::ParseKeyFile(key_file_json);
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return "";
  auto signer = jose::JwtSigner::Create(key->private_key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  const absl::Time now =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  absl::StatusOr<jose::RawJwt> raw = jose::RawJwtBuilder()
                                         .SetTypeHeader("JWT")
                                         .SetIssuer(key->service_account_id)
                                         .SetAudience(iam::kYandexIamAudience)
                                         .SetIssuedAt(now)
                                         .SetExpiration(now + absl::Hours(1))
                                         .Build();
  EXPECT_TRUE(raw.ok()) << raw.status();
  auto jwt = (*signer)->SignAndEncode(*raw);
  EXPECT_TRUE(jwt.ok()) << jwt.status();
  return jwt.ok() ? *jwt : "";
}

// Exchanges a fresh JWT signed with `key_file` for an IAM token.
grpc::Status CreateIamToken(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& key_file,
                            yiam::CreateIamTokenResponse* token) {
  yiam::CreateIamTokenRequest create;
  create.set_jwt(SignSaJwt(key_file));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return yiam::IamTokenService::NewStub(channel)->Create(&context, create,
                                                         token);
}

std::string JwksOf(const TokendProcess& replica) {
  auto stub = keys::v1::KeyringService::NewStub(grpc::CreateChannel(
      replica.grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  keys::v1::Jwks jwks;
  const grpc::Status status =
      stub->GetJwks(&context, keys::v1::GetJwksRequest(), &jwks);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return jwks.SerializeAsString();
}

// Starts `n` replicas on `config` at once (they race to migrate and to
// create the first keys); nullptr entries on failure, with the test failed.
std::vector<std::unique_ptr<TokendProcess>> StartReplicas(
    const SharedConfig& config, int n) {
  std::vector<std::unique_ptr<absl::StatusOr<TokendProcess>>> started(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      started[i] =
          std::make_unique<absl::StatusOr<TokendProcess>>(TokendProcess::Start(
              MakeTempDir(absl::StrCat("replica", i)), config.Args()));
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<std::unique_ptr<TokendProcess>> out;
  for (auto& s : started) {
    EXPECT_TRUE(s->ok()) << s->status();
    out.push_back(s->ok() ? std::make_unique<TokendProcess>(std::move(**s))
                          : nullptr);
  }
  return out;
}

std::string SharedAdminKey(const SharedConfig& config) {
  absl::StatusOr<std::string> admin = auth::LoadOrCreateSecretFile(
      config.admin_key_file,
      []() -> absl::StatusOr<std::string> { return absl::NotFoundError(""); });
  EXPECT_TRUE(admin.ok()) << admin.status();
  return admin.ok() ? *admin : "";
}

// N replicas started on `config`, a channel to each, and a service account
// with an authorized key made through the first. On failure the test has
// failed and `channels` is short: callers ASSERT its size.
struct Cluster {
  std::vector<std::unique_ptr<TokendProcess>> replicas;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::string admin_key;
  std::string key_file;  // The account's authorized key file.
};

Cluster StartCluster(const SharedConfig& config, int n,
                     const std::string& account_name) {
  Cluster cluster;
  cluster.replicas = StartReplicas(config, n);
  for (const auto& replica : cluster.replicas) {
    if (replica == nullptr) return cluster;
  }
  for (const auto& replica : cluster.replicas) {
    cluster.channels.push_back(grpc::CreateChannel(
        replica->grpc_address(), grpc::InsecureChannelCredentials()));
  }
  cluster.admin_key = SharedAdminKey(config);
  const auto account = testing::CreateServiceAccount(
      cluster.channels[0], cluster.admin_key, account_name);
  cluster.key_file = testing::KeyFileOf(testing::CreateAuthorizedKey(
      cluster.channels[0], cluster.admin_key, account.id()));
  return cluster;
}

grpc::Status VerifyOn(const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& token,
                      verify::v1::VerifyResponse* verified) {
  verify::v1::VerifyRequest verify;
  verify.set_token(token);
  verify.set_family("iam");  // every token these tests verify
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  return verify::v1::VerificationService::NewStub(channel)->Verify(
      &context, verify, verified);
}

TEST(ReplicasIntegrationTest, SharedStoreRequiresOneIssuerAndSharedKeys) {
  const SharedConfig config = MakeSharedConfig();
  struct Case {
    std::vector<std::string> args;
    std::string complaint;
  };
  const std::string missing = MakeTempDir("missing") + "/none";
  const std::vector<Case> cases = {
      {{"--store=" + config.store,
        "--master_key_file=" + config.master_key_file,
        "--admin_key_file=" + config.admin_key_file},
       "--issuer is required"},
      {{"--store=" + config.store, "--issuer=" + std::string(kIssuer),
        "--master_key_file=" + missing,
        "--admin_key_file=" + config.admin_key_file},
       missing},
      {{"--store=" + config.store, "--issuer=" + std::string(kIssuer),
        "--master_key_file=" + config.master_key_file,
        "--admin_key_file=" + missing},
       "--admin_key_file"},
      {{"--store=mysql://db"}, "--store"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<TokendProcess::Exited> exited =
        TokendProcess::RunUntilExit(MakeTempDir("refused"), c.args);
    ASSERT_TRUE(exited.ok()) << exited.status();
    EXPECT_NE(exited->exit_code, 0);
    EXPECT_FALSE(exited->ready);
    EXPECT_THAT(exited->log, HasSubstr(c.complaint));
  }
}

// Two replicas started at once on an empty database: both come up (one
// migrates and creates the keys, the other uses them), publish the same
// JWKS, and serve one set of accounts: a key created through one replica
// gets a token from the other, which both verify.
TEST(ReplicasIntegrationTest, TwoReplicasServeOneSetOfAccountsKeysAndTokens) {
  const SharedConfig config = MakeSharedConfig();
  // TokendProcess is movable, not assignable: each thread fills its slot.
  std::unique_ptr<absl::StatusOr<TokendProcess>> started[2];
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      started[i] =
          std::make_unique<absl::StatusOr<TokendProcess>>(TokendProcess::Start(
              MakeTempDir(absl::StrCat("replica", i)), config.Args()));
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(started[0]->ok()) << started[0]->status();
  ASSERT_TRUE(started[1]->ok()) << started[1]->status();
  const TokendProcess& a = **started[0];
  const TokendProcess& b = **started[1];

  EXPECT_EQ(JwksOf(a), JwksOf(b));
  EXPECT_FALSE(JwksOf(a).empty());

  // The shared file, not a replica's data dir, holds the admin key.
  absl::StatusOr<std::string> admin = auth::LoadOrCreateSecretFile(
      config.admin_key_file,
      []() -> absl::StatusOr<std::string> { return absl::NotFoundError(""); });
  ASSERT_TRUE(admin.ok()) << admin.status();
  const std::string admin_key = *admin;
  auto channel_a =
      grpc::CreateChannel(a.grpc_address(), grpc::InsecureChannelCredentials());
  auto channel_b =
      grpc::CreateChannel(b.grpc_address(), grpc::InsecureChannelCredentials());
  const auto account =
      testing::CreateServiceAccount(channel_a, admin_key, "shared-account");
  ASSERT_FALSE(account.id().empty());
  const std::string key_file = testing::KeyFileOf(
      testing::CreateAuthorizedKey(channel_a, admin_key, account.id()));

  yiam::CreateIamTokenResponse token;
  {
    const grpc::Status status = CreateIamToken(channel_b, key_file, &token);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (const auto& channel : {channel_a, channel_b}) {
    verify::v1::VerifyRequest verify;
    verify.set_token(token.iam_token());
    verify.set_family("iam");
    verify::v1::VerifyResponse verified;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const grpc::Status status =
        verify::v1::VerificationService::NewStub(channel)->Verify(
            &context, verify, &verified);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(verified.claims().fields().at("sub").string_value(),
              account.id());
  }
}

// IAM tokens revoked through one of three replicas are refused by the other
// two within the propagation bound (1 s). Past the bound the refusal is
// certain whatever the scheduler does: a replica either has read the
// revocation from the change feed, or has not confirmed it is current and
// fails closed (UNAVAILABLE). How soon each refuses is measured and printed
// (with NOTIFY waking the followers, and by polling alone), not asserted.
void RevokeRoundRobinAndMeasure(const std::vector<std::string>& extra_args,
                                int revocations, absl::string_view label) {
  SharedConfig config = MakeSharedConfig();
  config.extra_args = extra_args;
  constexpr int kReplicas = 3;
  const Cluster cluster = StartCluster(config, kReplicas, "revoked-account");
  ASSERT_EQ(cluster.channels.size(), size_t{kReplicas});
  const auto& channels = cluster.channels;
  const std::string& key_file = cluster.key_file;

  const absl::Duration kBound = absl::Seconds(1);
  std::vector<absl::Duration> seen_after;  // One per (revocation, observer).
  int failed_closed = 0;
  for (int i = 0; i < revocations; ++i) {
    const int writer = i % kReplicas;
    yiam::CreateIamTokenResponse token;
    ASSERT_TRUE(CreateIamToken(channels[writer], key_file, &token).ok());
    std::vector<int> observers;
    for (int r = 0; r < kReplicas; ++r) {
      if (r == writer) continue;
      verify::v1::VerifyResponse verified;
      ASSERT_TRUE(VerifyOn(channels[r], token.iam_token(), &verified).ok());
      observers.push_back(r);
    }

    yiam::RevokeIamTokenRequest revoke;
    revoke.set_iam_token(token.iam_token());
    yiam::RevokeIamTokenResponse revoked;
    {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      const grpc::Status status =
          yiam::IamTokenService::NewStub(channels[writer])
              ->Revoke(&context, revoke, &revoked);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
    const absl::Time committed = absl::Now();  // The revocation is durable.
    // Measure: how soon does each observer refuse it as revoked?
    while (!observers.empty() && absl::Now() - committed < kBound) {
      for (auto it = observers.begin(); it != observers.end();) {
        verify::v1::VerifyResponse verified;
        if (VerifyOn(channels[*it], token.iam_token(), &verified)
                .error_code() == grpc::StatusCode::UNAUTHENTICATED) {
          seen_after.push_back(absl::Now() - committed);
          it = observers.erase(it);
        } else {
          ++it;
        }
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    // Assert: past the bound, every observer refuses.
    for (int r : observers) {
      verify::v1::VerifyResponse verified;
      const grpc::Status after =
          VerifyOn(channels[r], token.iam_token(), &verified);
      EXPECT_TRUE(after.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                  after.error_code() == grpc::StatusCode::UNAVAILABLE)
          << "revocation " << i << " on replica " << r << ": "
          << after.error_code() << " " << after.error_message();
      ++failed_closed;
      seen_after.push_back(absl::InfiniteDuration());
    }
  }
  std::sort(seen_after.begin(), seen_after.end());
  auto at = [&](int percent) {
    return absl::FormatDuration(seen_after[seen_after.size() * percent / 100]);
  };
  std::printf(
      "propagation %s: %d IAM revocations round-robin over %d replicas, %zu "
      "observations (bound %s): p50 %s, p90 %s, p99 %s, max %s; %d past "
      "the bound\n",
      std::string(label).c_str(), revocations, kReplicas, seen_after.size(),
      absl::FormatDuration(kBound).c_str(), at(50).c_str(), at(90).c_str(),
      at(99).c_str(), absl::FormatDuration(seen_after.back()).c_str(),
      failed_closed);
}

TEST(ReplicasIntegrationTest, RevocationsReachEveryReplicaWithinTheBound) {
  RevokeRoundRobinAndMeasure({}, 200, "with NOTIFY");
}

TEST(ReplicasIntegrationTest, RevocationsReachEveryReplicaByPollingAlone) {
  RevokeRoundRobinAndMeasure({"--change_notify=false"}, 50, "polling alone");
}

// OAuth tokens are cached by each replica (exchanges do not wait for the
// database); one revoked through replica A is dropped from B's cache by the
// change feed. Asserted: B refuses it once its cache ttl (5 s) has passed,
// which holds whatever the scheduler does; measured and printed: how soon B
// actually refused.
TEST(ReplicasIntegrationTest,
     AnOAuthTokenRevokedOnOneReplicaIsRefusedByAnother) {
  const SharedConfig config = MakeSharedConfig();
  std::vector<std::unique_ptr<TokendProcess>> replicas =
      StartReplicas(config, 2);
  ASSERT_NE(replicas[0], nullptr);
  ASSERT_NE(replicas[1], nullptr);
  auto a = grpc::CreateChannel(replicas[0]->grpc_address(),
                               grpc::InsecureChannelCredentials());
  auto b = grpc::CreateChannel(replicas[1]->grpc_address(),
                               grpc::InsecureChannelCredentials());
  const std::string admin_key = SharedAdminKey(config);
  auto admin = [&](grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + admin_key);
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  };
  iam::v1::CreateOAuthTokenRequest create;
  create.set_account_id("ajeuser0000000000007");
  iam::v1::CreateOAuthTokenResponse oauth;
  {
    grpc::ClientContext context;
    admin(&context);
    const grpc::Status status = iam::v1::OAuthTokenService::NewStub(a)->Create(
        &context, create, &oauth);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  auto exchange_on_b = [&] {
    yiam::CreateIamTokenRequest request;
    request.set_yandex_passport_oauth_token(oauth.token());
    yiam::CreateIamTokenResponse token;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return yiam::IamTokenService::NewStub(b)->Create(&context, request, &token);
  };
  ASSERT_TRUE(exchange_on_b().ok());  // Now in B's cache.

  {
    iam::v1::RevokeOAuthTokenRequest revoke;
    revoke.set_oauth_token_id(oauth.oauth_token().id());
    iam::v1::OAuthToken revoked;
    grpc::ClientContext context;
    admin(&context);
    const grpc::Status status = iam::v1::OAuthTokenService::NewStub(a)->Revoke(
        &context, revoke, &revoked);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const absl::Time committed = absl::Now();
  const absl::Duration kCacheTtl = absl::Seconds(5);
  absl::Duration refused_after = absl::InfiniteDuration();
  while (absl::Now() - committed < kCacheTtl) {
    if (exchange_on_b().error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      refused_after = absl::Now() - committed;
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  const grpc::Status after = exchange_on_b();
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << after.error_message();
  EXPECT_THAT(after.error_message(), HasSubstr("revoked"));
  std::printf("OAuth token revoked on A, refused by B after %s\n",
              absl::FormatDuration(refused_after).c_str());
}

// /healthz's HTTP status, or 0 if it did not answer.
int HealthOf(const TokendProcess& replica) {
  absl::StatusOr<testing::HttpResponse> health =
      testing::HttpGet(replica.http_address(), "/healthz");
  return health.ok() ? health->status : 0;
}

// Without the database a replica cannot know whether a token was revoked
// elsewhere: once its last confirmation is older than the bound, Verify of
// a revocable token is UNAVAILABLE (never a stale OK). Issuance goes on from
// what it last read for --store_outage_grace, then fails closed too. When
// the database is back, it recovers by itself.
// A Backend API call with `secret` and an empty request.
grpc::Status CallWithKey(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& secret) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + secret);
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/tokend.sessions.v1.UserService/GetUser",
                 grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

TEST(ReplicasIntegrationTest, AReplicaCutOffFromTheDatabaseFailsClosed) {
  SharedConfig config = MakeSharedConfig();
  // Health is re-judged at every maintenance pass (each lease_ttl / 3).
  config.extra_args = {"--store_outage_grace=10s", "--lease_ttl=3s"};
  std::vector<std::unique_ptr<TokendProcess>> replicas =
      StartReplicas(config, 1);
  ASSERT_NE(replicas[0], nullptr);
  auto channel = grpc::CreateChannel(replicas[0]->grpc_address(),
                                     grpc::InsecureChannelCredentials());
  const std::string admin_key = SharedAdminKey(config);
  const auto account =
      testing::CreateServiceAccount(channel, admin_key, "cut-off-account");
  const std::string key_file = testing::KeyFileOf(
      testing::CreateAuthorizedKey(channel, admin_key, account.id()));
  auto create_token = [&](yiam::CreateIamTokenResponse* token) {
    return CreateIamToken(channel, key_file, token);
  };
  yiam::CreateIamTokenResponse token;
  const absl::Time read_after = absl::Now();  // The key and account are read.
  ASSERT_TRUE(create_token(&token).ok());
  const absl::Time read_before = absl::Now();
  verify::v1::VerifyResponse verified;
  ASSERT_TRUE(VerifyOn(channel, token.iam_token(), &verified).ok());
  // A sessions key this replica has not read yet.
  std::string unread_key;
  {
    auto stub = admin::v1::ApiKeyService::NewStub(channel);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + admin_key);
    admin::v1::CreateApiKeyRequest request;
    request.set_surface("sessions");
    request.set_name("unread");
    admin::v1::CreateApiKeyResponse created;
    ASSERT_TRUE(stub->CreateApiKey(&context, request, &created).ok());
    unread_key = created.secret();
  }

  testing::PostgresServer* server = testing::SharedPostgresServer();
  ASSERT_TRUE(server->Stop().ok());
  const absl::Time stopped = absl::Now();
  absl::SleepFor(stopped + absl::Seconds(1) + absl::Milliseconds(50) -
                 absl::Now());
  const grpc::Status cut_off = VerifyOn(channel, token.iam_token(), &verified);
  EXPECT_EQ(cut_off.error_code(), grpc::StatusCode::UNAVAILABLE)
      << cut_off.error_message();
  // A key that cannot be looked up is the store's failure, not the
  // caller's: UNAVAILABLE (retry), never UNAUTHENTICATED, and no internals.
  for (const std::string& key : {unread_key, std::string("sk_never_issued")}) {
    const grpc::Status s = CallWithKey(channel, key);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << s.error_message();
    EXPECT_THAT(s.error_message(), Not(HasSubstr("postgres")));
  }
  // Within the grace the balancer keeps it; /metrics tells the lag.
  EXPECT_EQ(HealthOf(*replicas[0]), 200);
  absl::StatusOr<testing::HttpResponse> metrics =
      testing::HttpGet(replicas[0]->http_address(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->body, HasSubstr("\ntokend_change_feed_current 0\n"));
  EXPECT_THAT(metrics->body,
              HasSubstr("\ntokend_store_outage_grace_seconds 10\n"));

  // Issuance goes on from what was read, past its 5 s cache ttl, within the
  // 10 s grace; after ttl + grace it fails closed, UNAVAILABLE.
  absl::SleepFor(read_after + absl::Seconds(6) - absl::Now());
  yiam::CreateIamTokenResponse bridged;
  const grpc::Status in_grace = create_token(&bridged);
  EXPECT_TRUE(in_grace.ok()) << in_grace.error_message();
  absl::SleepFor(read_before + absl::Seconds(15) + absl::Milliseconds(100) -
                 absl::Now());
  const grpc::Status past_grace = create_token(&bridged);
  EXPECT_EQ(past_grace.error_code(), grpc::StatusCode::UNAVAILABLE)
      << past_grace.error_message();
  // Nothing left to serve: health says so (the last confirmation was
  // before `stopped`; bound 1 s + grace 10 s, plus a maintenance pass).
  absl::SleepFor(stopped + absl::Seconds(11 + 1) + absl::Milliseconds(100) -
                 absl::Now());
  EXPECT_EQ(HealthOf(*replicas[0]), 503);
  ASSERT_TRUE(server->Restart().ok());

  // Recovers without a restart of its own (bounded wait, by wall time).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  grpc::Status back;
  do {
    back = VerifyOn(channel, token.iam_token(), &verified);
    if (back.ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(back.ok()) << back.error_message();
  // Health recovers too, at the next maintenance pass.
  int health = 0;
  while (absl::Now() < deadline && (health = HealthOf(*replicas[0])) != 200) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(health, 200);
}

// PostgreSQL crashes and restarts in the middle of a write and issue load
// on two replicas: writes made while it is down fail with UNAVAILABLE,
// issuance goes on throughout (within the grace), writes resume once it is
// back, and every write that was acknowledged is in the database.
TEST(ReplicasIntegrationTest,
     ADatabaseRestartUnderLoadLosesNoAcknowledgedWrite) {
  const SharedConfig config = MakeSharedConfig();
  const Cluster cluster = StartCluster(config, 2, "load-account");
  ASSERT_EQ(cluster.channels.size(), 2u);
  const auto& channels = cluster.channels;
  const std::string& admin_key = cluster.admin_key;
  const std::string& key_file = cluster.key_file;
  // Both replicas have read the key and the account before the outage.
  for (const auto& channel : channels) {
    yiam::CreateIamTokenResponse token;
    ASSERT_TRUE(CreateIamToken(channel, key_file, &token).ok());
  }

  // The phase a call began and ended in; only calls within one phase are
  // judged by it (none while the server is stopping or starting).
  enum Phase { kUp, kStopping, kDown, kStarting, kBack };
  std::atomic<int> phase{kUp};
  std::atomic<bool> done{false};
  std::atomic<int> acknowledged_since_back{0}, issued_since_back{0};
  struct Call {
    int began, ended;
    grpc::StatusCode code;
    std::string message, id;
  };
  std::vector<Call> writes, issues;  // Read once the threads are joined.
  std::thread writer([&] {
    for (int i = 0; !done.load(); ++i) {
      const int began = phase.load();
      iam::v1::CreateServiceAccountRequest request;
      request.set_name(absl::StrCat("written-", i));
      iam::v1::ServiceAccount created;
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + admin_key);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      const grpc::Status status =
          iam::v1::ServiceAccountService::NewStub(channels[i % 2])
              ->Create(&context, request, &created);
      writes.push_back({began, phase.load(), status.error_code(),
                        status.error_message(), created.id()});
      if (began == kBack && status.ok()) ++acknowledged_since_back;
    }
  });
  std::thread issuer([&] {
    for (int i = 0; !done.load(); ++i) {
      const int began = phase.load();
      yiam::CreateIamTokenResponse token;
      const grpc::Status status =
          CreateIamToken(channels[i % 2], key_file, &token);
      issues.push_back({began, phase.load(), status.error_code(),
                        status.error_message(), ""});
      if (began == kBack && status.ok()) ++issued_since_back;
    }
  });

  testing::PostgresServer* server = testing::SharedPostgresServer();
  absl::SleepFor(absl::Seconds(1));
  phase = kStopping;
  const absl::Status stopped = server->Stop();
  phase = kDown;
  absl::SleepFor(absl::Seconds(3));
  phase = kStarting;
  const absl::Status restarted = server->Restart();
  phase = kBack;
  // Load goes on: ten writes and ten tokens since (bounded, by wall time).
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (
      (acknowledged_since_back.load() < 10 || issued_since_back.load() < 10) &&
      absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  done = true;
  writer.join();
  issuer.join();
  ASSERT_TRUE(stopped.ok()) << stopped;
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_GE(acknowledged_since_back.load(), 10);
  EXPECT_GE(issued_since_back.load(), 10);

  std::map<Phase, int> ok_writes, ok_issues, judged_writes, judged_issues;
  std::set<std::string> acknowledged;
  for (const Call& c : writes) {
    if (c.code == grpc::StatusCode::OK) acknowledged.insert(c.id);
    if (c.began != c.ended || c.began == kStopping || c.began == kStarting) {
      continue;
    }
    const Phase p = static_cast<Phase>(c.began);
    ++judged_writes[p];
    ok_writes[p] += c.code == grpc::StatusCode::OK;
    // Up: every write lands. Down: refused as UNAVAILABLE. Back: the
    // first use of a dead pooled connection is retried on a fresh one.
    EXPECT_EQ(c.code,
              p == kDown ? grpc::StatusCode::UNAVAILABLE : grpc::StatusCode::OK)
        << "phase " << p << ": " << c.message;
  }
  for (const Call& c : issues) {
    if (c.began != c.ended) continue;
    const Phase p = static_cast<Phase>(c.began);
    ++judged_issues[p];
    ok_issues[p] += c.code == grpc::StatusCode::OK;
    // The account and key were read before; the grace (30 s) covers the
    // whole outage.
    EXPECT_EQ(c.code, grpc::StatusCode::OK) << c.message;
  }
  EXPECT_GT(ok_writes[kUp], 0);
  EXPECT_GT(judged_writes[kDown], 0);
  EXPECT_GT(judged_issues[kDown], 0);

  absl::StatusOr<std::string> stored = server->Psql(
      config.Database(), "SELECT id FROM service_accounts ORDER BY id");
  ASSERT_TRUE(stored.ok()) << stored.status();
  const std::vector<std::string> rows = absl::StrSplit(*stored, '\n');
  const std::set<std::string> present(rows.begin(), rows.end());
  for (const std::string& id : acknowledged) {
    EXPECT_EQ(present.count(id), 1u) << "acknowledged but lost: " << id;
  }
  std::printf(
      "database restart under load: writes ok/judged up %d/%d, down %d/%d, "
      "back %d/%d; issues ok/judged up %d/%d, down %d/%d, back %d/%d; %zu "
      "acknowledged writes checked in the database\n",
      ok_writes[kUp], judged_writes[kUp], ok_writes[kDown],
      judged_writes[kDown], ok_writes[kBack], judged_writes[kBack],
      ok_issues[kUp], judged_issues[kUp], ok_issues[kDown],
      judged_issues[kDown], ok_issues[kBack], judged_issues[kBack],
      acknowledged.size());
}

// The replica holding the maintenance lease now, by the pid in its holder
// name (host/pid/random); -1 if none holds it or its pid is none of these.
int LeaderIndex(const SharedConfig& config,
                const std::vector<std::unique_ptr<TokendProcess>>& replicas) {
  absl::StatusOr<std::string> holder = testing::SharedPostgresServer()->Psql(
      config.Database(),
      "SELECT holder FROM leases WHERE name = 'maintenance' AND "
      "expires_at_us > (extract(epoch FROM clock_timestamp()) * 1000000)");
  if (!holder.ok() || holder->empty()) return -1;
  const std::vector<std::string> parts = absl::StrSplit(*holder, '/');
  int pid = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &pid)) return -1;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i] != nullptr && replicas[i]->pid() == pid) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

keys::v1::ListSigningKeysResponse ListKeys(const TokendProcess& replica,
                                           const std::string& admin_key) {
  auto stub = keys::v1::KeyringService::NewStub(grpc::CreateChannel(
      replica.grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + admin_key);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  keys::v1::ListSigningKeysResponse keys;
  const grpc::Status status = stub->ListSigningKeys(
      &context, keys::v1::ListSigningKeysRequest(), &keys);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return keys;
}

// The kids in a JWKS document served over HTTP.
std::set<std::string> KidsOf(const std::string& jwks_json) {
  std::set<std::string> kids;
  const nlohmann::json doc = nlohmann::json::parse(jwks_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys")) return kids;
  for (const auto& key : doc["keys"]) kids.insert(key.value("kid", ""));
  return kids;
}

std::string KidOfToken(const std::string& token) {
  absl::StatusOr<std::string> header =
      jose::Base64UrlDecode(token.substr(0, token.find('.')));
  if (!header.ok()) return "";
  const nlohmann::json doc = nlohmann::json::parse(*header, nullptr, false);
  return doc.is_object() ? doc.value("kid", "") : "";
}

// Key maintenance happens once for all replicas, by the one holding the
// maintenance lease. A rotation requested through any replica is published
// by every replica (the same JWKS bytes and ETag); the leader is killed -9
// mid-rotation, another replica takes the lease over and activates the key;
// and throughout, every token any replica issues is signed by a key that
// every live replica's JWKS, fetched just before, already published.
// Durations are printed, not asserted; waits are bounded by wall time.
TEST(ReplicasIntegrationTest, OneLeaderRotatesForAllAndASurvivorTakesOver) {
  SharedConfig config = MakeSharedConfig();
  // A short lease and lead time, so that the rotation and the takeover
  // happen within the test: activation 1 s (lead) + 1 s (bound) after the
  // rotation starts.
  config.extra_args = {"--lease_ttl=2s", "--jwks_max_age=1s",
                       "--publish_lead_time=1s"};
  std::vector<std::unique_ptr<TokendProcess>> replicas =
      StartReplicas(config, 3);
  for (const auto& r : replicas) ASSERT_NE(r, nullptr);
  const std::string admin_key = SharedAdminKey(config);

  // One leader, and /metrics says so on every replica.
  int leader = -1;
  const absl::Time elected_by = absl::Now() + absl::Seconds(20);
  bool metrics_agree = false;
  while (absl::Now() < elected_by && !metrics_agree) {
    leader = LeaderIndex(config, replicas);
    metrics_agree = leader >= 0;
    for (size_t i = 0; metrics_agree && i < replicas.size(); ++i) {
      absl::StatusOr<testing::HttpResponse> metrics =
          testing::HttpGet(replicas[i]->http_address(), "/metrics");
      metrics_agree =
          metrics.ok() &&
          absl::StrContains(
              metrics->body,
              absl::StrCat("\ntokend_maintenance_leader ",
                           static_cast<int>(i) == leader ? 1 : 0, "\n"));
    }
    if (!metrics_agree) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(metrics_agree) << "no single leader agreed on; leader " << leader;

  // Tokens from every live replica, each checked against the JWKS of every
  // live replica fetched just before it was issued.
  const auto account = testing::CreateServiceAccount(
      grpc::CreateChannel(replicas[0]->grpc_address(),
                          grpc::InsecureChannelCredentials()),
      admin_key, "rotation-account");
  const std::string key_file = testing::KeyFileOf(testing::CreateAuthorizedKey(
      grpc::CreateChannel(replicas[0]->grpc_address(),
                          grpc::InsecureChannelCredentials()),
      admin_key, account.id()));
  int issued = 0;
  std::set<std::string> signing_kids;
  auto issue_round = [&] {
    std::vector<std::set<std::string>> published;
    for (const auto& r : replicas) {
      if (r == nullptr) continue;
      absl::StatusOr<testing::HttpResponse> jwks =
          testing::HttpGet(r->http_address(), "/.well-known/jwks.json");
      ASSERT_TRUE(jwks.ok()) << jwks.status();
      published.push_back(KidsOf(jwks->body));
    }
    for (const auto& r : replicas) {
      if (r == nullptr) continue;
      yiam::CreateIamTokenResponse token;
      const grpc::Status status = CreateIamToken(
          grpc::CreateChannel(r->grpc_address(),
                              grpc::InsecureChannelCredentials()),
          key_file, &token);
      ASSERT_TRUE(status.ok()) << status.error_message();
      const std::string kid = KidOfToken(token.iam_token());
      for (const auto& kids : published) {
        ASSERT_EQ(kids.count(kid), 1u) << "token " << issued << " signed by "
                                       << kid << ", not yet published";
      }
      signing_kids.insert(kid);
      ++issued;
    }
  };
  issue_round();

  // Rotate the IAM slot through a replica that does not lead.
  const int asked = (leader + 1) % 3;
  {
    auto stub = keys::v1::KeyringService::NewStub(grpc::CreateChannel(
        replicas[asked]->grpc_address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + admin_key);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    keys::v1::RotateSigningKeysRequest rotate;
    rotate.set_slot("iam");
    keys::v1::RotateSigningKeysResponse rotated;
    const grpc::Status status =
        stub->RotateSigningKeys(&context, rotate, &rotated);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const absl::Time rotated_at = absl::Now();
  std::string next_kid;
  const keys::v1::ListSigningKeysResponse listed =
      ListKeys(*replicas[asked], admin_key);
  for (const auto& key : listed.keys()) {
    if (key.slot() == "iam" && key.state() == keys::v1::SigningKey::NEXT) {
      next_kid = key.kid();
    }
  }
  ASSERT_FALSE(next_kid.empty());

  // Every replica serves the same JWKS bytes and ETag, with the new key.
  absl::Duration identical_after = absl::InfiniteDuration();
  while (absl::Now() - rotated_at < absl::Seconds(20)) {
    std::set<std::pair<std::string, std::string>> served;
    for (const auto& r : replicas) {
      absl::StatusOr<testing::HttpResponse> jwks =
          testing::HttpGet(r->http_address(), "/.well-known/jwks.json");
      ASSERT_TRUE(jwks.ok()) << jwks.status();
      served.insert({jwks->body, jwks->headers["etag"]});
    }
    if (served.size() == 1 && KidsOf(served.begin()->first).count(next_kid)) {
      EXPECT_FALSE(served.begin()->second.empty());
      identical_after = absl::Now() - rotated_at;
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_NE(identical_after, absl::InfiniteDuration())
      << "replicas still serve different JWKS 20 s after the rotation";

  // Kill the leader mid-rotation (the key is not yet active).
  const absl::Time killed_at = absl::Now();
  const pid_t killed_pid = replicas[leader]->pid();
  replicas[leader]->Kill();
  replicas[leader].reset();
  absl::Duration takeover_after = absl::InfiniteDuration();
  absl::Duration activated_after = absl::InfiniteDuration();
  while (absl::Now() - killed_at < absl::Seconds(30)) {
    issue_round();
    if (HasFatalFailure()) return;
    const int now_leading = LeaderIndex(config, replicas);
    if (takeover_after == absl::InfiniteDuration() && now_leading >= 0) {
      EXPECT_NE(replicas[now_leading]->pid(), killed_pid);
      takeover_after = absl::Now() - killed_at;
    }
    if (signing_kids.count(next_kid) != 0) {
      activated_after = absl::Now() - rotated_at;
      break;
    }
  }
  ASSERT_NE(takeover_after, absl::InfiniteDuration()) << "no takeover";
  ASSERT_NE(activated_after, absl::InfiniteDuration())
      << "the new key never signed";
  for (int i = 0; i < 20; ++i) issue_round();

  // One active key per slot, seen alike by the survivors.
  for (const auto& r : replicas) {
    if (r == nullptr) continue;
    std::map<std::string, int> active;
    const keys::v1::ListSigningKeysResponse listed = ListKeys(*r, admin_key);
    for (const auto& key : listed.keys()) {
      if (key.state() == keys::v1::SigningKey::ACTIVE) ++active[key.slot()];
    }
    EXPECT_EQ(active, (std::map<std::string, int>{
                          {"iam", 1}, {"scoped", 1}, {"session", 1}}));
  }
  std::printf(
      "rotation across 3 replicas: identical JWKS %s after the rotation; "
      "leader killed -9, lease (ttl 2s) taken over after %s; new key signing "
      "%s after the rotation (lead 1s + bound 1s); %d tokens, every kid "
      "published by every live replica beforehand\n",
      absl::FormatDuration(identical_after).c_str(),
      absl::FormatDuration(takeover_after).c_str(),
      absl::FormatDuration(activated_after).c_str(), issued);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Rotations forced every second through any replica while 10,000 IAM
// tokens are issued round-robin by three replicas: each token's kid is in
// every replica's JWKS fetched before the token was issued (in batches: the
// three JWKS, then 30 tokens).
TEST(ReplicasIntegrationTest, TenThousandTokensDuringForcedRotations) {
  SharedConfig config = MakeSharedConfig();
  config.extra_args = {"--lease_ttl=2s", "--jwks_max_age=1s",
                       "--publish_lead_time=1s"};
  Cluster cluster = StartCluster(config, 3, "rotated-account");
  ASSERT_EQ(cluster.channels.size(), 3u);
  const auto& replicas = cluster.replicas;
  const auto& channels = cluster.channels;
  const std::string& admin_key = cluster.admin_key;
  const std::string& key_file = cluster.key_file;
  // The service account's JWT may be presented many times within its hour.
  yiam::CreateIamTokenRequest exchange;
  exchange.set_jwt(SignSaJwt(key_file));

  absl::Notification done;
  std::map<grpc::StatusCode, int> rotations;  // Read after the join.
  std::thread rotator([&] {
    for (int i = 0; !done.WaitForNotificationWithTimeout(absl::Seconds(1));
         ++i) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + admin_key);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      keys::v1::RotateSigningKeysRequest rotate;
      rotate.set_slot("iam");
      keys::v1::RotateSigningKeysResponse rotated;
      // FAILED_PRECONDITION while the previous next key waits to activate.
      ++rotations[keys::v1::KeyringService::NewStub(channels[i % 3])
                      ->RotateSigningKeys(&context, rotate, &rotated)
                      .error_code()];
    }
  });

  constexpr int kTokens = 10000;
  constexpr int kPerReplicaInBatch = 10;
  std::map<std::string, int> by_kid;
  int issued = 0;
  const absl::Time started = absl::Now();
  while (issued < kTokens && !HasFailure()) {
    std::vector<std::set<std::string>> published;
    for (const auto& replica : replicas) {
      absl::StatusOr<testing::HttpResponse> jwks =
          testing::HttpGet(replica->http_address(), "/.well-known/jwks.json");
      ASSERT_TRUE(jwks.ok()) << jwks.status();
      published.push_back(KidsOf(jwks->body));
    }
    for (int i = 0; i < 3 * kPerReplicaInBatch && issued < kTokens;
         ++i, ++issued) {
      yiam::CreateIamTokenResponse token;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      const grpc::Status status =
          yiam::IamTokenService::NewStub(channels[issued % 3])
              ->Create(&context, exchange, &token);
      ASSERT_TRUE(status.ok()) << status.error_message();
      const std::string kid = KidOfToken(token.iam_token());
      for (size_t r = 0; r < published.size(); ++r) {
        EXPECT_EQ(published[r].count(kid), 1u)
            << "token " << issued << " signed by " << kid
            << ", not yet in replica " << r << "'s JWKS";
      }
      ++by_kid[kid];
    }
  }
  const absl::Duration took = absl::Now() - started;
  done.Notify();
  rotator.join();
  EXPECT_EQ(issued, kTokens);
  // The rotations took effect under load: several keys signed in turn.
  EXPECT_GE(by_kid.size(), 2u);
  EXPECT_GE(rotations[grpc::StatusCode::OK], 1);
  EXPECT_EQ(rotations[grpc::StatusCode::OK] +
                rotations[grpc::StatusCode::FAILED_PRECONDITION],
            std::accumulate(
                rotations.begin(), rotations.end(), 0,
                [](int n, const auto& entry) { return n + entry.second; }));
  std::printf(
      "%d tokens round-robin over 3 replicas in %s during %d rotations (%d "
      "refused: a key was still waiting); %zu keys signed; every kid "
      "published by every replica beforehand\n",
      issued, absl::FormatDuration(took).c_str(),
      rotations[grpc::StatusCode::OK],
      rotations[grpc::StatusCode::FAILED_PRECONDITION], by_kid.size());
}

// Moving in: a single tokend on SQLite issues an IAM token and an account's
// key file; after `tokenctl store copy` into PostgreSQL, a replica started
// with the old data dir's master and admin keys and the same issuer verifies
// the old token, exchanges a JWT signed with the old key file, and takes the
// old admin key.
TEST(ReplicasIntegrationTest, StoreCopyMovesASqliteDataDirIntoReplicas) {
  const std::string dir = MakeTempDir("single");
  std::string old_token;
  std::string key_file;
  std::string account_id;
  {
    auto single = TokendProcess::Start(
        dir, {"--issuer=" + std::string(kIssuer), "--log_requests=false"});
    ASSERT_TRUE(single.ok()) << single.status();
    auto channel = grpc::CreateChannel(single->grpc_address(),
                                       grpc::InsecureChannelCredentials());
    const auto account =
        testing::CreateServiceAccount(channel, single->AdminKey(), "mover");
    account_id = account.id();
    key_file = testing::KeyFileOf(
        testing::CreateAuthorizedKey(channel, single->AdminKey(), account_id));
    yiam::CreateIamTokenResponse token;
    ASSERT_TRUE(CreateIamToken(channel, key_file, &token).ok());
    old_token = token.iam_token();
    ASSERT_EQ(single->Stop(), 0);
  }

  testing::PostgresServer* server = testing::SharedPostgresServer();
  ASSERT_NE(server, nullptr);
  absl::StatusOr<std::string> url = server->CreateDatabase();
  ASSERT_TRUE(url.ok()) << url.status();
  const std::string copy_log = MakeTempDir("copy") + "/out";
  const std::string command = absl::StrCat(
      testing::Runfile("tokend/tools/tokenctl/tokenctl"), " store copy ", dir,
      "/tokend.db ", *url, " >", copy_log, " 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << ReadFile(copy_log);
  EXPECT_THAT(ReadFile(copy_log),
              HasSubstr("1 service accounts, 1 authorized keys"));

  SharedConfig config;
  config.store = *url;
  config.master_key_file = dir + "/master.key";
  config.admin_key_file = dir + "/admin.key";
  std::vector<std::unique_ptr<TokendProcess>> replicas =
      StartReplicas(config, 1);
  ASSERT_NE(replicas[0], nullptr);
  auto channel = grpc::CreateChannel(replicas[0]->grpc_address(),
                                     grpc::InsecureChannelCredentials());
  verify::v1::VerifyResponse verified;
  const grpc::Status old_verifies = VerifyOn(channel, old_token, &verified);
  ASSERT_TRUE(old_verifies.ok()) << old_verifies.error_message();
  EXPECT_EQ(verified.claims().fields().at("sub").string_value(), account_id);

  yiam::CreateIamTokenResponse token;
  {
    const grpc::Status status = CreateIamToken(channel, key_file, &token);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // The new token is signed by the same keyring the old one was.
  EXPECT_EQ(KidOfToken(token.iam_token()), KidOfToken(old_token));
  EXPECT_EQ(ListKeys(*replicas[0], SharedAdminKey(config)).keys_size(), 3);
}

}  // namespace
}  // namespace tokend
