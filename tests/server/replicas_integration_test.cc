// tokend replicas over one PostgreSQL (DESIGN §4): real binaries on real
// sockets sharing a database from tests/testing/postgres_server.h.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/auth/secret_file.h"
#include "core/auth/secrets.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/master_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/iam_admin.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/tokend_process.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend {
namespace {

using ::testing::HasSubstr;
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

  std::vector<std::string> Args() const {
    return {"--store=" + store, "--issuer=" + std::string(kIssuer),
            "--master_key_file=" + master_key_file,
            "--admin_key_file=" + admin_key_file, "--log_requests=false"};
  }
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

  yiam::CreateIamTokenRequest request;
  request.set_jwt(SignSaJwt(key_file));
  yiam::CreateIamTokenResponse token;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    const grpc::Status status =
        yiam::IamTokenService::NewStub(channel_b)->Create(&context, request,
                                                          &token);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  for (const auto& channel : {channel_a, channel_b}) {
    verify::v1::VerifyRequest verify;
    verify.set_token(token.iam_token());
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

}  // namespace
}  // namespace tokend
