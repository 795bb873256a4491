// The real tokend binary over real sockets: health, reflection-free stubs,
// admin auth, JWKS and rotation across restarts, Verify, API keys, graceful
// stop, and a SIGKILL in the middle of rotations.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/common/clock.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/master_key.h"
#include "core/keys/sealer.h"
#include "core/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/tokend_process.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"

namespace tokend {
namespace {

using ::testing::HasSubstr;
using ::tokend::keys::v1::KeyringService;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;

constexpr char kIssuer[] = "https://tokend.test";

std::shared_ptr<grpc::Channel> Channel(const TokendProcess& p) {
  return grpc::CreateChannel(p.grpc_address(),
                             grpc::InsecureChannelCredentials());
}

void Admin(grpc::ClientContext* context, const TokendProcess& p) {
  context->AddMetadata("authorization", "Bearer " + p.AdminKey());
}

std::set<std::string> JwksKids(const TokendProcess& p) {
  auto stub = KeyringService::NewStub(Channel(p));
  grpc::ClientContext context;
  keys::v1::Jwks jwks;
  grpc::Status status = stub->GetJwks(&context, {}, &jwks);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> kids;
  for (const auto& key : jwks.keys()) kids.insert(key.kid());
  return kids;
}

// Signs a token with the data dir's active IAM key, as tokend itself would.
// Only valid while no tokend process holds the directory.
std::string MintWithDataDir(const std::string& dir, const std::string& aud) {
  auto store = store::SqliteStore::Open(dir + "/tokend.db");
  EXPECT_TRUE(store.ok()) << store.status();
  auto master = keys::LoadOrCreateMasterKey(dir + "/master.key");
  EXPECT_TRUE(master.ok()) << master.status();
  auto sealer = keys::Sealer::Create(*master);
  EXPECT_TRUE(sealer.ok()) << sealer.status();
  auto keyring = keys::Keyring::Open(store->get(), sealer->get(),
                                     keys::KeyringOptions{}, RealClock::Get());
  EXPECT_TRUE(keyring.ok()) << keyring.status();
  auto signer = (*keyring)->Signer("iam");
  EXPECT_TRUE(signer.ok()) << signer.status();
  absl::Time now = absl::Now();
  auto raw = jose::RawJwtBuilder()
                 .SetIssuer(kIssuer)
                 .SetSubject("sa-integration")
                 .SetAudience(aud)
                 .SetIssuedAt(now)
                 .SetExpiration(now + absl::Hours(1))
                 .Build();
  EXPECT_TRUE(raw.ok()) << raw.status();
  auto token = (*signer)->SignAndEncode(*raw);
  EXPECT_TRUE(token.ok()) << token.status();
  return *token;
}

grpc::Status Verify(const TokendProcess& p, const std::string& token,
                    const std::string& audience,
                    verify::v1::VerifyResponse* response) {
  auto stub = verify::v1::VerificationService::NewStub(Channel(p));
  grpc::ClientContext context;
  verify::v1::VerifyRequest request;
  request.set_token(token);
  request.set_audience(audience);
  return stub->Verify(&context, request, response);
}

// One process per data directory: a second one is refused before it binds
// anything. The default issuer (port 0: a new port at every start) is
// recorded on first start, so a restart keeps signing and verifying under
// the same issuer.
TEST(TokendIntegration, OneProcessPerDataDirAndTheIssuerSurvivesRestarts) {
  const std::string dir = MakeTempDir("owned");
  auto issuer_of = [](const TokendProcess& p) {
    auto stub = KeyringService::NewStub(Channel(p));
    grpc::ClientContext context;
    keys::v1::OpenIdConfiguration oidc;
    EXPECT_TRUE(stub->GetOpenIdConfiguration(&context, {}, &oidc).ok());
    return oidc.issuer();
  };
  std::string first_issuer;
  {
    auto first = TokendProcess::Start(dir);
    ASSERT_TRUE(first.ok()) << first.status();
    first_issuer = issuer_of(*first);
    EXPECT_EQ(first_issuer, absl::StrCat("http://", first->http_address()));

    auto second = TokendProcess::RunUntilExit(dir, {});
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_NE(second->exit_code, 0);
    EXPECT_FALSE(second->ready);
    EXPECT_THAT(second->log, HasSubstr("in use by another tokend"));
    EXPECT_THAT(second->log,
                HasSubstr(absl::StrCat("(pid ", first->pid(), ")")));
    EXPECT_EQ(first->Stop(), 0);
  }
  auto restarted = TokendProcess::Start(dir);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_EQ(issuer_of(*restarted), first_issuer);
}

TEST(TokendIntegration, HealthJwksAndAdminAuth) {
  auto p = TokendProcess::Start(MakeTempDir("health"),
                                {absl::StrCat("--issuer=", kIssuer)});
  ASSERT_TRUE(p.ok()) << p.status();

  auto health = grpc::health::v1::Health::NewStub(Channel(*p));
  grpc::ClientContext hc;
  grpc::health::v1::HealthCheckResponse hr;
  ASSERT_TRUE(health->Check(&hc, {}, &hr).ok());
  EXPECT_EQ(hr.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  // One key per default slot, each with its algorithm and a kid.
  auto stub = KeyringService::NewStub(Channel(*p));
  grpc::ClientContext jc;
  keys::v1::Jwks jwks;
  ASSERT_TRUE(stub->GetJwks(&jc, {}, &jwks).ok());
  std::multiset<std::string> algs;
  for (const auto& key : jwks.keys()) {
    EXPECT_FALSE(key.kid().empty());
    EXPECT_EQ(key.use(), "sig");
    algs.insert(key.alg());
  }
  EXPECT_EQ(algs, (std::multiset<std::string>{"ES256", "ES256", "RS256"}));

  // Discovery points at the JWKS under the issuer.
  grpc::ClientContext oc;
  keys::v1::OpenIdConfiguration oidc;
  ASSERT_TRUE(stub->GetOpenIdConfiguration(&oc, {}, &oidc).ok());
  EXPECT_EQ(oidc.issuer(), kIssuer);
  EXPECT_EQ(oidc.jwks_uri(), absl::StrCat(kIssuer, "/.well-known/jwks.json"));

  // Admin calls: missing and wrong credentials are UNAUTHENTICATED.
  {
    grpc::ClientContext c;
    keys::v1::ListSigningKeysResponse r;
    EXPECT_EQ(stub->ListSigningKeys(&c, {}, &r).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext c;
    c.AddMetadata("authorization", "Bearer tka_not-the-key");
    keys::v1::ListSigningKeysResponse r;
    EXPECT_EQ(stub->ListSigningKeys(&c, {}, &r).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext c;
    Admin(&c, *p);
    keys::v1::ListSigningKeysResponse r;
    ASSERT_TRUE(stub->ListSigningKeys(&c, {}, &r).ok());
    EXPECT_EQ(r.keys_size(), 3);
    for (const auto& key : r.keys()) {
      EXPECT_EQ(key.state(), keys::v1::SigningKey::ACTIVE);
    }
  }
  EXPECT_EQ(p->Stop(), 0);  // SIGTERM drains and exits 0.
}

TEST(TokendIntegration, RotationSurvivesRestartAndOldTokensVerify) {
  const std::string dir = MakeTempDir("rotate");
  const std::vector<std::string> flags = {absl::StrCat("--issuer=", kIssuer)};
  std::set<std::string> before_rotation;
  {
    auto p = TokendProcess::Start(dir, flags);
    ASSERT_TRUE(p.ok()) << p.status();
    before_rotation = JwksKids(*p);
    ASSERT_EQ(p->Stop(), 0);
  }
  const std::string token = MintWithDataDir(dir, "svc-a");

  auto p = TokendProcess::Start(dir, flags);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(JwksKids(*p), before_rotation);  // Same kids after a restart.

  // Rotate: new keys are published next to the old ones.
  auto stub = KeyringService::NewStub(Channel(*p));
  grpc::ClientContext rc;
  Admin(&rc, *p);
  keys::v1::RotateSigningKeysResponse rotated;
  ASSERT_TRUE(stub->RotateSigningKeys(&rc, {}, &rotated).ok());
  int next = 0;
  for (const auto& key : rotated.keys()) {
    if (key.state() == keys::v1::SigningKey::NEXT) ++next;
  }
  EXPECT_EQ(next, 3);
  std::set<std::string> after_rotation = JwksKids(*p);
  EXPECT_EQ(after_rotation.size(), 6u);
  for (const auto& kid : before_rotation) {
    EXPECT_TRUE(after_rotation.count(kid)) << kid;
  }

  // Restart: the same six kids; the token signed before still verifies.
  ASSERT_EQ(p->Stop(), 0);
  auto q = TokendProcess::Start(dir, flags);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(JwksKids(*q), after_rotation);

  verify::v1::VerifyResponse response;
  grpc::Status status = Verify(*q, token, "svc-a", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.claims().fields().at("sub").string_value(),
            "sa-integration");
  EXPECT_EQ(response.algorithm(), "ES256");
  EXPECT_TRUE(before_rotation.count(response.kid()));

  // Precise failures.
  EXPECT_EQ(Verify(*q, token, "svc-b", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  std::string tampered = token;
  tampered[tampered.size() - 3] =
      tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(*q, tampered, "svc-a", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Verify(*q, "not-a-token", "svc-a", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Verify(*q, std::string(9000, 'a'), "svc-a", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(TokendIntegration, ApiKeysAreShownOnceAndRevocable) {
  auto p = TokendProcess::Start(MakeTempDir("apikeys"));
  ASSERT_TRUE(p.ok()) << p.status();
  auto stub = admin::v1::ApiKeyService::NewStub(Channel(*p));

  admin::v1::CreateApiKeyRequest create;
  create.set_surface("sessions");
  create.set_name("backend");
  admin::v1::CreateApiKeyResponse created;
  {
    grpc::ClientContext c;
    EXPECT_EQ(stub->CreateApiKey(&c, create, &created).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext c;
    Admin(&c, *p);
    ASSERT_TRUE(stub->CreateApiKey(&c, create, &created).ok());
  }
  EXPECT_TRUE(absl::StartsWith(created.secret(), "sk_"));
  EXPECT_GE(created.secret().size(), 40u);
  EXPECT_TRUE(absl::StartsWith(created.api_key().id(), "ak_"));
  EXPECT_TRUE(
      absl::StartsWith(created.secret(), created.api_key().display_prefix()));

  {
    grpc::ClientContext c;
    Admin(&c, *p);
    admin::v1::CreateApiKeyRequest bad;
    bad.set_surface("nonsense");
    admin::v1::CreateApiKeyResponse r;
    EXPECT_EQ(stub->CreateApiKey(&c, bad, &r).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext c;
    Admin(&c, *p);
    admin::v1::ListApiKeysResponse listed;
    ASSERT_TRUE(stub->ListApiKeys(&c, {}, &listed).ok());
    ASSERT_EQ(listed.api_keys_size(), 1);
    EXPECT_EQ(listed.api_keys(0).id(), created.api_key().id());
    EXPECT_FALSE(listed.api_keys(0).has_revoked_at());
  }
  {
    grpc::ClientContext c;
    Admin(&c, *p);
    admin::v1::RevokeApiKeyRequest revoke;
    revoke.set_id(created.api_key().id());
    admin::v1::ApiKey revoked;
    ASSERT_TRUE(stub->RevokeApiKey(&c, revoke, &revoked).ok());
    EXPECT_TRUE(revoked.has_revoked_at());
  }
  {
    grpc::ClientContext c;
    Admin(&c, *p);
    admin::v1::RevokeApiKeyRequest revoke;
    revoke.set_id("ak_unknown");
    admin::v1::ApiKey revoked;
    EXPECT_EQ(stub->RevokeApiKey(&c, revoke, &revoked).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // The secret never appears in the request log.
  ASSERT_EQ(p->Stop(), 0);
  std::ifstream log(p->data_dir() + "/tokend.log");
  std::string text((std::istreambuf_iterator<char>(log)),
                   std::istreambuf_iterator<char>());
  EXPECT_TRUE(
      absl::StrContains(text, "tokend.admin.v1.ApiKeyService/CreateApiKey"));
  EXPECT_FALSE(absl::StrContains(text, created.secret()));
  EXPECT_FALSE(absl::StrContains(text, p->AdminKey()));
}

keys::v1::ListSigningKeysResponse ListKeys(const TokendProcess& p) {
  auto stub = KeyringService::NewStub(Channel(p));
  grpc::ClientContext context;
  Admin(&context, p);
  keys::v1::ListSigningKeysResponse keys;
  grpc::Status status = stub->ListSigningKeys(&context, {}, &keys);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return keys;
}

keys::v1::SigningKey::State StateOf(const TokendProcess& p,
                                    const std::string& kid) {
  const keys::v1::ListSigningKeysResponse listed = ListKeys(p);
  for (const auto& key : listed.keys()) {
    if (key.kid() == kid) return key.state();
  }
  return keys::v1::SigningKey::STATE_UNSPECIFIED;
}

// Short publish lead time so rotations complete within a test.
std::vector<std::string> FastRotationFlags() {
  return {absl::StrCat("--issuer=", kIssuer), "--jwks_max_age=0s",
          "--publish_lead_time=1s"};
}

TEST(TokendIntegration, RotationActivatesAfterLeadTimeAndOldTokensVerify) {
  const std::string dir = MakeTempDir("activate");
  std::string old_kid;
  {
    auto p = TokendProcess::Start(dir, FastRotationFlags());
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ(p->Stop(), 0);
  }
  const std::string token = MintWithDataDir(dir, "svc-a");

  auto p = TokendProcess::Start(dir, FastRotationFlags());
  ASSERT_TRUE(p.ok()) << p.status();
  verify::v1::VerifyResponse before;
  ASSERT_TRUE(Verify(*p, token, "svc-a", &before).ok());
  old_kid = before.kid();

  auto stub = KeyringService::NewStub(Channel(*p));
  grpc::ClientContext rc;
  Admin(&rc, *p);
  keys::v1::RotateSigningKeysRequest rotate;
  rotate.set_slot("iam");
  keys::v1::RotateSigningKeysResponse rotated;
  ASSERT_TRUE(stub->RotateSigningKeys(&rc, rotate, &rotated).ok());
  std::string new_kid;
  bool old_still_active = false;
  for (const auto& key : rotated.keys()) {
    if (key.slot() != "iam") continue;
    if (key.state() == keys::v1::SigningKey::NEXT) new_kid = key.kid();
    if (key.kid() == old_kid) {
      old_still_active = key.state() == keys::v1::SigningKey::ACTIVE;
    }
  }
  ASSERT_FALSE(new_kid.empty());
  // Published at once, not yet signing (as of the rotation: a later List may
  // already see the lead time passed on a slow machine).
  EXPECT_TRUE(old_still_active);
  EXPECT_TRUE(JwksKids(*p).count(new_kid));

  // tokend's own maintenance loop activates it after the lead time (1 s).
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (StateOf(*p, new_kid) != keys::v1::SigningKey::ACTIVE &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(StateOf(*p, new_kid), keys::v1::SigningKey::ACTIVE);
  EXPECT_EQ(StateOf(*p, old_kid), keys::v1::SigningKey::RETIRED);
  EXPECT_TRUE(JwksKids(*p).count(old_kid));  // Retired keys stay published.

  // The token signed by the retired key still verifies, also after restart.
  verify::v1::VerifyResponse after;
  ASSERT_TRUE(Verify(*p, token, "svc-a", &after).ok());
  EXPECT_EQ(after.kid(), old_kid);
  ASSERT_EQ(p->Stop(), 0);
  auto q = TokendProcess::Start(dir, FastRotationFlags());
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(StateOf(*q, new_kid), keys::v1::SigningKey::ACTIVE);
  EXPECT_EQ(StateOf(*q, old_kid), keys::v1::SigningKey::RETIRED);
  ASSERT_TRUE(Verify(*q, token, "svc-a", &after).ok());
  ASSERT_EQ(q->Stop(), 0);

  // Tokens minted now carry the new kid.
  const std::string fresh = MintWithDataDir(dir, "svc-a");
  auto r = TokendProcess::Start(dir, FastRotationFlags());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(Verify(*r, fresh, "svc-a", &after).ok());
  EXPECT_EQ(after.kid(), new_kid);
}

TEST(TokendIntegration, KillDuringRotationsLeavesConsistentStore) {
  const std::string dir = MakeTempDir("kill9");
  std::vector<std::string> flags = FastRotationFlags();
  flags.back() = "--publish_lead_time=0.2s";  // Transitions every ~200 ms.
  {
    auto p = TokendProcess::Start(dir, flags);
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ(p->Stop(), 0);
  }
  const std::string token = MintWithDataDir(dir, "svc-a");

  for (int round = 0; round < 3; ++round) {
    auto p = TokendProcess::Start(dir, flags);
    ASSERT_TRUE(p.ok()) << p.status();
    const std::string admin_key = p->AdminKey();
    std::atomic<bool> stop{false};
    absl::Notification rotated_once;
    std::thread rotator([&] {
      auto stub = KeyringService::NewStub(Channel(*p));
      while (!stop) {
        grpc::ClientContext c;
        c.AddMetadata("authorization", "Bearer " + admin_key);
        c.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
        keys::v1::RotateSigningKeysResponse response;
        if (stub->RotateSigningKeys(&c, {}, &response).ok() &&
            !rotated_once.HasBeenNotified()) {
          rotated_once.Notify();
        }
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
    // The first rotation (three key generations, fsyncs) can take long on a
    // loaded machine; the kill offset counts from it, so every round kills
    // with rotations done and more under way.
    const bool rotated =
        rotated_once.WaitForNotificationWithTimeout(absl::Seconds(60));
    // Kill at a different point of the rotate/activate/retire cycle each round.
    if (rotated) absl::SleepFor(absl::Milliseconds(100 + 230 * round));
    p->Kill();
    stop = true;
    rotator.join();
    ASSERT_TRUE(rotated) << "no rotation succeeded within 60 s";

    // The store opens, every row unseals (MintWithDataDir opens the keyring),
    // each slot has exactly one active key, and the first token verifies.
    auto store = store::SqliteStore::Open(dir + "/tokend.db");
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->CheckIntegrity().ok());
    auto records = (*store)->ListSigningKeys();
    ASSERT_TRUE(records.ok());
    std::map<std::string, int> active;
    for (const auto& r : *records) {
      if (r.state == store::KeyState::kActive) ++active[r.slot];
    }
    EXPECT_EQ(active, (std::map<std::string, int>{
                          {"iam", 1}, {"scoped", 1}, {"session", 1}}));
    store->reset();
    EXPECT_FALSE(MintWithDataDir(dir, "svc-a").empty());
    auto q = TokendProcess::Start(dir, flags);
    ASSERT_TRUE(q.ok()) << q.status();
    verify::v1::VerifyResponse response;
    grpc::Status status = Verify(*q, token, "svc-a", &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(q->Stop(), 0);
  }
}

}  // namespace
}  // namespace tokend
