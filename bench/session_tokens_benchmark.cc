// SessionTokenIssuer per token, beside the signature it cannot avoid: the
// non-crypto work (session/template lookup, rendering, claims, JSON, jti) is
// what issue 5's goal (>= 85% of the raw RS256 rate) has left to spend.
//
//   sign/RS256/jose         JwtSigner::SignAndEncode of a session-token-sized
//                           RawJwt with the keyring's key (the floor)
//   issue/default/RS256     IssueDefault
//   issue/template5/RS256   IssueFromTemplate, five shortcodes
//   issue/hasura/RS256      IssueHasura
//   issue/template5/HS256   the same template with a custom HS256 key: the
//                           issuer's own overhead with the crypto nearly free
//
//   bazel run -c opt //bench:session_tokens_benchmark
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/common/clock.h"
#include "core/jose/jwk.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "core/sessions/session_tokens.h"
#include "core/store/sqlite_store.h"

namespace tokend::sessions {
namespace {

constexpr char kFiveShortcodes[] =
    R"({"email":"{{user.primary_email_address}}","name":"{{user.full_name}}",)"
    R"("role":"{{user.public_metadata.role}}",)"
    R"("org":"{{user.public_metadata.org.id}}","sid":"{{session.id}}"})";

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

struct Fixture {
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<keys::Sealer> sealer;
  std::unique_ptr<keys::Keyring> keyring;
  std::unique_ptr<SessionTokenIssuer> issuer;

  Fixture() {
    const absl::Time now = absl::Now();
    auto opened = store::SqliteStore::Open(
        absl::StrCat("/tmp/session_tokens_benchmark-", getpid(), ".db"));
    Check(opened.status(), "store");
    store = *std::move(opened);
    sealer = *keys::Sealer::Create(std::string(keys::Sealer::kKeySize, 'k'));
    keys::KeyringOptions keyring_options;
    keyring_options.slots = {
        {"session", jose::Algorithm::kRs256, absl::Hours(24)}};
    auto ring = keys::Keyring::Open(store.get(), sealer.get(), keyring_options,
                                    RealClock::Get());
    Check(ring.status(), "keyring");
    keyring = *std::move(ring);
    SessionTokenOptions options;
    options.issuer = "https://tokend.bench";
    // A cache entry lives for the whole run, as it would under load.
    options.cache_ttl = absl::Hours(1);
    issuer = *SessionTokenIssuer::Create(
        {/*sessions=*/store.get(), /*users=*/store.get(),
         /*templates=*/store.get()},
        keyring.get(), sealer.get(), RealClock::Get(), options);

    store::UserRecord user;
    user.id = "user_2bench0000000000000000";
    user.first_name = "Ada";
    user.last_name = "Lovelace";
    user.email_addresses = {{"idn_1", "ada@example.com", true}};
    user.primary_email_address_id = "idn_1";
    user.public_metadata_json = R"({"role":"admin","org":{"id":"o1"}})";
    user.created_at = user.updated_at = now;
    Check(store->InsertUser(user), "user");
    store::SessionRecord session;
    session.id = "sess_2bench0000000000000000";
    session.user_id = user.id;
    session.client_token_hash = auth::HashSecret("client");
    session.created_at = session.updated_at = session.last_active_at = now;
    session.expire_at = now + absl::Hours(24);
    Check(store->InsertSession(session), "session");

    store::JwtTemplateRecord t;
    t.id = "jtmp_five";
    t.name = "five";
    t.claims_json = kFiveShortcodes;
    t.lifetime_seconds = 60;
    t.allowed_clock_skew_seconds = 5;
    t.created_at = t.updated_at = now;
    Check(store->InsertJwtTemplate(t), "template");
    t.id = "jtmp_five_hs";
    t.name = "five_hs";
    t.custom_signing_key = true;
    t.signing_algorithm = jose::Algorithm::kHs256;
    auto hmac =
        jose::Jwk::FromSecret(std::string(32, 's'), jose::Algorithm::kHs256);
    t.sealed_signing_key =
        *sealer->Seal(*hmac->ToPrivateJson(), SealingContextForTemplate(t.id));
    Check(store->InsertJwtTemplate(t), "HS256 template");
  }
  ~Fixture() {
    std::remove(absl::StrCat("/tmp/session_tokens_benchmark-", getpid(), ".db")
                    .c_str());
  }
};

Fixture& F() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

const IssueRequest kRequest{
    "sess_2bench0000000000000000", "https://app.example.com", {}};

void BM_SignOnly(benchmark::State& state) {
  auto signer = F().keyring->Signer(keys::kSessionSlot);
  Check(signer.status(), "signer");
  const absl::Time iat = absl::FromUnixSeconds(1'780'000'000);
  auto raw = jose::RawJwtBuilder()
                 .SetTypeHeader("JWT")
                 .SetIssuer("https://tokend.bench")
                 .SetSubject("user_2bench0000000000000000")
                 .SetIssuedAt(iat)
                 .SetNotBefore(iat - absl::Seconds(5))
                 .SetExpiration(iat + absl::Seconds(60))
                 .SetJwtId("0123456789abcdef0123456789")
                 .AddStringClaim("sid", "sess_2bench0000000000000000")
                 .AddIntegerClaim("v", 2)
                 .AddStringClaim("azp", "https://app.example.com")
                 .Build();
  Check(raw.status(), "raw");
  for (auto _ : state) {
    benchmark::DoNotOptimize((*signer)->SignAndEncode(*raw));
  }
}
BENCHMARK(BM_SignOnly)->Name("sign/RS256/jose");

template <typename Issue>
void Run(benchmark::State& state, Issue issue) {
  Check(issue().status(), "first token");
  for (auto _ : state) {
    auto token = issue();
    if (!token.ok()) state.SkipWithError("issue failed");
    benchmark::DoNotOptimize(token);
  }
}

void BM_IssueDefault(benchmark::State& state) {
  Run(state, [] { return F().issuer->IssueDefault(kRequest); });
}
BENCHMARK(BM_IssueDefault)->Name("issue/default/RS256");

void BM_IssueTemplate(benchmark::State& state) {
  Run(state, [] { return F().issuer->IssueFromTemplate(kRequest, "five"); });
}
BENCHMARK(BM_IssueTemplate)->Name("issue/template5/RS256");

void BM_IssueHasura(benchmark::State& state) {
  Run(state, [] { return F().issuer->IssueHasura(kRequest); });
}
BENCHMARK(BM_IssueHasura)->Name("issue/hasura/RS256");

void BM_IssueTemplateHmac(benchmark::State& state) {
  Run(state, [] { return F().issuer->IssueFromTemplate(kRequest, "five_hs"); });
}
BENCHMARK(BM_IssueTemplateHmac)->Name("issue/template5/HS256");

}  // namespace
}  // namespace tokend::sessions

BENCHMARK_MAIN();
