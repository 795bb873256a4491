// ScopedTokenIssuer::Issue per token beside the ES256 signature it cannot
// avoid, and the two grammars it runs per request.
//
//   bazel run -c opt //bench:scoped_tokens_benchmark
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "core/scoped/duration.h"
#include "core/scoped/scope.h"
#include "core/scoped/scoped_token_issuer.h"
#include "core/store/sqlite_store.h"

namespace tokend::scoped {
namespace {

constexpr char kScope[] =
    "user_id:u1 inbox:read:messages inbox:write:events read:brands:b1";

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

struct Fixture {
  std::string path =
      absl::StrCat("/tmp/scoped_tokens_benchmark-", getpid(), ".db");
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<keys::Sealer> sealer;
  std::unique_ptr<keys::Keyring> keyring;
  std::unique_ptr<ScopedTokenIssuer> issuer;

  Fixture() {
    auto opened = store::SqliteStore::Open(path);
    Check(opened.status(), "store");
    store = *std::move(opened);
    sealer = *keys::Sealer::Create(std::string(keys::Sealer::kKeySize, 'k'));
    keys::KeyringOptions options;
    options.slots = {
        {keys::kScopedSlot, jose::Algorithm::kEs256, absl::Hours(8766)}};
    auto ring = keys::Keyring::Open(store.get(), sealer.get(), options,
                                    RealClock::Get());
    Check(ring.status(), "keyring");
    keyring = *std::move(ring);
    ScopedTokenOptions issuer_options;
    issuer_options.issuer = "https://tokend.bench";
    auto created = ScopedTokenIssuer::Create(keyring.get(), RealClock::Get(),
                                             issuer_options);
    Check(created.status(), "issuer");
    issuer = *std::move(created);
  }
  ~Fixture() { std::remove(path.c_str()); }
};

Fixture& F() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void BM_SignOnly(benchmark::State& state) {
  auto signer = F().keyring->Signer(keys::kScopedSlot);
  Check(signer.status(), "signer");
  const absl::Time iat = absl::FromUnixSeconds(1'780'000'000);
  auto raw = jose::RawJwtBuilder()
                 .SetTypeHeader("JWT")
                 .SetIssuer("https://tokend.bench")
                 .SetSubject("u1")
                 .SetIssuedAt(iat)
                 .SetExpiration(iat + absl::Hours(2))
                 .SetJwtId("0123456789abcdef012345")
                 .AddStringClaim("scope", kScope)
                 .Build();
  Check(raw.status(), "raw");
  for (auto _ : state) {
    benchmark::DoNotOptimize((*signer)->SignAndEncode(*raw));
  }
}
BENCHMARK(BM_SignOnly)->Name("sign/ES256/jose");

void BM_Issue(benchmark::State& state) {
  Check(F().issuer->Issue(kScope, "2 hours").status(), "first token");
  for (auto _ : state) {
    benchmark::DoNotOptimize(F().issuer->Issue(kScope, "2 hours"));
  }
}
BENCHMARK(BM_Issue)->Name("issue/scoped/ES256");

void BM_ParseScope(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseScope(kScope));
}
BENCHMARK(BM_ParseScope)->Name("parse/scope");

void BM_ParseExpiresIn(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseExpiresIn("2.5 hrs", kDefaultMaxExpiresIn));
  }
}
BENCHMARK(BM_ParseExpiresIn)->Name("parse/expires_in");

}  // namespace
}  // namespace tokend::scoped

BENCHMARK_MAIN();
