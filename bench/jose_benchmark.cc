// core/jose against the raw libcrypto primitive, in the same process and
// run: for ES256, RS256, PS256, EdDSA and HS256,
//   sign/<alg>/raw           the primitive alone on a prepared context
//                            (EVP_PKEY_sign of a precomputed 32-byte
//                            digest; Ed25519 and HMAC over a 32-byte message)
//   sign/<alg>/SignAndEncode JwtSigner::SignAndEncode of typical claims
//   sign/<alg>/Build+Sign    RawJwtBuilder...Build() + SignAndEncode
//   verify/<alg>/raw         EVP_PKEY_verify / Ed25519 / HMAC, prepared
//   verify/<alg>/Verify      JwtValidator::Verify against a JwkSet
// After the usual table, a summary prints ops/s (from CPU time per op, median
// over repetitions if any) and the ratio to raw.
// Run: bazel run -c opt //bench:jose_benchmark [-- --benchmark_repetitions=5]
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/jwt_validator.h"
#include "core/jose/raw_jwt.h"

namespace tokend::jose {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// A session-token-sized claims set (DESIGN.md §2.2).
RawJwt TypicalClaims(absl::Time now) {
  return RawJwtBuilder()
      .SetTypeHeader("JWT")
      .SetIssuer("https://tokend.example.com")
      .SetSubject("user_2NNEqL2nrIRdJ194ndJqAHwEfxC")
      .SetJwtId("6c1f3e0a9b2d4c8e")
      .SetIssuedAt(now)
      .SetNotBefore(now - absl::Seconds(5))
      .SetExpiration(now + absl::Seconds(60))
      .AddStringClaim("azp", "https://app.example.com")
      .AddStringClaim("sid", "sess_2NNEqL2nrIRdJ194ndJqAHwEfxC")
      .AddIntegerClaim("v", 2)
      .Build()
      .value();
}

struct Fixture {
  Jwk key;
  std::unique_ptr<JwtSigner> signer;
  JwkSet public_keys;
  JwtValidator validator;
  std::string token;
};

Fixture& GetFixture(Algorithm alg) {
  static auto* fixtures = new std::map<Algorithm, std::unique_ptr<Fixture>>();
  auto& slot = (*fixtures)[alg];
  if (slot == nullptr) {
    Jwk key = Jwk::Generate(alg).value();
    JwkSet set;
    if (!IsHmac(alg)) set.Add(key.PublicOnly().value()).IgnoreError();
    auto validator = JwtValidatorBuilder()
                         .ExpectIssuer("https://tokend.example.com")
                         .AllowAlgorithms({alg})
                         .Build()
                         .value();
    auto signer = JwtSigner::Create(key).value();
    std::string token = signer->SignAndEncode(TypicalClaims(kNow)).value();
    slot.reset(new Fixture{key, std::move(signer), std::move(set),
                           std::move(validator), std::move(token)});
  }
  return *slot;
}

const EVP_MD* Sha256() { return EVP_sha256(); }

// --- Raw primitives, prepared once, as a tuned caller would use them. ---

struct RawContext {
  EVP_PKEY_CTX* sign = nullptr;
  EVP_PKEY_CTX* verify = nullptr;
  EVP_MD_CTX* md_template = nullptr;  // Ed25519 sign
  EVP_MD_CTX* md_verify = nullptr;    // Ed25519 verify
  HMAC_CTX* hmac = nullptr;
};

void PreparePkeyCtx(EVP_PKEY_CTX* ctx, Algorithm alg) {
  EVP_PKEY_CTX_set_signature_md(ctx, Sha256());
  if (IsRsa(alg)) {
    EVP_PKEY_CTX_set_rsa_padding(
        ctx, IsRsaPss(alg) ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING);
    if (IsRsaPss(alg)) {
      EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32);
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, Sha256());
    }
  }
}

RawContext MakeRaw(const Jwk& key) {
  RawContext raw;
  const Algorithm alg = key.algorithm();
  if (IsHmac(alg)) {
    raw.hmac = HMAC_CTX_new();
    HMAC_Init_ex(raw.hmac, key.secret().data(),
                 static_cast<int>(key.secret().size()), Sha256(), nullptr);
  } else if (IsEdDsa(alg)) {
    raw.md_template = EVP_MD_CTX_new();
    EVP_DigestSignInit(raw.md_template, nullptr, nullptr, nullptr, key.pkey());
    raw.md_verify = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(raw.md_verify, nullptr, nullptr, nullptr, key.pkey());
  } else {
    raw.sign = EVP_PKEY_CTX_new(key.pkey(), nullptr);
    EVP_PKEY_sign_init(raw.sign);
    PreparePkeyCtx(raw.sign, alg);
    raw.verify = EVP_PKEY_CTX_new(key.pkey(), nullptr);
    EVP_PKEY_verify_init(raw.verify);
    PreparePkeyCtx(raw.verify, alg);
  }
  return raw;
}

void Label(benchmark::State& state, const std::string& what) {
  state.SetLabel(what);
  state.counters["ops/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void RawSign(benchmark::State& state, Algorithm alg) {
  Fixture& f = GetFixture(alg);
  RawContext raw = MakeRaw(f.key);
  uint8_t msg[32];
  SHA256(reinterpret_cast<const uint8_t*>("digest"), 6, msg);
  uint8_t sig[1024];
  EVP_MD_CTX* scratch = EVP_MD_CTX_new();
  for (auto _ : state) {
    size_t len = sizeof(sig);
    bool ok;
    if (raw.hmac != nullptr) {
      unsigned int hlen = 0;
      ok = HMAC_Init_ex(raw.hmac, nullptr, 0, nullptr, nullptr) == 1 &&
           HMAC_Update(raw.hmac, msg, sizeof(msg)) == 1 &&
           HMAC_Final(raw.hmac, sig, &hlen) == 1;
    } else if (raw.md_template != nullptr) {
      ok = EVP_MD_CTX_copy_ex(scratch, raw.md_template) == 1 &&
           EVP_DigestSign(scratch, sig, &len, msg, sizeof(msg)) == 1;
    } else {
      ok = EVP_PKEY_sign(raw.sign, sig, &len, msg, sizeof(msg)) == 1;
    }
    if (!ok) state.SkipWithError("raw sign failed");
    benchmark::DoNotOptimize(sig);
  }
  EVP_MD_CTX_free(scratch);
  Label(state, "libcrypto primitive");
}

void RawVerify(benchmark::State& state, Algorithm alg) {
  Fixture& f = GetFixture(alg);
  RawContext raw = MakeRaw(f.key);
  uint8_t msg[32];
  SHA256(reinterpret_cast<const uint8_t*>("digest"), 6, msg);
  uint8_t sig[1024];
  size_t sig_len = sizeof(sig);
  unsigned int hlen = 0;
  if (raw.hmac != nullptr) {
    HMAC(Sha256(), f.key.secret().data(), f.key.secret().size(), msg,
         sizeof(msg), sig, &hlen);
  } else if (raw.md_template != nullptr) {
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(c, raw.md_template);
    EVP_DigestSign(c, sig, &sig_len, msg, sizeof(msg));
    EVP_MD_CTX_free(c);
  } else {
    EVP_PKEY_sign(raw.sign, sig, &sig_len, msg, sizeof(msg));
  }
  EVP_MD_CTX* scratch = EVP_MD_CTX_new();
  for (auto _ : state) {
    bool ok;
    if (raw.hmac != nullptr) {
      uint8_t mac[32];
      unsigned int len = 0;
      ok = HMAC_Init_ex(raw.hmac, nullptr, 0, nullptr, nullptr) == 1 &&
           HMAC_Update(raw.hmac, msg, sizeof(msg)) == 1 &&
           HMAC_Final(raw.hmac, mac, &len) == 1 &&
           CRYPTO_memcmp(mac, sig, 32) == 0;
    } else if (raw.md_verify != nullptr) {
      ok = EVP_MD_CTX_copy_ex(scratch, raw.md_verify) == 1 &&
           EVP_DigestVerify(scratch, sig, sig_len, msg, sizeof(msg)) == 1;
    } else {
      ok = EVP_PKEY_verify(raw.verify, sig, sig_len, msg, sizeof(msg)) == 1;
    }
    if (!ok) state.SkipWithError("raw verify failed");
  }
  EVP_MD_CTX_free(scratch);
  Label(state, "libcrypto primitive");
}

void SignAndEncode(benchmark::State& state, Algorithm alg) {
  Fixture& f = GetFixture(alg);
  const RawJwt jwt = TypicalClaims(kNow);
  size_t bytes = 0;
  for (auto _ : state) {
    auto token = f.signer->SignAndEncode(jwt);
    if (!token.ok()) state.SkipWithError("SignAndEncode failed");
    bytes = token->size();
    benchmark::DoNotOptimize(token);
  }
  Label(state, absl::StrCat("compact JWS, ", bytes, " bytes"));
}

void BuildAndSign(benchmark::State& state, Algorithm alg) {
  Fixture& f = GetFixture(alg);
  for (auto _ : state) {
    auto token = f.signer->SignAndEncode(TypicalClaims(kNow));
    if (!token.ok()) state.SkipWithError("SignAndEncode failed");
    benchmark::DoNotOptimize(token);
  }
  Label(state, "claims built per token");
}

void Verify(benchmark::State& state, Algorithm alg) {
  Fixture& f = GetFixture(alg);
  for (auto _ : state) {
    auto verified = IsHmac(alg)
                        ? f.validator.Verify(f.token, f.key, kNow)
                        : f.validator.Verify(f.token, f.public_keys, kNow);
    if (!verified.ok()) state.SkipWithError("Verify failed");
    benchmark::DoNotOptimize(verified);
  }
  Label(state, "JwtValidator::Verify, all checks");
}

// Prints, after the normal output, each operation's rate next to the raw
// primitive's (median of repetitions when there are several).
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  SummaryReporter()
      : ConsoleReporter(isatty(fileno(stdout))
                            ? OutputOptions(OO_Tabular | OO_Color)
                            : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool aggregate = run.run_type == Run::RT_Aggregate;
      if (aggregate && run.aggregate_name != "median") continue;
      // CPU time: the machine may be shared, and time spent descheduled
      // would otherwise land on whichever benchmark happened to run then.
      const double us = run.GetAdjustedCPUTime();  // Per op, microseconds.
      if (us <= 0) continue;
      std::string name = run.run_name.function_name;
      // Medians replace single iterations.
      if (aggregate || rates_.count(name) == 0) rates_[name] = 1e6 / us;
      if (std::find(order_.begin(), order_.end(), name) == order_.end()) {
        order_.push_back(name);
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-28s %12s %12s %8s\n", "operation", "ops/s", "raw ops/s",
                "ratio");
    for (const std::string& name : order_) {
      const size_t slash = name.rfind('/');
      const std::string raw = name.substr(0, slash) + "/raw";
      if (name == raw || rates_.count(raw) == 0) {
        std::printf("%-28s %12.0f\n", name.c_str(), rates_[name]);
        continue;
      }
      std::printf("%-28s %12.0f %12.0f %7.1f%%\n", name.c_str(), rates_[name],
                  rates_[raw], 100.0 * rates_[name] / rates_[raw]);
    }
  }

 private:
  std::map<std::string, double> rates_;
  std::vector<std::string> order_;
};

void RegisterAll() {
  for (Algorithm alg : {Algorithm::kEs256, Algorithm::kRs256, Algorithm::kPs256,
                        Algorithm::kEdDsa, Algorithm::kHs256}) {
    const std::string n(AlgorithmName(alg));
    auto reg = [&](const std::string& name,
                   void (*fn)(benchmark::State&, Algorithm)) {
      benchmark::RegisterBenchmark(name.c_str(), fn, alg)
          ->Unit(benchmark::kMicrosecond);
    };
    reg("sign/" + n + "/raw", RawSign);
    reg("sign/" + n + "/SignAndEncode", SignAndEncode);
    reg("sign/" + n + "/Build+Sign", BuildAndSign);
    reg("verify/" + n + "/raw", RawVerify);
    reg("verify/" + n + "/Verify", Verify);
  }
}

}  // namespace
}  // namespace tokend::jose

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tokend::jose::RegisterAll();
  tokend::jose::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
