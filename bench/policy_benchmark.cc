// The CallGuard's cost per call (issue 18's goal: the declared-policy
// mechanism and limiter together ≤ 1 µs per call, single-threaded).
//
// BM_GuardAdmitSettle runs what every scoped IssueToken call now runs
// before its handler: the policy's credential check (admin key, then the
// sck_ key through ApiKeyManager's cache, on a real SQLite store), the
// lockout check, the known-good lookup, the rate limiter (on, never
// refusing) and the outcome's bookkeeping. BM_AuthenticationAlone is the
// same credential check as the handler did it before the guard. The
// mechanism's cost is the difference; run them interleaved:
//
//   bazel run -c opt //bench:policy_benchmark -- \
//     --benchmark_enable_random_interleaving=true --benchmark_repetitions=9 \
//     --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/auth/api_keys.h"
#include "core/common/clock.h"
#include "core/limits/lockout.h"
#include "core/limits/rate_limiter.h"
#include "core/store/sqlite_store.h"
#include "server/audit/audit_log.h"
#include "server/audit/call_record.h"
#include "server/auth.h"
#include "server/policy/call_guard.h"
#include "server/policy/client_address.h"
#include "server/policy/declared_policy.h"
#include "server/served_services.h"
#include "tokend/scoped/v1/scoped_tokens.pb.h"

namespace tokend::server {
namespace {

constexpr char kAdminKey[] = "tka_benchmark-admin-key-0123456789abcdef";

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

struct Fixture {
  std::string path = absl::StrCat("/tmp/policy_benchmark-", getpid(), ".db");
  std::unique_ptr<store::SqliteStore> store;
  std::unique_ptr<auth::ApiKeyManager> keys;
  AdminAuthenticator admin{kAdminKey};
  std::unique_ptr<CallGuard> guard;
  std::string authorization;

  Fixture() {
    (void)ServedServices();  // their descriptors, with the declarations
    auto opened = store::SqliteStore::Open(path);
    Check(opened.status(), "store");
    store = *std::move(opened);
    keys = std::make_unique<auth::ApiKeyManager>(store.get(), RealClock::Get());
    auto key = keys->Create("scoped", "benchmark");
    Check(key.status(), "api key");
    authorization = "Bearer " + key->secret;
    GuardDeps deps;
    deps.clock = RealClock::Get();
    deps.admin = &admin;
    deps.api_keys = keys.get();
    GuardOptions options = GuardOptions::Defaults();
    Check(options.SetRates("all=1000000/1s"), "rates");
    guard = std::make_unique<CallGuard>(deps, options);
  }
  ~Fixture() {
    store.reset();
    std::remove(path.c_str());
  }
};

Fixture& F() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

void BM_GuardAdmitSettle(benchmark::State& state) {
  Fixture& f = F();
  const MethodPolicy& policy =
      DeclaredPolicy("tokend.scoped.v1.ScopedTokenService", "IssueToken");
  CallFacts facts;
  facts.address = "127.0.0.1";
  facts.authorization = f.authorization;
  for (auto _ : state) {
    CallGuard::Admission admission = f.guard->Admit(facts, policy);
    if (!admission.refusal.ok()) state.SkipWithError("refused");
    f.guard->Settle(admission);
    benchmark::DoNotOptimize(admission);
  }
}
BENCHMARK(BM_GuardAdmitSettle);

void BM_AuthenticationAlone(benchmark::State& state) {
  Fixture& f = F();
  const absl::string_view credential =
      absl::string_view(f.authorization).substr(7);
  for (auto _ : state) {
    bool ok = f.admin.Matches(credential);
    if (!ok) {
      ok = f.keys->Authenticate(credential, store::ApiKeySurface::kScoped).ok();
    }
    if (!ok) state.SkipWithError("refused");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_AuthenticationAlone);

// What --audit_log adds to an audited call: the line of a scoped
// IssueToken (reflection over the declared fields, the token's header and
// claims decoded, two HMACs: the caller's credential and the chain link)
// and its write(2) to a file in /tmp.
void BM_AuditIssueLine(benchmark::State& state) {
  const std::string path =
      absl::StrCat("/tmp/policy_benchmark-", getpid(), ".audit");
  auto keys = audit::AuditKeys::FromSecret("tkau_benchmark-audit-key-0123");
  Check(keys.status(), "audit key");
  auto log = AuditLog::Open(path, *std::move(keys), RealClock::Get());
  Check(log.status(), "audit log");
  const MethodPolicy& policy =
      DeclaredPolicy("tokend.scoped.v1.ScopedTokenService", "IssueToken");
  scoped::v1::IssueTokenRequest request;
  request.set_scope("user_id:u1 inbox:read:messages");
  scoped::v1::IssueTokenResponse response;
  // A scoped token as tokend issues it (ES256).
  response.set_token(
      "eyJhbGciOiJFUzI1NiIsImtpZCI6Ikg1eHQyeHpFbWtHTU1obWdxVEJLVE0zRG5hQ2xIT"
      "GNrTFNCWWlzLWE1czgiLCJ0eXAiOiJKV1QifQ.eyJleHAiOjE3OTY2MzI5MTksImlhdCI6"
      "MTc5NjYyOTMxOSwiaXNzIjoiaHR0cDovLzEyNy4wLjAuMTo0MjMzOSIsImp0aSI6InFEVU"
      "kxTW5iTjY3Uy1XSzgta1d1MHciLCJzY29wZSI6InVzZXJfaWQ6dTEgaW5ib3g6cmVhZDpt"
      "ZXNzYWdlcyIsInN1YiI6InUxIn0.h5eBm7XwPH1DCDRS6GlNlni2Pp7-cItMOjrXnzlG6H"
      "sgNcwsr0euR1UccBzEf7zxv8oXfxR94P1wrlBdESIy2w");
  AuditedCaller caller;
  caller.kind = "api_key";
  caller.id = "ak_oZpnBhIRmmoUpF0k";
  caller.credential = "sck_Jln41Wy5uR3niZBmgMJewlMJ8iw4yE-Y3f--ZxFZmUs";
  caller.address = "127.0.0.1";
  for (auto _ : state) {
    RecordCall(**log, policy, caller, request, response, absl::OkStatus());
  }
  log->reset();
  std::remove(path.c_str());
}
BENCHMARK(BM_AuditIssueLine);

// The pieces, for where the difference goes.
void BM_RateLimiterTake(benchmark::State& state) {
  limits::RateLimiter limiter({1000000, absl::Seconds(1)}, 16384);
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.Take(42, absl::Now()));
  }
}
BENCHMARK(BM_RateLimiterTake);

void BM_LockoutReserveSucceeded(benchmark::State& state) {
  limits::Lockout lockout({}, 16384);
  for (auto _ : state) {
    const absl::Time now = absl::Now();
    benchmark::DoNotOptimize(lockout.Locked(42, now));
    benchmark::DoNotOptimize(lockout.Reserve(42, now));
    lockout.Succeeded(42, now);
  }
}
BENCHMARK(BM_LockoutReserveSucceeded);

void BM_AddressKey(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(AddressKey("203.0.113.77"));
}
BENCHMARK(BM_AddressKey);

}  // namespace
}  // namespace tokend::server

BENCHMARK_MAIN();
