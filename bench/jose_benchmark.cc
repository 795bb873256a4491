// core/jose against the raw libcrypto primitive, in the same process and
// run: for ES256, RS256, PS256, EdDSA and HS256,
//   sign/<alg>/raw           the primitive alone on a prepared context
//                            (EVP_PKEY_sign of a precomputed 32-byte
//                            digest; Ed25519 and HMAC over a 32-byte message)
//   sign/<alg>/SignAndEncode JwtSigner::SignAndEncode of typical claims
//   sign/<alg>/Build+Sign    RawJwtBuilder...Build() + SignAndEncode
//   verify/<alg>/raw         EVP_PKEY_verify / Ed25519 / HMAC, prepared
//   verify/<alg>/Verify      JwtValidator::Verify against a JwkSet
//   paired/{sign,verify}/<alg>  raw and core/jose alternated in one loop,
//                            timed separately: the most load-proof ratio
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
#include <chrono>
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

// One raw signature / verification on prepared contexts; false on failure.
class RawOps {
 public:
  explicit RawOps(const Jwk& key) : key_(key), raw_(MakeRaw(key)) {
    SHA256(reinterpret_cast<const uint8_t*>("digest"), 6, msg_);
    scratch_ = EVP_MD_CTX_new();
    sig_len_ = sizeof(sig_);
    Sign(sig_, &sig_len_);
  }
  ~RawOps() {
    EVP_MD_CTX_free(scratch_);
    EVP_PKEY_CTX_free(raw_.sign);
    EVP_PKEY_CTX_free(raw_.verify);
    EVP_MD_CTX_free(raw_.md_template);
    EVP_MD_CTX_free(raw_.md_verify);
    HMAC_CTX_free(raw_.hmac);
  }

  bool Sign(uint8_t* sig, size_t* len) {
    if (raw_.hmac != nullptr) {
      unsigned int hlen = 0;
      const bool ok =
          HMAC_Init_ex(raw_.hmac, nullptr, 0, nullptr, nullptr) == 1 &&
          HMAC_Update(raw_.hmac, msg_, sizeof(msg_)) == 1 &&
          HMAC_Final(raw_.hmac, sig, &hlen) == 1;
      *len = hlen;
      return ok;
    }
    if (raw_.md_template != nullptr) {
      return EVP_MD_CTX_copy_ex(scratch_, raw_.md_template) == 1 &&
             EVP_DigestSign(scratch_, sig, len, msg_, sizeof(msg_)) == 1;
    }
    return EVP_PKEY_sign(raw_.sign, sig, len, msg_, sizeof(msg_)) == 1;
  }

  bool Sign() {
    uint8_t sig[1024];
    size_t len = sizeof(sig);
    return Sign(sig, &len);
  }

  bool Verify() {
    if (raw_.hmac != nullptr) {
      uint8_t mac[32];
      size_t len = 0;
      return Sign(mac, &len) && CRYPTO_memcmp(mac, sig_, 32) == 0;
    }
    if (raw_.md_verify != nullptr) {
      return EVP_MD_CTX_copy_ex(scratch_, raw_.md_verify) == 1 &&
             EVP_DigestVerify(scratch_, sig_, sig_len_, msg_, sizeof(msg_)) ==
                 1;
    }
    return EVP_PKEY_verify(raw_.verify, sig_, sig_len_, msg_, sizeof(msg_)) ==
           1;
  }

 private:
  Jwk key_;
  RawContext raw_;
  EVP_MD_CTX* scratch_ = nullptr;
  uint8_t msg_[32];
  uint8_t sig_[1024];
  size_t sig_len_ = 0;
};

void Label(benchmark::State& state, const std::string& what) {
  state.SetLabel(what);
  state.counters["ops/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void RawSign(benchmark::State& state, Algorithm alg) {
  RawOps raw(GetFixture(alg).key);
  for (auto _ : state) {
    if (!raw.Sign()) state.SkipWithError("raw sign failed");
  }
  Label(state, "libcrypto primitive");
}

void RawVerify(benchmark::State& state, Algorithm alg) {
  RawOps raw(GetFixture(alg).key);
  for (auto _ : state) {
    if (!raw.Verify()) state.SkipWithError("raw verify failed");
  }
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

// Alternates the raw primitive and the core/jose call in one loop and times
// each separately, so load from other processes hits both alike; the
// counters give each rate and jose's as a percentage of raw.
void Paired(benchmark::State& state, Algorithm alg, bool sign) {
  Fixture& f = GetFixture(alg);
  RawOps raw(f.key);
  const RawJwt jwt = TypicalClaims(kNow);
  using Clock = std::chrono::steady_clock;
  Clock::duration raw_time{}, jose_time{};
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const bool raw_ok = sign ? raw.Sign() : raw.Verify();
    const auto t1 = Clock::now();
    bool jose_ok;
    if (sign) {
      auto token = f.signer->SignAndEncode(jwt);
      jose_ok = token.ok();
      benchmark::DoNotOptimize(token);
    } else {
      auto verified = IsHmac(alg)
                          ? f.validator.Verify(f.token, f.key, kNow)
                          : f.validator.Verify(f.token, f.public_keys, kNow);
      jose_ok = verified.ok();
      benchmark::DoNotOptimize(verified);
    }
    const auto t2 = Clock::now();
    if (!raw_ok || !jose_ok) state.SkipWithError("operation failed");
    raw_time += t1 - t0;
    jose_time += t2 - t1;
  }
  const double n = static_cast<double>(state.iterations());
  const double raw_rate = n / std::chrono::duration<double>(raw_time).count();
  const double jose_rate = n / std::chrono::duration<double>(jose_time).count();
  state.counters["raw/s"] = raw_rate;
  state.counters["jose/s"] = jose_rate;
  state.counters["jose%"] = 100.0 * jose_rate / raw_rate;
  state.SetLabel(sign ? "raw sign vs SignAndEncode, interleaved"
                      : "raw verify vs JwtValidator::Verify, interleaved");
}

void PairedSign(benchmark::State& state, Algorithm alg) {
  Paired(state, alg, /*sign=*/true);
}

void PairedVerify(benchmark::State& state, Algorithm alg) {
  Paired(state, alg, /*sign=*/false);
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
      if (run.counters.count("jose%") != 0) {
        if (aggregate || paired_.count(name) == 0) {
          paired_[name] = {run.counters.at("jose/s").value,
                           run.counters.at("raw/s").value,
                           run.counters.at("jose%").value};
        }
        if (std::find(paired_order_.begin(), paired_order_.end(), name) ==
            paired_order_.end()) {
          paired_order_.push_back(name);
        }
        continue;
      }
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
    std::printf("\n%-28s %12s %12s %8s\n", "interleaved (same loop)",
                "jose ops/s", "raw ops/s", "ratio");
    for (const std::string& name : paired_order_) {
      const Paired& p = paired_[name];
      std::printf("%-28s %12.0f %12.0f %7.1f%%\n", name.c_str(), p.jose, p.raw,
                  p.percent);
    }
  }

 private:
  struct Paired {
    double jose, raw, percent;
  };
  std::map<std::string, double> rates_;
  std::vector<std::string> order_;
  std::map<std::string, Paired> paired_;
  std::vector<std::string> paired_order_;
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
    reg("paired/sign/" + n, PairedSign);
    reg("paired/verify/" + n, PairedVerify);
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
